/**
 * From format specs (src/core/formats) to the parameters of the MX component library, and the
 * exact accumulator's LSB and width. Everything numeric about a format is asked of src/core/formats
 * (ELEMENTS, mxSharedExp, intBlockExp), so the RTL cannot drift from the codec.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { ELEMENTS, ROUNDING_ID, SCALE_RULE_ID, intBlockExp, mxSharedExp, type Encoded, type FormatSpec } from '../formats';
import { DEFAULT_ACT, actMax, type ActFormat } from '../datapath';
import { RtlError } from './errors';

/** Parameters of mx_quant / mx_cast (and the X_* parameters of mx_linear / mx_matmul). */
export interface CastParams {
  /** 0 MX float element, 1 MX int element, 2 MXInt, 3 BFP. */
  KIND: number;
  CODE_W: number;
  MBITS: number;
  EMAX: number;
  UNIT_EXP: number;
  MAX_CODE: number;
  MAX_NEG: number;
  RULE: number;
  ROUND: number;
  EXP_BIAS: number;
  X_MIN: number;
  X_MAX: number;
  ZERO_X: number;
}

/** Parameters of mx_dec (and the W_* decode parameters of mx_linear). */
export interface DecodeParams {
  KIND: number;
  CODE_W: number;
  MBITS: number;
  EXP_BIAS: number;
  UNIT_EXP: number;
}

/** Shared-exponent range of the non-zero blocks a format produces from ACT inputs. */
export interface ActExpRange {
  /** Smallest / largest block scale exponent X (MX) or E (MXInt/BFP) of a non-zero block. */
  xMin: number;
  xMax: number;
  /** Unit exponents (X + UNIT_EXP): the datapath integer of an element is its value / 2^unit. */
  uMin: number;
  uMax: number;
  /** Largest |datapath integer| of an element (MXInt: 2^(m−1) for a negative one). */
  maxCode: number;
}

/** Why a format cannot enter the MX GEMM datapath, or null when it can. */
export function unsupportedReason(spec: FormatSpec, role: 'activation' | 'weight'): string | null {
  switch (spec.kind) {
    case 'fp32':
      return 'fp32 has no integer codes: the MX GEMM hardware needs a power-of-two block format (mx, mxint, bfp) on both operands';
    case 'nvfp4':
      return 'nvfp4 is not supported: its block scales are E4M3 values with a per-tensor fp32 scale, not powers of two';
    case 'fixed':
      return 'fixed-point operands are not in the MX component library (only mx, mxint and bfp block formats)';
    case 'mx':
    case 'mxint':
    case 'bfp':
      if (role === 'activation' && spec.tileRows !== 1) return `2-D tiles (${spec.tileRows}×${spec.block}) are not supported for activations: a tile would span ${spec.tileRows} streamed rows`;
      return null;
  }
}

function blockKind(spec: FormatSpec, role: 'activation' | 'weight', target: string): Extract<FormatSpec, { kind: 'mx' | 'mxint' | 'bfp' }> {
  const why = unsupportedReason(spec, role);
  if (why) throw new RtlError(target, `${role} format: ${why}`);
  return spec as Extract<FormatSpec, { kind: 'mx' | 'mxint' | 'bfp' }>;
}

/** Decode parameters of a block format (the meaning of stored element codes and exponent codes). */
export function decodeParams(spec: FormatSpec, target = 'format'): DecodeParams {
  const s = blockKind(spec, 'weight', target);
  if (s.kind === 'mx') {
    const e = ELEMENTS[s.elem];
    return { KIND: e.kind === 'fp' ? 0 : 1, CODE_W: e.bits, MBITS: e.m, EXP_BIAS: 2 ** (s.scaleBits - 1) - 1, UNIT_EXP: e.unitExp };
  }
  return { KIND: s.kind === 'mxint' ? 2 : 3, CODE_W: s.m, MBITS: 0, EXP_BIAS: s.bias, UNIT_EXP: -(s.m - 1) };
}

/** The block scale exponent `encode` gives a block with max |x| = amax (MX: after the E8M0 clamp; null = NaN block). */
function blockExp(spec: Extract<FormatSpec, { kind: 'mx' | 'mxint' | 'bfp' }>, amax: number): number | null {
  if (spec.kind === 'mx') {
    const sEmax = 2 ** (spec.scaleBits - 1) - 1;
    const X = mxSharedExp(amax, ELEMENTS[spec.elem], spec.scale);
    if (X > sEmax) return null;
    return Math.max(X, -sEmax);
  }
  return intBlockExp(amax, spec.kind === 'mxint' ? spec.scale : 'ceil', spec.e, spec.bias);
}

/** Exponent range of the non-zero blocks of an ACT tensor cast to `spec` (2^−f ≤ amax ≤ actMax·2^−f; every rule is monotone in amax). */
export function actExpRange(spec: FormatSpec, act: ActFormat = DEFAULT_ACT, target = 'format'): ActExpRange {
  const s = blockKind(spec, 'activation', target);
  const lo = 2 ** -act.f;
  const hi = actMax(act) * 2 ** -act.f;
  const xMin = blockExp(s, lo);
  const xMax = blockExp(s, hi);
  if (xMin === null || xMax === null) {
    const sb = s.kind === 'mx' ? s.scaleBits : 8;
    throw new RtlError(target, `activation format: ACT values up to ${hi} need a shared exponent beyond the ${sb}-bit scale's range ±${2 ** (sb - 1) - 1} (the block would be NaN); use more scale bits or a wider element`);
  }
  const d = decodeParams(s, target);
  const maxCode = s.kind === 'mx' ? ELEMENTS[s.elem].maxCode : s.kind === 'mxint' ? 2 ** (s.m - 1) : 2 ** (s.m - 1) - 1;
  return { xMin, xMax, uMin: xMin + d.UNIT_EXP, uMax: xMax + d.UNIT_EXP, maxCode };
}

/** mx_quant / mx_cast parameters for an activation quant point with format `spec`. */
export function castParams(spec: FormatSpec, act: ActFormat = DEFAULT_ACT, target = 'format'): CastParams {
  const s = blockKind(spec, 'activation', target);
  actExpRange(s, act, target); // refuses scale ranges the ACT range overflows
  const d = decodeParams(s, target);
  if (s.kind === 'mx') {
    const e = ELEMENTS[s.elem];
    const sEmax = 2 ** (s.scaleBits - 1) - 1;
    // flush (mx_flush_fp32_subnorms) never fires: an ACT block's amax is ≥ 2^−f, far above 2^−126
    return {
      ...d,
      EMAX: e.emax,
      MAX_CODE: e.maxCode,
      MAX_NEG: e.maxCode,
      RULE: SCALE_RULE_ID[s.scale],
      ROUND: ROUNDING_ID[s.round],
      X_MIN: -sEmax,
      X_MAX: sEmax,
      ZERO_X: blockExp(s, 0)!,
    };
  }
  const lo = -s.bias;
  const hi = 2 ** s.e - 2 - s.bias;
  const ceil = s.kind === 'bfp' || s.scale === 'ceil';
  return {
    ...d,
    // MXInt floor: E = floor(log2 amax) + 1, i.e. the MX floor rule with emax = −1
    EMAX: ceil ? 0 : -1,
    MAX_CODE: 2 ** (s.m - 1) - 1,
    MAX_NEG: s.kind === 'mxint' ? 2 ** (s.m - 1) : 2 ** (s.m - 1) - 1,
    RULE: ceil ? SCALE_RULE_ID.ceil : SCALE_RULE_ID.floor,
    ROUND: ROUNDING_ID[s.round],
    X_MIN: lo,
    X_MAX: hi,
    ZERO_X: lo,
  };
}

/** The block length along K both GEMM operands must share (a block longer than K is one block of K). */
export function blockAlongK(spec: FormatSpec, K: number): number {
  const s = spec as Extract<FormatSpec, { kind: 'mx' | 'mxint' | 'bfp' }>;
  return Math.min(s.block, K);
}

// ------------------------------------------------------------------ the exact accumulator

/** Exact accumulator geometry: S = acc · 2^lsb with acc a signed `width`-bit integer. */
export interface Accumulator {
  lsb: number;
  width: number;
  /** The bound on |S| / 2^lsb the width covers (every partial sum too: it is a sum of absolute values). */
  bound: bigint;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * The exact accumulator of a linear layer S = x·Wᵀ with x an ACT tensor cast to `xSpec` and W
 * encoded ([N, K], blocked along K):
 *
 *   lsb   = uxMin + min{uw : W block with a non-zero code}
 *   bound = max_n  maxCodeX · Σ_k |mw[n,k]| · 2^(uxMax + uw(n,k) − lsb)
 *   width = bitlength(bound) + 1 (sign)
 *
 * where ux ∈ [uxMin, uxMax] is the unit exponent range of a non-zero ACT block (actExpRange), maxCodeX
 * the largest |x code|, mw and uw W's datapath integers and unit exponents. Every product term has
 * exponent ≥ lsb (so the accumulator is exact) and every partial sum is at most `bound` in magnitude
 * (so it never overflows): the width is computed from the weights' actual values, not a worst case.
 */
export function linearAccumulator(xSpec: FormatSpec, w: Encoded, act: ActFormat = DEFAULT_ACT, target = 'linear'): Accumulator {
  const xr = actExpRange(xSpec, act, target);
  const [N, K] = w.layout.shape;
  const L = w.layout;
  const nbk = L.gridShape[1];
  const bexp = (n: number, k: number) => w.unitExp[Math.floor(n / L.tileRows) * nbk + Math.floor(k / L.block)];
  let uwMin = Infinity;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      if (w.mantissas[n * K + k] !== 0) uwMin = Math.min(uwMin, bexp(n, k));
    }
  }
  const lsb = (Number.isFinite(uwMin) ? uwMin : 0) + xr.uMin;
  let bound = 0n;
  const mx = BigInt(xr.maxCode);
  for (let n = 0; n < N; n++) {
    let s = 0n;
    for (let k = 0; k < K; k++) {
      const m = w.mantissas[n * K + k];
      if (m === 0) continue;
      s += BigInt(Math.abs(m)) << BigInt(xr.uMax + bexp(n, k) - lsb);
    }
    s *= mx;
    if (s > bound) bound = s;
  }
  return { lsb, width: Math.max(bitLength(bound) + 1, 2), bound };
}

/**
 * The exact accumulator of an attention matmul (both operands ACT tensors cast to their formats,
 * K products per output): lsb = uaMin + ubMin; bound = K · maxCodeA · maxCodeB · 2^(uaMax + ubMax − lsb).
 */
export function matmulAccumulator(aSpec: FormatSpec, bSpec: FormatSpec, K: number, act: ActFormat = DEFAULT_ACT, target = 'matmul'): Accumulator {
  const a = actExpRange(aSpec, act, target);
  const b = actExpRange(bSpec, act, target);
  const lsb = a.uMin + b.uMin;
  const bound = (BigInt(K) * BigInt(a.maxCode) * BigInt(b.maxCode)) << BigInt(a.uMax + b.uMax - lsb);
  return { lsb, width: bitLength(bound) + 1, bound };
}
