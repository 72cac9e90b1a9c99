/**
 * A defensive safetensors reader. The file is untrusted: every number in the header is checked
 * against the bytes actually present before any typed array is made, so a corrupt or hostile file
 * gives a ModelError naming the file and tensor, never a RangeError or a view over the wrong bytes.
 *
 * Layout (https://github.com/huggingface/safetensors): u64 LE header length N, N bytes of UTF-8
 * JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {..} }`, then the
 * data section; offsets are relative to its first byte, data is little-endian, row-major.
 */
import { ModelError, shapeText } from './errors';
import type { DType } from './types';
import { decodeUtf8, isObject, jsonKind, quote } from './text';

/** The same limit as the reference implementation: a larger header is a broken or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bits per element of every dtype the safetensors format defines (used to check data_offsets). */
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

/** The dtypes the studio reads; anything else is only an error for a tensor it needs. */
export const READABLE_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16'];

export function isReadableDType(d: string): d is DType {
  return (READABLE_DTYPES as readonly string[]).includes(d);
}

/** One header entry, validated against the file. */
export interface SafetensorsEntry {
  readonly name: string;
  /** As written in the header; may be a dtype the studio does not read. */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range in the data section (relative to its start), end exclusive. */
  readonly begin: number;
  readonly end: number;
}

/** A tensor's values in its stored precision: F32 → Float32Array, F16/BF16 → the raw 16-bit words. */
export interface RawTensor {
  readonly name: string;
  readonly file: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array;
  /** True when `data` views the file's bytes (aligned); false when it had to be copied. */
  readonly zeroCopy: boolean;
}

export interface SafetensorsFile {
  readonly file: string;
  /** `__metadata__` (string values only). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** Byte offset of the data section in the file (8 + header length). */
  readonly dataOffset: number;
  /**
   * The tensor's data in a readable dtype. Throws a ModelError when the tensor is absent or its
   * dtype is not F32/F16/BF16 — only tensors a model needs are read, so e.g. GPT-2's `attn.bias`
   * mask buffers may have any dtype.
   */
  read(name: string): RawTensor;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses and validates a safetensors file held in memory. The bytes are kept (views alias them). */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const size = bytes.length;
  if (size < 8) {
    throw new ModelError(file, 'bad-safetensors', `file is truncated: ${size} bytes, shorter than the 8-byte header length`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo; // exact below 2^53; larger values fail both checks below anyway
  if (headerLen > size - 8) {
    throw new ModelError(
      file,
      'bad-safetensors',
      `header length ${headerLen} goes beyond the end of the file (${size} bytes): the file is truncated or not a safetensors file`,
    );
  }
  if (headerLen > MAX_HEADER_BYTES) {
    throw new ModelError(file, 'bad-safetensors', `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataOffset = 8 + headerLen;
  const dataLen = size - dataOffset;

  const text = decodeUtf8(bytes.subarray(8, dataOffset), file, 'the header');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new ModelError(file, 'bad-safetensors', `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) {
    throw new ModelError(file, 'bad-safetensors', `header must be a JSON object, found ${jsonKind(header)}`);
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(raw)) {
        throw new ModelError(file, 'bad-safetensors', `header "__metadata__" must be an object, found ${jsonKind(raw)}`);
      }
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') metadata[k] = v;
      continue;
    }
    entries.push(parseEntry(file, name, raw));
  }

  // Lengths first (a lie about one tensor), then the range (a truncated file), then overlaps.
  for (const e of entries) {
    const bits = DTYPE_BITS[e.dtype];
    if (bits === undefined) continue; // unknown dtype: length unknowable; read() rejects it if needed
    const numel = e.shape.reduce((a, b) => a * b, 1);
    const needBits = numel * bits;
    if (needBits % 8 !== 0 || needBits / 8 !== e.end - e.begin) {
      throw new ModelError(
        file,
        'bad-safetensors',
        `tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] but shape ${shapeText(e.shape)} ${e.dtype} needs ${needBits / 8} bytes`,
        { tensor: e.name },
      );
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let maxEnd = 0;
  for (const e of sorted) maxEnd = Math.max(maxEnd, e.end);
  for (const e of sorted) {
    if (e.end > dataLen) {
      throw new ModelError(
        file,
        'bad-safetensors',
        `tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] beyond the data section, which holds ${dataLen} bytes ` +
          `(the file is ${size} bytes; its header describes ${dataOffset + maxEnd}): the file is truncated or the offsets are wrong`,
        { tensor: e.name },
      );
    }
  }
  let prev: SafetensorsEntry | null = null;
  for (const e of sorted) {
    if (e.begin === e.end) continue; // empty tensors occupy no bytes
    if (prev && e.begin < prev.end) {
      throw new ModelError(
        file,
        'bad-safetensors',
        `tensors "${prev.name}" [${prev.begin}, ${prev.end}] and "${e.name}" [${e.begin}, ${e.end}] overlap in the data section`,
        { tensor: e.name },
      );
    }
    prev = e;
  }

  const tensors = new Map(entries.map((e) => [e.name, e]));
  return {
    file,
    metadata,
    tensors,
    dataOffset,
    read(name: string): RawTensor {
      const e = tensors.get(name);
      if (!e) throw new ModelError(file, 'missing-tensor', `has no tensor "${name}"`, { tensor: name });
      if (!isReadableDType(e.dtype)) {
        const known = DTYPE_BITS[e.dtype] !== undefined ? 'dtype' : 'unknown dtype';
        throw new ModelError(
          file,
          'dtype',
          `tensor "${name}" has ${known} ${e.dtype}; the studio reads ${READABLE_DTYPES.join(', ')} (convert the checkpoint, e.g. with torch_dtype=float16)`,
          { tensor: name },
        );
      }
      return { name, file, dtype: e.dtype, shape: e.shape, ...view(bytes, dataOffset + e.begin, e.end - e.begin, e.dtype) };
    },
  };
}

function parseEntry(file: string, name: string, raw: unknown): SafetensorsEntry {
  const bad = (what: string): ModelError => new ModelError(file, 'bad-safetensors', `tensor "${name}" ${what}`, { tensor: name });
  if (!isObject(raw)) throw bad(`must be described by an object, found ${jsonKind(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') throw bad(`has dtype ${quote(dtype)}; expected a string such as "F32"`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw bad(`has shape ${quote(shape)}; expected a list of non-negative integers`);
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel)) throw bad(`has shape ${quote(shape)} with too many elements`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw bad(`has data_offsets ${quote(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

/** A typed array over [abs, abs + len) of the file: a view when aligned on a little-endian host, else a copy. */
function view(bytes: Uint8Array, offset: number, len: number, dtype: DType): { data: Float32Array | Uint16Array; zeroCopy: boolean } {
  const item = dtype === 'F32' ? 4 : 2;
  const n = len / item;
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && abs % item === 0) {
    const data = dtype === 'F32' ? new Float32Array(bytes.buffer, abs, n) : new Uint16Array(bytes.buffer, abs, n);
    return { data, zeroCopy: true };
  }
  // Copy into a fresh buffer (aligned at 0); swap bytes when the host is big-endian.
  const copy = bytes.slice(offset, offset + len);
  if (!LITTLE_ENDIAN_HOST) {
    for (let i = 0; i < len; i += item) copy.subarray(i, i + item).reverse();
  }
  const data = dtype === 'F32' ? new Float32Array(copy.buffer, 0, n) : new Uint16Array(copy.buffer, 0, n);
  return { data, zeroCopy: false };
}
