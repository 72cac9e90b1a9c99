/**
 * The one contract of workers/synth.worker.ts (in-browser Yosys synthesis), shared by the worker
 * (ring 2) and src/services/synthClient.ts (ring 3). Types only.
 *
 * Failures come back as a value (`{ ok: false, error }`), not a thrown error: comlink would carry
 * only an Error's message across the port, and the UI needs the kind and the file/line.
 * Cancel = terminate the worker (the Yosys run blocks the worker's thread; nothing else stops it).
 */
import type { HdlDesign, SynthFlowId, SynthProgress, SynthReport } from '../../src/core/hdl';

export type { HdlDesign, SynthFlowId, SynthProgress, SynthReport };

export interface SynthInfo {
  /** The @yowasp/yosys package version running in the worker ("0.55.944"). */
  readonly yowasp: string;
  /** Time to fetch and compile the Yosys WebAssembly (≈ 31 MB), ms; 0 when it was already loaded. */
  readonly loadMs: number;
}

/** What the worker streams during a run: log text (batched) and progress, each at most ~10 times a second. */
export type SynthEvent = { readonly kind: 'log'; readonly text: string } | { readonly kind: 'progress'; readonly progress: SynthProgress };

/** A failure the UI can show as is: HdlError's kind, message and location. */
export interface SynthFailure {
  /** 'request': the design was rejected before Yosys ran; 'verilog': it does not parse/elaborate; 'tool': Yosys (or its loading) failed. */
  readonly kind: 'request' | 'verilog' | 'tool';
  readonly message: string;
  readonly where?: { readonly file: string; readonly line: number };
}

export type SynthOutcome = { readonly ok: true; readonly report: SynthReport } | { readonly ok: false; readonly error: SynthFailure };

export interface SynthApi {
  /** Fetch and compile Yosys once (idempotent). Rejects when the WebAssembly cannot be loaded. */
  init(): Promise<SynthInfo>;
  /**
   * Synthesise `design` with each flow in turn (core's `synthesize`). `onEvent` is a comlink proxy.
   * Never rejects for a bad design or Verilog: that is `{ ok: false }`.
   */
  run(design: HdlDesign, flows: SynthFlowId[], onEvent: (e: SynthEvent) => void): Promise<SynthOutcome>;
}
