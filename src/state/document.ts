/**
 * Document store: the user's shareable decisions (they go into the URL hash and, later, the session
 * file). Undoable: every edit records the previous document; rapid edits of the same field (typing
 * a seed, dragging a slider) coalesce into one undo step, like Excalidraw's "eventually" capture.
 * Results never live here: they are recomputed from the document.
 */
import { createStore } from 'zustand/vanilla';
import { EMPTY_CONFIG, type QuantConfig } from '../core/graph';
import { DEFAULT_DF, type TensorDist } from '../core/tensors';
import { NO_LANES, sameLanes, type LanesMap } from './lanes';
import { DEFAULT_SEARCH, sameSearch, type SearchDoc } from './searchDoc';

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

/** Which model the Graph and Layers panes work on. Local files cannot travel in a link: only their name does. */
export type ModelRef = { kind: 'default' } | { kind: 'url'; url: string } | { kind: 'files'; name: string };

/** How quantized points are emulated: fake quantization (float32 GEMMs) or the bit-exact integer datapath. */
export type EvalMode = 'fake' | 'integer';

/**
 * How linear weights are put on their formats' grids: the format's round-to-nearest, or GPTQ
 * (src/core/rounding; MXInt weights, calibrated once per model on held-out tokens of the text).
 */
export type WeightRounding = 'nearest' | 'gptq';

/** Evaluation token budgets offered by the Layers pane (the default text's first N tokens). */
export const TOKEN_BUDGETS = [1024, 2048, 4096, 8192, 16384, 32768] as const;

export interface ModelDoc {
  ref: ModelRef;
  /** Per-point formats as glob rules (src/core/graph/config.ts); unmatched points are fp32. */
  quant: QuantConfig;
  mode: EvalMode;
  /** Tokens of the evaluation text scored per evaluation. */
  tokens: number;
  /**
   * Per-layer parallelism of the linears (op id → lanesK × lanesN, state/lanes.ts); ops not listed
   * take the Cost pane's default lanes. The Verilog pane and the cost model both read it.
   */
  lanes: LanesMap;
  /** Weight rounding of the MXInt linear weights (the Verilog pane's weight memories follow it). */
  rounding: WeightRounding;
}

export const DEFAULT_MODEL: ModelDoc = { ref: { kind: 'default' }, quant: EMPTY_CONFIG, mode: 'fake', tokens: 4096, lanes: NO_LANES, rounding: 'nearest' };

/** What one undo step restores. */
export interface DocSnapshot {
  explorer: ExplorerDoc;
  model: ModelDoc;
  /** Search settings (state/searchDoc.ts); the trials are results and stay out of the document. */
  search: SearchDoc;
}

export interface DocumentState extends DocSnapshot {
  past: DocSnapshot[];
  future: DocSnapshot[];
  /** Coalescing key and time of the last recorded edit. */
  lastEdit: { key: string; at: number } | null;
}

const HISTORY_LIMIT = 200;
const COALESCE_MS = 800;

export const documentStore = createStore<DocumentState>()(() => ({
  explorer: DEFAULT_EXPLORER,
  model: DEFAULT_MODEL,
  search: DEFAULT_SEARCH,
  past: [],
  future: [],
  lastEdit: null,
}));

/**
 * Apply an edit. `key` names what changed (e.g. 'spec', 'tensor.seed'): consecutive edits with the
 * same key within COALESCE_MS form one undo step.
 */
function edit(key: string, change: (d: DocSnapshot) => DocSnapshot, now: number): void {
  const s = documentStore.getState();
  const cur: DocSnapshot = { explorer: s.explorer, model: s.model, search: s.search };
  const next = change(cur);
  if (sameDoc(next.explorer, s.explorer) && sameModel(next.model, s.model) && sameSearch(next.search, s.search)) return;
  const coalesce = s.lastEdit !== null && s.lastEdit.key === key && now - s.lastEdit.at < COALESCE_MS && s.past.length > 0;
  documentStore.setState({
    explorer: next.explorer,
    model: next.model,
    search: next.search,
    past: coalesce ? s.past : [...s.past, cur].slice(-HISTORY_LIMIT),
    future: [],
    lastEdit: { key, at: now },
  });
}

export function editExplorer(key: string, change: (d: ExplorerDoc) => ExplorerDoc, now = Date.now()): void {
  edit(key, (d) => ({ ...d, explorer: change(d.explorer) }), now);
}

/** An undoable edit of the model document (formats, lanes, mode, token budget). */
export function editModel(key: string, change: (d: ModelDoc) => ModelDoc, now = Date.now()): void {
  edit(`model.${key}`, (d) => ({ ...d, model: change(d.model) }), now);
}

/** An undoable edit of the search settings. */
export function editSearch(key: string, change: (d: SearchDoc) => SearchDoc, now = Date.now()): void {
  edit(`search.${key}`, (d) => ({ ...d, search: change(d.search) }), now);
}

/** Replace the search settings without an undo step (loading a link, resuming a stored run). */
export function loadSearchDoc(doc: SearchDoc): void {
  const s = documentStore.getState();
  if (sameSearch(doc, s.search)) return;
  documentStore.setState({ search: doc, lastEdit: null });
}

/**
 * Point the document at another model: not an undo step (undo never reloads a model; it restores
 * formats, and the model in use stays).
 */
export function setModelRef(ref: ModelRef): void {
  const s = documentStore.getState();
  if (sameRef(s.model.ref, ref)) return;
  documentStore.setState({ model: { ...s.model, ref } });
}

/** Replace the model document without an undo step (loading a link, following a hash change). */
export function loadModelDoc(doc: ModelDoc): void {
  const s = documentStore.getState();
  if (sameModel(doc, s.model)) return;
  documentStore.setState({ model: doc, lastEdit: null });
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

// A snapshot restores formats and explorer settings; the model in use is kept (see setModelRef).
function restore(s: DocumentState, snap: DocSnapshot): DocSnapshot {
  return { explorer: snap.explorer, model: { ...snap.model, ref: s.model.ref }, search: snap.search };
}

export function undo(): boolean {
  const s = documentStore.getState();
  const prev = s.past[s.past.length - 1];
  if (!prev) return false;
  const cur: DocSnapshot = { explorer: s.explorer, model: s.model, search: s.search };
  documentStore.setState({ ...restore(s, prev), past: s.past.slice(0, -1), future: [cur, ...s.future], lastEdit: null });
  return true;
}

export function redo(): boolean {
  const s = documentStore.getState();
  const next = s.future[0];
  if (!next) return false;
  const cur: DocSnapshot = { explorer: s.explorer, model: s.model, search: s.search };
  documentStore.setState({ ...restore(s, next), past: [...s.past, cur], future: s.future.slice(1), lastEdit: null });
  return true;
}

export function sameRef(a: ModelRef, b: ModelRef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'url') return a.url === (b as typeof a).url;
  if (a.kind === 'files') return a.name === (b as typeof a).name;
  return true;
}

export function sameRules(a: QuantConfig, b: QuantConfig): boolean {
  return a === b || (a.rules.length === b.rules.length && a.rules.every(([p, f], i) => p === b.rules[i][0] && f === b.rules[i][1]));
}

export function sameModel(a: ModelDoc, b: ModelDoc): boolean {
  return a === b || (sameRef(a.ref, b.ref) && sameRules(a.quant, b.quant) && a.mode === b.mode && a.tokens === b.tokens && sameLanes(a.lanes, b.lanes) && a.rounding === b.rounding);
}

function sameDoc(a: ExplorerDoc, b: ExplorerDoc): boolean {
  if (a === b) return true;
  if (a.spec !== b.spec) return false;
  const ta = a.tensor;
  const tb = b.tensor;
  return ta.source === tb.source && ta.dist === tb.dist && ta.n === tb.n && ta.cols === tb.cols && ta.seed === tb.seed && ta.df === tb.df && ta.paste === tb.paste;
}
