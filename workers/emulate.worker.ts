/**
 * Emulate worker: a thin comlink facade over src/core/model (loading), src/core/emulate (the
 * forward pass with quant points) and src/core/kernels (the WASM quantize, integer block GEMM and
 * float32 GEMM kernels). One worker of the pool in src/services/emulatorPool.ts; each holds its own model and
 * tokenized evaluation text, and evaluates the token ranges the pool hands it.
 *
 * The only decisions made here: where bytes come from (fetch for the shipped default and URLs, the
 * structured-cloned files for local folders), which kernel builds load, and how much of the
 * evaluation text to tokenize.
 */
import * as Comlink from 'comlink';
import { Emulator, type EmulatorKernels } from '../src/core/emulate';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels, type KernelFlavor } from '../src/core/kernels';
import { loadModel, modelSourceFromFiles, modelSourceFromUrl, type LoadedModel, type ModelFileSource } from '../src/core/model';
import { GptqRounder, HessianAccumulator, type Hessians } from '../src/core/rounding';
import type { EmulateApi, EvalRequest, HessianEntry, KernelInfo, LoadProgress, ModelInfo, ModelSourceSpec, SensitivityEntry, SensitivityRequest, WeightRounding } from './api/emulate.api';

// Static URLs so Vite sees every build and emits it as an asset (a template literal would not be
// resolved at build time).
const KERNEL_URLS: Record<string, URL> = {
  'quantize.relaxed.wasm': new URL('./kernels/build/quantize.relaxed.wasm', import.meta.url),
  'quantize.simd.wasm': new URL('./kernels/build/quantize.simd.wasm', import.meta.url),
  'gemm.relaxed.wasm': new URL('./kernels/build/gemm.relaxed.wasm', import.meta.url),
  'gemm.simd.wasm': new URL('./kernels/build/gemm.simd.wasm', import.meta.url),
  'f32gemm.relaxed.wasm': new URL('./kernels/build/f32gemm.relaxed.wasm', import.meta.url),
  'f32gemm.simd.wasm': new URL('./kernels/build/f32gemm.simd.wasm', import.meta.url),
};

async function fetchKernel(file: string): Promise<ArrayBuffer> {
  const url = KERNEL_URLS[file];
  if (!url) throw new Error(`unknown kernel file ${file}`);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** The shipped default model and the evaluation text (public/models/sotu-llama-1m, served at the site root). */
const DEFAULT_DIR = new URL(`${import.meta.env.BASE_URL}models/sotu-llama-1m/`, self.location.origin).href;
const DEFAULT_NAME = 'sotu-llama-1m';
const EVAL_TEXT_URL = new URL('test.txt', DEFAULT_DIR).href;
const EVAL_TEXT_NAME = 'sotu-llama-1m/test.txt (held-out State of the Union addresses)';

let kernels: EmulatorKernels = {};
let kernelInfo: Promise<KernelInfo> | null = null;

async function loadKernels(): Promise<KernelInfo> {
  const first: KernelFlavor = detectFlavor();
  const tried: string[] = [];
  for (const flavor of first === 'relaxed' ? (['relaxed', 'simd'] as const) : (['simd'] as const)) {
    try {
      const [quant, gemm, f32gemm] = await Promise.all([loadQuantKernels(fetchKernel, flavor), loadGemmKernel(fetchKernel, flavor), loadF32GemmKernel(fetchKernel, flavor)]);
      kernels = { quant, gemm, f32gemm };
      return { flavor };
    } catch (e) {
      tried.push(`${flavor}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { flavor: null, message: `WASM kernels unavailable, the emulator runs on core's TypeScript (${tried.join('; ')})` };
}

function init(): Promise<KernelInfo> {
  kernelInfo ??= loadKernels();
  return kernelInfo;
}

interface Loaded {
  model: LoadedModel;
  emulator: Emulator;
  info: ModelInfo;
  /** Tokens of the evaluation text: a stable prefix (see ensureTokens). */
  tokens: number[];
  /** True when `tokens` covers the whole text. */
  complete: boolean;
  /** After calibrate() / setHessians(): the emulator whose MXInt linear weights are GPTQ-rounded (its fp32 reference keeps the model's weights). */
  gptq: Emulator | null;
}

/** The emulator a request's weight rounding asks for. */
function emulatorFor(l: Loaded, rounding: WeightRounding | undefined): Emulator {
  if (rounding !== 'gptq') return l.emulator;
  if (!l.gptq) throw new Error('GPTQ weights were asked for, but this worker has no calibration (calibrate or setHessians first)');
  return l.gptq;
}

function useHessians(l: Loaded, h: Hessians): void {
  const rounder = new GptqRounder(l.model, l.emulator.graph, h);
  l.gptq = new Emulator(l.model, kernels, { weightSource: (p, s) => rounder.rounded(p, s) });
}

let current: Loaded | null = null;
let evalText: Promise<string> | null = null;

function fetchEvalText(): Promise<string> {
  evalText ??= fetch(EVAL_TEXT_URL).then(async (r) => {
    if (!r.ok) throw new Error(`The evaluation text ${EVAL_TEXT_URL} could not be fetched (HTTP ${r.status})`);
    return r.text();
  });
  // A failed fetch may be retried on the next load.
  evalText.catch(() => (evalText = null));
  return evalText;
}

/**
 * Tokens must agree between workers and between budgets: always tokenize a prefix from the same
 * ladder of lengths (64 K chars × 2^k) and keep only tokens well before the cut (BPE never merges
 * across the pre-tokenizer's splits, so tokens far from the cut do not depend on where it is).
 */
const CUT_MARGIN = 64;
function ensureTokens(l: Loaded, text: string, need: number): void {
  if (l.complete || l.tokens.length >= need) return;
  let chars = 65536;
  for (;;) {
    const whole = chars >= text.length;
    const ids = l.model.tokenizer.encode(whole ? text : text.slice(0, chars));
    if (whole) {
      l.tokens = ids;
      l.complete = true;
      return;
    }
    if (ids.length - CUT_MARGIN >= need) {
      l.tokens = ids.slice(0, ids.length - CUT_MARGIN);
      return;
    }
    chars *= 2;
  }
}

function throttle<A extends unknown[]>(fn: ((...a: A) => void) | undefined, ms = 100): ((...a: A) => void) | undefined {
  if (!fn) return undefined;
  let last = 0;
  return (...a: A) => {
    const now = performance.now();
    if (now - last >= ms) {
      last = now;
      fn(...a);
    }
  };
}

function sourceOf(src: ModelSourceSpec): ModelFileSource {
  if (src.kind === 'files') return modelSourceFromFiles(src.files, src.name);
  const url = src.kind === 'default' ? DEFAULT_DIR : src.url;
  const s = modelSourceFromUrl(url, (u) => fetch(u));
  return src.kind === 'default' ? { name: DEFAULT_NAME, read: (f) => s.read(f) } : s;
}

let controller: AbortController | null = null;

function tokensFor(l: Loaded, start: number, end: number): number[] {
  if (!(start >= 0 && end > start)) throw new Error(`bad token range [${start}, ${end})`);
  if (end > l.tokens.length) throw new Error(`token range [${start}, ${end}) is past the ${l.tokens.length} tokens of the evaluation text`);
  return l.tokens.slice(start, end);
}

const api: EmulateApi = {
  init,

  async load(src, maxTokens, onProgress) {
    await init();
    const t0 = performance.now();
    const progress = throttle((p: LoadProgress) => onProgress?.(p));
    const textP = fetchEvalText();
    let bytes = 0;
    // Build everything in locals: a failure keeps the model this worker already has.
    const model = await loadModel(sourceOf(src), {
      onProgress: (p) => {
        bytes = p.loaded;
        progress?.({ file: p.file, loaded: p.loaded });
      },
    });
    const text = await textP;
    const emulator = new Emulator(model, kernels);
    const info: ModelInfo = {
      name: model.name,
      config: model.config,
      numParams: model.numParams,
      weightFiles: 'weightFiles' in model ? [...(model as { weightFiles: readonly string[] }).weightFiles] : [],
      bytes,
      ms: 0,
      evalText: { name: EVAL_TEXT_NAME, chars: text.length, tokens: 0 },
    };
    const l: Loaded = { model, emulator, info, tokens: [], complete: false, gptq: null };
    ensureTokens(l, text, maxTokens);
    info.evalText.tokens = l.tokens.length;
    info.ms = performance.now() - t0;
    current = l;
    return info;
  },

  async evaluate(req: EvalRequest, onProgress) {
    const l = current;
    if (!l) throw new Error('No model is loaded in this worker');
    ensureTokens(l, await fetchEvalText(), req.end);
    controller = new AbortController();
    try {
      return await emulatorFor(l, req.rounding).evaluate(tokensFor(l, req.start, req.end), req.config, {
        mode: req.mode,
        window: req.window,
        reference: req.reference,
        onProgress: throttle(onProgress),
        signal: controller.signal,
      });
    } finally {
      controller = null;
    }
  },

  async sensitivity(req: SensitivityRequest, onProgress): Promise<SensitivityEntry[]> {
    const l = current;
    if (!l) throw new Error('No model is loaded in this worker');
    ensureTokens(l, await fetchEvalText(), req.end);
    controller = new AbortController();
    try {
      const out = await emulatorFor(l, req.rounding).sensitivity(tokensFor(l, req.start, req.end), req.base, req.spec, {
        mode: req.mode,
        window: req.window,
        onProgress: throttle(onProgress),
        signal: controller.signal,
      });
      return out.map((e) => ({ point: e.point, deltaLoss: e.deltaLoss }));
    } finally {
      controller = null;
    }
  },

  async calibrate(req, onProgress): Promise<HessianEntry[]> {
    const l = current;
    if (!l) throw new Error('No model is loaded in this worker');
    ensureTokens(l, await fetchEvalText(), req.end);
    const ids = tokensFor(l, req.start, req.end);
    controller = new AbortController();
    const signal = controller.signal;
    const progress = throttle(onProgress);
    try {
      // window by window (the same sums as the CLI's calibrationHessians), yielding between them so abort() gets through
      const acc = new HessianAccumulator(l.emulator);
      const total = Math.ceil(ids.length / req.window);
      for (let w = 0; w < total; w++) {
        acc.add(ids.slice(w * req.window, (w + 1) * req.window));
        progress?.(w + 1, total);
        await new Promise((r) => setTimeout(r, 0));
        if (signal.aborted) throw new DOMException('calibration aborted', 'AbortError');
      }
      const h = acc.finish();
      useHessians(l, h);
      return [...h].map(([op, e]) => ({ op, K: e.K, rows: e.rows, h: e.h }));
    } finally {
      controller = null;
    }
  },

  setHessians(h) {
    const l = current;
    if (!l) throw new Error('No model is loaded in this worker');
    if (!h) {
      l.gptq = null;
      return;
    }
    const graph = l.emulator.graph;
    for (const e of h) {
      const op = graph.opById.get(e.op);
      if (!op || op.type !== 'linear' || e.h.length !== e.K * e.K) throw new Error(`calibration does not fit ${l.info.name}: ${e.op}`);
    }
    useHessians(l, new Map(h.map((e) => [e.op, e])));
  },

  abort() {
    controller?.abort();
  },
};

Comlink.expose(api);
