// Weight rounding beyond the format's round-to-nearest: GPTQ (see gptq.ts, model.ts).
export { RoundingError, accumulateHessian, symmetrize, gptqRound, gptqSupports } from './gptq';
export type { GptqOptions, GptqResult } from './gptq';
export { calibrationHessians, GptqRounder, HessianAccumulator } from './model';
export type { Hessians, RoundedModel } from './model';
