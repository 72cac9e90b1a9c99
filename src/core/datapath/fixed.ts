/**
 * The non-GEMM ops of the generated hardware on ACT fixed point (act.ts), as readable TypeScript:
 * the specification the emulator's integer mode runs and the RTL components fx_*.sv reproduce bit
 * for bit (src/core/rtl/README.md, "The hardware numeric contract").
 *
 * Every op takes ACT integers (Int32Array, value = v · 2^−f) and returns ACT integers, using integer
 * arithmetic only: adds, multiplies, shifts with round-half-up (`rhu`), saturation, one integer
 * division and one integer square root per row where a row needs a reciprocal, and look-up tables
 * whose entries are integers computed by fixedTables.ts (BigInt series, no Math.exp). Arithmetic on
 * JS numbers is exact here because every intermediate is an integer below 2^53 (argued per op; the
 * few that can exceed it go through BigInt).
 *
 * The shapes follow the hardware: a row reduction (max / Σx² / Σe) then a per-element pass.
 * Error bounds against the float64 ops are in README.md and asserted by fixed.test.ts.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { FormatError, checkInt } from '../formats/errors';
import { actMax, fixInt, roundHalfEven, type ActFormat } from './act';
import { CDF_F, CDF_N, CDF_STEP_LOG2, EXP2_F, EXP2_IDX_BITS, GELU_C_F, SOFTMAX_C_F, exp2Table, geluNewConsts, normCdfTable, ropeTable, sigmoidTable } from './fixedTables';

export { attentionScaleConst, softmaxScaleConst } from './fixedTables';

// ---------------------------------------------------------------------------------------------
// Integer helpers. Shifts round half up (add 2^(s−1), then an arithmetic shift right): the
// cheapest rounding in hardware. All arguments are integers with |x| < 2^53.

/** 2^k and 2^−k for k = 0..63 (the shifts below run in inner loops; `2 ** k` is a call). */
const POW = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);
const INV = Float64Array.from({ length: 64 }, (_, k) => 2 ** -k);

/** Round half up of x / 2^s (0 ≤ s < 64): floor((x + 2^(s−1)) / 2^s). */
export function rhu(x: number, s: number): number {
  return s === 0 ? x : Math.floor((x + POW[s - 1]) * INV[s]);
}

/** rhu(a · b, s), exact also when the product exceeds 2^53 (then in BigInt). */
export function mulRhu(a: number, b: number, s: number): number {
  const p = a * b;
  if (p < 2 ** 53 && p > -(2 ** 53)) return rhu(p, s);
  const q = BigInt(a) * BigInt(b);
  return Number(s === 0 ? q : (q + (1n << BigInt(s - 1))) >> BigInt(s));
}

/** Saturate to ±m. */
function sat(x: number, m: number): number {
  return x > m ? m : x < -m ? -m : x;
}

/** floor(sqrt(q)) of an integer 0 ≤ q < 2^53 (the double sqrt is correctly rounded; one correction each way). */
export function isqrt(q: number): number {
  let r = Math.floor(Math.sqrt(q));
  while (r * r > q) r--;
  while ((r + 1) * (r + 1) <= q) r++;
  return r;
}

/** Number of bits of a non-negative integer (0 → 0). */
function bitLength(m: bigint): number {
  if (m < 2n ** 53n) {
    const n = Number(m);
    return n < 2 ** 32 ? 32 - Math.clz32(n) : 64 - Math.clz32(Math.floor(n / 2 ** 32));
  }
  return m.toString(2).length;
}

/** Throws FormatError unless the ACT format suits the fixed-point ops: 8 ≤ w ≤ 24, 5 ≤ f ≤ w − 2. */
export function checkAct(a: ActFormat): ActFormat {
  checkInt('ACT width', a.w, 8, 24);
  // f ≥ 5: the sigmoid tables index v in steps of 2^−5; f ≤ w − 2: softmax's 1.0 and its sign fit
  checkInt('ACT fraction bits', a.f, 5, a.w - 2);
  return a;
}

function checkLen(name: string, x: ArrayLike<number>, n: number, what: string): void {
  if (x.length !== n) throw new FormatError(`${name} length`, String(x.length), `${n} (${what})`);
}

// ---------------------------------------------------------------------------------------------
// Element-wise ops

/** Residual add (and learned positions): sat(a + b). Exact. */
export function fxAdd(a: Int32Array, b: Int32Array, act: ActFormat): Int32Array {
  checkLen('b', b, a.length, 'the length of a');
  const m = actMax(act);
  const y = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = sat(a[i] + b[i], m);
  return y;
}

/** The SwiGLU product gate·up: sat(rhu(a · b, f)). |a·b| < 2^46. Error ≤ ½ LSB (unsaturated). */
export function fxMul(a: Int32Array, b: Int32Array, act: ActFormat): Int32Array {
  checkLen('b', b, a.length, 'the length of a');
  const m = actMax(act);
  const half = 2 ** (act.f - 1);
  const sc = 2 ** -act.f;
  const y = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = sat(Math.floor((a[i] * b[i] + half) * sc), m);
  return y;
}

/** ReLU: max(x, 0). Exact. */
export function fxRelu(x: Int32Array): Int32Array {
  const y = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
  return y;
}

/**
 * A sigmoid-like CDF g (g(−v) = 1 − g(v)) from its table at v = i/32, i = 0..512, by linear
 * interpolation: |v| is clamped to 16 − 2^−f, i = |v| >> (f − 5), the low f − 5 bits φ weight
 * T[i+1] − T[i]: g(|v|) = T[i] + rhu((T[i+1] − T[i]) · φ, f − 5); negative v gives 2^20 − g(|v|).
 * Result in units 2^−20. (A class so the shift constants are computed once, not per element.)
 */
class Cdf {
  private readonly sh: number;
  private readonly lim: number;
  private readonly up: number;
  private readonly half: number;
  private readonly down: number;
  constructor(
    private readonly t: Int32Array,
    f: number,
  ) {
    this.sh = f - CDF_STEP_LOG2;
    this.lim = CDF_N * 2 ** this.sh - 1; // 16 − 2^−f
    this.up = 2 ** this.sh;
    this.down = 2 ** -this.sh;
    this.half = this.sh === 0 ? 0 : 2 ** (this.sh - 1);
  }
  at(v: number): number {
    const t = this.t;
    const a = v < 0 ? -v : v;
    const c = a > this.lim ? this.lim : a;
    const i = Math.floor(c * this.down);
    const fr = c - i * this.up;
    const g = t[i] + Math.floor(((t[i + 1] - t[i]) * fr + this.half) * this.down);
    return v < 0 ? ONE_CDF - g : g;
  }
}
const ONE_CDF = 2 ** CDF_F;
const INV_CDF = 2 ** -CDF_F;
const HALF_CDF = 2 ** (CDF_F - 1);

/** SiLU x·σ(x): rhu(x · g_σ(x), 20). |x·g| < 2^44. */
export function fxSilu(x: Int32Array, act: ActFormat): Int32Array {
  const g = new Cdf(sigmoidTable(), act.f);
  const y = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.floor((x[i] * g.at(x[i]) + HALF_CDF) * INV_CDF);
  return y;
}

/** |x| beyond which gelu_new's σ argument is saturated (|v(8)| ≈ 49 > 16): the cubic is evaluated on clamp(x, ±8). */
export const GELU_CLAMP = 8;

/**
 * gelu_new (GPT-2's tanh GELU) as x·σ(v): 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³).
 * xc = clamp(x, ±8); x2 = rhu(xc², f); x3 = rhu(x2·xc, f); v = rhu(G1·xc + G3·x3, 20) (ACT units);
 * y = rhu(x · g_σ(v), 20).
 */
export function fxGeluNew(x: Int32Array, act: ActFormat): Int32Array {
  const g = new Cdf(sigmoidTable(), act.f);
  const { g1, g3 } = geluNewConsts();
  const f = act.f;
  const cl = GELU_CLAMP * 2 ** f;
  const y = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const xc = xi > cl ? cl : xi < -cl ? -cl : xi;
    const x2 = rhu(xc * xc, f);
    const x3 = rhu(x2 * xc, f);
    const v = rhu(g1 * xc + g3 * x3, GELU_C_F);
    y[i] = rhu(xi * g.at(v), CDF_F);
  }
  return y;
}

/** gelu (erf) x·Φ(x): rhu(x · g_Φ(x), 20) with the normal-CDF table. */
export function fxGelu(x: Int32Array, act: ActFormat): Int32Array {
  const g = new Cdf(normCdfTable(), act.f);
  const y = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = rhu(x[i] * g.at(x[i]), CDF_F);
  return y;
}

/** The MLP activation of a model config. */
export function fxActivation(kind: 'silu' | 'gelu_new' | 'gelu' | 'relu', x: Int32Array, act: ActFormat): Int32Array {
  switch (kind) {
    case 'silu':
      return fxSilu(x, act);
    case 'gelu_new':
      return fxGeluNew(x, act);
    case 'gelu':
      return fxGelu(x, act);
    case 'relu':
      return fxRelu(x);
  }
}

// ---------------------------------------------------------------------------------------------
// Norms

/** Fractional bits of the normalised value u = x·rsqrt(mean + eps) (|u| ≤ √D). */
export const NORM_U_F = 20;
/**
 * Extra fraction bits of m' over x² (m' = Σx² · 2^16 + D·eps): eps = 1e-5 in units 2^−28 would be
 * 2684.35 and its rounding alone would move the output of a near-zero row by ~1.4 LSB.
 */
export const NORM_EPS_X = 16;
/** Width of the norm weights' fixed point (their fraction bits `wf` are chosen per tensor, ≤ 20). */
export const NORM_W_W = 24;
export const NORM_W_F_MAX = 20;

/** A norm's parameters in fixed point: what the generator puts in the weight ROM and the module parameters. */
export interface FxNormParams {
  /** The weight, round-half-even(w · 2^wf), |w| ≤ 2^23 − 1. */
  readonly w: Int32Array;
  /** Fraction bits of `w`: the largest ≤ 20 at which the largest |w| fits 24 bits. */
  readonly wf: number;
  /** LayerNorm's bias as ACT (fix), absent for RMSNorm. */
  readonly b?: Int32Array;
  /**
   * eps as an integer in units 2^−(2f+16) (of mean(x²), 16 bits finer than x²):
   * max(2^16, round-half-even(eps · 2^(2f+16))) — an eps below 2^−2f (3.7e−9 at f = 14; models use
   * 1e−5 or 1e−6) is raised to it, which keeps the row shift ≥ 4.
   */
  readonly eps: number;
}

/** Fixed-point norm parameters from the float weights (and bias) and eps. */
export function fxNormParams(w: Float32Array, b: Float32Array | undefined, eps: number, act: ActFormat): FxNormParams {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new FormatError('norm eps', String(eps), 'a finite number ≥ 0');
  let mx = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    if (!Number.isFinite(a)) throw new FormatError('norm weight', String(w[i]), `finite values (element ${i})`);
    if (a > mx) mx = a;
  }
  const lim = 2 ** (NORM_W_W - 1) - 1;
  let wf = NORM_W_F_MAX;
  while (wf > 0 && roundHalfEven(mx * 2 ** wf) > lim) wf--;
  if (roundHalfEven(mx * 2 ** wf) > lim) throw new FormatError('norm weight', String(mx), `|w| < 2^23 for the 24-bit norm weight ROM`);
  const wi = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) wi[i] = roundHalfEven(w[i] * 2 ** wf);
  let bi: Int32Array | undefined;
  if (b) {
    checkLen('norm bias', b, w.length, 'the weight length');
    bi = new Int32Array(b.length);
    for (let i = 0; i < b.length; i++) bi[i] = fixInt(Math.fround(b[i]), act);
  }
  const e = Math.max(2 ** NORM_EPS_X, roundHalfEven(eps * 2 ** (2 * act.f + NORM_EPS_X)));
  if (e > 2 ** 52) throw new FormatError('norm eps', String(eps), `eps · 2^${2 * act.f + NORM_EPS_X} ≤ 2^52`);
  return { w: wi, wf, b: bi, eps: e };
}

/** Σ v² of a row, exact (Numbers while the sum stays below 2^53, BigInt beyond). */
function sumSquares(x: ArrayLike<number>, o: number, n: number): bigint {
  let big = 0n;
  let acc = 0;
  for (let d = 0; d < n; d++) {
    const v = x[o + d];
    const sq = v * v;
    if (sq >= 2 ** 52) {
      big += BigInt(v) * BigInt(v);
      continue;
    }
    acc += sq; // < 2^53: exact
    if (acc >= 2 ** 52) {
      big += BigInt(acc);
      acc = 0;
    }
  }
  return big + BigInt(acc);
}

/** Per-row scale of a norm: u = rhu(v · r, shift) is v · rsqrt(mean + eps) with NORM_U_F fraction bits. */
export interface NormScale {
  /** floor(sqrt(floor(D · 2^(80 − 2h) / m_n))), in (2^23, 2^25]. */
  readonly r: number;
  /** 12 − j − h: from 4 (m' = D·2^16) up (see normScale). */
  readonly shift: number;
}

/**
 * The row scale of a norm from m' = D·(mean square + eps) in units 2^−(2f+16) (an exact integer ≥ 1):
 *  - normalise: b = bit length of m', j = floor((32 − b)/2), m_n = m'·4^j (a right shift, truncating,
 *    when j < 0), so m_n ∈ [2^30, 2^32);
 *  - h = ceil(ceil(log2 D)/2); q = floor(D · 2^(80−2h) / m_n) ∈ (2^46, 2^50]; r = floor(sqrt(q)),
 *    so sqrt(D/m') ≈ r · 2^(j + h − 40);
 *  - rsqrt(mean + eps) = 2^(f+8) · sqrt(D/m'), so u = v · 2^−f · rsqrt in units 2^−20 is
 *    rhu(v · r, shift) with shift = 40 − 8 − j − h − 20 = 12 − j − h.
 * With eps ≥ 2^−2f (m' ≥ D·2^16) shift ≥ 4; it is at most 30 + ceil(log2 D).
 * In hardware: a leading-zero count, one restoring division and one restoring square root per row.
 */
export function normScale(mPrime: bigint, D: number): NormScale {
  if (mPrime < 1n) throw new FormatError('norm m\'', String(mPrime), 'an integer ≥ 1');
  const b = bitLength(mPrime);
  const j = Math.floor((32 - b) / 2);
  const mn = j >= 0 ? mPrime << BigInt(2 * j) : mPrime >> BigInt(-2 * j);
  const h = normH(D);
  const q = Number((BigInt(D) << BigInt(80 - 2 * h)) / mn);
  return { r: isqrt(q), shift: 40 - NORM_EPS_X / 2 - j - h - NORM_U_F };
}

/** h = ceil(ceil(log2 D) / 2) of normScale (a parameter of the RTL norm modules). */
export function normH(D: number): number {
  return Math.ceil((32 - Math.clz32(D - 1)) / 2); // 32 − clz32(D − 1) = ceil(log2 D) for D ≥ 1
}

function checkNorm(x: Int32Array, T: number, D: number, p: FxNormParams, act: ActFormat): void {
  checkAct(act);
  checkInt('T', T, 0, 2 ** 31 - 1);
  checkInt('D', D, 1, 2 ** 20);
  checkLen('x', x, T * D, `T·D = ${T}·${D}`);
  checkLen('norm weight', p.w, D, `D = ${D}`);
}

/**
 * RMSNorm (HF LLaMA: w · (x · rsqrt(mean(x²) + eps))) per row of D:
 *   S = Σ x² (exact), m' = S·2^16 + D·eps, (r, shift) = normScale(m', D),
 *   u = rhu(x · r, shift)  (x·rsqrt, 20 fraction bits; |x·r| < 2^48),
 *   y = sat(rhu(u · w, 20 + wf − f)).
 */
export function fxRmsNorm(x: Int32Array, T: number, D: number, p: FxNormParams, act: ActFormat): Int32Array {
  checkNorm(x, T, D, p, act);
  const m = actMax(act);
  const y = new Int32Array(T * D);
  const s2 = NORM_U_F + p.wf - act.f;
  const DE = BigInt(D) * BigInt(p.eps);
  for (let t = 0; t < T; t++) {
    const o = t * D;
    const { r, shift } = normScale((sumSquares(x, o, D) << BigInt(NORM_EPS_X)) + DE, D);
    for (let d = 0; d < D; d++) {
      const u = rhu(x[o + d] * r, shift);
      y[o + d] = sat(mulRhu(u, p.w[d], s2), m);
    }
  }
  return y;
}

/**
 * LayerNorm ((x − mean)/sqrt(var + eps) · w + b, biased variance) per row of D, with the mean kept
 * exact by scaling with D: c = D·x − Σx (exact, |c| < D·2^24), m' = Σc²·2^16 + D³·eps, then as RMSNorm:
 *   (r, shift) = normScale(m', D), u = rhu(c · r, shift), y = sat(rhu(u · w, 20 + wf − f) + b).
 * (u = c·sqrt(D/m') = (x − mean)/sqrt(var + eps).)
 */
export function fxLayerNorm(x: Int32Array, T: number, D: number, p: FxNormParams, act: ActFormat): Int32Array {
  checkNorm(x, T, D, p, act);
  if (!p.b) throw new FormatError('norm bias', 'missing', 'LayerNorm parameters with a bias (fxNormParams(w, b, …))');
  const m = actMax(act);
  const y = new Int32Array(T * D);
  const s2 = NORM_U_F + p.wf - act.f;
  const D3E = BigInt(D) ** 3n * BigInt(p.eps);
  const c = new Float64Array(D);
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let sx = 0;
    for (let d = 0; d < D; d++) sx += x[o + d];
    for (let d = 0; d < D; d++) c[d] = D * x[o + d] - sx;
    const { r, shift } = normScale((sumSquares(c, 0, D) << BigInt(NORM_EPS_X)) + D3E, D);
    for (let d = 0; d < D; d++) {
      const u = mulRhu(c[d], r, shift);
      y[o + d] = sat(mulRhu(u, p.w[d], s2) + p.b![d], m);
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Softmax

/** Fraction bits of the softmax reciprocal: R = floor(2^(20+32) / Σe). */
export const SOFTMAX_R_BITS = 32;

/**
 * Softmax of one row of n scores s (ACT) with the attention scale inside, into out (ACT, ≤ 2^f):
 *   m = max s; per j: d = m − s_j ≥ 0; z = d · C (C = softmax constant ≈ scale·log2(e)·2^24,
 *   z in units 2^−(f+24), < 2^50); k = z >> (f+24), ρ = the fraction;
 *   2^−ρ = E[i] − rhu((E[i] − E[i+1]) · φ, 16) with i the top 7 bits of ρ, φ the next 16 (E = exp2Table);
 *   e_j = rhu(2^−ρ, k) for k < 32, else 0   (e_max = 2^20 exactly);
 *   R = floor(2^52 / Σ e); p_j = rhu(e_j · R, 52 − f)   (e·R ≤ 2^52).
 */
export function fxSoftmaxRow(s: Int32Array, so: number, n: number, C: number, act: ActFormat, out: Int32Array, oo: number, e: Float64Array): void {
  const E = exp2Table();
  const f = act.f;
  const zf = f + SOFTMAX_C_F;
  const ib = EXP2_IDX_BITS;
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (s[so + j] > m) m = s[so + j];
  let sum = 0;
  const kScale = 2 ** -zf;
  const iScale = 2 ** -(zf - ib);
  const fScale = 2 ** -(zf - ib - 16);
  const zUnit = 2 ** zf;
  for (let j = 0; j < n; j++) {
    const z = (m - s[so + j]) * C;
    const k = Math.floor(z * kScale);
    let v = 0;
    if (k < 32) {
      const rho = z - k * zUnit;
      const i = Math.floor(rho * iScale);
      const phi = Math.floor(rho * fScale) - i * 65536;
      const mant = E[i] - Math.floor(((E[i] - E[i + 1]) * phi + 32768) * (1 / 65536));
      v = k === 0 ? mant : Math.floor((mant + POW[k - 1]) * INV[k]);
    }
    e[j] = v;
    sum += v;
  }
  const num = 2 ** (EXP2_F + SOFTMAX_R_BITS);
  let R = Math.floor(num / sum);
  const rem = num - R * sum; // R·sum < 2^53: exact
  if (rem < 0) R--;
  else if (rem >= sum) R++;
  const sh = EXP2_F + SOFTMAX_R_BITS - f;
  const hf = POW[sh - 1];
  const sc = INV[sh];
  for (let j = 0; j < n; j++) out[oo + j] = Math.floor((e[j] * R + hf) * sc);
}

/** Check a softmax constant (from attentionScaleConst / softmaxScaleConst): 1 ≤ C < 2^25. */
function checkC(C: number): void {
  checkInt('softmax constant', C, 1, 2 ** 25 - 1);
}

/**
 * Causal softmax of a [T, T] score matrix (ACT): row t over keys 0..t, entries above the diagonal 0.
 * `C` = attentionScaleConst(headDim) for attention's 1/√headDim (any scale: softmaxScaleConst).
 */
export function fxCausalSoftmax(s: Int32Array, T: number, C: number, act: ActFormat): Int32Array {
  checkAct(act);
  checkC(C);
  checkLen('scores', s, T * T, `T·T = ${T}·${T}`);
  const p = new Int32Array(T * T);
  const e = new Float64Array(T);
  for (let t = 0; t < T; t++) fxSoftmaxRow(s, t * T, t + 1, C, act, p, t * T, e);
  return p;
}

// ---------------------------------------------------------------------------------------------
// RoPE

/** Fraction bits of the RoPE cos/sin tables (entries in [−2^20, 2^20]: 22-bit signed). */
export const ROPE_F = 20;

/** RoPE tables [positions, hd/2] (cos, sin of t·θ^(−2i/hd), · 2^20, round half even; fixedTables.ts). */
export interface FxRopeTables {
  readonly cos: Int32Array;
  readonly sin: Int32Array;
  readonly positions: number;
  readonly headDim: number;
}

export function fxRopeTables(positions: number, headDim: number, theta: number): FxRopeTables {
  const { cos, sin } = ropeTable(positions, headDim, theta, ROPE_F);
  return { cos, sin, positions, headDim };
}

/**
 * Rotary embedding (rotate-half) of x [T, heads·hd] at positions pos0..pos0+T−1:
 *   y_d = sat(rhu(x_d · c_i − x_{d+h} · s_i, 20)) for d < h = hd/2 (i = d),
 *   y_d = sat(rhu(x_d · c_i + x_{d−h} · s_i, 20)) for d ≥ h (i = d − h);  |·| < 2^44.
 */
export function fxRope(x: Int32Array, T: number, heads: number, tab: FxRopeTables, act: ActFormat, pos0 = 0): Int32Array {
  const hd = tab.headDim;
  const half = hd / 2;
  const W = heads * hd;
  checkLen('x', x, T * W, `T·heads·hd = ${T}·${heads}·${hd}`);
  if (pos0 < 0 || pos0 + T > tab.positions) throw new FormatError('RoPE positions', `${pos0}..${pos0 + T - 1}`, `within the table's 0..${tab.positions - 1}`);
  const m = actMax(act);
  const y = new Int32Array(x.length);
  const sc = 2 ** -ROPE_F;
  const hf = 2 ** (ROPE_F - 1);
  for (let t = 0; t < T; t++) {
    const co = (pos0 + t) * half;
    for (let h = 0; h < heads; h++) {
      const o = t * W + h * hd;
      for (let i = 0; i < half; i++) {
        const a = x[o + i];
        const b = x[o + i + half];
        const c = tab.cos[co + i];
        const s = tab.sin[co + i];
        y[o + i] = sat(Math.floor((a * c - b * s + hf) * sc), m);
        y[o + i + half] = sat(Math.floor((b * c + a * s + hf) * sc), m);
      }
    }
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Tables of float weights used as activations: token embeddings, learned positions.

/** fix() of every element of a float32 weight (embedding rows, learned positions, biases). */
export function fxTable(w: Float32Array, act: ActFormat): Int32Array {
  const y = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) y[i] = fixInt(w[i], act);
  return y;
}

/** Embedding lookup: rows ids[t] of a fixed table [vocab, D]. */
export function fxEmbedding(ids: ArrayLike<number>, table: Int32Array, D: number): Int32Array {
  const y = new Int32Array(ids.length * D);
  for (let t = 0; t < ids.length; t++) y.set(table.subarray(ids[t] * D, ids[t] * D + D), t * D);
  return y;
}
