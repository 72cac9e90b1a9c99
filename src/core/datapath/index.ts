/**
 * src/core/datapath — what the generated hardware computes, as readable TypeScript: the integer
 * block GEMM over encoded MX / MXInt / BFP / fixed-point operands, exact and rounded once.
 * The WASM kernel (src/core/kernels/gemm.ts) is tested bit for bit against it. See README.md.
 */
export type { GemmBLayout, GemmOptions, GemmOperand, GemmProblem } from './gemm';
export { blockGemm, bigToFloat32, gemmProblem, blockExp, codeAt } from './gemm';
export type { F32Gemm, F32GemmB, F32GemmLayout } from './f32gemm';
export { f32gemm, f32gemmPrepared, prepareF32GemmB, f32gemmTwin, F32_CANONICAL_NAN, F32GEMM_MAX_DIM } from './f32gemm';
export type { ActFormat } from './act';
export { DEFAULT_ACT, actMax, fix, fixInt, roundHalfEven } from './act';
