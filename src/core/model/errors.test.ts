/**
 * One test per bad input: each corrupts a copy of a fixture in memory and checks that loading
 * fails with a ModelError whose message names the file and the tensor or field at fault.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelError } from './errors';
import { loadModel, modelSourceFromFiles, modelSourceFromUrl, type FetchLike } from './load';
import { MAX_HEADER_BYTES, parseSafetensors } from './safetensors';

const ROOT = new URL('../../../public/models/', import.meta.url).pathname;

function readFolder(rel: string): Map<string, Uint8Array> {
  const dir = ROOT + rel;
  return new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
}

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;

/** Splits a safetensors file into its header object and data section. */
function split(bytes: Uint8Array): { header: Header; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), data: bytes.subarray(8 + n) };
}

/** Writes header + data back, padding the header with spaces to a multiple of 8 (as real writers do). */
function join(header: unknown, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const h = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A copy of a fixture folder whose `file` is rewritten by `edit(header)`. */
function withHeader(folder: string, file: string, edit: (h: Header) => void): Map<string, Uint8Array> {
  const files = readFolder(folder);
  const { header, data } = split(files.get(file) as Uint8Array);
  edit(header);
  files.set(file, join(header, data));
  return files;
}

function withJson(folder: string, file: string, edit: (j: Record<string, unknown>) => void): Map<string, Uint8Array> {
  const files = readFolder(folder);
  const j = JSON.parse(Buffer.from(files.get(file) as Uint8Array).toString('utf8'));
  edit(j);
  files.set(file, new Uint8Array(Buffer.from(JSON.stringify(j))));
  return files;
}

async function loadError(files: Map<string, Uint8Array>): Promise<ModelError> {
  try {
    await loadModel(modelSourceFromFiles(files, 'test'));
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('loadModel succeeded on bad input');
}

const DEFAULT = 'sotu-llama-1m';
const UP0 = 'model.layers.0.mlp.up_proj.weight';
type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };

describe('safetensors container', () => {
  it('truncated file: names the first tensor past the end and says truncated', async () => {
    const files = readFolder(DEFAULT);
    const bytes = files.get('model.safetensors') as Uint8Array;
    files.set('model.safetensors', bytes.slice(0, bytes.length - 1000));
    const e = await loadError(files);
    expect(e.file).toBe('model.safetensors');
    expect(e.kind).toBe('bad-safetensors');
    expect(e.tensor).toBeDefined();
    expect(e.message).toMatch(/^model\.safetensors: tensor ".+" has data_offsets \[\d+, \d+\] beyond the data section/);
    expect(e.message).toMatch(/the file is 4070896 bytes; its header describes 4071896\): the file is truncated/);
  });

  it('a file shorter than the length field', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'x.safetensors')).toThrow('x.safetensors: file is truncated: 5 bytes, shorter than the 8-byte header length');
  });

  it('header length beyond the file', async () => {
    const files = readFolder(DEFAULT);
    const bytes = (files.get('model.safetensors') as Uint8Array).slice();
    new DataView(bytes.buffer).setUint32(0, 1_000_000_000, true);
    files.set('model.safetensors', bytes);
    const e = await loadError(files);
    expect(e.message).toBe(
      'model.safetensors: header length 1000000000 goes beyond the end of the file (4071896 bytes): the file is truncated or not a safetensors file',
    );
    // A length with the high word set (≥ 2^32) fails the same way instead of wrapping around.
    new DataView(bytes.buffer).setUint32(4, 1, true);
    expect(() => parseSafetensors(bytes, 'model.safetensors')).toThrow(/header length 5294967296 goes beyond the end of the file/);
  });

  it('header length over the 100 MB limit', () => {
    const big = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    new DataView(big.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
    expect(() => parseSafetensors(big, 'big.safetensors')).toThrow('big.safetensors: header length 100000001 exceeds the 100000000-byte limit');
  });

  it('invalid JSON header', async () => {
    const files = readFolder(DEFAULT);
    const bytes = (files.get('model.safetensors') as Uint8Array).slice();
    bytes[9] = 0x7b; // '{{"__metadata__"...': the first key's quote becomes a brace
    files.set('model.safetensors', bytes);
    const e = await loadError(files);
    expect(e.message).toMatch(/^model\.safetensors: header is not valid JSON \(/);
  });

  it('header that is not an object, or not UTF-8', () => {
    expect(() => parseSafetensors(join([1, 2], new Uint8Array(0)), 'a.safetensors')).toThrow('a.safetensors: header must be a JSON object, found an array');
    const bad = join({}, new Uint8Array(0));
    bad[8] = 0xff;
    expect(() => parseSafetensors(bad, 'b.safetensors')).toThrow('b.safetensors: the header is not valid UTF-8');
  });

  it('malformed entries: shape and data_offsets must be lists of non-negative integers', () => {
    const h = (entry: unknown): Uint8Array => join({ t: entry }, new Uint8Array(16));
    expect(() => parseSafetensors(h({ dtype: 'F32', shape: [2, -2], data_offsets: [0, 16] }), 'f')).toThrow(
      'f: tensor "t" has shape [2,-2]; expected a list of non-negative integers',
    );
    expect(() => parseSafetensors(h({ dtype: 'F32', shape: [2.5], data_offsets: [0, 16] }), 'f')).toThrow(/tensor "t" has shape \[2\.5\]/);
    expect(() => parseSafetensors(h({ dtype: 'F32', shape: [4], data_offsets: [16, 0] }), 'f')).toThrow(
      'f: tensor "t" has data_offsets [16,0]; expected [begin, end] with 0 <= begin <= end',
    );
    expect(() => parseSafetensors(h({ dtype: 7, shape: [4], data_offsets: [0, 16] }), 'f')).toThrow('f: tensor "t" has dtype 7');
    expect(() => parseSafetensors(h('F32'), 'f')).toThrow('f: tensor "t" must be described by an object, found a string');
  });

  it('unknown dtype on a needed tensor names the tensor and the dtype', async () => {
    const i32 = withHeader(DEFAULT, 'model.safetensors', (h) => {
      (h[UP0] as Entry).dtype = 'I32'; // same item size, so the container itself is consistent
    });
    const e = await loadError(i32);
    expect(e.kind).toBe('dtype');
    expect(e.tensor).toBe(UP0);
    expect(e.message).toBe(
      `model.safetensors: tensor "${UP0}" has dtype I32; the studio reads F32, F16, BF16 (convert the checkpoint, e.g. with torch_dtype=float16)`,
    );
    const q4 = withHeader(DEFAULT, 'model.safetensors', (h) => {
      (h[UP0] as Entry).dtype = 'Q4_K';
    });
    expect((await loadError(q4)).message).toMatch(`tensor "${UP0}" has unknown dtype Q4_K`);
  });

  it('an unneeded tensor (GPT-2 attn.bias mask buffer) may have any dtype', async () => {
    const files = readFolder('fixtures/tiny-gpt2');
    const { header, data } = split(files.get('model.safetensors') as Uint8Array);
    const end = data.length;
    const mask = new Uint8Array(64 * 64).fill(1);
    header['transformer.h.0.attn.bias'] = { dtype: 'BOOL', shape: [1, 1, 64, 64], data_offsets: [end, end + mask.length] };
    header['transformer.h.0.attn.masked_bias'] = { dtype: 'WEIRD', shape: [], data_offsets: [end + mask.length, end + mask.length + 4] };
    const joined = new Uint8Array(end + mask.length + 4);
    joined.set(data);
    joined.set(mask, end);
    files.set('model.safetensors', join(header, joined));
    const m = await loadModel(modelSourceFromFiles(files, 'gpt2 + buffers'));
    expect(m.numParams).toBe(43904); // buffers are not parameters
    expect(m.weights.unused).toEqual([]);
  });

  it('data_offsets whose length disagrees with shape × dtype', async () => {
    const e = await loadError(
      withHeader(DEFAULT, 'model.safetensors', (h) => {
        (h[UP0] as Entry).data_offsets[1] -= 4;
      }),
    );
    const [b, end] = (split(readFolder(DEFAULT).get('model.safetensors') as Uint8Array).header[UP0] as Entry).data_offsets;
    expect(e.message).toBe(`model.safetensors: tensor "${UP0}" has data_offsets [${b}, ${end - 4}] but shape [320,128] F32 needs 163840 bytes`);
    expect(e.tensor).toBe(UP0);
  });

  it('overlapping data_offsets', async () => {
    const gate = 'model.layers.0.mlp.gate_proj.weight';
    const files = withHeader(DEFAULT, 'model.safetensors', (h) => {
      (h[UP0] as Entry).data_offsets = [...(h[gate] as Entry).data_offsets];
    });
    const e = await loadError(files);
    expect(e.message).toMatch(/^model\.safetensors: tensors "model\.layers\.0\.mlp\.(gate|up)_proj\.weight" \[\d+, \d+\] and "model\.layers\.0\.mlp\.(gate|up)_proj\.weight" \[\d+, \d+\] overlap in the data section$/);
  });

  it('data_offsets out of range', async () => {
    const files = withHeader(DEFAULT, 'model.safetensors', (h) => {
      const o = (h[UP0] as Entry).data_offsets;
      (h[UP0] as Entry).data_offsets = [o[0] + 4_000_000, o[1] + 4_000_000];
    });
    const e = await loadError(files);
    expect(e.tensor).toBe(UP0);
    expect(e.message).toMatch(new RegExp(`^model\\.safetensors: tensor "${UP0.replace(/\./g, '\\.')}" has data_offsets \\[\\d+, \\d+\\] beyond the data section, which holds \\d+ bytes`));
  });
});

describe('checkpoint against config', () => {
  it('missing tensor names the checkpoint and the canonical name', async () => {
    const files = withHeader(DEFAULT, 'model.safetensors', (h) => {
      delete h['model.layers.1.mlp.up_proj.weight'];
    });
    const e = await loadError(files);
    expect(e.kind).toBe('missing-tensor');
    expect(e.message).toBe('model.safetensors: missing tensor "model.layers.1.mlp.up_proj.weight" (canonical "L1.up.w")');
  });

  it('missing embedding lists the names looked for', async () => {
    const files = withHeader('fixtures/tiny-gpt2', 'model.safetensors', (h) => {
      delete h['transformer.wte.weight'];
    });
    expect((await loadError(files)).message).toBe(
      'model.safetensors: missing tensor "transformer.wte.weight" (canonical "embed"); looked for "transformer.wte.weight", "wte.weight"',
    );
  });

  it('untied LLaMA without lm_head.weight', async () => {
    const files = readFolder('fixtures/tiny-llama-gqa');
    const idx = JSON.parse(Buffer.from(files.get('model.safetensors.index.json') as Uint8Array).toString());
    delete idx.weight_map['lm_head.weight'];
    files.set('model.safetensors.index.json', new Uint8Array(Buffer.from(JSON.stringify(idx))));
    expect((await loadError(files)).message).toBe('model.safetensors.index.json: missing tensor "lm_head.weight" (canonical "head.w")');
  });

  it('shape mismatch names the tensor, its shape and the expected shape', async () => {
    const files = withHeader(DEFAULT, 'model.safetensors', (h) => {
      (h[UP0] as Entry).shape = [128, 320]; // same bytes, wrong orientation
    });
    const e = await loadError(files);
    expect(e.kind).toBe('shape');
    expect(e.message).toBe(`model.safetensors: tensor "${UP0}" has shape [128,320] but config.json implies [320,128] (canonical "L0.up.w")`);
  });

  it('GQA: k_proj sized for full heads is a shape error', async () => {
    const files = withJson('fixtures/tiny-llama-gqa', 'config.json', (c) => {
      c.num_key_value_heads = 4;
    });
    expect((await loadError(files)).message).toBe(
      'model-00001-of-00002.safetensors: tensor "model.layers.0.self_attn.k_proj.weight" has shape [16,32] but config.json implies [32,32] (canonical "L0.k.w")',
    );
  });

  it('a layer beyond num_hidden_layers', async () => {
    const files = withJson(DEFAULT, 'config.json', (c) => {
      c.num_hidden_layers = 3;
    });
    expect((await loadError(files)).message).toMatch(/^model\.safetensors: tensor "model\.layers\.3\.[a-z_.]+" belongs to layer 3 but config\.json has 3 layers$/);
  });

  it('an extra parameter inside a layer (e.g. Qwen3-style q_norm) is refused, not ignored', async () => {
    const files = readFolder(DEFAULT);
    const { header, data } = split(files.get('model.safetensors') as Uint8Array);
    const end = data.length;
    header['model.layers.0.self_attn.q_norm.weight'] = { dtype: 'F32', shape: [32], data_offsets: [end, end + 128] };
    const grown = new Uint8Array(end + 128);
    grown.set(data);
    files.set('model.safetensors', join(header, grown));
    const e = await loadError(files);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(
      'model.safetensors: tensor "model.layers.0.self_attn.q_norm.weight" is not part of the llama layout the studio implements (an extra parameter would change the forward pass)',
    );
  });
});

describe('config.json', () => {
  it('unsupported architecture: Mistral with a sliding window', async () => {
    const files = withJson(DEFAULT, 'config.json', (c) => {
      c.architectures = ['MistralForCausalLM'];
      c.model_type = 'mistral';
      c.sliding_window = 128;
    });
    const e = await loadError(files);
    expect(e.field).toBe('sliding_window');
    expect(e.message).toBe(
      'config.json: sliding_window 128 is not supported: sliding-window attention is not implemented; supported: null, or a window >= max_position_embeddings (256)',
    );
  });

  it('unsupported architecture: BertModel', async () => {
    const files = withJson(DEFAULT, 'config.json', (c) => {
      c.architectures = ['BertModel'];
      c.model_type = 'bert';
    });
    const e = await loadError(files);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe(
      'config.json: model_type "bert" (architectures ["BertModel"]) is not supported; supported: llama (LlamaForCausalLM; also MistralForCausalLM without a sliding window), gpt2 (GPT2LMHeadModel), opt (OPTForCausalLM, pre-LN)',
    );
  });

  it('OPT with do_layer_norm_before false (post-LN)', async () => {
    const files = withJson('fixtures/tiny-opt', 'config.json', (c) => {
      c.do_layer_norm_before = false;
    });
    const e = await loadError(files);
    expect(e.field).toBe('do_layer_norm_before');
    expect(e.message).toBe(
      'config.json: do_layer_norm_before false is not supported: post-LN OPT (e.g. opt-350m) is not implemented; supported: true (pre-LN, as opt-125m and opt-1.3b and larger)',
    );
  });

  it('missing config.json, and config.json that is not JSON', async () => {
    const files = readFolder(DEFAULT);
    files.delete('config.json');
    expect((await loadError(files)).message).toBe('config.json: is missing from test; a Hugging Face model folder needs it');
    files.set('config.json', new Uint8Array(Buffer.from('{"model_type": "llama",')));
    expect((await loadError(files)).message).toMatch(/^config\.json: is not valid JSON \(/);
  });
});

describe('files of the folder', () => {
  it('missing shard names the index and the shard', async () => {
    const files = readFolder('fixtures/tiny-llama-gqa');
    files.delete('model-00002-of-00002.safetensors');
    const e = await loadError(files);
    expect(e.kind).toBe('missing-file');
    expect(e.message).toBe('model.safetensors.index.json: shard "model-00002-of-00002.safetensors" is listed in weight_map but the file is missing');
  });

  it('a weight_map that puts a tensor in the wrong shard', async () => {
    const files = readFolder('fixtures/tiny-llama-gqa');
    const idx = JSON.parse(Buffer.from(files.get('model.safetensors.index.json') as Uint8Array).toString());
    idx.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    files.set('model.safetensors.index.json', new Uint8Array(Buffer.from(JSON.stringify(idx))));
    expect((await loadError(files)).message).toBe(
      'model-00001-of-00002.safetensors: has no tensor "model.norm.weight", which model.safetensors.index.json places in it',
    );
  });

  it('a shard name that escapes the folder', async () => {
    const files = readFolder('fixtures/tiny-llama-gqa');
    const idx = JSON.parse(Buffer.from(files.get('model.safetensors.index.json') as Uint8Array).toString());
    idx.weight_map['model.norm.weight'] = '../secrets.safetensors';
    files.set('model.safetensors.index.json', new Uint8Array(Buffer.from(JSON.stringify(idx))));
    expect((await loadError(files)).message).toBe(
      'model.safetensors.index.json: weight_map gives tensor "model.norm.weight" the shard "../secrets.safetensors"; expected a file name in the same folder',
    );
  });

  it('no weights at all', async () => {
    const files = readFolder(DEFAULT);
    files.delete('model.safetensors');
    expect((await loadError(files)).message).toBe(
      'model.safetensors: is missing from test, and so is model.safetensors.index.json; the studio reads safetensors checkpoints (convert pytorch_model.bin first)',
    );
  });

  it('missing tokenizer.json', async () => {
    const files = readFolder(DEFAULT);
    files.delete('tokenizer.json');
    const e = await loadError(files);
    expect(e.file).toBe('tokenizer.json');
    expect(e.message).toBe('tokenizer.json: is missing from test (and there is no vocab.json + merges.txt to build one from)');
  });

  it('corrupt tokenizer.json', async () => {
    const files = readFolder(DEFAULT);
    files.set('tokenizer.json', (files.get('tokenizer.json') as Uint8Array).slice(0, 1000));
    expect((await loadError(files)).message).toMatch(/^tokenizer\.json: is not valid JSON \(/);
    files.set('tokenizer.json', new Uint8Array(Buffer.from('{"version": "1.0"}')));
    expect((await loadError(files)).message).toBe('tokenizer.json: has no "model" object (not a Hugging Face tokenizer.json?)');
    files.set('tokenizer.json', new Uint8Array(Buffer.from('{"model": {"type": "Nonsense"}, "added_tokens": []}')));
    expect((await loadError(files)).message).toMatch(/^tokenizer\.json: cannot be used: /);
  });
});

describe('URL source', () => {
  it('HTTP 500 is a ModelError with the status', async () => {
    const fetch500: FetchLike = async () => ({ ok: false, status: 500, statusText: 'Internal Server Error', arrayBuffer: async () => new ArrayBuffer(0) });
    const src = modelSourceFromUrl('https://example.org/models/tiny', fetch500);
    try {
      await loadModel(src);
      throw new Error('should fail');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      const me = e as ModelError;
      expect(me.status).toBe(500);
      expect(me.kind).toBe('http');
      expect(me.message).toBe('config.json: HTTP 500 Internal Server Error fetching https://example.org/models/tiny/config.json');
    }
  });

  it('a network failure (e.g. CORS) is a ModelError too', async () => {
    const broken: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(modelSourceFromUrl('https://huggingface.co/org/name', broken).read('config.json')).rejects.toThrow(
      'config.json: could not fetch https://huggingface.co/org/name/resolve/main/config.json: Failed to fetch (offline, or the server does not allow cross-origin requests)',
    );
  });

  it('401 from the hub hints at private or gated repos', async () => {
    const f401: FetchLike = async () => ({ ok: false, status: 401, arrayBuffer: async () => new ArrayBuffer(0) });
    await expect(modelSourceFromUrl('https://huggingface.co/meta-llama/Llama-2-7b-hf', f401).read('config.json')).rejects.toThrow(
      /HTTP 401 fetching .* \(the repository may be private or gated, or may not exist\)$/,
    );
  });
});
