/**
 * The page's only door to workers/search.worker.ts. The search worker runs the driver, strategies
 * and cost model; it asks the page for forward passes, which this client runs on the emulate pool
 * (the model the studio has loaded), each evaluation split by token ranges over the pool's workers.
 *
 * Why not one evaluation per pool worker: the driver scores a batch's trials one after another
 * (runSearch awaits each), so trials never overlap; splitting each evaluation over the workers uses
 * every core without changing the driver, and keeps a trial's numbers identical to what the Layers
 * pane computes for the same config, mode and budget (same ranges, same windows, same merge).
 *
 * - start(): one search per worker; a fresh worker per start (nothing carries over).
 * - pause() / resume(): the worker holds before its next evaluation (the one in flight finishes).
 * - cancel(): terminates the search worker and aborts the pool job in flight (the pool workers stop
 *   at their next window and keep the model); start() rejects with CancelledError.
 * - A search worker that dies rejects start() with SearchCrashedError; an emulate worker that dies
 *   surfaces as the pool's EmulatorCrashedError (error name kept across both ports). Either way the
 *   trials already reported stay with the caller, which records them to resume.
 * - An evaluation cancelled by someone else (the Layers pane's Cancel terminates the pool) is retried.
 */
import * as Comlink from 'comlink';
import type { QuantConfig } from '../core/graph';
import type { EvalMode, EvalResult, SensitivityEntry, WeightRounding } from '../../workers/api/emulate.api';
import type { SearchApi, SearchHost, SearchOutcome, SearchRequest, SearchUpdate } from '../../workers/api/search.api';
import { CancelledError, emulatorPool, partition, type EmulatorPool } from './emulatorPool';
import type { WorkerLike } from './quantizeClient';

export { CancelledError };

export class SearchCrashedError extends Error {
  override readonly name = 'SearchCrashedError';
  constructor(detail: string) {
    super(`The search worker crashed (${detail}).`);
  }
}

/** The part of the emulate pool the search uses. */
export type SearchPool = Pick<EmulatorPool, 'evaluate' | 'sensitivity' | 'workers'>;

function defaultWorker(): WorkerLike {
  return new Worker(new URL('../../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'search' });
}

/** Tries of one evaluation when the pool was cancelled under it by another pane. */
const RETRIES = 3;

interface Live {
  worker: WorkerLike;
  remote: Comlink.Remote<SearchApi>;
  ctl: AbortController;
  fail: (e: Error) => void;
  rounding: WeightRounding;
}

export class SearchClient {
  private live: Live | null = null;

  constructor(
    private readonly pool: SearchPool = emulatorPool(),
    private readonly createWorker: () => WorkerLike = defaultWorker,
  ) {}

  running(): boolean {
    return this.live !== null;
  }

  /** Run (or resume, with `req.known`) a search; `onUpdate` gets the worker's coalesced progress. */
  /**
   * `opts.rounding` 'gptq': every quantized evaluation uses the pool's GPTQ weights (the caller makes
   * sure the pool has a calibration of the loaded model first).
   */
  start(req: SearchRequest, onUpdate: (u: SearchUpdate) => void, opts: { rounding?: WeightRounding } = {}): Promise<SearchOutcome> {
    if (this.live) return Promise.reject(new Error('A search is already running'));
    const worker = this.createWorker();
    const remote = Comlink.wrap<SearchApi>(worker);
    const ctl = new AbortController();
    return new Promise<SearchOutcome>((resolve, reject) => {
      const live: Live = { worker, remote, ctl, fail: reject, rounding: opts.rounding ?? 'nearest' };
      this.live = live;
      const onCrash = (ev: Event) => {
        const detail = (ev as ErrorEvent).message;
        const msg = detail ? detail : ev.type === 'messageerror' ? 'a message could not be read' : 'uncaught error in the worker script';
        if (this.live === live) this.stop(new SearchCrashedError(msg));
      };
      worker.addEventListener('error', onCrash as EventListener);
      worker.addEventListener('messageerror', onCrash as EventListener);
      const host: SearchHost = {
        evaluate: (config, o) => this.retry(ctl.signal, () => this.evaluate(config, o, live.rounding, ctl.signal)),
        sensitivity: (base, spec, o) => this.retry(ctl.signal, () => this.sensitivity(base, spec, o, live.rounding, ctl.signal)),
        update: (u) => {
          if (this.live === live) onUpdate(u);
        },
      };
      remote.start(req, Comlink.proxy(host)).then(
        (out) => {
          if (this.live !== live) return;
          this.live = null;
          worker.terminate();
          resolve(out);
        },
        (e: unknown) => {
          if (this.live !== live) return;
          this.stop(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  pause(): void {
    void this.live?.remote.pause().catch(() => undefined);
  }

  resume(): void {
    void this.live?.remote.resume().catch(() => undefined);
  }

  /** Stop now: terminate the search worker, abort the pool job in flight; start() rejects with CancelledError. */
  cancel(): void {
    this.stop(new CancelledError());
  }

  private stop(reason: Error): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    live.ctl.abort();
    live.worker.terminate();
    live.fail(reason);
  }

  private evaluate(config: QuantConfig, o: { mode: EvalMode; window: number; maxTokens: number; reference?: boolean }, rounding: WeightRounding, signal: AbortSignal): Promise<EvalResult> {
    const ranges = partition(o.maxTokens, o.window, this.pool.workers());
    // (fp32 baselines have no weights to round)
    const r = o.mode === 'fp32' ? {} : { rounding };
    return this.pool.evaluate({ config, mode: o.mode, ranges, window: o.window, ...r, ...(o.reference === undefined ? {} : { reference: o.reference }) }, { signal });
  }

  private sensitivity(base: QuantConfig, spec: string, o: { mode: EvalMode; window: number; maxTokens: number }, rounding: WeightRounding, signal: AbortSignal): Promise<SensitivityEntry[]> {
    const ranges = partition(o.maxTokens, o.window, this.pool.workers());
    return this.pool.sensitivity({ base, spec, mode: o.mode, rounding, ranges, window: o.window }, { signal });
  }

  private async retry<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let k = 1; ; k++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof CancelledError) || signal.aborted || k >= RETRIES) throw e;
      }
    }
  }
}
