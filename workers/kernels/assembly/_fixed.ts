// The fixed-point non-GEMM ops of the integer datapath on ACT integers (i32), bit for bit the
// functions of src/core/datapath/fixed.ts (the readable twin; the differential test is
// src/core/kernels/fixed.test.ts, the wrapper src/core/kernels/fixed.ts). Included by gemm.ts, so
// the integer datapath's module holds the GEMM and the ops around it (one kernel file to load).
//
// Where the twin computes with doubles (exact because every intermediate is an integer < 2^53),
// this computes with i64: the same integers. `rhu(x, s)` = floor((x + 2^(s−1)) / 2^s) is an
// arithmetic shift right of x + 2^(s−1). The wrapper only calls these within the limits stated per
// function (outside them it runs the twin).
//
// Speed (same bits): the loops run four elements at a time — i32 products into i64 lanes by extmul,
// narrowed back by a shuffle of the low halves; a table pair T[i], T[i+1] fetched per lane as one
// 64-bit load; interpolations in i32 lanes where the table's bounds (checked per call) allow; the
// saturation skipped where a bound on the whole call or row shows nothing can reach ±lim. The
// scalar i64 loops remain for the tails and for inputs outside those bounds; relaxed-SIMD ops only
// where their results cannot differ (ASC_FEATURE_RELAXED_SIMD).
//
// All pointers are byte offsets into this module's memory; arrays are i32 unless said.

/** fix() of n float32 values: ints (i32) and their values (f32, ints · 2^−f). NaN → 0, RNE, ±lim. */
export function fxFix(src: usize, n: i32, f: i32, lim: i32, dstI: usize, dstF: usize): void {
  // x·2^f is exact in float32 (a power of two; overflow gives ±Inf, which saturates anyway),
  // nearest is round-half-even, min/max propagate NaN and trunc_sat maps NaN to 0.
  const sc = reinterpret<f32>(<u32>(127 + f) << 23);
  const un = reinterpret<f32>(<u32>(127 - f) << 23);
  const hiS = <f32>lim;
  const vs = f32x4.splat(sc);
  const vu = f32x4.splat(un);
  const vhi = f32x4.splat(hiS);
  const vlo = f32x4.splat(-hiS);
  let i = 0;
  if (ASC_FEATURE_RELAXED_SIMD && hiS < 2147483648.0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const q = fixRelaxed(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vhi, vlo);
      v128.store(dstI + o, q);
      v128.store(dstF + o, f32x4.mul(f32x4.convert_i32x4_s(q), vu));
    }
  } else if (lim >= 0 && hiS < 2147483648.0 && <i32>hiS == lim) {
    const vli = i32x4.splat(lim);
    const vnli = i32x4.splat(-lim);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const q = fixIntClamp(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vli, vnli);
      v128.store(dstI + o, q);
      v128.store(dstF + o, f32x4.mul(f32x4.convert_i32x4_s(q), vu));
    }
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const r = f32x4.max(f32x4.min(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vhi), vlo);
    const q = i32x4.trunc_sat_f32x4_s(r);
    v128.store(dstI + o, q);
    v128.store(dstF + o, f32x4.mul(f32x4.convert_i32x4_s(q), vu));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = max(min(nearest(load<f32>(src + o) * sc), hiS), -hiS);
    const v: i32 = isNaN(r) ? 0 : <i32>r; // NaN → 0 (checked first: a NaN conversion would trap)
    store<i32>(dstI + o, v);
    store<f32>(dstF + o, <f32>v * un);
  }
}

/**
 * fxFix of `rows` rows of n values each, lds floats apart (a GEMM's padded C), into dense [rows][n]
 * outputs; dstF = 0: the integers only.
 */
export function fxFixRows(src: usize, rows: i32, n: i32, lds: i32, f: i32, lim: i32, dstI: usize, dstF: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    const s = src + ((<usize>r * <usize>lds) << 2);
    if (dstF != 0) fxFix(s, n, f, lim, dstI + o, dstF + o);
    else fxFixInts(s, n, f, lim, dstI + o);
  }
}

/** fxFix without the values. */
function fxFixInts(src: usize, n: i32, f: i32, lim: i32, dstI: usize): void {
  const sc = reinterpret<f32>(<u32>(127 + f) << 23);
  const hiS = <f32>lim;
  const vs = f32x4.splat(sc);
  const vhi = f32x4.splat(hiS);
  const vlo = f32x4.splat(-hiS);
  let i = 0;
  if (ASC_FEATURE_RELAXED_SIMD && hiS < 2147483648.0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dstI + o, fixRelaxed(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vhi, vlo));
    }
  } else if (lim >= 0 && hiS < 2147483648.0 && <i32>hiS == lim) {
    const vli = i32x4.splat(lim);
    const vnli = i32x4.splat(-lim);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dstI + o, fixIntClamp(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vli, vnli));
    }
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dstI + o, i32x4.trunc_sat_f32x4_s(f32x4.max(f32x4.min(f32x4.nearest(f32x4.mul(v128.load(src + o), vs)), vhi), vlo)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = max(min(nearest(load<f32>(src + o) * sc), hiS), -hiS);
    store<i32>(dstI + o, isNaN(r) ? 0 : <i32>r);
  }
}

/** The i32 table pairs (tab[idx], tab[idx + 1]) of lanes 0 and 1 of idx, as one vector of two 64-bit loads. */
@inline function tablePairs01(tab: usize, idx: v128): v128 {
  const q = v128.load64_zero(tab + (<usize>i32x4.extract_lane(idx, 0) << 2));
  return v128.load64_lane(tab + (<usize>i32x4.extract_lane(idx, 1) << 2), q, 1);
}

/** The same for lanes 2 and 3. */
@inline function tablePairs23(tab: usize, idx: v128): v128 {
  const q = v128.load64_zero(tab + (<usize>i32x4.extract_lane(idx, 2) << 2));
  return v128.load64_lane(tab + (<usize>i32x4.extract_lane(idx, 3) << 2), q, 1);
}

/**
 * The clamp and conversion of fix with relaxed min, max and trunc (single instructions on x64, where
 * the exact ones are sequences), same results: the bounds ±lim are not ±0 ties that matter (a ±0
 * result truncates to 0 either way), |lim| < 2^31 so the clamped value converts in range, and a NaN
 * (whatever the relaxed ops make of it) is masked to 0 afterwards.
 */
@inline function fixRelaxed(r: v128, vhi: v128, vlo: v128): v128 {
  const q = i32x4.relaxed_trunc_f32x4_s(f32x4.relaxed_max(f32x4.relaxed_min(r, vhi), vlo));
  return v128.and(q, f32x4.eq(r, r));
}

/**
 * The clamp of fix on the integers (the plain build's f32x4.min/max are sequences on x64, i32x4's
 * single instructions): trunc_sat of the rounded value (NaN → 0, ±Inf → ±2^31 saturated), then
 * clamped to ±lim; the same as clamping the float first when 0 ≤ lim < 2^31 is exact in float32.
 */
@inline function fixIntClamp(r: v128, vli: v128, vnli: v128): v128 {
  return i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(r), vli), vnli);
}

/** ACT ints → their float32 values (exact for w ≤ 24). */
export function fxToF32(src: usize, n: i32, f: i32, dst: usize): void {
  const un = reinterpret<f32>(<u32>(127 - f) << 23);
  const vu = f32x4.splat(un);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(f32x4.convert_i32x4_s(v128.load(src + o)), vu));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<i32>(src + (<usize>i << 2)) * un);
}

@inline function sat64(v: i64, lim: i64): i32 {
  return <i32>(v > lim ? lim : v < -lim ? -lim : v);
}

/** The low i32 of each i64 lane of lo (lanes 0, 1) and hi (lanes 2, 3). */
@inline function narrow64(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

/** Each i64 lane clamped to ±L (vL = splat(L), vnL = splat(−L)); as sat64 for L ≥ 0. */
@inline function sat64x2(v: v128, vL: v128, vnL: v128): v128 {
  const c = v128.bitselect(vL, v, i64x2.gt_s(v, vL));
  return v128.bitselect(vnL, c, i64x2.lt_s(c, vnL));
}

/**
 * sat(a + b), exact for any i32 inputs (as the twin's doubles are): the wrapped i32 sum is clamped,
 * and where it overflowed (a, b of one sign, the sum of the other) the true sum is beyond ±2^31 > lim,
 * on a's side.
 */
export function fxAddK(a: usize, b: usize, n: i32, lim: i32, dst: usize): void {
  const L = <i64>lim;
  const vL = i32x4.splat(lim);
  const vnL = i32x4.splat(-lim);
  let i = 0;
  for (; lim >= 0 && i + 4 <= n; i += 4) { // (a negative lim: the scalar loop's own order of clamps)
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const s = i32x4.add(x, y);
    const c = i32x4.max_s(i32x4.min_s(s, vL), vnL);
    const ov = i32x4.shr_s(v128.and(v128.xor(x, s), v128.xor(y, s)), 31);
    const edge = v128.bitselect(vnL, vL, i32x4.shr_s(x, 31));
    v128.store(dst + o, v128.bitselect(edge, c, ov));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(dst + o, sat64(<i64>load<i32>(a + o) + <i64>load<i32>(b + o), L));
  }
}


/** sat(rhu(a · b, f)): the products exact in i64 lanes (extmul). */
export function fxMulK(a: usize, b: usize, n: i32, f: i32, lim: i32, dst: usize): void {
  const half: i64 = <i64>1 << <i64>(f - 1);
  const sh = <i64>f;
  const L = <i64>lim;
  const vh = i64x2.splat(half);
  const vL = i64x2.splat(L);
  const vnL = i64x2.splat(-L);
  let i = 0;
  // nothing to saturate when max|a|·max|b| (rounded and shifted) stays inside ±lim
  if (lim >= 0 && f >= 1 && f <= 63 && rangeBelow(a, b, n, half, f, L)) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(a + o);
      const y = v128.load(b + o);
      const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(x, y), vh), <i32>f);
      const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(x, y), vh), <i32>f);
      v128.store(dst + o, narrow64(lo, hi));
    }
  }
  for (; lim >= 0 && i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const lo = sat64x2(i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(x, y), vh), <i32>f), vL, vnL);
    const hi = sat64x2(i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(x, y), vh), <i32>f), vL, vnL);
    v128.store(dst + o, narrow64(lo, hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = <i64>load<i32>(a + o) * <i64>load<i32>(b + o);
    store<i32>(dst + o, sat64((p + half) >> sh, L));
  }
}

/** max |x| of n i32 (as u32: |−2^31| = 2^31). */
function maxAbs(x: usize, n: i32): u64 {
  let v = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v = i32x4.max_u(v, i32x4.abs(v128.load(x + (<usize>i << 2))));
  let m = max(max(<u64><u32>i32x4.extract_lane(v, 0), <u64><u32>i32x4.extract_lane(v, 1)), max(<u64><u32>i32x4.extract_lane(v, 2), <u64><u32>i32x4.extract_lane(v, 3)));
  for (; i < n; i++) {
    const y = <i64>load<i32>(x + (<usize>i << 2));
    m = max(m, <u64>(y < 0 ? -y : y));
  }
  return m;
}

/** Whether |rhu(a_i·b_i, f)| < lim for all i, from the bound max|a|·max|b| (≤ 2^62). */
function rangeBelow(a: usize, b: usize, n: i32, half: i64, f: i32, L: i64): bool {
  const P = maxAbs(a, n) * maxAbs(b, n);
  return ((P + <u64>half) >>> <u64>f) + 1 <= <u64>L;
}

/**
 * A sigmoid-like CDF from its table (i32 [N + 1], units 2^−20) with linear interpolation on the
 * sh = f − 5 bits below the index, |v| clamped to lim; g(−v) = 2^20 − g(v).
 */
@inline function cdfAt(t: usize, v: i64, sh: i64, lim: i64): i64 {
  const a = v < 0 ? -v : v;
  const c = a > lim ? lim : a;
  const i = c >> sh;
  const fr = c - (i << sh);
  const half: i64 = sh == 0 ? 0 : <i64>1 << (sh - 1);
  const p = t + (<usize>i << 2);
  const t0 = <i64>load<i32>(p);
  const t1 = <i64>load<i32>(p, 4);
  const g = t0 + (((t1 - t0) * fr + half) >> sh);
  return v < 0 ? (<i64>1 << 20) - g : g;
}

/**
 * SiLU: rhu(x · g_σ(x), 20) with the sigmoid table at `tab` (CDF_N + 1 entries, step 2^−5).
 * Four at a time when the table's interpolation fits i32 lanes (|T[i+1] − T[i]| · 2^sh + 2^sh < 2^31,
 * |T[i]| < 2^29: the real table's steps are < 2^13): |x| clamped as unsigned (|−2^31| wraps to 2^31,
 * which clamps as the i64 code does), T[i], T[i+1] fetched as one 64-bit pair per lane, x · g exact in
 * i64 lanes (extmul).
 */
export function fxSiluK(x: usize, n: i32, f: i32, tab: usize, cdfN: i32, dst: usize): void {
  const sh = <i64>(f - 5);
  const lim = (<i64>cdfN << sh) - 1;
  let i = 0;
  if (cdfN >= 1 && sh >= 0 && sh <= 24 && lim < 0x7fffffff && tableFits(tab, cdfN, <i32>sh)) {
    const s = <i32>sh;
    const vlim = i32x4.splat(<i32>lim);
    const vmask = i32x4.splat((1 << s) - 1);
    const vhalf = i32x4.splat(s == 0 ? 0 : 1 << (s - 1));
    const one = i32x4.splat(1 << 20);
    const r19 = i64x2.splat(1 << 19);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      const c = i32x4.min_u(i32x4.abs(v), vlim);
      const idx = i32x4.shr_u(c, s);
      const fr = v128.and(c, vmask);
      const q01 = tablePairs01(tab, idx);
      const q23 = tablePairs23(tab, idx);
      const t0 = i32x4.shuffle(q01, q23, 0, 2, 4, 6);
      const t1 = i32x4.shuffle(q01, q23, 1, 3, 5, 7);
      const g0 = i32x4.add(t0, i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.sub(t1, t0), fr), vhalf), s));
      const g = v128.bitselect(i32x4.sub(one, g0), g0, i32x4.shr_s(v, 31));
      const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(v, g), r19), 20);
      const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(v, g), r19), 20);
      v128.store(dst + o, narrow64(lo, hi));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = <i64>load<i32>(x + o);
    store<i32>(dst + o, <i32>((v * cdfAt(tab, v, sh, lim) + (<i64>1 << 19)) >> 20));
  }
}

/** Whether a CDF table's entries (N + 1) and steps allow the i32 interpolation of fxSiluK at shift s. */
function tableFits(tab: usize, N: i32, s: i32): bool {
  const bound = (<i64>1 << 31) - (<i64>1 << s);
  for (let i = 0; i <= N; i++) {
    const t = <i64>load<i32>(tab + (<usize>i << 2));
    if (t >= (1 << 29) || t <= -(1 << 29)) return false;
    if (i < N) {
      const d = <i64>load<i32>(tab + (<usize>i << 2), 4) - t;
      if ((d < 0 ? -d : d) << <i64>s >= bound) return false;
    }
  }
  return true;
}

/** floor(sqrt(q)) for 0 ≤ q < 2^53 (the f64 root is within one of it). */
@inline function isqrt64(q: i64): i64 {
  let r = <i64>Math.floor(Math.sqrt(<f64>q));
  while (r * r > q) r--;
  while ((r + 1) * (r + 1) <= q) r++;
  return r;
}

/**
 * RMSNorm of T rows of D (the twin's fxRmsNorm): per row S = Σx² and m' = S·2^16 + DE as 128-bit
 * integers (D ≤ 2^20, |x| < 2^31: S < 2^82), normScale, then y = sat(rhu(rhu(x·r, shift)·w, s2)).
 * `w` i32 [D]; DE = D·eps < 2^63; h = normH(D); s2 = 20 + wf − f.
 */
export function fxRmsNormK(x: usize, T: i32, D: i32, w: usize, DE: i64, h: i32, s2: i32, lim: i32, dst: usize): void {
  const L = <i64>lim;
  const half2: i64 = s2 > 0 ? <i64>1 << <i64>(s2 - 1) : 0;
  const m32 = i64x2.splat(0xffffffff);
  const vL = i64x2.splat(L);
  const vnL = i64x2.splat(-L);
  let wMax: u64 = 0; // max |w| (as u32)
  for (let d = 0; d < D; d++) {
    const v = <i64>load<i32>(w + (<usize>d << 2));
    wMax = max(wMax, <u64>(v < 0 ? -v : v));
  }
  for (let t = 0; t < T; t++) {
    const row = x + ((<usize>t * <usize>D) << 2);
    const out = dst + ((<usize>t * <usize>D) << 2);
    // Σx² as Σ(low 32 bits of x²) + 2^32·Σ(high bits) (each sum < 2^53 for D ≤ 2^20), then 128 bits
    let d = 0;
    let sLo: u64 = 0;
    let sHi: u64 = 0;
    let mx: u64 = 0; // max |x| of the row (as u32: |−2^31| = 2^31)
    {
      let aLo = i64x2.splat(0);
      let aHi = i64x2.splat(0);
      let vmx = i32x4.splat(0);
      for (; d + 4 <= D; d += 4) {
        const v = v128.load(row + (<usize>d << 2));
        vmx = i32x4.max_u(vmx, i32x4.abs(v));
        const ql = i64x2.extmul_low_i32x4_s(v, v);
        const qh = i64x2.extmul_high_i32x4_s(v, v);
        aLo = i64x2.add(aLo, i64x2.add(v128.and(ql, m32), v128.and(qh, m32)));
        aHi = i64x2.add(aHi, i64x2.add(i64x2.shr_u(ql, 32), i64x2.shr_u(qh, 32)));
      }
      sLo = <u64>(i64x2.extract_lane(aLo, 0) + i64x2.extract_lane(aLo, 1));
      sHi = <u64>(i64x2.extract_lane(aHi, 0) + i64x2.extract_lane(aHi, 1));
      mx = max(max(<u64><u32>i32x4.extract_lane(vmx, 0), <u64><u32>i32x4.extract_lane(vmx, 1)), max(<u64><u32>i32x4.extract_lane(vmx, 2), <u64><u32>i32x4.extract_lane(vmx, 3)));
    }
    for (; d < D; d++) {
      const v = <i64>load<i32>(row + (<usize>d << 2));
      mx = max(mx, <u64>(v < 0 ? -v : v));
      const sq = <u64>(v * v); // ≤ 2^62
      sLo += sq & 0xffffffff;
      sHi += sq >>> 32;
    }
    let S = sHi << 32;
    let Sh = sHi >>> 32;
    S += sLo;
    if (S < sLo) Sh++;
    // m' = S·2^16 + DE in (hi, lo)
    let lo = S << 16;
    let hi = (Sh << 16) | (S >>> 48);
    const lo2 = lo + <u64>DE;
    if (lo2 < lo) hi++;
    lo = lo2;
    const b = hi != 0 ? 128 - <i32>clz(hi) : 64 - <i32>clz(lo); // bit length
    // j = floor((32 − b) / 2); m_n = m'·4^j (a truncating right shift when j < 0)
    const j = (32 - b) >> 1; // arithmetic: floor
    let mn: u64;
    if (j >= 0) mn = lo << <u64>(2 * j);
    else {
      const k = -2 * j;
      mn = k >= 64 ? hi >>> <u64>(k - 64) : (lo >>> <u64>k) | (k == 0 ? 0 : hi << <u64>(64 - k));
    }
    // q = floor(D · 2^(80 − 2h) / m_n) = floor(A·2^32 / m_n) with A = D·2^(48 − 2h) < 2^48
    const A = <u64>D << <u64>(48 - 2 * h);
    const q1 = A / mn;
    const r1 = A - q1 * mn;
    const q = (q1 << 32) + (r1 << 32) / mn;
    const r = isqrt64(<i64>q);
    const shift = 40 - 8 - j - h - 20;
    const half1: i64 = <i64>1 << <i64>(shift - 1);
    d = 0;
    // |u| ≤ U for the whole row; if U < 2^31 then u fits i32 and u·w is an extmul, and if moreover
    // |y| ≤ U·max|w| (shifted) stays within ±lim there is nothing to saturate
    const U: u64 = r >= 0 && r <= 0x7fffffff && shift >= 1 && shift <= 63 ? ((mx * <u64>r + <u64>half1) >>> <u64>shift) + 1 : <u64>-1;
    if (lim < 0) {
      // (a negative lim: the scalar loop's own order of clamps)
    } else if (U <= 0x7fffffff && s2 >= 0 && s2 <= 63) {
      const P = U * wMax; // < 2^62
      const Y = s2 > 0 ? ((P + <u64>half2) >>> <u64>s2) + 1 : P;
      const noSat = Y <= <u64>L;
      const vr = i32x4.splat(<i32>r);
      const vh1 = i64x2.splat(half1);
      const vh2 = i64x2.splat(half2);
      for (; d + 4 <= D; d += 4) {
        const o = <usize>d << 2;
        const v = v128.load(row + o);
        const wv = v128.load(w + o);
        const u = narrow64(
          i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(v, vr), vh1), shift),
          i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(v, vr), vh1), shift),
        );
        let pl = i64x2.extmul_low_i32x4_s(u, wv);
        let ph = i64x2.extmul_high_i32x4_s(u, wv);
        if (s2 > 0) {
          pl = i64x2.shr_s(i64x2.add(pl, vh2), s2);
          ph = i64x2.shr_s(i64x2.add(ph, vh2), s2);
        }
        if (noSat) v128.store(out + o, narrow64(pl, ph));
        else v128.store(out + o, narrow64(sat64x2(pl, vL, vnL), sat64x2(ph, vL, vnL)));
      }
    } else if (r >= 0 && r <= 0x7fffffff) {
      // u = rhu(x·r, shift) by extmul (r < 2^25 here), u·w as i64 lanes (wrapping as the i64 code would)
      const vr = i32x4.splat(<i32>r);
      const vh1 = i64x2.splat(half1);
      const vh2 = i64x2.splat(half2);
      for (; d + 4 <= D; d += 4) {
        const o = <usize>d << 2;
        const v = v128.load(row + o);
        const wv = v128.load(w + o);
        const ul = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(v, vr), vh1), shift);
        const uh = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(v, vr), vh1), shift);
        let pl = i64x2.mul(ul, i64x2.extend_low_i32x4_s(wv));
        let ph = i64x2.mul(uh, i64x2.extend_high_i32x4_s(wv));
        if (s2 > 0) {
          pl = i64x2.shr_s(i64x2.add(pl, vh2), s2);
          ph = i64x2.shr_s(i64x2.add(ph, vh2), s2);
        }
        v128.store(out + o, narrow64(sat64x2(pl, vL, vnL), sat64x2(ph, vL, vnL)));
      }
    }
    for (; d < D; d++) {
      const o = <usize>d << 2;
      const u = (<i64>load<i32>(row + o) * r + half1) >> <i64>shift;
      const p = u * <i64>load<i32>(w + o);
      store<i32>(out + o, sat64(s2 > 0 ? (p + half2) >> <i64>s2 : p, L));
    }
  }
}

/**
 * Causal softmax of H score matrices [T, T] (the twin's fxCausalSoftmax per head): row t over keys
 * 0..t, entries above the diagonal 0. `tab` = exp2Table (i32, 2^20 scale), zf = f + 24, C < 2^25.
 * `e` is scratch for T i32 (no longer used: the e_j are kept in the output row).
 *
 * Four keys at a time when the table allows (fxSoftmaxV); else, and for the last n mod 4 keys of a
 * row, the scalar code (softmaxExp).
 */
export function fxSoftmaxK(s: usize, H: i32, T: i32, C: i32, f: i32, tab: usize, e: usize, dst: usize): void {
  const vec = C >= 0 && C < (1 << 25) && f >= 0 && f <= 39 && expTableFits(tab);
  // a table that is ≥ 0 and falls makes every e_j ≥ 0 (mant lies between E[i+1] and E[i])
  const nonNeg = vec && expTableFalls(tab);
  // d ≥ dMax = ceil(2^(f+29) / C) means u ≥ 2^28 (k ≥ 32, e = 0); clamped there u < 2^28 + C/2^(f+1)
  // < 2^28 + 2^24 (C < 2^25): fits u32, and k ≤ 33
  const dMax = <i32>(C <= 0 || f + 29 >= 63 ? 0xffffffff : min<u64>(0xffffffff, ((<u64>1 << <u64>(f + 29)) + <u64>C - 1) / <u64>C));
  // keys per block of softmaxExpP's i32 sums: each lane sums ≤ B/4 values ≤ E[0]
  const B = nonNeg ? <i32>min<i64>(<i64>0x7fffffff / <i64>max(load<i32>(tab), 1), 1 << 20) << 2 : 0;
  const zf = <i64>(f + 24);
  const sh = <i64>(52 - f);
  const hf: i64 = <i64>1 << (sh - 1);
  const num: u64 = <u64>1 << 52;
  for (let hh = 0; hh < H; hh++) {
    const base = (<usize>hh * <usize>T * <usize>T) << 2;
    for (let t = 0; t < T; t++) {
      const row = s + base + ((<usize>t * <usize>T) << 2);
      const out = dst + base + ((<usize>t * <usize>T) << 2);
      const n = t + 1;
      let j = 0;
      let m = load<i32>(row);
      if (vec && n >= 4) {
        let vm = v128.load(row);
        for (j = 4; j + 4 <= n; j += 4) vm = i32x4.max_s(vm, v128.load(row + (<usize>j << 2)));
        m = max(max(i32x4.extract_lane(vm, 0), i32x4.extract_lane(vm, 1)), max(i32x4.extract_lane(vm, 2), i32x4.extract_lane(vm, 3)));
      } else j = 1;
      for (; j < n; j++) m = max(m, load<i32>(row + (<usize>j << 2)));
      // e_j into the output row, Σ e_j
      let sum: i64 = 0;
      j = 0;
      if (vec) {
        sum = nonNeg ? softmaxExpP(row, n & ~3, m, C, f, tab, out, dMax, B) : softmaxExpV(row, n & ~3, m, C, f, tab, out, dMax);
        j = n & ~3;
      }
      for (; j < n; j++) {
        const v = softmaxExp(load<i32>(row + (<usize>j << 2)), m, C, zf, tab);
        store<i32>(out + (<usize>j << 2), <i32>v);
        sum += v;
      }
      const R = <i64>(num / <u64>sum);
      j = 0;
      if (vec) {
        const vR = i64x2.splat(R);
        const vh = i64x2.splat(hf);
        const s32 = <i32>sh;
        if (R >= 0 && R <= 0xffffffff && nonNeg) {
          // e_j ≥ 0 and R < 2^32: the products as u32 · u32 (extmul)
          const vR32 = i32x4.splat(<i32>R);
          for (; j + 4 <= n; j += 4) {
            const p = out + (<usize>j << 2);
            const ev = v128.load(p);
            const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_u(ev, vR32), vh), s32);
            const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_u(ev, vR32), vh), s32);
            v128.store(p, narrow64(lo, hi));
          }
        } else {
          for (; j + 4 <= n; j += 4) {
            const p = out + (<usize>j << 2);
            const ev = v128.load(p);
            const lo = i64x2.shr_s(i64x2.add(i64x2.mul(i64x2.extend_low_i32x4_s(ev), vR), vh), s32);
            const hi = i64x2.shr_s(i64x2.add(i64x2.mul(i64x2.extend_high_i32x4_s(ev), vR), vh), s32);
            v128.store(p, narrow64(lo, hi));
          }
        }
      }
      for (; j < n; j++) {
        const p = out + (<usize>j << 2);
        store<i32>(p, <i32>((<i64>load<i32>(p) * R + hf) >> sh));
      }
      memory.fill(out + (<usize>n << 2), 0, <usize>(T - n) << 2);
    }
  }
}

/** e_j of one score: the 2^−(z / 2^zf) of fxSoftmaxRow, z = (m − x)·C, 0 when k ≥ 32. */
@inline function softmaxExp(x: i32, m: i32, C: i32, zf: i64, tab: usize): i64 {
  const z = (<i64>m - <i64>x) * <i64>C;
  const k = z >> zf;
  if (k >= 32) return 0;
  const rho = z & ((<i64>1 << zf) - 1);
  const i = rho >> (zf - 7);
  const phi = (rho >> (zf - 23)) & 0xffff;
  const p = tab + (<usize>i << 2);
  const E0 = <i64>load<i32>(p);
  const E1 = <i64>load<i32>(p, 4);
  const mant = E0 - (((E0 - E1) * phi + 32768) >> 16);
  return k == 0 ? mant : (mant + (<i64>1 << (k - 1))) >> k;
}

/**
 * e_j of the first n (a multiple of 4) scores of a row into out, returning their sum. The same
 * integers four at a time: d = m − x is exact as u32 (m ≥ x), z = d·C as u64 (extmul); u = z >> (f+1)
 * holds k (bits 23..), i (16..22) and φ (0..15); d is clamped where u passes 2^28 (k ≥ 32, e = 0) so u fits u32; the
 * interpolation fits i32 (expTableFits); rhu(mant, k) = floor(mant·2^−k + ½) exactly in f64 (≤ 33
 * significant bits), 2^−k built from k as f64 bits; or, when the table makes mant ≥ 0, as
 * (mant · 2^(30−k) + 2^29) >> 30 in u64 lanes (cheaper).
 */
function softmaxExpV(row: usize, n: i32, m: i32, C: i32, f: i32, tab: usize, out: usize, dMax: i32): i64 {
  const vm = i32x4.splat(m);
  const vC = i32x4.splat(C);
  const vD = i32x4.splat(dMax);
  const cap32 = i32x4.splat(1 << 28);
  const m7 = i32x4.splat(127);
  const mphi = i32x4.splat(0xffff);
  const r15 = i32x4.splat(32768);
  const bias = i64x2.splat(<i64>1023 << 52);
  const half = f64x2.splat(0.5);
  const s1 = f + 1;
  let acc = i64x2.splat(0);
  for (let j = 0; j < n; j += 4) {
    const o = <usize>j << 2;
    const d = i32x4.min_u(i32x4.sub(vm, v128.load(row + o)), vD);
    const u = narrow64(i64x2.shr_u(i64x2.extmul_low_i32x4_u(d, vC), s1), i64x2.shr_u(i64x2.extmul_high_i32x4_u(d, vC), s1));
    const live = i32x4.lt_u(u, cap32);
    const k = i32x4.shr_u(u, 23);
    const idx = v128.and(i32x4.shr_u(u, 16), m7);
    const phi = v128.and(u, mphi);
    const q01 = tablePairs01(tab, idx);
    const q23 = tablePairs23(tab, idx);
    const E0 = i32x4.shuffle(q01, q23, 0, 2, 4, 6);
    const E1 = i32x4.shuffle(q01, q23, 1, 3, 5, 7);
    const mant = i32x4.sub(E0, i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.sub(E0, E1), phi), r15), 16));
    const scl = i64x2.sub(bias, i64x2.shl(i64x2.extend_low_i32x4_u(k), 52));
    const sch = i64x2.sub(bias, i64x2.shl(i64x2.extend_high_i32x4_u(k), 52));
    const el = f64x2.floor(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(mant), scl), half));
    const eh = f64x2.floor(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(mant, mant, 2, 3, 2, 3)), sch), half));
    const ev = v128.and(
      i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(el), i32x4.trunc_sat_f64x2_s_zero(eh), 0, 1, 4, 5),
      live,
    );
    v128.store(out + o, ev);
    acc = i64x2.add(acc, i64x2.add(i64x2.extend_low_i32x4_s(ev), i64x2.extend_high_i32x4_s(ev)));
  }
  return i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
}

/**
 * softmaxExpV for a table that is ≥ 0 and falls (expTableFalls), so 0 ≤ e_j ≤ mant ≤ E[0] < 2^29:
 * rhu(mant, k) = (mant · 2^(30−k) + 2^29) >> 30 in u64 lanes, 2^(30−k) from f32 bits (k = 31..33
 * truncate to 0 and give 0: no mask needed, as u < 2^28 + 2^24 keeps k ≤ 33); the gather addresses
 * formed four at a time; the e_j summed in i32 lanes over blocks short enough not to overflow.
 */
function softmaxExpP(row: usize, n: i32, m: i32, C: i32, f: i32, tab: usize, out: usize, dMax: i32, B: i32): i64 {
  const vm = i32x4.splat(m);
  const vC = i32x4.splat(C);
  const vD = i32x4.splat(dMax);
  const vt = i32x4.splat(<i32>tab);
  const m7 = i32x4.splat(127 << 2);
  const mphi = i32x4.splat(0xffff);
  const r15 = i32x4.splat(32768);
  const b157 = i32x4.splat(157);
  const r29 = i64x2.splat(<i64>1 << 29);
  const s1 = f + 1;
  let sum: i64 = 0;
  for (let j0 = 0; j0 < n; j0 += B) {
    const j1 = <i32>min<i64>(<i64>j0 + <i64>B, <i64>n);
    let acc = i32x4.splat(0);
    for (let j = j0; j < j1; j += 4) {
      const o = <usize>j << 2;
      const d = i32x4.min_u(i32x4.sub(vm, v128.load(row + o)), vD);
      const u = narrow64(i64x2.shr_u(i64x2.extmul_low_i32x4_u(d, vC), s1), i64x2.shr_u(i64x2.extmul_high_i32x4_u(d, vC), s1));
      const k = i32x4.shr_u(u, 23);
      const adr = i32x4.add(v128.and(i32x4.shr_u(u, 14), m7), vt);
      const phi = v128.and(u, mphi);
      let q01 = v128.load64_zero(<usize>i32x4.extract_lane(adr, 0));
      q01 = v128.load64_lane(<usize>i32x4.extract_lane(adr, 1), q01, 1);
      let q23 = v128.load64_zero(<usize>i32x4.extract_lane(adr, 2));
      q23 = v128.load64_lane(<usize>i32x4.extract_lane(adr, 3), q23, 1);
      const E0 = i32x4.shuffle(q01, q23, 0, 2, 4, 6);
      const E1 = i32x4.shuffle(q01, q23, 1, 3, 5, 7);
      const mant = i32x4.sub(E0, i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.sub(E0, E1), phi), r15), 16));
      const pf = i32x4.shl(i32x4.sub(b157, k), 23);
      let pw: v128;
      if (ASC_FEATURE_RELAXED_SIMD) pw = i32x4.relaxed_trunc_f32x4_s(pf); // exact powers of two in [2^−2, 2^30]
      else pw = i32x4.trunc_sat_f32x4_s(pf);
      const el = i64x2.shr_u(i64x2.add(i64x2.extmul_low_i32x4_u(mant, pw), r29), 30);
      const eh = i64x2.shr_u(i64x2.add(i64x2.extmul_high_i32x4_u(mant, pw), r29), 30);
      const ev = narrow64(el, eh);
      v128.store(out + o, ev);
      acc = i32x4.add(acc, ev);
    }
    sum += <i64>i32x4.extract_lane(acc, 0) + <i64>i32x4.extract_lane(acc, 1) + <i64>i32x4.extract_lane(acc, 2) + <i64>i32x4.extract_lane(acc, 3);
  }
  return sum;
}

/** Whether the exp2 table is ≥ 0 and non-increasing. */
function expTableFalls(tab: usize): bool {
  for (let i = 0; i < 128; i++) {
    const t = load<i32>(tab + (<usize>i << 2));
    const t1 = load<i32>(tab + (<usize>i << 2), 4);
    if (t1 < 0 || t1 > t) return false;
  }
  return true;
}

/** Whether the exp2 table (2^7 + 1 entries) allows softmaxExpV's i32 interpolation: |E| < 2^29, |ΔE| < 2^15. */
function expTableFits(tab: usize): bool {
  for (let i = 0; i <= 128; i++) {
    const t = load<i32>(tab + (<usize>i << 2));
    if (t >= (1 << 29) || t <= -(1 << 29)) return false;
    if (i < 128) {
      const d = load<i32>(tab + (<usize>i << 2), 4) - t;
      if (d >= 32768 || d <= -32768) return false;
    }
  }
  return true;
}

/**
 * RoPE (rotate-half) of x [T, heads·hd] at positions pos0.. with tables cos/sin [positions, hd/2]
 * (2^20 scale): y_d = sat(rhu(x_d·c − x_{d+h}·s, 20)), y_{d+h} = sat(rhu(x_{d+h}·c + x_d·s, 20)).
 */
export function fxRopeK(x: usize, T: i32, heads: i32, hd: i32, cos: usize, sin: usize, pos0: i32, lim: i32, dst: usize): void {
  const half = hd >> 1;
  const W = heads * hd;
  const L = <i64>lim;
  const hf: i64 = 1 << 19;
  const vhf = i64x2.splat(hf);
  const vL = i64x2.splat(L);
  const vnL = i64x2.splat(-L);
  // nothing to saturate when max|x|·(max|cos| + max|sin|) (rounded, shifted) stays inside ±lim
  let noSat = false;
  if (T > 0 && half > 0) {
    const tn = T * half;
    const tp = (<usize>pos0 * <usize>half) << 2;
    const P = maxAbs(x, T * W) * (maxAbs(cos + tp, tn) + maxAbs(sin + tp, tn)); // < 2^63
    noSat = ((P + <u64>hf) >>> 20) + 1 <= <u64>L;
  }
  for (let t = 0; t < T; t++) {
    const co = (<usize>(pos0 + t) * <usize>half) << 2;
    for (let h = 0; h < heads; h++) {
      const o = (<usize>(t * W + h * hd)) << 2;
      let i = 0;
      for (; lim >= 0 && i + 4 <= half; i += 4) {
        const oi = o + (<usize>i << 2);
        const oh = oi + (<usize>half << 2);
        const a = v128.load(x + oi);
        const b = v128.load(x + oh);
        const c = v128.load(cos + co + (<usize>i << 2));
        const sn = v128.load(sin + co + (<usize>i << 2));
        const yl = i64x2.shr_s(i64x2.add(i64x2.sub(i64x2.extmul_low_i32x4_s(a, c), i64x2.extmul_low_i32x4_s(b, sn)), vhf), 20);
        const yh = i64x2.shr_s(i64x2.add(i64x2.sub(i64x2.extmul_high_i32x4_s(a, c), i64x2.extmul_high_i32x4_s(b, sn)), vhf), 20);
        const zl = i64x2.shr_s(i64x2.add(i64x2.add(i64x2.extmul_low_i32x4_s(b, c), i64x2.extmul_low_i32x4_s(a, sn)), vhf), 20);
        const zh = i64x2.shr_s(i64x2.add(i64x2.add(i64x2.extmul_high_i32x4_s(b, c), i64x2.extmul_high_i32x4_s(a, sn)), vhf), 20);
        if (noSat) {
          v128.store(dst + oi, narrow64(yl, yh));
          v128.store(dst + oh, narrow64(zl, zh));
        } else {
          v128.store(dst + oi, narrow64(sat64x2(yl, vL, vnL), sat64x2(yh, vL, vnL)));
          v128.store(dst + oh, narrow64(sat64x2(zl, vL, vnL), sat64x2(zh, vL, vnL)));
        }
      }
      for (; i < half; i++) {
        const oi = o + (<usize>i << 2);
        const oh = oi + (<usize>half << 2);
        const a = <i64>load<i32>(x + oi);
        const b = <i64>load<i32>(x + oh);
        const c = <i64>load<i32>(cos + co + (<usize>i << 2));
        const sn = <i64>load<i32>(sin + co + (<usize>i << 2));
        store<i32>(dst + oi, sat64((a * c - b * sn + hf) >> 20, L));
        store<i32>(dst + oh, sat64((b * c + a * sn + hf) >> 20, L));
      }
    }
  }
}
