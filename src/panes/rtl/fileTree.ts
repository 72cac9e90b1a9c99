/**
 * The Verilog pane's file tree: a bundle's flat `path → content` map as folders and files with
 * sizes and line counts, in the order a hardware engineer reads a design (rtl/, tb/, vectors/,
 * mem/, then anything else; README and Makefile first among the top-level files), names compared
 * naturally (L2 before L10). Plain functions, tested in Node.
 */
import { byteLength, lineCount, type BundleFiles } from '../../core/rtl/bundle';

export interface FileNode {
  readonly kind: 'file';
  readonly path: string;
  readonly name: string;
  readonly bytes: number;
  /** Null for binary content. */
  readonly lines: number | null;
  /** Monaco language id: only SystemVerilog is bundled; everything else is plain text. */
  readonly language: 'systemverilog' | 'plaintext';
}

export interface FolderNode {
  readonly kind: 'folder';
  /** '' for the root. */
  readonly path: string;
  readonly name: string;
  readonly children: readonly TreeNode[];
  /** Files below it, at any depth, and their bytes. */
  readonly files: number;
  readonly bytes: number;
}

export type TreeNode = FileNode | FolderNode;

const FOLDER_ORDER = ['rtl', 'tb', 'vectors', 'mem'];
const TOP_FILE_ORDER = ['README.md', 'Makefile', 'manifest.json', 'synth.ys'];
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function rank(list: readonly string[], name: string): number {
  const i = list.indexOf(name);
  return i < 0 ? list.length : i;
}

/** Monaco language of a file: SystemVerilog sources and headers, else plain text. */
export function languageOf(path: string): FileNode['language'] {
  return /\.(sv|svh|v|vh)$/.test(path) ? 'systemverilog' : 'plaintext';
}

interface Building {
  folders: Map<string, Building>;
  files: FileNode[];
}

/** The tree of a bundle (the root folder). */
export function fileTree(files: BundleFiles): FolderNode {
  const root: Building = { folders: new Map(), files: [] };
  for (const [path, content] of Object.entries(files)) {
    const segs = path.split('/');
    let at = root;
    for (const s of segs.slice(0, -1)) {
      let next = at.folders.get(s);
      if (!next) {
        next = { folders: new Map(), files: [] };
        at.folders.set(s, next);
      }
      at = next;
    }
    at.files.push({ kind: 'file', path, name: segs[segs.length - 1], bytes: byteLength(content), lines: lineCount(content), language: languageOf(path) });
  }
  const finish = (b: Building, path: string, name: string, top: boolean): FolderNode => {
    const folders = [...b.folders.entries()]
      .sort(([x], [y]) => (top ? rank(FOLDER_ORDER, x) - rank(FOLDER_ORDER, y) : 0) || collator.compare(x, y))
      .map(([n, sub]) => finish(sub, path ? `${path}/${n}` : n, n, false));
    const fs = [...b.files].sort((x, y) => (top ? rank(TOP_FILE_ORDER, x.name) - rank(TOP_FILE_ORDER, y.name) : 0) || collator.compare(x.name, y.name));
    const children: TreeNode[] = [...folders, ...fs];
    return {
      kind: 'folder',
      path,
      name,
      children,
      files: folders.reduce((s, f) => s + f.files, 0) + fs.length,
      bytes: folders.reduce((s, f) => s + f.bytes, 0) + fs.reduce((s, f) => s + f.bytes, 0),
    };
  };
  return finish(root, '', '', true);
}

/** Every file of a tree in display order. */
export function flatFiles(node: FolderNode): FileNode[] {
  return node.children.flatMap((c) => (c.kind === 'file' ? [c] : flatFiles(c)));
}

/**
 * The file to open first: the first of `preferred` that exists (the design's top modules), else the
 * first RTL source, else the README, else the first file.
 */
export function defaultFile(root: FolderNode, preferred: readonly string[] = []): string | null {
  const all = flatFiles(root);
  const has = new Set(all.map((f) => f.path));
  const first = preferred.find((p) => has.has(p));
  if (first) return first;
  return (all.find((f) => f.path.startsWith('rtl/') && f.language === 'systemverilog') ?? all.find((f) => f.name === 'README.md') ?? all[0])?.path ?? null;
}

/** `rtl/<top>.sv` of the bundle's synthesis tops (manifest.json `bundle.synth_tops`), the files worth opening first. */
export function topFiles(files: BundleFiles): string[] {
  const m = files['manifest.json'];
  if (typeof m !== 'string') return [];
  try {
    const tops = (JSON.parse(m) as { bundle?: { synth_tops?: (string | { top: string })[] } }).bundle?.synth_tops ?? [];
    return tops.map((t) => `rtl/${typeof t === 'string' ? t : t.top}.sv`);
  } catch {
    return [];
  }
}

/** "1.2 kB", "3.4 MB": sizes as people read them (decimal units, like file managers). */
export function fmtBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
