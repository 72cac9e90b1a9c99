/**
 * The real evaluator of the search: the emulator's accuracy metrics (at a proxy or full token
 * budget) joined with the cost model's figures for the same config, plus the sensitivity table the
 * greedy strategy walks by.
 *
 * Metric names (what objectives and constraints refer to):
 *   perplexity, meanNll, kl, accuracy, top1Agreement      emulator (kl/top1 vs the fp32 model)
 *   deltaPerplexityPct, deltaAccuracy                     vs the fp32 model on the same tokens: 100·(ppl/ppl₃₂ − 1), acc₃₂ − acc
 *   energyPj, areaUm2, luts, memoryBits, avgBits, cycles  cost model totals
 *   throughput, fpgaThroughput                            tokens/s (ASIC clock, FPGA clock): maximise
 */
import { prepareCost, type CostOptions, type Lanes, type PreparedCost } from '../cost';
import type { EvalMode, EvalOptions, EvalResult } from '../emulate';
import { resolveConfig, type Graph, type QuantConfig } from '../graph';
import type { Evaluate, Fidelity, Metrics } from './search';
import { configHash, type SearchSpace } from './space';

/** The part of Emulator the search uses. */
export interface EmulatorLike {
  readonly graph: Graph;
  evaluate(tokens: readonly number[], config: QuantConfig, opts: EvalOptions): Promise<EvalResult>;
  sensitivity(tokens: readonly number[], base: QuantConfig, spec: string, opts: EvalOptions): Promise<{ point: string; deltaLoss: number }[]>;
}

export interface EvaluatorOptions {
  readonly emulator: EmulatorLike;
  readonly tokens: readonly number[];
  /** 'fake' (default) or 'integer'. */
  readonly mode?: Exclude<EvalMode, 'fp32'>;
  /** Tokens of the proxy evaluation (default 256) and of the full one (default all). */
  readonly proxyTokens?: number;
  readonly fullTokens?: number;
  /** Window length (default the model's maxPositions). */
  readonly window?: number;
  /** Cost model options (parallelism, node, tokens…). */
  readonly cost?: CostOptions;
}

/** The metric names that come from the cost model alone (the rest need the emulator). */
export const COST_METRICS = ['energyPj', 'areaUm2', 'luts', 'memoryBits', 'avgBits', 'cycles', 'throughput', 'fpgaThroughput'] as const;

/**
 * The cost-model metrics of a config (no emulator run): energyPj, areaUm2, luts, memoryBits,
 * avgBits, cycles, throughput, fpgaThroughput. One prepared cost model per distinct parallelism.
 * Cheap (≥ 10,000 per second), so strategies can price candidate steps before running them.
 */
export function makeCostMetrics(graph: Graph, cost?: CostOptions): (config: QuantConfig, parallelism?: Readonly<Record<string, Lanes>>) => Metrics {
  // one prepared cost model per distinct parallelism (lanes genes); the emulator's result depends on the config only
  const costs = new Map<string, PreparedCost>();
  const costFor = (p: Readonly<Record<string, Lanes>>): PreparedCost => {
    const ids = Object.keys(p).sort();
    const key = ids.map((id) => `${id}:${p[id].lanesK},${p[id].lanesN},${p[id].lanesM ?? 1}`).join(';');
    let c = costs.get(key);
    if (!c) {
      c = prepareCost(graph, ids.length ? { ...cost, parallelism: { ...cost?.parallelism, ...p } } : cost);
      costs.set(key, c);
    }
    return c;
  };
  return (config, parallelism = {}) => {
    const c = costFor(parallelism)(resolveConfig(graph, config).formats);
    return {
      energyPj: c.energyPj.total,
      areaUm2: c.areaUm2,
      luts: c.fpga.luts,
      memoryBits: c.memoryBits.total,
      avgBits: c.avgBits,
      cycles: c.cycles,
      throughput: c.throughputTokensPerS,
      fpgaThroughput: c.fpgaThroughputTokensPerS,
    };
  };
}

export function makeEvaluator(opts: EvaluatorOptions): Evaluate {
  const { emulator, tokens } = opts;
  const costOf = makeCostMetrics(emulator.graph, opts.cost);
  const runs = new Map<string, Promise<EvalResult>>();
  const mode = opts.mode ?? 'fake';
  const maxTokens = (f: Fidelity) => (f === 'proxy' ? (opts.proxyTokens ?? 256) : opts.fullTokens);
  const evalOpts = (f: Fidelity): EvalOptions => ({ mode, window: opts.window, maxTokens: maxTokens(f) });
  const baselines = new Map<Fidelity, Promise<EvalResult>>();
  const baseline = (f: Fidelity) => {
    let b = baselines.get(f);
    if (!b) {
      b = emulator.evaluate(tokens, { version: 1, rules: [] }, { ...evalOpts(f), mode: 'fp32', reference: false });
      baselines.set(f, b);
    }
    return b;
  };
  return async (config, fidelity, parallelism = {}): Promise<Metrics> => {
    const key = `${fidelity}:${configHash(config)}`;
    let run = runs.get(key);
    if (!run) {
      run = emulator.evaluate(tokens, config, evalOpts(fidelity));
      runs.set(key, run);
    }
    const [r, b] = await Promise.all([run, baseline(fidelity)]);
    return {
      perplexity: r.perplexity,
      meanNll: r.meanNll,
      kl: r.kl ?? 0,
      accuracy: r.accuracy,
      top1Agreement: r.top1Agreement ?? 1,
      deltaPerplexityPct: 100 * (r.perplexity / b.perplexity - 1),
      deltaAccuracy: b.accuracy - r.accuracy,
      ...costOf(config, parallelism),
    };
  };
}

/**
 * The greedy strategy's sensitivity table: s[gene][choice] = Σ over the gene's points of the emulator's
 * Δ mean NLL when that point alone takes the choice on top of `base` (default fp32 everywhere). One
 * Emulator.sensitivity pass per distinct choice; fp32 choices cost nothing.
 */
export async function sensitivityTable(space: SearchSpace, emulator: EmulatorLike, tokens: readonly number[], opts: EvalOptions, base: QuantConfig = { version: 1, rules: [] }): Promise<(gene: number, choice: number) => number> {
  const specs = [...new Set(space.genes.flatMap((g) => g.choices))];
  const per = new Map<string, Map<string, number>>();
  for (const s of specs) {
    if (s === 'fp32') continue;
    const d = await emulator.sensitivity(tokens, base, s, opts);
    per.set(s, new Map(d.map((x) => [x.point, x.deltaLoss])));
  }
  const table = space.genes.map((g) => g.choices.map((c) => g.points.reduce((sum, p) => sum + (per.get(c)?.get(p) ?? 0), 0)));
  return (gene, choice) => table[gene][choice];
}
