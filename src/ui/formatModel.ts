/**
 * The format knob model (Explorer and Layers panes): how the controls map onto core's FormatSpec. Validation and defaults
 * are core's (mxSpec/mxIntSpec/… builders, validate); this file only decides what carries over
 * when the user switches family, and which knobs each family shows.
 */
import { bfpSpec, fixedSpec, mxIntSpec, mxSpec, nvfp4Spec, FP32, validate, type ElemName, type FormatSpec, type Rounding } from '../core/formats';

export type Family = FormatSpec['kind'];

export const FAMILIES: readonly { id: Family; label: string; hint: string }[] = [
  { id: 'mx', label: 'MX', hint: 'OCP Microscaling: FP8/FP6/FP4/INT element + E8M0 power-of-two scale per block' },
  { id: 'mxint', label: 'MXInt', hint: "MASE's MXInt: m-bit two's-complement mantissas sharing an e-bit exponent" },
  { id: 'bfp', label: 'BFP', hint: 'Block floating point (MSFP-style): sign-magnitude mantissas, shared exponent' },
  { id: 'fixed', label: 'Fixed', hint: "Signed two's-complement fixed point, w bits, f fractional" },
  { id: 'nvfp4', label: 'NVFP4', hint: 'NVIDIA NVFP4: E2M1 elements, E4M3 scale per 16, FP32 tensor scale' },
  { id: 'fp32', label: 'FP32', hint: 'No quantization: the reference' },
];

export const ELEM_LABELS: Readonly<Record<ElemName, string>> = {
  fp8_e4m3: 'FP8 E4M3',
  fp8_e5m2: 'FP8 E5M2',
  fp6_e3m2: 'FP6 E3M2',
  fp6_e2m3: 'FP6 E2M3',
  fp4_e2m1: 'FP4 E2M1',
  int8: 'INT8',
  int4: 'INT4',
  int2: 'INT2',
};

/** Common block sizes offered as one-click chips (any integer can be typed). */
export const BLOCK_PRESETS = [8, 16, 32, 64, 128] as const;
export const TILE_PRESETS = [1, 2, 4, 8, 16, 32] as const;

function roundOf(s: FormatSpec): Rounding | undefined {
  return s.kind === 'fp32' ? undefined : s.round;
}

/** Switch family, keeping the block size and rounding when the new family has them. */
export function switchFamily(s: FormatSpec, fam: Family): FormatSpec {
  if (s.kind === fam) return s;
  const block = 'block' in s ? s.block : undefined;
  const tileRows = 'tileRows' in s ? s.tileRows : undefined;
  const keep = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  switch (fam) {
    case 'mx':
      return mxSpec('fp4_e2m1', keep({ block, tileRows }));
    case 'mxint':
      return mxIntSpec(keep({ block, tileRows, round: roundOf(s) }));
    case 'bfp':
      return bfpSpec(keep({ block, tileRows, round: roundOf(s) }));
    case 'fixed':
      return fixedSpec(keep({ round: roundOf(s) }));
    case 'nvfp4':
      // NVFP4 is defined with blocks of 16: start there rather than carrying an MX block of 32
      return nvfp4Spec(keep({ round: roundOf(s) }));
    case 'fp32':
      return FP32;
  }
}

/**
 * Apply a knob change and validate (throws core's FormatError naming the knob).
 * Changing an exponent width resets the bias to its default, since the old bias may be out of range.
 */
export function patchSpec(s: FormatSpec, patch: Record<string, unknown>): FormatSpec {
  const next = { ...s, ...patch } as FormatSpec;
  if ((next.kind === 'mxint' || next.kind === 'bfp') && 'e' in patch && !('bias' in patch)) next.bias = 2 ** (next.e - 1) - 1;
  return validate(next);
}

/** Whether 2-D tiles make sense for this tensor (they need rank ≥ 2). */
export function tilesAllowed(shape: readonly number[]): boolean {
  return shape.length >= 2 && shape[shape.length - 2] > 1;
}
