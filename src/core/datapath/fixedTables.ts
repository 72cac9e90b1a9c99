/**
 * The look-up tables and constants of the fixed-point non-GEMM ops (fixed.ts), computed by integer
 * arithmetic only: BigInt fixed point with P fractional bits (value = X / 2^P), Taylor / atanh /
 * Machin series, integer square roots. Nothing here calls Math.exp, Math.sin, Math.pow or any other
 * engine-dependent function, so every table is the same integer on every JavaScript engine, and the
 * SystemVerilog ROMs generated from them (src/core/rtl/components) cannot drift from the twin.
 *
 * Each table entry is the exact real value rounded half-to-even to the table's grid; the series are
 * evaluated with ≥ 60 guard bits beyond the grid, so a rounding decision could only differ from the
 * real-number rounding for a value within ~2^−60 of a half-integer (none does in the shipped tables;
 * either way the integers below are the definition).
 *
 * Ring 1: no DOM, no Node built-ins.
 */

/** Working precision of the series (fractional bits). */
const P = 192n;
const ONE = 1n << P;

const mul = (a: bigint, b: bigint): bigint => (a * b) >> P;
const div = (a: bigint, b: bigint): bigint => (a << P) / b;

/** Round a P-bit fixed-point value to an integer number of 2^−f units, ties to even (floor semantics for negatives). */
function roundTo(x: bigint, f: number): number {
  const s = P - BigInt(f);
  const q = x >> s; // floor
  const rem = x - (q << s);
  const half = 1n << (s - 1n);
  let r = q;
  if (rem > half || (rem === half && (q & 1n) === 1n)) r = q + 1n;
  return Number(r);
}

/** floor(sqrt(n)) of a non-negative BigInt (Newton from above). */
export function isqrtBig(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** exp(x) for |x| ≤ 1 by its Taylor series. */
function expSmall(x: bigint): bigint {
  let sum = ONE;
  let term = ONE;
  for (let k = 1n; ; k++) {
    term = mul(term, x) / k;
    if (term === 0n) return sum;
    sum += term;
  }
}

/** exp(x) for any x: exp(x / 2^k)^(2^k) with |x / 2^k| ≤ 1. */
function expBig(x: bigint): bigint {
  let k = 0;
  let y = x;
  while (y > ONE || y < -ONE) {
    y >>= 1n; // floor halving; the lost 2^−P is far below the guard bits
    k++;
  }
  let r = expSmall(y);
  for (let i = 0; i < k; i++) r = mul(r, r);
  return r;
}

/** atanh(y) = Σ y^(2k+1) / (2k+1), |y| ≤ 1/2. */
function atanhSeries(y: bigint): bigint {
  const y2 = mul(y, y);
  let pow = y;
  let sum = y;
  for (let k = 1n; ; k++) {
    pow = mul(pow, y2);
    const t = pow / (2n * k + 1n);
    if (t === 0n) return sum;
    sum += t;
  }
}

let ln2Cache: bigint | undefined;
/** ln 2 = 2·atanh(1/3). */
function ln2(): bigint {
  return (ln2Cache ??= 2n * atanhSeries(ONE / 3n));
}

/** ln(x) for x > 0: x = 2^e·m with m in [1, 2), ln m = 2·atanh((m − 1)/(m + 1)). */
function lnBig(x: bigint): bigint {
  if (x <= 0n) throw new RangeError('ln of a non-positive number');
  let e = 0n;
  let m = x;
  while (m >= 2n * ONE) {
    m >>= 1n;
    e++;
  }
  while (m < ONE) {
    m <<= 1n;
    e--;
  }
  return e * ln2() + 2n * atanhSeries(div(m - ONE, m + ONE));
}

/** atan(1/n) = Σ (−1)^k / ((2k+1)·n^(2k+1)) for an integer n ≥ 2. */
function atanInv(n: bigint): bigint {
  const n2 = n * n;
  let pow = ONE / n;
  let sum = pow;
  for (let k = 1n; ; k++) {
    pow /= n2;
    const t = pow / (2n * k + 1n);
    if (t === 0n) return sum;
    sum += k % 2n === 1n ? -t : t;
  }
}

let piCache: bigint | undefined;
/** π by Machin's formula: 16·atan(1/5) − 4·atan(1/239). */
function pi(): bigint {
  return (piCache ??= 16n * atanInv(5n) - 4n * atanInv(239n));
}

/** cos and sin of x (any real): reduced to [−π, π], then the Taylor series. */
function cosSin(x: bigint): { c: bigint; s: bigint } {
  const twoPi = 2n * pi();
  let r = x % twoPi;
  if (r > pi()) r -= twoPi;
  if (r < -pi()) r += twoPi;
  const r2 = mul(r, r);
  let c = ONE;
  let s = r;
  let tc = ONE;
  let ts = r;
  for (let k = 1n; ; k++) {
    tc = -mul(tc, r2) / ((2n * k - 1n) * (2n * k));
    ts = -mul(ts, r2) / ((2n * k) * (2n * k + 1n));
    if (tc === 0n && ts === 0n) return { c, s };
    c += tc;
    s += ts;
  }
}

/** erf(x) for 0 ≤ x ≤ 6 by its Maclaurin series (cancellation ≤ 2^52 at x = 6; P leaves 140 bits). */
function erfBig(x: bigint): bigint {
  const x2 = mul(x, x);
  let term = x; // x^(2n+1) / n! with alternating sign
  let sum = x;
  for (let n = 1n; ; n++) {
    term = -mul(term, x2) / n;
    const t = term / (2n * n + 1n);
    if (t === 0n) break;
    sum += t;
  }
  // 2/√π = 2 / sqrt(π)
  const sqrtPi = isqrtBig(pi() << P);
  return div(2n * sum, sqrtPi);
}

/** The exact value of a finite double as a P-bit fixed-point BigInt (truncated below 2^−P). */
function fromDouble(v: number): bigint {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  // v = m · 2^e with an integer m < 2^53
  let e = 0;
  let m = v;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  while (Math.abs(m) >= 2 ** 53) {
    m /= 2;
    e++;
  }
  const sh = BigInt(e) + P;
  return sh >= 0n ? BigInt(m) << sh : BigInt(m) >> -sh;
}

// ---------------------------------------------------------------------------------------------
// The tables of fixed.ts. Sizes and grids are fixed (independent of the ACT format), so the
// SystemVerilog ROMs are constants.

/** Sigmoid-like tables: entries at v = i / 2^CDF_STEP_LOG2 for i = 0..CDF_N, in units 2^−CDF_F. */
export const CDF_STEP_LOG2 = 5;
/** Intervals of the sigmoid / Φ tables: they cover v in [0, 16). */
export const CDF_N = 16 << CDF_STEP_LOG2;
/** Fractional bits of the sigmoid / Φ table entries (1.0 = 2^20). */
export const CDF_F = 20;

/** exp2 table: 2^(−i/2^EXP2_IDX_BITS) for i = 0..2^EXP2_IDX_BITS, in units 2^−EXP2_F. */
export const EXP2_IDX_BITS = 7;
/** Fractional bits of the exp2 table entries (1.0 = 2^20). */
export const EXP2_F = 20;

const cache = new Map<string, Int32Array>();
function memo(key: string, make: () => Int32Array): Int32Array {
  let t = cache.get(key);
  if (!t) cache.set(key, (t = make()));
  return t;
}

/** σ(i/32)·2^20 rounded half-even, i = 0..512 (σ(v) = 1/(1 + e^−v)). */
export function sigmoidTable(): Int32Array {
  return memo('sigmoid', () => {
    const t = new Int32Array(CDF_N + 1);
    const step = expBig(-(ONE >> BigInt(CDF_STEP_LOG2))); // e^(−1/32)
    let e = ONE; // e^(−i/32), by repeated multiplication (error ~ i·2^−192)
    for (let i = 0; i <= CDF_N; i++) {
      t[i] = roundTo(div(ONE, ONE + e), CDF_F);
      e = mul(e, step);
    }
    return t;
  });
}

/** Φ(i/32)·2^20 rounded half-even, i = 0..512 (Φ the standard normal CDF, (1 + erf(v/√2))/2). */
export function normCdfTable(): Int32Array {
  return memo('normcdf', () => {
    const t = new Int32Array(CDF_N + 1);
    const invSqrt2 = div(ONE, isqrtBig(2n << (2n * P))); // 1/√2 (√x of a fixed-point x is isqrt(X·2^P))
    for (let i = 0; i <= CDF_N; i++) {
      const v = BigInt(i) << (P - BigInt(CDF_STEP_LOG2));
      // Φ(v) > 1 − 2^−49 for v ≥ 8: the entry is exactly 2^20 there (and the series would need more guard bits)
      if (i >= 8 << CDF_STEP_LOG2) t[i] = 1 << CDF_F;
      else t[i] = roundTo((ONE + erfBig(mul(v, invSqrt2))) >> 1n, CDF_F);
    }
    return t;
  });
}

/** 2^(−i/128)·2^20 rounded half-even, i = 0..128 (from 2^(−1/128) = seven nested square roots of 1/2). */
export function exp2Table(): Int32Array {
  return memo('exp2', () => {
    const n = 1 << EXP2_IDX_BITS;
    let r = ONE >> 1n;
    for (let k = 0; k < EXP2_IDX_BITS; k++) r = isqrtBig(r << P); // sqrt in fixed point: isqrt(x·2^P)
    const t = new Int32Array(n + 1);
    let v = ONE;
    for (let i = 0; i <= n; i++) {
      t[i] = roundTo(v, EXP2_F);
      v = mul(v, r);
    }
    return t;
  });
}

/** round(x · 2^f) of an exact real given as a P-bit fixed-point BigInt, ties to even. */
function constant(x: bigint, f: number): number {
  return roundTo(x, f);
}

/** Fractional bits of the softmax exponent constant (see fixed.ts softmaxRow). */
export const SOFTMAX_C_F = 24;

/**
 * The softmax exponent constant of an attention scale: round(scale · log2(e) · 2^24). `scale` is
 * taken as the exact value of the double (e.g. 1/Math.sqrt(hd) — prefer attentionScaleConst for the
 * exact 1/√hd).
 */
export function softmaxScaleConst(scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`softmax scale must be a positive finite number (got ${scale})`);
  return constant(div(fromDouble(scale), ln2()), SOFTMAX_C_F);
}

/** round(log2(e) / √headDim · 2^24): the exponent constant of attention's 1/√headDim scale, exactly. */
export function attentionScaleConst(headDim: number): number {
  if (!Number.isInteger(headDim) || headDim < 1) throw new RangeError(`head dim must be a positive integer (got ${headDim})`);
  const sqrtHd = isqrtBig(BigInt(headDim) << (2n * P));
  return constant(div(ONE, mul(sqrtHd, ln2())), SOFTMAX_C_F);
}

/** Fractional bits of the gelu_new polynomial constants. */
export const GELU_C_F = 20;

/** gelu_new's σ argument v = G1·x + G3·x³ with G1 = 2·√(2/π), G3 = 2·√(2/π)·0.044715, each · 2^20 rounded. */
export function geluNewConsts(): { g1: number; g3: number } {
  const k = isqrtBig(div(2n * ONE, pi()) << P); // √(2/π)
  return { g1: constant(2n * k, GELU_C_F), g3: constant((2n * k * 44715n) / 1000000n, GELU_C_F) };
}

/**
 * RoPE tables: cos and sin of t·ω_i for t = 0..positions−1 and i = 0..hd/2−1, ω_i = θ^(−2i/hd),
 * each · 2^f rounded half-even, laid out [t, i] (row t has hd/2 entries). θ is taken as the exact
 * value of the double (10000, 500000, …).
 */
export function ropeTable(positions: number, headDim: number, theta: number, f: number): { cos: Int32Array; sin: Int32Array } {
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2) throw new RangeError(`RoPE head dim must be a positive even integer (got ${headDim})`);
  if (!Number.isInteger(positions) || positions < 1) throw new RangeError(`RoPE positions must be a positive integer (got ${positions})`);
  if (!(theta > 1) || !Number.isFinite(theta)) throw new RangeError(`RoPE theta must be a finite number > 1 (got ${theta})`);
  const key = `rope|${positions}|${headDim}|${theta}|${f}`;
  const half = headDim / 2;
  const flat = memo(key, () => {
    const cos = new Int32Array(positions * half);
    const sin = new Int32Array(positions * half);
    const lnTheta = lnBig(fromDouble(theta));
    for (let i = 0; i < half; i++) {
      const w = expBig(-(lnTheta * BigInt(2 * i)) / BigInt(headDim)); // θ^(−2i/hd)
      const { c: c1, s: s1 } = cosSin(w);
      // rotate by ω per position: (c, s) ← (c·c1 − s·s1, s·c1 + c·s1); the error grows ~t·2^−192
      let c = ONE;
      let s = 0n;
      for (let t = 0; t < positions; t++) {
        cos[t * half + i] = roundTo(c, f);
        sin[t * half + i] = roundTo(s, f);
        const nc = mul(c, c1) - mul(s, s1);
        s = mul(s, c1) + mul(c, s1);
        c = nc;
      }
    }
    const both = new Int32Array(2 * positions * half);
    both.set(cos, 0);
    both.set(sin, positions * half);
    return both;
  });
  const n = positions * half;
  return { cos: flat.subarray(0, n), sin: flat.subarray(n) };
}

/** Exposed for the tests: a few reference reals at 2^−52 (π, ln 2, e^−1, erf(1), cos 1, sin 1). */
export function referenceReals(): Record<string, number> {
  const toDouble = (x: bigint) => Number(x >> (P - 60n)) / 2 ** 60;
  const cs = cosSin(ONE);
  return {
    pi: toDouble(pi()),
    ln2: toDouble(ln2()),
    expm1: toDouble(expBig(-ONE)),
    erf1: toDouble(erfBig(ONE)),
    cos1: toDouble(cs.c),
    sin1: toDouble(cs.s),
    ln10: toDouble(lnBig(10n * ONE)),
  };
}
