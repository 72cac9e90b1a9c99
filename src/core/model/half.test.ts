import { describe, expect, it } from 'vitest';
import { f16BitsToF32Bits, widenBF16, widenF16 } from './half';

/** IEEE binary16 by the textbook formula, in float64 (independent of the bit-twiddling widener). */
function f16ByFormula(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

describe('F16 → float32', () => {
  it('is exact for all 65,536 bit patterns (subnormals, ±0, ±Inf, NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = widenF16(all);
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = f16ByFormula(h);
      // Object.is also tells -0 from +0.
      if (Number.isNaN(want) ? !Number.isNaN(out[h]) : !Object.is(out[h], want)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps NaN payloads and signs in the bits', () => {
    expect(f16BitsToF32Bits(0x7e00)).toBe(0x7fc00000); // quiet NaN
    expect(f16BitsToF32Bits(0xfc01)).toBe(0xff802000); // negative signalling NaN, payload 1
    expect(f16BitsToF32Bits(0x0001)).toBe(0x33800000); // smallest subnormal 2^-24
    expect(f16BitsToF32Bits(0x03ff)).toBe(0x387fc000); // largest subnormal
    expect(f16BitsToF32Bits(0x7bff)).toBe(0x477fe000); // 65504
  });
});

describe('BF16 → float32', () => {
  it('is the upper half of the float32 bits, for every pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = widenBF16(all);
    const dv = new DataView(new ArrayBuffer(4));
    const bits = new Uint32Array(out.buffer);
    const wrong: number[] = [];
    for (let b = 0; b < 65536; b++) {
      dv.setUint32(0, b << 16);
      const want = dv.getFloat32(0);
      if (bits[b] !== dv.getUint32(0) || (!Number.isNaN(want) && !Object.is(out[b], want))) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });
});
