// The whole PyTorch fixture (tools/xcheck/model_fixtures/sotu_mx_ref.json): 7 configs × 8192 tokens
// (~25 s with the WASM kernels), and — opt-in, MX_EMULATE_FULL=1 — reference.json's fp32 evaluation
// of 32,768 tokens (~15 s more).
// Perplexity within 1e-4 relative. The margin is thin for mxfp8_e4m3 (measured 9.7e-5): rounding-
// boundary flips (see emulator.test.ts) move a few windows by up to ~3e-4 of their NLL, so a change
// of float numerics anywhere upstream of a quant point can move this number either way.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../model';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../kernels';
import { kernelBytes } from '../../../tools/testing/kernels';
import { Emulator } from './emulator';

const ROOT = new URL('../../../', import.meta.url).pathname;
const json = (rel: string) => JSON.parse(readFileSync(ROOT + rel, 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

let em: Emulator;
let ids: number[];
beforeAll(async () => {
  const dir = ROOT + 'public/models/sotu-llama-1m';
  const model: LoadedModel = await loadModel(modelSourceFromFiles(new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))])), 'sotu-llama-1m'));
  ids = model.tokenizer.encode(readFileSync(`${dir}/test.txt`, 'utf8'));
  em = new Emulator(model, { quant: await loadQuantKernels(kernelBytes, detectFlavor()), gemm: await loadGemmKernel(kernelBytes, detectFlavor()), f32gemm: await loadF32GemmKernel(kernelBytes, detectFlavor()) });
});

describe('the PyTorch fixture', () => {
  it('every config over 8192 tokens: perplexity, accuracy, KL, top-1 agreement', { timeout: 300_000 }, async () => {
    const fx = json('tools/xcheck/model_fixtures/sotu_mx_ref.json');
    const rows: string[] = [];
    for (const c of fx.configs) {
      const mode = c.name === 'fp32' ? 'fp32' : 'fake';
      const r = await em.evaluate(ids, { version: 1, rules: c.rules }, { mode, maxTokens: c.n_tokens, window: c.window });
      rows.push(
        `${c.name.padEnd(20)} ppl ${r.perplexity.toFixed(5)} vs ${c.perplexity.toFixed(5)} (rel ${((r.perplexity - c.perplexity) / c.perplexity).toExponential(2)})` +
          `  acc ${r.accuracy.toFixed(5)} vs ${c.accuracy.toFixed(5)}  kl ${r.kl?.toFixed(6) ?? '-'} vs ${c.kl.toFixed(6)}  agree ${r.top1Agreement?.toFixed(4) ?? '-'} vs ${c.top1_agreement.toFixed(4)}  ${(r.ms / r.windows).toFixed(0)} ms/window`,
      );
      expect(rel(r.perplexity, c.perplexity)).toBeLessThan(mode === 'fp32' ? 1e-6 : 1e-4);
      if (c.window_nll_sums) {
        // fp32 and mxint8 keep their per-window sums: fp32 windows agree to float noise; quantized
        // windows agree exactly except where a rounding decision flipped
        const d = r.windowNllSums.map((x, i) => rel(x, c.window_nll_sums[i])).sort((x, y) => x - y);
        if (mode === 'fp32') expect(d.at(-1)).toBeLessThan(1e-6);
        else expect(d[Math.floor(d.length / 2)]).toBeLessThan(1e-12);
      }
      expect(Math.abs(r.accuracy - c.accuracy)).toBeLessThan(mode === 'fp32' ? 1e-9 : 5e-3);
      if (mode !== 'fp32') {
        expect(rel(r.kl!, c.kl)).toBeLessThan(0.02);
        expect(Math.abs(r.top1Agreement! - c.top1_agreement)).toBeLessThan(5e-3);
      }
    }
    console.log(rows.join('\n'));
  });
});

describe.skipIf(!process.env.MX_EMULATE_FULL)('32,768 tokens (MX_EMULATE_FULL=1)', () => {
  it("fp32 over 32,768 tokens: reference.json's eval_test_32768 (5 decimals)", { timeout: 600_000 }, async () => {
    const e = json('public/models/sotu-llama-1m/reference.json').eval_test_32768;
    const r = await em.evaluate(ids, { version: 1, rules: [] }, { mode: 'fp32', maxTokens: e.tokens, window: 256 });
    console.log(`fp32 32768 tokens: mean NLL ${r.meanNll} (ref ${e.mean_nll}), ppl ${r.perplexity} (ref ${e.ppl}), top-1 ${r.accuracy} (ref ${e.top1}); ${(r.ms / r.windows).toFixed(0)} ms/window`);
    expect(r.tokens).toBe(e.predictions);
    expect(Math.abs(r.meanNll - e.mean_nll)).toBeLessThan(1e-5);
    expect(Math.abs(r.accuracy - e.top1)).toBeLessThan(1e-5);
  });
});
