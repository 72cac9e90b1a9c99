import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../core/graph';
import type { ModelConfig } from '../../core/model/types';
import { layoutGraph, type Layout } from './layout';

const LLAMA: ModelConfig = {
  arch: 'llama', vocabSize: 2048, hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 32, intermediateSize: 320,
  maxPositions: 256, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: true,
  bosTokenId: 2047, eosTokenId: 2047, raw: {},
};
const GPT2: ModelConfig = { ...LLAMA, arch: 'gpt2', norm: 'layer', ropeTheta: null, activation: 'gelu_new', bias: true, numLayers: 2 };

function noOverlaps(l: Layout): void {
  for (const a of l.nodes) {
    for (const b of l.nodes) {
      if (a === b) continue;
      const ox = Math.abs(a.x - b.x) < (a.w + b.w) / 2;
      const oy = a.y < b.y + b.h && b.y < a.y + a.h;
      expect(ox && oy, `${a.id} overlaps ${b.id}`).toBe(false);
    }
  }
}

describe('graph layout', () => {
  const g = buildGraph(LLAMA);

  it('folds the decoder blocks into one node between the embedding and the head', () => {
    const l = layoutGraph(g, { fold: 'folded', block: null });
    expect(l.nodes.map((n) => n.id)).toEqual(['embed', 'blocks', 'normf', 'head']);
    expect(l.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['embed->blocks', 'blocks->normf', 'normf->head']);
    // a vertical flow: each node below the previous
    for (let i = 1; i < l.nodes.length; i++) expect(l.nodes[i].y).toBeGreaterThan(l.nodes[i - 1].y);
    expect(l.groups).toEqual([]);
  });

  it('expands one block: its ops between the embedding and the head, the residual in a side lane', () => {
    const l = layoutGraph(g, { fold: 'block', block: 2 });
    const ids = l.nodes.map((n) => n.id);
    expect(ids[0]).toBe('embed');
    expect(ids.filter((i) => i.startsWith('L2.')).length).toBe(g.ops.filter((o) => o.layer === 2).length);
    expect(ids.some((i) => i.startsWith('L1.') || i.startsWith('L3.'))).toBe(false);
    noOverlaps(l);
    // q, k, v side by side; the hidden blocks before and after are named on the dashed edges
    const q = l.nodes.find((n) => n.id === 'L2.q')!;
    const v = l.nodes.find((n) => n.id === 'L2.v')!;
    expect(q.y).toBe(v.y);
    expect(l.edges.find((e) => e.to === 'L2.norm1')!.skips).toBe('blocks 0–1');
    expect(l.edges.find((e) => e.to === 'normf')!.skips).toBe('block 3');
    const residual = l.edges.find((e) => e.from === 'embed' && e.to === 'L2.res1')!;
    expect(residual.d).toContain(' L');
    expect(l.groups).toHaveLength(1);
    expect(l.groups[0].label).toBe('Block 2');
  });

  it('the template view draws block 0 for every block', () => {
    const l = layoutGraph(g, { fold: 'block', block: null });
    expect(l.nodes.filter((n) => n.template).length).toBe(g.ops.filter((o) => o.layer === 0).length);
    expect(l.groups[0].label).toBe('Decoder block  ×4');
  });

  it('unrolls every block without overlaps, GPT-2 too', () => {
    const l = layoutGraph(g, { fold: 'all', block: null });
    expect(l.nodes.length).toBe(g.ops.length);
    expect(l.groups.map((x) => x.label)).toEqual(['Block 0', 'Block 1', 'Block 2', 'Block 3']);
    noOverlaps(l);
    const g2 = buildGraph(GPT2);
    const l2 = layoutGraph(g2, { fold: 'all', block: null });
    expect(l2.nodes.map((n) => n.id).slice(0, 2)).toEqual(['embed', 'pos']);
    noOverlaps(l2);
  });
});
