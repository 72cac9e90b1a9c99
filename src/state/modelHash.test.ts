import { describe, expect, it } from 'vitest';
import { decodeExplorerHash } from './explorerHash';
import { decodeModelHash, decodeQuant, encodeModelHash, encodeQuant } from './modelHash';
import { DEFAULT_EXPLORER, DEFAULT_MODEL, documentStore, editModel, redo, setModelRef, undo, type ModelDoc } from './document';
import { uniformConfig, withRule } from '../core/graph';

describe('model URL hash', () => {
  it('adds nothing for the default model document (explorer links stay as they were)', () => {
    expect(encodeModelHash(DEFAULT_MODEL)).toBe('');
    expect(decodeModelHash('#f=mxfp4&gen=outliers&n=4096&seed=1').present).toBe(false);
  });

  it('round-trips model, rules, mode and tokens', () => {
    const doc: ModelDoc = { ref: { kind: 'url', url: 'https://huggingface.co/owner/tiny-llama' }, quant: withRule(uniformConfig('mxint8'), '*.down.w', 'mxfp4'), mode: 'integer', tokens: 8192 };
    const h = encodeModelHash(doc);
    expect(h).toMatch(/^m=url:https:\/\/huggingface.co\/owner\/tiny-llama&q=1\.[A-Za-z0-9_-]+&mode=integer&tok=8192$/);
    const r = decodeModelHash('#f=mxfp4&' + h);
    expect(r.problems).toEqual([]);
    expect(r.doc).toEqual(doc);
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
    const r = decodeModelHash(`#m=ftp:nowhere&q=${good}&mode=turbo&tok=123`);
    expect(r.doc.ref).toEqual({ kind: 'default' });
    expect(r.doc.quant).toEqual(uniformConfig('mxint8'));
    expect(r.doc.mode).toBe('fake');
    expect(r.doc.tokens).toBe(4096);
    const text = r.problems.join('\n');
    expect(text).toMatch(/m="ftp:nowhere"/);
    expect(text).toMatch(/mode="turbo"/);
    expect(text).toMatch(/tok="123"/);
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
