// The integer block GEMM kernel. Readable specification: src/core/datapath/gemm.ts (blockGemm);
// the wrapper src/core/kernels/gemm.ts prepares the operands, picks a path, and is tested bit for
// bit against the twin in src/core/kernels/gemm.test.ts.
//
// What is computed: C[i,j] = RNE_f32( Σ_k a[i,k]·b[j,k] ), exactly, where a and b are integer
// codes times per-block powers of two. Four paths, each exact by construction or by a bound the
// wrapper checks before it uses it:
//
//  gemmI16   codes in i16, K cut into segments whose codes the wrapper has pre-shifted onto one
//            exponent per (row, segment). Within a segment the i32 lane sums are exact (the wrapper
//            checks seg·max|a|·max|b| < 2^31); at the end of a segment each i32 lane is converted
//            to f64 and multiplied by 2^(ea + eb) (exact) and added to an f64 accumulator. With one
//            segment that is the whole computation; with several, the f64 additions are exact when
//            the wrapper's width bound holds (all partial sums are multiples of one power of two and
//            below 2^53 of it), otherwise it recomputes that output with exactPairs.
//  gemmI8    the same with i16x8.relaxed_dot_i8x16_i7x16_s (relaxed build only): A in i8, B in
//            [0, 127] (the wrapper stores b + β and folds −β·Σa into the accumulator's start).
//            The i7 operand is non-negative, so every engine computes the same result.
//  gemmF64   exact values as f64 (code·2^e is exact in a double), plain f64 products and sums;
//            exact when the wrapper's width bound holds, otherwise exactPairs.
//  exactPairs  a Kulisch accumulator (32-bit digits in i64 limbs over the whole exponent range),
//            one final round-to-nearest-even to float32 with subnormals. Always exact.
//
// Outer-product layout (no horizontal reductions): a register tile is MR rows × NR columns. A is
// packed per row tile as [k-step][MR] groups of 2 (i16) / 4 (i8) consecutive K values, broadcast
// with one load32_splat; B is packed per column panel as [k-step][NR/4] vectors, each holding 4
// columns × 2 (or 4) K values. One dot instruction then yields partial sums of 4 different outputs,
// one per lane, so each lane is an output and the segment end needs no reduction.

// ----------------------------------------------------------------------------- bump allocator

import { blockMaxOr } from './quantize';

export { alloc, reset, mark, release } from './_alloc';

/** dst [R, w] (i32) = columns c0..c0+w of src [R, C]: one attention head of a [T, heads·hd] tensor. */
export function colsI32(src: usize, R: i32, C: i32, c0: i32, w: i32, dst: usize): void {
  for (let r = 0; r < R; r++) memory.copy(dst + (<usize>(r * w) << 2), src + (<usize>(r * C + c0) << 2), <usize>w << 2);
}

/** Columns c0..c0+w of dst [R, C] (i32) = src [R, w]: one head's output into a [T, heads·hd] tensor. */
export function setColsI32(src: usize, R: i32, C: i32, c0: i32, w: i32, dst: usize): void {
  for (let r = 0; r < R; r++) memory.copy(dst + (<usize>(r * C + c0) << 2), src + (<usize>(r * w) << 2), <usize>w << 2);
}

/** dst [w, R] (i32) = columns c0..c0+w of src [R, C], transposed (V_gᵀ). */
export function colsTI32(src: usize, R: i32, C: i32, c0: i32, w: i32, dst: usize): void {
  for (let r = 0; r < R; r++) {
    const s = src + (<usize>(r * C + c0) << 2);
    for (let j = 0; j < w; j++) store<i32>(dst + (<usize>(j * R + r) << 2), load<i32>(s + (<usize>j << 2)));
  }
}

// The fixed-point ops around the GEMM (fix of its output, norms, softmax, RoPE, SiLU, products,
// residual adds) live in the same module: see _fixed.ts and src/core/kernels/fixed.ts.
export { fxFix, fxFixRows, fxToF32, fxAddK, fxMulK, fxSiluK, fxRmsNormK, fxSoftmaxK, fxRopeK } from './_fixed';

// The quantize kernel's encode path (quantize.ts, compiled into this module as well): an activation
// can then be encoded, measured and packed for the GEMM without leaving this module's memory (the
// fused attention path of src/core/kernels/gemm.ts, softmaxGemmFix).
export { mx_quantize, int_quantize, datapath_view, measure_sums_act, act_to_f32 } from './quantize';

/** 1 = plain SIMD build, 2 = relaxed-SIMD build. */
export function flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : 1;
}

// ----------------------------------------------------------------------------- operand packing
//
// An operand arrives as its Encoded.mantissas (f64 integer codes) copied into memory as rows that
// are contiguous along K (row r at src + 8·r·K; a [K, N] operand is transposed first), with
// per-(row, K block) exponents ex (i32 [rows][nb]) and a NaN-row mask (u8 [rows]; those rows are
// skipped, i.e. count as zeros). The wrapper picks the path from blockStats, then packs with
// packCodes or packValues.

/** 2^e as an f64, e in the normal range. */
@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

/** dst [N][K] = transpose of src [K][N] (f64), in 8 × 8 tiles. */
export function transposeF64(src: usize, K: i32, N: i32, dst: usize): void {
  for (let k0 = 0; k0 < K; k0 += 8) {
    const k1 = min(K, k0 + 8);
    for (let j0 = 0; j0 < N; j0 += 8) {
      const j1 = min(N, j0 + 8);
      for (let k = k0; k < k1; k++) {
        for (let j = j0; j < j1; j++) {
          store<f64>(dst + ((<usize>j * <usize>K + <usize>k) << 3), load<f64>(src + ((<usize>k * <usize>N + <usize>j) << 3)));
        }
      }
    }
  }
}


/**
 * An operand's segmentation at segment length len (its TypeScript twin: computeSegmentation in
 * src/core/kernels/gemm.ts), from blockStats' maxc (f64 [rows][nb]) and the block exponents ex
 * (i32 [rows][nb]): per (row, segment) base[r·nseg + g] = the smallest exponent of a block with a
 * non-zero code (untouched for an all-zero segment: the caller zeroes base), and the largest
 * maxc·2^(ex − base) over all blocks, which is returned — or −1 as soon as one exceeds lim.
 */
export function segment(maxc: usize, ex: usize, rows: i32, nb: i32, block: i32, K: i32, len: i32, lim: f64, base: usize): f64 {
  const nseg = (K + len - 1) / len;
  let maxShifted: f64 = 0;
  for (let g = 0; g < nseg; g++) {
    const kb0 = (g * len) / block;
    const kb1 = (min((g + 1) * len, K) - 1) / block;
    for (let r = 0; r < rows; r++) {
      const o = r * nb;
      let b = i32.MAX_VALUE;
      for (let kb = kb0; kb <= kb1; kb++) {
        const e = load<i32>(ex + (<usize>(o + kb) << 2));
        if (e < b && load<f64>(maxc + (<usize>(o + kb) << 3)) != 0) b = e;
      }
      if (b == i32.MAX_VALUE) continue;
      store<i32>(base + (<usize>(r * nseg + g) << 2), b);
      for (let kb = kb0; kb <= kb1; kb++) {
        const mx = load<f64>(maxc + (<usize>(o + kb) << 3));
        if (mx == 0) continue;
        const d = load<i32>(ex + (<usize>(o + kb) << 2)) - b; // ≥ 0
        // mx·2^d exactly (2^d is a normal f64 for d ≤ 1023; beyond, +Inf exceeds every limit)
        const v = d > 1023 ? Infinity : mx * reinterpret<f64>(<u64>(1023 + d) << 52);
        if (v > maxShifted) {
          maxShifted = v;
          if (v > lim) return -1;
        }
      }
    }
  }
  return maxShifted;
}

/** Per (row, K block): the largest |code| (f64 [rows][nb]) and the OR of all |code| as u32 (i32 [rows][nb]). */
export function blockStats(src: usize, rows: i32, K: i32, block: i32, nanRows: usize, maxc: usize, orc: usize): void {
  const nb = (K + block - 1) / block;
  for (let r = 0; r < rows; r++) {
    const skip = load<u8>(nanRows + <usize>r) != 0;
    const row = src + ((<usize>r * <usize>K) << 3);
    for (let kb = 0; kb < nb; kb++) {
      const b = <usize>(r * nb + kb);
      if (skip) {
        store<f64>(maxc + (b << 3), 0);
        store<u32>(orc + (b << 2), 0);
      } else blockMaxOr(row + (<usize>(kb * block) << 3), min(K, kb * block + block) - kb * block, maxc + (b << 3), orc + (b << 2));
    }
  }
}

/**
 * Pack integer codes shifted onto their segment's base exponent, for gemmI16 (wide = 1, i16,
 * step 2) or gemmI8 (wide = 0, i8, step 4). Element (r, k) of segment g goes to
 * ((⌊r/G⌋·kSteps + s)·G + r%G)·step + sub, s = g·segSteps + ⌊o/step⌋, sub = o % step, o = k − g·len
 * (G = MR for the broadcast operand, NR for the panel operand), stored as code·2^(ex − base) + bias.
 * Per (row, segment): scale[(⌊r/G⌋·nseg + g)·G + r%G] = 2^base and, when corr ≠ 0,
 * corr[same] = −beta·Σ shifted codes. dst, scale and corr must be zeroed by the caller.
 * The wrapper guarantees every shifted code (plus bias) fits the lane, so no conversion saturates.
 * lowA = 1 (the broadcast operand only, bias 0): row r's codes beyond k = r are zeros, left as the
 * zeroed dst holds them.
 */
export function packCodes(
  src: usize, rows: i32, K: i32, block: i32, nanRows: usize, ex: usize,
  base: usize, len: i32, nseg: i32, wide: i32, G: i32, bias: i32,
  dst: usize, scale: usize, corr: usize, beta: i32, lowA: i32,
): void {
  const step = wide ? 2 : 4;
  const nb = (K + block - 1) / block;
  const segSteps = (len + step - 1) / step;
  const kSteps = nseg * segSteps;
  const sh = wide ? 1 : 2;
  const mask = step - 1;
  const jump = G * step; // element distance between consecutive K-steps of one row
  const chunk = wide ? 8 : 16; // elements per vector iteration: 4 K-steps either way
  const vbias = i32x4.splat(bias);
  for (let r = 0; r < rows; r++) {
    if (load<u8>(nanRows + <usize>r) != 0) continue;
    const row = src + ((<usize>r * <usize>K) << 3);
    const grp = r / G;
    const rr = r % G;
    for (let g = 0; g < nseg; g++) {
      const b = load<i32>(base + (<usize>(r * nseg + g) << 2));
      const k0 = g * len;
      // lowA: the codes beyond the row's diagonal are zeros (checked by the wrapper); dst is zeroed
      const k1 = lowA ? min(min(K, k0 + len), r + 1) : min(K, k0 + len);
      const idx0 = ((grp * kSteps + g * segSteps) * G + rr) * step;
      let vsum = i32x4.splat(0);
      let sum = 0;
      for (let k = k0; k < k1; ) {
        const kb = k / block;
        const kEnd = min(k1, (kb + 1) * block);
        const shift = load<i32>(ex + (<usize>(r * nb + kb) << 2)) - b;
        // 4 K-steps at a time while aligned to a K-step boundary and inside the block
        while (((k - k0) & mask) == 0 && k + chunk <= kEnd) {
          const p = row + (<usize>k << 3);
          const o = k - k0;
          let out: usize = dst + <usize>(idx0 + (o >> sh) * jump) * (wide ? 2 : 1);
          const stride = <usize>jump * (wide ? 2 : 1);
          if (wide) {
            const c0 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 16)), 0, 2), shift);
            const c1 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 32)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 48)), 0, 2), shift);
            vsum = i32x4.add(vsum, i32x4.add(c0, c1));
            const h = i16x8.narrow_i32x4_s(i32x4.add(c0, vbias), i32x4.add(c1, vbias));
            v128.store32_lane(out, h, 0);
            v128.store32_lane(out + stride, h, 1);
            v128.store32_lane(out + 2 * stride, h, 2);
            v128.store32_lane(out + 3 * stride, h, 3);
          } else {
            const c0 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 16)), 0, 2), shift);
            const c1 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 32)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 48)), 0, 2), shift);
            const c2 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 64)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 80)), 0, 2), shift);
            const c3 = i32x4.shl(i64x2.shuffle(i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 96)), i32x4.trunc_sat_f64x2_s_zero(v128.load(p, 112)), 0, 2), shift);
            vsum = i32x4.add(vsum, i32x4.add(i32x4.add(c0, c1), i32x4.add(c2, c3)));
            const q = i8x16.narrow_i16x8_s(
              i16x8.narrow_i32x4_s(i32x4.add(c0, vbias), i32x4.add(c1, vbias)),
              i16x8.narrow_i32x4_s(i32x4.add(c2, vbias), i32x4.add(c3, vbias)),
            );
            v128.store32_lane(out, q, 0);
            v128.store32_lane(out + stride, q, 1);
            v128.store32_lane(out + 2 * stride, q, 2);
            v128.store32_lane(out + 3 * stride, q, 3);
          }
          k += chunk;
        }
        for (; k < kEnd; k++) {
          const v = <i32>load<f64>(row + (<usize>k << 3)) << shift;
          sum += v;
          const o = k - k0;
          const idx = idx0 + (o >> sh) * jump + (o & mask);
          if (wide) store<i16>(dst + (<usize>idx << 1), <i16>(v + bias));
          else store<i8>(dst + <usize>idx, <i8>(v + bias));
        }
      }
      sum += i32x4.extract_lane(vsum, 0) + i32x4.extract_lane(vsum, 1) + i32x4.extract_lane(vsum, 2) + i32x4.extract_lane(vsum, 3);
      const si = (grp * nseg + g) * G + rr;
      store<f64>(scale + (<usize>si << 3), pow2(b));
      if (corr) store<i32>(corr + (<usize>si << 2), -beta * sum);
    }
  }
}

/**
 * Pack exact values code·2^ex as f64: element (r, k) to ((⌊r/G⌋·K + k)·G + r%G) (G = 1 gives
 * row-major [rows][K]). dst must be zeroed by the caller (NaN rows are skipped).
 */
export function packValues(src: usize, rows: i32, K: i32, block: i32, nanRows: usize, ex: usize, G: i32, dst: usize): void {
  const nb = (K + block - 1) / block;
  const stride = <usize>G << 3;
  for (let r = 0; r < rows; r++) {
    if (load<u8>(nanRows + <usize>r) != 0) continue;
    const row = src + ((<usize>r * <usize>K) << 3);
    const grp = r / G;
    const rr = r % G;
    for (let kb = 0; kb < nb; kb++) {
      const f = pow2(load<i32>(ex + (<usize>(r * nb + kb) << 2)));
      const end = min(K, (kb + 1) * block);
      let out = dst + (<usize>((grp * K + kb * block) * G + rr) << 3);
      for (let k = kb * block; k < end; k++) {
        store<f64>(out, load<f64>(row + (<usize>k << 3)) * f);
        out += stride;
      }
    }
  }
}

// ----------------------------------------------------------------------------- tile geometry

// Integer paths: MR rows × NR columns (NV vectors of 4 columns). 4×8 keeps 8 i32x4 accumulators,
// 2 B vectors and 1 broadcast in 11 of the 16 x64 vector registers.
const MR: i32 = 4;
const NV: i32 = 2;
const NR: i32 = NV * 4;
// f64 path: MRF rows × NRF columns (NRF/2 f64x2 vectors).
const MRF: i32 = 4;
const NRF: i32 = 4;

/** Tile geometry the wrapper packs for: [i16/i8 rows, i16/i8 cols, f64 rows, f64 cols]. */
export function geometry(which: i32): i32 {
  return which == 0 ? MR : which == 1 ? NR : which == 2 ? MRF : NRF;
}

// f64 accumulators of one integer tile (MR × NR doubles), kept in memory: the tile's i32
// accumulators already fill the register file.
const FACC: usize = memory.data(MR * NR * 8, 16);

@inline function zeroFacc(): void {
  const z = f64x2.splat(0);
  for (let i: usize = 0; i < <usize>(MR * NR * 8); i += 16) v128.store(FACC + i, z);
}

/**
 * facc[row r, 4 columns] += lanes of c (exact i32 sums) · sa · sb[0..3], where sa = 2^ea (this row,
 * this segment) and sb = 2^eb (these 4 columns). Products of powers of two and an i32 are exact.
 */
@inline function scaleAdd(f: usize, c: v128, sa: v128, sb: usize): void {
  const lo = f64x2.convert_low_i32x4_s(c);
  const hi = f64x2.convert_low_i32x4_s(i32x4.shuffle(c, c, 2, 3, 2, 3));
  const s0 = f64x2.mul(sa, v128.load(sb));
  const s1 = f64x2.mul(sa, v128.load(sb, 16));
  v128.store(f, f64x2.add(v128.load(f), f64x2.mul(lo, s0)));
  v128.store(f, f64x2.add(v128.load(f, 16), f64x2.mul(hi, s1)), 16);
}

/** Round the tile's f64 accumulators to float32 (one RNE rounding: the f64 value is the exact sum). */
@inline function storeTile(C: usize, ldc: i32): void {
  for (let r = 0; r < MR; r++) {
    const f = FACC + <usize>(r * NR * 8);
    const c = C + <usize>(r * ldc * 4);
    for (let v = 0; v < NR; v += 4) {
      const x = f32x4.demote_f64x2_zero(v128.load(f + <usize>(v * 8)));
      const y = f32x4.demote_f64x2_zero(v128.load(f + <usize>(v * 8 + 16)));
      v128.store(c + <usize>(v * 4), i64x2.shuffle(x, y, 0, 2));
    }
  }
}

// Not inlined: keeping the f64 work out of the kernels' bodies leaves V8 the whole register file
// for the inner loops (measured: +10–15% on the i16 path).
@inline function scaleTileBody(
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  sA: usize, sB: usize,
): void {
  // sA: MR doubles (this tile's rows, this segment); sB: NR doubles (this panel's columns).
  let sa = v128.load64_splat(sA);
  scaleAdd(FACC, c00, sa, sB);
  scaleAdd(FACC + 32, c01, sa, sB + 32);
  sa = v128.load64_splat(sA, 8);
  scaleAdd(FACC + 64, c10, sa, sB);
  scaleAdd(FACC + 96, c11, sa, sB + 32);
  sa = v128.load64_splat(sA, 16);
  scaleAdd(FACC + 128, c20, sa, sB);
  scaleAdd(FACC + 160, c21, sa, sB + 32);
  sa = v128.load64_splat(sA, 24);
  scaleAdd(FACC + 192, c30, sa, sB);
  scaleAdd(FACC + 224, c31, sa, sB + 32);
}

function scaleTile(
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  sA: usize, sB: usize,
): void {
  scaleTileBody(c00, c01, c10, c11, c20, c21, c30, c31, sA, sB);
}

/** C tile = +0 (a tile the caller declared unneeded: every column index above every row index). */
@inline function zeroTile(C: usize, ldc: i32): void {
  const z = f32x4.splat(0);
  for (let r = 0; r < MR; r++) {
    const c = C + <usize>(r * ldc * 4);
    for (let v = 0; v < NR; v += 4) v128.store(c + <usize>(v * 4), z);
  }
}

/**
 * K-steps of segment s that tile t must run when A is zero beyond its rows' diagonal (lowA = 1:
 * A[i, k] = 0 for k > i, e.g. causal attention probabilities; the wrapper checks it): the steps
 * that hold some k < (t + 1)·MR. Skipped steps would add exact zeros.
 */
@inline function stepsNeeded(lowA: i32, t: i32, s: i32, segLen: i32, segSteps: i32, step: i32): i32 {
  if (!lowA) return segSteps;
  const rem = (t + 1) * MR - s * segLen;
  return rem <= 0 ? 0 : min(segSteps, (rem + step - 1) / step);
}

// ----------------------------------------------------------------------------- i16 path

/**
 * C = A·Bᵀ on i16 codes.
 * A: [tiles][kPairs][MR] × (2 × i16); B: [panels][kPairs][NV] × v128 (4 columns × 2 K);
 * sA: f64 [tiles][nseg][MR] = 2^(row exponent of the segment);
 * sB: f64 [panels][nseg][NR] = 2^(column exponent of the segment);
 * C: f32 [tiles·MR][ldc]. A segment is segPairs K-pairs (segLen elements of K).
 * lowA = 1: A[i, k] = 0 for k > i (the wrapper has checked it), so tile t stops after the K-steps
 * that hold some k < (t + 1)·MR (the rest would add exact zeros). upperC = 1: the caller takes
 * C[i, j] for j > i as +0, so tiles whose every column index exceeds every row index are stored
 * as +0 without being computed (the wrapper zeroes the rest of that triangle).
 */
export function gemmI16(tiles: i32, panels: i32, nseg: i32, segPairs: i32, A: usize, B: usize, sA: usize, sB: usize, C: usize, ldc: i32, lowA: i32, upperC: i32, segLen: i32): void {
  const kPairs = nseg * segPairs;
  const aTile = <usize>(kPairs * MR * 4);
  const bPanel = <usize>(kPairs * NV * 16);
  for (let p = 0; p < panels; p++) {
    for (let t = 0; t < tiles; t++) {
      if (upperC && p * NR > t * MR + MR - 1) {
        zeroTile(C + <usize>((t * MR * ldc + p * NR) * 4), ldc);
        continue;
      }
      let pa = A + <usize>t * aTile;
      let pb = B + <usize>p * bPanel;
      zeroFacc();
      for (let s = 0; s < nseg; s++) {
        const qn = stepsNeeded(lowA, t, s, segLen, segPairs, 2);
        if (qn == 0) break;
        let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
        let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
        for (let q = 0; q < qn; q++) {
          const b0 = v128.load(pb);
          const b1 = v128.load(pb, 16);
          let a = v128.load32_splat(pa);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(a, b0));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(a, b1));
          a = v128.load32_splat(pa, 4);
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(a, b0));
          c11 = i32x4.add(c11, i32x4.dot_i16x8_s(a, b1));
          a = v128.load32_splat(pa, 8);
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(a, b0));
          c21 = i32x4.add(c21, i32x4.dot_i16x8_s(a, b1));
          a = v128.load32_splat(pa, 12);
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(a, b0));
          c31 = i32x4.add(c31, i32x4.dot_i16x8_s(a, b1));
          pa += 16;
          pb += 32;
        }
        pa += <usize>(segPairs - qn) * 16;
        pb += <usize>(segPairs - qn) * 32;
        scaleTile(c00, c01, c10, c11, c20, c21, c30, c31,
          sA + <usize>((t * nseg + s) * MR * 8), sB + <usize>((p * nseg + s) * NR * 8));
      }
      storeTile(C + <usize>((t * MR * ldc + p * NR) * 4), ldc);
    }
  }
}

// ----------------------------------------------------------------------------- relaxed i8 path

// Why not i32x4.relaxed_dot_i8x16_i7x16_add_s: Node 20.20 (V8 11.3) on x64 without AVX-VNNI returns
// 2·dot and ignores the accumulator operand (measured; see src/core/datapath/README.md). The i16
// form below is computed correctly there, and it lets us add several steps in i16 before widening,
// which halves the multiplier work: pmaddubsw per step, one pmaddwd (extadd) per `depth` steps.

/**
 * C = A·Bᵀ on i8 codes with i16x8.relaxed_dot_i8x16_i7x16_s (relaxed build only; returns 0 in the
 * plain build, which the wrapper never asks).
 * A: [tiles][kQuads][MR] × (4 × i8); B: [panels][kQuads][NV] × v128 (4 columns × 4 K), stored as
 * b + β ∈ [0, 127] so the i7 operand is non-negative and every engine computes the same thing;
 * corr: i32 [tiles][nseg][MR] = −β·Σ_{k in segment} a (undoes the bias through the accumulator's
 * start value); sA, sB, C as in gemmI16. A segment is segQuads K-quads. `depth` K-quads are summed
 * in i16 lanes before widening to i32 (the wrapper bounds depth·2·max|a|·max(b + β) ≤ 32767).
 * lowA, upperC, segLen as in gemmI16 (skipped A codes are zeros, so their β·a terms are too).
 */
export function gemmI8(tiles: i32, panels: i32, nseg: i32, segQuads: i32, depth: i32, A: usize, B: usize, corr: usize, sA: usize, sB: usize, C: usize, ldc: i32, lowA: i32, upperC: i32, segLen: i32): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const kQuads = nseg * segQuads;
    const aTile = <usize>(kQuads * MR * 4);
    const bPanel = <usize>(kQuads * NV * 16);
    for (let p = 0; p < panels; p++) {
      for (let t = 0; t < tiles; t++) {
        if (upperC && p * NR > t * MR + MR - 1) {
          zeroTile(C + <usize>((t * MR * ldc + p * NR) * 4), ldc);
          continue;
        }
        let pa = A + <usize>t * aTile;
        let pb = B + <usize>p * bPanel;
        zeroFacc();
        for (let s = 0; s < nseg; s++) {
          const qn = stepsNeeded(lowA, t, s, segLen, segQuads, 4);
          if (qn == 0) break;
          const cr = corr + <usize>((t * nseg + s) * MR * 4);
          let c00 = v128.load32_splat(cr);
          let c01 = c00;
          let c10 = v128.load32_splat(cr, 4);
          let c11 = c10;
          let c20 = v128.load32_splat(cr, 8);
          let c21 = c20;
          let c30 = v128.load32_splat(cr, 12);
          let c31 = c30;
          for (let q = 0; q < qn; ) {
            const n = min(depth, qn - q);
            let h00 = i16x8.splat(0), h01 = i16x8.splat(0), h10 = i16x8.splat(0), h11 = i16x8.splat(0);
            let h20 = i16x8.splat(0), h21 = i16x8.splat(0), h30 = i16x8.splat(0), h31 = i16x8.splat(0);
            for (let u = 0; u < n; u++) {
              const b0 = v128.load(pb);
              const b1 = v128.load(pb, 16);
              let a = v128.load32_splat(pa);
              h00 = i16x8.add(h00, i16x8.relaxed_dot_i8x16_i7x16_s(a, b0));
              h01 = i16x8.add(h01, i16x8.relaxed_dot_i8x16_i7x16_s(a, b1));
              a = v128.load32_splat(pa, 4);
              h10 = i16x8.add(h10, i16x8.relaxed_dot_i8x16_i7x16_s(a, b0));
              h11 = i16x8.add(h11, i16x8.relaxed_dot_i8x16_i7x16_s(a, b1));
              a = v128.load32_splat(pa, 8);
              h20 = i16x8.add(h20, i16x8.relaxed_dot_i8x16_i7x16_s(a, b0));
              h21 = i16x8.add(h21, i16x8.relaxed_dot_i8x16_i7x16_s(a, b1));
              a = v128.load32_splat(pa, 12);
              h30 = i16x8.add(h30, i16x8.relaxed_dot_i8x16_i7x16_s(a, b0));
              h31 = i16x8.add(h31, i16x8.relaxed_dot_i8x16_i7x16_s(a, b1));
              pa += 16;
              pb += 32;
            }
            c00 = i32x4.add(c00, i32x4.extadd_pairwise_i16x8_s(h00));
            c01 = i32x4.add(c01, i32x4.extadd_pairwise_i16x8_s(h01));
            c10 = i32x4.add(c10, i32x4.extadd_pairwise_i16x8_s(h10));
            c11 = i32x4.add(c11, i32x4.extadd_pairwise_i16x8_s(h11));
            c20 = i32x4.add(c20, i32x4.extadd_pairwise_i16x8_s(h20));
            c21 = i32x4.add(c21, i32x4.extadd_pairwise_i16x8_s(h21));
            c30 = i32x4.add(c30, i32x4.extadd_pairwise_i16x8_s(h30));
            c31 = i32x4.add(c31, i32x4.extadd_pairwise_i16x8_s(h31));
            q += n;
          }
          pa += <usize>(segQuads - qn) * 16;
          pb += <usize>(segQuads - qn) * 32;
          scaleTile(c00, c01, c10, c11, c20, c21, c30, c31,
            sA + <usize>((t * nseg + s) * MR * 8), sB + <usize>((p * nseg + s) * NR * 8));
        }
        storeTile(C + <usize>((t * MR * ldc + p * NR) * 4), ldc);
      }
    }
    return 1;
  }
  return 0;
}

// ----------------------------------------------------------------------------- f64 path

/**
 * C = A·Bᵀ on exact f64 values. A: [tiles][K][MRF] f64; B: [panels][K][NRF] f64; C: f32.
 * The relaxed build uses relaxed_madd: fused or not, the result is the same, because the wrapper
 * only trusts outputs whose every product and partial sum is exactly representable.
 */
export function gemmF64(tiles: i32, panels: i32, K: i32, A: usize, B: usize, C: usize, ldc: i32): void {
  const aTile = <usize>(K * MRF * 8);
  const bPanel = <usize>(K * NRF * 8);
  for (let p = 0; p < panels; p++) {
    for (let t = 0; t < tiles; t++) {
      let pa = A + <usize>t * aTile;
      let pb = B + <usize>p * bPanel;
      let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
      let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a0 = v128.load64_splat(pa);
        const a1 = v128.load64_splat(pa, 8);
        const a2 = v128.load64_splat(pa, 16);
        const a3 = v128.load64_splat(pa, 24);
        if (ASC_FEATURE_RELAXED_SIMD) {
          c00 = f64x2.relaxed_madd(a0, b0, c00);
          c01 = f64x2.relaxed_madd(a0, b1, c01);
          c10 = f64x2.relaxed_madd(a1, b0, c10);
          c11 = f64x2.relaxed_madd(a1, b1, c11);
          c20 = f64x2.relaxed_madd(a2, b0, c20);
          c21 = f64x2.relaxed_madd(a2, b1, c21);
          c30 = f64x2.relaxed_madd(a3, b0, c30);
          c31 = f64x2.relaxed_madd(a3, b1, c31);
        } else {
          c00 = f64x2.add(c00, f64x2.mul(a0, b0));
          c01 = f64x2.add(c01, f64x2.mul(a0, b1));
          c10 = f64x2.add(c10, f64x2.mul(a1, b0));
          c11 = f64x2.add(c11, f64x2.mul(a1, b1));
          c20 = f64x2.add(c20, f64x2.mul(a2, b0));
          c21 = f64x2.add(c21, f64x2.mul(a2, b1));
          c30 = f64x2.add(c30, f64x2.mul(a3, b0));
          c31 = f64x2.add(c31, f64x2.mul(a3, b1));
        }
        pa += MRF * 8;
        pb += NRF * 8;
      }
      const c = C + <usize>((t * MRF * ldc + p * NRF) * 4);
      const row = <usize>(ldc * 4);
      v128.store(c, i64x2.shuffle(f32x4.demote_f64x2_zero(c00), f32x4.demote_f64x2_zero(c01), 0, 2));
      v128.store(c + row, i64x2.shuffle(f32x4.demote_f64x2_zero(c10), f32x4.demote_f64x2_zero(c11), 0, 2));
      v128.store(c + 2 * row, i64x2.shuffle(f32x4.demote_f64x2_zero(c20), f32x4.demote_f64x2_zero(c21), 0, 2));
      v128.store(c + 3 * row, i64x2.shuffle(f32x4.demote_f64x2_zero(c30), f32x4.demote_f64x2_zero(c31), 0, 2));
    }
  }
}

// ----------------------------------------------------------------------------- exact path

// Kulisch accumulator: NL digits of 32 bits, digit d has weight 2^(32·d + LSB_EXP). Products of
// two codes·2^e lie in [2^−538, 2^540) (MXInt exponents reach ±254 plus 15 mantissa bits), sums of
// up to 2^31 of them below 2^572: bits −700 … 835 cover them with room for the sign.
const NL: i32 = 48;
const LSB_EXP: i32 = -700;
const LIMBS: usize = memory.data(NL * 8, 16);
const MASK32: i64 = 0xffffffff;

@inline function limb(d: i32): i64 {
  return load<i64>(LIMBS + (<usize>d << 3));
}
@inline function setLimb(d: i32, v: i64): void {
  store<i64>(LIMBS + (<usize>d << 3), v);
}

/** Add ±m·2^pos (m < 2^64 unsigned, pos ≥ 0 a bit index) into the limbs: three 32-bit digits. */
@inline function addAt(pos: i32, m: u64, neg: bool): void {
  const q = pos >> 5;
  const r = <u64>(pos & 31);
  const t0 = (m & 0xffffffff) << r; // < 2^63
  const t1 = ((m >>> 32) << r) + (t0 >>> 32); // < 2^63 + 2^31
  const d0 = <i64>(t0 & 0xffffffff);
  const d1 = <i64>(t1 & 0xffffffff);
  const d2 = <i64>(t1 >>> 32);
  if (neg) {
    setLimb(q, limb(q) - d0);
    setLimb(q + 1, limb(q + 1) - d1);
    setLimb(q + 2, limb(q + 2) - d2);
  } else {
    setLimb(q, limb(q) + d0);
    setLimb(q + 1, limb(q + 1) + d1);
    setLimb(q + 2, limb(q + 2) + d2);
  }
}

/** Bits [pos, pos + 32) of the (normalised, non-negative) digit string, for pos ≥ 0. */
@inline function bits32(pos: i32): u64 {
  const d = pos >> 5;
  const lo = <u64>limb(d);
  const hi = d + 1 < NL ? <u64>limb(d + 1) : 0;
  return ((lo | (hi << 32)) >>> <u64>(pos & 31)) & 0xffffffff;
}

/** Exact Σ_k x[k]·y[k] over f64 values that are exact integers times powers of two, as float32. */
function exactDot(x: usize, y: usize, K: i32): f32 {
  memory.fill(LIMBS, 0, <usize>(NL * 8));
  for (let k = 0; k < K; k++) {
    const a = load<f64>(x + (<usize>k << 3));
    const b = load<f64>(y + (<usize>k << 3));
    if (a == 0 || b == 0) continue;
    const ba = reinterpret<u64>(a);
    const bb = reinterpret<u64>(b);
    // Normal doubles (|value| ≥ 2^−269): significand with the implicit bit, odd after stripping
    // trailing zeros; codes are below 2^32, so each odd part is too and their product fits u64.
    let ma = (ba & 0xfffffffffffff) | 0x10000000000000;
    let mb = (bb & 0xfffffffffffff) | 0x10000000000000;
    const ta = <i32>ctz(ma);
    const tb = <i32>ctz(mb);
    ma >>>= <u64>ta;
    mb >>>= <u64>tb;
    const ea = <i32>((ba >>> 52) & 0x7ff) - 1075 + ta;
    const eb = <i32>((bb >>> 52) & 0x7ff) - 1075 + tb;
    addAt(ea + eb - LSB_EXP, ma * mb, ((ba ^ bb) >>> 63) != 0);
  }
  // Carry-propagate into 32-bit digits; the final carry is the sign (0 or −1).
  let carry: i64 = 0;
  for (let d = 0; d < NL; d++) {
    const v = limb(d) + carry;
    setLimb(d, v & MASK32);
    carry = v >> 32;
  }
  const neg = carry < 0;
  if (neg) {
    // two's complement → magnitude: invert every digit and add one
    let c: i64 = 1;
    for (let d = 0; d < NL; d++) {
      const v = (~limb(d) & MASK32) + c;
      setLimb(d, v & MASK32);
      c = v >> 32;
    }
  }
  let h = NL - 1;
  while (h >= 0 && limb(h) == 0) h--;
  if (h < 0) return 0; // exact zero is +0
  const top = h * 32 + 31 - <i32>clz(<u32>limb(h)); // bit index of the leading one
  const e = top + LSB_EXP; // floor(log2 |sum|)
  const qe = max(e - 23, -149); // exponent of the float32 quantum: 24 bits, subnormals at 2^−149
  const qb = qe - LSB_EXP; // its bit index (> 0)
  // kept bits (≤ 24) and the round bit; sticky = any bit below the round bit
  let r: u64 = top >= qb ? bits32(qb) & ((<u64>1 << <u64>(top - qb + 1)) - 1) : 0;
  const rb = (bits32(qb - 1) & 1) != 0;
  let sticky = false;
  const below = qb - 1; // bits [0, below) are sticky
  const full = below >> 5;
  for (let d = 0; d < full; d++) {
    if (limb(d) != 0) {
      sticky = true;
      break;
    }
  }
  if (!sticky && (below & 31) != 0) sticky = (<u64>limb(full) & ((<u64>1 << <u64>(below & 31)) - 1)) != 0;
  if (rb && (sticky || (r & 1) != 0)) r++;
  // r ≤ 2^24 and 2^qe are exact doubles; demote is exact, or ±Inf when r·2^qe ≥ 2^128.
  const v = <f64>r * reinterpret<f64>(<u64>(qe + 1023) << 52);
  const f = <f32>v;
  return neg ? -f : f;
}

/**
 * For each of `count` (i, j) pairs (i32 pairs at `pairs`): out[n] = exact Σ_k X[i,k]·Y[j,k]
 * rounded to float32, with X f64 [.][K] and Y f64 [.][K] row-major.
 */
export function exactPairs(count: i32, pairs: usize, K: i32, X: usize, Y: usize, out: usize): void {
  for (let n = 0; n < count; n++) {
    const i = load<i32>(pairs + (<usize>n << 3));
    const j = load<i32>(pairs + (<usize>n << 3), 4);
    store<f32>(out + (<usize>n << 2), exactDot(X + <usize>i * <usize>K * 8, Y + <usize>j * <usize>K * 8, K));
  }
}
