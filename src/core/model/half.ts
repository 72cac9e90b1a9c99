/**
 * Exact widening of IEEE binary16 (F16) and bfloat16 (BF16) to float32. Both are exact: every F16
 * and BF16 value (subnormals, ±0, ±Inf, NaN payloads included) is a float32. Written on the bits so
 * nothing rounds and NaN payloads survive.
 */

/** float32 bits of one F16 value. */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // Inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 → 127
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal: mant·2^-24. Normalise so the leading 1 becomes the implicit bit.
  let e = 113; // exponent field of 2^-14, the binade of mant = 0x400
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

let table: Uint32Array | null = null;

/** All 65,536 F16 → float32 bit patterns (256 KiB), built on first use. */
function f16Table(): Uint32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32Bits(h);
  }
  return table;
}

/** Widens F16 words to float32 (into `out` when given). */
export function widenF16(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const t = f16Table();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = t[src[i]];
  return out;
}

/** Widens BF16 words to float32: BF16 is the upper half of a float32. */
export function widenBF16(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}
