/** src/core/tensors — seeded test tensors (ring 1: plain TypeScript, runs in Node, workers and the page). */
export type { GenSettings, TensorDist, Rng } from './generate';
export { TENSOR_DISTS, GEN_LIMITS, DEFAULT_DF, DEFAULT_OUTLIER_RATE, DEFAULT_OUTLIER_SCALE, makeRng, makeNormal, checkGenSettings, generateTensor } from './generate';
export type { ParsedNumbers } from './parse';
export { parseNumbers, NumberParseError, MAX_PASTED } from './parse';
