// `mx-studio search` and `mx-studio objective` in-process on the default model, at a tiny fidelity
// (64 tokens in windows of 32) so each run takes about a second: reproducibility under a seed, the
// front and hypervolume against an independent recomputation, the reference-point rule, the
// JSON-lines session agreeing with search, and bad input (one line, exit 2).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODEL = join(ROOT, 'public/models/sotu-llama-1m');
const FAST = ['--tokens', '64', '--window', '32', '--cost-tokens', '64'];
let dir = '';
let space3 = '';
let space2 = '';

async function run(args: string[], input?: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  async function* lines() {
    for (const l of input ?? []) yield l;
  }
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s), input: input ? lines() : undefined });
  return { code, out, err: err.join('\n') };
}

type Results = {
  trials: { id: number; genome: number[]; config: { rules: [string, string][] }; objectives: Record<string, number>; feasible: boolean; violation: number; cached: boolean; metrics: Record<string, number> }[];
  front: number[];
  hypervolume: { value: number; reference_point: Record<string, number>; history: number[] };
  baselines: { name: string; genome: number[]; objectives: Record<string, number> }[];
  objectives: { name: string; direction: string }[];
  space: { genes: { pattern: string; choices: string[] }[] };
  timing: Record<string, unknown>;
};
const read = (p: string): Results => JSON.parse(readFileSync(p, 'utf8'));
const withoutTiming = (p: string) => {
  const j = JSON.parse(readFileSync(p, 'utf8'));
  delete j.timing;
  return JSON.stringify(j);
};
const dominates = (a: number[], b: number[]) => a.every((x, i) => x <= b[i]) && a.some((x, i) => x < b[i]);
/** Independent 2-D hypervolume: the union of the boxes [p, ref], by sweeping x. */
function hv2(points: number[][], ref: number[]): number {
  const pts = points.filter((p) => p[0] < ref[0] && p[1] < ref[1]).sort((a, b) => a[0] - b[0]);
  let vol = 0;
  for (let i = 0; i < pts.length; i++) {
    const x1 = i + 1 < pts.length ? pts[i + 1][0] : ref[0];
    const y = Math.min(...pts.slice(0, i + 1).map((p) => p[1]));
    vol += (x1 - pts[i][0]) * (ref[1] - y);
  }
  return vol;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mx-search-'));
  space3 = join(dir, 'space3.json');
  space2 = join(dir, 'space2.json');
  writeFileSync(space2, JSON.stringify({ version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=4,block=32'] }] }));
  writeFileSync(space3, JSON.stringify({ version: 1, tie: 'opType', menus: [{ match: '*', choices: ['mxint:m=8,block=32', 'mxint:m=5,block=32', 'mxint:m=3,block=32'] }] }));
});

describe('mx-studio search', () => {
  it('same seed → the same results.json apart from timing; another seed → other trials', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const c = join(dir, 'c.json');
    const args = ['search', '--model', MODEL, '--space', space3, '--strategy', 'nsga2', '--trials', '10', '--batch', '5', '--population', '4', ...FAST];
    expect((await run([...args, '--seed', '3', '--out', a])).code).toBe(0);
    expect((await run([...args, '--seed', '3', '--out', b])).code).toBe(0);
    expect((await run([...args, '--seed', '4', '--out', c])).code).toBe(0);
    expect(withoutTiming(b)).toBe(withoutTiming(a));
    expect(read(c).trials.map((t) => t.genome)).not.toEqual(read(a).trials.map((t) => t.genome));
    const t = read(a).timing;
    expect(t.search_ms).toBeGreaterThan(0);
    expect((t.trial_ms as number[]).length).toBe(10);
  });

  it('--rounding gptq: every trial sees GPTQ weights (recorded in fidelity); same genome, other accuracy, same cost', async () => {
    const n = join(dir, 'gn.json');
    const g = join(dir, 'gg.json');
    const args = ['search', '--model', MODEL, '--space', space3, '--strategy', 'random', '--trials', '4', '--seed', '1', '--objectives', 'kl,energy_pj', ...FAST];
    expect((await run([...args, '--out', n])).code).toBe(0);
    const r = await run([...args, '--rounding', 'gptq', '--calib-tokens', '512', '--out', g]);
    expect(r.code, r.err).toBe(0);
    const jn = JSON.parse(readFileSync(n, 'utf8'));
    const jg = JSON.parse(readFileSync(g, 'utf8'));
    expect(jn.fidelity.rounding).toEqual({ method: 'nearest' });
    expect(jg.fidelity.rounding).toMatchObject({ method: 'gptq', calibration_tokens: 512, calibration_text: 'test.txt' });
    expect(jg.trials.map((t: { genome: number[] }) => t.genome)).toEqual(jn.trials.map((t: { genome: number[] }) => t.genome));
    for (let i = 0; i < jg.trials.length; i++) {
      expect(jg.trials[i].objectives.energy_pj).toBe(jn.trials[i].objectives.energy_pj);
      expect(jg.trials[i].objectives.kl).not.toBe(jn.trials[i].objectives.kl);
    }
    // the lowest-precision uniform baseline (m=3 everywhere): GPTQ brings it closer to fp32
    const low = (j: Results) => j.baselines.find((b) => b.name.includes('m=3'))!.objectives.kl;
    expect(low(jg)).toBeLessThan(low(jn));
  }, 120_000);

  it('default space: front is the non-dominated set, hypervolume and reference recomputed independently', async () => {
    const p = join(dir, 'default.json');
    const r = await run(['search', '--model', MODEL, '--strategy', 'random', '--trials', '12', '--seed', '1', '--out', p, ...FAST]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.join('\n')).toMatch(/hypervolume \d/);
    const j = read(p);
    expect(j.objectives).toEqual([
      { name: 'perplexity', direction: 'min' },
      { name: 'energy_pj', direction: 'min' },
    ]);
    // MASE's space: 20 tied genes on this model, each fp32 or MXInt m = 8…2
    expect(j.space.genes.length).toBe(20);
    expect(j.space.genes[0].choices).toEqual(['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},block=32`)]);
    expect(j.baselines.map((b) => b.name)).toEqual(j.space.genes[0].choices.map((c) => `uniform ${c}`));
    const vec = (o: Record<string, number>) => [o.perplexity, o.energy_pj];
    // the reference rule: worst of the quantized uniform baselines + 10 % of their range
    const q = j.baselines.slice(1).map((b) => vec(b.objectives));
    const ref = [0, 1].map((i) => Math.max(...q.map((v) => v[i])) + 0.1 * (Math.max(...q.map((v) => v[i])) - Math.min(...q.map((v) => v[i]))));
    expect(vec(j.hypervolume.reference_point)).toEqual(ref);
    // fp32 is the most accurate and the most expensive baseline
    expect(j.baselines[0].objectives.energy_pj).toBeGreaterThan(Math.max(...q.map((v) => v[1])));
    const pts = j.trials.map((t) => vec(t.objectives));
    for (const a of j.front) for (const t of pts) expect(dominates(t, pts[a])).toBe(false);
    for (const [i, t] of pts.entries()) if (!j.front.includes(i)) expect(j.front.some((a) => dominates(pts[a], t) || pts[a].every((x, k) => x === t[k]))).toBe(true);
    expect(j.hypervolume.value).toBeGreaterThan(0);
    expect(Math.abs(hv2(pts, ref) - j.hypervolume.value) / j.hypervolume.value).toBeLessThan(1e-12);
    expect(j.hypervolume.history.length).toBe(12);
    j.hypervolume.history.forEach((h, i) => expect(Math.abs(h - hv2(pts.slice(0, i + 1), ref))).toBeLessThanOrEqual(1e-12 * j.hypervolume.value));
    // every trial's config is the genome's, objectives are its metrics
    for (const t of j.trials) {
      expect(t.config.rules.map(([, s]) => s)).toEqual(t.genome.map((c, i) => j.space.genes[i].choices[c]));
      expect(t.objectives.perplexity).toBe(t.metrics.perplexity);
      expect(t.metrics.avg_bits).toBeGreaterThan(2);
    }
  });

  it('constraints: infeasible trials stay off the front; greedy (--plain) walks down from the top until the budget breaks', async () => {
    const p = join(dir, 'greedy.json');
    const r = await run(['search', '--model', MODEL, '--space', space2, '--strategy', 'greedy', '--plain', '--trials', '40', '--constraint', 'delta_perplexity_pct<=5', '--sensitivity-tokens', '64', '--objectives', 'kl,avg_bits', ...FAST, '--out', p]);
    expect(r.code, r.err).toBe(0);
    const j = read(p);
    expect(j.trials[0].genome.every((c) => c === 0)).toBe(true);
    // one menu step per trial
    for (let i = 1; i < j.trials.length; i++) {
      const d = j.trials[i].genome.map((c, k) => c - j.trials[i - 1].genome[k]);
      if (j.trials[i - 1].feasible) expect(d.filter((x) => x !== 0)).toEqual([1]);
    }
    for (const t of j.trials) expect(t.feasible).toBe(t.metrics.delta_perplexity_pct <= 5);
    for (const id of j.front) expect(j.trials[id].feasible).toBe(true);
    expect(j.trials.length).toBeLessThan(12); // 10 genes × 1 step at most, then it stops
    expect(j.trials.some((t) => !t.feasible)).toBe(true);
  });

  it('greedy (studio): starts at the first uniform design without fp32 and takes the best accuracy per bit saved', async () => {
    const sp = join(dir, 'space-f63.json');
    writeFileSync(sp, JSON.stringify({ version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=6,block=32', 'mxint:m=3,block=32'] }] }));
    const p = join(dir, 'greedy2.json');
    const r = await run(['search', '--model', MODEL, '--space', sp, '--strategy', 'greedy', '--trials', '4', '--sensitivity-tokens', '32', '--objectives', 'perplexity,avg_bits', ...FAST, '--out', p]);
    expect(r.code, r.err).toBe(0);
    const j = read(p) as Results & { strategy_options: { start: number[]; gain: string } };
    expect(j.strategy_options.gain).toBe('avg_bits');
    expect(j.trials[0].genome).toEqual(j.space.genes.map(() => 1));
    expect(j.strategy_options.start).toEqual(j.trials[0].genome);
    expect(j.trials.length).toBe(4);
    // every step lowers one gene from m=6 to m=3 and saves bits
    for (let i = 1; i < 4; i++) expect(j.trials[i].metrics.avg_bits).toBeLessThan(j.trials[i - 1].metrics.avg_bits);
  });
});

describe('mx-studio objective', () => {
  it('answers genome / params / config lines like search evaluates them, reports bad lines, writes the same results.json shape', async () => {
    const s = join(dir, 's.json');
    expect((await run(['search', '--model', MODEL, '--space', space3, '--strategy', 'tpe', '--trials', '6', '--seed', '2', ...FAST, '--out', s])).code).toBe(0);
    const sr = read(s);
    const o = join(dir, 'o.json');
    const genes = sr.space.genes;
    const lines = [
      JSON.stringify({ genome: sr.trials[0].genome }),
      '',
      JSON.stringify({ params: Object.fromEntries(genes.map((g, i) => [g.pattern, g.choices[sr.trials[1].genome[i]]])), tag: 'x' }),
      'not json',
      JSON.stringify({ genome: [99] }),
      JSON.stringify({ config: sr.trials[2].config }),
      JSON.stringify({ genome: sr.trials[0].genome }),
    ];
    const r = await run(['objective', '--model', MODEL, '--space', space3, ...FAST, '--out', o, '--label', 'test'], lines);
    expect(r.code, r.err).toBe(0);
    const msgs = r.out.map((l) => JSON.parse(l));
    expect(msgs[0].type).toBe('header');
    expect(msgs[0].genes).toEqual(genes);
    expect(msgs[0].reference_point).toEqual(sr.hypervolume.reference_point);
    expect(msgs.map((m) => m.type)).toEqual(['header', 'result', 'result', 'error', 'error', 'result', 'result']);
    expect(msgs[2].tag).toBe('x');
    expect(msgs[3]).toMatchObject({ line: 4, error: 'not JSON' });
    expect(msgs[4].error).toMatch(/genome/);
    const res = msgs.filter((m) => m.type === 'result');
    for (const [k, m] of [0, 1, 2, 0].entries()) {
      expect(res[k].objectives).toEqual(sr.trials[m].objectives);
      expect(res[k].values).toEqual([sr.trials[m].objectives.perplexity, sr.trials[m].objectives.energy_pj]);
    }
    const oj = read(o) as Results & { strategy: string };
    expect(oj.strategy).toBe('test');
    expect(oj.trials.map((t) => t.cached)).toEqual([false, false, false, true]);
    expect(oj.baselines).toEqual(sr.baselines);
    const pts = oj.trials.map((t) => [t.objectives.perplexity, t.objectives.energy_pj]);
    expect(Math.abs(hv2(pts, [oj.hypervolume.reference_point.perplexity, oj.hypervolume.reference_point.energy_pj]) - oj.hypervolume.value)).toBeLessThanOrEqual(1e-12 * oj.hypervolume.value);
  });
});

describe('help', () => {
  it('documents every flag of search and objective', async () => {
    const { SEARCH_OPTS, OBJECTIVE_OPTS } = await import('./search');
    const r = await run(['search', '--help']);
    expect(r.code).toBe(0);
    for (const k of [...Object.keys(SEARCH_OPTS), ...Object.keys(OBJECTIVE_OPTS)]) expect(r.out.join('\n')).toContain(`--${k}`);
  });
});

describe('bad input: one line, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown objective', ['--objectives', 'perplexity,joules'], /unknown objective "joules"/],
    ['repeated objective', ['--objectives', 'kl,kl'], /listed twice/],
    ['bad constraint', ['--constraint', 'kl<1'], /--constraint must be NAME<=X/],
    ['unknown strategy', ['--strategy', 'anneal'], /--strategy must be one of nsga2, tpe, random, greedy/],
    ['bad trials', ['--trials', '0'], /--trials must be ≥ 1/],
    ['bad reference', ['--reference', '1'], /--reference needs 2 numbers/],
    ['tokens beyond the text', ['--tokens', '99999999'], /exceeds the \d+ tokens/],
    ['window beyond the context', ['--window', '512'], /exceeds the model's context of 256/],
    ['bad rounding', ['--rounding', 'adaround'], /--rounding must be nearest or gptq, got "adaround"/],
    ['calibration without gptq', ['--calib-tokens', '64'], /--calib-tokens applies only with --rounding gptq/],
  ];
  for (const [what, extra, re] of cases) {
    it(what, async () => {
      const r = await run(['search', '--model', MODEL, '--trials', '2', ...extra]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    });
  }

  it('missing model, missing folder, bad space files', async () => {
    let r = await run(['search', '--trials', '2']);
    expect([r.code, r.err]).toEqual([2, 'mx-studio search: error: missing --model DIR (a Hugging Face model folder)']);
    r = await run(['search', '--model', join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope is not a folder/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "menus": [');
    r = await run(['search', '--model', MODEL, '--space', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--space: .*bad\.json is not valid JSON/);
    writeFileSync(bad, JSON.stringify({ version: 1, menus: [{ match: '*', choices: ['mxint:m=4', 'mxfp9'] }] }));
    r = await run(['search', '--model', MODEL, '--space', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/menus\[0\]\.choices\[1\]/);
    writeFileSync(bad, JSON.stringify({ version: 1, menus: [{ match: 'nothing.*', choices: ['mxint:m=4'] }] }));
    r = await run(['search', '--model', MODEL, '--space', bad, ...FAST]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/final menu of no quant point/);
    writeFileSync(bad, JSON.stringify({ version: 1, menus: [{ match: '*', choices: ['mxfp8_e4m3', 'mxfp4'] }] }));
    r = await run(['search', '--model', MODEL, '--space', bad, '--rounding', 'gptq', ...FAST]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--rounding gptq: no linear weight of this search space has an MXInt choice/);
    r = await run(['objective', '--model', MODEL, '--objectives', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mx-studio objective: error: --objectives: unknown objective "nope"/);
  });
});
