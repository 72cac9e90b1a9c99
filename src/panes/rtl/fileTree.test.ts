// The Verilog pane's tree model: folder order (rtl, tb, vectors, mem, then others), natural name
// order, sizes and line counts that add up, binary files, the first file opened, size labels.
import { describe, expect, it } from 'vitest';
import { defaultFile, fileTree, flatFiles, fmtBytes, languageOf, topFiles, type FolderNode } from './fileTree';

const FILES = {
  'manifest.json': '{}\n',
  'vectors/L10_q.in.hex': '00\n01\n',
  'vectors/L2_q.in.hex': '00\n',
  'mem/L0_q.w.hex': 'ff\n',
  'docs/notes.txt': 'x',
  'rtl/L10_q.sv': 'module L10_q;\nendmodule\n',
  'rtl/L2_q.sv': 'module L2_q;\nendmodule\n',
  'tb/tb_L2_q.sv': 'module tb;\nendmodule\n',
  Makefile: 'all:\n\ttrue\n',
  'README.md': '# µ\n',
  'mem/blob.bin': new Uint8Array(5),
};

describe('fileTree', () => {
  const root = fileTree(FILES);

  it('orders folders rtl, tb, vectors, mem, then the rest; README and Makefile lead the top-level files; names naturally', () => {
    expect(root.children.map((c) => c.name)).toEqual(['rtl', 'tb', 'vectors', 'mem', 'docs', 'README.md', 'Makefile', 'manifest.json']);
    expect(flatFiles(root).map((f) => f.path)).toEqual([
      'rtl/L2_q.sv',
      'rtl/L10_q.sv',
      'tb/tb_L2_q.sv',
      'vectors/L2_q.in.hex',
      'vectors/L10_q.in.hex',
      'mem/blob.bin',
      'mem/L0_q.w.hex',
      'docs/notes.txt',
      'README.md',
      'Makefile',
      'manifest.json',
    ]);
  });

  it('counts bytes (UTF-8) and lines per file, and files and bytes per folder', () => {
    const files = flatFiles(root);
    const by = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(by['README.md']).toMatchObject({ bytes: 5, lines: 1, language: 'plaintext' });
    expect(by['rtl/L2_q.sv']).toMatchObject({ bytes: 23, lines: 2, language: 'systemverilog' });
    expect(by['mem/blob.bin']).toMatchObject({ bytes: 5, lines: null });
    expect(by['docs/notes.txt'].lines).toBe(1);
    expect(root.files).toBe(11);
    expect(root.bytes).toBe(files.reduce((s, f) => s + f.bytes, 0));
    const mem = root.children.find((c) => c.name === 'mem') as FolderNode;
    expect(mem).toMatchObject({ path: 'mem', files: 2, bytes: 8 });
  });

  it('opens a top module, else the first RTL source, else the README, else the first file', () => {
    const manifest = JSON.stringify({ bundle: { synth_tops: [{ top: 'L10_q', params: { MEM: 'mem/x' } }, 'L2_q'] } });
    expect(topFiles({ ...FILES, 'manifest.json': manifest })).toEqual(['rtl/L10_q.sv', 'rtl/L2_q.sv']);
    expect(topFiles({ 'manifest.json': '{not json' })).toEqual([]);
    expect(defaultFile(root, ['rtl/missing.sv', 'rtl/L10_q.sv'])).toBe('rtl/L10_q.sv');
    expect(defaultFile(root)).toBe('rtl/L2_q.sv');
    expect(defaultFile(fileTree({ Makefile: '', 'README.md': '' }))).toBe('README.md');
    expect(defaultFile(fileTree({ 'b.txt': '', 'a.txt': '' }))).toBe('a.txt');
    expect(defaultFile(fileTree({}))).toBeNull();
  });

  it('languageOf and fmtBytes', () => {
    expect(['a.sv', 'a.svh', 'a.v', 'a.vh', 'a.hex', 'Makefile'].map(languageOf)).toEqual(['systemverilog', 'systemverilog', 'systemverilog', 'systemverilog', 'plaintext', 'plaintext']);
    expect([0, 999, 1000, 1234, 56_789, 1_234_567, 999_999_999, 5e9].map(fmtBytes)).toEqual(['0 B', '999 B', '1.0 kB', '1.2 kB', '57 kB', '1.2 MB', '1000 MB', '5.0 GB']);
  });
});
