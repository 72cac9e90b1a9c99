// The fp32 forward pass against the committed PyTorch references (tools/train/model.py): the three
// loader fixtures (GPT-2, OPT, LLaMA with GQA: full logits of 8 tokens) and the default model
// (logits_first8 at positions 0, 1, 255, argmax per position, mean NLL over 256 tokens).
// Max relative error = max|Δ| / max|ref|. Also: the small numeric helpers, and every family in
// fake and integer mode (integer = fake bit for bit where the float64 sums are exact).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../model';
import { Emulator } from './emulator';
import { erf, gemmNK, causalPV, causalScores, transpose } from './linalg';

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
    it(`${name}: fake and integer mode run every quant point; integer equals fake where the float64 sums are exact`, async () => {
      const rel = `public/models/fixtures/${name}`;
      const model = await load(rel);
      const ids = json(`${rel}/reference.json`).input_ids;
      const em = new Emulator(model);
      const cfg = { version: 1 as const, rules: [['*', 'mxint8:block=8']] as [string, string][] };
      const fake = await em.evaluate(ids, cfg, { mode: 'fake' });
      const int = await em.evaluate(ids, cfg, { mode: 'integer' });
      // every point is reported, biases included (GPT-2/OPT)
      expect(Object.keys(fake.points).sort()).toEqual(em.graph.points.map((p) => p.id).sort());
      expect(Object.keys(int.points).sort()).toEqual(Object.keys(fake.points).sort());
      expect(int.fallbackOps).toEqual([]);
      for (const p of Object.values(fake.points)) expect(p.sqnrDb).toBeGreaterThan(20);
      expect(fake.kl).toBeGreaterThan(0);
      expect(Math.abs(int.meanNll - fake.meanNll)).toBeLessThan(1e-4);
      // weights and their statistics do not depend on the datapath
      for (const p of em.graph.points.filter((q) => q.isWeight)) expect(int.points[p.id]).toEqual(fake.points[p.id]);
    });
  }
});

describe('numeric helpers', () => {
  it('gemmNK: one float64 sum per output in ascending k, rounded once', () => {
    const M = 7;
    const K = 13;
    const N = 6;
    const a = Float32Array.from({ length: M * K }, (_, i) => Math.fround(Math.sin(i) * 3));
    const b = Float32Array.from({ length: N * K }, (_, i) => Math.fround(Math.cos(i * 1.7)));
    const c = gemmNK(a, b, M, K, N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k] * b[j * K + k];
        expect(c[i * N + j]).toBe(Math.fround(s));
      }
    }
  });

  it('causal scores and P·V equal the full products on their causal part', () => {
    const T = 11;
    const hd = 5;
    const q = Float32Array.from({ length: T * hd }, (_, i) => Math.fround(Math.sin(i)));
    const k = Float32Array.from({ length: T * hd }, (_, i) => Math.fround(Math.cos(i)));
    const full = gemmNK(q, k, T, hd, T);
    const s = causalScores(q, k, T, hd, 1);
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) expect(s[i * T + j]).toBe(full[i * T + j]);
    const p = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) p[i * T + j] = Math.fround(1 / (i + 1 + j));
    expect(Array.from(causalPV(p, k, T, hd))).toEqual(Array.from(gemmNK(p, transpose(k, T, hd), T, T, hd)));
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
