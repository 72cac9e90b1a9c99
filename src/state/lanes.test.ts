// Per-layer lanes: the text a person types, the generator's rule for a linear (powers of two that
// divide K and N, against the MX block), the default model's linears, which entries apply to a
// graph, a searched design's parallelism as document lanes, and undo of a lanes edit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFormat } from '../core/formats';
import { buildGraph } from '../core/graph';
import { parseConfig as parseModelConfig } from '../core/model';
import { DEFAULT_EXPLORER, DEFAULT_MODEL, documentStore, editModel, redo, undo } from './document';
import { blockAlongK, defaultLanesOf, lanesForGraph, lanesProblem, linearDims, linearLanesOf, parseLanesText, pow2Divisors, sameLanes, withLanes } from './lanes';

const config = parseModelConfig(JSON.parse(readFileSync(new URL('../../public/models/sotu-llama-1m/config.json', import.meta.url), 'utf8')));
const graph = buildGraph(config);

describe('lanes text', () => {
  it('reads K×N, KxN, K*N and K (= K×1); says what is wrong otherwise', () => {
    expect(parseLanesText('16×4')).toEqual({ ok: true, lanes: { lanesK: 16, lanesN: 4 } });
    expect(parseLanesText(' 32 x 2 ')).toEqual({ ok: true, lanes: { lanesK: 32, lanesN: 2 } });
    expect(parseLanesText('8*8')).toEqual({ ok: true, lanes: { lanesK: 8, lanesN: 8 } });
    expect(parseLanesText('64')).toEqual({ ok: true, lanes: { lanesK: 64, lanesN: 1 } });
    expect(parseLanesText('16x')).toEqual({ ok: false, reason: '"16x" is not K×N (two whole numbers, e.g. 32×4)' });
    expect(parseLanesText('0x4')).toEqual({ ok: false, reason: 'lanes must be at least 1' });
  });
});

describe('the default model’s linears', () => {
  const dims = linearDims(graph);
  const by = new Map(dims.map((d) => [d.op.id, d]));

  it('K and N from the weights: 7 per block and the head', () => {
    expect(dims).toHaveLength(4 * 7 + 1);
    expect([by.get('L0.q')!.K, by.get('L0.q')!.N]).toEqual([128, 128]);
    expect([by.get('L2.up')!.K, by.get('L2.up')!.N]).toEqual([128, 320]);
    expect([by.get('L3.down')!.K, by.get('L3.down')!.N]).toEqual([320, 128]);
    expect([by.get('head')!.K, by.get('head')!.N]).toEqual([128, 2048]);
    expect(dims.some((d) => d.op.type !== 'linear')).toBe(false);
  });

  it('refuses what the generator refuses, in its words', () => {
    const q = by.get('L0.q')!;
    expect(lanesProblem(q, { lanesK: 16, lanesN: 4 }, 32)).toBeNull();
    expect(lanesProblem(q, { lanesK: 64, lanesN: 128 }, 32)).toBeNull();
    expect(lanesProblem(q, { lanesK: 24, lanesN: 1 }, 32)).toBe('lanesK = 24 is not a power of two');
    expect(lanesProblem(q, { lanesK: 8, lanesN: 3 }, 32)).toBe('lanesN = 3 is not a power of two');
    expect(lanesProblem(q, { lanesK: 256, lanesN: 1 }, 32)).toBe('lanesK = 256 does not divide K = 128');
    expect(lanesProblem(by.get('L0.down')!, { lanesK: 128, lanesN: 1 }, 32)).toBe('lanesK = 128 does not divide K = 320');
    expect(lanesProblem(by.get('L0.gate')!, { lanesK: 32, lanesN: 128 }, 32)).toBe('lanesN = 128 does not divide N = 320');
    expect(lanesProblem(q, { lanesK: 8192, lanesN: 1 })).toBe('lanesK = 8192 is not a whole number from 1 to 4096');
    // a block of 24 (mxint:block=24): 16 neither divides it nor is a multiple of it
    expect(lanesProblem(q, { lanesK: 16, lanesN: 1 }, blockAlongK(parseFormat('mxint:m=8,block=24'), 128))).toBe('lanesK = 16 must divide or be a multiple of the MX block 24');
    expect(blockAlongK(parseFormat('fp32'), 128)).toBeNull();
    expect(blockAlongK(parseFormat('mxint8'), 16)).toBe(16);
  });

  it('choices and defaults', () => {
    expect(pow2Divisors(320)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(pow2Divisors(2048, 512)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(defaultLanesOf(by.get('L0.q')!, { lanesK: 256, lanesN: 2 })).toEqual({ lanesK: 128, lanesN: 2 });
  });
});

describe('lanes in the document', () => {
  it('keeps the entries for this graph’s linears, names the others', () => {
    const m = { head: { lanesK: 8, lanesN: 8 }, 'L0.q': { lanesK: 16, lanesN: 4 }, 'L9.q': { lanesK: 4, lanesN: 1 }, 'L0.qk': { lanesK: 8, lanesN: 1 } };
    const r = lanesForGraph(graph, m);
    expect(r.perOp).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4 }, head: { lanesK: 8, lanesN: 8 } });
    expect(Object.keys(r.perOp)).toEqual(['L0.q', 'head']);
    expect(r.unknown).toEqual(['L9.q', 'L0.qk']);
  });

  it('withLanes sets and clears in op-id order (L2 before L10)', () => {
    let m = withLanes({}, ['L10.q', 'L2.q', 'head'], { lanesK: 4, lanesN: 2 });
    expect(Object.keys(m)).toEqual(['L2.q', 'L10.q', 'head']);
    m = withLanes(m, ['L10.q'], null);
    expect(m).toEqual({ 'L2.q': { lanesK: 4, lanesN: 2 }, head: { lanesK: 4, lanesN: 2 } });
    expect(sameLanes(m, { head: { lanesK: 4, lanesN: 2 }, 'L2.q': { lanesK: 4, lanesN: 2 } })).toBe(true);
    expect(sameLanes(m, { 'L2.q': { lanesK: 4, lanesN: 2 } })).toBe(false);
  });

  it('a searched design’s parallelism: the linears, without lanesM > 1 and without the attention matmuls', () => {
    const p = { 'L0.q': { lanesK: 32, lanesN: 4 }, 'L0.qk': { lanesK: 32, lanesN: 4 }, 'L1.pv': { lanesK: 8, lanesN: 1 }, 'L1.up': { lanesK: 8, lanesN: 1, lanesM: 2 }, head: { lanesK: 64, lanesN: 8, lanesM: 1 } };
    const want = { 'L0.q': { lanesK: 32, lanesN: 4 }, head: { lanesK: 64, lanesN: 8 } };
    expect(linearLanesOf(graph, p)).toEqual(want);
    expect(linearLanesOf(null, p)).toEqual(want);
  });

  it('a lanes edit is one undo step; the document compares lanes by value', () => {
    documentStore.setState({ explorer: DEFAULT_EXPLORER, model: DEFAULT_MODEL, past: [], future: [], lastEdit: null });
    editModel('lanes:L0.q', (d) => ({ ...d, lanes: withLanes(d.lanes, ['L0.q'], { lanesK: 16, lanesN: 4 }) }), 1000);
    editModel('lanes:L0.q', (d) => ({ ...d, lanes: withLanes(d.lanes, ['L0.q'], { lanesK: 16, lanesN: 4 }) }), 5000);
    expect(documentStore.getState().past).toHaveLength(1);
    editModel('lanes:head', (d) => ({ ...d, lanes: withLanes(d.lanes, ['head'], { lanesK: 8, lanesN: 8 }) }), 9000);
    expect(documentStore.getState().model.lanes).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4 }, head: { lanesK: 8, lanesN: 8 } });
    expect(undo()).toBe(true);
    expect(documentStore.getState().model.lanes).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4 } });
    expect(undo()).toBe(true);
    expect(documentStore.getState().model.lanes).toEqual({});
    expect(redo()).toBe(true);
    expect(documentStore.getState().model.lanes).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4 } });
  });
});
