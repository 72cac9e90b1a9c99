/**
 * Ephemeral state of the Graph and Layers panes: the loaded model, evaluation results, the
 * sensitivity sweep and view state (selection, folding, colouring). Recomputed from the document
 * (model reference, formats) or pure interaction; never shared, never undone.
 */
import { createStore } from 'zustand/vanilla';
import type { Graph, QuantConfig } from '../core/graph';
import type { EvalMode, EvalResult, KernelInfo, ModelInfo } from '../../workers/api/emulate.api';
import type { ModelRef, WeightRounding } from './document';

export interface LoadedModelView {
  /** What was loaded (the document's reference follows it on success). */
  ref: ModelRef;
  info: ModelInfo;
  graph: Graph;
}

export type LoadStatus =
  | { state: 'idle' }
  | { state: 'loading'; label: string; startedAt: number; file?: string; loaded?: number }
  /** `message` is the loader's (ModelError) message, shown as is. */
  | { state: 'error'; message: string; label: string }
  /** The link names local files: they cannot travel in a link, so the user is asked to open them. */
  | { state: 'needs-files'; name: string };

/** One evaluation result and exactly what it was computed from. */
export interface EvalView {
  /** evalKey() of the inputs. */
  key: string;
  config: QuantConfig;
  mode: EvalMode;
  rounding: WeightRounding;
  result: EvalResult;
  /** 'estimate': a few short windows, shifted by the fp32 model's full-budget loss; 'exact': the whole budget. */
  kind: 'estimate' | 'exact';
  /** Tokens scored. */
  tokens: number;
  /** Mean NLL minus the fp32 model's on the same tokens (null until the fp32 baseline is in). */
  deltaNll: number | null;
  /** Estimates: whether the perplexity was shifted onto the full budget (needs the fp32 baseline). */
  calibrated: boolean;
  /** Round-trip time as the user saw it (ms), from the edit to the result. */
  latency: number;
}

export type EvalStatus =
  | { state: 'idle' }
  | { state: 'running'; phase: 'reference' | 'calibrate' | 'estimate' | 'exact'; done: number; total: number; startedAt: number }
  | { state: 'error'; message: string; crash: boolean };

export interface SweepView {
  spec: string;
  mode: EvalMode;
  /** Key of the base configuration it was measured against. */
  baseKey: string;
  tokens: number;
  /** Δ mean NLL (nats / token) per point. */
  delta: Record<string, number>;
  ms: number;
}

export type SweepStatus = { state: 'idle' } | { state: 'running'; done: number; total: number; startedAt: number } | { state: 'error'; message: string };

/** Which rule the Layers pane's editor edits: the whole model, an op type (`*.down.w`), or one point. */
export type Scope = { kind: 'model' } | { kind: 'type'; pattern: string } | { kind: 'point'; id: string };

export interface GraphView {
  /** 'folded': decoder blocks as one "block × N" node; 'block': one block's ops; 'all': every block unrolled. */
  fold: 'folded' | 'block' | 'all';
  /** In 'block' view: which block, or null for the shared template (formats of all blocks side by side). */
  block: number | null;
}

export interface ModelState {
  load: LoadStatus;
  model: LoadedModelView | null;
  kernel: KernelInfo | null;
  /** fp32 on the full budget (the baseline of Δ) and on the estimate's windows (to calibrate estimates). */
  fp32: { key: string; full: EvalResult | null; estimate: EvalResult | null } | null;
  /** The latest result for the current document: an estimate or the exact evaluation. */
  current: EvalView | null;
  /** The latest exact result (may be for older settings while a new one runs). */
  exact: EvalView | null;
  status: EvalStatus;
  sweep: SweepView | null;
  sweepStatus: SweepStatus;
  colorBy: 'format' | 'delta';
  /** Selected op (graph node) and point (layers row); shared by both panes. */
  selectedOp: string | null;
  scope: Scope;
  graphView: GraphView;
  /** Round-trip times of recent estimates (ms), newest last: the UI reports their p95. */
  estimateMs: number[];
  /** The loaded model's GPTQ calibration in the emulator pool (its Hessians stay there), once run. */
  gptq: { id: number; start: number; end: number; ms: number } | null;
}

export const modelStore = createStore<ModelState>()(() => ({
  load: { state: 'idle' },
  model: null,
  kernel: null,
  fp32: null,
  current: null,
  exact: null,
  status: { state: 'idle' },
  sweep: null,
  sweepStatus: { state: 'idle' },
  colorBy: 'format',
  selectedOp: null,
  scope: { kind: 'model' },
  graphView: { fold: 'folded', block: null },
  estimateMs: [],
  gptq: null,
}));

export function setModelView(patch: Partial<ModelState>): void {
  modelStore.setState(patch);
}

/** 95th percentile of a list (nearest rank); NaN when empty. */
export function p95(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}
