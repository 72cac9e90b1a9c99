/**
 * Exact float32 helpers. Values are JS numbers (doubles) that hold float32 values exactly.
 * floorLog2 reads the exponent from the bits, never from Math.log2 (mx-formats.md §A12).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);

/** floor(log2 |x|) for a finite non-zero double, exactly (handles doubles down to 2^-1074). */
export function floorLog2(x: number): number {
  f64[0] = x;
  const hi = u32[1];
  const e = (hi >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  // double subnormal: leading one of the 52-bit mantissa
  const mhi = hi & 0xfffff;
  if (mhi !== 0) return 31 - Math.clz32(mhi) - 1042;
  return 31 - Math.clz32(u32[0]) - 1074;
}

/** True when |x| is an exact power of two (x finite, non-zero). */
export function isPow2(x: number): boolean {
  return Math.abs(x) === 2 ** floorLog2(x);
}

/** ceil(log2 |x|), exactly. */
export function ceilLog2(x: number): number {
  const f = floorLog2(x);
  return Math.abs(x) === 2 ** f ? f : f + 1;
}

/** The float32 bit pattern of a double (rounded to float32 first). */
export function f32Bits(x: number): number {
  f32[0] = x;
  return f32u[0];
}

/** The float32 value with bit pattern `b`. */
export function f32FromBits(b: number): number {
  f32u[0] = b >>> 0;
  return f32[0];
}

/** Largest finite float32. */
export const FLT_MAX = f32FromBits(0x7f7fffff);

/**
 * Round a double to the nearest float32 with ties to even, saturating to ±FLT_MAX instead of
 * overflowing (used where a format defines saturation, e.g. NVFP4's tensor scale).
 */
export function f32Saturate(x: number): number {
  const r = Math.fround(x);
  if (r === Infinity) return FLT_MAX;
  if (r === -Infinity) return -FLT_MAX;
  return r;
}
