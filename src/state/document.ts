/**
 * Document store: the user's shareable decisions (they go into the URL hash and, later, the session
 * file). Undoable: every edit records the previous document; rapid edits of the same field (typing
 * a seed, dragging a slider) coalesce into one undo step, like Excalidraw's "eventually" capture.
 * Results never live here: they are recomputed from the document.
 */
import { createStore } from 'zustand/vanilla';
import { DEFAULT_DF, type TensorDist } from '../core/tensors';

export type TensorSource = 'generate' | 'paste';

export interface TensorDoc {
  source: TensorSource;
  dist: TensorDist;
  /** Elements to generate. */
  n: number;
  /** Row length: the tensor is [n / cols, cols] when cols divides n (blocks run along rows), else 1-D. */
  cols: number;
  seed: number;
  /** Student-t degrees of freedom. */
  df: number;
  /** Pasted numbers, kept while the generator is selected so switching back loses nothing. */
  paste: string;
}

export interface ExplorerDoc {
  /** Canonical format spec string (core's formatToString). */
  spec: string;
  tensor: TensorDoc;
}

export const DEFAULT_EXPLORER: ExplorerDoc = {
  spec: 'mxfp4',
  tensor: { source: 'generate', dist: 'outliers', n: 4096, cols: 256, seed: 1, df: DEFAULT_DF, paste: '' },
};

export interface DocumentState {
  explorer: ExplorerDoc;
  past: ExplorerDoc[];
  future: ExplorerDoc[];
  /** Coalescing key and time of the last recorded edit. */
  lastEdit: { key: string; at: number } | null;
}

const HISTORY_LIMIT = 200;
const COALESCE_MS = 800;

export const documentStore = createStore<DocumentState>()(() => ({
  explorer: DEFAULT_EXPLORER,
  past: [],
  future: [],
  lastEdit: null,
}));

/**
 * Apply an edit. `key` names what changed (e.g. 'spec', 'tensor.seed'): consecutive edits with the
 * same key within COALESCE_MS form one undo step.
 */
export function editExplorer(key: string, change: (d: ExplorerDoc) => ExplorerDoc, now = Date.now()): void {
  const s = documentStore.getState();
  const next = change(s.explorer);
  if (sameDoc(next, s.explorer)) return;
  const coalesce = s.lastEdit !== null && s.lastEdit.key === key && now - s.lastEdit.at < COALESCE_MS && s.past.length > 0;
  documentStore.setState({
    explorer: next,
    past: coalesce ? s.past : [...s.past, s.explorer].slice(-HISTORY_LIMIT),
    future: [],
    lastEdit: { key, at: now },
  });
}

export function setSpec(spec: string): void {
  editExplorer('spec', (d) => ({ ...d, spec }));
}

export function setTensor(patch: Partial<TensorDoc>): void {
  editExplorer(`tensor.${Object.keys(patch).sort().join(',')}`, (d) => ({ ...d, tensor: { ...d.tensor, ...patch } }));
}

/** Replace the document without an undo step (loading a link, following a hash change). */
export function loadExplorer(doc: ExplorerDoc): void {
  const s = documentStore.getState();
  if (sameDoc(doc, s.explorer)) return;
  documentStore.setState({ explorer: doc, lastEdit: null });
}

export function undo(): boolean {
  const s = documentStore.getState();
  const prev = s.past[s.past.length - 1];
  if (!prev) return false;
  documentStore.setState({ explorer: prev, past: s.past.slice(0, -1), future: [s.explorer, ...s.future], lastEdit: null });
  return true;
}

export function redo(): boolean {
  const s = documentStore.getState();
  const next = s.future[0];
  if (!next) return false;
  documentStore.setState({ explorer: next, past: [...s.past, s.explorer], future: s.future.slice(1), lastEdit: null });
  return true;
}

function sameDoc(a: ExplorerDoc, b: ExplorerDoc): boolean {
  if (a === b) return true;
  if (a.spec !== b.spec) return false;
  const ta = a.tensor;
  const tb = b.tensor;
  return ta.source === tb.source && ta.dist === tb.dist && ta.n === tb.n && ta.cols === tb.cols && ta.seed === tb.seed && ta.df === tb.df && ta.paste === tb.paste;
}
