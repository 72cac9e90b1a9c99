import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../graph';
import { buildSpace, configHash, configKey, DEFAULT_SPACE_SPEC, designHash, SpaceError } from './space';
import { tinyGraph } from './testSpace';

const graph = tinyGraph();

function err(f: () => unknown): SpaceError {
  try {
    f();
  } catch (e) {
    if (e instanceof SpaceError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('search space', () => {
  it('default: MASE menu on every point, tied across blocks', () => {
    const s = buildSpace(graph);
    // per block: q,k,v,o x/w (8) + qk a/b, pv a/b (4) + gate, up, down x/w (6) = 18; head x/w = 2
    expect(s.genes.length).toBe(20);
    expect(s.genes[0]).toEqual({ kind: 'format', pattern: 'L*.q.x', points: ['L0.q.x', 'L1.q.x'], choices: ['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},block=32`)] });
    expect(s.genes.at(-1)!.pattern).toBe('head.w');
    expect(s.cardinality.every((c) => c === 8)).toBe(true);
    expect(s.size).toBe(8 ** 20);
  });
  it('tie point and opType', () => {
    expect(buildSpace(graph, { ...DEFAULT_SPACE_SPEC, tie: 'point' }).genes.length).toBe(graph.points.length);
    const op = buildSpace(graph, { ...DEFAULT_SPACE_SPEC, tie: 'opType' });
    expect(op.genes.map((g) => g.pattern)).toEqual(['L*.q.*', 'L*.k.*', 'L*.v.*', 'L*.qk.*', 'L*.pv.*', 'L*.o.*', 'L*.gate.*', 'L*.up.*', 'L*.down.*', 'head.*']);
    expect(op.genes[0].points).toEqual(['L0.q.x', 'L0.q.w', 'L1.q.x', 'L1.q.w']);
  });
  it('genome ↔ config round-trips and resolves on the graph', () => {
    const s = buildSpace(graph, { version: 1, tie: 'block', menus: [{ match: '*', choices: ['fp32', 'mxint8'] }, { match: '*.w', choices: ['mxint:m=4', 'mxfp4', 'mxint:m=4,block=8'] }] });
    const g = s.genes.map((x, i) => (i % x.choices.length));
    const c = s.toConfig(g);
    expect(s.fromConfig(c)).toEqual(g);
    const f = resolveConfig(graph, c).formats;
    const wGene = s.genes.findIndex((x) => x.pattern === 'L*.down.w');
    expect(f.get('L1.down.w')!.kind).toBe(s.genes[wGene].choices[g[wGene]].startsWith('mxfp') ? 'mx' : 'mxint');
    // points outside every menu stay out of the space
    const partial = buildSpace(graph, { version: 1, tie: 'point', menus: [{ match: 'L1.*.w', choices: ['mxint8', 'mxint4'] }] });
    expect(partial.genes.map((x) => x.pattern)).toEqual(['L1.q.w', 'L1.k.w', 'L1.v.w', 'L1.o.w', 'L1.gate.w', 'L1.up.w', 'L1.down.w']);
    expect(() => s.toConfig([1])).toThrow(/genome/);
    expect(err(() => s.toConfig(g.map(() => 5))).path).toBe('genome[0]');
    expect(err(() => s.fromConfig({ version: 1, rules: [['*', 'mxint:m=9']] })).path).toBe('config L*.q.x');
  });
  it('validation errors name the path', () => {
    expect(err(() => buildSpace(graph, { version: 2 })).path).toBe('version');
    expect(err(() => buildSpace(graph, { version: 1, tie: 'layer', menus: [] })).path).toBe('tie');
    expect(err(() => buildSpace(graph, { version: 1, menus: [] })).path).toBe('menus');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8', 'nope'] }] })).path).toBe('menus[0].choices[1]');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8', 'mxint8:block=32'] }] })).path).toBe('menus[0].choices[1]');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: 'a b', choices: ['mxint8'] }] })).path).toBe('menus[0].match');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8'], x: 1 }] })).path).toBe('menus[0].x');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: 'nothing', choices: ['mxint8'] }] })).path).toBe('menus[0].match');
    // tied points with different menus
    const e = err(() => buildSpace(graph, { version: 1, tie: 'block', menus: [{ match: '*', choices: ['mxint8'] }, { match: 'L1.*', choices: ['mxint4'] }] }));
    expect(e.path).toBe('menus[1].match');
    expect(e.message).toMatch(/tied/);
  });
  it('config hash is stable and canonical', () => {
    const a = { version: 1 as const, rules: [['*', 'mxint8:block=32']] as [string, string][] };
    const b = { version: 1 as const, rules: [['*', 'mxint8']] as [string, string][] };
    expect(configKey(a)).toBe(configKey(b));
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash({ version: 1, rules: [['*', 'mxint4']] })).not.toBe(configHash(a));
    expect(configHash(b)).toBe(configHash(b));
  });
});

describe('lanes genes', () => {
  const spec = {
    version: 1,
    tie: 'block',
    menus: [{ match: '*', choices: ['mxint:m=8', 'mxint:m=4'] }],
    lanes: [
      { match: '*', choices: [{ lanesK: 8, lanesN: 1 }, { lanesK: 8, lanesN: 4 }] },
      { match: 'head', choices: [{ lanesK: 4, lanesN: 1, lanesM: 1 }, { lanesK: 8, lanesN: 2, lanesM: 2 }] },
    ],
  };
  it('one gene per GEMM op kind tied across blocks, after the format genes; toDesign sets every op', () => {
    const s = buildSpace(graph, spec);
    const lanes = s.genes.filter((g) => g.kind === 'lanes');
    expect(lanes.map((g) => g.pattern)).toEqual(['L*.q', 'L*.k', 'L*.v', 'L*.qk', 'L*.pv', 'L*.o', 'L*.gate', 'L*.up', 'L*.down', 'head']);
    expect(lanes[0].ops).toEqual(['L0.q', 'L1.q']);
    expect(lanes.at(-1)!.choices).toEqual(['k4,n1', 'k8,n2,m2']);
    expect(s.genes.findIndex((g) => g.kind === 'lanes')).toBe(20);
    const g = s.cardinality.map((_, i) => (i >= 20 ? 1 : 0));
    const d = s.toDesign(g);
    expect(d.config.rules.length).toBe(20);
    expect(d.parallelism['L1.down']).toEqual({ lanesK: 8, lanesN: 4 });
    expect(d.parallelism.head).toEqual({ lanesK: 8, lanesN: 2, lanesM: 2 });
    expect(Object.keys(d.parallelism).length).toBe(19);
    expect(s.fromConfig(d.config)).toEqual(g.map((x, i) => (i >= 20 ? 0 : x)));
    // the design hash sees the lanes; without lanes it is the config hash
    const d0 = s.toDesign(g.map((x, i) => (i >= 20 ? 0 : x)));
    expect(designHash(d)).not.toBe(designHash(d0));
    expect(designHash({ config: d.config, parallelism: {} })).toBe(configHash(d.config));
  });
  it('lanes errors name the path', () => {
    expect(err(() => buildSpace(graph, { ...spec, lanes: [{ match: '*', choices: [{ lanesK: 0, lanesN: 1 }] }] })).path).toBe('lanes[0].choices[0].lanesK');
    expect(err(() => buildSpace(graph, { ...spec, lanes: [{ match: '*', choices: [{ lanesK: 2, lanesN: 1, x: 1 }] }] })).path).toBe('lanes[0].choices[0].x');
    expect(err(() => buildSpace(graph, { ...spec, lanes: [{ match: '*', choices: [{ lanesK: 2, lanesN: 1 }, { lanesK: 2, lanesN: 1, lanesM: 1 }] }] })).path).toBe('lanes[0].choices[1]');
    expect(err(() => buildSpace(graph, { ...spec, lanes: [{ match: 'L0.norm1', choices: [{ lanesK: 2, lanesN: 1 }] }] })).path).toBe('lanes[0].match');
    expect(err(() => buildSpace(graph, { ...spec, lanes: {} })).path).toBe('lanes');
  });
});
