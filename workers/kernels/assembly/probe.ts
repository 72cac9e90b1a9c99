// Tiny probe kernel: reports which SIMD flavor this build was compiled for (used by the loader's self-check).
export function flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : 1;
}
