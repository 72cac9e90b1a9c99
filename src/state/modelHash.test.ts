import { describe, expect, it } from 'vitest';
import { decodeExplorerHash } from './explorerHash';
import { decodeLanes, decodeModelHash, decodeQuant, encodeLanes, encodeModelHash, encodeQuant } from './modelHash';
import { DEFAULT_EXPLORER, DEFAULT_MODEL, documentStore, editModel, redo, setModelRef, undo, type ModelDoc } from './document';
import { uniformConfig, withRule } from '../core/graph';

describe('model URL hash', () => {
  it('adds nothing for the default model document (explorer links stay as they were)', () => {
    expect(encodeModelHash(DEFAULT_MODEL)).toBe('');
    expect(decodeModelHash('#f=mxfp4&gen=outliers&n=4096&seed=1').present).toBe(false);
  });

  it('round-trips model, rules, mode, tokens and weight rounding', () => {
    const doc: ModelDoc = { ref: { kind: 'url', url: 'https://huggingface.co/owner/tiny-llama' }, quant: withRule(uniformConfig('mxint8'), '*.down.w', 'mxfp4'), mode: 'integer', tokens: 8192, lanes: {}, rounding: 'nearest' };
    const h = encodeModelHash(doc);
    expect(h).toMatch(/^m=url:https:\/\/huggingface.co\/owner\/tiny-llama&q=1\.[A-Za-z0-9_-]+&mode=integer&tok=8192$/);
    const r = decodeModelHash('#f=mxfp4&' + h);
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual(doc);
    const g: ModelDoc = { ...DEFAULT_MODEL, rounding: 'gptq' };
    expect(encodeModelHash(g)).toBe('m=default&wr=gptq');
    expect(decodeModelHash('#m=default&wr=gptq').doc).toEqual(g);
  });

  it('keeps the explorer decoder quiet about the model fields', () => {
    const r = decodeExplorerHash('#f=mxfp4&gen=normal&n=1024&seed=2&m=default&q=1.W10&mode=integer&tok=2048');
    expect(r.problems).toEqual([]);
    expect(r.doc.tensor.seed).toBe(2);
  });

  it('deflates big per-point configs and reads them back', () => {
    let c = uniformConfig('mxfp4');
    for (let i = 0; i < 32; i++) for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down']) c = withRule(c, `L${i}.${k}.w`, i % 2 ? 'mxint8' : 'mxfp6_e2m3');
    const s = encodeQuant(c);
    expect(s.startsWith('1z.')).toBe(true);
    expect(s.length).toBeLessThan(JSON.stringify(c.rules).length / 3);
    expect(decodeQuant(s)).toEqual(c);
  });

  it('a malformed field falls back alone, with a message naming it; the rest is kept', () => {
    const good = encodeQuant(uniformConfig('mxint8'));
    const r = decodeModelHash(`#m=ftp:nowhere&q=${good}&mode=turbo&tok=123&wr=adaround`);
    expect(r.doc.ref).toEqual({ kind: 'default' });
    expect(r.doc.quant).toEqual(uniformConfig('mxint8'));
    expect(r.doc.mode).toBe('fake');
    expect(r.doc.tokens).toBe(4096);
    const text = r.problems.join('\n');
    expect(text).toMatch(/m="ftp:nowhere"/);
    expect(text).toMatch(/mode="turbo"/);
    expect(text).toMatch(/tok="123"/);
    expect(r.doc.rounding).toBe('nearest');
    expect(text).toMatch(/wr="adaround" is not nearest or gptq; using nearest/);
  });

  it('names what is wrong with the rules: bad base64, bad JSON, a bad spec, an unknown version', () => {
    expect(decodeModelHash('#m=default&q=1.***').problems[0]).toMatch(/base64url/);
    expect(decodeModelHash('#m=default&q=1.bm90IGpzb24').problems[0]).toMatch(/not valid JSON/);
    const bad = Buffer.from(JSON.stringify([['*', 'mxint:m=1']])).toString('base64url');
    expect(decodeModelHash(`#m=default&q=1.${bad}`).problems[0]).toMatch(/rules\[0\]\[1\].*m/);
    expect(decodeModelHash(`#m=default&q=7.${bad}`).problems[0]).toMatch(/version 7/);
    expect(decodeModelHash(`#m=default&q=1.${bad}`).doc.quant.rules).toEqual([]);
  });

  it('local files travel by name only', () => {
    const r = decodeModelHash('#m=files:my%20model');
    expect(r.doc.ref).toEqual({ kind: 'files', name: 'my model' });
    expect(encodeModelHash(r.doc)).toBe('m=files:my%20model');
  });
});

describe('per-layer lanes in the link (ln=)', () => {
  const lanes = { 'L0.q': { lanesK: 16, lanesN: 4 }, 'L2.down': { lanesK: 64, lanesN: 2 }, head: { lanesK: 8, lanesN: 8 } };

  it('round-trips in the CLI’s --lanes syntax, after the formats', () => {
    const doc: ModelDoc = { ...DEFAULT_MODEL, quant: uniformConfig('mxint8'), lanes };
    const h = encodeModelHash(doc);
    expect(h).toBe(`m=default&q=${encodeQuant(uniformConfig('mxint8'))}&ln=1.L0.q=16x4,L2.down=64x2,head=8x8`);
    const r = decodeModelHash('#f=mxfp4&' + h);
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual(doc);
    // lanes alone make the model section present (formats all fp32)
    const alone = decodeModelHash('#ln=1.head=8x8');
    expect(alone.present).toBe(true);
    expect(alone.doc.lanes).toEqual({ head: { lanesK: 8, lanesN: 8 } });
    expect(encodeModelHash(alone.doc)).toBe('m=default&ln=1.head=8x8');
  });

  it('deflates a lanes entry per op when that is shorter, and reads it back', () => {
    const all: Record<string, { lanesK: number; lanesN: number }> = {};
    for (let i = 0; i < 32; i++) for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down']) all[`L${i}.${k}`] = { lanesK: 32, lanesN: i % 2 ? 4 : 2 };
    const s = encodeLanes(all);
    expect(s.startsWith('1z.')).toBe(true);
    const plain = Object.entries(all).map(([id, l]) => `${id}=${l.lanesK}x${l.lanesN}`).join(',');
    expect(s.length).toBeLessThan(plain.length / 3);
    const back = decodeLanes(s);
    expect(back.problems).toEqual([]);
    expect(back.lanes).toEqual(all);
    expect(Object.keys(back.lanes).slice(0, 3)).toEqual(['L0.down', 'L0.gate', 'L0.k']);
  });

  it('links from before per-layer lanes load unchanged: no ln means every op at the default, and the link stays the same', () => {
    // A link written by the studio before `ln` existed (the model e2e's MXINT8 link).
    const old = 'm=default&q=1.W1siKiIsIm14aW50OCJdXQ&mode=integer&tok=2048';
    const r = decodeModelHash('#f=mxfp4&gen=outliers&n=4096&seed=1&' + old);
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual({ ref: { kind: 'default' }, quant: uniformConfig('mxint8'), mode: 'integer', tokens: 2048, lanes: {}, rounding: 'nearest' }); // and links from before weight rounding: round to nearest
    expect(encodeModelHash(r.doc)).toBe(old);
    expect(encodeModelHash({ ...DEFAULT_MODEL, lanes: {} })).toBe('');
  });

  it('a malformed part is named and dropped; the other parts and the rest of the link are kept', () => {
    const r = decodeModelHash(`#m=default&q=${encodeQuant(uniformConfig('mxint8'))}&ln=1.L0.q=16x4,L0.k=3x,L1.q=24x1,oops,L2.v=8x0,L0.q=2x2,head=8x8&tok=2048`);
    expect(r.doc.lanes).toEqual({ 'L0.q': { lanesK: 16, lanesN: 4 }, head: { lanesK: 8, lanesN: 8 } });
    expect(r.doc.quant).toEqual(uniformConfig('mxint8'));
    expect(r.doc.tokens).toBe(2048);
    expect(r.problems).toEqual([
      'ln part "L0.k=3x": the lanes "3x" are not <K>x<N>; ignored (that layer uses the default lanes).',
      'ln part "L1.q=24x1": lanesK = 24 is not a power of two from 1 to 4096; ignored (that layer uses the default lanes).',
      'ln part "oops": expected <op>=<K>x<N>, e.g. L0.q=16x4; ignored (that layer uses the default lanes).',
      'ln part "L2.v=8x0": lanesN = 0 is not a power of two from 1 to 4096; ignored (that layer uses the default lanes).',
      'ln part "L0.q=2x2": L0.q is set twice (the first is kept); ignored (that layer uses the default lanes).',
    ]);
  });

  it('an unreadable payload: one message, no lanes, the rest kept', () => {
    expect(decodeModelHash('#m=default&ln=2.L0.q=16x4&tok=2048').problems).toEqual(['The per-layer lanes ln= could not be read (version 2 is not known (this studio reads version 1)); every layer uses the default lanes.']);
    const z = decodeModelHash('#m=default&ln=1z.***&tok=2048');
    expect(z.problems[0]).toMatch(/not valid base64url deflate data/);
    expect(z.doc.lanes).toEqual({});
    expect(z.doc.tokens).toBe(2048);
    expect(decodeModelHash('#m=default&ln=L0.q=16x4').problems[0]).toMatch(/expected <version>\.<op>=<K>x<N>/);
  });
});

describe('model document undo', () => {
  it('format edits are undoable; switching models is not, and undo keeps the model in use', () => {
    documentStore.setState({ explorer: DEFAULT_EXPLORER, model: DEFAULT_MODEL, past: [], future: [], lastEdit: null });
    editModel('quant', (d) => ({ ...d, quant: uniformConfig('mxint8') }), 1000);
    setModelRef({ kind: 'url', url: 'https://example.org/m' });
    editModel('quant', (d) => ({ ...d, quant: uniformConfig('mxfp4') }), 5000);
    expect(documentStore.getState().past.length).toBe(2);
    expect(undo()).toBe(true);
    expect(documentStore.getState().model.quant).toEqual(uniformConfig('mxint8'));
    expect(documentStore.getState().model.ref).toEqual({ kind: 'url', url: 'https://example.org/m' });
    expect(undo()).toBe(true);
    expect(documentStore.getState().model.quant.rules).toEqual([]);
    expect(redo()).toBe(true);
    expect(documentStore.getState().model.quant).toEqual(uniformConfig('mxint8'));
  });
});
