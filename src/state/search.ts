/**
 * Ephemeral state of the Search, Pareto and Trials panes: the run on screen (streamed from the
 * search worker or restored from this browser's run store), the selected design point, hover and
 * brush, and view choices (axes, colour, table sort / filter). Never shared, never undone.
 *
 * THE HOOK FOR LATER PANES (Verilog, cost views): `selected` is the design point the user picked in
 * the Pareto plot or the trial table — its config, per-op parallelism and metrics. Subscribe to it
 * (`searchStore.subscribe`, or `useSlice(searchStore, (s) => s.selected)`) to generate RTL for it.
 * Picking a point also loads its config into the document (the Layers pane's formats).
 */
import { createStore } from 'zustand/vanilla';
import type { Lanes } from '../core/cost';
import type { QuantConfig } from '../core/graph';
import type { BaselineResult, Metrics, SearchPhase, SearchSummary, Trial } from '../../workers/api/search.api';
import { METRICS, type MetricId, type SearchDoc } from './searchDoc';
import type { RunRecord, RunStatus } from './searchPersist';

export interface RunView {
  id: string;
  settings: SearchDoc;
  model: RunRecord['model'];
  createdAt: number;
  status: RunStatus;
  /** While running: what the worker is doing. */
  phase: SearchPhase | null;
  message: string | null;
  /** By id (ids are 0 … n − 1). */
  trials: Trial[];
  baselines: BaselineResult[];
  summary: SearchSummary | null;
  /** Evaluations run in this session and answered from the record (resume). */
  counts: { run: number; replayed: number };
  /** Running time before this session (ms) and when this session's running started (performance.now()). */
  elapsedBefore: number;
  runningSince: number | null;
}

/** A design point: a trial, or a baseline. What a Verilog pane would generate. */
export interface SelectedDesign {
  runId: string;
  /** Trial id, or null for a baseline. */
  trialId: number | null;
  /** Baseline name (fp32, fixed8, mxint8, mxfp4) when it is one. */
  baseline: string | null;
  label: string;
  config: QuantConfig;
  parallelism: Readonly<Record<string, Lanes>>;
  metrics: Metrics;
}

export interface ParetoView {
  x: MetricId;
  y: MetricId;
  color: MetricId | 'none';
  logX: boolean;
  logY: boolean;
  /** Draw the dominated trials (off: the front only). */
  dominated: boolean;
  /** Draw trials scored only at the proxy budget. */
  proxy: boolean;
}

/**
 * The plot's axes for a run's objectives: an accuracy objective up, a cost objective across, the
 * third objective as colour (average bits when there are two).
 */
export function axesFor(objectives: readonly MetricId[], view: ParetoView): ParetoView {
  const acc = objectives.filter((o) => METRICS[o].accuracy);
  const cost = objectives.filter((o) => !METRICS[o].accuracy);
  const y = acc[0] ?? objectives[0] ?? view.y;
  const x = cost.find((o) => o !== y) ?? objectives.find((o) => o !== y) ?? view.x;
  const third = objectives.find((o) => o !== x && o !== y);
  // Log axes where values span decades: costs (fp32 ≈ 8× an 8-bit design) and accuracy losses (the
  // uniform m = 2 design sits an order of magnitude above the rest); non-positive data turns them off.
  return { ...view, x, y, color: third ?? (x === 'avgBits' || y === 'avgBits' ? 'none' : 'avgBits'), logX: x !== 'avgBits', logY: y !== 'avgBits' };
}

export type TableFilter = 'all' | 'front' | 'feasible' | 'brushed';

export interface SearchState {
  run: RunView | null;
  /** A stored run that stopped before its budget (page closed, crash, cancel): offered for resume. */
  resumable: RunRecord | null;
  /** Where runs are kept in this browser; a reason when it is only memory. */
  storage: { kind: 'indexeddb' | 'memory' | 'pending'; reason?: string };
  selected: SelectedDesign | null;
  hover: number | null;
  /** Trial ids inside the Pareto brush, or null without a brush. */
  brushed: number[] | null;
  pareto: ParetoView;
  table: { sort: string; desc: boolean; filter: TableFilter; text: string };
  /** Problems with the settings against the loaded model (the core's SpaceError, …). */
  settingsError: string | null;
}

/** Energy against perplexity, coloured by bits, both on log axes (see axesFor). */
export const DEFAULT_PARETO: ParetoView = { x: 'energyPj', y: 'perplexity', color: 'avgBits', logX: true, logY: true, dominated: true, proxy: true };

export const searchStore = createStore<SearchState>()(() => ({
  run: null,
  resumable: null,
  storage: { kind: 'pending' },
  selected: null,
  hover: null,
  brushed: null,
  pareto: DEFAULT_PARETO,
  table: { sort: 'id', desc: false, filter: 'all', text: '' },
  settingsError: null,
}));

export function setSearchView(patch: Partial<SearchState>): void {
  searchStore.setState(patch);
}

/** Merge streamed trials into a list kept in id order (a resumed run re-sends its replayed trials). */
export function mergeTrials(cur: readonly Trial[], add: readonly Trial[]): Trial[] {
  if (!add.length) return cur as Trial[];
  const out = cur.slice();
  for (const t of add) out[t.id] = t;
  return out.filter((t) => t !== undefined);
}
