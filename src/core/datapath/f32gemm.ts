/**
 * The float32 GEMM of the emulator's fp32 and fake-quant paths, written for reading. This is the
 * TypeScript twin (the specification) of the WASM kernel in workers/kernels/assembly/f32gemm.ts,
 * which src/core/kernels/f32gemm.ts wraps and tests bit for bit against this file.
 *
 * Semantics (README.md in this folder) — one fixed order of operations, so that every
 * implementation gives the same bits:
 *
 *   C[i,j] = (…((p_0 + p_1) + p_2) + … ) + p_{K−1},   p_k = fl32(a[i,k] · b[k,j])
 *
 * - each product is rounded to float32, then added to a single float32 accumulator strictly in
 *   k order, each sum rounded to float32 (IEEE 754 binary32, round to nearest even, subnormals
 *   kept, overflow to ±Inf). No fused multiply-add, no reassociation, no wider accumulator.
 * - for K = 1, C = p_0 (so −0 stays −0); for K = 0, C = +0 (the empty sum).
 * - signed zeros follow IEEE addition in that order: a sum of −0 products is −0, exact cancellation
 *   x + (−x) gives +0.
 * - NaN and ±Inf propagate per IEEE (Inf − Inf and 0 · Inf are NaN). Every NaN result is the
 *   canonical quiet NaN, bits 0x7fc00000: WebAssembly and JavaScript leave a NaN's sign and payload
 *   to the engine, so they are normalised.
 * - B is [K, N] ('KN', a matmul operand) or [N, K] ('NK', an nn.Linear weight: C = A·Wᵀ); the layout
 *   changes where b[k,j] is read, never the order of the sum.
 *
 * Why this order: it is the sequential sum per output, so a SIMD kernel vectorises along the
 * output columns (4 outputs per f32x4 lane set, a[i,k] broadcast) and gives these bits with plain
 * f32x4.mul + f32x4.add; a scalar twin needs nothing but Math.fround.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { FormatError, checkInt } from '../formats/errors';

/** How B is stored: [K, N] (a matmul operand) or [N, K] (an nn.Linear weight, C = A·Wᵀ). */
export type F32GemmLayout = 'KN' | 'NK';

/** Bits of the NaN every NaN output is written as (the canonical quiet NaN). */
export const F32_CANONICAL_NAN = 0x7fc00000;

/** A B operand prepared for reuse across calls (a weight used for every window). */
export interface F32GemmB {
  readonly K: number;
  readonly N: number;
  /** Free what the handle holds; using it afterwards throws. Idempotent. */
  dispose(): void;
}

/**
 * What the twin and the WASM kernel both offer, so callers can swap one for the other.
 * `out`, when given, receives C (a Float32Array of M·N elements that does not overlap a or b) and
 * is returned; reusing one per layer saves allocating, and first touching, a fresh result.
 */
export interface F32Gemm {
  /** C [M, N] = A [M, K] · B, B given as [K, N] or [N, K] (see `layout`). */
  gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, layout: F32GemmLayout, out?: Float32Array): Float32Array;
  /** Validate and prepare B once; `gemmPrepared` then skips that work. */
  prepareB(b: Float32Array, K: number, N: number, layout: F32GemmLayout): F32GemmB;
  /** C [M, N] = A [M, K] · B for a B from this object's prepareB. */
  gemmPrepared(a: Float32Array, M: number, b: F32GemmB, out?: Float32Array): Float32Array;
}

// ------------------------------------------------------------------------------ validation

/** Largest M, K or N accepted (a typed array's length is at most 2^32 − 1 anyway). */
export const F32GEMM_MAX_DIM = 2 ** 31 - 1;

/** Throws FormatError unless M, K, N are integers in [0, 2^31 − 1] and the layout is known. */
export function checkF32GemmDims(M: number | undefined, K: number, N: number, layout: F32GemmLayout): void {
  if (M !== undefined) checkInt('M', M, 0, F32GEMM_MAX_DIM);
  checkInt('K', K, 0, F32GEMM_MAX_DIM);
  checkInt('N', N, 0, F32GEMM_MAX_DIM);
  if (layout !== 'KN' && layout !== 'NK') {
    throw new FormatError('layout', String(layout), "'KN' (B is [K, N]) or 'NK' (B is [N, K], an nn.Linear weight)");
  }
}

/** Throws FormatError unless x is a Float32Array holding exactly rows × cols elements. */
export function checkF32Matrix(name: 'a' | 'b' | 'out', x: Float32Array, rows: number, cols: number, shape: string): void {
  if (!(x instanceof Float32Array)) {
    const what = x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'object') : typeof x;
    throw new FormatError(name, what, 'a Float32Array');
  }
  if (x.length !== rows * cols) {
    throw new FormatError(`${name} length`, String(x.length), `${shape} = ${rows}·${cols} = ${rows * cols} elements`);
  }
}

/** Bytes [start, end) of a typed array inside its buffer. */
function span(x: Float32Array): [ArrayBufferLike, number, number] {
  return [x.buffer, x.byteOffset, x.byteOffset + x.byteLength];
}

/**
 * The result array: `out` checked (a Float32Array of M·N elements, not overlapping `a` or `b`), or
 * a fresh one. Throws FormatError naming 'out'.
 */
export function f32GemmOut(out: Float32Array | undefined, M: number, N: number, a: Float32Array, b?: Float32Array): Float32Array {
  if (out === undefined) return new Float32Array(M * N);
  checkF32Matrix('out', out, M, N, `C [M, N] = [${M}, ${N}]`);
  const [ob, o0, o1] = span(out);
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    if (!x) continue;
    const [xb, x0, x1] = span(x);
    if (xb === ob && o0 < x1 && x0 < o1 && out.length > 0 && x.length > 0) {
      throw new FormatError('out', `an array overlapping ${name}`, 'a Float32Array that shares no element with a or b');
    }
  }
  return out;
}

/** Shape text of B for messages. */
function bShape(K: number, N: number, layout: F32GemmLayout): string {
  return layout === 'KN' ? `B [K, N] = [${K}, ${N}]` : `B [N, K] = [${N}, ${K}]`;
}

// ------------------------------------------------------------------------------ the twin

/** B held as [K, N] (the twin's prepared form: row k is what output row i adds a[i,k]·b[k,·] from). */
class TwinB implements F32GemmB {
  private data: Float32Array | null;
  constructor(
    readonly K: number,
    readonly N: number,
    kn: Float32Array,
  ) {
    this.data = kn;
  }
  get kn(): Float32Array {
    if (!this.data) throw new FormatError('b', 'a disposed handle', 'a live handle from prepareB()');
    return this.data;
  }
  dispose(): void {
    this.data = null;
  }
}

/** B as a [K, N] copy, from either layout. */
function toKN(b: Float32Array, K: number, N: number, layout: F32GemmLayout): Float32Array {
  if (layout === 'KN') return b.slice();
  const kn = new Float32Array(K * N);
  for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) kn[k * N + j] = b[j * K + k];
  return kn;
}

/** Validate and copy B into [K, N] form for f32gemmPrepared. */
export function prepareF32GemmB(b: Float32Array, K: number, N: number, layout: F32GemmLayout): F32GemmB {
  checkF32GemmDims(undefined, K, N, layout);
  checkF32Matrix('b', b, layout === 'KN' ? K : N, layout === 'KN' ? N : K, bShape(K, N, layout));
  return new TwinB(K, N, toKN(b, K, N, layout));
}

/**
 * C [M, N] = A [M, K] · B in the fixed order of this file's header, for a B from
 * prepareF32GemmB. Output row i is built as a float32 row accumulator: for k = 0…K−1 in order,
 * acc[j] ← fl32(acc[j] + fl32(a[i,k] · b[k,j])). Each output still sees its own products strictly
 * in k order; going across j in the inner loop only changes which output is updated next.
 */
export function f32gemmPrepared(a: Float32Array, M: number, b: F32GemmB, out?: Float32Array): Float32Array {
  if (!(b instanceof TwinB)) throw new FormatError('b', String(b), 'a handle from prepareF32GemmB()');
  const { K, N } = b;
  const kn = b.kn;
  checkInt('M', M, 0, F32GEMM_MAX_DIM);
  checkF32Matrix('a', a, M, K, `A [M, K] = [${M}, ${K}]`);
  const c = f32GemmOut(out, M, N, a);
  if (K === 0) return c.fill(0); // the empty sum is +0
  const bits = new Uint32Array(c.buffer, c.byteOffset, c.length);
  for (let i = 0; i < M; i++) {
    const acc = c.subarray(i * N, (i + 1) * N);
    // −0 is the exact identity of IEEE addition (−0 + x = x for every x, ±0 included), so starting
    // from it makes acc after the first step exactly p_0.
    acc.fill(-0);
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k];
      const row = k * N;
      for (let j = 0; j < N; j++) {
        // The double product of two float32 values is exact, so fround rounds it once. The double
        // sum of two float32 values rounded to float32 equals the float32 sum (53 ≥ 2·24 + 2:
        // double rounding is innocuous for addition), and the store into a Float32Array would
        // round the same way; fround says so explicitly.
        acc[j] = Math.fround(acc[j] + Math.fround(aik * kn[row + j]));
      }
    }
    for (let j = 0; j < N; j++) if (acc[j] !== acc[j]) bits[i * N + j] = F32_CANONICAL_NAN;
  }
  return c;
}

/**
 * C [M, N] = A [M, K] · B, float32 in the fixed order of this file's header. `a` is row-major
 * [M, K]; `b` is row-major [K, N] (layout 'KN') or [N, K] (layout 'NK', an nn.Linear weight).
 * Throws FormatError naming the argument for non-integer or negative sizes, a wrong length, a
 * non-Float32Array operand, an unknown layout, or an `out` of the wrong length or overlapping a or b.
 */
export function f32gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, layout: F32GemmLayout, out?: Float32Array): Float32Array {
  checkF32GemmDims(M, K, N, layout);
  checkF32Matrix('a', a, M, K, `A [M, K] = [${M}, ${K}]`);
  const prepared = prepareF32GemmB(b, K, N, layout);
  return f32gemmPrepared(a, M, prepared, f32GemmOut(out, M, N, a, b));
}

/** The twin behind the common interface (the fallback when WebAssembly is unavailable). */
export const f32gemmTwin: F32Gemm = {
  gemm: f32gemm,
  prepareB: prepareF32GemmB,
  gemmPrepared: f32gemmPrepared,
};
