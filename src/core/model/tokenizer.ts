/**
 * The studio's tokenizer: @huggingface/tokenizers over a model folder's tokenizer.json (+ optional
 * tokenizer_config.json), or over vocab.json + merges.txt when a repo has no tokenizer.json
 * (facebook/opt-*), from which the equivalent ByteLevel BPE tokenizer.json is synthesised.
 *
 * encode() never lets the post-processor add special tokens (no EOS appended, no pair templates);
 * a BOS is prepended exactly when the model expects one: tokenizer_config.json's `add_bos_token`
 * when it says so (OPT: true, `</s>` = 2), otherwise when tokenizer.json's TemplateProcessing
 * starts with a special token (LLaMA-style `<s> $A`).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from './errors';
import { encodeUtf8, isObject, quote, type JsonObject } from './text';
import type { TextTokenizer } from './types';

export interface TokenizerOptions {
  /** The file to name in errors (tokenizer.json, or vocab.json when synthesised). */
  file?: string;
  /** config.json's bos_token_id, used when the tokenizer config asks for a BOS without naming one we can find. */
  bosTokenId?: number | null;
}

/** A TextTokenizer with what it does about BOS made visible (for display and the CLI). */
export class HfTextTokenizer implements TextTokenizer {
  /** Number of ids the tokenizer can produce or decode (max id + 1, added tokens included). */
  readonly vocabSize: number;
  /** Whether encode() prepends `bosTokenId`. */
  readonly addsBos: boolean;
  readonly bosTokenId: number | null;

  constructor(
    private readonly tok: Tokenizer,
    addsBos: boolean,
    bosTokenId: number | null,
    /** The file the vocabulary came from, for errors. */
    readonly file = 'tokenizer.json',
    /** Bytes a byte-level BPE without unk/byte-fallback cannot encode (normally none). */
    private readonly missingBytes: ReadonlySet<number> = new Set(),
  ) {
    let max = -1;
    for (const id of tok.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    this.addsBos = addsBos && bosTokenId !== null;
    this.bosTokenId = bosTokenId;
  }

  /** Token ids of `text`, with the model's BOS first when it expects one. */
  encode(text: string): number[] {
    if (this.missingBytes.size > 0) this.checkBytes(text);
    const ids = this.tok.encode(text, { add_special_tokens: false }).ids;
    return this.addsBos ? [this.bosTokenId as number, ...ids] : ids;
  }

  /**
   * The library drops a byte-level symbol that is not in the vocabulary when there is no unk token,
   * which would silently shorten evaluation text. Real byte-level vocabularies hold all 256 bytes,
   * so this scan only runs for odd (e.g. truncated) ones.
   */
  private checkBytes(text: string): void {
    // Added tokens (e.g. "</s>") are matched whole before BPE, so their bytes need no symbol.
    let rest = text;
    for (const t of this.tok.get_added_tokens_decoder().values()) if (t.content) rest = rest.split(t.content).join('');
    for (const b of encodeUtf8(rest)) {
      if (this.missingBytes.has(b)) {
        const ch = b < 0x80 ? quote(String.fromCharCode(b)) : 'a non-ASCII character';
        throw new ModelError(
          this.file,
          'tokenizer',
          `cannot encode ${ch} (byte 0x${b.toString(16).padStart(2, '0')}): its byte is not in the vocabulary and there is no unk_token`,
        );
      }
    }
  }

  /** Decodes ids, special tokens included. Ids the tokenizer does not know (e.g. OPT's padded rows 50265+) show as U+FFFD. */
  decode(ids: readonly number[]): string {
    let out = '';
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) out += this.tok.decode(run);
      run = [];
    };
    for (const id of ids) {
      if (Number.isInteger(id) && id >= 0 && this.tok.id_to_token(id) !== undefined) run.push(id);
      else {
        flush();
        out += '\uFFFD';
      }
    }
    flush();
    return out;
  }

  /** The token string of an id (undefined when unknown), for display. */
  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}

/** Builds the tokenizer from parsed tokenizer.json and tokenizer_config.json (null when absent). */
export function createTokenizer(tokenizerJson: unknown, tokenizerConfig: JsonObject | null, opts: TokenizerOptions = {}): HfTextTokenizer {
  const file = opts.file ?? 'tokenizer.json';
  if (!isObject(tokenizerJson)) throw new ModelError(file, 'tokenizer', 'must hold a JSON object');
  if (!isObject(tokenizerJson.model)) throw new ModelError(file, 'tokenizer', 'has no "model" object (not a Hugging Face tokenizer.json?)');
  if (tokenizerJson.added_tokens !== undefined && !Array.isArray(tokenizerJson.added_tokens)) {
    throw new ModelError(file, 'tokenizer', `"added_tokens" is ${quote(tokenizerJson.added_tokens)}; expected a list`);
  }
  const json = { added_tokens: [], ...tokenizerJson };
  const config = tokenizerConfig ?? {};

  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
    tok.encode('Hello, world', { add_special_tokens: false }); // some malformed parts only fail on use
  } catch (e) {
    throw new ModelError(file, 'tokenizer', `cannot be used: ${(e as Error).message}`);
  }

  const bos = bosPolicy(tokenizerJson, config);
  let bosId: number | null = null;
  if (bos.token !== null) bosId = tok.token_to_id(bos.token) ?? null;
  if (bosId === null && bos.id !== null) bosId = bos.id;
  if (bosId === null && opts.bosTokenId !== undefined && opts.bosTokenId !== null) bosId = opts.bosTokenId;
  if (bos.add && bosId === null) {
    throw new ModelError(
      'tokenizer_config.json',
      'tokenizer',
      `add_bos_token is true but the BOS token ${quote(bos.token)} is not in the vocabulary and config.json has no bos_token_id`,
    );
  }
  return new HfTextTokenizer(tok, bos.add, bosId, file, missingByteLevelBytes(tokenizerJson, tok));
}

/** GPT-2's byte → printable-character map used by ByteLevel pre-tokenizers. */
function byteLevelChars(): string[] {
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    chars.push(String.fromCharCode(printable ? b : 256 + extra++));
  }
  return chars;
}

/** For a byte-level BPE with neither unk_token nor byte_fallback: the bytes whose symbol is not in the vocabulary. */
function missingByteLevelBytes(json: JsonObject, tok: Tokenizer): Set<number> {
  const missing = new Set<number>();
  const model = json.model as JsonObject;
  const isByteLevel = (p: unknown): boolean =>
    isObject(p) && (p.type === 'ByteLevel' || (p.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.some(isByteLevel)));
  if (model.type !== 'BPE' || model.byte_fallback === true || (model.unk_token ?? null) !== null || !isByteLevel(json.pre_tokenizer)) return missing;
  byteLevelChars().forEach((ch, b) => {
    if (tok.token_to_id(ch) === undefined) missing.add(b);
  });
  return missing;
}

/** Whether a BOS is prepended, and which token (by string, or by id from a template). */
function bosPolicy(json: JsonObject, config: JsonObject): { add: boolean; token: string | null; id: number | null } {
  const token = tokenContent(config.bos_token);
  const template = templateBos(json.post_processor);
  if (typeof config.add_bos_token === 'boolean') {
    return { add: config.add_bos_token, token: token ?? template?.token ?? null, id: template?.id ?? null };
  }
  if (template) return { add: true, token: template.token, id: template.id };
  return { add: false, token, id: null };
}

/** A TemplateProcessing post-processor whose single-sequence template starts with a special token. */
function templateBos(pp: unknown): { token: string; id: number | null } | null {
  if (!isObject(pp)) return null;
  if (pp.type === 'Sequence' && Array.isArray(pp.processors)) {
    for (const p of pp.processors) {
      const t = templateBos(p);
      if (t) return t;
    }
    return null;
  }
  if (pp.type !== 'TemplateProcessing' || !Array.isArray(pp.single) || pp.single.length === 0) return null;
  const first = pp.single[0];
  if (!isObject(first) || !isObject(first.SpecialToken)) return null;
  const name = first.SpecialToken.id;
  if (typeof name !== 'string') return null;
  const spec = isObject(pp.special_tokens) ? pp.special_tokens[name] : undefined;
  const ids = isObject(spec) && Array.isArray(spec.ids) ? spec.ids : [];
  return { token: name, id: typeof ids[0] === 'number' ? ids[0] : null };
}

/** tokenizer_config.json writes special tokens as strings or as AddedToken objects `{content, ...}`. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return null;
}

/**
 * The tokenizer.json that transformers' GPT2 converter would write for a slow GPT2Tokenizer
 * (vocab.json + merges.txt): byte-level BPE, the GPT-2 split regex, the special tokens of
 * tokenizer_config.json as added tokens (ids from vocab.json or added_tokens_decoder).
 */
export function synthesizeByteLevelBpe(vocab: unknown, mergesText: string, tokenizerConfig: JsonObject | null): JsonObject {
  if (!isObject(vocab)) throw new ModelError('vocab.json', 'tokenizer', 'must map token strings to ids');
  for (const [tokStr, id] of Object.entries(vocab)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new ModelError('vocab.json', 'tokenizer', `token ${quote(tokStr)} has id ${quote(id)}; expected a non-negative integer`);
    }
  }
  const merges: string[] = [];
  const lines = mergesText.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new ModelError('merges.txt', 'tokenizer', `line ${i + 1} ${quote(line)} is not a merge "A B"`);
    }
    merges.push(line);
  });

  const cfg = tokenizerConfig ?? {};
  const added = new Map<number, string>();
  const decoderEntries = isObject(cfg.added_tokens_decoder) ? cfg.added_tokens_decoder : {};
  for (const [idText, v] of Object.entries(decoderEntries)) {
    const content = tokenContent(v);
    const id = Number(idText);
    if (content !== null && Number.isSafeInteger(id)) added.set(id, content);
  }
  const specials = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'].map((k) => tokenContent(cfg[k]));
  if (Array.isArray(cfg.additional_special_tokens)) specials.push(...cfg.additional_special_tokens.map(tokenContent));
  for (const s of specials) {
    if (s === null || [...added.values()].includes(s)) continue;
    const id = vocab[s];
    if (typeof id === 'number') added.set(id, s);
  }
  const addPrefixSpace = cfg.add_prefix_space === true;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...added.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, content]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
