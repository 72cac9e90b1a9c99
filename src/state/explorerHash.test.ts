import { describe, expect, it } from 'vitest';
import { decodeExplorerHash, encodeExplorerHash } from './explorerHash';
import { DEFAULT_EXPLORER, documentStore, editExplorer, redo, setSpec, undo, type ExplorerDoc } from './document';

describe('explorer URL hash', () => {
  it('encodes readably and round-trips', () => {
    const doc: ExplorerDoc = { spec: 'mxfp4:block=16', tensor: { ...DEFAULT_EXPLORER.tensor, dist: 'outliers', n: 4096, seed: 1 } };
    const h = encodeExplorerHash(doc);
    expect(h).toBe('#f=mxfp4:block=16&gen=outliers&n=4096&seed=1');
    expect(decodeExplorerHash(h)).toEqual({ doc, problems: [], present: true });
  });

  it('round-trips student-t, row length and pasted data', () => {
    const a: ExplorerDoc = { spec: 'mxint:m=4,block=8', tensor: { ...DEFAULT_EXPLORER.tensor, dist: 'student', df: 5, cols: 64, seed: 9 } };
    expect(decodeExplorerHash(encodeExplorerHash(a)).doc).toEqual(a);
    const b: ExplorerDoc = { spec: 'fixed:w=8,f=5', tensor: { ...DEFAULT_EXPLORER.tensor, source: 'paste', paste: '1, -2.5, 3e-3' } };
    const hb = encodeExplorerHash(b);
    expect(hb).toContain('data=1,-2.5,3e-3');
    expect(decodeExplorerHash(hb).doc.tensor.paste).toBe('1, -2.5, 3e-3');
  });

  it('canonicalizes the spec', () => {
    expect(decodeExplorerHash('#f=MXFP4:block=32,round=nearest').doc.spec).toBe('mxfp4');
  });

  it('a malformed field falls back alone, with a message naming it; the rest is kept', () => {
    const r = decodeExplorerHash('#f=mxint:m=1&gen=student&n=abc&seed=7&zz=1');
    expect(r.doc.spec).toBe(DEFAULT_EXPLORER.spec);
    expect(r.doc.tensor.dist).toBe('student');
    expect(r.doc.tensor.seed).toBe(7);
    expect(r.doc.tensor.n).toBe(DEFAULT_EXPLORER.tensor.n);
    expect(r.problems.join('\n')).toMatch(/"mxint:m=1" is not valid \(m "1" — allowed an integer from 2 to 16\)/);
    expect(r.problems.join('\n')).toMatch(/n="abc" is not an integer/);
    expect(r.problems.join('\n')).toMatch(/Unknown link field zz/);
  });

  it('an empty hash is not present', () => {
    expect(decodeExplorerHash('').present).toBe(false);
    expect(decodeExplorerHash('#').present).toBe(false);
  });

  it('survives broken escapes', () => {
    const r = decodeExplorerHash('#f=%E0%A4%A&seed=3');
    expect(r.doc.tensor.seed).toBe(3);
    expect(r.problems[0]).toMatch(/broken %-escape/);
  });
});

describe('document undo', () => {
  it('records steps, coalesces rapid edits of one field, and redoes', () => {
    documentStore.setState({ explorer: DEFAULT_EXPLORER, past: [], future: [], lastEdit: null });
    editExplorer('spec', (d) => ({ ...d, spec: 'mxfp8_e4m3' }), 1000);
    editExplorer('tensor.seed', (d) => ({ ...d, tensor: { ...d.tensor, seed: 2 } }), 2000);
    editExplorer('tensor.seed', (d) => ({ ...d, tensor: { ...d.tensor, seed: 23 } }), 2300);
    expect(documentStore.getState().past.length).toBe(2);
    expect(undo()).toBe(true);
    expect(documentStore.getState().explorer.tensor.seed).toBe(1);
    expect(documentStore.getState().explorer.spec).toBe('mxfp8_e4m3');
    expect(undo()).toBe(true);
    expect(documentStore.getState().explorer.spec).toBe('mxfp4');
    expect(undo()).toBe(false);
    expect(redo()).toBe(true);
    expect(documentStore.getState().explorer.spec).toBe('mxfp8_e4m3');
    setSpec('mxint8');
    expect(documentStore.getState().future).toEqual([]);
  });
});
