/**
 * src/core/datapath — what the generated hardware computes, as readable TypeScript: the integer
 * block GEMM over encoded MX / MXInt / BFP / fixed-point operands, exact and rounded once; the
 * float32 GEMM of the emulator's float modes; ACT fixed point and the fixed-point non-GEMM ops
 * (fixed.ts, tables in fixedTables.ts). The WASM kernels are tested bit for bit against the GEMMs,
 * the RTL components fx_*.sv against fixed.ts. See README.md.
 */
export type { GemmBLayout, GemmOptions, GemmOperand, GemmProblem } from './gemm';
export { blockGemm, bigToFloat32, gemmProblem, blockExp, codeAt } from './gemm';
export type { F32Gemm, F32GemmB, F32GemmLayout } from './f32gemm';
export { f32gemm, f32gemmPrepared, prepareF32GemmB, f32gemmTwin, F32_CANONICAL_NAN, F32GEMM_MAX_DIM } from './f32gemm';
export type { ActFormat } from './act';
export { DEFAULT_ACT, actMax, fix, fixInt, roundHalfEven } from './act';
export { checkAct } from './fixed';
export type { FxNormParams, FxRopeTables, NormScale } from './fixed';
export {
  fxAdd, fxMul, fxRelu, fxSilu, fxGeluNew, fxGelu, fxActivation, fxNormParams, fxRmsNorm, fxLayerNorm, normScale, normH, fxSoftmaxRow, fxCausalSoftmax,
  fxRopeTables, fxRope, fxTable, fxEmbedding, rhu, mulRhu, isqrt, attentionScaleConst, softmaxScaleConst,
  GELU_CLAMP, NORM_U_F, NORM_EPS_X, NORM_W_W, NORM_W_F_MAX, SOFTMAX_R_BITS, ROPE_F,
} from './fixed';
export { sigmoidTable, normCdfTable, exp2Table, geluNewConsts, CDF_F, CDF_N, CDF_STEP_LOG2, EXP2_F, EXP2_IDX_BITS, GELU_C_F, SOFTMAX_C_F } from './fixedTables';
