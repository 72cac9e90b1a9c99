// The integer block GEMM twin against an independent exact computation from the DECODED values
// (decode() float32 values → exact BigInt sum → nearest float32 by comparing neighbours), on random
// matrices of every supported format pair, plus hand-computed cases.
import { describe, expect, it } from 'vitest';
import { decode, encode, FormatError, f32Bits, f32FromBits, type Encoded } from '../formats/index';
import { bigToFloat32, blockGemm, type GemmBLayout } from './index';
import { makeRng } from '../tensors';

// ------------------------------------------------------------------------------ helpers

const mulberry32 = makeRng;

/** Normal data with a random power-of-two scale per run of 32, some zeros and outliers. */
function randomData(n: number, rnd: () => number, spread = 3): Float32Array {
  const out = new Float32Array(n);
  let scale = 1;
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) scale = 2 ** Math.floor((rnd() * 2 - 1) * spread);
    const u = rnd() || 1e-12;
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
    const r = rnd();
    out[i] = r < 0.05 ? 0 : r < 0.07 ? g * 40 * scale : g * scale;
  }
  return out;
}

/** Bits of a float32 array, so −0/+0 and NaN compare exactly. */
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** A finite float32 value as sig·2^exp with integer sig (exact). */
function f32Parts(v: number): [bigint, number] {
  const b = f32Bits(v);
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  const sig = BigInt(e === 0 ? m : m | 0x800000);
  return [b >>> 31 ? -sig : sig, e === 0 ? -149 : e - 150];
}

const SCALE = 298; // products of float32 values are multiples of 2^−298

/** The float32 nearest to S·2^−298, found by comparing the float32 neighbours of an approximation. */
function nearestF32(S: bigint): number {
  if (S === 0n) return 0;
  const neg = S < 0n;
  const mag = neg ? -S : S;
  const exactOf = (f: number): bigint => (f === Infinity ? 1n << BigInt(128 + SCALE) : (() => {
    const [s, e] = f32Parts(f);
    return s << BigInt(e + SCALE);
  })());
  const approx = Math.fround(Number(mag) * 2 ** -SCALE);
  const b = f32Bits(approx);
  const cands = [b - 1, b, b + 1].filter((x) => x >= 0 && x <= 0x7f800000).map((x) => f32FromBits(x));
  let best = cands[0];
  let bestD = -1n;
  for (const c of cands) {
    const d = exactOf(c) > mag ? exactOf(c) - mag : mag - exactOf(c);
    const better = bestD < 0n || d < bestD || (d === bestD && (f32Bits(c) & 1) === 0);
    if (better) {
      best = c;
      bestD = d;
    }
  }
  return neg ? -best : best;
}

/** C = A·B from decoded float32 values, exactly, then one rounding (the independent oracle). */
function oracle(a: Encoded, b: Encoded, layout: GemmBLayout): Float32Array {
  const va = decode(a);
  const vb = decode(b);
  const [M, K] = a.layout.shape;
  const N = layout === 'KN' ? b.layout.shape[1] : b.layout.shape[0];
  const bAt = (k: number, j: number) => (layout === 'KN' ? vb[k * N + j] : vb[j * K + k]);
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let S = 0n;
      let nan = false;
      for (let k = 0; k < K; k++) {
        const x = va[i * K + k];
        const y = bAt(k, j);
        if (Number.isNaN(x) || Number.isNaN(y)) nan = true;
        if (nan || x === 0 || y === 0) continue;
        const [sx, ex] = f32Parts(x);
        const [sy, ey] = f32Parts(y);
        S += (sx * sy) << BigInt(ex + ey + SCALE);
      }
      out[i * N + j] = nan ? NaN : nearestF32(S);
    }
  }
  return out;
}

function enc(fmt: string, x: Float32Array, shape: [number, number], axis: number): Encoded {
  return encode(fmt, x, shape, axis);
}

/** Encode A [M,K] and B as [K,N] (axis 0) or [N,K] (axis 1). */
function operands(fa: string, fb: string, M: number, K: number, N: number, layout: GemmBLayout, rnd: () => number, spread = 3) {
  const a = enc(fa, randomData(M * K, rnd, spread), [M, K], 1);
  const b = layout === 'KN' ? enc(fb, randomData(K * N, rnd, spread), [K, N], 0) : enc(fb, randomData(N * K, rnd, spread), [N, K], 1);
  return { a, b };
}

// ------------------------------------------------------------------------------ exact rounding

describe('bigToFloat32: one exact round-to-nearest-even', () => {
  const f = (sig: bigint, exp: number) => bigToFloat32(sig, exp);
  it('rounds ties to even and carries into the next binade', () => {
    expect(f((1n << 24n) + 1n, 0)).toBe(2 ** 24); // tie → even (down)
    expect(f((1n << 24n) + 3n, 0)).toBe(2 ** 24 + 4); // tie → even (up)
    expect(f((1n << 25n) - 1n, 0)).toBe(2 ** 25); // 2^25 − 1 rounds up across the binade
    expect(f((1n << 40n) + (1n << 16n) + 1n, 0)).toBe(2 ** 40 + 2 ** 17); // just above a tie → up
  });
  it('does not double-round through a double', () => {
    // 2^60 + 2^36 + 1 is just above a float32 tie; Number() would first drop the +1 (→ a tie → 2^60).
    const sig = (1n << 60n) + (1n << 36n) + 1n;
    expect(Math.fround(Number(sig))).toBe(2 ** 60);
    expect(f(sig, 0)).toBe(2 ** 60 + 2 ** 37);
    expect(f(-sig, -100)).toBe(-(2 ** -40 + 2 ** -63));
  });
  it('keeps subnormal quanta and signs', () => {
    expect(f(1n, -150)).toBe(0); // exactly half the smallest subnormal: tie → 0
    expect(Object.is(f(-1n, -150), -0)).toBe(true); // a negative value that rounds to zero is −0
    expect(f(3n, -150)).toBe(2 ** -148); // 1.5 quanta: tie → even (2 quanta)
    expect(f((1n << 50n) + 1n, -200)).toBe(2 ** -149); // just above half a quantum
    expect(f(0x7fffffn, -149)).toBe(0x7fffff * 2 ** -149); // the largest subnormal, exact
  });
  it('overflows to ±Inf only past the rounding midpoint', () => {
    const fltMax = f32FromBits(0x7f7fffff);
    const maxSig = (1n << 24n) - 1n; // FLT_MAX = maxSig·2^104
    expect(f(maxSig, 104)).toBe(fltMax);
    expect(f((maxSig << 1n) + 1n, 103)).toBe(Infinity); // FLT_MAX + half ulp: tie → even → Inf
    expect(f(((maxSig << 1n) + 1n) * -1n, 103)).toBe(-Infinity);
    expect(f((((maxSig << 1n) + 1n) << 10n) - 1n, 93)).toBe(fltMax); // just below the midpoint
    expect(f(0n, 5)).toBe(0);
  });
});

// ------------------------------------------------------------------------------ random pairs

const FORMATS = [
  'mxfp8_e5m2',
  'mxfp8_e4m3',
  'mxfp6_e3m2',
  'mxfp6_e2m3',
  'mxfp4',
  'mxint8',
  'mxint4',
  'mxint2',
  'mxint:m=8,block=32',
  'mxint:m=16,block=32',
  'bfp:m=8,block=32',
  'bfp:m=4,block=32,round=floor',
  'fixed:w=8,f=4',
  'fixed:w=16,f=10',
  'fixed:w=24,f=18', // fixed point's decoded float32 values are exact up to 24 bits
];

describe('blockGemm equals the exact sum of the decoded values, every format pair', () => {
  it(`${FORMATS.length}² pairs, both B layouts, K with a partial block`, () => {
    const rnd = mulberry32(1);
    let n = 0;
    for (const fa of FORMATS) {
      for (const fb of FORMATS) {
        const layout: GemmBLayout = n++ % 2 ? 'KN' : 'NK';
        const M = 2 + Math.floor(rnd() * 3);
        const N = 2 + Math.floor(rnd() * 3);
        const K = 40 + Math.floor(rnd() * 40);
        const { a, b } = operands(fa, fb, M, K, N, layout, rnd);
        expect(bits(blockGemm(a, b, { b: layout })), `${fa} × ${fb} (${layout})`).toEqual(bits(oracle(a, b, layout)));
      }
    }
  });

  it('block 16, 2-D tiles (tileRows > 1) and a tile-blocked operand against a fixed one', () => {
    const rnd = mulberry32(2);
    const cases: [string, string, GemmBLayout][] = [
      ['mxfp4:block=16', 'mxint8:block=16', 'NK'],
      ['mxint:m=6,block=2x32', 'mxint:m=8,block=4x32', 'NK'],
      ['mxint:m=6,block=3x32', 'bfp:m=5,block=2x32', 'KN'],
      ['mxfp8_e4m3:block=2x16', 'fixed:w=12,f=6', 'KN'],
      ['fixed:w=10,f=3', 'mxfp6_e3m2:block=4x32', 'NK'],
      ['fixed:w=10,f=3', 'fixed:w=6,f=-2', 'KN'],
    ];
    for (const [fa, fb, layout] of cases) {
      const { a, b } = operands(fa, fb, 7, 75, 9, layout, rnd, 6);
      expect(bits(blockGemm(a, b, { b: layout })), `${fa} × ${fb}`).toEqual(bits(oracle(a, b, layout)));
    }
  });

  it('a wide exponent range within rows (values from 2^−120 to 2^120)', () => {
    const rnd = mulberry32(3);
    for (const [fa, fb] of [['mxint8', 'mxfp8_e5m2'], ['mxfp8_e4m3', 'mxfp4'], ['mxint:m=16,block=32', 'bfp:m=8,block=32']]) {
      const { a, b } = operands(fa, fb, 4, 160, 5, 'NK', rnd, 120);
      expect(bits(blockGemm(a, b, { b: 'NK' }))).toEqual(bits(oracle(a, b, 'NK')));
    }
  });
});

// ------------------------------------------------------------------------------ hand-computed cases

const f32 = (a: number[]) => Float32Array.from(a);

describe('hand-computed cases', () => {
  it('MXINT8 2×3 × 3×2', () => {
    // A rows have max 1 and 1.5 → X = 0, codes v·64; B columns (blocked along K) have max 1 and 2.
    const a = encode('mxint8', f32([1, 0.5, -0.25, 0.75, 1.5, -1]), [2, 3], 1);
    const b = encode('mxint8', f32([1, 2, 0.5, -1, 0.25, 0.5]), [3, 2], 0);
    expect(Array.from(a.mantissas)).toEqual([64, 32, -16, 48, 96, -64]);
    expect(Array.from(b.mantissas)).toEqual([64, 64, 32, -32, 16, 16]);
    // [1 + 0.25 − 0.0625, 2 − 0.5 − 0.125; 0.75 + 0.75 − 0.25, 1.5 − 1.5 − 0.5]
    expect(Array.from(blockGemm(a, b, { b: 'KN' }))).toEqual([1.1875, 1.375, 1.25, -0.5]);
  });

  it('a sum that cancels exactly is +0; a negative sum below half the smallest subnormal is −0', () => {
    const a = encode('mxint8', f32([1, 1, 0.5]), [1, 3], 1);
    const b = encode('mxint8', f32([1, -1, 0]), [1, 3], 1);
    expect(Object.is(blockGemm(a, b, { b: 'NK' })[0], 0)).toBe(true);
    const tiny = encode('mxint8', f32([2 ** -76]), [1, 1], 1);
    const neg = encode('mxint8', f32([-(2 ** -75)]), [1, 1], 1);
    expect(Object.is(blockGemm(tiny, neg, { b: 'NK' })[0], -0)).toBe(true); // −2^−151
  });

  it('needs exact alignment across blocks where naive summation is wrong', () => {
    // K = 96, three MXINT8 blocks: 2^60 (block 0) + 1 (block 1) − 2^60 (block 2), times ones.
    const x = new Float32Array(96);
    x[0] = 2 ** 60;
    x[32] = 1;
    x[64] = -(2 ** 60);
    const ones = new Float32Array(96).fill(1);
    const a = encode('mxint8', x, [1, 96], 1);
    const b = encode('mxint8', ones, [96, 1], 0);
    expect(blockGemm(a, b, { b: 'KN' })[0]).toBe(1);
    let f64 = 0;
    let f32s = 0;
    for (let k = 0; k < 96; k++) {
      f64 += x[k] * ones[k];
      f32s = Math.fround(f32s + Math.fround(x[k] * ones[k]));
    }
    expect(f64).not.toBe(1); // (2^60 + 1) rounds back to 2^60 in f64
    expect(f32s).not.toBe(1);
    // and a second one where the exact result has low bits f64 cannot hold next to 2^80
    const y = new Float32Array(128);
    y[0] = 2 ** 80;
    y[32] = 3;
    y[64] = -(2 ** 80);
    y[96] = 2 ** -20;
    const c = blockGemm(encode('mxint8', y, [1, 128], 1), encode('mxint8', new Float32Array(128).fill(1), [1, 128], 1), { b: 'NK' });
    expect(c[0]).toBe(3 + 2 ** -20); // exactly representable in float32
  });

  it('overflows to ±Inf and rounds subnormal results exactly', () => {
    const big = encode('mxint8', f32([1.5 * 2 ** 127, 1.5 * 2 ** 127]), [1, 2], 1);
    const one = encode('mxint8', f32([1, 1]), [1, 2], 1);
    const mone = encode('mxint8', f32([-1, -1]), [1, 2], 1);
    expect(blockGemm(big, one, { b: 'NK' })[0]).toBe(Infinity);
    expect(blockGemm(big, mone, { b: 'NK' })[0]).toBe(-Infinity);
    // 3·2^−75 × 2^−75 = 1.5·2^−149: a tie between 2^−149 and 2^−148 → even → 2^−148
    const s = blockGemm(encode('mxint8', f32([3 * 2 ** -75]), [1, 1], 1), encode('mxint8', f32([2 ** -75]), [1, 1], 1), { b: 'NK' });
    expect(s[0]).toBe(2 ** -148);
  });

  it('propagates NaN blocks to their row of C and their column of C, and nowhere else', () => {
    const xa = new Float32Array(3 * 64).map((_, i) => (i % 5) - 2);
    xa[0 * 64 + 40] = NaN; // row 0, block 1
    const xb = new Float32Array(4 * 64).map((_, i) => (i % 3) - 1);
    xb[2 * 64 + 3] = Infinity; // column 2 (B as [N, K]), block 0: Inf makes the block NaN too
    const xz = new Float32Array(3 * 64);
    xz[1 * 64 + 10] = NaN; // a NaN block of A facing B's zeros is still NaN
    const a = encode('mxfp8_e4m3', xa, [3, 64], 1);
    const b = encode('mxint8', xb, [4, 64], 1);
    const c = blockGemm(a, b, { b: 'NK' });
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) expect(Number.isNaN(c[i * 4 + j]), `C[${i},${j}]`).toBe(i === 0 || j === 2);
    }
    const z = blockGemm(encode('mxint8', xz, [3, 64], 1), encode('mxint8', new Float32Array(2 * 64), [2, 64], 1), { b: 'NK' });
    expect(Array.from(z).map(Number.isNaN)).toEqual([false, false, true, true, false, false]);
  });

  it('K not a multiple of the block: the partial block is exact too', () => {
    const rnd = mulberry32(4);
    for (const K of [1, 31, 33, 45, 95]) {
      const { a, b } = operands('mxfp6_e2m3', 'mxint8', 3, K, 4, 'KN', rnd);
      expect(bits(blockGemm(a, b, { b: 'KN' }))).toEqual(bits(oracle(a, b, 'KN')));
    }
  });
});

// ------------------------------------------------------------------------------ errors

describe('errors name the parameter and what is allowed', () => {
  const x = new Float32Array(64).fill(1);
  const mx = encode('mxfp4', x, [2, 32], 1);
  const catchErr = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as FormatError;
    }
    throw new Error('no error');
  };
  it('rejects formats without power-of-two scales', () => {
    const e = catchErr(() => blockGemm(encode('nvfp4', x, [2, 32], 1), mx, { b: 'NK' }));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.param).toBe('a format');
    expect(e.allowed).toMatch(/mx, mxint, bfp/);
    expect(catchErr(() => blockGemm(mx, encode('fp32', x, [2, 32], 1), { b: 'NK' })).param).toBe('b format');
  });
  it('rejects mismatched K-blocking, shapes, axes and layouts', () => {
    expect(catchErr(() => blockGemm(mx, encode('mxint8:block=16', x, [2, 32], 1), { b: 'NK' })).param).toBe('block');
    expect(catchErr(() => blockGemm(mx, encode('mxfp4', new Float32Array(60), [2, 30], 1), { b: 'NK' })).param).toBe('shape');
    expect(catchErr(() => blockGemm(mx, encode('mxfp4', x, [2, 32], 0), { b: 'NK' })).param).toBe('b axis');
    expect(catchErr(() => blockGemm(encode('mxfp4', x, [2, 32], 0), mx, { b: 'NK' })).param).toBe('a axis');
    expect(catchErr(() => blockGemm(mx, mx, { b: 'MN' as GemmBLayout })).param).toBe('b layout');
    expect(catchErr(() => blockGemm(encode('mxfp4', x, [64], 0), mx, { b: 'NK' })).param).toBe('a shape');
  });
  it('accepts different formats with the same K-blocking, and fixed point against any block', () => {
    const fx = encode('fixed:w=8,f=4', x, [32, 2], 0);
    expect(blockGemm(mx, fx, { b: 'KN' })).toHaveLength(4);
    expect(blockGemm(mx, encode('mxint:m=8,block=32', x, [2, 32], 1), { b: 'NK' })).toHaveLength(4);
  });
});
