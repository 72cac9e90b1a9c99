// The float32 GEMM kernel for the emulator's fp32 and fake-quant paths. Readable specification:
// src/core/datapath/f32gemm.ts (f32gemm); the wrapper src/core/kernels/f32gemm.ts copies the
// operands in, packs them, runs gemm() and is tested bit for bit against the twin in
// src/core/kernels/f32gemm.test.ts.
//
// What is computed (the fixed summation order, identical in both builds and on every engine):
//
//   C[i,j] = (…((p_0 + p_1) + p_2) + … ) + p_{K−1},   p_k = fl32(a[i,k] · b[k,j])
//
// one float32 accumulator per output, the products added strictly in k order, each product and each
// sum rounded to float32 (round to nearest even, subnormals kept). Plain f32x4.mul then f32x4.add:
// never relaxed_madd, whose fused/unfused choice is up to the engine. The accumulator starts at −0,
// the exact identity of IEEE addition (−0 + x = x for every x, +0 and −0 included), so the result
// is the sequential sum of the products itself; K = 0 is left to the wrapper (+0). NaN outputs are
// written as the canonical quiet NaN 0x7fc00000 (WebAssembly leaves a NaN's sign and payload to
// the engine, so they are normalised at the store).
//
// Vectorised along the output columns: a register tile is MR = 4 rows × NR = 8 columns (8 f32x4
// accumulators, 2 B vectors, the 4 broadcast A values and a product: 15 of V8's 15 allocatable
// x64 vector registers). Each lane is its own output, so no reduction and no reassociation. Per
// k-step: 2 loads of B, 4 load32_splat of A, 8 mul, 8 add.
//   A packed: [tiles][K][MR]       (row tile t, then k, then the 4 rows; rows ≥ M are zero)
//   B packed: [panels][K][NR]      (column panel p, then k, then the 8 columns; columns ≥ N are zero)
//   C:        [tiles·MR][ldc]      (ldc ≥ panels·NR; the padding rows/columns are scratch)
// Cache blocking: K in blocks of KC (the B panel block, KC·32 bytes, stays in L1), row tiles in
// blocks of ≈ ABLOCK bytes of packed A (L2). Between K blocks the accumulators go through C as
// float32 and come back unchanged, so blocking does not change the order of the sum.
//
// Why the loops look the way they do (V8 TurboFan on x64, measured on Zen 3): a do-while on the B
// pointer (no separate counter) is ≈ 10% faster than a counted for loop; 4×8 is the largest tile
// that does not spill (TurboFan hoists all broadcasts of a step to its top, so 5×8, 6×8 and 4×12
// spill and run at 55–75%); unrolling k by 2 spills too; pre-broadcast A (v128 loads instead of
// load32_splat) is faster on L1-resident data but not in the GEMM (4× the A traffic).

export { alloc, reset } from './_alloc';
// The float64 element-wise ops of fp32/fake mode around the GEMM (softmax, SiLU, the evaluation's
// per-row log-sum-exp and KL, all on fdlibm's exp = Math.exp): see _float.ts and src/core/kernels/float.ts.
export { exp_f64, softmax_causal, silu_f32, logit_rows, kl_rows } from './_float';

/** 1 = plain SIMD build, 2 = relaxed-SIMD build (both compute the same bits: no relaxed op is used). */
export function flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : 1;
}

const MR: i32 = 4;
const NR: i32 = 8;
/** K-steps per cache block (the B panel block is KC·NR·4 = 16 KiB). */
const KC: i32 = 512;
/** Bytes of packed A per row-tile block. */
const ABLOCK: i32 = 256 * 1024;

/** Tile geometry the wrapper packs for: 0 → MR (rows), 1 → NR (columns). */
export function geometry(which: i32): i32 {
  return which == 0 ? MR : NR;
}

// ----------------------------------------------------------------------------- packing

/** [a0 a1 a2 a3], [b0..], [c0..], [d0..] → column j of the 4×4 block, j = 0..3. */
@inline function tr0(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i64x2.shuffle(i32x4.shuffle(x0, x1, 0, 4, 1, 5), i32x4.shuffle(x2, x3, 0, 4, 1, 5), 0, 2);
}
@inline function tr1(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i64x2.shuffle(i32x4.shuffle(x0, x1, 0, 4, 1, 5), i32x4.shuffle(x2, x3, 0, 4, 1, 5), 1, 3);
}
@inline function tr2(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i64x2.shuffle(i32x4.shuffle(x0, x1, 2, 6, 3, 7), i32x4.shuffle(x2, x3, 2, 6, 3, 7), 0, 2);
}
@inline function tr3(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i64x2.shuffle(i32x4.shuffle(x0, x1, 2, 6, 3, 7), i32x4.shuffle(x2, x3, 2, 6, 3, 7), 1, 3);
}

/**
 * Pack `rows` rows of a row-major float32 matrix (row r at src + 4·r·K) into groups of G rows:
 * element (r, k) → dst[((⌊r/G⌋·K + k)·G + r%G)], rows past `rows` in the last group are zero.
 * G is MR (A) or NR (B given as [N, K]). 4×4 transposes for the full groups.
 */
function packRows(src: usize, rows: i32, K: i32, G: i32, dst: usize): void {
  const groups = (rows + G - 1) / G;
  const rs = <usize>K << 2;
  const K4 = K & ~3;
  const gs = <usize>G << 2; // bytes per k-step of a group
  for (let g = 0; g < groups; g++) {
    const r0 = g * G;
    const out = dst + <usize>g * <usize>K * gs;
    if (r0 + G <= rows) {
      // full group: 4 rows × 4 k at a time
      for (let q = 0; q < G; q += 4) {
        const p0 = src + <usize>(r0 + q) * rs;
        const p1 = p0 + rs;
        const p2 = p1 + rs;
        const p3 = p2 + rs;
        let o = out + (<usize>q << 2);
        let k = 0;
        for (; k < K4; k += 4) {
          const off = <usize>k << 2;
          const x0 = v128.load(p0 + off);
          const x1 = v128.load(p1 + off);
          const x2 = v128.load(p2 + off);
          const x3 = v128.load(p3 + off);
          v128.store(o, tr0(x0, x1, x2, x3));
          v128.store(o + gs, tr1(x0, x1, x2, x3));
          v128.store(o + 2 * gs, tr2(x0, x1, x2, x3));
          v128.store(o + 3 * gs, tr3(x0, x1, x2, x3));
          o += 4 * gs;
        }
        for (; k < K; k++) {
          const off = <usize>k << 2;
          v128.store(o, f32x4(load<f32>(p0 + off), load<f32>(p1 + off), load<f32>(p2 + off), load<f32>(p3 + off)));
          o += gs;
        }
      }
    } else {
      // the last, partial group: element by element, zeros past the last row
      for (let k = 0; k < K; k++) {
        const o = out + <usize>k * gs;
        for (let q = 0; q < G; q++) {
          const r = r0 + q;
          store<f32>(o + (<usize>q << 2), r < rows ? load<f32>(src + <usize>r * rs + (<usize>k << 2)) : 0);
        }
      }
    }
  }
}

/** A [M, K] row-major → [tiles][K][MR]. */
export function packA(src: usize, M: i32, K: i32, dst: usize): void {
  packRows(src, M, K, MR, dst);
}

/**
 * B → [panels][K][NR]. nk = 0: B is [K, N] row-major (a matmul operand); nk = 1: B is [N, K]
 * row-major (an nn.Linear weight), i.e. column j of the product is row j of src.
 */
export function packB(src: usize, K: i32, N: i32, nk: i32, dst: usize): void {
  if (nk) {
    packRows(src, N, K, NR, dst);
    return;
  }
  const panels = (N + NR - 1) / NR;
  const rs = <usize>N << 2;
  for (let p = 0; p < panels; p++) {
    const j0 = p * NR;
    let o = dst + <usize>p * <usize>K * <usize>(NR << 2);
    if (j0 + NR <= N) {
      let s = src + (<usize>j0 << 2);
      for (let k = 0; k < K; k++) {
        v128.store(o, v128.load(s));
        v128.store(o, v128.load(s, 16), 16);
        s += rs;
        o += <usize>(NR << 2);
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let q = 0; q < NR; q++) {
          const j = j0 + q;
          store<f32>(o + (<usize>q << 2), j < N ? load<f32>(src + <usize>k * rs + (<usize>j << 2)) : 0);
        }
        o += <usize>(NR << 2);
      }
    }
  }
}

// ----------------------------------------------------------------------------- the micro-kernel

/** Lanes that are NaN become the canonical quiet NaN 0x7fc00000; the others pass unchanged. */
@inline function canon(x: v128, qnan: v128): v128 {
  return v128.bitselect(qnan, x, f32x4.ne(x, x));
}

@inline function madd(c: v128, a: v128, b: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b)); // two roundings, in this order, on every engine
}

/**
 * One MR×NR tile over kc ≥ 1 k-steps: pa → [kc][MR] floats, pb → [kc][NR] floats, c → the tile's
 * top-left output (row stride ldc floats). first: start from −0, else continue from the float32
 * values in C (the previous K block of the same sums).
 */
@inline function tile(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, first: bool): void {
  const r = <usize>ldc << 2;
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (first) {
    const z = f32x4.splat(-0.0);
    c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + r); c11 = v128.load(c + r, 16);
    c20 = v128.load(c + 2 * r); c21 = v128.load(c + 2 * r, 16);
    c30 = v128.load(c + 3 * r); c31 = v128.load(c + 3 * r, 16);
  }
  const end = pb + (<usize>kc << 5);
  do {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    pa += 16;
    pb += 32;
  } while (pb < end);
  const q = i32x4.splat(0x7fc00000);
  v128.store(c, canon(c00, q)); v128.store(c, canon(c01, q), 16);
  v128.store(c + r, canon(c10, q)); v128.store(c + r, canon(c11, q), 16);
  v128.store(c + 2 * r, canon(c20, q)); v128.store(c + 2 * r, canon(c21, q), 16);
  v128.store(c + 3 * r, canon(c30, q)); v128.store(c + 3 * r, canon(c31, q), 16);
}

/**
 * C = A·B for packed A (M rows, K ≥ 1) and packed B (N columns): C [⌈M/MR⌉·MR][ldc] float32,
 * ldc ≥ ⌈N/NR⌉·NR. See the header for the order of the sums and the cache blocking.
 */
export function gemm(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, ldc: i32): void {
  const tiles = (M + MR - 1) / MR;
  const panels = (N + NR - 1) / NR;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const tb = max(1, ABLOCK / (kc * MR * 4)); // row tiles per block
    for (let t0 = 0; t0 < tiles; t0 += tb) {
      const t1 = min(tiles, t0 + tb);
      for (let p = 0; p < panels; p++) {
        const pb = B + (<usize>(p * K + k0) * <usize>NR << 2);
        for (let t = t0; t < t1; t++) {
          const pa = A + (<usize>(t * K + k0) * <usize>MR << 2);
          const c = C + (<usize>(t * MR * ldc + p * NR) << 2);
          if (k0 == 0) tile(pa, pb, kc, c, ldc, true);
          else tile(pa, pb, kc, c, ldc, false);
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------- ceilings for the benchmark

/**
 * Throughput ceiling of plain f32x4 mul and add, in registers: 7 independent mul chains (x·x) and
 * 7 add chains (x + x), no loop invariants (V8 re-materialises hoisted constants inside loops).
 * iters · 14 vector ops = iters · 56 FLOP. A GEMM built from mul + add can at most reach this.
 */
export function peakThroughput(iters: i32, seed: f32): f32 {
  let m0 = f32x4.splat(seed), m1 = f32x4.splat(seed + 1), m2 = f32x4.splat(seed + 2), m3 = f32x4.splat(seed + 3);
  let m4 = f32x4.splat(seed + 4), m5 = f32x4.splat(seed + 5), m6 = f32x4.splat(seed + 6);
  let a0 = f32x4.splat(seed), a1 = f32x4.splat(seed + 1), a2 = f32x4.splat(seed + 2), a3 = f32x4.splat(seed + 3);
  let a4 = f32x4.splat(seed + 4), a5 = f32x4.splat(seed + 5), a6 = f32x4.splat(seed + 6);
  for (let i = 0; i < iters; i++) {
    m0 = f32x4.mul(m0, m0); a0 = f32x4.add(a0, a0);
    m1 = f32x4.mul(m1, m1); a1 = f32x4.add(a1, a1);
    m2 = f32x4.mul(m2, m2); a2 = f32x4.add(a2, a2);
    m3 = f32x4.mul(m3, m3); a3 = f32x4.add(a3, a3);
    m4 = f32x4.mul(m4, m4); a4 = f32x4.add(a4, a4);
    m5 = f32x4.mul(m5, m5); a5 = f32x4.add(a5, a5);
    m6 = f32x4.mul(m6, m6); a6 = f32x4.add(a6, a6);
  }
  const m = f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), f32x4.add(f32x4.add(m4, m5), m6));
  const a = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), a6));
  return f32x4.extract_lane(f32x4.add(m, a), 0);
}

/**
 * The loop of perf-baselines.md §4 ("f32x4.mul + f32x4.add, 8 chains, in registers"): 8 chains of
 * x = x·y + z, so each step waits for a mul and an add (latency-bound). iters · 64 FLOP.
 */
export function peakChains(iters: i32, seed: f32): f32 {
  const y = f32x4.splat(0.5);
  const z = f32x4.splat(seed);
  let a0 = f32x4.splat(seed), a1 = f32x4.splat(seed + 1), a2 = f32x4.splat(seed + 2), a3 = f32x4.splat(seed + 3);
  let a4 = f32x4.splat(seed + 4), a5 = f32x4.splat(seed + 5), a6 = f32x4.splat(seed + 6), a7 = f32x4.splat(seed + 7);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, y), z); a1 = f32x4.add(f32x4.mul(a1, y), z);
    a2 = f32x4.add(f32x4.mul(a2, y), z); a3 = f32x4.add(f32x4.mul(a3, y), z);
    a4 = f32x4.add(f32x4.mul(a4, y), z); a5 = f32x4.add(f32x4.mul(a5, y), z);
    a6 = f32x4.add(f32x4.mul(a6, y), z); a7 = f32x4.add(f32x4.mul(a7, y), z);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0);
}

/**
 * The GEMM's own 4×8 micro-kernel on L1-resident operands: `reps` passes of the tile loop over
 * 64 k-steps of packed A (1 KiB at pa) and B (2 KiB at pb), accumulating in registers.
 * reps · 64 · 64 FLOP. The ratio GEMM ÷ this is what blocking, packing and tile edges cost.
 */
export function peakTile(reps: i32, pa0: usize, pb0: usize): f32 {
  const z = f32x4.splat(-0.0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  for (let i = 0; i < reps; i++) {
    let pa = pa0;
    let pb = pb0;
    const end = pb0 + 64 * 32;
    do {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let a = v128.load32_splat(pa);
      c00 = madd(c00, a, b0);
      c01 = madd(c01, a, b1);
      a = v128.load32_splat(pa, 4);
      c10 = madd(c10, a, b0);
      c11 = madd(c11, a, b1);
      a = v128.load32_splat(pa, 8);
      c20 = madd(c20, a, b0);
      c21 = madd(c21, a, b1);
      a = v128.load32_splat(pa, 12);
      c30 = madd(c30, a, b0);
      c31 = madd(c31, a, b1);
      pa += 16;
      pb += 32;
    } while (pb < end);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c00, c01), f32x4.add(c10, c11)), f32x4.add(f32x4.add(c20, c21), f32x4.add(c30, c31)));
  return f32x4.extract_lane(s, 0);
}
