/**
 * Rounding of a non-negative magnitude to an integer, exactly (no float tricks: the fraction
 * t − floor(t) of a double is exact). mx-formats.md §A6.
 * - nearest: ties away from zero (microxcaling's default)
 * - even: ties to even
 * - floor: toward zero on the magnitude (truncation)
 */
export type Rounding = 'nearest' | 'even' | 'floor';
export const ROUNDINGS: readonly Rounding[] = ['nearest', 'even', 'floor'];
/** Ids shared with the WASM kernels. Do not renumber. */
export const ROUNDING_ID: Readonly<Record<Rounding, number>> = { nearest: 0, even: 1, floor: 2 };

export function roundMagnitude(t: number, mode: Rounding): number {
  const r = Math.floor(t);
  const frac = t - r;
  switch (mode) {
    case 'nearest':
      return frac >= 0.5 ? r + 1 : r;
    case 'even':
      return frac > 0.5 || (frac === 0.5 && r % 2 === 1) ? r + 1 : r;
    case 'floor':
      return r;
  }
}
