/**
 * The search driver: a strategy proposes genomes, the injected evaluator scores their configs (cheap
 * proxy first, full evaluation for the promising fraction: one round of successive halving per
 * batch), every evaluation cached by config hash; the result is the trials, the Pareto front and the
 * hypervolume with its history.
 */
import { makeRng } from '../tensors';
import type { Lanes } from '../cost';
import type { QuantConfig } from '../graph';
import { hypervolume, hypervolumeHistory, paretoFront } from './pareto';
import { designHash, type SearchSpace } from './space';
import { greedyStrategy, nsga2Strategy, orderByRank, randomStrategy, tpeStrategy, type GreedyOptions, type Nsga2Options, type Strategy, type TpeOptions, type TrialResult } from './strategies';

export type Fidelity = 'proxy' | 'full';

/** Metrics of one evaluated config, by name (the real evaluator's names are in evaluator.ts). */
export type Metrics = Readonly<Record<string, number>>;

/** Score a config at a fidelity; `parallelism` holds the lanes genes' choices (empty when the space has none). */
export type Evaluate = (config: QuantConfig, fidelity: Fidelity, parallelism: Readonly<Record<string, Lanes>>) => Promise<Metrics> | Metrics;

export interface ObjectiveSpec {
  readonly metric: string;
  /** Default 'min'. Maximised metrics (accuracy, throughput) are negated inside the search only. */
  readonly direction?: 'min' | 'max';
}

/** A budget on a metric: metric ≤ max and/or metric ≥ min. */
export interface ConstraintSpec {
  readonly metric: string;
  readonly max?: number;
  readonly min?: number;
}

export type StrategySpec =
  | 'random'
  | 'nsga2'
  | 'tpe'
  | { readonly name: 'random' }
  | { readonly name: 'nsga2'; readonly options?: Nsga2Options }
  | { readonly name: 'tpe'; readonly options?: TpeOptions }
  | { readonly name: 'greedy'; readonly options: GreedyOptions };

export interface SearchOptions {
  readonly space: SearchSpace;
  readonly objectives: readonly (string | ObjectiveSpec)[];
  readonly constraints?: readonly ConstraintSpec[];
  readonly strategy: StrategySpec;
  /** Number of trials (genomes proposed). */
  readonly budget: number;
  readonly seed: number;
  readonly evaluate: Evaluate;
  /** Genomes asked per round (default 8). */
  readonly batch?: number;
  /**
   * Successive halving: evaluate every trial at 'proxy' fidelity first and the best `promote`
   * fraction of each batch (at least one, by constrained rank) at 'full'. Default: no proxy stage,
   * every trial evaluated 'full'.
   */
  readonly promote?: number;
  /** Hypervolume reference point in the objectives' own units (default: 1.1 × the worst value seen, per objective, in minimised form). */
  readonly reference?: readonly number[];
  /** Called after each batch with the trials so far. */
  readonly onProgress?: (trials: readonly Trial[]) => void;
}

export interface Trial {
  readonly id: number;
  readonly genome: readonly number[];
  readonly config: QuantConfig;
  /** Per-op lanes chosen by the space's lanes genes (empty without them). */
  readonly parallelism: Readonly<Record<string, Lanes>>;
  /** designHash: the config hash, plus the lanes when there are any. */
  readonly hash: string;
  /** Objective values in their own units and directions (by metric name). */
  readonly objectives: Readonly<Record<string, number>>;
  readonly metrics: Metrics;
  readonly fidelity: Fidelity;
  readonly feasible: boolean;
  /** Σ of the relative budget overruns (0 when feasible). */
  readonly violation: number;
  /** The evaluation came from the cache (an earlier trial had the same config at this fidelity). */
  readonly cached: boolean;
}

export interface SearchResult {
  readonly trials: Trial[];
  /** Ids of the non-dominated feasible trials at the highest fidelity evaluated. */
  readonly front: number[];
  /** Null with more than 3 objectives (exact hypervolume is implemented for 1–3). */
  readonly hypervolume: { readonly value: number; readonly reference_point: number[]; readonly history: number[] } | null;
  /** Evaluations actually run (cache misses), per fidelity. */
  readonly evaluations: { readonly proxy: number; readonly full: number };
}

export class SearchError extends Error {
  override readonly name = 'SearchError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`search ${path}: ${message}`);
  }
}

export function makeStrategy(space: SearchSpace, spec: StrategySpec, seed: number): Strategy {
  const ctx = { cardinality: space.cardinality, rng: makeRng(seed) };
  const s = typeof spec === 'string' ? { name: spec } : spec;
  switch (s.name) {
    case 'random':
      return randomStrategy(ctx);
    case 'nsga2':
      return nsga2Strategy(ctx, 'options' in s ? s.options : undefined);
    case 'tpe':
      return tpeStrategy(ctx, 'options' in s ? s.options : undefined);
    case 'greedy':
      if (!('options' in s) || !s.options) throw new SearchError('strategy', 'greedy needs options.sensitivity');
      return greedyStrategy(ctx, s.options);
    default:
      throw new SearchError('strategy', `unknown strategy ${JSON.stringify((s as { name: unknown }).name)} (random, nsga2, tpe, greedy)`);
  }
}

/** Σ relative overruns of the budgets (0 when all are met); a missing or NaN metric counts as 1. */
export function violation(metrics: Metrics, constraints: readonly ConstraintSpec[]): number {
  let v = 0;
  for (const c of constraints) {
    const x = metrics[c.metric];
    if (typeof x !== 'number' || Number.isNaN(x)) {
      v += 1;
      continue;
    }
    if (c.max !== undefined && x > c.max) v += (x - c.max) / Math.max(Math.abs(c.max), 1e-12);
    if (c.min !== undefined && x < c.min) v += (c.min - x) / Math.max(Math.abs(c.min), 1e-12);
  }
  return v;
}

/**
 * The front and hypervolume of a sequence of trials, every objective minimised. `vecs[i]` is trial
 * i's minimised objective vector, or null when it does not count (infeasible, or scored at a lower
 * fidelity). `front` holds indices into `vecs` (ascending); the hypervolume (exact, 1–3 objectives)
 * is bounded by `reference` (minimised form) and is null without a reference or with more than 3
 * objectives. `history[i]` is the hypervolume after trial i. The search driver, the CLI's
 * `objective` mode and the benchmark all rank with this one function.
 */
export function summarise(vecs: readonly (readonly number[] | null)[], reference: readonly number[] | null): { front: number[]; hypervolume: { value: number; history: number[] } | null } {
  const idx = vecs.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
  const pts = idx.map((i) => vecs[i]!);
  const front = paretoFront(pts)
    .map((j) => idx[j])
    .sort((a, b) => a - b);
  if (!reference || reference.length < 1 || reference.length > 3 || !pts.length) return { front, hypervolume: null };
  return { front, hypervolume: { value: hypervolume(pts, reference), history: hypervolumeHistory(vecs, reference) } };
}

export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const { space, budget, evaluate } = opts;
  const objectives: ObjectiveSpec[] = opts.objectives.map((o) => (typeof o === 'string' ? { metric: o } : o));
  if (!objectives.length) throw new SearchError('objectives', 'at least one objective');
  const constraints = opts.constraints ?? [];
  if (!Number.isInteger(budget) || budget < 1) throw new SearchError('budget', `must be a positive integer (got ${budget})`);
  const batch = opts.batch ?? 8;
  if (!Number.isInteger(batch) || batch < 1) throw new SearchError('batch', `must be a positive integer (got ${batch})`);
  const promote = opts.promote;
  if (promote !== undefined && !(promote > 0 && promote <= 1)) throw new SearchError('promote', `must be in (0, 1] (got ${promote})`);
  const strategy = makeStrategy(space, opts.strategy, opts.seed);

  const cache = new Map<string, Metrics>();
  const evaluations = { proxy: 0, full: 0 };
  const trials: Trial[] = [];
  const minimised = (m: Metrics) =>
    objectives.map((o) => {
      const x = m[o.metric];
      if (typeof x !== 'number') throw new SearchError(`objectives.${o.metric}`, `the evaluator returned no metric ${JSON.stringify(o.metric)} (got ${Object.keys(m).join(', ')})`);
      const y = o.direction === 'max' ? -x : x;
      return Number.isNaN(y) ? Infinity : y;
    });

  type Point = { config: QuantConfig; parallelism: Readonly<Record<string, Lanes>>; hash: string };
  const run = async (d: Point, f: Fidelity): Promise<{ m: Metrics; cached: boolean }> => {
    const key = `${f}:${d.hash}`;
    const hit = cache.get(key);
    if (hit) return { m: hit, cached: true };
    const m = await evaluate(d.config, f, d.parallelism);
    evaluations[f]++;
    cache.set(key, m);
    return { m, cached: false };
  };

  const makeTrial = (id: number, genome: readonly number[], d: Point, m: Metrics, fidelity: Fidelity, cached: boolean): Trial => {
    const v = violation(m, constraints);
    const mins = minimised(m);
    return {
      id,
      genome,
      config: d.config,
      parallelism: d.parallelism,
      hash: d.hash,
      objectives: Object.fromEntries(objectives.map((o, i) => [o.metric, o.direction === 'max' ? -mins[i] : mins[i]])),
      metrics: m,
      fidelity,
      feasible: v === 0,
      violation: v,
      cached,
    };
  };

  while (trials.length < budget) {
    const genomes = strategy.ask(Math.min(batch, budget - trials.length));
    if (!genomes.length) break;
    const first = promote === undefined ? 'full' : 'proxy';
    const round: Trial[] = [];
    for (const g of genomes) {
      const design = space.toDesign(g);
      const d = { ...design, hash: designHash(design) };
      const { m, cached } = await run(d, first);
      round.push(makeTrial(trials.length + round.length, g, d, m, first, cached));
    }
    const told: TrialResult[] = round.map((t) => ({ genome: t.genome, objectives: minimised(t.metrics), violation: t.violation }));
    if (promote !== undefined) {
      const k = Math.max(1, Math.round(promote * round.length));
      for (const i of orderByRank(told).slice(0, k)) {
        const t = round[i];
        const { m, cached } = await run(t, 'full');
        round[i] = makeTrial(t.id, t.genome, t, m, 'full', cached);
      }
    }
    // the strategy learns every trial at the proxy fidelity (one scale across all trials)
    strategy.tell(told);
    trials.push(...round);
    opts.onProgress?.(trials);
  }

  // the front and the hypervolume are over the feasible trials of the highest fidelity evaluated
  const fid: Fidelity = trials.some((t) => t.fidelity === 'full') ? 'full' : 'proxy';
  const vecs = trials.map((t) => (t.fidelity === fid && t.feasible ? minimised(t.metrics) : null));
  const scoredVecs = vecs.filter((v): v is number[] => v !== null);
  let ref: number[] | null = null;
  if (objectives.length <= 3 && scoredVecs.length) {
    ref = opts.reference
      ? opts.reference.map((r, i) => (objectives[i].direction === 'max' ? -r : r))
      : objectives.map((_, i) => {
          const worst = Math.max(...scoredVecs.map((v) => v[i]).filter(Number.isFinite));
          return worst + Math.max(Math.abs(worst) * 0.1, 1e-12);
        });
    if (ref.length !== objectives.length) throw new SearchError('reference', `needs ${objectives.length} values (one per objective)`);
  }
  const s = summarise(vecs, ref);
  const front = s.front.map((i) => trials[i].id);
  const hv: SearchResult['hypervolume'] =
    ref && s.hypervolume ? { value: s.hypervolume.value, reference_point: ref.map((r, i) => (objectives[i].direction === 'max' ? -r : r)), history: s.hypervolume.history } : null;
  return { trials, front, hypervolume: hv, evaluations };
}
