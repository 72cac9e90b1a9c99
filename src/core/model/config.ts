/**
 * config.json → ModelConfig. Three families are supported (LLaMA incl. Mistral-without-sliding-
 * window, GPT-2, pre-LN OPT); anything that would change the forward pass in a way the studio does
 * not implement (RoPE scaling, sliding windows, ALiBi, post-LN, projections, quantized checkpoints)
 * is rejected here with a ModelError naming the field, its value and what is supported, so a model
 * never loads and then computes something subtly different from the original.
 */
import { ModelError } from './errors';
import type { Arch, ModelConfig } from './types';
import { isObject, quote, type JsonObject } from './text';

const FILE = 'config.json';

const SUPPORTED_TEXT =
  'supported: llama (LlamaForCausalLM; also MistralForCausalLM without a sliding window), gpt2 (GPT2LMHeadModel), opt (OPTForCausalLM, pre-LN)';

/** Per family, the architectures (class names) whose checkpoints it reads. */
const ARCHITECTURES: Record<Arch, readonly string[]> = {
  llama: ['LlamaForCausalLM', 'MistralForCausalLM'],
  gpt2: ['GPT2LMHeadModel'],
  opt: ['OPTForCausalLM'],
};
const MODEL_TYPES: Record<string, Arch> = { llama: 'llama', mistral: 'llama', gpt2: 'gpt2', opt: 'opt' };

/** Normalises a parsed config.json. Throws ModelError for invalid or unsupported configs. */
export function parseConfig(raw: unknown): ModelConfig {
  if (!isObject(raw)) throw new ModelError(FILE, 'bad-json', 'must hold a JSON object');
  const arch = detectArch(raw);
  const r = new Reader(raw);
  rejectCommon(r);
  const cfg = arch === 'llama' ? llama(r) : arch === 'gpt2' ? gpt2(r) : opt(r);
  return { ...cfg, raw: Object.freeze({ ...raw }) };
}

function detectArch(raw: JsonObject): Arch {
  const modelType = raw.model_type;
  const archs = raw.architectures;
  const archList = Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : [];
  if (archs !== undefined && archs !== null && !Array.isArray(archs)) {
    throw new ModelError(FILE, 'bad-config', `architectures is ${quote(archs)}; expected a list of class names`, { field: 'architectures' });
  }
  let arch: Arch | undefined;
  if (typeof modelType === 'string') {
    arch = MODEL_TYPES[modelType];
    if (!arch) {
      throw new ModelError(
        FILE,
        'unsupported',
        `model_type ${quote(modelType)}${archList.length ? ` (architectures ${quote(archList)})` : ''} is not supported; ${SUPPORTED_TEXT}`,
        { field: 'model_type' },
      );
    }
  } else {
    // Old configs sometimes lack model_type; fall back to the class name.
    for (const a of archList) {
      for (const [k, v] of Object.entries(ARCHITECTURES) as [Arch, readonly string[]][]) if (v.includes(a)) arch ??= k;
    }
    if (!arch) {
      throw new ModelError(
        FILE,
        'unsupported',
        archList.length
          ? `architectures ${quote(archList)} is not supported; ${SUPPORTED_TEXT}`
          : `has neither model_type nor architectures; ${SUPPORTED_TEXT}`,
        { field: archList.length ? 'architectures' : 'model_type' },
      );
    }
  }
  // A causal-LM class is required: a sequence-classification or bare-encoder checkpoint has a different head.
  const ok = ARCHITECTURES[arch];
  const foreign = archList.filter((a) => !ok.includes(a));
  if (foreign.length > 0) {
    throw new ModelError(
      FILE,
      'unsupported',
      `architectures ${quote(archList)} is not supported for model_type ${quote(modelType ?? arch)}; supported: ${ok.join(', ')}`,
      { field: 'architectures' },
    );
  }
  return arch;
}

/** Typed field access with messages that name the field. */
class Reader {
  constructor(readonly raw: JsonObject) {}

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  int(field: string, fallback?: number, min = 1): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new ModelError(FILE, 'bad-config', `${field} is missing; expected an integer >= ${min}`, { field });
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ModelError(FILE, 'bad-config', `${field} is ${quote(v)}; expected an integer >= ${min}`, { field });
    }
    return v;
  }

  positive(field: string, fallback: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ModelError(FILE, 'bad-config', `${field} is ${quote(v)}; expected a positive number`, { field });
    }
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new ModelError(FILE, 'bad-config', `${field} is ${quote(v)}; expected true or false`, { field });
    return v;
  }

  str(field: string, fallback: string): string {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw new ModelError(FILE, 'bad-config', `${field} is ${quote(v)}; expected a string`, { field });
    return v;
  }

  /** A token id; lists (e.g. Llama 3's several EOS ids) give their first entry. */
  tokenId(field: string, fallback: number | null): number | null {
    let v = this.raw[field];
    if (Array.isArray(v)) v = v[0];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ModelError(FILE, 'bad-config', `${field} is ${quote(this.raw[field])}; expected a token id`, { field });
    }
    return v;
  }

  unsupported(field: string, why: string): never {
    throw new ModelError(FILE, 'unsupported', `${field} ${quote(this.raw[field])} is not supported: ${why}`, { field });
  }
}

/** Options that change the math in any family. */
function rejectCommon(r: Reader): void {
  if (r.has('quantization_config')) {
    r.unsupported('quantization_config', 'pre-quantized checkpoints (GPTQ, AWQ, bitsandbytes, ...) store packed integers; load the float checkpoint');
  }
  for (const f of ['alibi', 'use_alibi']) {
    if (r.raw[f] === true) r.unsupported(f, 'ALiBi attention biases are not implemented; supported positions: RoPE (llama), learned (gpt2, opt)');
  }
  if (r.raw.is_encoder_decoder === true) r.unsupported('is_encoder_decoder', 'only decoder-only causal LMs are supported');
}

function headDimOf(r: Reader, hidden: number, heads: number, hiddenField: string, headsField: string): number {
  if (hidden % heads !== 0) {
    throw new ModelError(FILE, 'bad-config', `${hiddenField} ${hidden} is not divisible by ${headsField} ${heads}`, { field: headsField });
  }
  return hidden / heads;
}

function llama(r: Reader): Omit<ModelConfig, 'raw'> {
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numKvHeads = r.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelError(
      FILE,
      'bad-config',
      `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads} (grouped-query attention needs whole groups)`,
      { field: 'num_key_value_heads' },
    );
  }
  const headDim = r.has('head_dim') ? r.int('head_dim') : headDimOf(r, hiddenSize, numHeads, 'hidden_size', 'num_attention_heads');
  const maxPositions = r.int('max_position_embeddings', 2048);

  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu' && act !== 'swish') r.unsupported('hidden_act', 'LLaMA-family MLPs are supported with silu (SwiGLU) only');
  if (r.bool('attention_bias', false)) r.unsupported('attention_bias', 'LLaMA-family attention is supported without biases');
  if (r.bool('mlp_bias', false)) r.unsupported('mlp_bias', 'LLaMA-family MLPs are supported without biases');

  // RoPE: plain rotate-half with a base only. transformers ≥ 4.56 may put the base in rope_parameters.
  let ropeTheta = r.positive('rope_theta', 10000);
  if (r.has('rope_scaling')) {
    const rs = r.raw.rope_scaling;
    const type = isObject(rs) ? (rs.rope_type ?? rs.type) : undefined;
    if (type !== 'default') {
      r.unsupported('rope_scaling', 'RoPE scaling (linear, dynamic, yarn, llama3, longrope, ...) is not implemented; supported: null (plain RoPE with rope_theta)');
    }
  }
  if (r.has('rope_parameters')) {
    const rp = r.raw.rope_parameters;
    if (!isObject(rp) || (rp.rope_type !== undefined && rp.rope_type !== 'default')) {
      r.unsupported('rope_parameters', 'only rope_type "default" (plain RoPE) is implemented');
    }
    if (rp.rope_theta !== undefined) {
      if (typeof rp.rope_theta !== 'number' || !(rp.rope_theta > 0)) r.unsupported('rope_parameters', 'rope_theta must be a positive number');
      ropeTheta = rp.rope_theta;
    }
  }
  if (r.has('partial_rotary_factor') && r.raw.partial_rotary_factor !== 1) {
    r.unsupported('partial_rotary_factor', 'RoPE is implemented on the whole head (factor 1)');
  }
  // Mistral: a window at least as long as the context is plain causal attention.
  if (r.has('sliding_window') && r.raw.use_sliding_window !== false) {
    const w = r.raw.sliding_window;
    if (typeof w !== 'number' || w < maxPositions) {
      throw new ModelError(
        FILE,
        'unsupported',
        `sliding_window ${quote(w)} is not supported: sliding-window attention is not implemented; supported: null, or a window >= max_position_embeddings (${maxPositions})`,
        { field: 'sliding_window' },
      );
    }
  }

  return {
    arch: 'llama',
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: r.int('intermediate_size'),
    maxPositions,
    norm: 'rms',
    normEps: r.positive('rms_norm_eps', 1e-6),
    ropeTheta,
    activation: 'silu',
    bias: false,
    tiedEmbeddings: r.bool('tie_word_embeddings', false),
    bosTokenId: r.tokenId('bos_token_id', null),
    eosTokenId: r.tokenId('eos_token_id', null),
  };
}

const GPT2_ACT: Record<string, ModelConfig['activation']> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new', // the same tanh formula, computed natively by PyTorch
  gelu: 'gelu',
  relu: 'relu',
};

function gpt2(r: Reader): Omit<ModelConfig, 'raw'> {
  const hiddenSize = r.int('n_embd', 768);
  const numHeads = r.int('n_head', 12);
  const act = r.str('activation_function', 'gelu_new');
  const activation = GPT2_ACT[act];
  if (!activation) r.unsupported('activation_function', `supported: ${Object.keys(GPT2_ACT).join(', ')}`);
  if (r.bool('scale_attn_by_inverse_layer_idx', false)) {
    r.unsupported('scale_attn_by_inverse_layer_idx', 'per-layer attention scaling is not implemented; supported: false');
  }
  if (!r.bool('scale_attn_weights', true)) r.unsupported('scale_attn_weights', 'attention is implemented with the 1/sqrt(head_dim) scale; supported: true');
  if (r.bool('add_cross_attention', false)) r.unsupported('add_cross_attention', 'cross-attention is not implemented; supported: false');
  return {
    arch: 'gpt2',
    vocabSize: r.int('vocab_size', 50257),
    hiddenSize,
    numLayers: r.int('n_layer', 12),
    numHeads,
    numKvHeads: numHeads,
    headDim: headDimOf(r, hiddenSize, numHeads, 'n_embd', 'n_head'),
    intermediateSize: r.int('n_inner', 4 * hiddenSize), // n_inner null ⇒ 4·n_embd
    maxPositions: r.int('n_positions', r.int('n_ctx', 1024)),
    norm: 'layer',
    normEps: r.positive('layer_norm_epsilon', 1e-5),
    ropeTheta: null,
    activation: activation as ModelConfig['activation'],
    bias: true,
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    bosTokenId: r.tokenId('bos_token_id', 50256),
    eosTokenId: r.tokenId('eos_token_id', 50256),
  };
}

const OPT_ACT: Record<string, ModelConfig['activation']> = { relu: 'relu', gelu: 'gelu', gelu_new: 'gelu_new' };

function opt(r: Reader): Omit<ModelConfig, 'raw'> {
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  if (!r.bool('do_layer_norm_before', true)) {
    r.unsupported('do_layer_norm_before', 'post-LN OPT (e.g. opt-350m) is not implemented; supported: true (pre-LN, as opt-125m and opt-1.3b and larger)');
  }
  const proj = r.int('word_embed_proj_dim', hiddenSize);
  if (proj !== hiddenSize) {
    throw new ModelError(
      FILE,
      'unsupported',
      `word_embed_proj_dim ${proj} is not supported: project_in/project_out (word_embed_proj_dim != hidden_size ${hiddenSize}, e.g. opt-350m) are not implemented; supported: word_embed_proj_dim = hidden_size`,
      { field: 'word_embed_proj_dim' },
    );
  }
  if (r.bool('_remove_final_layer_norm', false)) r.unsupported('_remove_final_layer_norm', 'the final LayerNorm is required; supported: false');
  if (!r.bool('layer_norm_elementwise_affine', true)) {
    r.unsupported('layer_norm_elementwise_affine', 'LayerNorms without weight/bias are not implemented; supported: true');
  }
  const act = r.str('activation_function', 'relu');
  const activation = OPT_ACT[act];
  if (!activation) r.unsupported('activation_function', `supported: ${Object.keys(OPT_ACT).join(', ')}`);
  return {
    arch: 'opt',
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads: numHeads,
    headDim: headDimOf(r, hiddenSize, numHeads, 'hidden_size', 'num_attention_heads'),
    intermediateSize: r.int('ffn_dim'),
    maxPositions: r.int('max_position_embeddings'),
    norm: 'layer',
    normEps: 1e-5, // OPT's nn.LayerNorm uses PyTorch's default eps
    ropeTheta: null,
    activation: activation as ModelConfig['activation'],
    bias: r.bool('enable_bias', true),
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    bosTokenId: r.tokenId('bos_token_id', 2),
    eosTokenId: r.tokenId('eos_token_id', 2),
  };
}
