/**
 * The loaded-model contract shared by the loader (src/core/model), the graph IR (src/core/graph)
 * and the emulator (src/core/emulate). Every supported family (LLaMA, GPT-2, OPT) is normalised
 * into one config shape and one set of canonical weight names, so downstream code has one
 * forward pass with a few switches instead of three.
 */

export type Arch = 'llama' | 'gpt2' | 'opt';

/** A Hugging Face config.json, normalised. */
export interface ModelConfig {
  arch: Arch;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** = numHeads without grouped-query attention. */
  numKvHeads: number;
  headDim: number;
  /** MLP inner width (SwiGLU's gate/up width for LLaMA; fc1's output for GPT-2/OPT). */
  intermediateSize: number;
  /** Context length (positions). */
  maxPositions: number;
  norm: 'rms' | 'layer';
  normEps: number;
  /** LLaMA rotary embedding base; null for learned positions (GPT-2, OPT). */
  ropeTheta: number | null;
  /** MLP activation: silu (SwiGLU gate), gelu_new (tanh GELU, GPT-2), gelu (erf), relu (OPT). */
  activation: 'silu' | 'gelu_new' | 'gelu' | 'relu';
  /** Linear layers carry biases (GPT-2, OPT). */
  bias: boolean;
  /** lm_head shares embed's weights. */
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** The config.json as read, for display. */
  raw: Readonly<Record<string, unknown>>;
}

export type DType = 'F32' | 'F16' | 'BF16';

/**
 * One weight tensor, kept compact: F16/BF16 stay 16-bit (a model must fit in WASM's 4 GiB);
 * `f32()` widens on demand. Linear weights are canonical [out, in] (nn.Linear), so their MX blocks
 * run along axis 1, the reduction axis — the loader transposes GPT-2's Conv1D [in, out] weights.
 */
export interface WeightTensor {
  /** Canonical name (see CANONICAL_NAMES). */
  readonly name: string;
  /** Name in the checkpoint, and the file it came from (for error messages and display). */
  readonly sourceName: string;
  readonly file: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The values widened to float32 (cached after the first call). */
  f32(): Float32Array;
}

/**
 * Canonical weight names, arch-independent (i = layer index):
 *   embed                  [vocab, hidden]
 *   pos                    [maxPositions, hidden]      GPT-2/OPT learned positions (OPT's +2 offset already removed)
 *   L{i}.norm1.w / .b      [hidden]                    pre-attention norm (.b only for LayerNorm)
 *   L{i}.{q,k,v,o}.w / .b  [out, in]                   attention projections (q: [heads·headDim, hidden], k/v: [kvHeads·headDim, hidden])
 *   L{i}.norm2.w / .b      [hidden]                    pre-MLP norm
 *   L{i}.{gate,up,down}.w  [out, in]                   LLaMA SwiGLU MLP: down(silu(gate(x)) · up(x))
 *   L{i}.{fc1,fc2}.w / .b  [out, in]                   GPT-2/OPT MLP: fc2(act(fc1(x)))
 *   normf.w / .b           [hidden]                    final norm
 *   head.w                 [vocab, hidden]             lm_head (the same tensor as embed when tied)
 */
export type CanonicalName = string;

export interface ModelWeights {
  has(name: CanonicalName): boolean;
  /** Throws a ModelError naming the tensor when absent. */
  get(name: CanonicalName): WeightTensor;
  names(): CanonicalName[];
}

/** The tokenizer surface the studio needs (wraps @huggingface/tokenizers). */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  readonly vocabSize: number;
}

export interface LoadedModel {
  /** Display name (folder or repo). */
  readonly name: string;
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly tokenizer: TextTokenizer;
  /** Total parameters (tied weights counted once). */
  readonly numParams: number;
}

/**
 * Where model files come from: the loader asks for files by name (config.json, model.safetensors,
 * model.safetensors.index.json, shard names, tokenizer.json, tokenizer_config.json) and gets their
 * bytes, or null when the file does not exist. The UI implements it over dropped files or fetch();
 * the CLI over node:fs. Core never does I/O itself.
 */
export interface ModelFileSource {
  /** Display name of the source (folder path, URL, "default model"). */
  readonly name: string;
  read(file: string): Promise<Uint8Array | null>;
}
