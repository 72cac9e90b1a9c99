/**
 * The model panes' controller (Graph and Layers share it): loads models into the emulator pool,
 * watches the document's formats / mode / token budget and keeps the evaluation current:
 *
 *   edit → estimate: one short window (64 tokens) at the head of every worker's range, shifted by
 *          the fp32 model's loss on the whole budget (so it estimates the full number) — tens of ms
 *        → (settle 250 ms without edits) exact: the whole budget, every worker its range
 *
 * A newer edit abandons the running pipeline (the pool aborts at the next window), so dragging a
 * slider only ever runs estimates. fp32 baselines (whole budget and estimate windows) are computed
 * once per model and budget. Results, progress and errors go to the ephemeral model store.
 */
import { buildGraph, type QuantConfig } from '../../core/graph';
import { CancelledError, EmulatorCrashedError, emulatorPool, estimateRanges, partition, type Range } from '../../services/emulatorPool';
import { documentStore, sameRef, setModelRef, TOKEN_BUDGETS, type ModelDoc, type ModelRef } from '../../state/document';
import { appendLog } from '../../state/ephemeral';
import { modelStore, setModelView, type EvalView } from '../../state/model';
import { fmtInt, fmtMs } from '../../ui/format';
import type { EvalResult, ModelSourceSpec } from '../../../workers/api/emulate.api';

/** Window of the exact evaluation (the protocol's 256, or the model's context when shorter). */
export const EXACT_WINDOW = 256;
/** Tokens per worker in the estimate. */
export const ESTIMATE_TOKENS = 64;
/** Edits in one task coalesce; no further debounce: a newer edit abandons the older run anyway. */
const DEBOUNCE_MS = 0;
const SETTLE_MS = 250;
/**
 * GPTQ calibration (weight rounding 'gptq'): CALIB_TOKENS tokens of the evaluation text starting at
 * CALIB_START — after the largest evaluation budget, so the calibration never sees a scored token.
 */
export const CALIB_START = TOKEN_BUDGETS[TOKEN_BUDGETS.length - 1];
export const CALIB_TOKENS = 2048;
/** Sweeps score fewer tokens than evaluations: every point is one more evaluation. */
export const SWEEP_BUDGETS = [256, 512, 1024, 2048] as const;

let started = false;
let loadGen = 0;
let pipeline: AbortController | null = null;
let sweepCtl: AbortController | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let editAt = 0;
let calibrations = 0;
/** Exact results by evalKey, so undo, redo and flipping between formats show them at once. */
const exactCache = new Map<string, EvalView>();
const EXACT_CACHE = 48;

function remember(v: EvalView): void {
  exactCache.delete(v.key);
  exactCache.set(v.key, v);
  while (exactCache.size > EXACT_CACHE) exactCache.delete(exactCache.keys().next().value as string);
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function exactWindow(): number {
  const m = modelStore.getState().model;
  return Math.min(EXACT_WINDOW, m?.info.config.maxPositions ?? EXACT_WINDOW);
}

function estimateLen(): number {
  return Math.min(ESTIMATE_TOKENS, exactWindow());
}

function rangesFor(tokens: number): Range[] {
  return partition(tokens, exactWindow(), emulatorPool().workers());
}

/** Everything an evaluation depends on. */
export function evalKey(doc: ModelDoc): string {
  return `${loadGen}|${doc.mode}|${doc.rounding}|${doc.tokens}|${JSON.stringify(doc.quant.rules)}`;
}

function fp32Key(doc: ModelDoc): string {
  return `${loadGen}|${doc.tokens}`;
}

function refLabel(ref: ModelRef): string {
  return ref.kind === 'default' ? 'the default model (sotu-llama-1m)' : ref.kind === 'url' ? ref.url : ref.name;
}

// ------------------------------------------------------------------------------ loading

async function loadSource(src: ModelSourceSpec, ref: ModelRef, label: string): Promise<boolean> {
  started = true;
  abortAll();
  setModelView({ load: { state: 'loading', label, startedAt: performance.now() } });
  const pool = emulatorPool();
  pool
    .kernelInfo()
    .then((kernel) => setModelView({ kernel }))
    .catch(() => undefined);
  const t0 = performance.now();
  try {
    const info = await pool.load(src, documentStore.getState().model.tokens, (p) => {
      const l = modelStore.getState().load;
      if (l.state === 'loading') setModelView({ load: { ...l, file: p.file, loaded: p.loaded } });
    });
    const graph = buildGraph(info.config);
    loadGen++;
    exactCache.clear();
    setModelView({
      model: { ref, info, graph },
      load: { state: 'idle' },
      fp32: null,
      current: null,
      exact: null,
      sweep: null,
      sweepStatus: { state: 'idle' },
      status: { state: 'idle' },
      colorBy: 'format',
      selectedOp: null,
      scope: { kind: 'model' },
      estimateMs: [],
      gptq: null,
    });
    setModelRef(ref);
    appendLog('info', `model ${info.name}: ${fmtInt(info.numParams)} parameters, ${graph.ops.length} ops, ${graph.points.length} quant points, loaded in ${fmtMs(performance.now() - t0)}`);
    schedule(0);
    return true;
  } catch (e) {
    if (e instanceof CancelledError) {
      setModelView({ load: { state: 'idle' } });
      return false;
    }
    const message = errMessage(e);
    setModelView({ load: { state: 'error', message, label } });
    appendLog('error', `loading ${label}: ${message}`);
    // The previous model (if any) stays loaded and evaluated.
    if (modelStore.getState().model) schedule(0);
    return false;
  }
}

/** Load what the document names (the shipped default unless a link said otherwise). */
export function loadRef(ref: ModelRef): Promise<boolean> {
  if (ref.kind === 'files') {
    started = true;
    setModelView({ load: { state: 'needs-files', name: ref.name } });
    return Promise.resolve(false);
  }
  return loadSource(ref.kind === 'default' ? { kind: 'default' } : { kind: 'url', url: ref.url }, ref, refLabel(ref));
}

export function loadDefault(): Promise<boolean> {
  return loadRef({ kind: 'default' });
}

export function loadUrl(url: string): Promise<boolean> {
  return loadRef({ kind: 'url', url: url.trim() });
}

/** Load dropped or picked files (relative path → bytes). */
export function loadFiles(files: Map<string, Uint8Array>, name: string): Promise<boolean> {
  return loadSource({ kind: 'files', name, files }, { kind: 'files', name }, name);
}

/** Called when the Graph or Layers pane opens: the first time, load the document's model. */
export function ensureModel(): void {
  const s = modelStore.getState();
  if (s.model || s.load.state !== 'idle' || started) return;
  void loadRef(documentStore.getState().model.ref);
}

// ------------------------------------------------------------------------------ evaluation

function abortAll(): void {
  pipeline?.abort();
  pipeline = null;
  sweepCtl?.abort();
  sweepCtl = null;
  if (timer) clearTimeout(timer);
  timer = null;
}

function schedule(ms = DEBOUNCE_MS): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void runPipeline();
  }, ms);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new CancelledError());
      },
      { once: true },
    );
  });
}

/** The estimate shifted by the fp32 model's full-budget loss and accuracy (see the file comment). */
function calibrate(est: EvalResult, fp32Est: EvalResult | null, fp32Full: EvalResult | null): EvalResult {
  if (!fp32Est || !fp32Full) return est;
  const meanNll = fp32Full.meanNll + (est.meanNll - fp32Est.meanNll);
  const accuracy = Math.min(1, Math.max(0, fp32Full.accuracy + (est.accuracy - fp32Est.accuracy)));
  return { ...est, meanNll, perplexity: Math.exp(meanNll), accuracy };
}

function allFp32(c: QuantConfig): boolean {
  return c.rules.every(([, s]) => s === 'fp32');
}

function describe(doc: ModelDoc): string {
  const r = doc.quant.rules;
  if (!r.length) return 'all fp32';
  return r.map(([p, s]) => `${p}=${s}`).join(' ');
}

/**
 * The emulate pool's GPTQ calibration of the loaded model, made now if missing (CALIB_TOKENS tokens at
 * CALIB_START, windows of the exact evaluation); the Verilog pane learns of it through modelStore.gptq.
 */
export async function ensureCalibration(opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
  const pool = emulatorPool();
  if (pool.calibration()) return;
  const c = await pool.calibrate({ start: CALIB_START, end: CALIB_START + CALIB_TOKENS }, exactWindow(), opts);
  setModelView({ gptq: { id: ++calibrations, start: c.start, end: c.end, ms: c.ms } });
  appendLog('info', `GPTQ calibration: ${fmtInt(c.end - c.start)} tokens (${fmtInt(c.start)}–${fmtInt(c.end)} of the evaluation text, after every evaluation budget) in ${fmtMs(c.ms)}`);
}

async function runPipeline(): Promise<void> {
  const view = modelStore.getState();
  if (!view.model || view.load.state === 'loading') return;
  pipeline?.abort();
  const ctl = new AbortController();
  pipeline = ctl;
  const signal = ctl.signal;
  const pool = emulatorPool();
  const doc = documentStore.getState().model;
  const key = evalKey(doc);
  const fkey = fp32Key(doc);
  const ranges = rangesFor(doc.tokens);
  const est = estimateRanges(ranges, estimateLen());
  const W = exactWindow();
  // Latency is measured from the edit that asked for this run (not for runs after a model load).
  const fromEdit = editAt > 0;
  const t0 = fromEdit ? editAt : performance.now();
  editAt = 0;
  const running = (phase: 'reference' | 'calibrate' | 'estimate' | 'exact', done = 0, total = 1) =>
    setModelView({ status: { state: 'running', phase, done, total, startedAt: performance.now() } });
  try {
    let fp32 = modelStore.getState().fp32;
    if (!fp32 || fp32.key !== fkey) {
      fp32 = { key: fkey, full: null, estimate: null };
      setModelView({ fp32 });
    }
    if (!fp32.estimate) {
      running('reference');
      const r = await pool.evaluate({ config: doc.quant, mode: 'fp32', ranges: est, window: estimateLen() }, { signal });
      fp32 = { ...fp32, estimate: r };
      setModelView({ fp32 });
    }
    // The estimate, unless the exact result for these settings is already there (undo, a re-run).
    const have = exactCache.get(key);
    const rounding = doc.rounding;
    if (rounding === 'gptq' && !have && !pool.calibration()) {
      running('calibrate', 0, 1);
      await ensureCalibration({ signal, onProgress: (d, t) => running('calibrate', d, t) });
    }
    if (have) {
      setModelView({ current: have, exact: have, status: { state: 'idle' } });
      return;
    }
    running('estimate');
    const e = await pool.evaluate({ config: doc.quant, mode: doc.mode, rounding, ranges: est, window: estimateLen() }, { signal });
    const latency = performance.now() - t0;
    appendLog('info', `estimate ${describe(doc)} (${doc.mode}): ppl ≈ ${calibrate(e, fp32.estimate, fp32.full).perplexity.toFixed(2)} on ${fmtInt(e.tokens)} tokens, ${fmtMs(e.ms)} in the workers, shown ${fmtMs(latency)} after the ${fromEdit ? 'edit' : 'request'}`);
    const fEst = fp32.estimate;
    const estView = (full: EvalResult | null): EvalView => ({
      key,
      config: doc.quant,
      mode: doc.mode,
      rounding,
      result: calibrate(e, fEst, full),
      kind: 'estimate',
      tokens: e.tokens,
      latency,
      deltaNll: fEst ? e.meanNll - fEst.meanNll : null,
      calibrated: !!full,
    });
    const ev = estView(fp32.full);
    setModelView({ current: ev, ...(fromEdit ? { estimateMs: [...modelStore.getState().estimateMs.slice(-99), latency] } : {}) });

    await sleep(SETTLE_MS, signal);
    if (!fp32.full) {
      running('reference', 0, 1);
      const r = await pool.evaluate({ config: doc.quant, mode: 'fp32', ranges, window: W }, { signal, onProgress: (d, t) => running('reference', d, t) });
      fp32 = { ...fp32, full: r };
      appendLog('info', `fp32 baseline: ppl ${r.perplexity.toFixed(3)} on ${fmtInt(r.tokens)} tokens in ${fmtMs(r.ms)}`);
      setModelView({ fp32, current: estView(r) });
    }
    // Nothing quantized: the fp32 run is the answer (fake and integer modes compute the same logits).
    const full = fp32.full;
    if (full && allFp32(doc.quant)) {
      const xv: EvalView = { key, config: doc.quant, mode: doc.mode, rounding, result: { ...full, mode: doc.mode, kl: 0, top1Agreement: 1 }, kind: 'exact', tokens: full.tokens, latency: performance.now() - t0, deltaNll: 0, calibrated: true };
      remember(xv);
      setModelView({ current: xv, exact: xv, status: { state: 'idle' } });
      return;
    }
    running('exact', 0, 1);
    const x = await pool.evaluate({ config: doc.quant, mode: doc.mode, rounding, ranges, window: W }, { signal, onProgress: (d, t) => running('exact', d, t) });
    const xv: EvalView = { key, config: doc.quant, mode: doc.mode, rounding, result: x, kind: 'exact', tokens: x.tokens, latency: performance.now() - t0, deltaNll: full ? x.meanNll - full.meanNll : null, calibrated: true };
    remember(xv);
    setModelView({ current: xv, exact: xv, status: { state: 'idle' } });
    appendLog('info', `${describe(doc)} (${doc.mode}${rounding === 'gptq' ? ', GPTQ weights' : ''}): ppl ${x.perplexity.toFixed(3)} on ${fmtInt(x.tokens)} tokens in ${fmtMs(x.ms)} `);
  } catch (err) {
    if (err instanceof CancelledError || signal.aborted) return;
    const crash = err instanceof EmulatorCrashedError;
    setModelView({ status: { state: 'error', message: errMessage(err), crash } });
    appendLog('error', `evaluation: ${errMessage(err)}`);
  } finally {
    if (pipeline === ctl) pipeline = null;
  }
}

/** Run the evaluation again now (Ctrl+Enter in the model panes). */
export function evaluateNow(): void {
  editAt = performance.now();
  exactCache.delete(evalKey(documentStore.getState().model));
  schedule(0);
}

/**
 * Cancel the running evaluation or sweep. The workers stop at their next window; if they have not
 * answered within 1.5 s (a very large model), they are terminated and reload the model.
 */
export function cancelWork(): void {
  const busy = pipeline !== null || sweepCtl !== null;
  abortAll();
  setModelView({ status: { state: 'idle' }, sweepStatus: { state: 'idle' } });
  if (!busy) return;
  appendLog('warn', 'evaluation cancelled');
  const pool = emulatorPool();
  const t = setTimeout(() => {
    appendLog('warn', 'the workers did not stop within 1.5 s: terminated; they restart and reload the model');
    pool.cancel();
  }, 1500);
  void pool.idle().then(() => clearTimeout(t));
}

// ------------------------------------------------------------------------------ sensitivity

export async function runSweep(spec: string, tokens: number): Promise<void> {
  const view = modelStore.getState();
  if (!view.model) return;
  sweepCtl?.abort();
  const ctl = new AbortController();
  sweepCtl = ctl;
  const doc = documentStore.getState().model;
  const base: QuantConfig = doc.quant;
  const t0 = performance.now();
  setModelView({ sweepStatus: { state: 'running', done: 0, total: 1, startedAt: t0 } });
  try {
    const out = await emulatorPool().sensitivity(
      { base, spec, mode: doc.mode, rounding: doc.rounding, ranges: rangesFor(tokens), window: exactWindow() },
      { signal: ctl.signal, onProgress: (done, total) => setModelView({ sweepStatus: { state: 'running', done, total, startedAt: t0 } }) },
    );
    const delta: Record<string, number> = {};
    for (const e of out) delta[e.point] = e.deltaLoss;
    setModelView({ sweep: { spec, mode: doc.mode, baseKey: evalKey(doc), tokens, delta, ms: performance.now() - t0 }, sweepStatus: { state: 'idle' }, colorBy: 'delta' });
    const top = [...out].sort((a, b) => b.deltaLoss - a.deltaLoss).slice(0, 3);
    appendLog('info', `sensitivity sweep at ${spec} on ${fmtInt(tokens)} tokens in ${fmtMs(performance.now() - t0)}; most sensitive: ${top.map((t) => `${t.point} +${t.deltaLoss.toFixed(4)}`).join(', ')}`);
  } catch (err) {
    if (err instanceof CancelledError || ctl.signal.aborted) return;
    setModelView({ sweepStatus: { state: 'error', message: errMessage(err) } });
    appendLog('error', `sensitivity sweep: ${errMessage(err)}`);
  } finally {
    if (sweepCtl === ctl) sweepCtl = null;
  }
}

// ------------------------------------------------------------------------------ wiring

/** Watch the document: re-evaluate on format / mode / budget edits; follow a link's model change. */
export function startModelRunner(): () => void {
  const unsub = documentStore.subscribe((s, prev) => {
    if (s.model === prev.model) return;
    const m = modelStore.getState();
    if (!sameRef(s.model.ref, prev.model.ref) && started && m.load.state !== 'loading' && (!m.model || !sameRef(m.model.ref, s.model.ref))) {
      void loadRef(s.model.ref);
      return;
    }
    if (s.model.quant === prev.model.quant && s.model.mode === prev.model.mode && s.model.tokens === prev.model.tokens && s.model.rounding === prev.model.rounding) return;
    editAt = performance.now();
    if (m.model) schedule();
  });
  return () => {
    unsub();
    abortAll();
  };
}
