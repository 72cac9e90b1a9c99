import { describe, expect, it } from 'vitest';
import { decodeExplorerHash } from './explorerHash';
import { DEFAULT_EXPLORER, DEFAULT_MODEL, documentStore, editSearch, loadSearchDoc, redo, undo } from './document';
import { DEFAULT_SEARCH, MASE_MENU, parseSearchDoc, sortChoices, type SearchDoc } from './searchDoc';
import { decodeSearchHash, encodeSearchHash, searchDiff } from './searchHash';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('search settings', () => {
  it('MASE’s default menu: fp32 then MXInt m = 8…2 at block 32, highest precision first', () => {
    expect(MASE_MENU).toEqual(['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},block=32`)]);
    // equal bits (4.25) keep the order given
    expect(sortChoices(['mxfp4', 'fp32', 'mxint8', 'mxint:m=4,e=8,block=32', 'mxint:m=6'])).toEqual(['fp32', 'mxint8', 'mxint:m=6', 'mxfp4', 'mxint:m=4,block=32']);
  });

  it('parses field by field: bad fields fall back alone, with a message naming them', () => {
    const r = parseSearchDoc({ seed: 7, budget: -3, strategy: 'annealing', objectives: ['kl', 'luts', 'throughput'], menus: [{ match: '*.down.w', choices: ['mxint:m=1'] }], zz: 1 });
    expect(r.doc.seed).toBe(7);
    expect(r.doc.objectives).toEqual(['kl', 'luts', 'throughput']);
    expect(r.doc.budget).toBe(DEFAULT_SEARCH.budget);
    expect(r.doc.strategy).toBe(DEFAULT_SEARCH.strategy);
    expect(r.doc.menus).toEqual(DEFAULT_SEARCH.menus);
    const text = r.problems.join('\n');
    expect(text).toMatch(/budget must be an integer from 1 to 5000 \(got -3\)/);
    expect(text).toMatch(/strategy must be one of nsga2, tpe, random, greedy \(got "annealing"\)/);
    expect(text).toMatch(/menus \[0\]\.choices: .*m/);
    expect(text).toMatch(/Unknown search setting zz/);
    expect(parseSearchDoc({ objectives: ['kl', 'kl'] }).problems[0]).toMatch(/distinct/);
    expect(parseSearchDoc({ objectives: ['kl', 'energyPj', 'avgBits', 'luts'] }).problems[0]).toMatch(/1 to 3/);
    // weight rounding: stored runs from before it read as round-to-nearest
    expect(parseSearchDoc({ rounding: 'gptq' }).doc.rounding).toBe('gptq');
    expect(parseSearchDoc({}).doc.rounding).toBe('nearest');
    const bad = parseSearchDoc({ rounding: 'awq' });
    expect([bad.doc.rounding, bad.problems[0]]).toEqual(['nearest', expect.stringMatching(/rounding must be nearest or gptq \(got "awq"\)/)]);
  });
});

describe('search URL hash', () => {
  it('adds nothing for the default settings, and only the changed fields otherwise', () => {
    expect(encodeSearchHash(DEFAULT_SEARCH)).toBe('');
    const doc: SearchDoc = { ...DEFAULT_SEARCH, seed: 9, strategy: 'tpe' };
    expect(searchDiff(doc)).toEqual({ strategy: 'tpe', seed: 9 });
    const h = encodeSearchHash(doc);
    expect(h).toBe(`s=1.${b64({ strategy: 'tpe', seed: 9 })}`);
    expect(decodeSearchHash('#f=mxfp4&' + h)).toEqual({ doc, problems: [], present: true });
  });

  it('round-trips big menus deflated', () => {
    const menus = [{ match: '*', choices: [...MASE_MENU] }, ...['q', 'k', 'v', 'o', 'gate', 'up', 'down'].map((k) => ({ match: `*.${k}.w`, choices: ['fp32', 'mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4'] }))];
    const doc: SearchDoc = { ...DEFAULT_SEARCH, menus, constraints: [{ metric: 'deltaPerplexityPct', bound: 'max', value: 5 }], objectives: ['kl', 'areaUm2', 'throughput'] };
    const h = encodeSearchHash(doc);
    expect(h.startsWith('s=1z.')).toBe(true);
    expect(decodeSearchHash('#' + h).doc).toEqual(doc);
  });

  it('a malformed payload or a newer version falls back to the defaults with a message; a bad field alone', () => {
    expect(decodeSearchHash('#s=1.***').problems[0]).toMatch(/s= could not be read \(not valid base64url JSON\)/);
    expect(decodeSearchHash('#s=hello').problems[0]).toMatch(/expected <version>/);
    const v2 = decodeSearchHash(`#s=2.${b64({ seed: 3 })}`);
    expect(v2.problems[0]).toMatch(/version 2 is not known/);
    expect(v2.doc).toEqual(DEFAULT_SEARCH);
    const r = decodeSearchHash(`#s=1.${b64({ seed: 3, batch: 1000 })}`);
    expect(r.doc.seed).toBe(3);
    expect(r.doc.batch).toBe(DEFAULT_SEARCH.batch);
    expect(r.problems[0]).toMatch(/^Search batch must be an integer from 1 to 64/);
    expect(decodeSearchHash('#f=mxfp4').present).toBe(false);
  });

  it('the explorer decoder leaves s alone', () => {
    expect(decodeExplorerHash(`#f=mxfp4&gen=normal&n=1024&seed=2&s=1.${b64({ seed: 4 })}`).problems).toEqual([]);
  });
});

describe('search settings undo', () => {
  it('edits are undoable steps; loading a link or a run is not', () => {
    documentStore.setState({ explorer: DEFAULT_EXPLORER, model: DEFAULT_MODEL, search: DEFAULT_SEARCH, past: [], future: [], lastEdit: null });
    editSearch('seed', (d) => ({ ...d, seed: 5 }), 1000);
    editSearch('strategy', (d) => ({ ...d, strategy: 'random' }), 5000);
    expect(documentStore.getState().past.length).toBe(2);
    loadSearchDoc({ ...DEFAULT_SEARCH, budget: 10 });
    expect(documentStore.getState().past.length).toBe(2);
    editSearch('budget', (d) => ({ ...d, budget: 20 }), 9000);
    expect(undo()).toBe(true);
    expect(documentStore.getState().search.budget).toBe(10);
    // the step before the strategy edit (the loaded settings were never an undo step)
    expect(undo()).toBe(true);
    expect(documentStore.getState().search).toEqual({ ...DEFAULT_SEARCH, seed: 5 });
    expect(redo()).toBe(true);
    expect(documentStore.getState().search.budget).toBe(10);
  });
});

describe('parallelism (lanes) in the settings', () => {
  it('round-trips, sorts fewest multipliers first, and becomes a lanes menu of the space the core builds', async () => {
    const { buildSpace } = await import('../core/search');
    const { tinyGraph } = await import('../core/search/testSpace');
    const { spaceSpecOf } = await import('./searchDoc');
    const doc: SearchDoc = { ...DEFAULT_SEARCH, lanes: [{ lanesK: 32, lanesN: 4 }, { lanesK: 8, lanesN: 1 }] };
    const back = decodeSearchHash('#' + encodeSearchHash(doc)).doc;
    expect(back.lanes).toEqual([{ lanesK: 8, lanesN: 1 }, { lanesK: 32, lanesN: 4 }]);
    const space = buildSpace(tinyGraph(), spaceSpecOf(back));
    const lanes = space.genes.filter((g) => g.kind === 'lanes');
    expect(lanes.length).toBeGreaterThan(0);
    expect(lanes[0].choices).toEqual(['k8,n1', 'k32,n4']);
    expect(spaceSpecOf(DEFAULT_SEARCH).lanes).toBeUndefined();
    expect(parseSearchDoc({ lanes: [{ lanesK: 0, lanesN: 1 }] }).problems[0]).toMatch(/search lanes must be/);
  });
});

describe('plot axes for a run', () => {
  it('accuracy up, cost across, the third objective as colour; log axes except for bits', async () => {
    const { axesFor, DEFAULT_PARETO } = await import('./search');
    expect(axesFor(['perplexity', 'energyPj'], DEFAULT_PARETO)).toMatchObject({ x: 'energyPj', y: 'perplexity', color: 'avgBits', logX: true, logY: true });
    expect(axesFor(['memoryBits', 'kl', 'throughput'], DEFAULT_PARETO)).toMatchObject({ x: 'memoryBits', y: 'kl', color: 'throughput' });
    expect(axesFor(['kl', 'avgBits'], DEFAULT_PARETO)).toMatchObject({ x: 'avgBits', y: 'kl', color: 'none', logX: false });
    expect(axesFor(['energyPj', 'areaUm2'], DEFAULT_PARETO)).toMatchObject({ x: 'areaUm2', y: 'energyPj' });
  });
});
