import { describe, expect, it } from 'vitest';
import { resolveConfig, type QuantConfig } from '../graph';
import { dominates } from './pareto';
import { runSearch, SearchError, type Fidelity, type Metrics } from './search';
import { buildSpace } from './space';
import { tinyGraph } from './testSpace';

// A deterministic analytic objective on a small space (a test fixture for the driver, not a model):
// error grows as 2^(bits lost), cost with the bits kept; the proxy is a noisy-but-deterministic version.
const graph = tinyGraph();
const space = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['mxint:m=8,block=32', 'mxint:m=6,block=32', 'mxint:m=4,block=32', 'mxint:m=2,block=32'] }] });
const WEIGHT: Record<string, number> = { q: 1, k: 1, v: 2, qk: 3, pv: 0.5, o: 2, gate: 1, up: 1, down: 4, head: 8 };

function analytic(calls: string[]) {
  return (config: QuantConfig, fidelity: Fidelity): Metrics => {
    calls.push(fidelity);
    const f = resolveConfig(graph, config).formats;
    let err = 0;
    let bits = 0;
    for (const p of graph.points) {
      const s = f.get(p.id)!;
      const m = s.kind === 'mxint' ? s.m : 32;
      err += WEIGHT[p.kind] * 2 ** (8 - m);
      bits += m;
    }
    return { kl: fidelity === 'full' ? err : err * (1 + 0.05 * Math.sin(bits)), avgBits: bits / graph.points.length, accuracy: 1 / (1 + err / 100) };
  };
}

describe('runSearch', () => {
  for (const strategy of ['random', 'nsga2', 'tpe'] as const) {
    it(`${strategy}: reproducible, front non-dominated, hypervolume history monotone`, async () => {
      const go = () => runSearch({ space, objectives: ['kl', 'avgBits'], strategy, budget: 40, seed: 11, evaluate: analytic([]) });
      const r = await go();
      expect(r.trials.length).toBe(40);
      expect((await go()).trials.map((t) => t.hash)).toEqual(r.trials.map((t) => t.hash));
      const pts = new Map(r.trials.map((t) => [t.id, [t.objectives.kl, t.objectives.avgBits]]));
      expect(r.front.length).toBeGreaterThan(0);
      for (const a of r.front) for (const t of r.trials) expect(dominates(pts.get(t.id)!, pts.get(a)!)).toBe(false);
      // every non-front trial is dominated by (or equal to) a front trial
      for (const t of r.trials) {
        if (r.front.includes(t.id)) continue;
        const p = pts.get(t.id)!;
        expect(r.front.some((a) => dominates(pts.get(a)!, p) || pts.get(a)!.every((x, i) => x === p[i]))).toBe(true);
      }
      const h = r.hypervolume!;
      expect(h.history.length).toBe(40);
      for (let i = 1; i < 40; i++) expect(h.history[i]).toBeGreaterThanOrEqual(h.history[i - 1]);
      expect(h.history[39]).toBeCloseTo(h.value, 9);
      expect(h.reference_point.length).toBe(2);
    });
  }

  it('caches by config hash: a repeated config is not evaluated again', async () => {
    const calls: string[] = [];
    const tiny = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['mxint:m=8', 'mxint:m=4'] }, { match: 'L*.q*', choices: ['mxint:m=8'] }] });
    const r = await runSearch({ space: tiny, objectives: ['kl'], strategy: 'random', budget: 30, seed: 1, evaluate: analytic(calls) });
    const distinct = new Set(r.trials.map((t) => t.hash)).size;
    expect(calls.length).toBe(distinct);
    expect(r.evaluations.full).toBe(distinct);
    expect(r.trials.filter((t) => t.cached).length).toBe(30 - distinct);
  });

  it('successive halving: every trial at proxy, the promoted fraction at full; front over full trials', async () => {
    const calls: string[] = [];
    const r = await runSearch({ space, objectives: ['kl', 'avgBits'], strategy: 'nsga2', budget: 32, batch: 8, promote: 0.25, seed: 5, evaluate: analytic(calls) });
    expect(calls.filter((c) => c === 'proxy').length).toBe(r.evaluations.proxy);
    expect(r.trials.filter((t) => t.fidelity === 'full').length).toBe(8);
    for (const id of r.front) expect(r.trials[id].fidelity).toBe('full');
  });

  it('constraints: infeasible trials stay off the front; maximised objectives keep their sign', async () => {
    const r = await runSearch({
      space,
      objectives: [{ metric: 'accuracy', direction: 'max' }, 'avgBits'],
      constraints: [{ metric: 'kl', max: 200 }],
      strategy: 'tpe',
      budget: 40,
      seed: 2,
      evaluate: analytic([]),
    });
    expect(r.trials.some((t) => !t.feasible)).toBe(true);
    for (const id of r.front) {
      expect(r.trials[id].feasible).toBe(true);
      expect(r.trials[id].metrics.kl).toBeLessThanOrEqual(200);
      expect(r.trials[id].objectives.accuracy).toBeGreaterThan(0);
    }
    expect(r.hypervolume!.reference_point[0]).toBeLessThan(1);
  });

  it('greedy with a sensitivity walks down from the top and respects the budget', async () => {
    const kinds = space.genes.map((g) => g.pattern.split('.')[1] ?? g.pattern);
    const sensitivity = (gene: number, choice: number) => (WEIGHT[kinds[gene]] ?? WEIGHT.head) * 2 ** (2 * choice);
    const r = await runSearch({ space, objectives: ['kl', 'avgBits'], constraints: [{ metric: 'kl', max: 150 }], strategy: { name: 'greedy', options: { sensitivity } }, budget: 100, seed: 0, evaluate: analytic([]) });
    expect(r.trials[0].genome.every((c) => c === 0)).toBe(true);
    expect(r.trials.length).toBeLessThan(100);
    expect(r.front.length).toBeGreaterThan(0);
  });

  it('rejects bad options with the path', async () => {
    const base = { space, objectives: ['kl'], strategy: 'random' as const, budget: 4, seed: 0, evaluate: analytic([]) };
    await expect(runSearch({ ...base, budget: 0 })).rejects.toThrow(SearchError);
    await expect(runSearch({ ...base, promote: 2 })).rejects.toThrow(/promote/);
    await expect(runSearch({ ...base, objectives: ['nope'] })).rejects.toThrow(/objectives.nope/);
    await expect(runSearch({ ...base, strategy: { name: 'greedy' } as never })).rejects.toThrow(/sensitivity/);
  });
});

describe('lanes in the search', () => {
  it('the driver passes each design\'s parallelism; the real evaluator runs the emulator once per config and the cost per lanes', async () => {
    const { makeEvaluator } = await import('./evaluator');
    const sp = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['mxint:m=8', 'mxint:m=4'] }], lanes: [{ match: '*', choices: [{ lanesK: 4, lanesN: 1 }, { lanesK: 8, lanesN: 4 }] }] });
    const evals: string[] = [];
    const fake = {
      graph,
      evaluate: async (_t: readonly number[], c: QuantConfig, o: { mode: string }) => {
        evals.push(o.mode);
        const m4 = c.rules.filter(([, s]) => s.includes('m=4')).length;
        return { perplexity: 10 + m4, meanNll: 1, accuracy: 0.5, kl: m4 / 10, top1Agreement: 1 } as never;
      },
      sensitivity: () => Promise.reject(new Error('unused')),
    };
    const evaluate = makeEvaluator({ emulator: fake, tokens: [1, 2, 3], cost: { tokens: 8 } });
    const r = await runSearch({ space: sp, objectives: ['kl', 'areaUm2', { metric: 'throughput', direction: 'max' }], strategy: 'nsga2', budget: 24, seed: 3, evaluate });
    const fmt = r.trials.filter((t) => !t.cached);
    // the fp32 baseline once, then one emulator run per distinct config (lanes-only variants reuse it)
    expect(evals.filter((m) => m === 'fp32').length).toBe(1);
    expect(evals.filter((m) => m === 'fake').length).toBe(new Set(fmt.map((t) => JSON.stringify(t.config))).size);
    const narrowD = sp.toDesign(sp.cardinality.map(() => 0));
    const wideD = sp.toDesign(sp.genes.map((g) => (g.kind === 'lanes' ? 1 : 0)));
    const narrow = await evaluate(narrowD.config, 'full', narrowD.parallelism);
    const wide = await evaluate(wideD.config, 'full', wideD.parallelism);
    expect(wide.throughput).toBeGreaterThan(narrow.throughput);
    expect(wide.areaUm2).toBeGreaterThan(narrow.areaUm2);
    expect(wide.kl).toBe(narrow.kl);
    for (const t of r.trials) expect(Object.keys(t.parallelism).length).toBe(19);
    expect(r.hypervolume!.reference_point.length).toBe(3);
    // throughput is maximised: its reference sits below the worst throughput seen
    expect(r.hypervolume!.reference_point[2]).toBeLessThan(Math.min(...r.trials.map((t) => t.metrics.throughput)));
    expect(r.front.length).toBeGreaterThan(0);
  });
});

describe('sensitivityTable', () => {
  it('sums the per-point Δ loss over each gene, one sensitivity pass per non-fp32 choice', async () => {
    const { sensitivityTable } = await import('./evaluator');
    const sp = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=8', 'mxint:m=4'] }] });
    const specs: string[] = [];
    const fake = {
      graph,
      evaluate: () => Promise.reject(new Error('unused')),
      sensitivity: async (_t: readonly number[], _b: QuantConfig, spec: string) => {
        specs.push(spec);
        return graph.points.map((p) => ({ point: p.id, deltaLoss: (spec.includes('m=4') ? 10 : 1) * (p.layer === null ? 100 : 1) }));
      },
    };
    const s = await sensitivityTable(sp, fake, [1, 2, 3], { mode: 'fake' });
    expect(specs).toEqual(['mxint:m=8', 'mxint:m=4']);
    expect(s(0, 0)).toBe(0);
    expect(s(0, 1)).toBe(4); // L*.q.*: 2 blocks × (x, w)
    expect(s(0, 2)).toBe(40);
    expect(s(sp.genes.length - 1, 1)).toBe(200); // head.*: x, w at 100 each
  });
});

describe('summarise, uniform baselines and the reference rule', () => {
  it('summarise: nulls do not count; front indices ascending; history per trial', async () => {
    const { summarise } = await import('./search');
    const vecs = [[3, 3], null, [1, 4], [2, 2], [4, 1], [2, 2], [5, 5]];
    const s = summarise(vecs, [6, 6]);
    expect(s.front).toEqual([2, 3, 4, 5]);
    // boxes to (6, 6): [1,4] 5·2 = 10, then [2,2] adds 4·2 = 8, then [4,1] adds 2·1 = 2
    expect(s.hypervolume!.value).toBe(20);
    expect(s.hypervolume!.history).toEqual([9, 9, 13, 18, 20, 20, 20]);
    expect(summarise(vecs, null).hypervolume).toBeNull();
    expect(summarise([null], [1, 1])).toEqual({ front: [], hypervolume: null });
  });

  it('uniformGenomes: U_k puts every gene at min(k, menu − 1)', async () => {
    const { uniformGenomes } = await import('./baselines');
    const sp = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=8', 'mxint:m=4'] }, { match: 'head.*', choices: ['mxint:m=8', 'mxint:m=6', 'mxint:m=4', 'mxint:m=2'] }] });
    const U = uniformGenomes(sp);
    expect(U.length).toBe(4);
    const head = sp.genes.findIndex((g) => g.pattern === 'head.*');
    expect(U.map((g) => g[head])).toEqual([0, 1, 2, 3]);
    expect(U.map((g) => g[0])).toEqual([0, 1, 2, 2]);
  });

  it('referenceFromBaselines: worst of U_1… per objective plus 10 % of their range', async () => {
    const { referenceFromBaselines } = await import('./baselines');
    // U_0 (huge cost) is left out
    expect(referenceFromBaselines([[1, 1000], [2, 10], [4, 5], [10, 2]])).toEqual([10 + 0.8, 10 + 0.8]);
    expect(referenceFromBaselines([[3, 7]])).toEqual([3.3, 7.7]);
    expect(referenceFromBaselines([[0, 0], [2, 5], [2, 5]], 0.5)).toEqual([3, 7.5]);
  });

  it('makeCostMetrics matches the evaluator\'s cost figures', async () => {
    const { makeCostMetrics, makeEvaluator, COST_METRICS } = await import('./evaluator');
    const fake = {
      graph,
      evaluate: async () => ({ perplexity: 2, meanNll: 1, accuracy: 0.5, kl: 0, top1Agreement: 1 }) as never,
      sensitivity: () => Promise.reject(new Error('unused')),
    };
    const ev = makeEvaluator({ emulator: fake, tokens: [1, 2, 3], cost: { tokens: 8 } });
    const cost = makeCostMetrics(graph, { tokens: 8 });
    const c: QuantConfig = { version: 1, rules: [['*', 'mxint:m=4'], ['*.w', 'mxint:m=6']] };
    const m = await ev(c, 'full', {});
    const k = cost(c);
    for (const name of COST_METRICS) expect(k[name]).toBe(m[name]);
    expect(k.avgBits).toBeGreaterThan(4);
    expect(cost({ version: 1, rules: [['*', 'mxint:m=2']] }).energyPj).toBeLessThan(k.energyPj);
  });
});

