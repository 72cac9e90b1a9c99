// The hand-derived worked examples of mx-formats.md §A13 (OCP MX) and §B6 (MASE MXInt/BFP), as written there.
import { describe, expect, it } from 'vitest';
import { encode, quantize, type FormatSpec } from './index';

const f32 = (a: number[]) => Array.from(Float32Array.from(a));
/** Bit-exact comparison that tells −0 from +0 and accepts NaN == NaN. */
function bits(a: ArrayLike<number>): string[] {
  return Array.from(a, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)));
}
function q(spec: string | FormatSpec, x: number[]): string[] {
  return bits(quantize(spec, Float32Array.from(x)));
}
function scale(spec: string, x: number[]): number {
  return encode(spec, Float32Array.from(x)).scales[0];
}

describe('mx-formats.md §A13 worked examples', () => {
  it('A: E4M3 nearest — saturation to 448 and a tie 400 → 416', () => {
    const x = [485, 475, 400, -485, -475, -450, 2 ** -6, -(2 ** -6)];
    expect(q('mxfp8_e4m3', x)).toEqual(bits([448, 448, 416, -448, -448, -448, 2 ** -6, -(2 ** -6)]));
    expect(scale('mxfp8_e4m3', x)).toBe(127);
  });
  it("A': same block, even and floor give 384", () => {
    const x = [485, 475, 400, -485, -475, -450, 2 ** -6, -(2 ** -6)];
    expect(quantize('mxfp8_e4m3:round=even', Float32Array.from(x))[2]).toBe(384);
    expect(quantize('mxfp8_e4m3:round=floor', Float32Array.from(x))[2]).toBe(384);
  });
  it('B: E4M3 even — microxcaling issue #4, 957 → 896', () => {
    const x = f32([957, 960, 902.4, -959.56, 1.0]);
    expect(q('mxfp8_e4m3:round=even', x)).toEqual(bits([896, 896, 896, -896, 1.0]));
    expect(scale('mxfp8_e4m3:round=even', x)).toBe(128);
  });
  it('C: E5M2 even — 0x42FFFFFF saturates to 112 (exact exponent, not float32 log2)', () => {
    const x = [1, 2, 31, new Float32Array(new Uint32Array([0x42ffffff]).buffer)[0]];
    expect(q('mxfp8_e5m2:round=even', x)).toEqual(bits([1, 2, 32, 112]));
    expect(scale('mxfp8_e5m2:round=even', x)).toBe(118);
  });
  it('D: E5M2 nearest', () => {
    expect(q('mxfp8_e5m2', [100000, 1, -3000])).toEqual(bits([98304, 1, -3072]));
    expect(scale('mxfp8_e5m2', [100000, 1, -3000])).toBe(128);
  });
  it('E: E2M1 ties in every mode', () => {
    const x = [0.75, 1.25, 1.75, 2.5, 3.5, 5.0];
    expect(q('mxfp4', x)).toEqual(bits([1.0, 1.5, 2.0, 3.0, 4.0, 6.0]));
    expect(q('mxfp4:round=even', x)).toEqual(bits([1.0, 1.0, 2.0, 2.0, 4.0, 4.0]));
    expect(q('mxfp4:round=floor', x)).toEqual(bits([0.5, 1.0, 1.5, 2.0, 3.0, 4.0]));
    expect(scale('mxfp4', x)).toBe(127);
  });
  it('F: E2M1 dynamic-range loss, −3 → −0', () => {
    for (const r of ['nearest', 'even', 'floor']) {
      expect(q(`mxfp4:round=${r}`, [1000, -3, 0.5, 17])).toEqual(bits([768, -0, 0, 0]));
    }
    expect(scale('mxfp4', [1000, -3, 0.5, 17])).toBe(134);
  });
  it('G: E2M1 subnormal 0.5 and flush of 0.07', () => {
    expect(q('mxfp4', f32([0.3, -1.2, 2.5, 5.9, 0.07, 0]))).toEqual(bits([0.5, -1.0, 3.0, 6.0, 0, 0]));
  });
  it('H: E3M2', () => {
    expect(q('mxfp6_e3m2', f32([28, 0.3, -5]))).toEqual(bits([28, 0.3125, -5]));
  });
  it('I: E2M3', () => {
    expect(q('mxfp6_e2m3', f32([7.5, 0.3, -1.1]))).toEqual(bits([7.5, 0.25, -1.125]));
  });
  it('J: MXINT8', () => {
    for (const r of ['nearest', 'even', 'floor']) {
      const out = q(`mxint8:round=${r}`, f32([1.0, -0.3, 0.015625, 1.99, 1.995]));
      expect(out[0]).toBe('1');
      expect(out[2]).toBe('0.015625');
      expect(out[4]).toBe('1.984375');
    }
    expect(q('mxint8', f32([1.0, -0.3, 0.015625, 1.99, 1.995]))).toEqual(bits([1.0, -0.296875, 0.015625, 1.984375, 1.984375]));
  });
  it('K: MXINT8 non-unit scale, floor differs', () => {
    expect(q('mxint8', f32([6.0, -2.5, 0.1]))).toEqual(bits([6.0, -2.5, 0.125]));
    expect(q('mxint8:round=even', f32([6.0, -2.5, 0.1]))).toEqual(bits([6.0, -2.5, 0.125]));
    expect(q('mxint8:round=floor', f32([6.0, -2.5, 0.1]))).toEqual(bits([6.0, -2.5, 0.0625]));
    expect(scale('mxint8', [6.0, -2.5, 0.1])).toBe(129);
  });
  it('L: scale underflow clamps to code 0', () => {
    expect(q('mxfp8_e4m3', [2 ** -140, 2 ** -141])).toEqual(bits([0, 0]));
    expect(scale('mxfp8_e4m3', [2 ** -140, 2 ** -141])).toBe(0);
  });
  it('M: NaN anywhere makes the whole block NaN with scale 0xFF', () => {
    expect(q('mxfp8_e4m3', [NaN, 0, 2 ** 127, 0])).toEqual(['NaN', 'NaN', 'NaN', 'NaN']);
    expect(scale('mxfp8_e4m3', [NaN, 0, 2 ** 127, 0])).toBe(255);
    expect(q('mxint8', [1, Infinity, 2])).toEqual(['NaN', 'NaN', 'NaN']);
  });
  it('N: all-zero blocks: code 0 for float elements, code 1 for int elements', () => {
    expect(scale('mxfp8_e4m3', [0, 0, 0])).toBe(0);
    expect(scale('mxint8', [0, 0, 0])).toBe(1);
    expect(q('mxint8', [0, -0, 0])).toEqual(['0', '0', '0']);
  });
});

describe('mx-formats.md §B6 MASE examples', () => {
  it('block_fp w=6: [0.9, −0.3, 0.05, 0]', () => {
    expect(q('bfp:m=6', f32([0.9, -0.3, 0.05, 0]))).toEqual(bits([0.90625, -0.3125, 0.0625, 0]));
  });
  it('block_fp w=6: a power-of-two max loses one LSB', () => {
    expect(q('bfp:m=6', f32([1.0, 0.49]))).toEqual(bits([0.96875, 0.5]));
  });
  it('block_fp w=4: [3.0, −0.7]', () => {
    expect(q('bfp:m=4', f32([3.0, -0.7]))).toEqual(bits([3.0, -0.5]));
  });
  it('2026 mxint b=8 equals OCP MXINT8 on [20, 5, −3]', () => {
    expect(q('mxint:m=8,block=32', [20, 5, -3])).toEqual(bits([20, 5, -3]));
    expect(q('mxint8', [20, 5, -3])).toEqual(bits([20, 5, -3]));
    const e = encode('mxint:m=8,block=32', Float32Array.from([20, 5, -3]));
    expect(Array.from(e.mantissas)).toEqual([80, 20, -12]);
    expect(e.scales[0]).toBe(5 + 127);
  });
  it('MXInt exponent clamp: e=4, bias=8 allows E in [−8, 6]; a block max above 2^6 saturates', () => {
    // [200, 5]: ceil(log2 200) = 8 → clamped to 6 → unit 2^(6−7) = 0.5; 200/0.5 = 400 → 127 → 63.5; 5 → 10 → 5.0
    const e = encode('mxint:m=8,e=4,bias=8,block=32', Float32Array.from([200, 5]));
    expect(e.scales[0]).toBe(6 + 8);
    expect(Array.from(e.mantissas)).toEqual([127, 10]);
    expect(q('mxint:m=8,e=4,bias=8,block=32', [200, 5])).toEqual(bits([63.5, 5]));
    expect(e.counts.saturated).toBe(1);
  });
});
