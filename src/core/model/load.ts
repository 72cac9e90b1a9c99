/**
 * loadModel: a Hugging Face model folder (config.json, model.safetensors or a sharded index,
 * tokenizer files) → LoadedModel. I/O comes in through a ModelFileSource; this file also holds the
 * two sources core can build without Node: over dropped files, and over fetch() (URLs, HF repos).
 *
 * Small files are read first (config, tokenizer) so a wrong folder fails before megabytes of
 * weights are fetched.
 */
import { parseConfig } from './config';
import { ModelError } from './errors';
import { parseSafetensors, type RawTensor, type SafetensorsFile } from './safetensors';
import { decodeUtf8, isObject, parseJsonObject, quote, type JsonObject } from './text';
import { createTokenizer, synthesizeByteLevelBpe, type HfTextTokenizer } from './tokenizer';
import type { LoadedModel, ModelConfig, ModelFileSource } from './types';
import { mapWeights, type CheckpointTensors, type MappedWeights } from './weights';

export interface LoadProgress {
  /** The file just read. */
  file: string;
  /** Bytes read so far, all files together. */
  loaded: number;
  /** Size of `file`. */
  fileBytes: number;
}

export interface LoadOptions {
  /** Called after each file is read. */
  onProgress?(p: LoadProgress): void;
}

/** LoadedModel with the loader's extra detail (what it found and left over). */
export interface LoadedHfModel extends LoadedModel {
  readonly weights: MappedWeights;
  readonly tokenizer: HfTextTokenizer;
  /** The weight files read: `model.safetensors`, or the shard names. */
  readonly weightFiles: readonly string[];
}

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

export async function loadModel(src: ModelFileSource, opts: LoadOptions = {}): Promise<LoadedHfModel> {
  let loaded = 0;
  const read = async (file: string): Promise<Uint8Array | null> => {
    const bytes = await src.read(file);
    if (bytes) {
      loaded += bytes.length;
      opts.onProgress?.({ file, loaded, fileBytes: bytes.length });
    }
    return bytes;
  };

  const configBytes = await read('config.json');
  if (!configBytes) throw new ModelError('config.json', 'missing-file', `is missing from ${src.name}; a Hugging Face model folder needs it`);
  const config = parseConfig(parseJsonObject(configBytes, 'config.json'));

  const tokenizer = await loadTokenizer(read, config, src.name);

  const { ckpt, files } = await loadCheckpoint(read, src.name);
  const weights = mapWeights(config, ckpt);

  return { name: src.name, config, weights, tokenizer, numParams: weights.numParams, weightFiles: files };
}

type Read = (file: string) => Promise<Uint8Array | null>;

async function loadTokenizer(read: Read, config: ModelConfig, srcName: string): Promise<HfTextTokenizer> {
  const cfgBytes = await read('tokenizer_config.json');
  const tokCfg = cfgBytes ? parseJsonObject(cfgBytes, 'tokenizer_config.json', 'tokenizer') : null;
  const opts = { bosTokenId: config.bosTokenId };
  const jsonBytes = await read('tokenizer.json');
  if (jsonBytes) return createTokenizer(parseJsonObject(jsonBytes, 'tokenizer.json', 'tokenizer'), tokCfg, opts);

  // No tokenizer.json (facebook/opt-*): the slow tokenizer's files, if this is a GPT-2-style BPE.
  const vocabBytes = await read('vocab.json');
  const mergesBytes = vocabBytes ? await read('merges.txt') : null;
  if (!vocabBytes || !mergesBytes) {
    throw new ModelError(
      'tokenizer.json',
      'missing-file',
      `is missing from ${srcName}${vocabBytes ? ', and vocab.json has no merges.txt to go with it' : ' (and there is no vocab.json + merges.txt to build one from)'}`,
    );
  }
  const json = synthesizeByteLevelBpe(
    parseJsonObject(vocabBytes, 'vocab.json', 'tokenizer'),
    decodeUtf8(mergesBytes, 'merges.txt'),
    tokCfg,
  );
  return createTokenizer(json, tokCfg, { ...opts, file: 'vocab.json' });
}

async function loadCheckpoint(read: Read, srcName: string): Promise<{ ckpt: CheckpointTensors; files: string[] }> {
  const single = await read(SINGLE_FILE);
  if (single) {
    const st = parseSafetensors(single, SINGLE_FILE);
    return {
      files: [SINGLE_FILE],
      ckpt: {
        file: SINGLE_FILE,
        has: (n) => st.tensors.has(n),
        names: () => [...st.tensors.keys()],
        read: (n) => st.read(n),
      },
    };
  }
  const indexBytes = await read(INDEX_FILE);
  if (!indexBytes) {
    throw new ModelError(
      SINGLE_FILE,
      'missing-file',
      `is missing from ${srcName}, and so is ${INDEX_FILE}; the studio reads safetensors checkpoints (convert pytorch_model.bin first)`,
    );
  }
  const weightMap = parseIndex(parseJsonObject(indexBytes, INDEX_FILE));
  const shardNames = [...new Set(weightMap.values())];
  const shards = new Map<string, SafetensorsFile>();
  for (const shard of shardNames) {
    const bytes = await read(shard);
    if (!bytes) {
      throw new ModelError(INDEX_FILE, 'missing-file', `shard "${shard}" is listed in weight_map but the file is missing`);
    }
    shards.set(shard, parseSafetensors(bytes, shard));
  }
  return {
    files: shardNames,
    ckpt: {
      file: INDEX_FILE,
      has: (n) => weightMap.has(n),
      names: () => [...weightMap.keys()],
      read(n): RawTensor {
        const shard = weightMap.get(n);
        const st = shard === undefined ? undefined : shards.get(shard);
        if (!shard || !st) throw new ModelError(INDEX_FILE, 'missing-tensor', `weight_map has no tensor "${n}"`, { tensor: n });
        if (!st.tensors.has(n)) {
          throw new ModelError(shard, 'missing-tensor', `has no tensor "${n}", which ${INDEX_FILE} places in it`, { tensor: n });
        }
        return st.read(n);
      },
    },
  };
}

/** weight_map: tensor name → shard file; shard names must be plain relative file names. */
function parseIndex(index: JsonObject): Map<string, string> {
  const wm = index.weight_map;
  if (!isObject(wm)) throw new ModelError(INDEX_FILE, 'bad-json', `"weight_map" is ${quote(wm)}; expected an object of tensor name → shard file`);
  const map = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || !isSafeRelativePath(shard)) {
      throw new ModelError(INDEX_FILE, 'bad-json', `weight_map gives tensor "${tensor}" the shard ${quote(shard)}; expected a file name in the same folder`, {
        tensor,
      });
    }
    map.set(tensor, shard);
  }
  if (map.size === 0) throw new ModelError(INDEX_FILE, 'bad-json', 'weight_map is empty');
  return map;
}

/** A relative path without `..`, absolute roots, schemes or backslashes (it is joined to a URL or folder). */
function isSafeRelativePath(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !/[\\:?#]/.test(p) && p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * A source over files the user dropped or picked. Keys may carry folder paths
 * (`sotu-llama-1m/config.json`, as a dropped folder gives them): a file is found by its exact name,
 * else by its base name when exactly one key has it.
 */
export function modelSourceFromFiles(files: ReadonlyMap<string, Uint8Array>, name: string): ModelFileSource {
  const byBase = new Map<string, string[]>();
  for (const key of files.keys()) {
    const base = key.slice(key.replace(/\\/g, '/').lastIndexOf('/') + 1);
    byBase.set(base, [...(byBase.get(base) ?? []), key]);
  }
  return {
    name,
    async read(file) {
      const exact = files.get(file);
      if (exact) return exact;
      const keys = byBase.get(file.slice(file.lastIndexOf('/') + 1)) ?? [];
      if (keys.length > 1) {
        throw new ModelError(file, 'missing-file', `is ambiguous: the dropped files hold several (${keys.join(', ')}); drop one model folder at a time`);
      }
      return keys.length === 1 ? (files.get(keys[0]) ?? null) : null;
    },
  };
}

/** The part of fetch() the URL source uses; the real fetch fits it. */
export type FetchLike = (url: string) => Promise<{
  ok: boolean;
  status: number;
  statusText?: string;
  headers?: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface HfRepoRef {
  /** `ORG/NAME` (or a legacy single-segment id like `gpt2`). */
  repo: string;
  /** Branch, tag, commit or URL-encoded ref (`refs%2Fpr%2F35`). */
  revision: string;
  /** Folder inside the repo, '' or ending in '/'. */
  subfolder: string;
}

/** Parses https://huggingface.co/ORG/NAME[/tree|blob|resolve/REV[/SUBFOLDER]] (also hf.co); null for other URLs. */
export function parseHfUrl(url: string): HfRepoRef | null {
  const m = /^https?:\/\/(?:www\.)?(?:huggingface\.co|hf\.co)\/([^?#]*)/.exec(url.trim());
  if (!m) return null;
  const segs = m[1].split('/').filter((s) => s !== '');
  if (segs.length === 0 || ['datasets', 'spaces', 'docs', 'models'].includes(segs[0])) return null;
  const isVerb = (s: string | undefined): boolean => s === 'tree' || s === 'blob' || s === 'resolve';
  const repoLen = segs.length >= 2 && !isVerb(segs[1]) ? 2 : 1;
  const rest = segs.slice(repoLen);
  if (rest.length > 0 && !isVerb(rest[0])) return null;
  // tree/REV/DIR names a folder; blob|resolve/REV/DIR/FILE names a file in it.
  const folder = rest[0] === 'tree' ? rest.slice(2) : rest.slice(2, -1);
  return {
    repo: segs.slice(0, repoLen).join('/'),
    revision: rest[1] ?? 'main',
    subfolder: folder.length > 0 ? `${folder.join('/')}/` : '',
  };
}

function encodePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/**
 * A source over HTTP: a Hugging Face repo URL maps to `resolve/REV/FILE` download URLs; any other
 * URL is a folder (`base/FILE`). A 404 means "no such file" (null); any other failure is a
 * ModelError with the HTTP status. An HTML answer for a non-HTML file is treated as missing too:
 * single-page-app dev servers answer unknown paths with index.html and status 200.
 */
export function modelSourceFromUrl(baseUrl: string, fetchFn: FetchLike): ModelFileSource {
  const hf = parseHfUrl(baseUrl);
  // A pasted link to one of the folder's files means its folder.
  const base = baseUrl
    .trim()
    .replace(/[?#].*$/, '')
    .replace(/\/(?:config\.json|model\.safetensors(?:\.index\.json)?|tokenizer(?:_config)?\.json)$/, '')
    .replace(/\/+$/, '');
  const urlOf = (file: string): string =>
    hf
      ? `https://huggingface.co/${hf.repo}/resolve/${hf.revision}/${hf.subfolder}${encodePath(file)}`
      : `${base}/${encodePath(file)}`;
  const name = hf ? `${hf.repo}${hf.revision === 'main' ? '' : `@${decodeURIComponent(hf.revision)}`}${hf.subfolder ? `/${hf.subfolder.slice(0, -1)}` : ''}` : base;
  return {
    name,
    async read(file) {
      const url = urlOf(file);
      let res: Awaited<ReturnType<FetchLike>>;
      try {
        res = await fetchFn(url);
      } catch (e) {
        throw new ModelError(file, 'http', `could not fetch ${url}: ${(e as Error).message} (offline, or the server does not allow cross-origin requests)`);
      }
      if (res.status === 404) return null;
      if (!res.ok) {
        const hint = res.status === 401 || res.status === 403 ? ' (the repository may be private or gated, or may not exist)' : '';
        throw new ModelError(file, 'http', `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} fetching ${url}${hint}`, {
          status: res.status,
        });
      }
      const type = res.headers?.get('content-type') ?? '';
      if (type.startsWith('text/html') && !file.endsWith('.html')) return null;
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
