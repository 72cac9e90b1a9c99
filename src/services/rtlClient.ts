/**
 * The page's door to workers/rtl.worker.ts (RTL generation and zipping for the Verilog pane).
 *
 * - one generation at a time: a new `generate` cancels the one in flight (the pane regenerates when
 *   the design point changes; only the latest matters);
 * - cancel = terminate the worker (generation is synchronous work in it: nothing else stops it); the
 *   next call starts a fresh worker, which reloads the model;
 * - a worker that dies (out of memory, a failed module load) settles the pending call with a
 *   'worker' failure instead of leaving it hanging.
 */
import * as Comlink from 'comlink';
import type { BundleFiles, RtlApi, RtlOutcome, RtlProgress, RtlRequest } from '../../workers/api/rtl.api';
import type { WorkerLike } from './quantizeClient';

export type { BundleFiles, RtlOutcome, RtlProgress, RtlRequest };

export class RtlCancelledError extends Error {
  override readonly name = 'RtlCancelledError';
  constructor() {
    super('RTL generation cancelled.');
  }
}

function defaultWorker(): WorkerLike {
  return new Worker(new URL('../../workers/rtl.worker.ts', import.meta.url), { type: 'module', name: 'rtl' });
}

interface Live {
  worker: WorkerLike;
  remote: Comlink.Remote<RtlApi>;
  pending: Set<(e: Error) => void>;
}

export class RtlClient {
  private live: Live | null = null;
  private generating: ((e: Error) => void) | null = null;

  constructor(private readonly createWorker: () => WorkerLike = defaultWorker) {}

  /**
   * Build a design point's bundle. Resolves with the outcome (`ok: false` when the generator refuses
   * it, the model cannot be loaded, or the worker failed); rejects only with RtlCancelledError, after
   * cancel() or when a newer generate() replaced this one.
   */
  async generate(req: RtlRequest, onProgress?: (p: RtlProgress) => void): Promise<RtlOutcome> {
    if (this.generating) this.cancel();
    try {
      // Plain data only: the request may hold frozen store objects; the files Map is cloned.
      const plain: RtlRequest = { ...req, quant: { version: req.quant.version, rules: req.quant.rules.map(([p, s]) => [p, s] as [string, string]) }, ops: req.ops === 'all' ? 'all' : [...req.ops], lanes: JSON.parse(JSON.stringify(req.lanes)) };
      return await this.call<RtlOutcome>((r) => r.generate(plain, onProgress ? Comlink.proxy(onProgress) : undefined), true);
    } catch (e) {
      if (e instanceof RtlCancelledError) throw e;
      return { ok: false, error: { kind: 'worker', message: e instanceof Error ? e.message : String(e) } };
    }
  }

  /** Zip a bundle in the worker (deterministic bytes; entries under `folder` when given). */
  zip(files: BundleFiles, folder?: string): Promise<Uint8Array> {
    return this.call((r) => r.zip(files, folder), false);
  }

  /** Stop what runs now: pending calls reject with RtlCancelledError; the next call starts a new worker. */
  cancel(): void {
    this.kill(new RtlCancelledError());
  }

  dispose(): void {
    this.kill(new RtlCancelledError());
  }

  private ensure(): Live {
    if (this.live) return this.live;
    const worker = this.createWorker();
    const live: Live = { worker, remote: Comlink.wrap<RtlApi>(worker), pending: new Set() };
    const onCrash = (ev: Event) => {
      const detail = (ev as ErrorEvent).message;
      const msg = detail || (ev.type === 'messageerror' ? 'a message could not be read' : 'an uncaught error in the worker script, or it ran out of memory');
      if (this.live === live) this.kill(new Error(`The RTL worker stopped (${msg}). It restarts on the next request.`));
    };
    worker.addEventListener('error', onCrash as EventListener);
    worker.addEventListener('messageerror', onCrash as EventListener);
    this.live = live;
    return live;
  }

  private call<T>(fn: (r: Comlink.Remote<RtlApi>) => Promise<T>, isGenerate: boolean): Promise<T> {
    const live = this.ensure();
    return new Promise<T>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      live.pending.add(fail);
      if (isGenerate) this.generating = fail;
      const done = () => {
        live.pending.delete(fail);
        if (this.generating === fail) this.generating = null;
      };
      fn(live.remote).then(
        (v) => {
          done();
          resolve(v);
        },
        (e: unknown) => {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private kill(reason: Error): void {
    const live = this.live;
    this.generating = null;
    if (!live) return;
    this.live = null;
    live.worker.terminate();
    for (const fail of live.pending) fail(reason);
    live.pending.clear();
  }
}

let shared: RtlClient | null = null;

/** The page-wide RTL client (one worker). */
export function rtlClient(): RtlClient {
  shared ??= new RtlClient();
  return shared;
}
