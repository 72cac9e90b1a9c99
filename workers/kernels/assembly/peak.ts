// The WASM SIMD ceiling the GEMM benchmark divides by (perf-baselines.md §4): integer dot
// instructions with 8 independent accumulator chains that stay in registers, no memory traffic.
// Each chain feeds its own accumulator back as an operand, so no compiler can hoist the dot out
// of the loop as loop-invariant; with 8 chains the dot latency is hidden and throughput is measured.

/** Plain SIMD: `iters` × 8 × (i32x4.dot_i16x8_s + i32x4.add) = iters · 64 i16 MACs. */
export function peakDot16(iters: i32, seed: i32): i32 {
  const y = i16x8.splat(<i16>(seed | 1));
  let a0 = i32x4.splat(seed);
  let a1 = i32x4.splat(seed + 1);
  let a2 = i32x4.splat(seed + 2);
  let a3 = i32x4.splat(seed + 3);
  let a4 = i32x4.splat(seed + 4);
  let a5 = i32x4.splat(seed + 5);
  let a6 = i32x4.splat(seed + 6);
  let a7 = i32x4.splat(seed + 7);
  for (let i = 0; i < iters; i++) {
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(a0, y));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(a1, y));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(a2, y));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(a3, y));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(a4, y));
    a5 = i32x4.add(a5, i32x4.dot_i16x8_s(a5, y));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(a6, y));
    a7 = i32x4.add(a7, i32x4.dot_i16x8_s(a7, y));
  }
  const s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
}

/**
 * Relaxed SIMD: `iters` × 8 × i32x4.relaxed_dot_i8x16_i7x16_add_s = iters · 128 i8 MACs.
 * Returns −1 in the plain build (the instruction does not exist there).
 */
export function peakRelaxedDot(iters: i32, seed: i32): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const y = i8x16.splat(<i8>((seed & 63) | 1)); // 7-bit, non-negative: deterministic everywhere
    let a0 = i32x4.splat(seed);
    let a1 = i32x4.splat(seed + 1);
    let a2 = i32x4.splat(seed + 2);
    let a3 = i32x4.splat(seed + 3);
    let a4 = i32x4.splat(seed + 4);
    let a5 = i32x4.splat(seed + 5);
    let a6 = i32x4.splat(seed + 6);
    let a7 = i32x4.splat(seed + 7);
    for (let i = 0; i < iters; i++) {
      a0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a0, y, a0);
      a1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a1, y, a1);
      a2 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a2, y, a2);
      a3 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a3, y, a3);
      a4 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a4, y, a4);
      a5 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a5, y, a5);
      a6 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a6, y, a6);
      a7 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a7, y, a7);
    }
    const s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7)));
    return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
  }
  return -1;
}

/** Same chains, f64x2 mul+add (plain) or relaxed_madd (relaxed): iters · 16 f64 MACs. For context only. */
export function peakF64(iters: i32, seed: f64): f64 {
  const y = f64x2.splat(0.5);
  const z = f64x2.splat(seed);
  let a0 = f64x2.splat(seed);
  let a1 = f64x2.splat(seed + 1);
  let a2 = f64x2.splat(seed + 2);
  let a3 = f64x2.splat(seed + 3);
  let a4 = f64x2.splat(seed + 4);
  let a5 = f64x2.splat(seed + 5);
  let a6 = f64x2.splat(seed + 6);
  let a7 = f64x2.splat(seed + 7);
  for (let i = 0; i < iters; i++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      a0 = f64x2.relaxed_madd(a0, y, z);
      a1 = f64x2.relaxed_madd(a1, y, z);
      a2 = f64x2.relaxed_madd(a2, y, z);
      a3 = f64x2.relaxed_madd(a3, y, z);
      a4 = f64x2.relaxed_madd(a4, y, z);
      a5 = f64x2.relaxed_madd(a5, y, z);
      a6 = f64x2.relaxed_madd(a6, y, z);
      a7 = f64x2.relaxed_madd(a7, y, z);
    } else {
      a0 = f64x2.add(f64x2.mul(a0, y), z);
      a1 = f64x2.add(f64x2.mul(a1, y), z);
      a2 = f64x2.add(f64x2.mul(a2, y), z);
      a3 = f64x2.add(f64x2.mul(a3, y), z);
      a4 = f64x2.add(f64x2.mul(a4, y), z);
      a5 = f64x2.add(f64x2.mul(a5, y), z);
      a6 = f64x2.add(f64x2.mul(a6, y), z);
      a7 = f64x2.add(f64x2.mul(a7, y), z);
    }
  }
  const s = f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
