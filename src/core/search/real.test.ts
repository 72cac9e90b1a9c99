/**
 * The search on the real default model: a real Emulator (TypeScript kernels) and the real cost
 * model, MASE's default space, a 10-trial random search on a short token budget.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Emulator } from '../emulate';
import { loadModel, modelSourceFromFiles } from '../model';
import { makeEvaluator } from './evaluator';
import { dominates } from './pareto';
import { runSearch } from './search';
import { buildSpace } from './space';

const DIR = new URL('../../../public/models/sotu-llama-1m', import.meta.url).pathname;

describe('search on sotu-llama-1m', () => {
  it('10-trial random search: real emulator + cost model, non-empty consistent front', async () => {
    const files = new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(`${DIR}/${f}`))]));
    const model = await loadModel(modelSourceFromFiles(files, 'sotu-llama-1m'));
    const tokens = model.tokenizer.encode(readFileSync(`${DIR}/test.txt`, 'utf8'));
    const emulator = new Emulator(model);
    const space = buildSpace(emulator.graph);
    expect(space.genes.length).toBeGreaterThan(0);
    const evaluate = makeEvaluator({ emulator, tokens, window: 64, proxyTokens: 64, fullTokens: 128, cost: { tokens: 64 } });
    const r = await runSearch({ space, objectives: ['kl', 'energyPj'], constraints: [{ metric: 'deltaPerplexityPct', max: 1e6 }], strategy: 'random', budget: 10, batch: 5, promote: 0.4, seed: 42, evaluate });
    expect(r.trials.length).toBe(10);
    const full = r.trials.filter((t) => t.fidelity === 'full');
    expect(full.length).toBe(4);
    for (const t of r.trials) {
      expect(Number.isFinite(t.metrics.kl) && t.metrics.kl >= 0).toBe(true);
      expect(t.metrics.energyPj).toBeGreaterThan(0);
      expect(t.metrics.avgBits).toBeGreaterThan(0);
    }
    expect(r.front.length).toBeGreaterThan(0);
    const v = (id: number) => [r.trials[id].objectives.kl, r.trials[id].objectives.energyPj];
    // no full trial dominates a front member; every full trial off the front is dominated by one on it
    for (const a of r.front) for (const t of full) expect(dominates(v(t.id), v(a))).toBe(false);
    for (const t of full) if (!r.front.includes(t.id)) expect(r.front.some((a) => dominates(v(a), v(t.id)))).toBe(true);
    expect(r.hypervolume!.value).toBeGreaterThan(0);
    expect(r.hypervolume!.history.at(-1)).toBeCloseTo(r.hypervolume!.value, 6);
  });
});
