/**
 * The page's only door to workers/quantize.worker.ts. It adds what comlink alone does not give:
 * - cancel: terminate the worker (the only way to stop a synchronous WASM/TS loop) and start a
 *   fresh one lazily on the next call; pending calls reject with CancelledError;
 * - crash detection: a worker that dies (script error, failed module load) rejects every pending
 *   call with WorkerCrashedError instead of leaving promises hanging forever;
 * - transfer: the tensor sent to run() is transferred, so callers pass a copy they can give up.
 */
import * as Comlink from 'comlink';
import type { GenSettings } from '../core/tensors';
import type { KernelInfo, QuantizeApi, QuantizeRequest, QuantizeResult } from '../../workers/api/quantize.api';

/** The part of Worker this client uses, so tests can pass a MessagePort-based stand-in. */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
  constructor(detail: string) {
    super(`The quantize worker crashed (${detail}). It has been restarted; change a setting or press Ctrl+Enter to run again.`);
  }
}

function defaultWorker(): WorkerLike {
  // Vite bundles the worker as an ES module worker (vite.config.ts: worker.format = 'es').
  return new Worker(new URL('../../workers/quantize.worker.ts', import.meta.url), { type: 'module', name: 'quantize' });
}

interface Live {
  worker: WorkerLike;
  remote: Comlink.Remote<QuantizeApi>;
  pending: Set<(e: Error) => void>;
  info: Promise<KernelInfo>;
}

export class QuantizeClient {
  private live: Live | null = null;

  constructor(private readonly createWorker: () => WorkerLike = defaultWorker) {}

  /** Kernel flavor of the current worker (starts it when needed). */
  info(): Promise<KernelInfo> {
    return this.ensure().info;
  }

  generate(gen: GenSettings): Promise<Float32Array> {
    return this.call((r) => r.generate(gen));
  }

  /** Quantize. `req.data` is transferred: pass a copy if you still need the array. */
  run(req: QuantizeRequest): Promise<QuantizeResult> {
    return this.call((r) => r.run(Comlink.transfer(req, [req.data.buffer])));
  }

  /** Stop whatever runs now. Pending calls reject with CancelledError; the next call starts a new worker. */
  cancel(): void {
    this.kill(new CancelledError());
  }

  dispose(): void {
    this.kill(new CancelledError());
  }

  private ensure(): Live {
    if (this.live) return this.live;
    const worker = this.createWorker();
    const remote = Comlink.wrap<QuantizeApi>(worker);
    const live: Live = { worker, remote, pending: new Set(), info: Promise.resolve({ flavor: null }) };
    const onCrash = (ev: Event) => {
      const detail = (ev as ErrorEvent).message;
      const msg = detail ? detail : ev.type === 'messageerror' ? 'a message could not be read' : 'uncaught error in the worker script';
      if (this.live === live) this.kill(new WorkerCrashedError(msg));
    };
    worker.addEventListener('error', onCrash as EventListener);
    worker.addEventListener('messageerror', onCrash as EventListener);
    this.live = live;
    live.info = this.call((r) => r.init());
    // Mark as handled: a cancel during init must not surface as an unhandled rejection;
    // callers of info() still see it.
    live.info.catch(() => undefined);
    return live;
  }

  private call<T>(fn: (r: Comlink.Remote<QuantizeApi>) => Promise<T>): Promise<T> {
    const live = this.ensure();
    return new Promise<T>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      live.pending.add(fail);
      fn(live.remote).then(
        (v) => {
          live.pending.delete(fail);
          resolve(v);
        },
        (e: unknown) => {
          live.pending.delete(fail);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private kill(reason: Error): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    live.worker.terminate();
    for (const fail of live.pending) fail(reason);
    live.pending.clear();
  }
}

let shared: QuantizeClient | null = null;

/** The page-wide client (one quantize worker for the explorer; panes that need isolation make their own). */
export function quantizeClient(): QuantizeClient {
  shared ??= new QuantizeClient();
  return shared;
}
