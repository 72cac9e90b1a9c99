// The Verilog pane's design point: what it asks the RTL worker for (formats, ops, per-layer lanes
// over the default lanes, tokens, model source) and when it cannot ask — no model, local files, no
// selected layer; and the generator run on that request builds the layer with the lanes asked for.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../core/graph';
import { loadModel, modelSourceFromFiles, parseConfig as parseModelConfig } from '../../core/model';
import { MODEL_GENERATOR } from '../../core/rtl/bundle';
import { lanesProblem, linearDims } from '../../state/lanes';
import type { ModelDoc } from '../../state/document';
import type { LoadedModelView } from '../../state/model';
import { bundleName, designPoint, scopeOps, sourceSpec } from './rtlRunner';

const config = parseModelConfig(JSON.parse(readFileSync(new URL('../../../public/models/sotu-llama-1m/config.json', import.meta.url), 'utf8')));
const graph = buildGraph(config);
const loaded = (ref: LoadedModelView['ref']): LoadedModelView => ({ ref, graph, info: { name: 'sotu-llama-1m', config, numParams: 1, weightFiles: [], bytes: 123, ms: 0, evalText: { name: '', chars: 0, tokens: 0 } } });
const DOC: ModelDoc = { ref: { kind: 'default' }, quant: { version: 1, rules: [['*', 'mxint8']] }, mode: 'fake', tokens: 4096, lanes: {}, rounding: 'nearest' };
const HW = { lanesK: 16, lanesN: 2 };

describe('designPoint', () => {
  it('GPTQ weights: waits for the pool\'s calibration, then sends its Hessians; the calibration is part of the key', () => {
    const g: ModelDoc = { ...DOC, rounding: 'gptq' };
    const wait = designPoint(g, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null, null);
    expect(wait).toEqual({ ok: false, reason: expect.stringMatching(/^GPTQ weights: waiting for the calibration/) });
    const hessians = [{ op: 'L0.q', K: 1, rows: 2, h: new Float64Array([3]) }];
    const a = designPoint(g, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null, { id: 1, hessians });
    const b = designPoint(g, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null, { id: 2, hessians });
    const n = designPoint(DOC, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null, { id: 1, hessians });
    if (!a.ok || !b.ok || !n.ok) throw new Error('expected design points');
    expect(a.request.gptq).toEqual({ id: 'gptq-1', hessians });
    expect(n.request.gptq).toBeUndefined(); // round to nearest ignores a calibration that exists
    expect(new Set([a.key, b.key, n.key]).size).toBe(3);
  });

  it('asks for the document formats on the loaded model with the cost pane lanes', () => {
    const p = designPoint(DOC, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.request).toEqual({
      source: { kind: 'default' },
      modelKey: '{"kind":"default"}|sotu-llama-1m|123',
      quant: { version: 1, rules: [['*', 'mxint8']] },
      ops: 'all',
      lanes: { default: { lanesK: 16, lanesN: 2, lanesM: 1 }, perOp: {} },
      tokens: 8,
    });
    expect(p.name).toBe('mx-rtl-sotu-llama-1m');
    expect(p.label).toBe('all layers');
    // the cache key follows every input
    const k = (d: ModelDoc, hw = HW, tokens = 8) => (designPoint(d, loaded({ kind: 'default' }), hw, { scope: 'all', tokens }, null) as { key: string }).key;
    expect(k(DOC)).toBe(p.key);
    expect(k({ ...DOC, quant: { version: 1, rules: [['*', 'mxfp4']] } })).not.toBe(p.key);
    expect(k(DOC, { lanesK: 8, lanesN: 2 })).not.toBe(p.key);
    expect(k(DOC, HW, 16)).not.toBe(p.key);
    // evaluation settings are not part of the hardware
    expect(k({ ...DOC, mode: 'integer', tokens: 1024 })).toBe(p.key);
  });

  it('builds the selected layer, or every op of a kind picked in the folded graph', () => {
    const one = designPoint(DOC, loaded({ kind: 'default' }), HW, { scope: 'selected', tokens: 8 }, 'L1.down');
    expect(one.ok && one.request.ops).toEqual(['L1.down']);
    expect(one.ok && one.label).toBe('L1.down');
    expect(scopeOps(graph, 'selected', '*.q')).toEqual(['L0.q', 'L1.q', 'L2.q', 'L3.q']);
    expect(scopeOps(graph, 'selected', '*.nope')).toBeNull();
    expect(scopeOps(graph, 'all', 'L0.q')).toBe('all');
  });

  it('says why nothing can be built', () => {
    expect(designPoint(DOC, null, HW, { scope: 'all', tokens: 8 }, null)).toEqual({ ok: false, reason: 'No model is loaded yet.' });
    expect(designPoint(DOC, loaded({ kind: 'files', name: 'my-model' }), HW, { scope: 'all', tokens: 8 }, null)).toEqual({
      ok: false,
      reason: 'sotu-llama-1m was opened from local files, which the RTL worker cannot read again from this pane; load the default model or a URL to generate its RTL.',
    });
    expect(designPoint(DOC, loaded({ kind: 'default' }), HW, { scope: 'selected', tokens: 8 }, null)).toEqual({ ok: false, reason: 'No layer is selected: pick one in the Graph or Layers pane, or build all layers.' });
  });

  it('passes the document’s per-layer lanes as RtlLanes.perOp: linears of this graph, of the ops built', () => {
    const lanes = { 'L0.q': { lanesK: 16, lanesN: 4 }, head: { lanesK: 8, lanesN: 8 }, 'L9.q': { lanesK: 4, lanesN: 1 } };
    const doc = { ...DOC, lanes };
    const p = designPoint(doc, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null);
    expect(p.ok && p.request.lanes).toEqual({ default: { lanesK: 16, lanesN: 2, lanesM: 1 }, perOp: { 'L0.q': { lanesK: 16, lanesN: 4, lanesM: 1 }, head: { lanesK: 8, lanesN: 8, lanesM: 1 } } });
    // the key follows the lanes
    const base = designPoint(DOC, loaded({ kind: 'default' }), HW, { scope: 'all', tokens: 8 }, null);
    expect(p.ok && base.ok && p.key !== base.key).toBe(true);
    // one layer built: only its lanes are asked for, so another op's lanes do not regenerate it
    const one = designPoint(doc, loaded({ kind: 'default' }), HW, { scope: 'selected', tokens: 8 }, 'L0.q');
    expect(one.ok && one.request.lanes.perOp).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4, lanesM: 1 } });
    const other = designPoint({ ...doc, lanes: { ...lanes, head: { lanesK: 4, lanesN: 4 } } }, loaded({ kind: 'default' }), HW, { scope: 'selected', tokens: 8 }, 'L0.q');
    expect(one.ok && other.ok && one.key === other.key).toBe(true);
    const kind = designPoint(doc, loaded({ kind: 'default' }), HW, { scope: 'selected', tokens: 8 }, '*.down');
    expect(kind.ok && kind.request.lanes.perOp).toEqual({});
  });

  it('the generator builds the request: the layer module has the lanes asked for; lanesProblem refuses what the generator refuses', async () => {
    const DIR = new URL('../../../public/models/sotu-llama-1m/', import.meta.url).pathname;
    const model = await loadModel(modelSourceFromFiles(new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(DIR + f))])), 'sotu-llama-1m'));
    const g = buildGraph(model.config);
    const ids = model.tokenizer.encode(readFileSync(DIR + 'test.txt', 'utf8')).slice(0, 4);
    const build = async (lanes: ModelDoc['lanes']) => {
      const p = designPoint({ ...DOC, lanes }, loaded({ kind: 'default' }), { lanesK: 32, lanesN: 1 }, { scope: 'selected', tokens: 4 }, 'L1.up');
      if (!p.ok) throw new Error(p.reason);
      const ops = p.request.ops as string[];
      return MODEL_GENERATOR.generate({ model, graph: g, quant: p.request.quant, ops, lanes: p.request.lanes, ids });
    };
    const text = (d: Awaited<ReturnType<typeof build>>) => Object.entries(d.files).find(([f]) => /^rtl\/lyr_up/.test(f))![1] as string;
    const def = text(await build({}));
    expect(def).toContain('.LANES_K(32)');
    expect(def).toContain('.LANES_N(1)');
    const own = text(await build({ 'L1.up': { lanesK: 8, lanesN: 4 } }));
    expect(own).toContain('.LANES_K(8)');
    expect(own).toContain('.LANES_N(4)');
    expect(own).toContain('.N(320)');
    // the same words for a refused value
    const d = linearDims(g).find((x) => x.op.id === 'L1.up')!;
    for (const bad of [{ lanesK: 256, lanesN: 1 }, { lanesK: 32, lanesN: 128 }]) {
      const why = lanesProblem(d, bad, 32);
      expect(why).not.toBeNull();
      await expect(build({ 'L1.up': bad })).rejects.toThrow(`L1.up: ${why}`);
    }
  }, 60_000);

  it('sourceSpec and bundleName', () => {
    expect(sourceSpec({ kind: 'url', url: 'https://huggingface.co/a/b' })).toEqual({ kind: 'url', url: 'https://huggingface.co/a/b' });
    expect(sourceSpec({ kind: 'files', name: 'x' })).toBeNull();
    expect(bundleName('https://huggingface.co/ORG/My Model v2/')).toBe('mx-rtl-My-Model-v2');
    expect(bundleName('../..')).toBe('mx-rtl-model');
  });
});
