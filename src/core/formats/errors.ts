/**
 * The one error type for bad format parameters, spec strings and tensor shapes.
 * `param` names the offending parameter and `allowed` the range, so the CLI, the UI
 * and share-URL decoding can all show a specific message without parsing text.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    /** The parameter at fault, e.g. `block`, `m`, `format`, `shape`. */
    readonly param: string,
    /** What was given, as text. */
    readonly given: string,
    /** The allowed values or range, as text. */
    readonly allowed: string,
    /** Optional context, e.g. the spec string being parsed. */
    readonly context?: string,
  ) {
    super(`invalid ${param} ${JSON.stringify(given)}${context ? ` in ${JSON.stringify(context)}` : ''}: allowed ${allowed}`);
  }
}

/** Throws FormatError unless `v` is an integer in [lo, hi]. */
export function checkInt(param: string, v: number, lo: number, hi: number, context?: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new FormatError(param, String(v), `an integer from ${lo} to ${hi}`, context);
  }
  return v;
}
