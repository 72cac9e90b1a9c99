// The fp32 forward pass against the committed PyTorch references (tools/train/model.py): the three
// loader fixtures (GPT-2, OPT, LLaMA with GQA: full logits of 8 tokens) and the default model
// (logits_first8 at positions 0, 1, 255, argmax per position, mean NLL over 256 tokens).
// Max relative error = max|Δ| / max|ref|. Also: the small numeric helpers, and every family in
// fake and integer mode (integer's fixed point alone ≈ fp32; quantized integer ≈ fake).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../model';
import { Emulator } from './emulator';
import { erf, tsF32Gemm } from './linalg';
import { f32gemmTwin, type F32GemmLayout } from '../datapath';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../kernels';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng } from '../tensors';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function load(rel: string): Promise<LoadedModel> {
  const dir = ROOT + rel;
  const files = new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
  return loadModel(modelSourceFromFiles(files, rel));
}
const json = (rel: string) => JSON.parse(readFileSync(ROOT + rel, 'utf8'));

function argmaxRows(l: Float32Array, V: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < l.length / V; t++) {
    let m = -Infinity;
    let a = 0;
    for (let v = 0; v < V; v++) if (l[t * V + v] > m) [m, a] = [l[t * V + v], v];
    out.push(a);
  }
  return out;
}

describe('fp32 forward vs PyTorch', () => {
  for (const name of ['tiny-gpt2', 'tiny-opt', 'tiny-llama-gqa']) {
    it(`${name}: full logits of 8 tokens within 1e-4 relative, same argmax`, async () => {
      const rel = `public/models/fixtures/${name}`;
      const model = await load(rel);
      const ref = json(`${rel}/reference.json`);
      const em = new Emulator(model);
      const V = model.config.vocabSize;
      const got = em.logits(ref.input_ids);
      expect(got.length).toBe(ref.input_ids.length * V);
      let maxD = 0;
      let maxR = 0;
      ref.logits.forEach((row: number[], t: number) =>
        row.forEach((v, j) => {
          maxD = Math.max(maxD, Math.abs(got[t * V + j] - v));
          maxR = Math.max(maxR, Math.abs(v));
        }),
      );
      expect(maxD / maxR).toBeLessThan(1e-4);
      expect(argmaxRows(got, V)).toEqual(ref.argmax);
    });
  }

  it('sotu-llama-1m: logits_first8, argmax of 256 positions, mean NLL', async () => {
    const rel = 'public/models/sotu-llama-1m';
    const model = await load(rel);
    const ref = json(`${rel}/reference.json`);
    const em = new Emulator(model);
    const V = model.config.vocabSize;
    const got = em.logits(ref.input_ids);
    let maxD = 0;
    let maxR = 0;
    for (const [pos, row] of Object.entries(ref.logits_first8) as [string, number[]][]) {
      row.forEach((v, j) => {
        maxD = Math.max(maxD, Math.abs(got[Number(pos) * V + j] - v));
        maxR = Math.max(maxR, Math.abs(v));
      });
    }
    expect(maxD / maxR).toBeLessThan(1e-4);
    expect(argmaxRows(got, V)).toEqual(ref.argmax);
    const r = await em.evaluate(ref.input_ids, { version: 1, rules: [] }, { mode: 'fp32' });
    expect(r.tokens).toBe(255);
    expect(Math.abs(r.meanNll - ref.mean_nll) / ref.mean_nll).toBeLessThan(1e-6);
    expect(r.kl).toBeNull();
    expect(r.points).toEqual({});
  });
});

describe('every family quantized', () => {
  for (const name of ['tiny-gpt2', 'tiny-opt', 'tiny-llama-gqa']) {
    it(`${name}: fake and integer mode run every quant point; integer mode's ACT and fixed-point ops alone barely move the model`, async () => {
      const rel = `public/models/fixtures/${name}`;
      const model = await load(rel);
      const ids = json(`${rel}/reference.json`).input_ids;
      const em = new Emulator(model);
      // integer mode with every point fp32: every GEMM falls back, so this is ACT + the fixed-point
      // norms / softmax / activations / RoPE / adds alone against the float model
      const none = await em.evaluate(ids, { version: 1, rules: [] }, { mode: 'integer' });
      expect(none.fallbackOps.length).toBe(em.graph.ops.filter((o) => o.type === 'linear' || o.type === 'matmul').length);
      expect(none.kl).toBeLessThan(1e-6);
      expect(none.top1Agreement).toBe(1);
      const cfg = { version: 1 as const, rules: [['*', 'mxint8:block=8']] as [string, string][] };
      const fake = await em.evaluate(ids, cfg, { mode: 'fake' });
      const int = await em.evaluate(ids, cfg, { mode: 'integer' });
      // every point is reported, biases included (GPT-2/OPT)
      expect(Object.keys(fake.points).sort()).toEqual(em.graph.points.map((p) => p.id).sort());
      expect(Object.keys(int.points).sort()).toEqual(Object.keys(fake.points).sort());
      expect(int.fallbackOps).toEqual([]);
      for (const p of Object.values(fake.points)) expect(p.sqnrDb).toBeGreaterThan(20);
      expect(fake.kl).toBeGreaterThan(0);
      // these random-weight fixtures are confidently wrong (NLL ≈ 16–19), so a rounding decision that
      // flips at a quant point moves the NLL by up to ~0.3%: a tolerance, not equality
      expect(Math.abs(int.meanNll - fake.meanNll) / fake.meanNll).toBeLessThan(5e-3);
      // weights and their statistics do not depend on the datapath
      for (const p of em.graph.points.filter((q) => q.isWeight)) expect(int.points[p.id]).toEqual(fake.points[p.id]);
    });
  }
});

describe('kernels change nothing', () => {
  it('fp32, fake and integer logits with the WASM kernels (quantize, integer GEMM, f32 GEMM) equal the TS core bit for bit', async () => {
    const model = await load('public/models/fixtures/tiny-llama-gqa');
    const ids = json('public/models/fixtures/tiny-llama-gqa/reference.json').input_ids.concat([300, 301, 84, 104]);
    const fl = detectFlavor();
    const k = new Emulator(model, { quant: await loadQuantKernels(kernelBytes, fl), gemm: await loadGemmKernel(kernelBytes, fl), f32gemm: await loadF32GemmKernel(kernelBytes, fl) });
    const t = new Emulator(model);
    const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
    const cfg = { version: 1 as const, rules: [['*', 'mxfp6_e2m3:block=8'], ['*.w', 'mxfp4:block=8'], ['L1.up.*', 'fp32']] as [string, string][] };
    for (const [c, mode] of [[undefined, 'fp32'], [cfg, 'fake'], [cfg, 'integer']] as const) {
      expect(u32(k.logits(ids, c, mode)), mode).toEqual(u32(t.logits(ids, c, mode)));
    }
  });
});

describe('numeric helpers', () => {
  it('tsF32Gemm = the float32 GEMM twin bit for bit (shapes off the tile, both layouts, prepared, specials)', () => {
    const rnd = makeRng(7);
    const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
    const special = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 2 ** -130];
    for (const [M, K, N] of [[7, 13, 6], [4, 1, 4], [9, 64, 11], [3, 0, 5], [16, 33, 17], [1, 5, 1]]) {
      for (const layout of ['NK', 'KN'] as F32GemmLayout[]) {
        for (const kind of ['normal', 'special', 'zeros'] as const) {
          const gen = () => (kind === 'zeros' ? (rnd() < 0.5 ? -0 : 0) : kind === 'special' && rnd() < 0.15 ? special[Math.floor(rnd() * special.length)] : (rnd() * 2 - 1) * 2 ** Math.round(rnd() * 20 - 10));
          const a = Float32Array.from({ length: M * K }, gen);
          const b = Float32Array.from({ length: K * N }, gen);
          const want = u32(f32gemmTwin.gemm(a, b, M, K, N, layout));
          expect(u32(tsF32Gemm.gemm(a, b, M, K, N, layout)), `${M}x${K}x${N} ${layout} ${kind}`).toEqual(want);
          const h = tsF32Gemm.prepareB(b, K, N, layout);
          expect(u32(tsF32Gemm.gemmPrepared(a, M, h))).toEqual(want);
          h.dispose();
          expect(() => tsF32Gemm.gemmPrepared(a, M, h)).toThrow(/disposed/);
        }
      }
    }
    expect(() => tsF32Gemm.gemm(new Float32Array(5), new Float32Array(6), 2, 3, 2, 'NK')).toThrow(/a length/);
  });

  it('erf to ~1e-15', () => {
    // values from mpmath
    const cases: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [-0.7, -0.6778011938374184],
    ];
    for (const [x, want] of cases) expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15);
  });
});
