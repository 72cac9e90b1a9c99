/**
 * src/core/kernels — loaders and typed wrappers for the WASM kernels in workers/kernels (ring 1:
 * the caller injects the kernel bytes). Each kernel has a TypeScript twin in src/core/formats and a
 * differential test here. See README.md.
 */
export type { KernelFlavor, KernelBytesSource, KernelModule, WasmBytes } from './loader';
export { KernelError, detectFlavor, hasWasmSimd, instantiateKernel } from './loader';
export type { QuantKernels, QuantKernelOptions, EncodeOptions, QuantSums } from './quantize';
export { loadQuantKernels } from './quantize';

export type { AttentionFormats, AttentionHead, AttentionLayer, EncodedGemm, EncodeGemmFix, EncodeGemmsFix, EncodeGluFix, EncodeStats, GemmFlavor, GemmKernel, GemmKernelOptions, GemmPath, GemmPlan, GemmPlanInfo, SoftmaxGemmFix } from './gemm';
export { GemmKernelError, loadGemmKernel } from './gemm';
export { rmsNormKernelArgs, type FixedKernel } from './fixed';

export type { F32GemmKernel } from './f32gemm';
export type { FloatKernel } from './float';
export { loadF32GemmKernel } from './f32gemm';
