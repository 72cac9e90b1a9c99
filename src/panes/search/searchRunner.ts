/**
 * The search panes' controller: starts, pauses, resumes and cancels searches (services/searchClient
 * → workers/search.worker.ts, forward passes on the emulate pool), records every evaluation and
 * trial in this browser (state/searchPersist.ts) as it streams in, restores the last run on load,
 * offers to resume a run that stopped early, and loads a picked design point into the document.
 *
 * A run is recorded with the settings and the model it ran with: resuming replays its recorded
 * evaluations into a fresh strategy with exactly those settings (src/core/search/session.ts), so
 * the resumed run is the run that would have happened without the interruption.
 */
import { PAPER_COMPARISON } from '../../core/cost/paper';
import { buildSpace, SpaceError } from '../../core/search';
import { CancelledError, SearchClient } from '../../services/searchClient';
import { TOKEN_BUDGETS, documentStore, editModel, loadSearchDoc } from '../../state/document';
import { appendLog } from '../../state/ephemeral';
import { DEFAULT_HARDWARE, costOptions, hardwareStore } from '../../state/hardware';
import type { CostOptions } from '../../core/cost';
import { linearLanesOf } from '../../state/lanes';
import { modelStore, type LoadedModelView } from '../../state/model';
import { axesFor, mergeTrials, searchStore, setSearchView, type RunView, type SelectedDesign } from '../../state/search';
import { METRICS, parseSearchDoc, spaceSpecOf, type SearchDoc } from '../../state/searchDoc';
import { memoryRunStore, newRunId, openRunStore, pruneRuns, type RunRecord, type RunStore } from '../../state/searchPersist';
import { fmtInt, fmtMs } from '../../ui/format';
import type { BaselineResult, SearchRequest, SearchUpdate } from '../../../workers/api/search.api';
import { ensureCalibration, ensureModel } from '../layers/modelRunner';

/**
 * Reference designs drawn on the Pareto plot, scored by the same evaluator as the trials: fp32, the
 * MASE paper's 8-bit fixed-point baseline (activations fixed:w=8,f=4, weights f=7; core/cost/paper.ts),
 * OCP MXINT8 and OCP MXFP4 everywhere (the Layers pane's MXINT8 / MXFP4 presets).
 */
export const BASELINES: readonly { name: string; label: string; config: RunRecord['baselines'][number]['config'] }[] = [
  { name: 'fp32', label: 'fp32', config: { version: 1, rules: [] } },
  { name: 'fixed8', label: '8-bit fixed', config: PAPER_COMPARISON.find((p) => p.name === 'fixed8')!.config },
  { name: 'mxint8', label: 'MXINT8', config: { version: 1, rules: [['*', 'mxint8']] } },
  { name: 'mxfp4', label: 'MXFP4', config: { version: 1, rules: [['*', 'mxfp4']] } },
];

export function baselineLabel(name: string): string {
  return BASELINES.find((b) => b.name === name)?.label ?? name;
}

let client: SearchClient | null = null;
let store: RunStore | null = null;
let storeReady: Promise<RunStore> | null = null;
let record: RunRecord | null = null;
/** Serialises writes so a run's record and its trials land in order. */
let writes: Promise<void> = Promise.resolve();

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function getStore(): Promise<RunStore> {
  storeReady ??= openRunStore().then((s) => {
    store = s;
    setSearchView({ storage: { kind: s.kind, ...(s.reason ? { reason: s.reason } : {}) } });
    return s;
  });
  return storeReady;
}

function write(fn: (s: RunStore) => Promise<void>): void {
  writes = writes
    .then(() => getStore())
    .then(fn)
    .catch((e: unknown) => {
      // Keep running on memory; say once that the record is incomplete.
      appendLog('error', `search: could not record in IndexedDB (${errMessage(e)}); this run will not survive a reload`);
      if (store?.kind === 'indexeddb') {
        store = memoryRunStore(`IndexedDB write failed: ${errMessage(e)}`);
        storeReady = Promise.resolve(store);
        setSearchView({ storage: { kind: 'memory', reason: store.reason } });
      }
    });
}

/** Resolves once every write so far has landed (tests, and before a resume reads the record). */
export function flushWrites(): Promise<void> {
  return writes;
}

function patchRun(patch: Partial<RunView>): void {
  const r = searchStore.getState().run;
  if (r) setSearchView({ run: { ...r, ...patch } });
}

function saveRecord(patch: Partial<RunRecord>): void {
  if (!record) return;
  record = { ...record, ...patch, updatedAt: Date.now() };
  const r = record;
  write((s) => s.putRun(r));
}

function elapsed(v: RunView): number {
  return v.elapsedBefore + (v.runningSince === null ? 0 : performance.now() - v.runningSince);
}

/** The model identity a run is tied to. */
function modelId(m: LoadedModelView): RunRecord['model'] {
  return { ref: m.ref, name: m.info.name, numParams: m.info.numParams };
}

function sameModel(a: RunRecord['model'], m: LoadedModelView): boolean {
  return a.name === m.info.name && a.numParams === m.info.numParams;
}

// ------------------------------------------------------------------------------ settings check

/** The settings against the loaded model: the space's size, or the core's error. */
export function checkSettings(doc: SearchDoc, model: LoadedModelView | null): { genes: number; size: number; error: string | null } {
  if (!model) return { genes: 0, size: 0, error: null };
  try {
    const space = buildSpace(model.graph, spaceSpecOf(doc));
    if (!space.genes.length) return { genes: 0, size: 0, error: 'No quant point is searched: every menu matches nothing.' };
    return { genes: space.genes.length, size: space.size, error: null };
  } catch (e) {
    return { genes: 0, size: 0, error: e instanceof SpaceError ? e.message : errMessage(e) };
  }
}

export function requestOf(doc: SearchDoc, model: LoadedModelView, known: SearchRequest['known'], sensitivity: number[][] | undefined, cost: CostOptions): SearchRequest {
  const window = Math.min(256, model.info.config.maxPositions);
  return {
    modelConfig: model.info.config,
    space: spaceSpecOf(doc),
    objectives: doc.objectives.map((id) => ({ metric: id, direction: METRICS[id].direction })),
    constraints: doc.constraints.map((c) => (c.bound === 'max' ? { metric: c.metric, max: c.value } : { metric: c.metric, min: c.value })),
    strategy: doc.strategy,
    budget: doc.budget,
    seed: doc.seed,
    batch: doc.batch,
    ...(doc.promote > 0 ? { promote: doc.promote } : {}),
    evaluation: { mode: doc.mode, proxyTokens: doc.proxyTokens, fullTokens: doc.fullTokens, window },
    // The hardware assumptions of the Cost pane (node, memory, tokens per inference, default lanes), so both agree.
    cost,
    baselines: BASELINES.map((b) => ({ name: b.name, config: b.config })),
    known,
    ...(sensitivity ? { sensitivity } : {}),
  };
}

/** The loaded model, loading the document's model first when none is. Null (with the reason) when it fails. */
async function loadedModel(): Promise<LoadedModelView | null> {
  const now = modelStore.getState();
  if (now.model && now.load.state !== 'loading') return now.model;
  ensureModel();
  return new Promise((resolve) => {
    const unsub = modelStore.subscribe((s) => {
      if (s.load.state === 'loading') return;
      if (s.model) {
        unsub();
        resolve(s.model);
      } else if (s.load.state === 'error' || s.load.state === 'needs-files') {
        unsub();
        resolve(null);
      }
    });
  });
}

// ------------------------------------------------------------------------------ running

function onUpdate(u: SearchUpdate): void {
  const v = searchStore.getState().run;
  if (!v || !record) return;
  const trials = mergeTrials(v.trials, u.trials);
  const baselines = u.baselines.length ? [...v.baselines.filter((b) => !u.baselines.some((x) => x.name === b.name)), ...u.baselines] : v.baselines;
  patchRun({
    trials,
    baselines,
    summary: u.summary ?? v.summary,
    phase: u.phase,
    status: u.phase === 'paused' ? 'paused' : 'running',
    counts: { run: u.counts.run, replayed: Math.max(v.counts.replayed, u.counts.replayed) },
  });
  const run = record.id;
  if (u.trials.length || u.evaluations.length) write((s) => s.append(run, u.trials, u.evaluations));
  const status = u.phase === 'paused' ? 'paused' : 'running';
  if (u.trials.length || u.baselines.length || u.sensitivity || u.summary || record.status !== status) {
    const cur = searchStore.getState().run;
    saveRecord({
      status,
      trials: trials.length,
      baselines: baselines as BaselineResult[],
      ...(u.sensitivity ? { sensitivity: u.sensitivity } : {}),
      ...(u.summary ? { summary: u.summary } : {}),
      // kept current, so an interrupted run still says how long it ran
      ...(cur ? { elapsedMs: elapsed(cur) } : {}),
    });
  }
}

async function run(doc: SearchDoc, model: LoadedModelView, rec: RunRecord, known: SearchRequest['known']): Promise<void> {
  client ??= new SearchClient();
  const c = client;
  record = rec;
  const t0 = performance.now();
  patchRun({ status: 'running', phase: 'starting', message: null, runningSince: t0 });
  saveRecord({ status: 'running', message: undefined });
  const label = `${doc.strategy}, ${fmtInt(doc.budget)} trials, seed ${doc.seed}`;
  appendLog('info', `search ${rec.id}: ${known.length ? `resuming (${fmtInt(known.length)} recorded evaluations)` : 'started'} — ${label} on ${model.info.name}`);
  const finish = (status: RunRecord['status'], message: string | null) => {
    const v = searchStore.getState().run;
    const ms = v && v.id === rec.id ? elapsed(v) : rec.elapsedMs;
    if (v && v.id === rec.id) patchRun({ status, phase: null, message, runningSince: null, elapsedBefore: ms });
    saveRecord({ status, message: message ?? undefined, elapsedMs: ms, trials: v?.trials.length ?? rec.trials });
    if (status !== 'done') setSearchView({ resumable: record });
    else setSearchView({ resumable: null });
  };
  try {
    // Runs recorded before hardware settings existed ran with the defaults.
    // GPTQ weights: the pool's calibration of this model first (the Layers pane's, when it made one)
    if (doc.rounding === 'gptq') await ensureCalibration();
    const out = await c.start(requestOf(doc, model, known, rec.sensitivity, rec.cost ?? costOptions(DEFAULT_HARDWARE)), onUpdate, { rounding: doc.rounding });
    finish('done', null);
    appendLog('info', `search ${rec.id}: done — ${fmtInt(out.trials)} trials, ${fmtInt(out.evaluations.proxy + out.evaluations.full)} evaluations (${fmtInt(out.replayed)} replayed), front of ${out.front.length}, in ${fmtMs(performance.now() - t0)}`);
  } catch (e) {
    if (e instanceof CancelledError) {
      // stopSearch already said why (the user's Cancel, or a model change)
      if (record?.id === rec.id && searchStore.getState().run?.status === 'running') finish('cancelled', 'Cancelled.');
      return;
    }
    const n = searchStore.getState().run?.trials.length ?? 0;
    const name = e instanceof Error ? e.name : '';
    const crash = name === 'SearchCrashedError' || name === 'EmulatorCrashedError';
    const msg = `${crash ? errMessage(e).replace(/ It has been restarted.*$/, '') : errMessage(e)} ${fmtInt(n)} trial${n === 1 ? ' is' : 's are'} recorded; Resume continues from there.`;
    finish('error', msg);
    appendLog('error', `search ${rec.id}: ${msg}`);
  }
}

/** Start a new search with the document's settings (Ctrl+Enter in the Search pane). */
export async function startSearch(): Promise<void> {
  if (client?.running()) return;
  const doc = documentStore.getState().search;
  patchRun({ message: null });
  const model = await loadedModel();
  if (!model) {
    setSearchView({ settingsError: 'No model is loaded: load one in the Layers pane (the search runs on the loaded model).' });
    return;
  }
  const chk = checkSettings(doc, model);
  if (chk.error) {
    setSearchView({ settingsError: chk.error });
    return;
  }
  await getStore();
  const now = Date.now();
  const rec: RunRecord = { id: newRunId(now), createdAt: now, updatedAt: now, model: modelId(model), settings: doc, cost: costOptions(hardwareStore.getState()), status: 'running', trials: 0, baselines: [], elapsedMs: 0 };
  setSearchView({
    settingsError: null,
    resumable: null,
    selected: null,
    brushed: null,
    hover: null,
    pareto: axesFor(doc.objectives, searchStore.getState().pareto),
    run: { id: rec.id, settings: doc, model: rec.model, createdAt: now, status: 'running', phase: 'starting', message: null, trials: [], baselines: [], summary: null, counts: { run: 0, replayed: 0 }, elapsedBefore: 0, runningSince: performance.now() },
  });
  record = rec;
  write((st) => st.putRun(rec).then(() => pruneRuns(st)));
  await run(doc, model, rec, []);
}

/** Resume a stored run that stopped early: replay its recorded evaluations, then continue. */
export async function resumeRun(rec: RunRecord | null = searchStore.getState().resumable): Promise<void> {
  if (!rec || client?.running()) return;
  const model = await loadedModel();
  if (!model || !sameModel(rec.model, model)) {
    const msg = `This run was on ${rec.model.name} (${fmtInt(rec.model.numParams)} parameters)${model ? `; ${model.info.name} is loaded` : ''}. Load ${rec.model.name} to resume it.`;
    patchRun({ message: msg });
    return;
  }
  await flushWrites();
  const s = await getStore();
  const [known, trials] = await Promise.all([s.loadEvaluations(rec.id), s.loadTrials(rec.id)]);
  // The run's own settings (it must replay exactly those): shown and linked as the document's.
  loadSearchDoc(rec.settings);
  const cur = searchStore.getState().run;
  const keep = cur && cur.id === rec.id;
  setSearchView({
    resumable: null,
    settingsError: null,
    run: {
      id: rec.id,
      settings: rec.settings,
      model: rec.model,
      createdAt: rec.createdAt,
      status: 'running',
      phase: 'starting',
      message: null,
      trials: keep ? cur.trials : trials,
      baselines: keep ? cur.baselines : rec.baselines,
      summary: keep ? cur.summary : (rec.summary ?? null),
      counts: { run: 0, replayed: 0 },
      elapsedBefore: rec.elapsedMs,
      runningSince: performance.now(),
    },
  });
  await run(rec.settings, model, rec, known);
}

export function pauseSearch(): void {
  if (!client?.running()) return;
  client.pause();
  appendLog('info', 'search paused (the evaluation in flight finishes and is recorded)');
}

export function continueSearch(): void {
  if (!client?.running()) return;
  client.resume();
}

/** Stop the running search now (terminates the search worker); its trials stay recorded. */
export function stopSearch(why = 'Cancelled.'): void {
  if (!client?.running()) return;
  const v = searchStore.getState().run;
  if (v && record && v.id === record.id) {
    const ms = elapsed(v);
    patchRun({ status: 'cancelled', phase: null, message: why, runningSince: null, elapsedBefore: ms });
    saveRecord({ status: 'cancelled', message: why, elapsedMs: ms, trials: v.trials.length });
    setSearchView({ resumable: record });
  }
  client.cancel();
  appendLog('warn', `search stopped: ${why}`);
}

/** Forget a stored run (its trials and evaluations). */
export async function discardRun(id: string): Promise<void> {
  if (client?.running() && record?.id === id) stopSearch();
  const s = searchStore.getState();
  setSearchView({ resumable: s.resumable?.id === id ? null : s.resumable, run: s.run?.id === id ? null : s.run, selected: s.selected?.runId === id ? null : s.selected, brushed: null });
  write((st) => st.deleteRun(id));
  await flushWrites();
}

// ------------------------------------------------------------------------------ selection

/**
 * Pick a design point (a trial, or a baseline by name): it becomes `searchStore.selected` (the hook
 * for the Verilog pane) and its config is loaded into the document — formats, plus the search's
 * mode and full token budget when Layers offers it, so Layers evaluates exactly what the trial was
 * scored on — and its linears' lanes (state/lanes.ts `linearLanesOf`: attention matmuls keep the
 * default; a trial searched without lanes, or a reference design, clears them: it was scored at the
 * default lanes). One undo step, whichever pane picks (Pareto plot or trial table).
 */
export function selectDesign(pick: { trial: number } | { baseline: string }): SelectedDesign | null {
  const v = searchStore.getState().run;
  if (!v) return null;
  let d: SelectedDesign;
  if ('trial' in pick) {
    const t = v.trials[pick.trial];
    if (!t) return null;
    d = { runId: v.id, trialId: t.id, baseline: null, label: `trial #${t.id}`, config: t.config, parallelism: t.parallelism, metrics: t.metrics };
  } else {
    const b = v.baselines.find((x) => x.name === pick.baseline);
    if (!b) return null;
    d = { runId: v.id, trialId: null, baseline: b.name, label: baselineLabel(b.name), config: b.config, parallelism: {}, metrics: b.metrics };
  }
  setSearchView({ selected: d });
  const tokens = (TOKEN_BUDGETS as readonly number[]).includes(v.settings.fullTokens) ? v.settings.fullTokens : null;
  const config = d.config;
  const lanes = linearLanesOf(modelStore.getState().model?.graph ?? null, d.parallelism);
  editModel('pick', (m) => ({ ...m, quant: config, lanes, mode: v.settings.mode, rounding: v.settings.rounding, tokens: tokens ?? m.tokens }));
  return d;
}

// ------------------------------------------------------------------------------ wiring

let started = false;

/** Restore the last run of this browser; offer to resume one that stopped before its budget. */
async function restore(): Promise<void> {
  const s = await getStore();
  const runs = await s.listRuns();
  const last = runs[0];
  if (!last || searchStore.getState().run) return;
  const trials = await s.loadTrials(last.id);
  // 'running' / 'paused' in the record: the page went away mid-run.
  const interrupted = last.status === 'running' || last.status === 'paused';
  // Settings recorded by an older studio are read like a link (missing fields take their defaults).
  const norm = { ...last, settings: parseSearchDoc(last.settings).doc };
  const rec: RunRecord = interrupted ? { ...norm, status: 'interrupted', message: 'Interrupted: the page was closed or reloaded while it ran.' } : norm;
  record = null;
  setSearchView({
    pareto: axesFor(rec.settings.objectives, searchStore.getState().pareto),
    run: {
      id: rec.id,
      settings: rec.settings,
      model: rec.model,
      createdAt: rec.createdAt,
      status: rec.status,
      phase: null,
      message: rec.message ?? null,
      trials,
      baselines: rec.baselines,
      summary: rec.summary ?? null,
      counts: { run: 0, replayed: 0 },
      elapsedBefore: rec.elapsedMs,
      runningSince: null,
    },
    resumable: rec.status !== 'done' && trials.length < rec.settings.budget ? rec : null,
  });
  if (interrupted) await s.putRun(rec);
}

/**
 * App-level wiring: restore the last run once, and stop a running search when the loaded model
 * changes under it (its evaluations would be of another model).
 */
export function startSearchRunner(): () => void {
  if (!started) {
    started = true;
    void restore().catch((e: unknown) => appendLog('error', `search: could not read this browser's runs (${errMessage(e)})`));
  }
  const unsub = modelStore.subscribe((s, prev) => {
    if (s.model === prev.model) return;
    // "no model loaded" from an earlier Start no longer holds
    if (s.model && searchStore.getState().settingsError) setSearchView({ settingsError: null });
    if (!client?.running()) return;
    stopSearch(`The model changed to ${s.model?.info.name ?? 'none'}; the search stopped. Load ${record?.model.name ?? 'its model'} again to resume.`);
  });
  return () => unsub();
}
