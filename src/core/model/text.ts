/**
 * UTF-8 and JSON reading for model files, with ModelErrors that name the file. TextDecoder is
 * looked up on globalThis because ring 1 compiles without the DOM and Node libs; every runtime the
 * studio targets (browsers, workers, Node ≥ 20) has it.
 */
import { ModelError } from './errors';

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
type DecoderCtor = new (label: string, options: { fatal: boolean }) => Utf8Decoder;

let strictDecoder: Utf8Decoder | null = null;

function decoder(): Utf8Decoder {
  if (strictDecoder) return strictDecoder;
  const Ctor = (globalThis as { TextDecoder?: DecoderCtor }).TextDecoder;
  if (!Ctor) throw new Error('TextDecoder is not available in this runtime');
  strictDecoder = new Ctor('utf-8', { fatal: true });
  return strictDecoder;
}

type EncoderCtor = new () => { encode(text: string): Uint8Array };

/** UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  const Ctor = (globalThis as { TextEncoder?: EncoderCtor }).TextEncoder;
  if (!Ctor) throw new Error('TextEncoder is not available in this runtime');
  return new Ctor().encode(text);
}

/** Decodes UTF-8 strictly (invalid bytes are an error, not U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, file: string, what = 'the file'): string {
  try {
    return decoder().decode(bytes);
  } catch {
    throw new ModelError(file, 'bad-json', `${what} is not valid UTF-8`);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a JSON file that must hold an object; errors name the file and quote the parser. */
export function parseJsonObject(bytes: Uint8Array, file: string, kind: 'bad-json' | 'tokenizer' = 'bad-json'): JsonObject {
  const text = decodeUtf8(bytes, file);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelError(file, kind, `is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw new ModelError(file, kind, `must hold a JSON object, found ${jsonKind(v)}`);
  return v;
}

export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** A JSON value for messages, kept short. */
export function quote(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
