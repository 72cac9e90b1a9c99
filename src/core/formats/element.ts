/**
 * Element formats of OCP MX (and microxcaling's int4/int2), and the exact scalar
 * element quantizer every block format shares. Semantics: mx-formats.md §A2, §A5–A7.
 */
import { roundMagnitude, type Rounding } from './rounding';
import { floorLog2 } from './float32';

export type ElemName = 'fp8_e5m2' | 'fp8_e4m3' | 'fp6_e3m2' | 'fp6_e2m3' | 'fp4_e2m1' | 'int8' | 'int4' | 'int2';

export interface ElemFormat {
  readonly name: ElemName;
  /** 'fp' elements have sign/exponent/mantissa fields; 'int' elements are two's complement with a fixed binary point. */
  readonly kind: 'fp' | 'int';
  /** Stored bits per element. */
  readonly bits: number;
  /** Exponent field width (0 for int). */
  readonly ebits: number;
  /** Explicit mantissa bits for fp; fraction bits (N−2) for int. */
  readonly m: number;
  /** Exponent bias (fp only). */
  readonly bias: number;
  /** Unbiased exponent of the largest normal (0 for int). */
  readonly emax: number;
  /** Unbiased exponent of the smallest normal (fp only; for int the grid is uniform). */
  readonly emin: number;
  /** Largest finite magnitude. */
  readonly maxNorm: number;
  /**
   * log2 of the finest grid step: every element value is an integer multiple of 2^unitExp.
   * fp: emin − m (the smallest subnormal); int: −m.
   */
  readonly unitExp: number;
  /** Largest magnitude in units of 2^unitExp (maxNorm / 2^unitExp): the integer code range of the datapath. */
  readonly maxCode: number;
  /** Element id shared with the WASM kernels (workers/kernels). Do not renumber. */
  readonly id: number;
}

function fp(name: ElemName, id: number, ebits: number, m: number, emaxOverride?: number, maxNormOverride?: number): ElemFormat {
  const bias = 2 ** (ebits - 1) - 1;
  // IEEE-like: the top exponent code is reserved, so emax = 2^ebits − 2 − bias. E4M3 and the
  // FP6/FP4 formats have no Inf and use the top code for normals (override).
  const emax = emaxOverride ?? 2 ** ebits - 2 - bias;
  const emin = 1 - bias;
  const maxNorm = maxNormOverride ?? 2 ** emax * (2 - 2 ** -m);
  const unitExp = emin - m;
  return { name, kind: 'fp', bits: 1 + ebits + m, ebits, m, bias, emax, emin, maxNorm, unitExp, maxCode: maxNorm / 2 ** unitExp, id };
}

function int(name: ElemName, id: number, bits: number): ElemFormat {
  const m = bits - 2;
  const maxCode = 2 ** (bits - 1) - 1;
  return { name, kind: 'int', bits, ebits: 0, m, bias: 0, emax: 0, emin: 0, maxNorm: maxCode * 2 ** -m, unitExp: -m, maxCode, id };
}

/** The element formats, keyed by microxcaling's names. */
export const ELEMENTS: Readonly<Record<ElemName, ElemFormat>> = {
  fp8_e5m2: fp('fp8_e5m2', 0, 5, 2),
  // E4M3: the top exponent code still holds normals except S.1111.111 (NaN): emax 8, max 448.
  fp8_e4m3: fp('fp8_e4m3', 1, 4, 3, 8, 448),
  fp6_e3m2: fp('fp6_e3m2', 2, 3, 2, 4),
  fp6_e2m3: fp('fp6_e2m3', 3, 2, 3, 2),
  fp4_e2m1: fp('fp4_e2m1', 4, 2, 1, 2),
  int8: int('int8', 5, 8),
  int4: int('int4', 6, 4),
  int2: int('int2', 7, 2),
};

export const ELEM_NAMES = Object.keys(ELEMENTS) as ElemName[];

export function isElemName(s: string): s is ElemName {
  return Object.prototype.hasOwnProperty.call(ELEMENTS, s);
}

/**
 * Quantize a non-negative magnitude `a` (already divided by the shared scale) to the element
 * grid with saturation to maxNorm. Exact: `a` is any double; every step is a power of two.
 * Returns the magnitude on the grid. NaN is the caller's business (blocks with NaN never get here).
 */
export function quantizeElemMagnitude(a: number, e: ElemFormat, mode: Rounding): number {
  if (a === 0) return 0;
  let stepExp: number;
  if (e.kind === 'fp') {
    // private exponent p = max(floor(log2 a), emin); values below the min normal use the subnormal grid.
    const p = Math.max(floorLog2(a), e.emin);
    stepExp = p - e.m;
  } else {
    stepExp = -e.m;
  }
  const r = roundMagnitude(a * 2 ** -stepExp, mode);
  const q = r * 2 ** stepExp;
  return q > e.maxNorm ? e.maxNorm : q;
}

/** The element's non-negative grid values (scale 2^0), ascending. */
export function elemGridMagnitudes(e: ElemFormat): number[] {
  const out: number[] = [];
  if (e.kind === 'int') {
    for (let c = 0; c <= e.maxCode; c++) out.push(c * 2 ** e.unitExp);
    return out;
  }
  // Walk the positive bit patterns in order; patterns above maxNorm are Inf/NaN codes (E5M2, E4M3).
  for (let b = 0; b < 1 << (e.bits - 1); b++) {
    const v = decodeElemBits(b, e);
    if (v <= e.maxNorm) out.push(v);
  }
  return out;
}

/**
 * Stored bit pattern of an element with sign `neg` and grid magnitude `q` (which must be on the grid).
 * fp: S.E.M with subnormals at exponent field 0. int: two's complement of the integer code
 * (so −0 cannot be stored: it becomes 0, as in hardware).
 */
export function encodeElemBits(neg: boolean, q: number, e: ElemFormat): number {
  if (e.kind === 'int') {
    const k = neg ? -q * 2 ** e.m : q * 2 ** e.m;
    return k & ((1 << e.bits) - 1);
  }
  const sign = neg ? 1 << (e.bits - 1) : 0;
  if (q === 0) return sign;
  let expField: number, mant: number;
  if (q >= 2 ** e.emin) {
    const p = floorLog2(q);
    expField = p + e.bias;
    mant = (q / 2 ** p - 1) * 2 ** e.m;
  } else {
    expField = 0;
    mant = q / 2 ** (e.emin - e.m);
  }
  return sign | (expField << e.m) | mant;
}

/** Inverse of encodeElemBits: the element value at scale 2^0 (a signed number; fp keeps −0). */
export function decodeElemBits(bits: number, e: ElemFormat): number {
  if (e.kind === 'int') {
    const k = (bits << (32 - e.bits)) >> (32 - e.bits);
    return k * 2 ** -e.m;
  }
  const neg = (bits >> (e.bits - 1)) & 1;
  const expField = (bits >> e.m) & ((1 << e.ebits) - 1);
  const mant = bits & ((1 << e.m) - 1);
  const mag = expField === 0 ? mant * 2 ** (e.emin - e.m) : (1 + mant * 2 ** -e.m) * 2 ** (expField - e.bias);
  return neg ? -mag : mag;
}
