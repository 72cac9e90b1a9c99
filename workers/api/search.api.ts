/**
 * The one contract of workers/search.worker.ts, shared by the worker (ring 2) and the UI's
 * src/services/searchClient.ts (ring 3). Types only: importing this file costs nothing at runtime.
 *
 * Who does what:
 *   - the search worker runs the search driver (core's runResumableSearch over runSearch), the
 *     strategies, the cost model and the Pareto / hypervolume bookkeeping;
 *   - forward passes are asked of the page (`SearchHost.evaluate` / `.sensitivity`), which runs them
 *     on the emulate worker pool — the model the studio has loaded, split by token ranges over every
 *     core — so a trial's accuracy is the number the Layers pane shows for the same config and budget.
 *
 * Progress reaches the page at most 10 times a second (`SearchHost.update`); cancel terminates the
 * worker. Everything needed to resume after a reload travels in the updates (new evaluations, the
 * greedy sensitivity table) and comes back in `SearchRequest.known` / `.sensitivity`.
 */
import type { CostOptions } from '../../src/core/cost';
import type { QuantConfig } from '../../src/core/graph';
import type { ModelConfig } from '../../src/core/model/types';
import type { ConstraintSpec, Metrics, ObjectiveSpec, SpaceSpec, Trial } from '../../src/core/search';
import type { BaselineResult, SearchSummary } from '../../src/core/search/session';
import type { EvalMode, EvalResult } from './emulate.api';

export type { BaselineResult, ConstraintSpec, Metrics, ObjectiveSpec, SearchSummary, SpaceSpec, Trial };

export type StrategyName = 'nsga2' | 'tpe' | 'random' | 'greedy';

export interface SearchRequest {
  /** The loaded model's normalised config: the worker rebuilds the graph with core's buildGraph. */
  modelConfig: ModelConfig;
  space: SpaceSpec;
  objectives: ObjectiveSpec[];
  constraints: ConstraintSpec[];
  strategy: StrategyName;
  budget: number;
  seed: number;
  batch: number;
  /** Successive halving: fraction of each batch re-run at full fidelity (absent: every trial full). */
  promote?: number;
  /** How the emulator scores a config. */
  evaluation: { mode: Exclude<EvalMode, 'fp32'>; proxyTokens: number; fullTokens: number; window: number };
  cost: CostOptions;
  /** Reference designs scored by the same evaluator before the trials. */
  baselines: { name: string; config: QuantConfig }[];
  /** Evaluations of this run recorded before (resume): [evaluationKey, metrics]. */
  known: [string, Metrics][];
  /** Greedy: the sensitivity table recorded before (resume), [gene][choice]. */
  sensitivity?: number[][];
}

/** What the run is doing now. */
export type SearchPhase = 'starting' | 'sensitivity' | 'baselines' | 'trials' | 'paused';

/** Coalesced progress: everything since the previous update. */
export interface SearchUpdate {
  phase: SearchPhase;
  /** Trials finished since the previous update (batch by batch; a resumed run re-emits its replayed trials first). */
  trials: Trial[];
  /** Evaluations run (not replayed) since the previous update: record them to resume later. */
  evaluations: [string, Metrics][];
  /** Baselines scored since the previous update. */
  baselines: BaselineResult[];
  /** Greedy's sensitivity table once computed. */
  sensitivity?: number[][];
  /** Front and hypervolume over every trial so far (absent: no batch finished yet). */
  summary?: SearchSummary;
  /** Counts so far: trials finished, evaluations run and replayed (this session). */
  counts: { trials: number; run: number; replayed: number };
}

export interface SearchOutcome {
  trials: number;
  front: number[];
  hypervolume: SearchSummary['hypervolume'];
  evaluations: { proxy: number; full: number };
  replayed: number;
}

/** The page's side, passed to `start` as a comlink proxy. */
export interface SearchHost {
  /** Score a config on the first `maxTokens` tokens of the evaluation text (mode 'fp32' = the baseline). */
  evaluate(config: QuantConfig, opts: { mode: EvalMode; window: number; maxTokens: number; reference?: boolean }): Promise<EvalResult>;
  /** Δ loss per point with each point alone at `spec` on top of `base`. */
  sensitivity(base: QuantConfig, spec: string, opts: { mode: EvalMode; window: number; maxTokens: number }): Promise<{ point: string; deltaLoss: number }[]>;
  /** Progress, at most 10 times a second, and once more before `start` settles. */
  update(u: SearchUpdate): void;
}

export interface SearchApi {
  /** Run (or resume) a search to the end. Rejects with the driver's or the evaluator's error. One search per worker. */
  start(req: SearchRequest, host: SearchHost): Promise<SearchOutcome>;
  /** Hold before the next evaluation (the one in flight finishes and is recorded). */
  pause(): void;
  resume(): void;
}
