/**
 * The one contract of workers/rtl.worker.ts (RTL generation for the Verilog pane), shared by the
 * worker (ring 2) and src/services/rtlClient.ts (ring 3). Types only.
 *
 * Generation encodes the weights and runs the emulator's integer mode for the testbench vectors,
 * so it runs in its own worker with its own copy of the model. Failures come back as values
 * (`{ ok: false, error }`): comlink would carry only an Error's message, and the pane shows the
 * generator's RtlError as it is (which layer, and why). Cancel = terminate the worker.
 */
import type { QuantConfig } from '../../src/core/graph';
import type { BundleFiles, RtlLanes } from '../../src/core/rtl/bundle';
import type { HessianEntry, ModelSourceSpec } from './emulate.api';

export type { BundleFiles, HessianEntry, ModelSourceSpec, RtlLanes };

/** The design point to build. */
export interface RtlRequest {
  /** Where the model comes from (the worker caches the last one it loaded, by `modelKey`). */
  readonly source: ModelSourceSpec;
  /** Identifies the model's bytes (same key = same model: the worker does not reload it). */
  readonly modelKey: string;
  readonly quant: QuantConfig;
  /** Op ids to build, or 'all' for every op the generator supports. */
  readonly ops: readonly string[] | 'all';
  readonly lanes: RtlLanes;
  /** Stimulus tokens for the vectors (the first N of the default evaluation text). */
  readonly tokens: number;
  /**
   * GPTQ weights (the document's weight rounding): the emulate pool's calibration of this model,
   * by id (the worker rounds once per id and format). Absent: round to nearest.
   */
  readonly gptq?: { readonly id: string; readonly hessians: readonly HessianEntry[] };
}

/** Progress, at most ~10 times a second. */
export type RtlProgress = { readonly phase: 'model'; readonly file?: string; readonly loaded?: number } | { readonly phase: 'layers'; readonly done: number; readonly total: number; readonly op: string } | { readonly phase: 'bundle' };

/** What the pane shows when a design point cannot be built. */
export interface RtlFailure {
  /** 'rtl': the generator or the bundle refused the request (RtlError: `target` + `reason`); 'model': the model could not be loaded; 'worker': anything else. */
  readonly kind: 'rtl' | 'model' | 'worker';
  readonly message: string;
  /** RtlError's target (the layer, e.g. `L0.q`, or `bundle`). */
  readonly target?: string;
}

export interface RtlResult {
  /** The whole bundle (generated files + Makefile, synth.ys, manifest.json, README.md). */
  readonly files: BundleFiles;
  readonly ops: readonly string[];
  readonly testbenches: number;
  /** Wall time of the generation in the worker, ms. */
  readonly ms: number;
}

export type RtlOutcome = { readonly ok: true; readonly result: RtlResult } | { readonly ok: false; readonly error: RtlFailure };

export interface RtlApi {
  /** Build the design point's bundle. Never rejects for a request the generator refuses: that is `{ ok: false }`. */
  generate(req: RtlRequest, onProgress?: (p: RtlProgress) => void): Promise<RtlOutcome>;
  /** Zip a bundle (deterministic; entries under `folder`). The bytes come back transferred. */
  zip(files: BundleFiles, folder?: string): Promise<Uint8Array>;
}
