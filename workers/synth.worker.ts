/**
 * Synthesis worker: a thin comlink facade over src/core/hdl's `synthesize`, running YoWASP's
 * Yosys 0.55 (WebAssembly) in a dedicated module worker so a multi-second Yosys run never blocks
 * the page. Everything it decides is tested in core; here Yosys is loaded and wired in.
 *
 * YoWASP loads its resources relative to its own module (`new URL('./yosys.core.wasm',
 * import.meta.url)` and a dynamic import of its bundled share/ files); Vite emits them as assets
 * of this worker, so synthesis works offline from the app's own files. The run blocks this
 * thread until Yosys exits, so cancel means terminating the worker (src/services/synthClient.ts).
 */
import * as Comlink from 'comlink';
import { runYosys, version } from '@yowasp/yosys';
import { HdlError, synthesize, yowaspRun, type HdlDesign, type SynthFlowId } from '../src/core/hdl';
import type { SynthApi, SynthEvent, SynthFailure, SynthInfo, SynthOutcome } from './api/synth.api';

let loading: Promise<number> | null = null;

/** Resolves with the load time (ms) of the first call; YoWASP caches the compiled modules. */
function load(): Promise<number> {
  if (!loading) {
    const t0 = performance.now();
    // runYosys() without arguments only fetches and compiles the resources.
    loading = Promise.resolve(runYosys()).then(() => performance.now() - t0);
    // A failed load can be retried by the next call (the client also restarts crashed workers).
    loading.catch(() => (loading = null));
  }
  return loading;
}

function failure(e: unknown): SynthFailure {
  if (e instanceof HdlError) return { kind: e.kind, message: e.message, ...(e.where ? { where: e.where } : {}) };
  return { kind: 'tool', message: `Yosys failed: ${e instanceof Error ? e.message : String(e)}` };
}

const api: SynthApi = {
  async init(): Promise<SynthInfo> {
    const first = !loading;
    const ms = await load();
    return { yowasp: version, loadMs: first ? ms : 0 };
  },

  async run(design: HdlDesign, flows: SynthFlowId[], onEvent: (e: SynthEvent) => void): Promise<SynthOutcome> {
    try {
      await load();
      // Proxy calls are fire-and-forget messages; they leave at once even while Yosys blocks the thread.
      const report = await synthesize(yowaspRun(runYosys), design, flows, {
        onLog: (text) => void onEvent({ kind: 'log', text }),
        onProgress: (progress) => void onEvent({ kind: 'progress', progress }),
      });
      return { ok: true, report };
    } catch (e) {
      return { ok: false, error: failure(e) };
    }
  },
};

Comlink.expose(api);
