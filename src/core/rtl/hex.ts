/**
 * `$readmemh` images: one word per line, the flat payload in hex, most significant digit first, with
 * fields packed from bit 0 upwards (field i of a beat at bits [i·w +: w], as the stream convention
 * in README.md says).
 */

/** Two's complement of `v` in `bits` bits, as a non-negative bigint. Throws if it does not fit. */
export function twos(v: bigint | number, bits: number): bigint {
  const x = typeof v === 'bigint' ? v : BigInt(v);
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits)) - 1n;
  if (x < lo || x > hi) throw new RangeError(`${x} does not fit ${bits} bits`);
  return x < 0n ? x + (1n << BigInt(bits)) : x;
}

/** Pack fields (value, width) from bit 0 upwards into one unsigned bigint. */
export function packFields(fields: readonly (readonly [bigint | number, number])[]): bigint {
  let acc = 0n;
  let pos = 0n;
  for (const [v, w] of fields) {
    acc |= twos(v, w) << pos;
    pos += BigInt(w);
  }
  return acc;
}

/** Pack `values.length` fields of `width` bits from bit 0 upwards. */
export function packEqual(values: ArrayLike<bigint | number>, width: number): bigint {
  const f: [bigint | number, number][] = [];
  for (let i = 0; i < values.length; i++) f.push([values[i], width]);
  return packFields(f);
}

/** An unsigned word of `bits` bits as ceil(bits/4) hex digits. */
export function hexWord(v: bigint, bits: number): string {
  return v.toString(16).padStart(Math.max(1, Math.ceil(bits / 4)), '0');
}

/** Pack fields from bit 0 upwards into one hex word of ceil(total/4) digits. */
export function packWord(fields: readonly (readonly [bigint | number, number])[]): string {
  return hexWord(packFields(fields), fields.reduce((s, [, w]) => s + w, 0));
}

/** Lines → file text (trailing newline). */
export function hexFile(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}
