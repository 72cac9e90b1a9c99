/**
 * The emulator's public types: modes, injected kernels, evaluation options and results.
 * Ring 1: no DOM, no Node built-ins (AbortSignal is described structurally for that reason).
 */
import type { ActFormat, F32Gemm } from '../datapath';
import type { FormatSpec } from '../formats';
import type { QuantKernels, GemmKernel, FloatKernel } from '../kernels';

/**
 * How the quant points are computed:
 *  - `fp32`: no quantization at all (the config is ignored).
 *  - `fake`: quantize→dequantize every quant point with its format, then the float32 GEMM of the
 *    dequantized operands (src/core/datapath/f32gemm.ts: float32 products summed in k order).
 *  - `integer`: the function the generated hardware computes (src/core/rtl/README.md): activations
 *    are ACT fixed point; linears and attention matmuls whose two operands are power-of-two block
 *    formats (mx, mxint, bfp) or fixed point run the exact integer block GEMM, y = fix(f32(S)); the
 *    other GEMMs fall back to `fake` (output fix()ed) and are listed in `fallbackOps`; every other
 *    op is the fixed-point twin in src/core/datapath/fixed.ts.
 */
export type EvalMode = 'fp32' | 'fake' | 'integer';

export const EVAL_MODES: readonly EvalMode[] = ['fp32', 'fake', 'integer'];

/**
 * Kernels the caller injects (bytes are loaded outside ring 1). Every field is optional; without
 * kernels everything runs on the TypeScript core (slow but the specification).
 *  - `quant`: block quantize/encode (bit-identical to src/core/formats).
 *  - `gemm`: the integer block GEMM (bit-identical to src/core/datapath's blockGemm).
 *  - `f32gemm`: the float32 GEMM of fp32/fake mode (loadF32GemmKernel; bit-identical to the
 *    contract of src/core/datapath/f32gemm.ts, which the TS default `tsF32Gemm` also computes).
 *    Its `float` ops (the kernel's softmax, SiLU and per-row lse/argmax/KL; bit-identical to
 *    linalg.ts) run fp32/fake mode's element-wise float64 ops and the evaluation's metrics.
 */
export interface EmulatorKernels {
  quant?: QuantKernels;
  gemm?: GemmKernel;
  f32gemm?: F32Gemm & { readonly float?: FloatKernel };
}

export interface EmulatorOptions {
  /**
   * Memory budget in bytes for the per-window caches (the fp32 reference logits used for KL, the
   * activations entering each decoder block; the references take at most 3/4). Beyond it windows
   * are simply recomputed. Default 512 MiB (the default 32,768-token evaluation of the default model
   * needs ≈350 MiB).
   */
  cacheBytes?: number;
  /**
   * Budget for quantized / encoded / GEMM-prepared weights, kept across configs (oldest evicted
   * first). Default 8 bytes per parameter + 64 MiB: a quantized and a prepared copy of every weight.
   */
  weightCacheBytes?: number;
  /**
   * The ACT fixed-point format of integer mode (8 ≤ w ≤ 24, 5 ≤ f ≤ w − 2). Default DEFAULT_ACT
   * (24 bits, 14 fractional) — what the RTL's ACT_W / ACT_F default to.
   */
  act?: ActFormat;
  /**
   * Values to quantize for a weight point under a format instead of the model's own weight (same
   * length), or undefined to use the model's: e.g. GPTQ-rounded weights (src/core/rounding,
   * `GptqRounder.rounded`). Called once per (point, format) — results are cached under that key, so
   * it must be a pure function of them. Never called for fp32: the reference keeps the model's weights.
   */
  weightSource?: WeightSource;
}

/** EmulatorOptions.weightSource. */
export type WeightSource = (point: string, spec: FormatSpec) => Float32Array | undefined;

/** The structural part of AbortSignal the emulator reads (ring 1 has no DOM lib). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export interface EvalOptions {
  mode: EvalMode;
  /** Window length in tokens (default: the model's maxPositions). */
  window?: number;
  /** Use at most this many tokens from the start (default: all). */
  maxTokens?: number;
  /** Called with windows done / total, at most ~10 times a second and once at the end. */
  onProgress?(done: number, total: number): void;
  /** Checked between windows; an aborted signal rejects with an Error named 'AbortError'. */
  signal?: AbortSignalLike;
  /**
   * Compare with the fp32 model (KL and top-1 agreement). Default true for fake/integer; false skips
   * the fp32 reference pass (kl and top1Agreement are then null).
   */
  reference?: boolean;
}

/** Per quant point statistics, aggregated over every window (a weight counts once). */
export interface PointStats {
  /** 10·log10(Σx² / Σ(x−q)²) over finite pairs; Infinity when exact. */
  sqnrDb: number;
  /** Elements clamped to the largest representable value. */
  saturated: number;
  /** Non-zero finite inputs that became zero. */
  underflow: number;
  /** Blocks that became NaN (held a NaN or ±Inf). */
  nanBlocks: number;
  /** Elements quantized (attention P: its causal, unmasked entries). */
  elements: number;
  /** Σx² and Σ(x−q)² over finite pairs (float64): results of disjoint token ranges merge exactly by adding these. */
  signalEnergy: number;
  noiseEnergy: number;
}

export interface EvalResult {
  mode: EvalMode;
  /** exp(meanNll). */
  perplexity: number;
  /** Next-token top-1 accuracy (argmax of the float32 logits, first index on ties). */
  accuracy: number;
  /** Mean negative log-likelihood (natural log) over the predicted tokens. */
  meanNll: number;
  /** Number of predicted tokens (window length − 1 per window). */
  tokens: number;
  /** Σ NLL of each window, in window order (what tools/xcheck's reference reports as window_nll_sums). */
  windowNllSums: number[];
  /** Windows evaluated. */
  windows: number;
  /** Window length used. */
  window: number;
  /** Mean KL(p_fp32 ‖ p_quant) in nats per predicted token; null for fp32 or without reference. */
  kl: number | null;
  /** Fraction of predictions whose argmax equals the fp32 model's; null for fp32 or without reference. */
  top1Agreement: number | null;
  /** Statistics of every quantized point (points whose format is fp32 are absent). */
  points: Record<string, PointStats>;
  /** Integer mode: ops that ran the fake path (an operand in fp32 or nvfp4, or blocks that differ along K). */
  fallbackOps: string[];
  /** Config patterns that matched no quant point of this model. */
  unmatchedRules: string[];
  /** Wall time of the evaluation in milliseconds. */
  ms: number;
}

/** A problem with the emulator's inputs (tokens, window, mode): message says what and the allowed range. */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError';
}
