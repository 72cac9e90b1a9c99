/**
 * The page's only door to workers/emulate.worker.ts: a pool of emulate workers (one per core,
 * capped) that share every evaluation.
 *
 * - Partition: the evaluation's windows are cut into one contiguous token range per worker, always
 *   the same ranges for the same budget, so each worker's emulator keeps its caches (fp32
 *   reference logits, block inputs, quantized weights) from one evaluation to the next.
 * - Estimates: the first `estimate` tokens of every worker's range, in short windows, give a quick
 *   number while the exact evaluation is pending (see estimateRanges).
 * - A newer request abandons an older one (`signal`): the pool asks the workers to abort, which the
 *   emulator honours at its next window, and rejects at once with CancelledError; the next call on
 *   a worker waits for its window in flight.
 * - cancel(): terminates every worker (the only way to stop a window that is mid-computation);
 *   pending calls reject with CancelledError and workers come back lazily, reloading the model.
 * - A worker that dies (script error, out of memory, failed module load) rejects its calls with
 *   EmulatorCrashedError instead of leaving promises hanging.
 * - Loading: the first worker loads the model (its error, a ModelError message, is the answer);
 *   the others load the same source in the background. A failed load leaves every worker with
 *   the model it had.
 */
import * as Comlink from 'comlink';
import { buildGraph } from '../core/graph';
import type { EmulateApi, EvalMode, EvalResult, HessianEntry, KernelInfo, LoadProgress, ModelInfo, ModelSourceSpec, PointStats, SensitivityEntry, WeightRounding } from '../../workers/api/emulate.api';
import type { QuantConfig } from '../core/graph';
import { CancelledError, type WorkerLike } from './quantizeClient';

export { CancelledError };

export class EmulatorCrashedError extends Error {
  override readonly name = 'EmulatorCrashedError';
  constructor(detail: string) {
    super(`An emulate worker crashed (${detail}). It has been restarted and reloads the model; the evaluation runs again on the next change.`);
  }
}

/** Models with more parameters than this evaluate on one worker (each worker holds a copy). */
export const LARGE_MODEL_PARAMS = 60_000_000;

/** How many emulate workers: one per core, at most MAX_WORKERS (each holds a copy of the model). */
export const MAX_WORKERS = 4;
export function defaultPoolSize(): number {
  const n = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(MAX_WORKERS, n));
}

function defaultWorker(i: number): WorkerLike {
  return new Worker(new URL('../../workers/emulate.worker.ts', import.meta.url), { type: 'module', name: `emulate-${i}` });
}

interface Slot {
  index: number;
  worker: WorkerLike;
  remote: Comlink.Remote<EmulateApi>;
  pending: Set<(e: Error) => void>;
  kernel: Promise<KernelInfo>;
  /** Generation of the model this worker holds (-1: none or unknown). */
  gen: number;
  /** Loading the current generation, when under way. */
  loading: Promise<void> | null;
  /** Serialises calls: one window at a time per worker. */
  tail: Promise<unknown>;
  /** Id of the GPTQ calibration this worker holds (-1: none). */
  hid: number;
}

/** What the pool's GPTQ calibration was computed from. */
export interface CalibrationInfo {
  /** Token range [start, end) of the evaluation text, in windows of `window`. */
  start: number;
  end: number;
  window: number;
  /** Wall time, ms. */
  ms: number;
}

/** One worker's share: tokens [start, end) in windows of `window`. */
export interface Range {
  start: number;
  end: number;
}

export interface EvalJob {
  config: QuantConfig;
  mode: EvalMode;
  /** One token range per worker (see partition / estimateRanges). */
  ranges: Range[];
  window: number;
  reference?: boolean;
  /** gptq: the pool's calibration must exist for the loaded model (calibrate()). */
  rounding?: WeightRounding;
}

export interface SweepJob {
  base: QuantConfig;
  spec: string;
  mode: EvalMode;
  ranges: Range[];
  window: number;
  rounding?: WeightRounding;
}

/**
 * Cut the first `tokens` tokens (whole windows, at least one) into at most `parts` contiguous
 * ranges of whole windows, as even as possible.
 */
export function partition(tokens: number, window: number, parts: number): Range[] {
  const wins = Math.max(1, Math.floor(tokens / window));
  const n = Math.max(1, Math.min(parts, wins));
  const out: Range[] = [];
  let w = 0;
  for (let k = 0; k < n; k++) {
    const take = Math.floor(wins / n) + (k < wins % n ? 1 : 0);
    out.push({ start: w * window, end: (w + take) * window });
    w += take;
  }
  return out;
}

/** The estimate's ranges: the first `len` tokens of every range (one short window each). */
export function estimateRanges(ranges: readonly Range[], len: number): Range[] {
  return ranges.map((r) => ({ start: r.start, end: Math.min(r.end, r.start + len) }));
}

/** Predicted tokens of a range evaluated in windows of `window` (each window predicts len − 1; a last window shorter than 2 is dropped). */
export function scoredTokens(r: Range, window: number): number {
  let n = 0;
  for (let s = r.start; s < r.end; s += window) {
    const len = Math.min(window, r.end - s);
    if (len >= 2) n += len - 1;
  }
  return n;
}

/**
 * Merge of the workers' EvalResults over disjoint token ranges (add them in range order, so the
 * per-window NLL sums concatenate). Exact: token-weighted means for loss, accuracy, KL and
 * agreement; per point, weights count once (every range reports the same weight statistics) and
 * activations add their counts and their signal / noise energies (SQNR = 10·log10(Σsignal / Σnoise)).
 */
export class EvalMerge {
  private tokens = 0;
  private windows = 0;
  private nll = 0;
  private acc = 0;
  private kl = 0;
  private agree = 0;
  private hasRef = true;
  private points = new Map<string, PointStats>();
  private fallback = new Set<string>();
  private sums: number[] = [];
  private first: EvalResult | null = null;

  constructor(private readonly isWeight: (point: string) => boolean) {}

  add(r: EvalResult): void {
    this.first ??= r;
    this.tokens += r.tokens;
    this.windows += r.windows;
    this.nll += r.meanNll * r.tokens;
    this.acc += r.accuracy * r.tokens;
    if (r.kl === null || r.top1Agreement === null) this.hasRef = false;
    else {
      this.kl += r.kl * r.tokens;
      this.agree += r.top1Agreement * r.tokens;
    }
    for (const f of r.fallbackOps) this.fallback.add(f);
    this.sums.push(...r.windowNllSums);
    for (const [id, s] of Object.entries(r.points)) {
      const cur = this.points.get(id);
      if (!cur) this.points.set(id, { ...s });
      else if (!this.isWeight(id)) {
        cur.saturated += s.saturated;
        cur.underflow += s.underflow;
        cur.nanBlocks += s.nanBlocks;
        cur.elements += s.elements;
        cur.signalEnergy += s.signalEnergy;
        cur.noiseEnergy += s.noiseEnergy;
        cur.sqnrDb = cur.noiseEnergy === 0 ? Infinity : cur.signalEnergy === 0 ? -Infinity : 10 * Math.log10(cur.signalEnergy / cur.noiseEnergy);
      }
    }
  }

  result(ms: number): EvalResult {
    const f = this.first;
    if (!f) throw new Error('no windows evaluated');
    const meanNll = this.nll / this.tokens;
    return {
      mode: f.mode,
      perplexity: Math.exp(meanNll),
      accuracy: this.acc / this.tokens,
      meanNll,
      tokens: this.tokens,
      windowNllSums: this.sums,
      windows: this.windows,
      window: f.window,
      kl: this.hasRef && f.kl !== null ? this.kl / this.tokens : null,
      top1Agreement: this.hasRef && f.top1Agreement !== null ? this.agree / this.tokens : null,
      points: Object.fromEntries(this.points),
      fallbackOps: [...this.fallback],
      unmatchedRules: f.unmatchedRules,
      ms,
    };
  }
}

export class EmulatorPool {
  private slots: (Slot | null)[];
  private source: ModelSourceSpec | null = null;
  private gen = 0;
  private maxTokens = 0;
  private weightIds = new Set<string>();
  private info: ModelInfo | null = null;
  private active = 1;
  /** The GPTQ calibration of model generation `gen` (sent to each worker before its first gptq call). */
  private hess: { gen: number; id: number; list: HessianEntry[]; info: CalibrationInfo } | null = null;
  private hessIds = 0;

  constructor(
    readonly size: number = defaultPoolSize(),
    private readonly createWorker: (i: number) => WorkerLike = defaultWorker,
  ) {
    this.slots = Array.from({ length: size }, () => null);
  }

  /** Kernel flavor of the first worker (starts it when needed). */
  kernelInfo(): Promise<KernelInfo> {
    return this.slot(0).kernel;
  }

  /**
   * Workers that share evaluations for the loaded model: every worker holds a copy of the model, so
   * a big one (over LARGE_MODEL_PARAMS) runs on one worker only instead of multiplying the memory.
   */
  workers(): number {
    return this.active;
  }

  /** The model every worker holds (or is loading), once a load succeeded. */
  model(): ModelInfo | null {
    return this.info;
  }

  /**
   * Load a model into the pool. Resolves with what the first worker loaded; rejects with the
   * loader's error (the workers keep their previous model).
   */
  async load(src: ModelSourceSpec, maxTokens: number, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const s0 = this.slot(0);
    const info = await this.call(s0, (r) => r.load(src, maxTokens, onProgress ? Comlink.proxy(onProgress) : undefined));
    this.gen++;
    this.hess = null;
    s0.hid = -1;
    this.source = src;
    this.maxTokens = maxTokens;
    this.info = info;
    this.weightIds = new Set(buildGraph(info.config).points.filter((p) => p.isWeight).map((p) => p.id));
    this.active = info.numParams > LARGE_MODEL_PARAMS ? 1 : this.size;
    s0.gen = this.gen;
    s0.loading = null;
    // The other workers follow in the background; a failure there surfaces on their first window.
    for (let i = 1; i < this.size; i++) {
      if (i >= this.active) {
        // Not used for this model: free its copy of the previous one.
        this.kill(i, new CancelledError());
        continue;
      }
      const s = this.slots[i];
      if (s) {
        s.gen = -1;
        s.loading = null;
      }
      void this.ready(this.slot(i)).catch(() => undefined);
    }
    return info;
  }

  /**
   * Evaluate: every worker its range, in parallel; results merged. `onProgress(windowsDone, total)`
   * at most ~10 times a second. Rejects with CancelledError when `signal` aborts.
   */
  async evaluate(job: EvalJob, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<EvalResult> {
    const t0 = performance.now();
    const merge = new EvalMerge((id) => this.weightIds.has(id));
    const results = await this.fanOut(
      job.ranges,
      job.window,
      async (slot, r, progress) => {
        if (job.rounding === 'gptq') await this.syncHessians(slot);
        return this.call(slot, (api) => api.evaluate({ config: job.config, mode: job.mode, rounding: job.rounding, start: r.start, end: r.end, window: job.window, reference: job.reference }, progress));
      },
      opts,
    );
    for (const r of results) merge.add(r);
    return merge.result(performance.now() - t0);
  }

  /** Sensitivity sweep: Δ loss per point, token-weighted over the workers' ranges. */
  async sensitivity(job: SweepJob, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<SensitivityEntry[]> {
    const results = await this.fanOut(
      job.ranges,
      job.window,
      async (slot, r, progress) => {
        if (job.rounding === 'gptq') await this.syncHessians(slot);
        return this.call(slot, (api) => api.sensitivity({ base: job.base, spec: job.spec, mode: job.mode, rounding: job.rounding, start: r.start, end: r.end, window: job.window }, progress));
      },
      opts,
    );
    const sum = new Map<string, number>();
    let total = 0;
    results.forEach((entries, k) => {
      const w = scoredTokens(job.ranges[k], job.window);
      total += w;
      for (const e of entries) sum.set(e.point, (sum.get(e.point) ?? 0) + e.deltaLoss * w);
    });
    return [...sum].map(([point, s]) => ({ point, deltaLoss: s / total }));
  }

  /**
   * GPTQ calibration of the loaded model on tokens `range` of the evaluation text (on the first
   * worker; the others receive its Hessians before their first GPTQ evaluation). Rejects with
   * CancelledError when `signal` aborts.
   */
  async calibrate(range: Range, window: number, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<CalibrationInfo> {
    const t0 = performance.now();
    const gen = this.gen;
    const [list] = await this.fanOut([range], window, (slot, r, progress) => this.call(slot, (api) => api.calibrate({ start: r.start, end: r.end, window }, progress)), opts);
    if (gen !== this.gen) throw new CancelledError();
    const info: CalibrationInfo = { start: range.start, end: range.end, window, ms: performance.now() - t0 };
    this.hess = { gen, id: ++this.hessIds, list, info };
    const s0 = this.slots[0];
    if (s0) s0.hid = this.hess.id;
    return info;
  }

  /** The loaded model's GPTQ calibration, if calibrate() ran for it. */
  calibration(): CalibrationInfo | null {
    return this.hess && this.hess.gen === this.gen ? this.hess.info : null;
  }

  /** The calibration's Hessians (for the RTL worker's own copy of the model), if any. */
  hessians(): HessianEntry[] | null {
    return this.hess && this.hess.gen === this.gen ? this.hess.list : null;
  }

  /** Give a worker the pool's calibration before a GPTQ call (after a restart or a reload it has none). */
  private async syncHessians(slot: Slot): Promise<void> {
    const h = this.hess;
    if (!h || h.gen !== this.gen) throw new Error('GPTQ weights need a calibration of this model first');
    if (slot.hid === h.id) return;
    await this.call(slot, (api) => api.setHessians(h.list));
    slot.hid = h.id;
  }

  /** Resolves when no worker has a call in flight (the windows of abandoned jobs included). */
  idle(): Promise<void> {
    return Promise.all(this.slots.map((s) => s?.tail)).then(() => undefined);
  }

  /** Stop everything now: terminate the workers (they restart lazily and reload the model). */
  cancel(): void {
    for (let i = 0; i < this.slots.length; i++) this.kill(i, new CancelledError());
  }

  dispose(): void {
    this.cancel();
    this.source = null;
  }

  // ------------------------------------------------------------------ internals

  /** Run one call per range, range k on worker k; progress summed over workers and throttled. */
  private async fanOut<R>(
    ranges: readonly Range[],
    window: number,
    run: (slot: Slot, r: Range, progress: ((done: number, total: number) => void) & Comlink.ProxyMarked) => Promise<R>,
    opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
  ): Promise<R[]> {
    const { signal } = opts;
    if (signal?.aborted) throw new CancelledError();
    if (ranges.length > this.active) throw new Error(`${ranges.length} ranges for ${this.active} workers`);
    const done = ranges.map(() => 0);
    const totals = ranges.map((r) => Math.max(1, Math.ceil((r.end - r.start) / window)));
    const total = totals.reduce((a, b) => a + b, 0);
    let last = 0;
    const report = () => {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      opts.onProgress?.(done.reduce((a, b) => a + b, 0), total);
    };
    const slots = ranges.map((_, k) => this.slot(k));
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      // The emulator checks between windows; the call then rejects (ignored: we already left).
      for (const s of slots) if (this.slots[s.index] === s) void s.remote.abort().catch(() => undefined);
    };
    const abortP = new Promise<never>((_, reject) =>
      signal?.addEventListener(
        'abort',
        () => {
          onAbort();
          reject(new CancelledError());
        },
        { once: true },
      ),
    );
    abortP.catch(() => undefined);
    const work = Promise.all(
      ranges.map(async (r, k) => {
        const slot = slots[k];
        await this.ready(slot);
        if (aborted) throw new CancelledError();
        const progress = Comlink.proxy((d: number) => {
          done[k] = d;
          report();
        });
        const out = await this.serial(slot, () => (aborted ? Promise.reject(new CancelledError()) : run(slot, r, progress)));
        done[k] = totals[k];
        return out;
      }),
    );
    work.catch(() => undefined);
    const out = await Promise.race([work, abortP]);
    opts.onProgress?.(total, total);
    return out;
  }

  /** One call at a time per worker (a newer job waits for the older job's window in flight). */
  private serial<R>(slot: Slot, fn: () => Promise<R>): Promise<R> {
    const p = slot.tail.then(fn, fn);
    slot.tail = p.catch(() => undefined);
    return p;
  }

  /** Make sure the worker holds the current model (reloading after a restart). */
  private ready(slot: Slot): Promise<void> {
    if (!this.source) return Promise.reject(new Error('No model loaded'));
    if (slot.gen === this.gen) return Promise.resolve();
    if (slot.loading) return slot.loading;
    const gen = this.gen;
    const src = this.source;
    slot.hid = -1;
    const p = this.serial(slot, () => this.call(slot, (r) => r.load(src, this.maxTokens))).then(
      () => {
        if (this.slots[slot.index] === slot && this.gen === gen) slot.gen = gen;
        slot.loading = null;
      },
      (e: unknown) => {
        slot.loading = null;
        throw e;
      },
    );
    slot.loading = p;
    return p;
  }

  private slot(i: number): Slot {
    const cur = this.slots[i];
    if (cur) return cur;
    const worker = this.createWorker(i);
    const remote = Comlink.wrap<EmulateApi>(worker);
    const slot: Slot = { index: i, worker, remote, pending: new Set(), kernel: Promise.resolve({ flavor: null }), gen: -1, loading: null, tail: Promise.resolve(), hid: -1 };
    const onCrash = (ev: Event) => {
      const detail = (ev as ErrorEvent).message;
      const msg = detail ? detail : ev.type === 'messageerror' ? 'a message could not be read' : 'uncaught error in the worker script';
      if (this.slots[i] === slot) this.kill(i, new EmulatorCrashedError(msg));
    };
    worker.addEventListener('error', onCrash as EventListener);
    worker.addEventListener('messageerror', onCrash as EventListener);
    this.slots[i] = slot;
    slot.kernel = this.call(slot, (r) => r.init());
    slot.kernel.catch(() => undefined);
    return slot;
  }

  private call<T>(slot: Slot, fn: (r: Comlink.Remote<EmulateApi>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.slots[slot.index] !== slot) {
        reject(new CancelledError());
        return;
      }
      const fail = (e: Error) => reject(e);
      slot.pending.add(fail);
      fn(slot.remote).then(
        (v) => {
          slot.pending.delete(fail);
          resolve(v);
        },
        (e: unknown) => {
          slot.pending.delete(fail);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private kill(i: number, reason: Error): void {
    const slot = this.slots[i];
    if (!slot) return;
    this.slots[i] = null;
    slot.worker.terminate();
    for (const fail of slot.pending) fail(reason);
    slot.pending.clear();
  }
}

let shared: EmulatorPool | null = null;

/** The page-wide pool (the Graph and Layers panes share one model). */
export function emulatorPool(): EmulatorPool {
  shared ??= new EmulatorPool();
  return shared;
}
