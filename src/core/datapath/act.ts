/**
 * ACT: the fixed-point format of every tensor that flows between ops in the generated hardware and
 * in the emulator's integer mode (see src/core/rtl/README.md, "The hardware numeric contract").
 * Signed two's complement, `w` bits of which `f` are fractional: value = v · 2^−f.
 */

export interface ActFormat {
  /** Total bits, sign included (2..31, so every value is an exact int32 and, for w ≤ 25, a float32). */
  readonly w: number;
  /** Fractional bits (0..w−1). */
  readonly f: number;
}

/** The default: 24 bits with 14 fractional (±512, LSB 2^−14 ≈ 6.1e−5); every value is a float32. */
export const DEFAULT_ACT: ActFormat = Object.freeze({ w: 24, f: 14 });

/** Largest ACT integer; saturation is symmetric (±actMax) so negation never overflows. */
export function actMax(a: ActFormat): number {
  return 2 ** (a.w - 1) - 1;
}

/** Round half to even of a finite number to an integer (exact for |x| < 2^53). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +∞
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * float32 value → ACT integer: NaN → 0; otherwise x · 2^f rounded to the nearest integer, ties to
 * even, saturated to ±actMax (so ±Inf saturates). `x` must already be a float32 (the GEMM's f32(S)).
 */
export function fixInt(x: number, a: ActFormat = DEFAULT_ACT): number {
  if (Number.isNaN(x)) return 0;
  const m = actMax(a);
  if (x === Infinity) return m;
  if (x === -Infinity) return -m;
  const r = roundHalfEven(x * 2 ** a.f); // exact: x is a float32, the scaling a power of two
  return r > m ? m : r < -m ? -m : r;
}

/** fix(x) as a value: the ACT integer × 2^−f (an exact float32 when w ≤ 25). */
export function fix(x: number, a: ActFormat = DEFAULT_ACT): number {
  return fixInt(x, a) * 2 ** -a.f;
}
