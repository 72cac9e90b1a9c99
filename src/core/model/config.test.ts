import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { ModelError } from './errors';

const ROOT = new URL('../../../public/models/', import.meta.url).pathname;
const cfg = (rel: string): Record<string, unknown> => JSON.parse(readFileSync(`${ROOT}${rel}/config.json`, 'utf8'));
const LLAMA = cfg('sotu-llama-1m');
const GPT2 = cfg('fixtures/tiny-gpt2');
const OPT = cfg('fixtures/tiny-opt');

function err(raw: unknown): ModelError {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('parseConfig accepted a bad config');
}

describe('published configs (from the reference notes)', () => {
  it('SmolLM-135M: GQA 9/3, head_dim 64, tied', () => {
    const c = parseConfig({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30,
      num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, vocab_size: 49152, max_position_embeddings: 2048,
      rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true, hidden_act: 'silu',
    });
    expect(c).toMatchObject({ numHeads: 9, numKvHeads: 3, headDim: 64, tiedEmbeddings: true, maxPositions: 2048 });
  });

  it('LLaMA defaults follow transformers (no head_dim ⇒ hidden/heads; untied; eps 1e-6; theta 10000)', () => {
    const c = parseConfig({ model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, vocab_size: 10 });
    expect(c).toMatchObject({ headDim: 16, numKvHeads: 4, tiedEmbeddings: false, normEps: 1e-6, ropeTheta: 10000, maxPositions: 2048, bosTokenId: null });
  });

  it('openai-community/gpt2 defaults', () => {
    const c = parseConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_inner: null });
    expect(c).toMatchObject({ vocabSize: 50257, hiddenSize: 768, numLayers: 12, numHeads: 12, headDim: 64, intermediateSize: 3072, maxPositions: 1024, tiedEmbeddings: true, bosTokenId: 50256 });
  });

  it('opt-125m', () => {
    const c = parseConfig({
      architectures: ['OPTForCausalLM'], model_type: 'opt', vocab_size: 50272, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
      ffn_dim: 3072, max_position_embeddings: 2048, word_embed_proj_dim: 768, do_layer_norm_before: true, activation_function: 'relu',
      enable_bias: true, layer_norm_elementwise_affine: true, _remove_final_layer_norm: false, pad_token_id: 1, bos_token_id: 2, eos_token_id: 2,
    });
    expect(c).toMatchObject({ arch: 'opt', activation: 'relu', bias: true, normEps: 1e-5, tiedEmbeddings: true, bosTokenId: 2, intermediateSize: 3072 });
  });

  it('Llama 3 lists several EOS ids: the first is kept', () => {
    expect(parseConfig({ ...LLAMA, eos_token_id: [128001, 128009] }).eosTokenId).toBe(128001);
  });

  it('model_type missing: the class name decides', () => {
    const { model_type: _t, ...noType } = GPT2;
    expect(parseConfig(noType).arch).toBe('gpt2');
  });

  it('Mistral without a sliding window (or a window as long as the context) is LLaMA', () => {
    const m = { ...LLAMA, model_type: 'mistral', architectures: ['MistralForCausalLM'] };
    expect(parseConfig({ ...m, sliding_window: null }).arch).toBe('llama');
    expect(parseConfig({ ...m, sliding_window: 256 }).arch).toBe('llama');
  });

  it('rope_parameters (transformers ≥ 4.56) carries rope_theta', () => {
    expect(parseConfig({ ...LLAMA, rope_parameters: { rope_type: 'default', rope_theta: 500000 } }).ropeTheta).toBe(500000);
  });
});

describe('unsupported options name the field, the value and what is supported', () => {
  it('rope_scaling', () => {
    const e = err({ ...LLAMA, rope_scaling: { rope_type: 'llama3', factor: 8 } });
    expect(e.field).toBe('rope_scaling');
    expect(e.message).toBe(
      'config.json: rope_scaling {"rope_type":"llama3","factor":8} is not supported: RoPE scaling (linear, dynamic, yarn, llama3, longrope, ...) is not implemented; supported: null (plain RoPE with rope_theta)',
    );
  });

  it('ALiBi', () => {
    expect(err({ ...GPT2, alibi: true }).message).toBe(
      'config.json: alibi true is not supported: ALiBi attention biases are not implemented; supported positions: RoPE (llama), learned (gpt2, opt)',
    );
  });

  it('a sequence-classification head', () => {
    expect(err({ ...LLAMA, architectures: ['LlamaForSequenceClassification'] }).message).toBe(
      'config.json: architectures ["LlamaForSequenceClassification"] is not supported for model_type "llama"; supported: LlamaForCausalLM, MistralForCausalLM',
    );
  });

  it('no model_type and an unknown class', () => {
    expect(err({ architectures: ['FalconForCausalLM'] }).message).toMatch(/^config\.json: architectures \["FalconForCausalLM"\] is not supported; supported: llama/);
  });

  it('OPT with project_in/out (word_embed_proj_dim != hidden_size)', () => {
    const e = err({ ...OPT, word_embed_proj_dim: 16 });
    expect(e.field).toBe('word_embed_proj_dim');
    expect(e.message).toMatch(/^config\.json: word_embed_proj_dim 16 is not supported: project_in\/project_out/);
  });

  it('LLaMA attention biases, other activations, GPT-2 per-layer scaling, quantized checkpoints', () => {
    expect(err({ ...LLAMA, attention_bias: true }).field).toBe('attention_bias');
    expect(err({ ...LLAMA, hidden_act: 'gelu' }).message).toBe('config.json: hidden_act "gelu" is not supported: LLaMA-family MLPs are supported with silu (SwiGLU) only');
    expect(err({ ...GPT2, scale_attn_by_inverse_layer_idx: true }).field).toBe('scale_attn_by_inverse_layer_idx');
    expect(err({ ...GPT2, activation_function: 'gelu_fast' }).message).toBe(
      'config.json: activation_function "gelu_fast" is not supported: supported: gelu_new, gelu_pytorch_tanh, gelu, relu',
    );
    expect(err({ ...LLAMA, quantization_config: { quant_method: 'gptq' } }).field).toBe('quantization_config');
  });
});

describe('invalid values', () => {
  it('heads that do not group', () => {
    expect(err({ ...LLAMA, num_key_value_heads: 3 }).message).toBe(
      'config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3 (grouped-query attention needs whole groups)',
    );
    expect(err({ ...GPT2, n_head: 5 }).message).toBe('config.json: n_embd 32 is not divisible by n_head 5');
  });

  it('missing or mistyped sizes', () => {
    const { hidden_size: _h, ...noHidden } = LLAMA;
    expect(err(noHidden).message).toBe('config.json: hidden_size is missing; expected an integer >= 1');
    expect(err({ ...LLAMA, vocab_size: '2048' }).message).toBe('config.json: vocab_size is "2048"; expected an integer >= 1');
    expect(err({ ...LLAMA, rms_norm_eps: -1 }).message).toBe('config.json: rms_norm_eps is -1; expected a positive number');
    expect(err({ ...OPT, do_layer_norm_before: 'yes' }).message).toBe('config.json: do_layer_norm_before is "yes"; expected true or false');
    expect(err([]).message).toBe('config.json: must hold a JSON object');
  });
});
