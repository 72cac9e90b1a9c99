/**
 * src/core/datapath — what the generated hardware computes, as readable TypeScript: the integer
 * block GEMM over encoded MX / MXInt / BFP / fixed-point operands, exact and rounded once.
 * The WASM kernel (src/core/kernels/gemm.ts) is tested bit for bit against it. See README.md.
 */
export type { GemmBLayout, GemmOptions, GemmOperand, GemmProblem } from './gemm';
export { blockGemm, bigToFloat32, gemmProblem, blockExp, codeAt } from './gemm';
