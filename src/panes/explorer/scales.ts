/**
 * How a block's stored scale code reads, for the per-block chart: presentation only. The meaning of
 * a code is core's blockScale() (src/core/formats/codec.ts), the same definition decode() uses.
 */
import { ELEMENTS, blockScale, decodeElemBits, type FormatSpec } from '../../core/formats';

const signed = (v: number) => String(v).replace('-', '−');

export interface BlockScaleView {
  /** Axis title for the exponent. */
  title: string;
  /** log2 of the block scale (the shared exponent); NaN for a NaN block; fractional for NVFP4. */
  exp: (code: number) => number;
  /** Is the code the NaN code? */
  isNaN: (code: number) => boolean;
  /** Short text for one block. */
  describe: (code: number) => string;
}

export function blockScaleView(spec: FormatSpec, tensorScale = 1): BlockScaleView | null {
  switch (spec.kind) {
    case 'mx': {
      const bias = 2 ** (spec.scaleBits - 1) - 1;
      const nan = 2 ** spec.scaleBits - 1;
      const name = spec.scaleBits === 8 ? 'E8M0' : `${spec.scaleBits}-bit scale`;
      return {
        title: 'shared exponent X (scale 2^X)',
        exp: (c) => blockScale(spec, c)!.log2,
        isNaN: (c) => blockScale(spec, c)!.nan,
        describe: (c) => (c === nan ? `${name} code ${c} = NaN` : `${name} code ${c} → X = ${signed(c - bias)}`),
      };
    }
    case 'mxint':
    case 'bfp': {
      const nan = 2 ** spec.e - 1;
      return {
        title: 'shared exponent E',
        exp: (c) => blockScale(spec, c)!.log2,
        isNaN: (c) => blockScale(spec, c)!.nan,
        describe: (c) => (c === nan ? `exponent code ${c} = NaN` : `exponent code ${c} → E = ${signed(c - spec.bias)} (bias ${spec.bias})`),
      };
    }
    case 'nvfp4': {
      const e4m3 = ELEMENTS.fp8_e4m3;
      return {
        title: 'log2 block scale (E4M3 / S_enc)',
        exp: (c) => blockScale(spec, c, tensorScale)!.log2,
        isNaN: (c) => blockScale(spec, c, tensorScale)!.nan,
        describe: (c) => (c === 0x7f ? 'E4M3 scale NaN' : `E4M3 code 0x${c.toString(16).padStart(2, '0')} = ${decodeElemBits(c, e4m3)} (÷ S_enc ${tensorScale.toPrecision(5)})`),
      };
    }
    default:
      return null;
  }
}
