import { describe, expect, test } from 'vitest';
import { DEFAULT_ACT, actMax, fix, fixInt, roundHalfEven } from './act';

describe('ACT fixed point', () => {
  test('round half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });
  test('fix rounds to the 2^-14 grid with ties to even and saturates symmetrically', () => {
    const lsb = 2 ** -14;
    expect(fixInt(lsb * 2.5)).toBe(2);
    expect(fixInt(lsb * 3.5)).toBe(4);
    expect(fixInt(-lsb * 3.5)).toBe(-4);
    expect(fixInt(1)).toBe(16384);
    expect(fixInt(1e6)).toBe(actMax(DEFAULT_ACT));
    expect(fixInt(-1e6)).toBe(-(2 ** 23 - 1));
    expect(fixInt(-Infinity)).toBe(-(2 ** 23 - 1));
    expect(fixInt(NaN)).toBe(0);
    expect(fix(0.1)).toBe(1638 * lsb);
    expect(Math.fround(fix(511.99))).toBe(fix(511.99)); // every ACT value is a float32
  });
});
