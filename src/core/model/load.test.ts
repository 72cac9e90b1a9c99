/**
 * Loading the shipped default model and the three layout fixtures: configs, canonical names and
 * shapes, parameter counts, tied/untied heads, and weights compared with values decoded here
 * independently from the raw file bytes (DataView + the IEEE formulas), through each layout rule
 * (GPT-2 transpose and q|k|v split, OPT's +2 position rows, LLaMA shards).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from './errors';
import { loadModel, modelSourceFromFiles, modelSourceFromUrl, parseHfUrl, type FetchLike, type LoadedHfModel, type LoadProgress } from './load';
import type { ModelConfig } from './types';

const ROOT = new URL('../../../public/models/', import.meta.url).pathname;

function readFolder(rel: string): Map<string, Uint8Array> {
  const dir = ROOT + rel;
  return new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
}

function load(rel: string): Promise<LoadedHfModel> {
  return loadModel(modelSourceFromFiles(readFolder(rel), rel));
}

/** A checkpoint tensor decoded from the raw bytes, element by element, without the loader's code. */
function rawTensor(bytes: Uint8Array, name: string): { shape: number[]; values: number[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const { dtype, shape, data_offsets: [begin, end] } = header[name];
  const at = 8 + n + begin;
  const values: number[] = [];
  const scratch = new DataView(new ArrayBuffer(4));
  if (dtype === 'F32') for (let o = at; o < 8 + n + end; o += 4) values.push(dv.getFloat32(o, true));
  else if (dtype === 'BF16') {
    for (let o = at; o < 8 + n + end; o += 2) {
      scratch.setUint32(0, dv.getUint16(o, true) * 65536);
      values.push(scratch.getFloat32(0));
    }
  } else if (dtype === 'F16') {
    for (let o = at; o < 8 + n + end; o += 2) {
      const h = dv.getUint16(o, true);
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 31;
      const m = h & 1023;
      values.push(e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15));
    }
  } else throw new Error(dtype);
  return { shape, values };
}

/** Element [r][c] of a row-major matrix. */
const at = (t: { shape: number[]; values: number[] }, r: number, c: number): number => t.values[r * t.shape[1] + c];

function expectSame(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  const bad = expected.findIndex((v, i) => !Object.is(actual[i], v));
  expect(bad).toBe(-1);
}

/** Shapes as documented in types.ts, computed from the config alone. */
function documentedShape(c: ModelConfig, name: string): number[] {
  const h = c.hiddenSize;
  const base = name.replace(/^L\d+\./, '');
  const table: Record<string, number[]> = {
    embed: [c.vocabSize, h],
    pos: [c.maxPositions, h],
    'head.w': [c.vocabSize, h],
    'normf.w': [h],
    'normf.b': [h],
    'norm1.w': [h],
    'norm1.b': [h],
    'norm2.w': [h],
    'norm2.b': [h],
    'q.w': [c.numHeads * c.headDim, h],
    'k.w': [c.numKvHeads * c.headDim, h],
    'v.w': [c.numKvHeads * c.headDim, h],
    'o.w': [h, c.numHeads * c.headDim],
    'q.b': [c.numHeads * c.headDim],
    'k.b': [c.numKvHeads * c.headDim],
    'v.b': [c.numKvHeads * c.headDim],
    'o.b': [h],
    'gate.w': [c.intermediateSize, h],
    'up.w': [c.intermediateSize, h],
    'down.w': [h, c.intermediateSize],
    'fc1.w': [c.intermediateSize, h],
    'fc1.b': [c.intermediateSize],
    'fc2.w': [h, c.intermediateSize],
    'fc2.b': [h],
  };
  return table[base];
}

function expectCanonical(m: LoadedHfModel, perLayer: string[], global: string[]): void {
  const want = [...global];
  for (let i = 0; i < m.config.numLayers; i++) want.push(...perLayer.map((n) => `L${i}.${n}`));
  expect(new Set(m.weights.names())).toEqual(new Set(want));
  for (const n of want) {
    const w = m.weights.get(n);
    expect(w.name).toBe(n === 'head.w' && m.config.tiedEmbeddings ? 'embed' : n); // a tied head is the embed tensor
    expect([n, ...w.shape]).toEqual([n, ...documentedShape(m.config, n)]);
    expect(w.f32().length).toBe(w.shape.reduce((a, b) => a * b, 1));
  }
}

const bytesOf = (rel: string, file: string): Uint8Array => new Uint8Array(readFileSync(`${ROOT}${rel}/${file}`));

describe('default model sotu-llama-1m (LLaMA, F32, tied)', () => {
  let m: LoadedHfModel;
  beforeAll(async () => {
    m = await load('sotu-llama-1m');
  });

  it('normalises config.json', () => {
    const { raw, ...cfg } = m.config;
    expect(cfg).toEqual({
      arch: 'llama',
      vocabSize: 2048,
      hiddenSize: 128,
      numLayers: 4,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 32,
      intermediateSize: 320,
      maxPositions: 256,
      norm: 'rms',
      normEps: 1e-5,
      ropeTheta: 10000,
      activation: 'silu',
      bias: false,
      tiedEmbeddings: true,
      bosTokenId: 2047,
      eosTokenId: 2047,
    });
    expect(raw.model_type).toBe('llama');
    expect(Object.isFrozen(raw)).toBe(true);
  });

  it('has the documented canonical names and shapes, and 1,016,960 parameters', () => {
    expectCanonical(m, ['norm1.w', 'q.w', 'k.w', 'v.w', 'o.w', 'norm2.w', 'gate.w', 'up.w', 'down.w'], ['embed', 'normf.w', 'head.w']);
    expect(m.numParams).toBe(1_016_960);
    expect(m.weights.has('pos')).toBe(false);
    expect(m.weightFiles).toEqual(['model.safetensors']);
  });

  it('ties the head: head.w is the embed tensor itself', () => {
    expect(m.weights.get('head.w')).toBe(m.weights.get('embed'));
    expect(m.weights.get('head.w').sourceName).toBe('model.embed_tokens.weight');
  });

  it('f32() equals the raw bytes, as a zero-copy view of the file', () => {
    const bytes = bytesOf('sotu-llama-1m', 'model.safetensors');
    for (const [canon, src] of [
      ['embed', 'model.embed_tokens.weight'],
      ['L3.down.w', 'model.layers.3.mlp.down_proj.weight'],
      ['L0.norm1.w', 'model.layers.0.input_layernorm.weight'],
    ]) {
      const w = m.weights.get(canon);
      expect(w.dtype).toBe('F32');
      expect(w.file).toBe('model.safetensors');
      expect(w.sourceName).toBe(src);
      expectSame(w.f32(), rawTensor(bytes, src).values);
      expect(w.f32()).toBe(w.f32()); // cached
    }
    const embed = m.weights.get('embed');
    expect(embed.compact().buffer).toBe(embed.f32().buffer); // no copy of F32 data
  });

  it('get() of an unknown name is a ModelError naming it', () => {
    expect(() => m.weights.get('L9.q.w')).toThrow(ModelError);
    expect(() => m.weights.get('L9.q.w')).toThrow('model.safetensors: model has no weight "L9.q.w"');
  });
});

describe('tiny-gpt2 (GPT-2, F32, Conv1D, transformer. prefix, tied)', () => {
  let m: LoadedHfModel;
  const rel = 'fixtures/tiny-gpt2';
  beforeAll(async () => {
    m = await load(rel);
  });

  it('normalises config.json (n_inner null ⇒ 4·n_embd)', () => {
    const { raw: _raw, ...cfg } = m.config;
    expect(cfg).toEqual({
      arch: 'gpt2',
      vocabSize: 512,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 8,
      intermediateSize: 128,
      maxPositions: 64,
      norm: 'layer',
      normEps: 1e-5,
      ropeTheta: null,
      activation: 'gelu_new',
      bias: true,
      tiedEmbeddings: true,
      bosTokenId: 511,
      eosTokenId: 511,
    });
  });

  it('canonical names and shapes; parameters as reference.json counts them', () => {
    const perLayer = ['norm1.w', 'norm1.b', 'q.w', 'q.b', 'k.w', 'k.b', 'v.w', 'v.b', 'o.w', 'o.b', 'norm2.w', 'norm2.b', 'fc1.w', 'fc1.b', 'fc2.w', 'fc2.b'];
    expectCanonical(m, perLayer, ['embed', 'pos', 'normf.w', 'normf.b', 'head.w']);
    const ref = JSON.parse(readFileSync(`${ROOT}${rel}/reference.json`, 'utf8'));
    expect(m.numParams).toBe(ref.parameters);
    expect(m.weights.prefix).toBe('transformer.');
    expect(m.weights.get('head.w')).toBe(m.weights.get('embed'));
  });

  it('splits c_attn into q|k|v and transposes Conv1D [in, out] to [out, in]', () => {
    const bytes = bytesOf(rel, 'model.safetensors');
    const cAttn = rawTensor(bytes, 'transformer.h.0.attn.c_attn.weight'); // [32, 96]
    const cAttnB = rawTensor(bytes, 'transformer.h.1.attn.c_attn.bias');
    const h = 32;
    ['q', 'k', 'v'].forEach((x, j) => {
      const w = m.weights.get(`L0.${x}.w`);
      const want: number[] = [];
      for (let out = 0; out < h; out++) for (let inp = 0; inp < h; inp++) want.push(at(cAttn, inp, j * h + out));
      expectSame(w.f32(), want);
      expect(w.sourceName).toBe('transformer.h.0.attn.c_attn.weight');
      expectSame(m.weights.get(`L1.${x}.b`).f32(), cAttnB.values.slice(j * h, (j + 1) * h));
    });
    const fc2 = rawTensor(bytes, 'transformer.h.1.mlp.c_proj.weight'); // [128, 32] = [in, out]
    const want: number[] = [];
    for (let out = 0; out < 32; out++) for (let inp = 0; inp < 128; inp++) want.push(at(fc2, inp, out));
    expectSame(m.weights.get('L1.fc2.w').f32(), want);
    expectSame(m.weights.get('pos').f32(), rawTensor(bytes, 'transformer.wpe.weight').values);
  });
});

describe('tiny-opt (OPT, F16, model.decoder. prefix, +2 positions, tied)', () => {
  let m: LoadedHfModel;
  const rel = 'fixtures/tiny-opt';
  beforeAll(async () => {
    m = await load(rel);
  });

  it('normalises config.json', () => {
    const { raw: _raw, ...cfg } = m.config;
    expect(cfg).toEqual({
      arch: 'opt',
      vocabSize: 528,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 8,
      intermediateSize: 128,
      maxPositions: 64,
      norm: 'layer',
      normEps: 1e-5,
      ropeTheta: null,
      activation: 'relu',
      bias: true,
      tiedEmbeddings: true,
      bosTokenId: 511,
      eosTokenId: 511,
    });
  });

  it('canonical names and shapes; HF parameter count (the 2 offset rows included)', () => {
    const perLayer = ['norm1.w', 'norm1.b', 'q.w', 'q.b', 'k.w', 'k.b', 'v.w', 'v.b', 'o.w', 'o.b', 'norm2.w', 'norm2.b', 'fc1.w', 'fc1.b', 'fc2.w', 'fc2.b'];
    expectCanonical(m, perLayer, ['embed', 'pos', 'normf.w', 'normf.b', 'head.w']);
    expect(m.numParams).toBe(44480);
    expect(m.weights.prefix).toBe('model.decoder.');
    expect(m.weights.get('head.w')).toBe(m.weights.get('embed'));
  });

  it('keeps F16 compact, widens exactly, and drops the first 2 position rows', () => {
    const bytes = bytesOf(rel, 'model.safetensors');
    const pos = m.weights.get('pos');
    expect(pos.dtype).toBe('F16');
    expect(pos.compact()).toBeInstanceOf(Uint16Array);
    const table = rawTensor(bytes, 'model.decoder.embed_positions.weight'); // [66, 32]
    expect(table.shape).toEqual([66, 32]);
    expectSame(pos.f32(), table.values.slice(2 * 32)); // pos row p = table row p + 2
    expectSame(m.weights.get('L1.fc1.w').f32(), rawTensor(bytes, 'model.decoder.layers.1.fc1.weight').values);
    expectSame(m.weights.get('L0.q.b').f32(), rawTensor(bytes, 'model.decoder.layers.0.self_attn.q_proj.bias').values);
    expectSame(m.weights.get('normf.b').f32(), rawTensor(bytes, 'model.decoder.final_layer_norm.bias').values);
    expect(m.weights.get('L0.o.w').sourceName).toBe('model.decoder.layers.0.self_attn.out_proj.weight');
    expect(m.weights.get('L0.norm2.w').sourceName).toBe('model.decoder.layers.0.final_layer_norm.weight');
  });
});

describe('tiny-llama-gqa (LLaMA, BF16, sharded, GQA, untied)', () => {
  let m: LoadedHfModel;
  const rel = 'fixtures/tiny-llama-gqa';
  beforeAll(async () => {
    m = await load(rel);
  });

  it('normalises config.json with GQA, rope_theta and eps', () => {
    expect(m.config).toMatchObject({ arch: 'llama', numHeads: 4, numKvHeads: 2, headDim: 8, ropeTheta: 100000, normEps: 1e-6, tiedEmbeddings: false });
  });

  it('reads both shards; canonical shapes; k/v have numKvHeads·headDim rows', () => {
    expect(m.weightFiles).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expectCanonical(m, ['norm1.w', 'q.w', 'k.w', 'v.w', 'o.w', 'norm2.w', 'gate.w', 'up.w', 'down.w'], ['embed', 'normf.w', 'head.w']);
    expect(m.weights.get('L0.k.w').shape).toEqual([16, 32]);
    expect(m.numParams).toBe(51360);
  });

  it('the untied head is lm_head.weight, from the second shard, widened exactly from BF16', () => {
    const head = m.weights.get('head.w');
    expect(head).not.toBe(m.weights.get('embed'));
    expect(head.sourceName).toBe('lm_head.weight');
    expect(head.file).toBe('model-00002-of-00002.safetensors');
    expect(head.dtype).toBe('BF16');
    const shard2 = bytesOf(rel, 'model-00002-of-00002.safetensors');
    expectSame(head.f32(), rawTensor(shard2, 'lm_head.weight').values);
    expectSame(m.weights.get('L1.k.w').f32(), rawTensor(shard2, 'model.layers.1.self_attn.k_proj.weight').values);
    const shard1 = bytesOf(rel, 'model-00001-of-00002.safetensors');
    expectSame(m.weights.get('embed').f32(), rawTensor(shard1, 'model.embed_tokens.weight').values);
    expectSame(m.weights.get('L1.norm1.w').f32(), rawTensor(shard1, 'model.layers.1.input_layernorm.weight').values);
  });
});

describe('misaligned bytes', () => {
  it('copies instead of viewing when a tensor is not aligned in memory, with the same values', async () => {
    const files = readFolder('sotu-llama-1m');
    const st = files.get('model.safetensors') as Uint8Array;
    const shifted = new Uint8Array(st.length + 1).subarray(1); // byteOffset 1: every F32 tensor misaligned
    shifted.set(st);
    files.set('model.safetensors', shifted);
    const a = await loadModel(modelSourceFromFiles(files, 'shifted'));
    const b = await load('sotu-llama-1m');
    expect(a.weights.get('L2.v.w').f32()).toEqual(b.weights.get('L2.v.w').f32());
    expect(a.weights.get('L2.v.w').f32().byteOffset % 4).toBe(0);
  });
});

describe('progress', () => {
  it('reports each file read, with a running byte count', async () => {
    const seen: LoadProgress[] = [];
    await loadModel(modelSourceFromFiles(readFolder('fixtures/tiny-llama-gqa'), 'gqa'), { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.file)).toEqual([
      'config.json',
      'tokenizer_config.json',
      'tokenizer.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    let sum = 0;
    for (const p of seen) {
      sum += p.fileBytes;
      expect(p.loaded).toBe(sum);
    }
  });
});

describe('file sources', () => {
  it('dropped files may carry folder paths', async () => {
    const files = new Map([...readFolder('fixtures/tiny-gpt2')].map(([k, v]) => [`tiny-gpt2/${k}`, v]));
    const m = await loadModel(modelSourceFromFiles(files, 'tiny-gpt2'));
    expect(m.name).toBe('tiny-gpt2');
    expect(m.config.arch).toBe('gpt2');
  });

  it('two dropped folders with the same file name are ambiguous', async () => {
    const src = modelSourceFromFiles(new Map([['a/config.json', new Uint8Array(1)], ['b/config.json', new Uint8Array(1)]]), 'two');
    await expect(src.read('config.json')).rejects.toThrow('config.json: is ambiguous: the dropped files hold several (a/config.json, b/config.json); drop one model folder at a time');
    expect(await src.read('tokenizer.json')).toBeNull();
  });

  it('maps Hugging Face URLs to resolve/REV/FILE', () => {
    expect(parseHfUrl('https://huggingface.co/HuggingFaceTB/SmolLM-135M')).toEqual({ repo: 'HuggingFaceTB/SmolLM-135M', revision: 'main', subfolder: '' });
    expect(parseHfUrl('https://huggingface.co/facebook/opt-125m/tree/refs%2Fpr%2F35')).toEqual({ repo: 'facebook/opt-125m', revision: 'refs%2Fpr%2F35', subfolder: '' });
    expect(parseHfUrl('https://hf.co/org/name/tree/v1.0/sub/dir/')).toEqual({ repo: 'org/name', revision: 'v1.0', subfolder: 'sub/dir/' });
    expect(parseHfUrl('https://huggingface.co/gpt2/tree/main')).toEqual({ repo: 'gpt2', revision: 'main', subfolder: '' });
    expect(parseHfUrl('https://huggingface.co/org/name/blob/main/config.json')).toEqual({ repo: 'org/name', revision: 'main', subfolder: '' });
    expect(parseHfUrl('https://huggingface.co/org/name/resolve/abc123/onnx/model.safetensors')).toEqual({ repo: 'org/name', revision: 'abc123', subfolder: 'onnx/' });
    expect(parseHfUrl('https://huggingface.co/datasets/org/name')).toBeNull();
    expect(parseHfUrl('https://example.org/models/x')).toBeNull();
  });

  it('the real fetch fits FetchLike', () => {
    const real: FetchLike = globalThis.fetch; // compile-time check; the call below is never made
    expect(typeof real).toBe('function');
  });

  it('a pasted link to a file of a plain folder means the folder', async () => {
    const requested: string[] = [];
    const f: FetchLike = async (url) => {
      requested.push(url);
      return { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) };
    };
    const src = modelSourceFromUrl('https://example.org/m/x/config.json?download=1', f);
    expect(src.name).toBe('https://example.org/m/x');
    expect(await src.read('tokenizer.json')).toBeNull();
    expect(requested).toEqual(['https://example.org/m/x/tokenizer.json']);
  });

  /** The injected transport: serves a fixture folder at `prefix`, 404 for anything else. */
  function fixtureFetch(rel: string, prefix: string, requested: string[]): FetchLike {
    const files = readFolder(rel);
    return async (url) => {
      requested.push(url);
      const bytes = url.startsWith(prefix) ? files.get(decodeURIComponent(url.slice(prefix.length))) : undefined;
      if (!bytes) return { ok: false, status: 404, statusText: 'Not Found', arrayBuffer: async () => new ArrayBuffer(0) };
      return { ok: true, status: 200, arrayBuffer: async () => bytes.slice().buffer };
    };
  }

  it('loads a sharded repo from a hub tree URL (404s are just absent files)', async () => {
    const requested: string[] = [];
    const prefix = 'https://huggingface.co/org/tiny-llama-gqa/resolve/refs%2Fpr%2F1/';
    const src = modelSourceFromUrl('https://huggingface.co/org/tiny-llama-gqa/tree/refs%2Fpr%2F1', fixtureFetch('fixtures/tiny-llama-gqa', prefix, requested));
    expect(src.name).toBe('org/tiny-llama-gqa@refs/pr/1');
    const m = await loadModel(src);
    expect(m.config.numKvHeads).toBe(2);
    expect(requested).toContain(`${prefix}model.safetensors`); // tried first, 404
    expect(requested).toContain(`${prefix}model-00002-of-00002.safetensors`);
    expect(requested.every((u) => u.startsWith(prefix))).toBe(true);
  });

  it('loads a plain folder URL (e.g. the shipped default model) as base/FILE', async () => {
    const requested: string[] = [];
    const src = modelSourceFromUrl('/models/sotu-llama-1m/', fixtureFetch('sotu-llama-1m', '/models/sotu-llama-1m/', requested));
    const m = await loadModel(src);
    expect(m.numParams).toBe(1_016_960);
    expect(requested[0]).toBe('/models/sotu-llama-1m/config.json');
  });

  it('an HTML answer for a non-HTML file (SPA fallback) counts as missing', async () => {
    const html: FetchLike = async () => ({
      ok: true,
      status: 200,
      headers: { get: (k: string) => (k === 'content-type' ? 'text/html; charset=utf-8' : null) },
      arrayBuffer: async () => new TextEncoder().encode('<!doctype html>').buffer as ArrayBuffer,
    });
    expect(await modelSourceFromUrl('/nowhere', html).read('config.json')).toBeNull();
  });
});
