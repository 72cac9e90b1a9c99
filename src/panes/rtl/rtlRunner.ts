/**
 * The Verilog pane's state and actions: which design point to build (the document's formats and
 * per-layer lanes on the loaded model, the cost pane's default lanes for the other GEMMs, all layers
 * or the selected one), generation in the
 * RTL worker (latest request wins, cancel = terminate), the file selection, and the zip export.
 *
 * The state is the pane's own (a vanilla zustand store here, not in src/state): it is results and
 * view state, recomputed from the document, never shared or undone.
 */
import { createStore } from 'zustand/vanilla';
import type { Graph, Op, QuantConfig } from '../../core/graph';
import type { RtlLanes } from '../../core/rtl/bundle';
import type { Lanes } from '../../core/cost';
import type { ModelDoc, ModelRef } from '../../state/document';
import type { HardwareSettings } from '../../state/hardware';
import { lanesForGraph } from '../../state/lanes';
import type { LoadedModelView } from '../../state/model';
import type { HessianEntry, ModelSourceSpec, RtlFailure, RtlProgress, RtlRequest } from '../../../workers/api/rtl.api';
import { RtlCancelledError, rtlClient, type BundleFiles } from '../../services/rtlClient';
import { defaultFile, fileTree, topFiles } from './fileTree';

/** Stimulus token counts offered for the vectors. */
export const TOKEN_CHOICES = [4, 8, 16, 32] as const;

export type RtlSource = 'design' | 'library';
export type RtlScope = 'all' | 'selected';

export interface RtlResultView {
  key: string;
  files: BundleFiles;
  ops: readonly string[];
  testbenches: number;
  ms: number;
  /** Name for the zip and its folder. */
  name: string;
}

export type RtlStatus =
  | { state: 'idle' }
  | { state: 'running'; key: string; startedAt: number; progress: RtlProgress | null }
  | { state: 'error'; key: string; error: RtlFailure };

export interface RtlViewState {
  source: RtlSource;
  scope: RtlScope;
  tokens: number;
  status: RtlStatus;
  result: RtlResultView | null;
  /** Open file per source (the library view keeps its own). */
  selected: Record<RtlSource, string | null>;
  /** Collapsed folders (path → true). */
  collapsed: Record<string, boolean>;
  exporting: { state: 'idle' } | { state: 'running' } | { state: 'error'; message: string };
}

export const rtlViewStore = createStore<RtlViewState>()(() => ({
  source: 'design',
  scope: 'all',
  tokens: 8,
  status: { state: 'idle' },
  result: null,
  selected: { design: null, library: null },
  collapsed: {},
  exporting: { state: 'idle' },
}));

export function setRtlView(patch: Partial<RtlViewState>): void {
  rtlViewStore.setState(patch);
}

export function selectFile(source: RtlSource, path: string): void {
  setRtlView({ selected: { ...rtlViewStore.getState().selected, [source]: path } });
}

export function toggleFolder(path: string): void {
  const c = rtlViewStore.getState().collapsed;
  setRtlView({ collapsed: { ...c, [path]: !c[path] } });
}

// ------------------------------------------------------------------------------ the design point

/** What to build, or why nothing can be built now. */
export type DesignPoint = { ok: true; key: string; request: RtlRequest; name: string; label: string } | { ok: false; reason: string };

/** The worker's model source for the document's model reference (local files cannot be re-read from here). */
export function sourceSpec(ref: ModelRef): ModelSourceSpec | null {
  return ref.kind === 'default' ? { kind: 'default' } : ref.kind === 'url' ? { kind: 'url', url: ref.url } : null;
}

/**
 * The ops the scope selects: 'all' leaves the choice to the generator; 'selected' is the op picked
 * in the Graph or Layers pane — an op id (`L0.q`) or, from a folded graph, every op of a kind (`*.q`).
 */
export function scopeOps(graph: Graph, scope: RtlScope, selectedOp: string | null): readonly string[] | 'all' | null {
  if (scope === 'all') return 'all';
  if (!selectedOp) return null;
  if (graph.opById.has(selectedOp)) return [selectedOp];
  const m = /^\*\.(\w+)$/.exec(selectedOp);
  if (!m) return null;
  const ops = graph.ops.filter((o: Op) => o.kind === m[1]).map((o) => o.id);
  return ops.length ? ops : null;
}

/** A file-system-safe name for the zip: mx-rtl-<model>. */
export function bundleName(modelName: string): string {
  const base = modelName.split('/').filter(Boolean).pop() ?? 'model';
  const safe = base.replace(/[^A-Za-z0-9_.+-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return `mx-rtl-${safe || 'model'}`;
}

/** The design point on screen: document formats and per-layer lanes on the loaded model, the cost pane's default lanes, the scope. */
export function designPoint(
  doc: ModelDoc,
  loaded: LoadedModelView | null,
  hw: Pick<HardwareSettings, 'lanesK' | 'lanesN'>,
  view: Pick<RtlViewState, 'scope' | 'tokens'>,
  selectedOp: string | null,
  /** The emulate pool's GPTQ calibration of the loaded model (needed when the document rounds weights with GPTQ). */
  gptq: { id: number; hessians: readonly HessianEntry[] } | null = null,
): DesignPoint {
  if (!loaded) return { ok: false, reason: 'No model is loaded yet.' };
  if (doc.rounding === 'gptq' && !gptq) return { ok: false, reason: 'GPTQ weights: waiting for the calibration (it runs once per model in the emulate workers; the Layers pane shows its progress).' };
  const source = sourceSpec(loaded.ref);
  if (!source) return { ok: false, reason: `${loaded.info.name} was opened from local files, which the RTL worker cannot read again from this pane; load the default model or a URL to generate its RTL.` };
  const ops = scopeOps(loaded.graph, view.scope, selectedOp);
  if (!ops) return { ok: false, reason: 'No layer is selected: pick one in the Graph or Layers pane, or build all layers.' };
  const quant: QuantConfig = { version: doc.quant.version, rules: doc.quant.rules.map(([p, s]) => [p, s] as [string, string]) };
  // The Layers pane's per-layer lanes (linears of this graph; of the ops built, so another op's
  // lanes do not change this request), the cost pane's default lanes for every other GEMM.
  const all = lanesForGraph(loaded.graph, doc.lanes).perOp;
  const perOp: Record<string, Lanes> = {};
  for (const [id, l] of Object.entries(all)) if (ops === 'all' || ops.includes(id)) perOp[id] = { lanesK: l.lanesK, lanesN: l.lanesN, lanesM: 1 };
  const lanes: RtlLanes = { default: { lanesK: hw.lanesK, lanesN: hw.lanesN, lanesM: 1 }, perOp };
  const modelKey = JSON.stringify(loaded.ref) + '|' + loaded.info.name + '|' + loaded.info.bytes;
  const g = doc.rounding === 'gptq' && gptq ? { id: `gptq-${gptq.id}`, hessians: gptq.hessians } : undefined;
  const request: RtlRequest = { source, modelKey, quant, ops, lanes, tokens: view.tokens, ...(g ? { gptq: g } : {}) };
  const key = JSON.stringify({ modelKey, rules: quant.rules, ops, lanes, tokens: view.tokens, rounding: g ? g.id : 'nearest' });
  const label = ops === 'all' ? 'all layers' : ops.length === 1 ? ops[0] : `${ops.length} layers`;
  return { ok: true, key, request, name: bundleName(loaded.info.name), label };
}

// ------------------------------------------------------------------------------ actions

/** Build a design point (skipped when the shown result or the running job is for the same key). */
export async function generate(point: Extract<DesignPoint, { ok: true }>, force = false): Promise<void> {
  const s = rtlViewStore.getState();
  if (!force && (s.result?.key === point.key || (s.status.state === 'running' && s.status.key === point.key) || (s.status.state === 'error' && s.status.key === point.key))) return;
  setRtlView({ status: { state: 'running', key: point.key, startedAt: performance.now(), progress: null } });
  const onProgress = (p: RtlProgress) => {
    const st = rtlViewStore.getState().status;
    if (st.state === 'running' && st.key === point.key) setRtlView({ status: { ...st, progress: p } });
  };
  try {
    const out = await rtlClient().generate(point.request, onProgress);
    if (out.ok) {
      const root = fileTree(out.result.files);
      const prev = rtlViewStore.getState().selected.design;
      const keep = prev && prev in out.result.files ? prev : defaultFile(root, topFiles(out.result.files));
      setRtlView({
        status: { state: 'idle' },
        result: { key: point.key, files: out.result.files, ops: out.result.ops, testbenches: out.result.testbenches, ms: out.result.ms, name: point.name },
        selected: { ...rtlViewStore.getState().selected, design: keep },
      });
    } else {
      setRtlView({ status: { state: 'error', key: point.key, error: out.error } });
    }
  } catch (e) {
    // A newer request (or Cancel) replaced this one: its own state is already set.
    if (e instanceof RtlCancelledError) return;
    setRtlView({ status: { state: 'error', key: point.key, error: { kind: 'worker', message: e instanceof Error ? e.message : String(e) } } });
  }
}

/** Stop the generation in flight (terminates the worker). */
export function cancelGeneration(): void {
  rtlClient().cancel();
  setRtlView({ status: { state: 'idle' } });
}

/** Zip files in the worker and hand them to the browser as a download. */
export async function exportZip(files: BundleFiles, name: string): Promise<void> {
  setRtlView({ exporting: { state: 'running' } });
  try {
    const bytes = await rtlClient().zip(files, name);
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.zip`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setRtlView({ exporting: { state: 'idle' } });
  } catch (e) {
    setRtlView({ exporting: { state: 'error', message: e instanceof Error ? e.message : String(e) } });
  }
}
