/**
 * src/core/emulate — the forward pass of a loaded model with MX quantization at the graph's quant
 * points (fp32, fake-quant and the bit-exact integer datapath), and its evaluation: perplexity,
 * accuracy, KL to fp32, per-point SQNR, incremental re-evaluation and per-point sensitivity.
 * See README.md.
 */
export type { EvalMode, EmulatorKernels, EmulatorOptions, EvalOptions, EvalResult, PointStats, AbortSignalLike, WeightSource } from './types';
export { EVAL_MODES, EmulatorError } from './types';
export { Emulator } from './emulator';
export type { RunSpec, RunOptions, RunResult, HwTrace } from './forward';
export { Forward } from './forward';
export { tsF32Gemm } from './linalg';
export { integerBlocker } from './quant';
