/**
 * The one error type of the RTL generator: what was asked (the layer or component), and why it
 * cannot be generated. Thrown before any file is produced.
 */
export class RtlError extends Error {
  override readonly name = 'RtlError';
  constructor(
    /** The layer (graph op id, e.g. `L0.q`) or component the request was for. */
    readonly target: string,
    /** Why it cannot be generated, specific enough to act on. */
    readonly reason: string,
  ) {
    super(`${target}: ${reason}`);
  }
}
