// Differential tests: the WASM GEMM kernel (both builds, every path) against its TypeScript twin
// blockGemm (src/core/datapath/gemm.ts), bit for bit on Uint32 views, on random and edge-case
// operands: ties, saturation, zero blocks, NaN/Inf blocks, subnormals, −0, partial blocks, huge
// exponent spreads (the exact fallback), FP8, MXInt m = 16, mixed formats, ragged tiles; each also
// with B and/or A cached across calls (GemmKernelOptions.cacheB / cacheA), and gemmFix = fix() of the result.
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, FormatError, type Encoded } from '../formats/index';
import { blockGemm, DEFAULT_ACT, fixInt, type ActFormat, type GemmBLayout } from '../datapath/index';
import { GemmKernelError, loadGemmKernel, segmentationTwin, type GemmKernel, type GemmPath } from './gemm';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng } from '../tensors';

const FLAVORS = ['simd', 'relaxed'] as const;
const KERNELS: Record<string, GemmKernel> = {};

beforeAll(async () => {
  for (const fl of FLAVORS) KERNELS[fl] = await loadGemmKernel(kernelBytes, fl);
});

// ------------------------------------------------------------------------------ helpers

const mulberry32 = makeRng;

/** Normal data, a random power-of-two scale per run of 32 (±spread), zeros, −0 and (unless told not to) outliers. */
function randomData(n: number, rnd: () => number, spread = 2, outliers = true): Float32Array {
  const out = new Float32Array(n);
  let scale = 1;
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) scale = 2 ** Math.round((rnd() * 2 - 1) * spread);
    const u = rnd() || 1e-12;
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
    const r = rnd();
    out[i] = r < 0.04 ? 0 : r < 0.05 ? -0 : r < 0.07 && outliers ? g * 30 * scale : g * scale;
  }
  return out;
}

function operands(fa: string, fb: string, M: number, K: number, N: number, layout: GemmBLayout, xa: Float32Array, xb: Float32Array) {
  const a = encode(fa, xa, [M, K], 1);
  const b = layout === 'KN' ? encode(fb, xb, [K, N], 0) : encode(fb, xb, [N, K], 1);
  return { a, b };
}

const u32 = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** Kernel (each flavor, the given paths or auto) equals the twin bit for bit. Returns the auto plans' info. */
function check(a: Encoded, b: Encoded, layout: GemmBLayout, label: string, paths: (GemmPath | undefined)[] = [undefined]) {
  const wantFloats = Array.from(blockGemm(a, b, { b: layout }));
  const want = u32(Float32Array.from(wantFloats));
  const infos = [];
  for (const fl of FLAVORS) {
    const k = KERNELS[fl];
    for (const path of paths) {
      if (path === 'i8' && fl === 'simd') continue;
      let got: Float32Array;
      try {
        got = k.gemm(a, b, { b: layout, path });
      } catch (e) {
        if (e instanceof GemmKernelError && path !== undefined) continue; // forced path that cannot take these operands
        throw e;
      }
      expect(u32(got), `${label} [${fl}, ${path ?? 'auto'}]`).toEqual(want);
      // B cached with its Encoded (cacheB): the first call fills the cache, the second packs nothing
      for (const round of ['fill', 'hit']) expect(u32(k.gemm(a, b, { b: layout, path, cacheB: true })), `${label} [${fl}, ${path ?? 'auto'}, cacheB ${round}]`).toEqual(want);
      // A cached too (cacheA: a shared activation), alone and with B: its packed tiles are reused
      for (const round of ['fill', 'hit']) expect(u32(k.gemm(a, b, { b: layout, path, cacheA: true })), `${label} [${fl}, ${path ?? 'auto'}, cacheA ${round}]`).toEqual(want);
      expect(u32(k.gemm(a, b, { b: layout, path, cacheA: true, cacheB: true })), `${label} [${fl}, ${path ?? 'auto'}, cacheA+B]`).toEqual(want);
      // fix() of C for integer mode, on C in kernel memory or (NaN rows, exact outputs, swapped) after run()
      for (const act of ACTS) {
        const fx = k.gemmFix(a, b, { b: layout, path }, act);
        expect(Array.from(fx.ints), `${label} [${fl}, ${path ?? 'auto'}] gemmFix ints ${act.w}/${act.f}`).toEqual(Array.from(Int32Array.from(wantFloats, (v) => fixInt(v, act)))); // (as ACT integers: −0 is 0)
        expect(u32(fx.values!), `${label} gemmFix values`).toEqual(u32(Float32Array.from(fx.ints, (q) => q * 2 ** -act.f)));
        const lean = k.gemmFix(a, b, { b: layout, path }, act, false); // integers only
        expect(lean.values).toBeUndefined();
        expect(lean.ints).toEqual(fx.ints);
        const into = new Int32Array(fx.ints.length).fill(-3); // into a recycled array
        expect(k.gemmFix(a, b, { b: layout, path }, act, false, into).ints).toEqual(fx.ints);
      }
      if (path === undefined) infos.push(k.prepare(a, b, { b: layout }).info);
    }
  }
  return infos;
}

const ALL_PATHS: (GemmPath | undefined)[] = [undefined, 'i8', 'i16', 'f64', 'exact'];
const ACTS: ActFormat[] = [DEFAULT_ACT, { w: 8, f: 5 }];

const FORMATS = [
  'mxfp8_e5m2',
  'mxfp8_e4m3',
  'mxfp6_e3m2',
  'mxfp6_e2m3',
  'mxfp4',
  'mxint8',
  'mxint4',
  'mxint2',
  'mxint:m=16,block=32',
  'mxint:m=12,block=32,scale=floor',
  'bfp:m=8,block=32',
  'fixed:w=8,f=4',
  'fixed:w=16,f=8',
  'fixed:w=32,f=20',
];

// ------------------------------------------------------------------------------ random

describe('kernel = twin on random operands', () => {
  it('every format pair, every path, both B layouts, ragged M/N and a partial K block', () => {
    const rnd = mulberry32(11);
    let n = 0;
    for (const fa of FORMATS) {
      for (const fb of FORMATS) {
        const layout: GemmBLayout = n++ % 2 ? 'KN' : 'NK';
        const M = 1 + Math.floor(rnd() * 9);
        const N = 1 + Math.floor(rnd() * 13);
        const K = 20 + Math.floor(rnd() * 90);
        const { a, b } = operands(fa, fb, M, K, N, layout, randomData(M * K, rnd), randomData(K * N, rnd));
        check(a, b, layout, `${fa} × ${fb} ${M}×${K}×${N}`, ALL_PATHS);
      }
    }
  });

  it('larger problems: many tiles and panels, one segment and many', () => {
    const rnd = mulberry32(12);
    for (const [fa, fb, spread] of [
      ['mxint8', 'mxint8', 1],
      ['mxint8', 'mxint8', 12], // wide spreads: several segments
      ['mxfp4', 'mxfp4', 1],
      ['mxfp4', 'mxfp4', 9],
      ['mxfp6_e2m3', 'mxfp4', 2],
      ['mxfp8_e4m3', 'mxfp8_e4m3', 2],
      ['mxfp8_e5m2', 'mxint8', 2],
    ] as const) {
      const M = 37;
      const K = 333;
      const N = 45;
      const { a, b } = operands(fa, fb, M, K, N, 'NK', randomData(M * K, rnd, spread), randomData(K * N, rnd, spread));
      check(a, b, 'NK', `${fa} × ${fb} spread ${spread}`, ALL_PATHS);
    }
  });

  it('2-D tiles, block 16, and mixed blocked × fixed operands', () => {
    const rnd = mulberry32(13);
    for (const [fa, fb, layout] of [
      ['mxfp4:block=16', 'mxint8:block=16', 'NK'],
      ['mxint:m=6,block=2x32', 'mxint:m=8,block=4x32', 'NK'],
      ['mxint:m=6,block=3x32', 'bfp:m=5,block=2x32', 'KN'],
      ['mxfp8_e4m3:block=2x16', 'fixed:w=12,f=6', 'KN'],
      ['fixed:w=10,f=3', 'mxfp6_e3m2:block=4x32', 'NK'],
      ['mxfp4:block=8', 'mxfp4:block=8', 'NK'],
      ['mxint:m=4,block=5', 'mxint:m=4,block=5', 'KN'],
    ] as const) {
      const { a, b } = operands(fa, fb, 9, 77, 10, layout, randomData(9 * 77, rnd, 4), randomData(77 * 10, rnd, 4));
      check(a, b, layout, `${fa} × ${fb}`, ALL_PATHS);
    }
  });
});

// ------------------------------------------------------------------------------ edge cases

describe('kernel = twin on edge cases', () => {
  it('ties at the float32 rounding point, in one block and across blocks', () => {
    // fixed w=16 f=0: integer codes. 4096·4096 + 1·1 = 2^24 + 1 (tie → 2^24); + 3 → 2^24 + 4.
    const a = encode('fixed:w=16,f=0', Float32Array.from([4096, 1, 4096, 3]), [2, 2], 1);
    const b = encode('fixed:w=16,f=0', Float32Array.from([4096, 1]), [1, 2], 1);
    const c = KERNELS.simd.gemm(a, b, { b: 'NK' });
    expect(Array.from(c)).toEqual([2 ** 24, 2 ** 24 + 4]);
    check(a, b, 'NK', 'fixed ties', ALL_PATHS);
    // across blocks: block 0 sums to 2^24·2^e, block 1 to ±1·2^e (MXINT8, exponents differ by 17)
    const x = new Float32Array(64);
    x[0] = 2 ** 24;
    x[32] = 1;
    const y = new Float32Array(64);
    y[0] = 1;
    y[32] = 1;
    const w = new Float32Array(64);
    w[0] = 1;
    w[32] = 3;
    const A = encode('mxint8', Float32Array.from([...x, ...y]), [2, 64], 1);
    const B = encode('mxint8', Float32Array.from([...y, ...w]), [2, 64], 1);
    check(A, B, 'NK', 'cross-block ties', ALL_PATHS);
    // 2^24 + 1 → 2^24 (tie, even below); 2^24 + 3 → 2^24 + 4 (tie, even above)
    for (const fl of FLAVORS) expect(Array.from(KERNELS[fl].gemm(A, B, { b: 'NK' }))).toEqual([2 ** 24, 2 ** 24 + 4, 2, 4]);
  });

  it('saturated elements, zero blocks, −0 and all-zero operands', () => {
    const rnd = mulberry32(21);
    const xa = randomData(6 * 96, rnd);
    const xb = randomData(7 * 96, rnd);
    for (let k = 0; k < 32; k++) {
      xa[2 * 96 + 32 + k] = 0; // a zero block
      xb[3 * 96 + k] = -0; // a −0 block
    }
    xa[5] = 957; // saturates in E4M3 (→ 896) and in MXINT8's block max
    xa[6] = -1e30;
    for (const [fa, fb] of [['mxfp8_e4m3', 'mxint8'], ['mxint8', 'mxfp4'], ['mxfp4', 'mxfp6_e2m3']]) {
      const { a, b } = operands(fa, fb, 6, 96, 7, 'NK', xa, xb);
      check(a, b, 'NK', `${fa} × ${fb} saturation/zeros`, ALL_PATHS);
    }
    const zeros = encode('mxint8', new Float32Array(3 * 40), [3, 40], 1);
    const c = KERNELS.relaxed.gemm(zeros, zeros, { b: 'NK' });
    expect(u32(c)).toEqual(new Array(9).fill(0)); // +0, never −0
  });

  it('NaN and Inf blocks make their row / column of C NaN', () => {
    const rnd = mulberry32(22);
    const xa = randomData(5 * 70, rnd);
    const xb = randomData(70 * 6, rnd);
    xa[1 * 70 + 40] = NaN;
    xa[4 * 70 + 3] = -Infinity;
    xb[10 * 6 + 2] = Infinity; // B [K, N]: column 2, block 0
    for (const [fa, fb] of [['mxint8', 'mxint8'], ['mxfp4', 'mxfp4'], ['mxfp8_e5m2', 'mxint:m=16,block=32'], ['fixed:w=8,f=4', 'mxfp4']]) {
      const { a, b } = operands(fa, fb, 5, 70, 6, 'KN', xa, xb);
      check(a, b, 'KN', `${fa} × ${fb} NaN`, ALL_PATHS);
    }
  });

  it('subnormal inputs and results, overflow to ±Inf', () => {
    const rnd = mulberry32(23);
    const tiny = randomData(4 * 64, rnd).map((v) => v * 2 ** -140); // float32 subnormals and tiny normals
    const huge = randomData(64 * 5, rnd).map((v) => v * 2 ** 120);
    const mid = randomData(64 * 5, rnd).map((v) => v * 2 ** -10);
    for (const [fa, fb] of [['mxint8', 'mxint8'], ['mxfp8_e5m2', 'mxfp8_e4m3'], ['mxint:m=16,block=32', 'mxfp4'], ['bfp:m=8,block=32', 'mxint8']]) {
      let { a, b } = operands(fa, fb, 4, 64, 5, 'KN', tiny, mid);
      check(a, b, 'KN', `${fa} × ${fb} subnormal`, ALL_PATHS);
      ({ a, b } = operands(fa, fb, 4, 64, 5, 'KN', tiny.map((v) => v * 2 ** 140 * 2 ** 100), huge));
      check(a, b, 'KN', `${fa} × ${fb} overflow`, ALL_PATHS);
    }
  });

  it('huge exponent spreads between blocks force the exact fallback, which stays exact', () => {
    const rnd = mulberry32(24);
    const M = 6;
    const K = 160;
    const N = 9;
    const xa = randomData(M * K, rnd).map((v, i) => v * 2 ** ((i % K) < 32 ? 90 : (i % K) < 64 ? -90 : 0));
    const xb = randomData(N * K, rnd).map((v, i) => v * 2 ** ((i % K) >= 128 ? 70 : (i % K) < 32 ? -60 : 0));
    for (const [fa, fb] of [['mxint8', 'mxint8'], ['mxfp4', 'mxfp4'], ['mxfp8_e4m3', 'mxfp8_e5m2'], ['mxint:m=16,block=32', 'mxint8']]) {
      const { a, b } = operands(fa, fb, M, K, N, 'NK', xa, xb);
      const infos = check(a, b, 'NK', `${fa} × ${fb} spread`, ALL_PATHS);
      expect(infos.some((i) => i.exactOutputs > 0), `${fa} × ${fb} uses the fallback`).toBe(true);
    }
    // at the margin of the f64 bound: 2^53 + 2^29 + 1 is just above a float32 tie, but f64 addition
    // rounds it onto the tie (→ 2^53 after the final rounding, instead of 2^53 + 2^30)
    const m = encode('mxint8:block=1', Float32Array.from([2 ** 53, 2 ** 29, 1]), [1, 3], 1);
    const ones = encode('mxint8:block=1', Float32Array.from([1, 1, 1]), [1, 3], 1);
    expect(blockGemm(m, ones, { b: 'NK' })[0]).toBe(2 ** 53 + 2 ** 30);
    const infos = check(m, ones, 'NK', 'f64 bound margin', ALL_PATHS);
    expect(infos.every((i) => i.exactOutputs === 1)).toBe(true);
    // the textbook case: 2^60 + 1 − 2^60 across three blocks
    const x = new Float32Array(96);
    x[0] = 2 ** 60;
    x[32] = 1;
    x[64] = -(2 ** 60);
    const a = encode('mxint8', x, [1, 96], 1);
    const b = encode('mxint8', new Float32Array(96).fill(1), [96, 1], 0);
    for (const fl of FLAVORS) expect(KERNELS[fl].gemm(a, b, { b: 'KN' })[0]).toBe(1);
  });

  it('E5M2 codes up to 2^31.8 and MXInt m = 16 codes, against each other and with E4M3', () => {
    const rnd = mulberry32(25);
    // E5M2: ±57344 (code ±1.75·2^31 at X = 0) next to 2^−16 (code 1); MXInt m = 16: −32768 and 32767
    const e5 = (n: number) => new Float32Array(n).map((_, i) => (i % 3 === 0 ? 57344 : i % 3 === 1 ? -57344 : 2 ** -16) * (rnd() < 0.2 ? 0.5 : 1));
    const m16 = (n: number) => new Float32Array(n).map((_, i) => (i % 2 ? -32768 : 32767) * 2 ** -15 * (rnd() < 0.2 ? -1 : 1));
    for (const [fa, fb] of [['mxfp8_e5m2', 'mxfp8_e5m2'], ['mxfp8_e5m2', 'mxint:m=16,block=32'], ['mxint:m=16,block=32', 'mxint:m=16,block=32'], ['mxfp8_e4m3', 'mxint:m=16,block=32']]) {
      const gen = (f: string, n: number) => (f.startsWith('mxint') ? m16(n) : e5(n));
      const { a, b } = operands(fa, fb, 3, 64, 4, 'KN', gen(fa, 3 * 64), gen(fb, 64 * 4));
      check(a, b, 'KN', `${fa} × ${fb} extremes`, ALL_PATHS);
    }
  });

  it('worst-case lane sums: every code at its maximum, same sign and opposite signs', () => {
    // i8: MXFP4 codes ±12 everywhere fill the i16 partial sums up to the depth bound;
    // i16: MXInt m = 12 codes ±2047 with K near 2^31 / 2047² fill the i32 lanes.
    for (const [fmt, v, K] of [['mxfp4', 6, 256], ['mxfp4:block=16', -6, 300], ['mxint:m=12,block=32', 0.999, 511], ['mxint:m=12,block=32', -0.999, 700]] as const) {
      const a = encode(fmt, new Float32Array(3 * K).fill(v), [3, K], 1);
      const xb = new Float32Array(5 * K).fill(Math.abs(v));
      for (let k = 0; k < K; k++) xb[4 * K + k] = -Math.abs(v); // column 4: opposite sign
      const b = encode(fmt, xb, [5, K], 1);
      check(a, b, 'NK', `${fmt} all ${v}`, ALL_PATHS);
    }
  });

  it('picks the intended path', () => {
    const rnd = mulberry32(26);
    const M = 16;
    const K = 256;
    const N = 24;
    const path = (fa: string, fb: string, fl: 'simd' | 'relaxed') => {
      const { a, b } = operands(fa, fb, M, K, N, 'NK', randomData(M * K, rnd, 0, false), randomData(N * K, rnd, 0, false));
      return KERNELS[fl].prepare(a, b, { b: 'NK' }).info;
    };
    expect(path('mxint8', 'mxint8', 'relaxed')).toMatchObject({ path: 'i16', segments: 1, exactOutputs: 0 });
    expect(path('mxfp4', 'mxfp4', 'simd')).toMatchObject({ path: 'i16', segments: 1 });
    expect(path('mxfp4', 'mxfp4', 'relaxed')).toMatchObject({ path: 'i8', segments: 1 });
    expect(path('mxfp8_e4m3', 'mxfp8_e4m3', 'simd')).toMatchObject({ path: 'f64', exactOutputs: 0 });
  });
});

describe('causal attention: lowerA and causalC', () => {
  it('lowerA (A zero above its diagonal) gives the twin’s bits; causalC = the twin with C[i, j > i] = +0', () => {
    const rnd = mulberry32(4242);
    const act: ActFormat = DEFAULT_ACT;
    // P-like A [T, T]: softmax-like rows, zeros beyond the diagonal; a wide spread forces many segments
    for (const [T, hd, fa, fb, spread] of [[64, 32, 'mxint8', 'mxint8', 1], [67, 16, 'mxfp4', 'mxfp4', 1], [96, 32, 'mxint8', 'mxint8', 9], [40, 8, 'mxfp6_e2m3', 'mxfp4:block=32', 3]] as const) {
      const p = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let k = 0; k <= i; k++) p[i * T + k] = rnd() * 2 ** -Math.round(rnd() * spread * (k % 5));
      const v = randomData(T * hd, rnd, 2, false);
      const a = encode(fa, p, [T, T], 1);
      const bKN = encode(fb, v, [T, hd], 0);
      const vt = new Float32Array(hd * T);
      for (let t = 0; t < T; t++) for (let j = 0; j < hd; j++) vt[j * T + t] = v[t * hd + j];
      const bNK = encode(fb, vt, [hd, T], 1);
      const want = u32(blockGemm(a, bKN, { b: 'KN' }));
      for (const fl of FLAVORS) {
        for (const path of [undefined, 'i16', 'i8', 'f64', 'exact'] as const) {
          if (path === 'i8' && fl === 'simd') continue;
          for (const [b, layout] of [[bKN, 'KN'], [bNK, 'NK']] as const) {
            let got: Float32Array;
            try {
              got = KERNELS[fl].gemm(a, b, { b: layout, path, lowerA: true });
            } catch (e) {
              if (e instanceof GemmKernelError && path !== undefined) continue;
              throw e;
            }
            expect(u32(got), `lowerA ${fa}×${fb} T ${T} ${fl} ${path ?? 'auto'} ${layout}`).toEqual(want);
            const fx = KERNELS[fl].gemmFix(a, b, { b: layout, path, lowerA: true }, act);
            expect(Array.from(fx.ints)).toEqual(Array.from(new Float32Array(want.map((x) => new Float32Array(new Uint32Array([x]).buffer)[0])), (y) => fixInt(y, act)));
          }
        }
      }
      // a non-zero above the diagonal: lowerA is ignored (checked against the codes), same bits
      const p2 = p.slice();
      p2[3 * T + 40 % T] = 0.5;
      p2[1 * T + 2] = 0.25;
      const a2 = encode(fa, p2, [T, T], 1);
      const want2 = u32(blockGemm(a2, bKN, { b: 'KN' }));
      for (const fl of FLAVORS) expect(u32(KERNELS[fl].gemm(a2, bKN, { b: 'KN', lowerA: true }))).toEqual(want2);
    }
    // causalC on Q·Kᵀ shapes: the twin with the upper triangle +0, every path, ragged sizes
    for (const [T, hd, f] of [[64, 32, 'mxint8'], [45, 32, 'mxfp4'], [70, 16, 'mxfp8_e4m3'], [9, 8, 'mxint8']] as const) {
      const q = randomData(T * hd, rnd, 3);
      const k = randomData(T * hd, rnd, 3);
      const a = encode(f, q, [T, hd], 1);
      const b = encode(f, k, [T, hd], 1);
      const full = blockGemm(a, b, { b: 'NK' });
      for (let i = 0; i < T; i++) full.fill(0, i * T + i + 1, (i + 1) * T);
      const want = u32(full);
      for (const fl of FLAVORS) {
        for (const path of [undefined, 'i16', 'i8', 'f64', 'exact'] as const) {
          if (path === 'i8' && fl === 'simd') continue;
          let got: Float32Array;
          try {
            got = KERNELS[fl].gemm(a, b, { b: 'NK', path, causalC: true });
          } catch (e) {
            if (e instanceof GemmKernelError && path !== undefined) continue;
            throw e;
          }
          expect(u32(got), `causalC ${f} T ${T} ${fl} ${path ?? 'auto'}`).toEqual(want);
          const fx = KERNELS[fl].gemmFix(a, b, { b: 'NK', path, causalC: true }, act);
          expect(Array.from(fx.ints), `causalC gemmFix ${f} T ${T} ${fl} ${path ?? 'auto'}`).toEqual(Array.from(full, (y) => fixInt(y, act)));
          expect(u32(fx.values!)).toEqual(u32(Float32Array.from(fx.ints, (x) => x * 2 ** -act.f)));
        }
      }
    }
  });
});

describe('kernel errors', () => {
  it('throws the twin’s FormatErrors, and GemmKernelError for a forced path that cannot run', () => {
    const x = new Float32Array(64).fill(1);
    const mx = encode('mxfp4', x, [2, 32], 1);
    expect(() => KERNELS.simd.gemm(encode('nvfp4', x, [2, 32], 1), mx, { b: 'NK' })).toThrow(FormatError);
    expect(() => KERNELS.simd.gemm(mx, encode('mxint8:block=16', x, [2, 32], 1), { b: 'NK' })).toThrow(/block/);
    expect(() => KERNELS.simd.gemm(mx, mx, { b: 'NK', path: 'i8' })).toThrow(GemmKernelError);
    const e5 = encode('mxfp8_e5m2', x, [2, 32], 1);
    expect(() => KERNELS.relaxed.gemm(e5, e5, { b: 'NK', path: 'i16' })).toThrow(GemmKernelError);
  });
  it('a plan is invalidated by the next prepare', () => {
    const x = new Float32Array(64).fill(1);
    const mx = encode('mxfp4', x, [2, 32], 1);
    const k = KERNELS.relaxed;
    const p1 = k.prepare(mx, mx, { b: 'NK' });
    expect(Array.from(k.run(p1))).toEqual([32, 32, 32, 32]);
    k.prepare(mx, mx, { b: 'NK' });
    expect(() => k.run(p1)).toThrow(GemmKernelError);
  });
});

describe('segment (the kernel) = segmentationTwin', () => {
  it('bases and largest shifted code on random block statistics, both builds; −1 exactly where the twin gives null', async () => {
    const rnd = makeRng(97);
    for (const fl of FLAVORS) {
      const { instance } = (await WebAssembly.instantiate(await kernelBytes(`gemm.${fl}.wasm`), { env: { abort: () => {} } })) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
      const e = instance.exports as unknown as { memory: WebAssembly.Memory; reset(): void; alloc(n: number): number; segment(maxc: number, ex: number, rows: number, nb: number, block: number, K: number, len: number, lim: number, base: number): number };
      for (let trial = 0; trial < 60; trial++) {
        const block = [8, 16, 32][trial % 3];
        const K = 1 + Math.floor(rnd() * 300);
        const rows = 1 + Math.floor(rnd() * 40);
        const nb = Math.ceil(K / block);
        // codes up to 127, a fifth of the blocks zero; exponents spread by up to `spread`, and now and then 2^1100 apart
        const spread = [2, 8, 30, 1100][trial % 4];
        const maxc = Float64Array.from({ length: rows * nb }, () => (rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * 127)));
        const ex = Int32Array.from({ length: rows * nb }, () => Math.floor(rnd() * spread) - 600);
        e.reset();
        const pm = e.alloc(maxc.length * 8);
        const pe = e.alloc(ex.length * 4);
        new Float64Array(e.memory.buffer, pm, maxc.length).set(maxc);
        new Int32Array(e.memory.buffer, pe, ex.length).set(ex);
        for (const len of [K, block, Math.max(8, block / 2), 2 * block]) {
          for (const lim of [63, 127, 32767, Infinity]) {
            const want = segmentationTwin({ rows, K, block, nb, maxc, ex }, len, lim);
            const nseg = Math.ceil(K / len);
            const pb = e.alloc(rows * nseg * 4);
            new Int32Array(e.memory.buffer, pb, rows * nseg).fill(0);
            const got = e.segment(pm, pe, rows, nb, block, K, len, lim, pb);
            const tag = `${fl} rows ${rows} K ${K} block ${block} len ${len} lim ${lim} spread ${spread}`;
            if (!want) {
              expect(got, tag).toBe(-1);
              continue;
            }
            expect(got, tag).toBe(want.maxShifted);
            expect(Array.from(new Int32Array(e.memory.buffer, pb, rows * nseg)), tag).toEqual(Array.from(want.base));
          }
        }
      }
    }
  });
});
