/**
 * The page's door to workers/synth.worker.ts (Yosys in WebAssembly), and the synthesis log feed.
 *
 * - cancel: terminate the worker — a Yosys run blocks its thread, so nothing else can stop it —
 *   and start a fresh one lazily on the next call (it recompiles Yosys, a few seconds);
 * - crash detection: a worker that dies (out of memory, a failed module load) settles the pending
 *   call with a 'tool' failure instead of leaving it hanging;
 * - the log: every run's Yosys output goes to `synthLog`, a bounded feed any view can follow
 *   (the cost pane's terminal, the terminal pane) with back-pressure on its own side.
 */
import * as Comlink from 'comlink';
import type { HdlDesign, SynthApi, SynthEvent, SynthFlowId, SynthInfo, SynthOutcome, SynthProgress } from '../../workers/api/synth.api';
import type { WorkerLike } from './quantizeClient';

export type { HdlDesign, SynthFlowId, SynthOutcome, SynthProgress };

export class SynthCancelledError extends Error {
  override readonly name = 'SynthCancelledError';
  constructor() {
    super('Synthesis cancelled.');
  }
}

function defaultWorker(): WorkerLike {
  return new Worker(new URL('../../workers/synth.worker.ts', import.meta.url), { type: 'module', name: 'synth' });
}

// ------------------------------------------------------------------------------------ log feed

/** Log text by sequence; listeners get every chunk appended after they subscribed. */
export class LogFeed {
  private chunks: string[] = [];
  private size = 0;
  private listeners = new Set<(text: string) => void>();
  /** Bumped by clear(), so a view can tell a new log from more of the same. */
  generation = 0;

  /** Keeps at most `limit` characters, dropping the oldest chunks (a terminal has its own scrollback). */
  constructor(private readonly limit = 4 * 1024 * 1024) {}

  append(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    for (const l of this.listeners) l(text);
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.generation++;
    for (const l of this.listeners) l('');
  }

  /** Everything kept so far. */
  text(): string {
    return this.chunks.join('');
  }

  /** Follow the feed; `''` means it was cleared. Returns the unsubscribe function. */
  subscribe(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The synthesis log of this page: one feed, every run appends, a new run clears it. */
export const synthLog = new LogFeed();

// ------------------------------------------------------------------------------------ client

interface Live {
  worker: WorkerLike;
  remote: Comlink.Remote<SynthApi>;
  /** Settles the pending call when the worker is killed or dies. */
  pending: Set<(e: Error) => void>;
}

export interface RunHooks {
  onProgress?(p: SynthProgress): void;
  onLog?(text: string): void;
}

export class SynthClient {
  private live: Live | null = null;

  constructor(private readonly createWorker: () => WorkerLike = defaultWorker) {}

  /** Load Yosys in the worker (fetch + compile once). */
  init(): Promise<SynthInfo> {
    return this.call((r) => r.init());
  }

  /**
   * Synthesise. Resolves with the outcome (`ok: false` for a bad design, Verilog that does not
   * parse, or a Yosys/worker failure); rejects only with SynthCancelledError after cancel().
   */
  async run(design: HdlDesign, flows: SynthFlowId[], hooks: RunHooks = {}): Promise<SynthOutcome> {
    const onEvent = (e: SynthEvent) => {
      if (e.kind === 'log') hooks.onLog?.(e.text);
      else hooks.onProgress?.(e.progress);
    };
    try {
      // Plain data only: the design may come from a store with frozen or proxied objects. The
      // parameter overrides travel too (a generated layer's MEM: without it Yosys elaborates the
      // defaults, whose weight files do not exist).
      const plain: HdlDesign = { files: { ...design.files }, top: design.top, ...(design.params ? { params: { ...design.params } } : {}) };
      return await this.call<SynthOutcome>((r) => r.run(plain, [...flows], Comlink.proxy(onEvent)));
    } catch (e) {
      if (e instanceof SynthCancelledError) throw e;
      return { ok: false, error: { kind: 'tool', message: e instanceof Error ? e.message : String(e) } };
    }
  }

  /** Stop what runs now: the pending call rejects with SynthCancelledError; the next call starts a new worker. */
  cancel(): void {
    this.kill(new SynthCancelledError());
  }

  dispose(): void {
    this.kill(new SynthCancelledError());
  }

  private ensure(): Live {
    if (this.live) return this.live;
    const worker = this.createWorker();
    const live: Live = { worker, remote: Comlink.wrap<SynthApi>(worker), pending: new Set() };
    const onCrash = (ev: Event) => {
      const detail = (ev as ErrorEvent).message;
      const msg = detail || (ev.type === 'messageerror' ? 'a message could not be read' : 'an uncaught error in the worker script, or the Yosys WebAssembly could not be loaded');
      if (this.live === live) this.kill(new Error(`The synthesis worker stopped (${msg}). It restarts on the next run.`));
    };
    worker.addEventListener('error', onCrash as EventListener);
    worker.addEventListener('messageerror', onCrash as EventListener);
    this.live = live;
    return live;
  }

  private call<T>(fn: (r: Comlink.Remote<SynthApi>) => Promise<T>): Promise<T> {
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

let shared: SynthClient | null = null;

/** The page-wide synthesis client (one Yosys worker; a new run waits for or cancels the old one). */
export function synthClient(): SynthClient {
  shared ??= new SynthClient();
  return shared;
}
