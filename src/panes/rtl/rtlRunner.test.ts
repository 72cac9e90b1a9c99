// The Verilog pane's design point: what it asks the RTL worker for (formats, ops, lanes, tokens,
// model source) and when it cannot ask — no model, local files, no selected layer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../core/graph';
import { parseConfig as parseModelConfig } from '../../core/model';
import type { ModelDoc } from '../../state/document';
import type { LoadedModelView } from '../../state/model';
import { bundleName, designPoint, scopeOps, sourceSpec } from './rtlRunner';

const config = parseModelConfig(JSON.parse(readFileSync(new URL('../../../public/models/sotu-llama-1m/config.json', import.meta.url), 'utf8')));
const graph = buildGraph(config);
const loaded = (ref: LoadedModelView['ref']): LoadedModelView => ({ ref, graph, info: { name: 'sotu-llama-1m', config, numParams: 1, weightFiles: [], bytes: 123, ms: 0, evalText: { name: '', chars: 0, tokens: 0 } } });
const DOC: ModelDoc = { ref: { kind: 'default' }, quant: { version: 1, rules: [['*', 'mxint8']] }, mode: 'fake', tokens: 4096 };
const HW = { lanesK: 16, lanesN: 2 };

describe('designPoint', () => {
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

  it('sourceSpec and bundleName', () => {
    expect(sourceSpec({ kind: 'url', url: 'https://huggingface.co/a/b' })).toEqual({ kind: 'url', url: 'https://huggingface.co/a/b' });
    expect(sourceSpec({ kind: 'files', name: 'x' })).toBeNull();
    expect(bundleName('https://huggingface.co/ORG/My Model v2/')).toBe('mx-rtl-My-Model-v2');
    expect(bundleName('../..')).toBe('mx-rtl-model');
  });
});
