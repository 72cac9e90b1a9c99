// Differential tests: the fixed-point ops of the integer datapath kernel (workers/kernels/assembly/
// _fixed.ts, part of gemm.wasm, wrapped as GemmKernel.fixed) against their TypeScript twins in
// src/core/datapath/fixed.ts, bit for bit, both builds, on random data, sweeps, edge cases
// (zeros, ±actMax, ties, NaN/±Inf/subnormal GEMM outputs, huge score spreads, rows of one
// element) over several ACT formats, and on the default model's real activations (its hardware
// trace in integer mode). Plus: the ops that the kernel leaves to the twin still give the twin's
// results, errors are the twin's, and a fixed-op call supersedes a prepared GEMM plan.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { makeRng } from '../tensors';
import { encode } from '../formats';
import {
  actMax, attentionScaleConst, DEFAULT_ACT, fixInt, fxActivation, fxAdd, fxCausalSoftmax, fxMul, fxNormParams, fxRmsNorm, fxRope, fxRopeTables, fxSilu, softmaxScaleConst,
  type ActFormat,
} from '../datapath';
import { GemmKernelError, loadGemmKernel, type GemmKernel } from './gemm';
import { kernelBytes } from '../../../tools/testing/kernels';
import { loadModel, modelSourceFromFiles } from '../model';
import { Emulator } from '../emulate';
import type { Op } from '../graph';

const FLAVORS = ['simd', 'relaxed'] as const;
const K: Record<string, GemmKernel> = {};
const ACTS: ActFormat[] = [DEFAULT_ACT, { w: 16, f: 8 }, { w: 8, f: 5 }, { w: 24, f: 22 }, { w: 20, f: 12 }];

beforeAll(async () => {
  for (const fl of FLAVORS) K[fl] = await loadGemmKernel(kernelBytes, fl);
});

function same(got: Int32Array, want: Int32Array): void {
  expect(got.length).toBe(want.length);
  let bad = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      bad = i;
      break;
    }
  }
  expect(bad === -1 ? 'equal' : `first difference at ${bad}: ${got[bad]} vs ${want[bad]}`).toBe('equal');
}

/** ACT integers: gaussian with sd (in LSB), a share of saturated extremes, zeros and ±1. */
function actInts(n: number, sd: number, seed: number, act: ActFormat): Int32Array {
  const rnd = makeRng(seed);
  const m = actMax(act);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const g = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const v = r < 0.02 ? m : r < 0.04 ? -m : r < 0.06 ? 0 : r < 0.07 ? 1 : r < 0.08 ? -1 : Math.round(g * sd);
    out[i] = Math.max(-m, Math.min(m, v));
  }
  return out;
}

describe.each(FLAVORS)('fixed-point ops kernel = twin (%s build)', (fl) => {
  it('fix of float32 GEMM outputs: every tie, the saturation edges, NaN, ±Inf, −0, subnormals, huge values', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      const u = 2 ** -act.f;
      const v: number[] = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 2 ** -126, 3e38, -3e38, m * u, -m * u, (m + 0.5) * u, -(m + 0.5) * u, (m - 0.5) * u, -(m - 0.5) * u, (m + 1) * u, 1e6, -1e6];
      for (let i = -40; i <= 40; i++) v.push((i / 2) * u, (i / 2) * u + u / 1024, (i / 2) * u - u / 1024, i * u / 4);
      const rnd = makeRng(act.w * 100 + act.f);
      for (let i = 0; i < 5000; i++) v.push(Math.fround((rnd() - 0.5) * 2 ** (Math.floor(rnd() * 40) - 20)));
      for (const n of [v.length, 1, 3, 4, 5, 7]) {
        const y = Float32Array.from(v.slice(0, n));
        const want = Int32Array.from(y, (x) => fixInt(x, act));
        const ints = new Int32Array(n);
        const vals = y.slice();
        k.fix(vals, ints, act);
        same(ints, want);
        // the values are the ints · 2^−f as float32 (+0 for a zero, never −0 or NaN)
        const wantVals = Float32Array.from(want, (q) => q * u);
        same(new Int32Array(vals.buffer), new Int32Array(wantVals.buffer));
      }
    }
  });

  it('toF32, add, mul: random ACT data, extremes, odd lengths', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      for (const n of [0, 1, 5, 4099]) {
        const a = actInts(n, m / 8, n + act.w, act);
        const b = actInts(n, m / 3, n * 7 + act.f, act);
        const f = k.toF32(a, act);
        same(new Int32Array(f.buffer), new Int32Array(Float32Array.from(a, (x) => x * 2 ** -act.f).buffer));
        same(k.add(a, b, act), fxAdd(a, b, act));
        same(k.mul(a, b, act), fxMul(a, b, act));
        const c = actInts(n, 2 ** act.f, n + 3, act); // values near ±1: products that round on the half
        same(k.mul(a, c, act), fxMul(a, c, act));
      }
    }
  });

  it('any i32 inputs (beyond ACT): add and SiLU = twin (its doubles are exact there), mul = the BigInt product; every lane tail', () => {
    const k = K[fl].fixed;
    const rnd = makeRng(31);
    const edge = [-(2 ** 31), 2 ** 31 - 1, -(2 ** 31) + 1, 2 ** 30, -(2 ** 30), 2 ** 23, -(2 ** 23), 0, 1, -1];
    for (const act of ACTS) {
      for (const n of [1, 3, 4, 7, 1027]) {
        const a = Int32Array.from({ length: n }, (_, i) => (i < edge.length && rnd() < 0.5 ? edge[i] : (rnd() * 2 ** 32) | 0));
        const b = Int32Array.from({ length: n }, (_, i) => (rnd() < 0.2 ? edge[(i * 7) % edge.length] : (rnd() * 2 ** 32) >> Math.floor(rnd() * 32)));
        same(k.add(a, b, act), fxAdd(a, b, act));
        same(k.activation('silu', a, act), fxSilu(a, act));
        const m = BigInt(actMax(act));
        const want = Int32Array.from(a, (x, i) => {
          const q = (BigInt(x) * BigInt(b[i]) + (1n << BigInt(act.f - 1))) >> BigInt(act.f);
          return Number(q > m ? m : q < -m ? -m : q);
        });
        same(k.mul(a, b, act), want);
      }
    }
  });

  it('SiLU: a sweep of every input near the table (f − 5 interpolation bits), random data, extremes; other activations = twin', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      const sw: number[] = [];
      const top = Math.min(m, 17 * 2 ** act.f);
      const step = Math.max(1, Math.floor(top / 40000));
      for (let v = -top; v <= top; v += step) sw.push(v);
      sw.push(m, -m, m - 1, -m + 1, 16 * 2 ** act.f, 16 * 2 ** act.f - 1, -16 * 2 ** act.f, -(16 * 2 ** act.f) + 1);
      const x = Int32Array.from(sw.map((v) => Math.max(-m, Math.min(m, v))));
      same(k.activation('silu', x, act), fxSilu(x, act));
      const r = actInts(10000, 3 * 2 ** act.f, act.w, act);
      same(k.activation('silu', r, act), fxSilu(r, act));
      for (const kind of ['gelu_new', 'gelu', 'relu'] as const) same(k.activation(kind, r, act), fxActivation(kind, r, act));
    }
  });

  it('RMSNorm: row sizes 1…2048, zero / tiny / saturated rows, eps 0…0.1, weights of every scale', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      for (const [D, eps, wscale, sd] of [
        [128, 1e-5, 1, m / 64], [1, 1e-5, 1, m / 4], [7, 1e-6, 0.3, m], [320, 0, 3, 2], [2048, 1e-5, 1, m], [96, 0.1, 1e-3, 1], [128, 1e-5, 2 ** 22, m / 4],
      ] as const) {
        const rnd = makeRng(D + act.w);
        const w = Float32Array.from({ length: D }, () => (rnd() - 0.3) * wscale);
        const p = fxNormParams(w, undefined, Math.min(eps, 2 ** (36 - 2 * act.f)), act); // the largest eps the format takes
        const T = 9;
        const x = actInts(T * D, sd, D * 3 + act.f, act);
        x.fill(0, 0, D); // a zero row: only eps
        x.fill(m, D, 2 * D); // a saturated row
        for (let d = 0; d < D; d++) x[2 * D + d] = d % 3 - 1; // a tiny row
        same(k.rmsNorm(x, T, D, p, act), fxRmsNorm(x, T, D, p, act));
      }
    }
  });

  it('causal softmax: score spreads 1…2^23, equal rows, ±actMax, several heads, every constant', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      for (const [T, H, sd, C] of [
        [64, 4, 3 * 2 ** act.f, attentionScaleConst(32)], [1, 1, 10, attentionScaleConst(64)], [33, 3, m / 2, softmaxScaleConst(0.3)], [17, 2, 0, attentionScaleConst(8)],
        [40, 1, 2 ** act.f, 2 ** 25 - 1], [40, 2, 200 * 2 ** act.f, 1], [256, 1, 30 * 2 ** act.f, attentionScaleConst(32)],
      ] as const) {
        const s = actInts(H * T * T, sd, T * H + act.f, act);
        const want = new Int32Array(H * T * T);
        for (let h = 0; h < H; h++) want.set(fxCausalSoftmax(s.subarray(h * T * T, (h + 1) * T * T), T, C, act), h * T * T);
        same(k.causalSoftmax(s, H, T, C, act), want);
      }
    }
  });

  it('RoPE: random data and extremes, at position 0 and later, GQA-like head counts', () => {
    const k = K[fl].fixed;
    for (const act of ACTS) {
      const m = actMax(act);
      for (const [T, heads, hd, pos0] of [[64, 4, 32, 0], [5, 1, 2, 10], [30, 3, 64, 100], [1, 2, 16, 4095]] as const) {
        const tab = fxRopeTables(4096, hd, 10000);
        const x = actInts(T * heads * hd, m / 3, T + heads + act.w, act);
        same(k.rope(x, T, heads, tab, act, pos0), fxRope(x, T, heads, tab, act, pos0));
      }
    }
  });

  it('errors are the twin’s; a fixed-op call supersedes a prepared GEMM plan', () => {
    const k = K[fl];
    const A = DEFAULT_ACT;
    const x = new Int32Array(12);
    const p = fxNormParams(new Float32Array(4).fill(1), undefined, 1e-5, A);
    expect(() => k.fixed.rmsNorm(x, 2, 4, p, A)).toThrow(/x length/);
    expect(() => k.fixed.rmsNorm(x, 3, 4, p, { w: 30, f: 14 })).toThrow(/ACT width/);
    expect(() => k.fixed.causalSoftmax(new Int32Array(8), 2, 2, 0, A)).toThrow(/softmax constant/);
    expect(() => k.fixed.causalSoftmax(new Int32Array(7), 2, 2, 5, A)).toThrow(/scores length/);
    expect(() => k.fixed.rope(x, 1, 1, fxRopeTables(4, 4, 10000), A, 2)).toThrow(/x length/);
    expect(() => k.fixed.rope(new Int32Array(4), 1, 1, fxRopeTables(4, 4, 10000), A, 4)).toThrow(/RoPE positions/);
    expect(() => k.fixed.add(x, new Int32Array(3), A)).toThrow(/b length/);
    expect(() => k.fixed.mul(x, new Int32Array(3), A)).toThrow(/b length/);
    const a = encode('mxint8', new Float32Array(64).fill(1), [2, 32], 1);
    const plan = k.prepare(a, a, { b: 'NK' });
    k.fixed.add(x, x, A);
    expect(() => k.run(plan)).toThrow(GemmKernelError);
  });
});

describe('on the default model’s real activations (its integer-mode hardware trace)', () => {
  it('every norm, RoPE, softmax, SiLU, product and residual add: kernel = twin', async () => {
    const DIR = new URL('../../../public/models/sotu-llama-1m', import.meta.url).pathname;
    const model = await loadModel(modelSourceFromFiles(new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(`${DIR}/${f}`))])), 'sotu-llama-1m'));
    const ids = model.tokenizer.encode(readFileSync(DIR + '/test.txt', 'utf8')).slice(300, 300 + 96);
    const k = K.relaxed.fixed;
    const c = model.config;
    const em = new Emulator(model, { gemm: K.simd });
    const ops: { op: Op; inputs: readonly Int32Array[]; output: Int32Array }[] = [];
    em.logits(ids, { version: 1, rules: [['*', 'mxint8'], ['*.w', 'mxfp4']] }, 'integer', { hw: { op: (op, inputs, output) => ops.push({ op, inputs, output }) } });
    const T = ids.length;
    const A = em.act;
    const rope = fxRopeTables(T, c.headDim, c.ropeTheta ?? 10000);
    let checked = 0;
    for (const { op, inputs } of ops) {
      const x = inputs[0];
      let got: Int32Array | null = null;
      let want: Int32Array | null = null;
      if (op.type === 'norm') {
        const p = fxNormParams(model.weights.get(op.weight!).f32(), undefined, c.normEps, A);
        [got, want] = [k.rmsNorm(x, T, c.hiddenSize, p, A), fxRmsNorm(x, T, c.hiddenSize, p, A)];
      } else if (op.type === 'rope') {
        const h = x.length / T / c.headDim;
        [got, want] = [k.rope(x, T, h, rope, A), fxRope(x, T, h, rope, A)];
      } else if (op.type === 'softmax') {
        const C = attentionScaleConst(c.headDim);
        want = new Int32Array(x.length);
        for (let h = 0; h < c.numHeads; h++) want.set(fxCausalSoftmax(x.subarray(h * T * T, (h + 1) * T * T), T, C, A), h * T * T);
        got = k.causalSoftmax(x, c.numHeads, T, C, A);
      } else if (op.type === 'activation') [got, want] = [k.activation('silu', x, A), fxSilu(x, A)];
      else if (op.type === 'mul') [got, want] = [k.mul(x, inputs[1], A), fxMul(x, inputs[1], A)];
      else if (op.type === 'add') [got, want] = [k.add(x, inputs[1], A), fxAdd(x, inputs[1], A)];
      if (got && want) {
        same(got, want);
        checked++;
        // into a recycled array of the right length: the same array back, the same values (old contents overwritten)
        const out = new Int32Array(want.length).fill(-7);
        const again =
          op.type === 'norm' ? k.rmsNorm(x, T, c.hiddenSize, fxNormParams(model.weights.get(op.weight!).f32(), undefined, c.normEps, A), A, out)
          : op.type === 'rope' ? k.rope(x, T, x.length / T / c.headDim, rope, A, 0, out)
          : op.type === 'softmax' ? k.causalSoftmax(x, c.numHeads, T, attentionScaleConst(c.headDim), A, out)
          : op.type === 'activation' ? k.activation('silu', x, A, out)
          : op.type === 'mul' ? k.mul(x, inputs[1], A, out)
          : k.add(x, inputs[1], A, out);
        expect(again).toBe(out);
        same(out, want);
      }
    }
    // 4 layers × (2 norms, 2 RoPE, softmax, SiLU, mul, 2 adds) + the final norm
    expect(checked).toBe(c.numLayers * 9 + 1);
  });
});
