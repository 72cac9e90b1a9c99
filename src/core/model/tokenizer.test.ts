import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelError } from './errors';
import { loadModel, modelSourceFromFiles } from './load';
import { createTokenizer, synthesizeByteLevelBpe } from './tokenizer';

const ROOT = new URL('../../../public/models/', import.meta.url).pathname;
const json = (rel: string): Record<string, unknown> => JSON.parse(readFileSync(ROOT + rel, 'utf8'));

function readFolder(rel: string): Map<string, Uint8Array> {
  const dir = ROOT + rel;
  return new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))]));
}

describe('default model tokenizer', () => {
  const tok = createTokenizer(json('sotu-llama-1m/tokenizer.json'), json('sotu-llama-1m/tokenizer_config.json'));
  const ref = json('sotu-llama-1m/reference.json') as { input_ids: number[]; text_prefix: string };
  const testTxt = readFileSync(`${ROOT}sotu-llama-1m/test.txt`, 'utf8');

  it("reproduces reference.json's 256 input_ids from test.txt (no BOS)", () => {
    expect(tok.addsBos).toBe(false);
    // A prefix comfortably longer than 256 tokens; only the last pre-token could differ from the full text's.
    const ids = tok.encode(testTxt.slice(0, 4000));
    expect(ids.slice(0, 256)).toEqual(ref.input_ids);
  });

  it('decodes back to the text exactly (clean_up_tokenization_spaces false)', () => {
    const decoded = tok.decode(ref.input_ids);
    expect(testTxt.startsWith(decoded)).toBe(true);
    expect(decoded.startsWith(ref.text_prefix.slice(0, 500))).toBe(true);
    const text = 'Fellow-Citizens: "Peace, commerce, and honest friendship" — 1801.\n\nThe end.';
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('has the 2,048-token vocabulary and encodes the special token as one id', () => {
    expect(tok.vocabSize).toBe(2048);
    expect(tok.encode('<|endoftext|>')).toEqual([2047]);
    expect(tok.decode([])).toBe('');
  });
});

describe('fixture tokenizers', () => {
  for (const f of ['tiny-gpt2', 'tiny-opt', 'tiny-llama-gqa']) {
    it(`${f}: encode(reference.text) = reference.input_ids`, () => {
      const tok = createTokenizer(json(`fixtures/${f}/tokenizer.json`), json(`fixtures/${f}/tokenizer_config.json`));
      const ref = json(`fixtures/${f}/reference.json`) as { text: string; input_ids: number[] };
      expect(tok.encode(ref.text)).toEqual(ref.input_ids);
      expect(tok.vocabSize).toBe(512);
    });
  }

  it("ids beyond the tokenizer (OPT's padded vocab rows) decode as U+FFFD", () => {
    const tok = createTokenizer(json('fixtures/tiny-opt/tokenizer.json'), json('fixtures/tiny-opt/tokenizer_config.json'));
    expect(tok.decode([84, 520, 104, -1, 101])).toBe('T\uFFFDh\uFFFDe');
  });
});

describe('BOS policy', () => {
  const base = json('fixtures/tiny-gpt2/tokenizer.json');
  const cfg = json('fixtures/tiny-gpt2/tokenizer_config.json');
  const template = {
    ...base,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [511], tokens: ['<|endoftext|>'] } },
    },
  };

  it('add_bos_token true prepends bos_token', () => {
    const tok = createTokenizer(base, { ...cfg, add_bos_token: true });
    expect(tok.encode('The')).toEqual([511, 84, 104, 101]);
  });

  it('without add_bos_token, a template that starts with a special token means BOS (LLaMA style)', () => {
    const { add_bos_token: _drop, ...noFlag } = cfg;
    expect(createTokenizer(template, noFlag).encode('The')).toEqual([511, 84, 104, 101]);
    expect(createTokenizer(template, { ...cfg, add_bos_token: false }).encode('The')).toEqual([84, 104, 101]);
  });

  it('add_bos_token true with an unknown BOS falls back to config.json, else is an error', () => {
    const odd = { ...cfg, add_bos_token: true, bos_token: '<s>' };
    expect(createTokenizer(base, odd, { bosTokenId: 7 }).encode('T')).toEqual([7, 84]);
    expect(() => createTokenizer(base, odd)).toThrow(
      'tokenizer_config.json: add_bos_token is true but the BOS token "<s>" is not in the vocabulary and config.json has no bos_token_id',
    );
  });
});

/** GPT-2's byte → unicode map restricted to what the tiny vocabulary below uses: ASCII letters map to themselves, space to Ġ. */
function tinyOptTokenizerFiles(): { vocab: Record<string, number>; merges: string; config: Record<string, unknown> } {
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  for (const ch of ['H', 'e', 'l', 'o', 'Ġ', 'w', 'r', 'd']) vocab[ch] = Object.keys(vocab).length;
  const merges = ['l l', 'H e', 'He ll', 'Hell o', 'Ġ w', 'o r', 'Ġw or', 'Ġwor l', 'Ġworl d'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const config = {
    // As facebook/opt-125m's tokenizer_config.json writes them: AddedToken objects, add_bos_token.
    bos_token: { __type: 'AddedToken', content: '</s>', lstrip: false, rstrip: false, normalized: true, single_word: false },
    eos_token: { __type: 'AddedToken', content: '</s>', lstrip: false, rstrip: false, normalized: true, single_word: false },
    unk_token: { __type: 'AddedToken', content: '</s>', lstrip: false, rstrip: false, normalized: true, single_word: false },
    pad_token: { __type: 'AddedToken', content: '<pad>', lstrip: false, rstrip: false, normalized: true, single_word: false },
    add_bos_token: true,
    add_prefix_space: false,
    errors: 'replace',
  };
  return { vocab, merges: `#version: 0.2\n${merges.join('\n')}\n`, config };
}

describe('OPT: tokenizer.json synthesised from vocab.json + merges.txt', () => {
  it('byte-level BPE with the merges, BOS </s> = 2 prepended, special tokens kept whole', () => {
    const { vocab, merges, config } = tinyOptTokenizerFiles();
    const tok = createTokenizer(synthesizeByteLevelBpe(vocab, merges, config), config, { file: 'vocab.json' });
    const hello = vocab['Hello'];
    const world = vocab['Ġworld'];
    expect(tok.addsBos).toBe(true);
    expect(tok.bosTokenId).toBe(2);
    expect(tok.encode('Hello world')).toEqual([2, hello, world]);
    expect(tok.encode('Hello</s>')).toEqual([2, hello, 2]);
    expect(tok.encode('Held')).toEqual([2, vocab['He'], vocab['l'], vocab['d']]);
    expect(tok.decode([2, hello, world])).toBe('</s>Hello world');
  });

  it('loadModel builds it when the folder has no tokenizer.json', async () => {
    const { vocab, merges, config } = tinyOptTokenizerFiles();
    const files = readFolder('fixtures/tiny-opt');
    files.delete('tokenizer.json');
    files.set('vocab.json', new TextEncoder().encode(JSON.stringify(vocab)));
    files.set('merges.txt', new TextEncoder().encode(merges));
    files.set('tokenizer_config.json', new TextEncoder().encode(JSON.stringify(config)));
    const m = await loadModel(modelSourceFromFiles(files, 'opt'));
    expect(m.tokenizer.encode('Hello world')).toEqual([2, vocab['Hello'], vocab['Ġworld']]);
    expect(m.tokenizer.vocabSize).toBe(Object.keys(vocab).length);
  });

  it('a character outside the vocabulary is a ModelError, not an undefined id', () => {
    const { vocab, merges, config } = tinyOptTokenizerFiles();
    const tok = createTokenizer(synthesizeByteLevelBpe(vocab, merges, config), config, { file: 'vocab.json' });
    expect(() => tok.encode('Hex')).toThrow(ModelError);
    expect(() => tok.encode('Hex')).toThrow('vocab.json: cannot encode "x" (byte 0x78): its byte is not in the vocabulary and there is no unk_token');
    expect(() => tok.encode('Hé')).toThrow('vocab.json: cannot encode a non-ASCII character (byte 0xc3)');
  });

  it('malformed merges.txt and vocab.json are ModelErrors naming the file', () => {
    const { vocab, config } = tinyOptTokenizerFiles();
    expect(() => synthesizeByteLevelBpe(vocab, '#version: 0.2\nl l\nabc\n', config)).toThrow('merges.txt: line 3 "abc" is not a merge "A B"');
    expect(() => synthesizeByteLevelBpe({ a: -1 }, '', config)).toThrow('vocab.json: token "a" has id -1; expected a non-negative integer');
    expect(() => synthesizeByteLevelBpe([], '', config)).toThrow('vocab.json: must map token strings to ids');
  });
});
