import { describe, expect, it } from 'vitest';
import { resolveConfig, type QuantConfig } from '../graph';
import { runSearch, type Fidelity, type Metrics } from './search';
import { evaluationKey, runResumableSearch, summarize } from './session';
import { buildSpace } from './space';
import { tinyGraph } from './testSpace';

// The analytic fixture of search.test.ts: error grows as 2^(bits lost), cost with the bits kept;
// the proxy is a deterministic perturbation, so proxy and full rank differently.
const graph = tinyGraph();
const space = buildSpace(graph, { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=8,block=32', 'mxint:m=6,block=32', 'mxint:m=4,block=32', 'mxint:m=2,block=32'] }] });
const WEIGHT: Record<string, number> = { q: 1, k: 1, v: 2, qk: 3, pv: 0.5, o: 2, gate: 1, up: 1, down: 4, head: 8 };

function analytic(calls: string[] = []) {
  return (config: QuantConfig, fidelity: Fidelity): Metrics => {
    calls.push(`${fidelity}:${JSON.stringify(config.rules)}`);
    const f = resolveConfig(graph, config).formats;
    let err = 0;
    let bits = 0;
    for (const p of graph.points) {
      const s = f.get(p.id)!;
      const m = s.kind === 'mxint' ? s.m : 32;
      err += WEIGHT[p.kind] * 2 ** (Math.max(0, 8 - m));
      bits += m;
    }
    return { kl: fidelity === 'full' ? err : err * (1 + 0.05 * Math.sin(bits)), avgBits: bits / graph.points.length };
  };
}

const BASE = { space, objectives: ['kl', 'avgBits'], budget: 30, batch: 6, seed: 5 } as const;

class Interrupt extends Error {}

describe('runResumableSearch', () => {
  for (const [strategy, promote] of [
    ['nsga2', undefined],
    ['tpe', 0.5],
    ['random', 0.34],
  ] as const) {
    it(`${strategy}${promote ? ` (promote ${promote})` : ''}: a run interrupted mid-batch and resumed from its recorded evaluations equals the uninterrupted run`, async () => {
      const whole = await runSearch({ ...BASE, strategy, promote, evaluate: analytic() });

      // the first run dies after 13 evaluations (in the middle of a batch)
      const recorded: [string, Metrics][] = [];
      let n = 0;
      const dying = (c: QuantConfig, f: Fidelity) => {
        if (++n > 13) throw new Interrupt('worker died');
        return analytic()(c, f);
      };
      await expect(runResumableSearch({ ...BASE, strategy, promote, evaluate: dying, onEvaluation: (k, m) => recorded.push([k, m]) })).rejects.toBeInstanceOf(Interrupt);
      expect(recorded.length).toBe(13);

      // the resumed run replays them, runs only the rest, and ends with the same trials
      const calls: string[] = [];
      const batches: number[] = [];
      const r = await runResumableSearch({ ...BASE, strategy, promote, evaluate: analytic(calls), known: recorded, onBatch: (t) => batches.push(t.length) });
      expect(r.trials.map((t) => [t.id, t.hash, t.fidelity, t.cached, t.objectives])).toEqual(whole.trials.map((t) => [t.id, t.hash, t.fidelity, t.cached, t.objectives]));
      expect(r.front).toEqual(whole.front);
      expect(r.hypervolume).toEqual(whole.hypervolume);
      expect(r.replayed).toBe(13);
      expect(calls.length + 13).toBe(whole.evaluations.proxy + whole.evaluations.full);
      expect(batches).toEqual([6, 12, 18, 24, 30]);
    });
  }

  it('pauses at the gate before each new evaluation, not before replayed ones', async () => {
    let open: (() => void) | null = null;
    let waits = 0;
    const gate = () => {
      waits++;
      return new Promise<void>((r) => (open = r));
    };
    const calls: string[] = [];
    const known = [[evaluationKey('full', { version: 1, rules: [] }), analytic()({ version: 1, rules: [] }, 'full')] as const];
    const p = runResumableSearch({ ...BASE, budget: 2, batch: 2, strategy: 'random', evaluate: analytic(calls), gate, known, baselines: [{ name: 'fp32', config: { version: 1, rules: [] } }] });
    // the fp32 baseline is replayed without waiting; the first trial waits at the gate
    await new Promise((r) => setTimeout(r, 10));
    expect(waits).toBe(1);
    expect(calls.length).toBe(0);
    (open as unknown as () => void)();
    await new Promise((r) => setTimeout(r, 10));
    expect(calls.length).toBe(1);
    expect(waits).toBe(2);
    (open as unknown as () => void)();
    const r = await p;
    expect(r.trials.length).toBe(2);
    expect(r.baselines.map((b) => b.name)).toEqual(['fp32']);
    expect(r.baselines[0].metrics.avgBits).toBe(32);
  });

  it('scores baselines with the same evaluator, first, and reports them', async () => {
    const seen: string[] = [];
    const calls: string[] = [];
    const r = await runResumableSearch({
      ...BASE,
      budget: 6,
      strategy: 'nsga2',
      evaluate: analytic(calls),
      baselines: [
        { name: 'fp32', config: { version: 1, rules: [] } },
        { name: 'mxint4', config: { version: 1, rules: [['*', 'mxint:m=4,block=32']] } },
      ],
      onBaseline: (b) => seen.push(b.name),
    });
    expect(seen).toEqual(['fp32', 'mxint4']);
    expect(calls[0]).toBe('full:[]');
    expect(r.baselines[1].metrics.avgBits).toBe(4);
    // 4 bits lost at every point: err = 16 · Σ weights
    const sumW = graph.points.reduce((s, p) => s + WEIGHT[p.kind], 0);
    expect(r.baselines[1].metrics.kl).toBe(16 * sumW);
  });
});

describe('summarize', () => {
  it('equals runSearch’s front and hypervolume after every batch, and its history is non-decreasing', async () => {
    const snaps: ReturnType<typeof summarize>[] = [];
    const r = await runResumableSearch({ ...BASE, strategy: 'tpe', promote: 0.5, evaluate: analytic(), onBatch: (_t, s) => snaps.push(s) });
    const last = snaps.at(-1)!;
    expect(last.front).toEqual(r.front);
    expect(last.hypervolume).toEqual(r.hypervolume);
    for (const s of snaps) {
      const h = s.hypervolume!.history;
      for (let i = 1; i < h.length; i++) expect(h[i]).toBeGreaterThanOrEqual(h[i - 1]);
      expect(h.at(-1)).toBeCloseTo(s.hypervolume!.value, 9);
    }
    expect(last.hypervolume!.value).toBeGreaterThan(0);
  });

  it('maximised objectives keep their own sign in the reference point', async () => {
    const r = await runSearch({ ...BASE, objectives: ['kl', { metric: 'avgBits', direction: 'max' }], strategy: 'random', evaluate: analytic() });
    const s = summarize(r.trials, ['kl', { metric: 'avgBits', direction: 'max' }]);
    expect(s).toEqual({ front: r.front, hypervolume: r.hypervolume });
    expect(s.hypervolume!.reference_point[1]).toBeLessThan(Math.min(...r.trials.map((t) => t.metrics.avgBits)));
  });

  it('no feasible trial: empty front, no hypervolume', () => {
    expect(summarize([], ['kl'])).toEqual({ front: [], hypervolume: null });
  });
});

describe('uniform reference and seeded strategies', () => {
  it('fixes the reference from the uniform designs (the CLI rule); seeded strategies ask them first and the cache answers', async () => {
    const { referenceFromBaselines, uniformGenomes } = await import('./baselines');
    const { seededStrategy } = await import('./seeded');
    const calls: string[] = [];
    const snaps: number[][] = [];
    const r = await runResumableSearch({ ...BASE, budget: 12, batch: 4, strategy: seededStrategy(space, 'nsga2'), evaluate: analytic(calls), uniformReference: true, onBatch: (_t, s) => snaps.push(s.hypervolume!.reference_point) });
    const U = uniformGenomes(space);
    const vecs = U.map((g) => {
      const m = analytic()(space.toConfig(g), 'full');
      return [m.kl, m.avgBits];
    });
    const ref = referenceFromBaselines(vecs);
    expect(r.hypervolume!.reference_point).toEqual(ref);
    // the same point after every batch: the curve never rescales
    for (const p of snaps) expect(p).toEqual(ref);
    // NSGA-II's first population is the uniform designs, and they were scored once
    expect(r.trials.slice(0, U.length).map((t) => t.genome)).toEqual(U);
    expect(calls.length).toBe(new Set(calls).size);
    // equal to runSearch given that reference
    const plain = await runSearch({ ...BASE, budget: 12, batch: 4, strategy: seededStrategy(space, 'nsga2'), evaluate: analytic(), reference: ref });
    expect(r.hypervolume).toEqual(plain.hypervolume);
  });

  it('greedy starts at the first all-quantized uniform design and weighs steps by the cost saved', async () => {
    const { seededStrategy } = await import('./seeded');
    const s = seededStrategy(space, 'greedy', { sensitivity: () => 0, costObjective: { metric: 'avgBits' }, costOf: (c) => analytic()(c, 'full') });
    expect(typeof s).toBe('object');
    const o = (s as unknown as { options: { start: readonly number[]; gain: (g: number, c: number) => number } }).options;
    expect(o.start.every((c) => c === 1)).toBe(true);
    expect(o.gain(0, 1)).toBeGreaterThan(0);
    expect(() => seededStrategy(space, 'greedy')).toThrow(/sensitivity/);
    expect(seededStrategy(space, 'random')).toBe('random');
  });
});
