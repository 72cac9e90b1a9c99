/**
 * src/core/search — mixed-precision search over the graph's quant points: the space (menus of
 * formats per point, tied across blocks or per op kind), strategies (random, NSGA-II, MOTPE-style
 * TPE, sensitivity-guided greedy), the driver (proxy → full successive halving, cache by config
 * hash), Pareto fronts and exact hypervolume. See README.md.
 */
export type { Vec } from './pareto';
export { dominates, nonDominatedSort, ranks, paretoFront, crowdingDistance, hypervolume, hypervolumeHistory } from './pareto';
export type { Tie, SpaceSpec, Genome, Gene, Design, SearchSpace } from './space';
export { TIES, DEFAULT_SPACE_SPEC, SpaceError, parseSpaceSpec, buildSpace, checkGenome, configKey, configHash, designHash } from './space';
export type { Strategy, StrategyContext, TrialResult, Nsga2Options, TpeOptions, GreedyOptions } from './strategies';
export { randomStrategy, nsga2Strategy, tpeStrategy, tpeGamma, greedyStrategy, rankResults, orderByRank } from './strategies';
export type { Fidelity, Metrics, Evaluate, ObjectiveSpec, ConstraintSpec, StrategySpec, SearchOptions, Trial, SearchResult } from './search';
export { SearchError, makeStrategy, violation, runSearch, summarise } from './search';
export { uniformGenomes, referenceFromBaselines } from './baselines';
export type { EmulatorLike, EvaluatorOptions } from './evaluator';
export { makeEvaluator, makeCostMetrics, sensitivityTable, COST_METRICS } from './evaluator';
