export type { Strategy, StrategyContext, TrialResult } from './types';
export { rankResults, orderByRank } from './types';
export { randomStrategy } from './random';
export { nsga2Strategy, type Nsga2Options } from './nsga2';
export { tpeStrategy, tpeGamma, type TpeOptions } from './tpe';
export { greedyStrategy, type GreedyOptions } from './greedy';
