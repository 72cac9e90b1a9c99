// The float32 GEMM twin (f32gemm.ts) against its own definition: hand-computed cases for every rule
// of the fixed order (rounding of each product, sequential sums, −0, NaN/Inf, overflow,
// subnormals, K = 0/1), a literal per-output transcription of the formula (bit for bit), an f64
// reference within a rigorous error bound, layouts, prepared B and the errors.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../formats/index';
import { makeRng, type Rng } from '../tensors';
import { F32_CANONICAL_NAN, f32gemm, f32gemmPrepared, f32gemmTwin, prepareF32GemmB, type F32GemmLayout } from './f32gemm';

const f32 = (xs: number[]) => Float32Array.from(xs);
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const bitsOf = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];
const fromBits = (u: number) => new Float32Array(Uint32Array.of(u).buffer)[0];

/** B [K, N] → [N, K]. */
function transpose(b: Float32Array, K: number, N: number): Float32Array {
  const t = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) t[j * K + k] = b[k * N + j];
  return t;
}

/** The header's formula read literally, one output at a time: s = p_0, then s = fl32(s + p_k). */
function literal(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const c = new Float32Array(M * N);
  const u = new Uint32Array(c.buffer);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const p = Math.fround(a[i * K + k] * b[k * N + j]);
        s = k === 0 ? p : Math.fround(s + p);
      }
      c[i * N + j] = s;
      if (s !== s) u[i * N + j] = 0x7fc00000;
    }
  }
  return c;
}

/** One output of C for K-vectors x (a row of A) and y (a column of B). */
function dot(x: number[], y: number[]): number {
  return f32gemm(f32(x), f32(y), 1, x.length, 1, 'KN')[0];
}

/** Random data of one kind: a mix that reaches every rule. */
function data(n: number, rnd: Rng, kind: 'normal' | 'wide' | 'tiny' | 'special' | 'raw'): Float32Array {
  const out = new Float32Array(n);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
    if (kind === 'normal') out[i] = g;
    else if (kind === 'wide') out[i] = g * 2 ** Math.round((rnd() * 2 - 1) * 50);
    else if (kind === 'tiny') out[i] = g * 2 ** Math.round(-60 - rnd() * 30); // products are subnormal or underflow
    else if (kind === 'raw') u[i] = (rnd() * 2 ** 32) >>> 0;
    else {
      const r = rnd();
      const sp = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.1754942e-38];
      out[i] = r < 0.15 ? sp[Math.floor(rnd() * sp.length)] : g;
    }
  }
  return out;
}

describe('the fixed order, by hand', () => {
  it('integers: exact', () => {
    // [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]]
    const c = f32gemm(f32([1, 2, 3, 4, 5, 6]), f32([7, 8, 9, 10, 11, 12]), 2, 3, 2, 'KN');
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
  });

  it('sums in k order, rounding after every add', () => {
    // 2^24 + 1 rounds to 2^24 (tie to even), so the 1 is lost before −2^24 cancels the rest …
    expect(dot([2 ** 24, 1, -(2 ** 24)], [1, 1, 1])).toBe(0);
    // … and kept when the big terms cancel first; the exact sum is 1 in both cases.
    expect(dot([2 ** 24, -(2 ** 24), 1], [1, 1, 1])).toBe(1);
    // 1 + 2^-24 + 2^-24: each add is a tie and rounds back to 1 (a pairwise or wider sum gives 1 + 2^-23)
    expect(dot([1, 2 ** -24, 2 ** -24], [1, 1, 1])).toBe(1);
  });

  it('rounds every product before adding it (no fused multiply-add)', () => {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 (a tie, to even); minus 1 + 2^-11 is then 0.
    // With a fused multiply-add the result would be 2^-24.
    const x = 1 + 2 ** -12;
    expect(bitsOf(dot([x, -(1 + 2 ** -11)], [x, 1]))).toBe(0);
  });

  it('signed zeros follow IEEE addition in this order', () => {
    expect(bitsOf(dot([-0], [5]))).toBe(0x80000000); // K = 1: the product itself
    expect(bitsOf(dot([-0, 0], [5, -3]))).toBe(0x80000000); // −0 + −0
    expect(bitsOf(dot([-0, 0], [5, 3]))).toBe(0); // −0 + +0 = +0
    expect(bitsOf(dot([3, -3], [2, 2]))).toBe(0); // exact cancellation is +0
    expect(bitsOf(dot([2 ** -75], [-(2 ** -75)]))).toBe(0x80000000); // −2^-150 rounds to −0 (tie to even)
    expect(bitsOf(dot([2 ** -75, 2 ** -75], [-(2 ** -75), 2 ** -75]))).toBe(0); // −0 + +0
    // K = 0: the empty sum is +0
    expect(bits(f32gemm(new Float32Array(0), new Float32Array(0), 2, 0, 3, 'NK'))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('subnormal products and sums are kept, not flushed', () => {
    expect(dot([2 ** -70], [2 ** -70])).toBe(2 ** -140);
    expect(dot([1.5 * 2 ** -75], [2 ** -75])).toBe(2 ** -149); // 1.5·2^-150 rounds up to the smallest subnormal
    expect(dot([2 ** -75], [2 ** -75])).toBe(0); // 2^-150: a tie, to even (0)
    expect(dot([1e-45, 1e-45], [1, 1])).toBe(2 ** -148);
    expect(dot([1.1754942e-38, 1e-45], [-1, 1])).toBe(fromBits(0x807ffffe)); // −(2^-126 − 2^-149) + 2^-149
  });

  it('overflow, infinities and NaN', () => {
    expect(dot([3e38], [2])).toBe(Infinity); // the product overflows
    expect(dot([3e38, 3e38], [1, 1])).toBe(Infinity); // the sum overflows
    expect(dot([3e38, 3e38, -3e38], [1, 1, 1])).toBe(Infinity); // … and does not come back
    expect(dot([3e38, -3e38, 3e38], [1, 1, 1])).toBe(Math.fround(3e38)); // in this order it never overflowed
    expect(dot([Infinity, 1], [1, -5])).toBe(Infinity);
    const nan = [dot([Infinity, 1], [1, -Infinity]), dot([Infinity], [0]), dot([1, NaN, 2], [1, 1, 1]), dot([fromBits(0xffc00123)], [1])];
    for (const v of nan) expect(bitsOf(v)).toBe(F32_CANONICAL_NAN);
  });

  it('NaN rows and columns: only the outputs that read a NaN', () => {
    const a = f32([1, 2, NaN, 4]); // A [2, 2]: row 1 has a NaN
    const b = f32([1, 0, 1, 1]); // B [2, 2]
    const c = f32gemm(a, b, 2, 2, 2, 'KN');
    expect(Array.from(c.subarray(0, 2))).toEqual([3, 2]);
    expect(bits(c.subarray(2))).toEqual([F32_CANONICAL_NAN, F32_CANONICAL_NAN]);
  });
});

describe('against the formula and an f64 reference', () => {
  it('bit for bit equal to the literal per-output formula, both layouts, every data kind', () => {
    const rnd = makeRng(101);
    let cases = 0;
    for (const kind of ['normal', 'wide', 'tiny', 'special', 'raw'] as const) {
      for (let t = 0; t < 8; t++) {
        const M = 1 + Math.floor(rnd() * 7);
        const K = [1, 2, 3, 7, 16, 33, 100][Math.floor(rnd() * 7)];
        const N = 1 + Math.floor(rnd() * 11);
        const a = data(M * K, rnd, kind);
        const b = data(K * N, rnd, kind);
        const want = bits(literal(a, b, M, K, N));
        expect(bits(f32gemm(a, b, M, K, N, 'KN')), `${kind} ${M}×${K}×${N} KN`).toEqual(want);
        expect(bits(f32gemm(a, transpose(b, K, N), M, K, N, 'NK')), `${kind} ${M}×${K}×${N} NK`).toEqual(want);
        cases++;
      }
    }
    expect(cases).toBe(40);
  });

  it('within the recursive-summation bound of the exact dot product (f64 reference)', () => {
    // |ŝ − s| ≤ γ_K · Σ|a_k b_k| + K · 2^-149 (γ_K = K·u / (1 − K·u), u = 2^-24; the second term covers
    // products that underflow; sums whose result is subnormal are exact). The f64 reference has
    // its own error ≤ γ_K(2^-53) · Σ|a_k b_k|, added to the bound.
    const rnd = makeRng(102);
    let worst = 0;
    let checked = 0;
    for (const kind of ['normal', 'wide', 'tiny'] as const) {
      for (const K of [1, 5, 64, 1000]) {
        const M = 3;
        const N = 4;
        const a = data(M * K, rnd, kind);
        const b = data(K * N, rnd, kind);
        // cancellation: column 3 of B makes row 0's sum tiny relative to its terms
        for (let k = 0; k + 1 < K; k += 2) {
          const v = Math.fround((-b[k * N + 3] * a[k]) / (a[k + 1] || 1));
          if (Math.abs(v) < 1e30) b[(k + 1) * N + 3] = v;
        }
        const c = f32gemm(a, b, M, K, N, 'KN');
        const u = 2 ** -24;
        const gamma = (K * u) / (1 - K * u);
        const gamma64 = (K * 2 ** -53) / (1 - K * 2 ** -53);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            let abs = 0;
            for (let k = 0; k < K; k++) {
              const p = a[i * K + k] * b[k * N + j]; // exact in f64
              s += p;
              abs += Math.abs(p);
            }
            if (!(abs < 2 ** 127)) continue; // the bound is for sums that stay in the float32 range
            checked++;
            const bound = (gamma + 2 * gamma64) * abs + K * 2 ** -149;
            const err = Math.abs(c[i * N + j] - s);
            expect(err, `${kind} K=${K} (${i},${j}): ${c[i * N + j]} vs ${s}`).toBeLessThanOrEqual(bound);
            if (bound > 0) worst = Math.max(worst, err / bound);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(140);
    expect(worst).toBeGreaterThan(0); // the bound is exercised, not vacuous
  });
});

describe('layouts, prepared B, the interface', () => {
  it('NK is B transposed; prepared B gives the same bits, reused across calls', () => {
    const rnd = makeRng(103);
    const [M, K, N] = [6, 19, 10];
    const b = data(K * N, rnd, 'normal');
    const bt = transpose(b, K, N);
    const pk = prepareF32GemmB(b, K, N, 'KN');
    const pn = f32gemmTwin.prepareB(bt, K, N, 'NK');
    expect([pk.K, pk.N]).toEqual([K, N]);
    for (let r = 0; r < 3; r++) {
      const a = data(M * K, rnd, 'special');
      const want = bits(f32gemm(a, b, M, K, N, 'KN'));
      expect(bits(f32gemmPrepared(a, M, pk))).toEqual(want);
      expect(bits(f32gemmTwin.gemmPrepared(a, M, pn))).toEqual(want);
      expect(bits(f32gemmTwin.gemm(a, bt, M, K, N, 'NK'))).toEqual(want);
    }
    b.fill(0); // the handle holds its own copy
    expect(bits(f32gemmPrepared(f32(Array(K).fill(1)), 1, pk))).not.toEqual(new Array(N).fill(0));
    pk.dispose();
    pk.dispose(); // idempotent
    expect(() => f32gemmPrepared(new Float32Array(K), 1, pk)).toThrow(FormatError);
  });

  it('out: filled and returned, stale contents ignored, K = 0 clears it', () => {
    const rnd = makeRng(104);
    const [M, K, N] = [4, 9, 6];
    const a = data(M * K, rnd, 'special');
    const b = data(K * N, rnd, 'special');
    const want = bits(f32gemm(a, b, M, K, N, 'KN'));
    const out = new Float32Array(M * N).fill(NaN);
    expect(f32gemm(a, b, M, K, N, 'KN', out)).toBe(out);
    expect(bits(out)).toEqual(want);
    expect(f32gemmPrepared(a, M, prepareF32GemmB(b, K, N, 'KN'), out.fill(-1))).toBe(out);
    expect(bits(out)).toEqual(want);
    expect(bits(f32gemm(new Float32Array(0), new Float32Array(0), M, 0, N, 'NK', out))).toEqual(new Array(M * N).fill(0));
  });

  it('empty shapes', () => {
    expect(f32gemm(new Float32Array(0), new Float32Array(12), 0, 3, 4, 'KN').length).toBe(0);
    expect(f32gemm(new Float32Array(6), new Float32Array(0), 2, 3, 0, 'NK').length).toBe(0);
  });
});

describe('errors name the argument', () => {
  const a = new Float32Array(6);
  const b = new Float32Array(12);
  const shared = new Float32Array(20);
  const param = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      return (e as FormatError).param;
    }
    return 'no error';
  };
  it.each([
    ['M', () => f32gemm(a, b, 1.5, 3, 4, 'KN')],
    ['M', () => f32gemm(a, b, -2, 3, 4, 'KN')],
    ['K', () => f32gemm(a, b, 2, NaN, 4, 'KN')],
    ['N', () => f32gemm(a, b, 2, 3, 2 ** 31, 'KN')],
    ['layout', () => f32gemm(a, b, 2, 3, 4, 'kn' as F32GemmLayout)],
    ['a length', () => f32gemm(a, b, 3, 3, 4, 'KN')],
    ['b length', () => f32gemm(a, b, 2, 3, 5, 'NK')],
    ['a', () => f32gemm(new Float64Array(6) as unknown as Float32Array, b, 2, 3, 4, 'KN')],
    ['b', () => f32gemm(a, [1, 2] as unknown as Float32Array, 2, 3, 4, 'KN')],
    ['b', () => f32gemmPrepared(a, 2, { K: 3, N: 4, dispose() {} })],
    ['a length', () => f32gemmPrepared(a, 3, prepareF32GemmB(b, 3, 4, 'KN'))],
    ['out length', () => f32gemm(a, b, 2, 3, 4, 'KN', new Float32Array(7))],
    ['out', () => f32gemm(a, b, 2, 3, 4, 'KN', b.subarray(4))], // overlaps b
    ['out', () => f32gemmPrepared(shared.subarray(0, 6), 2, prepareF32GemmB(b, 3, 4, 'KN'), shared.subarray(5, 13))], // overlaps a
  ])('%s', (want, fn) => {
    expect(param(fn)).toBe(want);
  });
  it('the message says what is allowed', () => {
    expect(() => f32gemm(a, b, 2, 3, 5, 'KN')).toThrow(/b length "12".*B \[K, N\] = \[3, 5\] = 3·5 = 15 elements/);
  });
});
