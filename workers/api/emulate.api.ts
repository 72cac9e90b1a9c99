/**
 * The one contract of workers/emulate.worker.ts, shared by the worker (ring 2) and the UI's
 * src/services/emulatorPool.ts (ring 3). Types only: importing this file costs nothing at runtime.
 *
 * Every worker of the pool holds its own copy of the model and of the tokenized evaluation text;
 * the pool gives each worker a window-aligned slice of the tokens ([start, end)) and merges the
 * results, so an evaluation scales with the number of workers.
 */
import type { EvalMode, EvalResult, PointStats } from '../../src/core/emulate/types';
import type { QuantConfig } from '../../src/core/graph';
import type { ModelConfig } from '../../src/core/model/types';
import type { KernelInfo } from './quantize.api';

export type { EvalMode, EvalResult, KernelInfo, PointStats };

/** Where a worker gets the model from. Local files are structured-cloned into each worker. */
export type ModelSourceSpec =
  | { kind: 'default' }
  /** A Hugging Face repo URL (https://huggingface.co/ORG/NAME[/tree/REV]) or a raw folder URL. */
  | { kind: 'url'; url: string }
  /** Dropped or picked files: relative path (as the browser gives it) → bytes. */
  | { kind: 'files'; name: string; files: Map<string, Uint8Array> };

/** What the UI shows about a loaded model (plain data: the graph is rebuilt from `config` by core's buildGraph). */
export interface ModelInfo {
  /** Display name (the default model's folder, the HF repo, the URL or the dropped folder). */
  name: string;
  config: ModelConfig;
  numParams: number;
  /** Weight files read (model.safetensors or the shards). */
  weightFiles: string[];
  /** Bytes read, all files together. */
  bytes: number;
  /** Wall time of loading and tokenizing in the worker (ms). */
  ms: number;
  /** The evaluation text: the default model's held-out test split, tokenized with this model's tokenizer. */
  evalText: { name: string; chars: number; tokens: number };
}

/** Loading progress: the file just read and the bytes read so far. */
export interface LoadProgress {
  file: string;
  loaded: number;
}

/**
 * How the linear weights are put on their formats' grids: the format's round-to-nearest, or GPTQ
 * (src/core/rounding: through each layer's calibration Hessian; MXInt weights only). The fp32
 * reference always keeps the model's own weights.
 */
export type WeightRounding = 'nearest' | 'gptq';

/** One linear op's calibration Hessian Σ x xᵀ (K × K, float64), as calibrate() returns it and setHessians() takes it. */
export interface HessianEntry {
  op: string;
  K: number;
  rows: number;
  h: Float64Array;
}

export interface CalibrationRequest {
  /** Token range [start, end) of the evaluation text; cut into windows of `window`. */
  start: number;
  end: number;
  window: number;
}

export interface EvalRequest {
  config: QuantConfig;
  mode: EvalMode;
  /** Weight rounding (default nearest); gptq needs calibrate() or setHessians() on this worker first. */
  rounding?: WeightRounding;
  /** Token range [start, end) of the evaluation text; start is a multiple of `window`. */
  start: number;
  end: number;
  /** Window length in tokens (≤ the model's context). */
  window: number;
  /** Compare with fp32 (KL, top-1 agreement); default true for fake/integer. */
  reference?: boolean;
}

export interface SensitivityRequest {
  /** The configuration every point is measured against (usually the current one). */
  base: QuantConfig;
  /** The format each point is set to, alone. */
  spec: string;
  mode: EvalMode;
  rounding?: WeightRounding;
  start: number;
  end: number;
  window: number;
}

/** Δ mean NLL (nats per token) when `point` alone is set to the sweep's format. */
export interface SensitivityEntry {
  point: string;
  deltaLoss: number;
}

export interface EmulateApi {
  /** Load the WASM kernels once (idempotent). Never throws: a failure is reported in `message`. */
  init(): Promise<KernelInfo>;
  /**
   * Load a model and tokenize at least `maxTokens` tokens of the evaluation text. On failure the
   * worker keeps the model it had (the error is the loader's ModelError, message as is).
   * `onProgress` is called at most 10 times a second.
   */
  load(src: ModelSourceSpec, maxTokens: number, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /** Evaluate tokens [start, end). `onProgress(done, total)` counts windows, at most 10 times a second. */
  evaluate(req: EvalRequest, onProgress?: (done: number, total: number) => void): Promise<EvalResult>;
  /** Each quant point alone at `spec` on top of `base`; Δ loss per point over tokens [start, end). */
  sensitivity(req: SensitivityRequest, onProgress?: (done: number, total: number) => void): Promise<SensitivityEntry[]>;
  /**
   * GPTQ calibration: run tokens [start, end) through the integer datapath (uniform MXINT8) and
   * collect every linear op's input Hessian; this worker then evaluates `rounding: 'gptq'` requests.
   * The Hessians come back for the pool's other workers (setHessians). Abortable.
   */
  calibrate(req: CalibrationRequest, onProgress?: (done: number, total: number) => void): Promise<HessianEntry[]>;
  /** Take another worker's calibration (null: forget it). Throws if they do not fit the loaded model. */
  setHessians(h: HessianEntry[] | null): void;
  /** Abort the evaluation or sweep in progress at its next window (it rejects with an AbortError). */
  abort(): void;
}
