/**
 * A search that can pause, stop and continue later — the driver (runSearch, search.ts) unchanged,
 * wrapped so that:
 *   - the evaluations of an earlier, interrupted run of the same search are replayed instead of
 *     re-run (`known`, keyed by `evaluationKey`);
 *   - `gate()` is awaited before every new evaluation (pause: the caller's promise stays pending);
 *   - every new evaluation is reported as it finishes (`onEvaluation`: persist it), and every
 *     finished batch with the front and hypervolume so far (`onBatch`);
 *   - reference designs (baselines: fp32, uniform 8-bit fixed point, …) are scored by the same
 *     evaluator, before the trials, so a plot can draw them next to the first trials.
 *
 * Why replaying evaluations resumes the run: every strategy is a seeded ask/tell state machine and
 * the driver asks, evaluates and tells in a fixed order, so given the same metrics in the same order
 * a fresh strategy asks the same genomes. Feeding back the recorded metrics therefore rebuilds the
 * interrupted run's trials exactly (ids, genomes, cache flags) and the search carries on where it
 * stopped. This holds while space, objectives, constraints, strategy, seed, batch, promote and
 * budget are the same (budget only sizes the last, partial batch). Evaluations are recorded, not
 * trials, because a promoted trial keeps only its full-fidelity metrics while the strategy learnt
 * its proxy ones; an interrupted batch's finished evaluations are kept too.
 *
 * Used by the studio's search worker (workers/search.worker.ts). Ring 1: no I/O, no timers.
 */
import type { Lanes } from '../cost';
import type { QuantConfig } from '../graph';
import { referenceFromBaselines, uniformGenomes } from './baselines';
import { runSearch, SearchError, summarise, type Evaluate, type Fidelity, type Metrics, type ObjectiveSpec, type SearchOptions, type SearchResult, type Trial } from './search';
import { designHash } from './space';

/** The cache key runSearch uses for an evaluation: `${fidelity}:${designHash}`. */
export function evaluationKey(fidelity: Fidelity, config: QuantConfig, parallelism: Readonly<Record<string, Lanes>> = {}): string {
  return `${fidelity}:${designHash({ config, parallelism })}`;
}

/** A reference design scored next to the trials (never told to the strategy). */
export interface Baseline {
  readonly name: string;
  readonly config: QuantConfig;
}

export interface BaselineResult {
  readonly name: string;
  readonly config: QuantConfig;
  readonly fidelity: Fidelity;
  readonly metrics: Metrics;
}

/** Front and hypervolume of the trials so far (the same rule as runSearch's result). */
export interface SearchSummary {
  readonly front: number[];
  readonly hypervolume: SearchResult['hypervolume'];
}

const norm = (objectives: readonly (string | ObjectiveSpec)[]): ObjectiveSpec[] => objectives.map((o) => (typeof o === 'string' ? { metric: o } : o));

/**
 * Front and hypervolume of a (partial) list of trials, by runSearch's rule: over the feasible trials
 * of the highest fidelity present; the reference point, unless given, is the worst value seen plus
 * 10 % per objective in minimised form; `history[i]` is the hypervolume after trial i. The ranking
 * itself is search.ts's `summarise` (the one function the driver, the CLI and the benchmarks use);
 * this adds the trial → vector and reference-point steps for trials streamed before the run ends.
 * On a finished search it equals runSearch's `front` and `hypervolume` (session.test.ts checks it).
 */
export function summarize(trials: readonly Trial[], objectives: readonly (string | ObjectiveSpec)[], reference?: readonly number[]): SearchSummary {
  const objs = norm(objectives);
  const minimised = (t: Trial) =>
    objs.map((o) => {
      const x = t.metrics[o.metric];
      if (typeof x !== 'number') throw new SearchError(`objectives.${o.metric}`, `trial ${t.id} has no metric ${JSON.stringify(o.metric)}`);
      const y = o.direction === 'max' ? -x : x;
      return Number.isNaN(y) ? Infinity : y;
    });
  const fid: Fidelity = trials.some((t) => t.fidelity === 'full') ? 'full' : 'proxy';
  const vecs = trials.map((t) => (t.fidelity === fid && t.feasible ? minimised(t) : null));
  const scored = vecs.filter((v): v is number[] => v !== null);
  let ref: number[] | null = null;
  if (objs.length <= 3 && scored.length) {
    ref = reference
      ? reference.map((r, i) => (objs[i].direction === 'max' ? -r : r))
      : objs.map((_, i) => {
          const worst = Math.max(...scored.map((v) => v[i]).filter(Number.isFinite));
          return worst + Math.max(Math.abs(worst) * 0.1, 1e-12);
        });
  }
  const s = summarise(vecs, ref);
  return {
    front: s.front.map((i) => trials[i].id),
    hypervolume: ref && s.hypervolume ? { value: s.hypervolume.value, reference_point: ref.map((r, i) => (objs[i].direction === 'max' ? -r : r)), history: s.hypervolume.history } : null,
  };
}

export interface ResumableSearchOptions extends Omit<SearchOptions, 'onProgress'> {
  /** Evaluations of an earlier run of this same search, by evaluationKey: returned as they are, never re-run. */
  readonly known?: Iterable<readonly [string, Metrics]>;
  /** Awaited before every evaluation that is not replayed (a pending promise pauses the search). */
  readonly gate?: () => Promise<void> | void;
  /** A new evaluation finished (not a replayed one): record it to resume later. */
  readonly onEvaluation?: (key: string, metrics: Metrics) => void;
  /** A batch finished: every trial so far, with the front and hypervolume. */
  readonly onBatch?: (trials: readonly Trial[], summary: SearchSummary) => void;
  /** Reference designs scored before the trials, at `baselineFidelity` (default 'full'). */
  readonly baselines?: readonly Baseline[];
  readonly baselineFidelity?: Fidelity;
  readonly onBaseline?: (r: BaselineResult) => void;
  /**
   * Fix the hypervolume reference point from the space's uniform designs (baselines.ts's rule, the
   * CLI's) instead of the worst value seen, so the hypervolume curve does not rescale as trials
   * arrive and runs compare. The uniform designs are scored first at `baselineFidelity`; seeded
   * strategies (seeded.ts) ask them as their first trials, which the cache then answers. Ignored
   * when `reference` is given, with more than 3 objectives, or when an objective is not finite on
   * any of them (the default rule applies).
   */
  readonly uniformReference?: boolean;
}

export interface ResumableSearchResult extends SearchResult {
  readonly baselines: BaselineResult[];
  /** Evaluations answered from `known` instead of being run. */
  readonly replayed: number;
}

export async function runResumableSearch(opts: ResumableSearchOptions): Promise<ResumableSearchResult> {
  const known = new Map(opts.known ?? []);
  let replayed = 0;
  const inner = opts.evaluate;
  const evaluate: Evaluate = async (config, fidelity, parallelism = {}) => {
    const key = evaluationKey(fidelity, config, parallelism);
    const hit = known.get(key);
    if (hit) {
      replayed++;
      return hit;
    }
    await opts.gate?.();
    const m = await inner(config, fidelity, parallelism);
    // a later identical request (a baseline equal to a trial, a replayed run) reuses it
    known.set(key, m);
    opts.onEvaluation?.(key, m);
    return m;
  };
  const baselines: BaselineResult[] = [];
  const bf = opts.baselineFidelity ?? 'full';
  for (const b of opts.baselines ?? []) {
    const metrics = await evaluate(b.config, bf, {});
    const r: BaselineResult = { name: b.name, config: b.config, fidelity: bf, metrics };
    baselines.push(r);
    opts.onBaseline?.(r);
  }
  let reference = opts.reference;
  const objs = norm(opts.objectives);
  if (opts.uniformReference && !reference && objs.length <= 3) {
    const vecs: number[][] = [];
    for (const g of uniformGenomes(opts.space)) {
      const d = opts.space.toDesign(g);
      const m = await evaluate(d.config, bf, d.parallelism);
      vecs.push(
        objs.map((o) => {
          const x = m[o.metric];
          const y = typeof x === 'number' ? (o.direction === 'max' ? -x : x) : NaN;
          return Number.isNaN(y) ? Infinity : y;
        }),
      );
    }
    try {
      reference = referenceFromBaselines(vecs).map((r, i) => (objs[i].direction === 'max' ? -r : r));
    } catch {
      // an objective not finite on any uniform design: the default (worst seen) rule
    }
  }
  const { known: _k, gate: _g, onEvaluation: _e, onBatch, baselines: _b, baselineFidelity: _f, onBaseline: _o, uniformReference: _u, ...search } = opts;
  const result = await runSearch({
    ...search,
    ...(reference ? { reference } : {}),
    evaluate,
    onProgress: onBatch ? (trials) => onBatch(trials.slice(), summarize(trials, opts.objectives, reference)) : undefined,
  });
  return { ...result, baselines, replayed };
}
