// encodeGemmFix (integer mode's linear layer inside the GEMM module: the ACT input encoded there,
// then the GEMM and its fix) against its specification on the TypeScript twins: core encode of the
// ACT values (and the emulator's measure() loop for the statistics), blockGemm, fixInt. Bit for bit
// on the integers, the float32 values, the sums and the counts, for both builds, every block format
// family, partial blocks, both weight layouts, with and without the weight cache, several GEMMs on
// one encoding (encodeGemmsFix), and inputs large enough that the sums leave the exact-integer shortcut.
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, quantize, toSpec } from '../formats/index';
import { blockGemm, fixInt, fxActivation, fxAdd, fxMul, fxNormParams, fxRmsNorm, type ActFormat } from '../datapath/index';
import { DEFAULT_ACT } from '../datapath/index';
import { loadGemmKernel, type GemmKernel } from './gemm';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng } from '../tensors';
import { measure } from '../emulate/quant';

const FLAVORS = ['simd', 'relaxed'] as const;
const KERNELS: Record<string, GemmKernel> = {};

beforeAll(async () => {
  for (const fl of FLAVORS) KERNELS[fl] = await loadGemmKernel(kernelBytes, fl);
});

const act: ActFormat = DEFAULT_ACT;

/** ACT integers [M, K] with a spread of magnitudes per row (range: largest |value|). */
function input(M: number, K: number, rnd: () => number, range: number): Int32Array {
  const x = new Int32Array(M * K);
  for (let i = 0; i < M; i++) {
    const r = range * (0.05 + rnd());
    for (let k = 0; k < K; k++) x[i * K + k] = Math.round((rnd() * 2 - 1) * r * 2 ** act.f);
  }
  return x;
}

function weight(N: number, K: number, rnd: () => number): Float32Array {
  return Float32Array.from({ length: N * K }, () => (rnd() * 2 - 1) * 0.2);
}

describe('encodeGemmFix = encode the ACT input, block GEMM, fix', () => {
  const cases: [string, string, number, number, number][] = [
    ['mxint8', 'mxint8', 37, 64, 24],
    ['mxfp4', 'mxfp4', 16, 96, 40],
    ['mxfp4', 'mxint8', 9, 70, 12],
    ['mxint:m=4,block=32', 'mxint:m=8,block=32', 20, 72, 9],
    ['bfp:m=6,block=16', 'mxint:m=6,block=16', 13, 40, 17],
    ['mxfp8_e4m3', 'mxfp6_e3m2', 11, 64, 8],
    ['mxfp6_e2m3:block=16', 'mxfp8_e5m2:block=16', 5, 48, 6],
    ['mxint8', 'mxint8', 1, 1, 1],
  ];
  for (const [xf, wf, M, K, N] of cases) {
    it(`x ${xf} × W ${wf}, ${M}×${K} · ${K}×${N}`, () => {
      const rnd = makeRng(M * 977 + K * 31 + N);
      // range 2: the sums stay exact integers; 3000: they pass 2^53 units and run in index order
      for (const range of [2, 3000]) {
        const xi = input(M, K, rnd, range);
        const xv = Float32Array.from(xi, (v) => v * 2 ** -act.f);
        const w = weight(N, K, rnd);
        const wt = new Float32Array(N * K);
        for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wt[k * N + n] = w[n * K + k];
        const a = encode(xf, xv, [M, K], 1);
        const stats = measure(xv, quantize(xf, xv, [M, K], 1), a.counts);
        for (const layout of ['NK', 'KN'] as const) {
          const b = layout === 'NK' ? encode(wf, w, [N, K], 1) : encode(wf, wt, [K, N], 0);
          const y = blockGemm(a, b, { b: layout });
          const ints = Int32Array.from(y, (v) => fixInt(v, act));
          const vals = Float32Array.from(ints, (v) => v * 2 ** -act.f);
          for (const fl of FLAVORS) {
            for (const cacheB of [false, true]) {
              const tag = `${fl} ${layout} range ${range} cacheB ${cacheB}`;
              const into = new Int32Array(M * N);
              const got = KERNELS[fl].encodeGemmFix!(xi, M, K, toSpec(xf), b, { b: layout, cacheB }, act, true, into)!;
              expect(got, tag).not.toBeNull();
              expect(got.ints, tag).toBe(into);
              expect(Array.from(got.ints), tag).toEqual(Array.from(ints));
              expect(Array.from(got.values!), tag).toEqual(Array.from(vals));
              expect([got.sig, got.err], tag).toEqual([stats.sig, stats.err]);
              expect([got.counts.saturated, got.counts.underflow, got.counts.nanBlocks], tag).toEqual([a.counts.saturated, a.counts.underflow, a.counts.nanBlocks]);
            }
          }
        }
      }
    });
  }

  it('encodeGemmsFix: one encoding, several GEMMs (q/k/v with different weight formats and widths), each as gemmFix alone', () => {
    const rnd = makeRng(4242);
    const [M, K] = [23, 96];
    const xi = input(M, K, rnd, 4);
    const xv = Float32Array.from(xi, (v) => v * 2 ** -act.f);
    const xf = 'mxint8';
    const a = encode(xf, xv, [M, K], 1);
    const stats = measure(xv, quantize(xf, xv, [M, K], 1), a.counts);
    const ws = ([['mxint8', 40], ['mxfp4', 17], ['mxint:m=4,block=32', 64]] as const).map(([wf, N]) => ({ N, b: encode(wf, weight(N, K, rnd), [N, K], 1) }));
    const want = ws.map(({ b }) => Int32Array.from(blockGemm(a, b, { b: 'NK' }), (v) => fixInt(v, act)));
    for (const fl of FLAVORS) {
      for (const cacheB of [false, true]) {
        const into = ws.map(({ N }) => new Int32Array(M * N));
        const got = KERNELS[fl].encodeGemmsFix!(xi, M, K, toSpec(xf), ws.map(({ b }, i) => ({ w: b, values: i !== 1, into: into[i] })), { b: 'NK', cacheB }, act)!;
        expect(got.outs.length).toBe(3);
        got.outs.forEach((o, i) => {
          const tag = `${fl} cacheB ${cacheB} gemm ${i}`;
          expect(o.ints, tag).toBe(into[i]);
          expect(Array.from(o.ints), tag).toEqual(Array.from(want[i]));
          if (i === 1) expect(o.values, tag).toBeUndefined();
          else expect(Array.from(o.values!), tag).toEqual(Array.from(want[i], (v) => v * 2 ** -act.f));
        });
        expect([got.sig, got.err], fl).toEqual([stats.sig, stats.err]);
        expect(got.counts, fl).toEqual(a.counts);
      }
    }
    expect(() => KERNELS.relaxed.encodeGemmsFix!(xi, M, K, toSpec(xf), [{ w: ws[0].b }], { b: 'NK', cacheA: true }, act)).toThrow(/b and cacheB only/);
    // with a residual: sat(fix(GEMM) + residual), as fxAdd gives it (near the limits too)
    const lim = 2 ** (act.w - 1) - 1;
    const res = Int32Array.from({ length: M * ws[0].N }, (_, i) => (i % 7 === 0 ? lim - (i % 3) : i % 7 === 1 ? -lim : Math.round((rnd() * 2 - 1) * 5 * 2 ** act.f)));
    for (const fl of FLAVORS) {
      const got = KERNELS[fl].encodeGemmsFix!(xi, M, K, toSpec(xf), [{ w: ws[0].b, residual: res }, { w: ws[1].b }], { b: 'NK', cacheB: true }, act)!;
      expect(Array.from(got.outs[0].ints), fl).toEqual(Array.from(fxAdd(want[0], res, act)));
      expect(got.outs[0].values, fl).toBeUndefined();
      expect(Array.from(got.outs[1].ints), fl).toEqual(Array.from(want[1]));
      expect(() => KERNELS[fl].encodeGemmsFix!(xi, M, K, toSpec(xf), [{ w: ws[0].b, residual: res.subarray(1) }], { b: 'NK' }, act)).toThrow(/residual has/);
    }
  });

  it('encodeGluFix: SiLU(x·gateᵀ)·(x·upᵀ) in one call, as gemmFix twice, fxActivation and fxMul', () => {
    const rnd = makeRng(777);
    const [M, K, N] = [19, 64, 48];
    const cases: [string, string, (i: number) => number][] = [
      ['mxint8', 'mxint8', () => 1],
      ['mxfp4', 'mxint:m=4,block=32', () => 1],
      // weights whose blocks lie 2^±40 apart: the GEMMs need exact outputs patched after the kernel
      ['mxfp8_e5m2:block=16', 'mxfp8_e5m2:block=16', (i) => 2 ** ((((i >> 4) % 3) - 1) * 40)],
    ];
    for (const [xf, wf, scale] of cases) {
      const xi = input(M, K, rnd, 3);
      const xv = Float32Array.from(xi, (v) => v * 2 ** -act.f);
      const a = encode(xf, xv, [M, K], 1);
      const stats = measure(xv, quantize(xf, xv, [M, K], 1), a.counts);
      const [g, u] = [0, 1].map(() => encode(wf, weight(N, K, rnd).map((v, i) => v * scale(i)), [N, K], 1));
      const [yg, yu] = [g, u].map((w) => Int32Array.from(blockGemm(a, w, { b: 'NK' }), (v) => fixInt(v, act)));
      const silu = fxActivation('silu', yg, act);
      for (const upFirst of [false, true]) {
        const want = upFirst ? fxMul(yu, silu, act) : fxMul(silu, yu, act);
        for (const fl of FLAVORS) {
          const tag = `${xf} × ${wf} ${fl} upFirst ${upFirst}`;
          if (xf.startsWith('mxfp8')) expect(KERNELS[fl].prepare(a, g, { b: 'NK' }).info.exactOutputs, tag).toBeGreaterThan(0);
          const into = new Int32Array(M * N);
          const got = KERNELS[fl].encodeGluFix!(xi, M, K, toSpec(xf), g, u, { b: 'NK', cacheB: true }, act, upFirst, into)!;
          expect(got.ints, tag).toBe(into);
          expect(Array.from(got.ints), tag).toEqual(Array.from(want));
          expect([got.sig, got.err], tag).toEqual([stats.sig, stats.err]);
          expect(got.counts, tag).toEqual(a.counts);
        }
      }
    }
    const w0 = encode('mxint8', new Float32Array(8 * 32), [8, 32], 1);
    expect(() => KERNELS.relaxed.encodeGluFix!(new Int32Array(4 * 32), 4, 32, toSpec('mxint8'), w0, encode('mxint8', new Float32Array(9 * 32), [9, 32], 1), { b: 'NK' }, act, false)).toThrow(/different widths \(8 and 9\)/);
    expect(KERNELS.relaxed.encodeGluFix!(new Int32Array(4 * 32), 4, 32, toSpec('nvfp4'), w0, w0, { b: 'NK' }, act, false)).toBeNull();
  });

  it('encodeGemmsFix: several GEMMs whose outputs need patching after the kernel (exact outputs), each as gemmFix alone', () => {
    const rnd = makeRng(99);
    const [M, K, N] = [13, 64, 24];
    const xi = input(M, K, rnd, 3);
    const xv = Float32Array.from(xi, (v) => v * 2 ** -act.f);
    const xf = 'mxfp8_e5m2:block=16';
    const a = encode(xf, xv, [M, K], 1);
    // weights whose blocks lie 2^±40 apart: every GEMM has outputs patched after the kernel
    const ws = [0, 1, 2].map(() => encode(xf, weight(N, K, rnd).map((v, i) => v * 2 ** ((((i >> 4) % 3) - 1) * 40)), [N, K], 1));
    const want = ws.map((w) => Int32Array.from(blockGemm(a, w, { b: 'NK' }), (v) => fixInt(v, act)));
    for (const fl of FLAVORS) {
      for (const w of ws) expect(KERNELS[fl].prepare(a, w, { b: 'NK' }).info.exactOutputs, fl).toBeGreaterThan(0);
      const got = KERNELS[fl].encodeGemmsFix!(xi, M, K, toSpec(xf), ws.map((w, i) => ({ w, values: i === 0, residual: i === 2 ? want[0] : undefined })), { b: 'NK', cacheB: true }, act)!;
      expect(Array.from(got.outs[0].ints), fl).toEqual(Array.from(want[0]));
      expect(Array.from(got.outs[0].values!), fl).toEqual(Array.from(want[0], (v) => v * 2 ** -act.f));
      expect(Array.from(got.outs[1].ints), fl).toEqual(Array.from(want[1]));
      expect(Array.from(got.outs[2].ints), fl).toEqual(Array.from(fxAdd(want[2], want[0], act)));
    }
  });

  it('encodeGemmsFix and encodeGluFix with a norm: RMSNorm of the input made in the module first, as fxRmsNorm', () => {
    const rnd = makeRng(31337);
    const [M, K, N] = [21, 96, 40];
    const xi = input(M, K, rnd, 6);
    const p = fxNormParams(Float32Array.from({ length: K }, () => 0.5 + rnd()), undefined, 1e-5, act);
    const ni = fxRmsNorm(xi, M, K, p, act);
    const nv = Float32Array.from(ni, (v) => v * 2 ** -act.f);
    const a = encode('mxint8', nv, [M, K], 1);
    const stats = measure(nv, quantize('mxint8', nv, [M, K], 1), a.counts);
    const [w1, w2] = [0, 1].map(() => encode('mxint8', weight(N, K, rnd), [N, K], 1));
    const [y1, y2] = [w1, w2].map((w) => Int32Array.from(blockGemm(a, w, { b: 'NK' }), (v) => fixInt(v, act)));
    for (const fl of FLAVORS) {
      const got = KERNELS[fl].encodeGemmsFix!(xi, M, K, toSpec('mxint8'), [{ w: w1 }, { w: w2, values: false }], { b: 'NK', cacheB: true }, act, p)!;
      expect(Array.from(got.outs[0].ints), fl).toEqual(Array.from(y1));
      expect(Array.from(got.outs[1].ints), fl).toEqual(Array.from(y2));
      expect([got.sig, got.err], fl).toEqual([stats.sig, stats.err]);
      const glu = KERNELS[fl].encodeGluFix!(xi, M, K, toSpec('mxint8'), w1, w2, { b: 'NK' }, act, false, undefined, p)!;
      expect(Array.from(glu.ints), fl).toEqual(Array.from(fxMul(fxActivation('silu', y1, act), y2, act)));
    }
  });

  it('returns null for what it does not cover, and throws on options it does not take', () => {
    const k = KERNELS.relaxed;
    const b = encode('mxint8', new Float32Array(8 * 32).fill(0.5), [8, 32], 1);
    const x = new Int32Array(4 * 32);
    expect(k.encodeGemmCovers!(toSpec('mxint8'))).toBe(true);
    expect(k.encodeGemmCovers!(toSpec('nvfp4'))).toBe(false);
    expect(k.encodeGemmFix!(x, 4, 32, toSpec('nvfp4'), b, { b: 'NK' }, act)).toBeNull();
    expect(k.encodeGemmFix!(x, 4, 31, toSpec('mxint8'), b, { b: 'NK' }, act)).toBeNull();
    expect(() => k.encodeGemmFix!(x, 4, 32, toSpec('mxint8'), b, { b: 'NK', causalC: true }, act)).toThrow(/b and cacheB only/);
    // a weight whose K differs: the twin's FormatError
    const b2 = encode('mxint8', new Float32Array(8 * 64).fill(0.5), [8, 64], 1);
    expect(() => k.encodeGemmFix!(x, 4, 32, toSpec('mxint8'), b2, { b: 'NK' }, act)).toThrow(/same K/);
  });
});
