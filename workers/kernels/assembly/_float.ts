// The float64 element-wise ops around the float32 GEMM in fp32 / fake mode, bit for bit the
// TypeScript of src/core/emulate (the readable twins; differential test src/core/kernels/float.test.ts,
// wrapper src/core/kernels/float.ts). Included by f32gemm.ts, so every place that loads the float
// GEMM has them without another file.
//
// The twins call Math.exp. V8's Math.exp is fdlibm's e_exp.c (src/base/ieee754.cc: the same
// argument reduction, polynomial and scaling, in plain double arithmetic with no fused multiply-add),
// so a faithful port computes the same double for every input: `fdExp` is that port (scalar), and
// `expV` the same arithmetic on two lanes (f64x2) for the common range, where every branch of the C
// code becomes a lane select. Lanes outside it (|x| ≥ 704, x = 1, NaN) take `fdExp`. The float.test.ts
// differential test checks `exp_f64` against Math.exp on millions of inputs over the whole range.
// Sums stay sequential, in the twins' index order (a vectorised sum would reassociate them).
//
// All pointers are byte offsets into this module's memory.

const O_THRESHOLD: f64 = 7.09782712893383973096e+02;
const U_THRESHOLD: f64 = -7.45133219101941108420e+02;
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;
const E: f64 = 2.718281828459045;
const HUGE: f64 = 1.0e+300;
const TWOM1000: f64 = 9.33263618503218878990e-302;
const TWO1023: f64 = 8.988465674311579539e307;
/** 1.5 · 2^52: bits(k + M) − bits(M) = k for integer-valued |k| < 2^51. */
const MAGIC: f64 = 6755399441055744.0;

/** fdlibm exp (e_exp.c as in V8's ieee754::exp): Math.exp, bit for bit. */
export function fdExp(xIn: f64): f64 {
  let x = xIn;
  const bits = reinterpret<u64>(x);
  const xsb = <i32>(bits >> 63);
  const hx = <u32>(bits >> 32) & 0x7fffffff;
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x; // NaN
      return xsb == 0 ? x : 0.0; // exp(±Inf) = {Inf, 0}
    }
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return 0.0;
  }
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2: reduce
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5 ln2
      if (x == 1.0) return E;
      hi = x - (xsb == 0 ? LN2_HI : -LN2_HI);
      lo = xsb == 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INV_LN2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    if (HUGE + x > 1.0) return 1.0 + x;
  } else {
    k = 0;
  }
  const t = x * x;
  const twopk = k >= -1021 ? reinterpret<f64>(<u64>(0x3ff + k) << 52) : reinterpret<f64>(<u64>(0x3ff + k + 1000) << 52);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * TWO1023;
    return y * twopk;
  }
  return y * twopk * TWOM1000;
}

/** All-ones lanes where expV's arithmetic is fdlibm's: |x| < 704 (so no overflow, underflow or NaN) and x ≠ 1. */
// @ts-ignore: decorator
@inline function fastLanes(x: v128): v128 {
  const hx = i64x2.shr_u(v128.and(x, i64x2.splat(0x7fffffffffffffff)), 32);
  return v128.andnot(i64x2.lt_s(hx, i64x2.splat(0x40860000)), f64x2.eq(x, f64x2.splat(1.0)));
}

/**
 * fdExp on two lanes whose |x| < 704 and x ≠ 1 (fastLanes): fdlibm's arithmetic with its branches
 * as selects (the three reduction regimes: none for |x| ≤ 0.5 ln2, k = ±1 below 1.5 ln2,
 * k = trunc(x/ln2 ± 1/2) beyond; 1 + x for |x| < 2^−28). No call inside (a call in the loop would
 * make the engine spill every vector constant around it).
 */
// @ts-ignore: decorator
@inline function expV(x: v128): v128 {
  const hx = i64x2.shr_u(v128.and(x, i64x2.splat(0x7fffffffffffffff)), 32);
  const neg = f64x2.lt(x, f64x2.splat(0.0));
  const tiny = i64x2.lt_s(hx, i64x2.splat(0x3e300000));
  const noRed = i64x2.le_s(hx, i64x2.splat(0x3fd62e42));
  const mid = i64x2.lt_s(hx, i64x2.splat(0x3ff0a2b2));
  // k: 0 without reduction, ±1 below 1.5 ln2, else trunc(x/ln2 ± 1/2) (C's (int) cast: toward zero;
  // f64x2.trunc gives the same integer as a double, |k| < 1024 here)
  const kg = f64x2.trunc(f64x2.add(f64x2.mul(f64x2.splat(INV_LN2), x), v128.bitselect(f64x2.splat(-0.5), f64x2.splat(0.5), neg)));
  const km = v128.bitselect(f64x2.splat(-1.0), f64x2.splat(1.0), neg);
  const kf = v128.andnot(v128.bitselect(km, kg, mid), noRed); // +0 where no reduction
  // k = 0: hi = x − 0 = x, lo = 0, x − 0 = x (exact), so one formula serves every regime
  const hi = f64x2.sub(x, f64x2.mul(kf, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(kf, f64x2.splat(LN2_LO));
  const xr = f64x2.sub(hi, lo);
  const t = f64x2.mul(xr, xr);
  let pl = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  pl = f64x2.add(f64x2.splat(P3), f64x2.mul(t, pl));
  pl = f64x2.add(f64x2.splat(P2), f64x2.mul(t, pl));
  pl = f64x2.add(f64x2.splat(P1), f64x2.mul(t, pl));
  const c = f64x2.sub(xr, f64x2.mul(t, pl));
  const xc = f64x2.mul(xr, c);
  const one = f64x2.splat(1.0);
  const two = f64x2.splat(2.0);
  // one division: 2 − c = −(c − 2) exactly, so xc/(2 − c) = −q and lo − xc/(2 − c) = lo + q, bit for bit
  const q = f64x2.div(xc, f64x2.sub(c, two));
  const r0 = f64x2.sub(one, f64x2.sub(q, xr));
  const y = f64x2.sub(one, f64x2.sub(f64x2.add(lo, q), hi));
  const kb = i64x2.sub(f64x2.add(kf, f64x2.splat(MAGIC)), f64x2.splat(MAGIC));
  const twopk = i64x2.add(i64x2.shl(kb, 52), i64x2.splat(0x3ff0000000000000));
  const r1 = f64x2.mul(y, twopk);
  return v128.bitselect(f64x2.add(one, x), v128.bitselect(r0, r1, noRed), tiny);
}

/** Elements per check of expInPlace: a whole chunk takes the vector path or the scalar one. */
const CHUNK: i32 = 256;

/**
 * p[i] = Math.exp(p[i]) for n doubles in place (fdExp's bits): per chunk, one pass checks that every
 * element is in expV's range, then the vector loop runs without a branch or call; a chunk holding an
 * element outside it (|x| ≥ 704, x = 1, NaN, ±Inf) runs fdExp element by element.
 */
function expInPlace(p: usize, n: i32): void {
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const m = min(CHUNK, n - c0);
    const base = p + (<usize>c0 << 3);
    const pairs = m & ~1;
    let ok = i64x2.splat(-1);
    for (let i = 0; i < pairs; i += 2) ok = v128.and(ok, fastLanes(v128.load(base + (<usize>i << 3))));
    if (!i64x2.all_true(ok)) {
      for (let i = 0; i < m; i++) store<f64>(base + (<usize>i << 3), fdExp(load<f64>(base + (<usize>i << 3))));
      continue;
    }
    let i = 0;
    for (; i + 4 <= pairs; i += 4) {
      const o = base + (<usize>i << 3);
      const a = expV(v128.load(o));
      const b = expV(v128.load(o, 16));
      v128.store(o, a);
      v128.store(o, b, 16);
    }
    for (; i < pairs; i += 2) v128.store(base + (<usize>i << 3), expV(v128.load(base + (<usize>i << 3))));
    if (m & 1) store<f64>(base + (<usize>pairs << 3), fdExp(load<f64>(base + (<usize>pairs << 3))));
  }
}

/** dst[i] = Math.exp(src[i]) for n doubles (the differential test's view of the exp above). */
export function exp_f64(src: usize, dst: usize, n: i32): void {
  if (src != dst) memory.copy(dst, src, <usize>n << 3);
  expInPlace(dst, n);
}

/**
 * Causal softmax of H score matrices [T, T] (f32) into p (f32), as src/core/emulate/linalg.ts
 * causalSoftmax: per row i, m = the first-come max of s[0..i] (NaN never wins), e_j = exp(s_j − m) in
 * f64, sum in j order, p_j = f32(e_j / sum); masked entries (j > i) +0. `e`: T doubles of scratch.
 */
export function softmax_causal(s: usize, p: usize, H: i32, T: i32, e: usize): void {
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      const ro = <usize>((h * T + i) * T) << 2;
      const row = s + ro;
      const prow = p + ro;
      const n = i + 1;
      let m: f32 = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = load<f32>(row + (<usize>j << 2));
        if (v > m) m = v;
      }
      const mv = f64x2.splat(<f64>m);
      let j = 0;
      for (; j + 2 <= n; j += 2) v128.store(e + (<usize>j << 3), f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>j << 2))), mv));
      if (j < n) store<f64>(e + (<usize>j << 3), <f64>load<f32>(row + (<usize>j << 2)) - <f64>m);
      expInPlace(e, n);
      let sum: f64 = 0;
      for (let q = 0; q < n; q++) sum += load<f64>(e + (<usize>q << 3));
      const sv = f64x2.splat(sum);
      j = 0;
      for (; j + 2 <= n; j += 2) {
        v128.store64_lane(prow + (<usize>j << 2), f32x4.demote_f64x2_zero(f64x2.div(v128.load(e + (<usize>j << 3)), sv)), 0);
      }
      if (j < n) store<f32>(prow + (<usize>j << 2), <f32>(load<f64>(e + (<usize>j << 3)) / sum));
      if (n < T) memory.fill(prow + (<usize>n << 2), 0, <usize>(T - n) << 2);
    }
  }
}

/**
 * SiLU of n f32 (y may be x): f32(x / (1 + exp(−x))) in f64, as linalg.ts activation('silu').
 * `e`: CHUNK doubles of scratch.
 */
export function silu_f32(x: usize, y: usize, n: i32, e: usize): void {
  const one = f64x2.splat(1.0);
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const m = min(CHUNK, n - c0);
    const xb = x + (<usize>c0 << 2);
    const yb = y + (<usize>c0 << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) v128.store(e + (<usize>i << 3), f64x2.neg(f64x2.promote_low_f32x4(v128.load64_zero(xb + (<usize>i << 2)))));
    if (i < m) store<f64>(e + (<usize>i << 3), -<f64>load<f32>(xb + (<usize>i << 2)));
    expInPlace(e, m);
    i = 0;
    for (; i + 2 <= m; i += 2) {
      const xv = f64x2.promote_low_f32x4(v128.load64_zero(xb + (<usize>i << 2)));
      v128.store64_lane(yb + (<usize>i << 2), f32x4.demote_f64x2_zero(f64x2.div(xv, f64x2.add(one, v128.load(e + (<usize>i << 3))))), 0);
    }
    if (i < m) {
      const v = <f64>load<f32>(xb + (<usize>i << 2));
      store<f32>(yb + (<usize>i << 2), <f32>(v / (1.0 + load<f64>(e + (<usize>i << 3)))));
    }
  }
}

/**
 * Per row of logits l [rows, V] (f32): the first-come max m (f64 out), its index (i32 out) and
 * Σ_v exp(l_v − m) in v order (f64 out) — the emulator's rowStats before its log. Rows whose max is
 * not finite get sum NaN and are left to the twin by the wrapper. `e`: V doubles of scratch.
 */
export function logit_rows(l: usize, rows: i32, V: i32, outM: usize, outS: usize, outArg: usize, e: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = l + (<usize>(r * V) << 2);
    let m: f32 = -Infinity;
    let arg = 0;
    for (let v = 0; v < V; v++) {
      const x = load<f32>(row + (<usize>v << 2));
      if (x > m) {
        m = x;
        arg = v;
      }
    }
    store<f64>(outM + (<usize>r << 3), <f64>m);
    store<i32>(outArg + (<usize>r << 2), arg);
    if (!isFinite(m)) {
      store<f64>(outS + (<usize>r << 3), NaN);
      continue;
    }
    const mv = f64x2.splat(<f64>m);
    let v = 0;
    for (; v + 2 <= V; v += 2) v128.store(e + (<usize>v << 3), f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>v << 2))), mv));
    if (v < V) store<f64>(e + (<usize>v << 3), <f64>load<f32>(row + (<usize>v << 2)) - <f64>m);
    expInPlace(e, V);
    let s: f64 = 0;
    for (let q = 0; q < V; q++) s += load<f64>(e + (<usize>q << 3));
    store<f64>(outS + (<usize>r << 3), s);
  }
}

/**
 * Per row: Σ_v [p_v > 0] p_v · (lp_v − (l_v − lse)), lp_v = ref_v − refLse, p_v = exp(lp_v), in v
 * order (f64 out) — the emulator's KL of one prediction. ref, l: [rows, V] f32; refLse, lse: f64 per
 * row. `e`: 2V doubles of scratch.
 */
export function kl_rows(ref: usize, refLse: usize, l: usize, lse: usize, rows: i32, V: i32, out: usize, e: usize): void {
  const pe = e + (<usize>V << 3);
  for (let r = 0; r < rows; r++) {
    const ro = <usize>(r * V) << 2;
    const rl = load<f64>(refLse + (<usize>r << 3));
    const ls = load<f64>(lse + (<usize>r << 3));
    const rlv = f64x2.splat(rl);
    const lsv = f64x2.splat(ls);
    let v = 0;
    for (; v + 2 <= V; v += 2) {
      const lp = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(ref + ro + (<usize>v << 2))), rlv);
      v128.store(e + (<usize>v << 3), lp);
      v128.store(pe + (<usize>v << 3), lp);
    }
    if (v < V) {
      const lp = <f64>load<f32>(ref + ro + (<usize>v << 2)) - rl;
      store<f64>(e + (<usize>v << 3), lp);
      store<f64>(pe + (<usize>v << 3), lp);
    }
    expInPlace(pe, V);
    let k: f64 = 0;
    v = 0;
    for (; v + 2 <= V; v += 2) {
      const p = v128.load(pe + (<usize>v << 3));
      const lp = v128.load(e + (<usize>v << 3));
      const term = f64x2.mul(p, f64x2.sub(lp, f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(l + ro + (<usize>v << 2))), lsv)));
      if (f64x2.extract_lane(p, 0) > 0) k += f64x2.extract_lane(term, 0);
      if (f64x2.extract_lane(p, 1) > 0) k += f64x2.extract_lane(term, 1);
    }
    if (v < V) {
      const p = load<f64>(pe + (<usize>v << 3));
      const lp = load<f64>(e + (<usize>v << 3));
      if (p > 0) k += p * (lp - (<f64>load<f32>(l + ro + (<usize>v << 2)) - ls));
    }
    store<f64>(out + (<usize>r << 3), k);
  }
}
