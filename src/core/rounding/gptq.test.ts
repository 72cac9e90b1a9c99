import { describe, expect, it } from 'vitest';
import { parseFormat, quantize } from '../formats';
import { accumulateHessian, gptqRound, RoundingError, symmetrize } from './gptq';

// a small deterministic generator (xorshift32) and Gaussian samples (Box–Muller)
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
function gauss(r: () => number, n: number, sd = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}
/** ‖(W − Q) Xᵀ‖² for W, Q [N, K] and X [T, K]. */
function outputError(w: ArrayLike<number>, q: ArrayLike<number>, x: Float64Array, N: number, K: number, T: number): number {
  let e = 0;
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < N; r++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += (w[r * K + k] - q[r * K + k]) * x[t * K + k];
      e += d * d;
    }
  }
  return e;
}

describe('GPTQ rounding of MXInt weights', () => {
  const N = 12;
  const K = 64;
  const w = Float32Array.from(gauss(rng(7), N * K, 0.05));

  it('with an identity Hessian (uncorrelated inputs) and no clipping it is the format’s own rounding, bit for bit', () => {
    const I = new Float64Array(K * K);
    for (let i = 0; i < K; i++) I[i * K + i] = 1;
    for (const s of ['mxint:m=4,block=32', 'mxint:m=3,block=16,scale=floor', 'mxint:m=6,block=32,round=nearest']) {
      const r = gptqRound(w, N, K, I, parseFormat(s), { damp: 0, clipSearch: false });
      expect(Array.from(r.values), s).toEqual(Array.from(quantize(s, w, [N, K], 1)));
      expect(r.clippedBlocks).toBe(0);
    }
  });

  it('with correlated inputs it lowers the layer’s output error well below round-to-nearest', () => {
    const T = 512;
    const z = gauss(rng(11), T * K);
    const x = new Float64Array(T * K);
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) x[t * K + k] = z[t * K + k] + (k > 0 ? 0.9 * z[t * K + k - 1] : 0) + (k > 1 ? 0.5 * z[t * K + k - 2] : 0);
    const h = new Float64Array(K * K);
    accumulateHessian(h, x, T, K);
    symmetrize(h, K);
    for (const s of ['mxint:m=4,block=32', 'mxint:m=3,block=32']) {
      const rtn = quantize(s, w, [N, K], 1);
      const g = gptqRound(w, N, K, h, parseFormat(s), { clipSearch: false });
      const eR = outputError(w, rtn, x, N, K, T);
      const eG = outputError(w, g.values, x, N, K, T);
      expect(eG, s).toBeLessThan(0.8 * eR);
    }
  });

  it('puts every value on the grid: the encoder keeps all but the counted elements, and the count is exact', () => {
    const T = 256;
    const x = gauss(rng(3), T * K);
    const h = new Float64Array(K * K);
    accumulateHessian(h, x, T, K);
    symmetrize(h, K);
    for (const s of ['mxint:m=4,block=32', 'mxint:m=2,block=32', 'mxint:m=5,block=8,scale=floor']) {
      const g = gptqRound(w, N, K, h, parseFormat(s));
      const again = quantize(s, g.values, [N, K], 1);
      let changed = 0;
      for (let i = 0; i < N * K; i++) if (again[i] !== g.values[i]) changed++;
      expect(changed, s).toBe(g.reencodeChanged);
      if (!s.includes('m=2')) expect(changed, s).toBeLessThanOrEqual(N * K * 0.03);
    }
  });

  it('accumulates the Hessian exactly (upper triangle, then mirrored)', () => {
    const h = new Float64Array(4);
    accumulateHessian(h, [1, 2, 3, -1], 2, 2);
    symmetrize(h, 2);
    // rows (1, 2) and (3, −1): Σ x xᵀ = [[1 + 9, 2 − 3], [2 − 3, 4 + 1]]
    expect(Array.from(h)).toEqual([10, -1, -1, 5]);
  });

  it('refuses what it cannot round, naming why', () => {
    const I = new Float64Array(K * K).fill(0);
    for (let i = 0; i < K; i++) I[i * K + i] = 1;
    expect(() => gptqRound(w, N, K, I, parseFormat('mxfp4'))).toThrow(new RoundingError('GPTQ rounding supports MXInt weights blocked along one axis; got mx'));
    expect(() => gptqRound(w, N, K, new Float64Array(9), parseFormat('mxint:m=4,block=32'))).toThrow(/Hessian has 9 entries, expected 64×64/);
    const bad = Float32Array.from(w);
    bad[5] = NaN;
    expect(() => gptqRound(bad, N, K, I, parseFormat('mxint:m=4,block=32'))).toThrow(/weight element 5 is NaN/);
    expect(() => gptqRound(w, N, K, new Float64Array(K * K).fill(0).map((_, i) => (i === 1 ? -5 : i === 64 ? -5 : i % 65 === 0 ? 1 : 0)), parseFormat('mxint:m=4,block=32'), { damp: 0 })).toThrow(/not positive definite/);
  });
});
