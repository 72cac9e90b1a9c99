/**
 * The one error type of model loading. Every problem with a model folder (a corrupt safetensors
 * file, an unsupported config option, a missing tensor or shard, a broken tokenizer, an HTTP
 * failure) is a ModelError whose message names the file and, where there is one, the tensor or
 * config field, so the CLI and the UI can show it as is; the fields let them highlight the culprit
 * without parsing text.
 */

/** What kind of problem it is, for code that wants to branch (e.g. offer a different URL on `http`). */
export type ModelErrorKind =
  /** A required file is absent (config.json, the weights, a shard, the tokenizer). */
  | 'missing-file'
  /** The file is not valid JSON / not the expected JSON shape. */
  | 'bad-json'
  /** The safetensors container is malformed (header, offsets, truncation). */
  | 'bad-safetensors'
  /** A needed tensor has a dtype the studio does not read. */
  | 'dtype'
  /** A tensor the architecture needs is absent. */
  | 'missing-tensor'
  /** A tensor's shape disagrees with config.json. */
  | 'shape'
  /** The architecture or one of its options is not supported. */
  | 'unsupported'
  /** config.json has an invalid value (wrong type, out of range). */
  | 'bad-config'
  /** tokenizer.json / tokenizer_config.json / vocab.json / merges.txt cannot be used. */
  | 'tokenizer'
  /** A URL source failed (HTTP status other than 404, or a network/CORS failure). */
  | 'http';

export interface ModelErrorDetails {
  /** Checkpoint (or canonical) tensor name, when the problem is one tensor. */
  tensor?: string;
  /** config.json field, when the problem is one option. */
  field?: string;
  /** HTTP status of a failed fetch. */
  status?: number;
}

export class ModelError extends Error {
  override readonly name = 'ModelError';
  readonly tensor?: string;
  readonly field?: string;
  readonly status?: number;

  constructor(
    /** The file at fault (e.g. `model.safetensors`, `config.json`, a shard name). */
    readonly file: string,
    readonly kind: ModelErrorKind,
    /** What is wrong, without the file name (the message prefixes it). */
    readonly detail: string,
    details: ModelErrorDetails = {},
  ) {
    super(`${file}: ${detail}`);
    if (details.tensor !== undefined) this.tensor = details.tensor;
    if (details.field !== undefined) this.field = details.field;
    if (details.status !== undefined) this.status = details.status;
  }
}

/** Shapes as they appear in messages: `[320,128]`. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
