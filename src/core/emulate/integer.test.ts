// Integer mode as the hardware function, checked through its hardware trace (HwTrace) on real text
// of the default model: every op's traced output is what the fixed-point twin (src/core/datapath)
// computes from its traced inputs, every GEMM output is fix(blockGemm(encoded operands)) with the TS
// twin (so the WASM kernel agrees with it too), each op's inputs are its producers' outputs (the trace
// is a complete set of test vectors), and the fixed-point ops stay within their documented error
// bounds of the float64 ops on these real activations. Plus: repeated runs on the kernels (pooled
// encodings, cached weight panels) = the TypeScript core; the ACT option and its errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../model';
import type { Op, QuantPoint } from '../graph';
import type { Encoded } from '../formats';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../kernels';
import { kernelBytes } from '../../../tools/testing/kernels';
import {
  actMax, attentionScaleConst, blockGemm, DEFAULT_ACT, fixInt, fxActivation, fxAdd, fxCausalSoftmax, fxEmbedding, fxMul, fxNormParams, fxRmsNorm, fxRope, fxRopeTables, fxTable,
} from '../datapath';
import { Emulator } from './emulator';
import { EmulatorError, type EmulatorKernels } from './types';

const ROOT = new URL('../../../', import.meta.url).pathname;
const A = DEFAULT_ACT;
const LSB = 2 ** -A.f;

let model: LoadedModel;
let ids: number[];
let em: Emulator;
let kernels: EmulatorKernels;

const DIR = ROOT + 'public/models/sotu-llama-1m';
const loadDefault = () => loadModel(modelSourceFromFiles(new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(`${DIR}/${f}`))])), 'sotu-llama-1m'));

beforeAll(async () => {
  model = await loadDefault();
  ids = model.tokenizer.encode(readFileSync(DIR + '/test.txt', 'utf8'));
  const fl = detectFlavor();
  kernels = { quant: await loadQuantKernels(kernelBytes, fl), gemm: await loadGemmKernel(kernelBytes, fl), f32gemm: await loadF32GemmKernel(kernelBytes, fl) };
  em = new Emulator(model, kernels);
});

interface Traced {
  op: Op;
  inputs: readonly Int32Array[];
  output: Int32Array;
}

function fixAll(y: Float32Array): Int32Array {
  return Int32Array.from(y, (v) => fixInt(v, A));
}

function maxErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] * LSB - ref[i]) / LSB);
  return e;
}

describe('the hardware trace of integer mode (default model, real text)', () => {
  it('ops = fixed-point twin of their inputs, GEMMs = fix(blockGemm(operands)), inputs = producers’ outputs, errors within bounds', () => {
    const T = 16; // the BigInt GEMM twin is the slow part
    const seq = ids.slice(500, 500 + T);
    const rules: [string, string][] = [['*', 'mxint8'], ['*.w', 'mxfp4'], ['L0.down.*', 'fp32']]; // L0.down falls back
    const ops: Traced[] = [];
    const operands = new Map<string, Encoded>();
    const logits = em.logits(seq, { version: 1, rules }, 'integer', {
      hw: {
        op: (op, inputs, output) => ops.push({ op, inputs, output }),
        operand: (p: QuantPoint, i: number, enc: Encoded) => operands.set(`${p.id}#${i}`, enc),
      },
    });
    const g = em.graph;
    const c = g.config;
    expect(ops.map((o) => o.op.id)).toEqual(g.ops.map((o) => o.id)); // every op, in graph order
    // the logits are the head's ACT output
    expect(fixAll(logits)).toEqual(ops.at(-1)!.output);
    expect(Array.from(logits, (v) => v / LSB)).toEqual(Array.from(ops.at(-1)!.output));

    const out = new Map(ops.map((o) => [o.op.output, o.output]));
    const W = (n: string) => (n === 'head.w' && !model.weights.has('head.w') ? model.weights.get('embed') : model.weights.get(n)).f32();
    const H = c.numHeads;
    const hd = c.headDim;
    const worst: Record<string, number> = {};
    const note = (k: string, e: number) => (worst[k] = Math.max(worst[k] ?? 0, e));
    for (const { op, inputs, output } of ops) {
      // each input is what its producer output (the embedding reads token ids)
      if (op.type === 'embedding') expect([...inputs[0]]).toEqual(seq);
      else op.inputs.forEach((t, k) => expect(inputs[k], `${op.id} input ${t}`).toBe(out.get(t)));
      const x = inputs[0];
      switch (op.type) {
        case 'embedding':
          expect(output).toEqual(fxEmbedding(seq, fxTable(W('embed'), A), c.hiddenSize));
          break;
        case 'norm': {
          const w = W(op.weight!);
          expect(output).toEqual(fxRmsNorm(x, T, c.hiddenSize, fxNormParams(w, undefined, c.normEps, A), A));
          const D = c.hiddenSize;
          const ref: number[] = [];
          for (let t = 0; t < T; t++) {
            let ss = 0;
            for (let d = 0; d < D; d++) ss += (x[t * D + d] * LSB) ** 2;
            const r = 1 / Math.sqrt(ss / D + c.normEps);
            for (let d = 0; d < D; d++) ref.push(w[d] * x[t * D + d] * LSB * r);
          }
          note('rmsnorm', maxErr(output, ref));
          break;
        }
        case 'rope': {
          const heads = x.length / T / hd;
          expect(output).toEqual(fxRope(x, T, heads, fxRopeTables(256, hd, c.ropeTheta!), A));
          const ref: number[] = [];
          for (let t = 0; t < T; t++) {
            for (let h = 0; h < heads; h++) {
              for (let d = 0; d < hd; d++) {
                const o = t * heads * hd + h * hd;
                const a = t * Math.pow(c.ropeTheta!, (-2 * (d % (hd / 2))) / hd);
                const rot = d < hd / 2 ? -x[o + d + hd / 2] : x[o + d - hd / 2];
                ref.push((x[o + d] * Math.cos(a) + rot * Math.sin(a)) * LSB);
              }
            }
          }
          note('rope', maxErr(output, ref));
          break;
        }
        case 'softmax': {
          const C = attentionScaleConst(hd);
          for (let h = 0; h < H; h++) {
            const s = x.subarray(h * T * T, (h + 1) * T * T);
            const p = output.subarray(h * T * T, (h + 1) * T * T);
            expect(p).toEqual(fxCausalSoftmax(s, T, C, A));
            for (let t = 0; t < T; t++) {
              let m = -Infinity;
              for (let j = 0; j <= t; j++) m = Math.max(m, s[t * T + j] * LSB / Math.sqrt(hd));
              let z = 0;
              for (let j = 0; j <= t; j++) z += Math.exp(s[t * T + j] * LSB / Math.sqrt(hd) - m);
              const ref = Array.from({ length: t + 1 }, (_, j) => Math.exp(s[t * T + j] * LSB / Math.sqrt(hd) - m) / z);
              note('softmax', maxErr(p.subarray(t * T, t * T + t + 1), ref));
            }
          }
          break;
        }
        case 'activation':
          expect(output).toEqual(fxActivation('silu', x, A));
          note('silu', maxErr(output, Array.from(x, (v) => (v * LSB) / (1 + Math.exp(-v * LSB)))));
          break;
        case 'mul':
          expect(output).toEqual(fxMul(x, inputs[1], A));
          note('mul', maxErr(output, Array.from(x, (v, i) => v * LSB * inputs[1][i] * LSB)));
          break;
        case 'add':
          expect(output).toEqual(fxAdd(x, inputs[1], A));
          expect(maxErr(output, Array.from(x, (v, i) => (v + inputs[1][i]) * LSB))).toBe(0);
          break;
        case 'linear': {
          const a = operands.get(`${op.id}.x#0`);
          const b = operands.get(`${op.id}.w#0`);
          if (op.id === 'L0.down') {
            expect(a).toBeUndefined(); // the fake fallback has no encoding; its output is still ACT
            expect(output.every((v) => Math.abs(v) <= actMax(A))).toBe(true);
            break;
          }
          expect(a!.layout.shape).toEqual([T, x.length / T]);
          expect(output).toEqual(fixAll(blockGemm(a!, b!, { b: 'NK' })));
          break;
        }
        case 'matmul': {
          const rep = H / c.numKvHeads;
          for (let h = 0; h < H; h++) {
            const kv = Math.floor(h / rep);
            const ea = operands.get(`${op.id}.a#${h}`)!;
            const eb = operands.get(`${op.id}.b#${kv}`)!;
            if (op.kind === 'qk') {
              const s = fixAll(blockGemm(ea, eb, { b: 'NK' }));
              for (let t = 0; t < T; t++) s.fill(0, t * T + t + 1, (t + 1) * T);
              expect(output.subarray(h * T * T, (h + 1) * T * T), `${op.id} head ${h}`).toEqual(s);
            } else {
              const o = fixAll(blockGemm(ea, eb, { b: 'KN' }));
              for (let t = 0; t < T; t++) expect(output.subarray(t * H * hd + h * hd, t * H * hd + h * hd + hd)).toEqual(o.subarray(t * hd, t * hd + hd));
            }
          }
          break;
        }
        default:
          throw new Error(`unexpected op ${op.type}`);
      }
    }
    console.log('max error vs float64 on real activations (LSB):', JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, +v.toFixed(3)]))));
    expect(worst.rmsnorm).toBeLessThanOrEqual(0.7); // 0.56 + the norm weights' own 2^−21 rounding
    expect(worst.rope).toBeLessThanOrEqual(0.87);
    expect(worst.softmax).toBeLessThanOrEqual(0.61);
    expect(worst.silu).toBeLessThanOrEqual(0.85);
    expect(worst.mul).toBeLessThanOrEqual(0.5);
    // per-head operands of every attention matmul, per-tensor ones of every integer linear
    const intLinears = 7 * c.numLayers + 1 - 1; // q k v o gate up down per block + head, minus L0.down
    expect(operands.size).toBe(c.numLayers * (2 * H + 2 * c.numKvHeads) + 2 * intLinears);
  });

  it('with the kernels, repeated runs (pooled activation encodings, cached weight panels, the fixed-op kernel) equal the TypeScript core and the traced run, bit for bit', () => {
    const seq = ids.slice(900, 900 + 24);
    const cfg = { version: 1 as const, rules: [['*', 'mxint8'], ['*.w', 'mxfp4'], ['L1.*', 'mxint:m=4,block=32']] as [string, string][] };
    const bits = (l: Float32Array) => Array.from(new Uint32Array(l.buffer, l.byteOffset, l.length));
    const core = bits(new Emulator(model).logits(seq, cfg, 'integer'));
    const fresh = new Emulator(model, kernels);
    const traced: Int32Array[] = [];
    const first = bits(fresh.logits(seq, cfg, 'integer', { hw: { op: (_op, _in, out) => traced.push(out) } }));
    expect(first).toEqual(core);
    for (let r = 0; r < 3; r++) {
      expect(bits(fresh.logits(seq, cfg, 'integer')), `run ${r + 2}`).toEqual(core);
      // another window length in between: other pool sizes, the same weights
      fresh.logits(seq.slice(0, 17), cfg, 'integer');
    }
    const again: Int32Array[] = [];
    fresh.logits(seq, cfg, 'integer', { hw: { op: (_op, _in, out) => again.push(out) } });
    expect(again).toEqual(traced);
  });

  it('an ACT format of 20 bits with 12 fractional; bad formats and a trace outside integer mode are errors', async () => {
    const em20 = new Emulator(model, kernels, { act: { w: 20, f: 12 } });
    expect(em20.act).toEqual({ w: 20, f: 12 });
    let peak = 0;
    em20.logits(ids.slice(0, 12), { version: 1, rules: [['*', 'mxint8']] }, 'integer', { hw: { op: (_o, _i, y) => y.forEach((v) => (peak = Math.max(peak, Math.abs(v)))) } });
    expect(peak).toBeLessThanOrEqual(2 ** 19 - 1);
    const r = await em20.evaluate(ids, { version: 1, rules: [] }, { mode: 'integer', maxTokens: 256 });
    expect(r.kl).toBeLessThan(1e-3); // 12 fraction bits still track the float model
    expect(() => new Emulator(model, {}, { act: { w: 26, f: 14 } })).toThrow(EmulatorError);
    expect(() => new Emulator(model, {}, { act: { w: 24, f: 3 } })).toThrow(/options.act: invalid ACT fraction bits/);
    expect(() => em.logits(ids.slice(0, 4), undefined, 'fp32', { hw: {} })).toThrow(/needs mode 'integer'/);
    // a model the fixed-point norm cannot express: a norm weight beyond the 24-bit ROM (own copy of the model)
    const odd = await loadDefault();
    odd.weights.get('L1.norm2.w').f32()[7] = 2 ** 24;
    expect(() => new Emulator(odd).logits(ids.slice(0, 4), { version: 1, rules: [] }, 'integer')).toThrow(/L1\.norm2 \(integer mode\): invalid norm weight/);
    expect(() => new Emulator(odd).logits(ids.slice(0, 4), { version: 1, rules: [] }, 'fake')).not.toThrow(); // the float modes take it
  });
});
