/**
 * The float32 arithmetic of the forward pass in plain TypeScript: the GEMM, norms, RoPE,
 * activations, softmax.
 *
 * GEMMs follow the one float32 GEMM contract of src/core/datapath/f32gemm.ts (shared with the WASM
 * kernel, so fp32/fake results do not depend on whether the kernel is loaded): per output one
 * float32 accumulator starting at −0, products rounded to float32 and added strictly in k order,
 * each sum rounded to float32; NaN outputs canonical (0x7fc00000). `tsF32Gemm` below computes that
 * function with 4×4 register tiles, about twice as fast as the readable twin (f32gemmTwin), and is
 * tested against it bit for bit.
 *
 * The other ops compute in float64 (JS numbers) and round each output once to float32 (by storing
 * into a Float32Array), except where HF's float32 steps are reproduced (noted per function).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { F32_CANONICAL_NAN, F32GEMM_MAX_DIM, checkF32GemmDims, checkF32Matrix, f32GemmOut, type F32Gemm, type F32GemmB, type F32GemmLayout } from '../datapath/f32gemm';
import { FormatError, checkInt } from '../formats/errors';

const fr = Math.fround;

/**
 * C[M, N] = A[M, K] · B[N, K]ᵀ under the float32 GEMM contract, 4×4 register tiles. Each output
 * is its own float32 accumulator over ascending k, whatever the tile, so the tiling never changes a bit.
 */
export function f32GemmNK(a: Float32Array, b: Float32Array, M: number, K: number, N: number, c: Float32Array = new Float32Array(M * N)): Float32Array {
  if (K === 0) return c.fill(0); // the empty sum is +0
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = -0, s01 = -0, s02 = -0, s03 = -0, s10 = -0, s11 = -0, s12 = -0, s13 = -0;
      let s20 = -0, s21 = -0, s22 = -0, s23 = -0, s30 = -0, s31 = -0, s32 = -0, s33 = -0;
      for (let k = 0; k < K; k++) {
        const x0 = b[b0 + k];
        const x1 = b[b1 + k];
        const x2 = b[b2 + k];
        const x3 = b[b3 + k];
        let y = a[a0 + k];
        s00 = fr(s00 + fr(y * x0)); s01 = fr(s01 + fr(y * x1)); s02 = fr(s02 + fr(y * x2)); s03 = fr(s03 + fr(y * x3));
        y = a[a1 + k];
        s10 = fr(s10 + fr(y * x0)); s11 = fr(s11 + fr(y * x1)); s12 = fr(s12 + fr(y * x2)); s13 = fr(s13 + fr(y * x3));
        y = a[a2 + k];
        s20 = fr(s20 + fr(y * x0)); s21 = fr(s21 + fr(y * x1)); s22 = fr(s22 + fr(y * x2)); s23 = fr(s23 + fr(y * x3));
        y = a[a3 + k];
        s30 = fr(s30 + fr(y * x0)); s31 = fr(s31 + fr(y * x1)); s32 = fr(s32 + fr(y * x2)); s33 = fr(s33 + fr(y * x3));
      }
      let o = i * N + j;
      c[o] = s00; c[o + 1] = s01; c[o + 2] = s02; c[o + 3] = s03;
      o += N;
      c[o] = s10; c[o + 1] = s11; c[o + 2] = s12; c[o + 3] = s13;
      o += N;
      c[o] = s20; c[o + 1] = s21; c[o + 2] = s22; c[o + 3] = s23;
      o += N;
      c[o] = s30; c[o + 1] = s31; c[o + 2] = s32; c[o + 3] = s33;
    }
    for (; j < N; j++) for (let r = 0; r < 4; r++) c[(i + r) * N + j] = dot(a, (i + r) * K, b, j * K, K);
  }
  for (; i < M; i++) for (let j = 0; j < N; j++) c[i * N + j] = dot(a, i * K, b, j * K, K);
  // NaN outputs are written as the canonical quiet NaN (the engine leaves a NaN's bits open)
  let bits: Uint32Array | null = null;
  for (let o = 0; o < M * N; o++) {
    if (c[o] !== c[o]) (bits ??= new Uint32Array(c.buffer, c.byteOffset, c.length))[o] = F32_CANONICAL_NAN;
  }
  return c;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, K: number): number {
  let s = -0;
  for (let k = 0; k < K; k++) s = fr(s + fr(a[ao + k] * b[bo + k]));
  return s;
}

/** Transpose a row-major [R, C] matrix into [C, R]. */
export function transpose(x: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/** B kept as [N, K] (rows along K, what the dot-product tiles read). */
class TsB implements F32GemmB {
  private data: Float32Array | null;
  constructor(
    readonly K: number,
    readonly N: number,
    nk: Float32Array,
  ) {
    this.data = nk;
  }
  get nk(): Float32Array {
    if (!this.data) throw new FormatError('b', 'a disposed handle', 'a live handle from prepareB()');
    return this.data;
  }
  dispose(): void {
    this.data = null;
  }
}

function prepareTsB(b: Float32Array, K: number, N: number, layout: F32GemmLayout): TsB {
  checkF32GemmDims(undefined, K, N, layout);
  checkF32Matrix('b', b, layout === 'KN' ? K : N, layout === 'KN' ? N : K, layout === 'KN' ? `B [K, N] = [${K}, ${N}]` : `B [N, K] = [${N}, ${K}]`);
  // an NK operand is used as is (callers never write to their weights); KN is transposed once
  return new TsB(K, N, layout === 'NK' ? b : transpose(b, K, N));
}

function gemmTsPrepared(a: Float32Array, M: number, b: F32GemmB, out?: Float32Array): Float32Array {
  if (!(b instanceof TsB)) throw new FormatError('b', String(b), "a handle from tsF32Gemm's prepareB()");
  checkInt('M', M, 0, F32GEMM_MAX_DIM);
  checkF32Matrix('a', a, M, b.K, `A [M, K] = [${M}, ${b.K}]`);
  return f32GemmNK(a, b.nk, M, b.K, b.N, f32GemmOut(out, M, b.N, a));
}

/** The float32 GEMM contract (src/core/datapath/f32gemm.ts) in fast TypeScript: the emulator's default F32Gemm. */
export const tsF32Gemm: F32Gemm = {
  gemm(a, b, M, K, N, layout, out) {
    checkF32GemmDims(M, K, N, layout);
    checkF32Matrix('a', a, M, K, `A [M, K] = [${M}, ${K}]`);
    return gemmTsPrepared(a, M, prepareTsB(b, K, N, layout), f32GemmOut(out, M, N, a, b));
  },
  prepareB: prepareTsB,
  gemmPrepared: gemmTsPrepared,
};

/**
 * Causal softmax of the rows of S [T, T]: P[i, j] = exp(S[i, j] − max_i) / Σ_{j' ≤ i} exp(S[i, j'] − max_i)
 * for j ≤ i (float64, rounded once), and exactly 0 above the diagonal (the masked entries). With
 * `out`, P is written there at `at` (every entry of its [T, T] block, so a reused array serves).
 * Twin of the float kernel's softmax_causal (workers/kernels/assembly/_float.ts).
 */
export function causalSoftmax(s: Float32Array, T: number, out?: Float32Array, at = 0): Float32Array {
  const p = out ?? new Float32Array(T * T);
  const e = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const o = i * T;
    const po = at + o;
    let m = -Infinity;
    for (let j = 0; j <= i; j++) if (s[o + j] > m) m = s[o + j];
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      e[j] = Math.exp(s[o + j] - m);
      sum += e[j];
    }
    for (let j = 0; j <= i; j++) p[po + j] = e[j] / sum;
    if (out) p.fill(0, po + i + 1, po + T);
  }
  return p;
}

/**
 * One row of logits l[o, o + V): the max and its first index, and the log-sum-exp in float64
 * (NaN when the row holds a NaN, ±Inf for a max of ±Inf, NaN-free rows of −Inf give −Inf).
 * The evaluation's NLL, top-1 and the fp32 reference's lse; twin of the float kernel's logit_rows.
 */
export function logitRowStats(l: Float32Array, o: number, V: number): { lse: number; arg: number } {
  let m = -Infinity;
  let arg = 0;
  for (let v = 0; v < V; v++) {
    if (l[o + v] > m) {
      m = l[o + v];
      arg = v;
    }
  }
  if (m === -Infinity || Number.isNaN(m)) {
    // all −Inf, or NaN somewhere: the distribution is undefined; NLL becomes NaN
    let nan = false;
    for (let v = 0; v < V; v++) if (Number.isNaN(l[o + v])) nan = true;
    return { lse: nan ? NaN : m, arg };
  }
  if (m === Infinity) return { lse: Infinity, arg };
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(l[o + v] - m);
  return { lse: m + Math.log(s), arg };
}

/**
 * KL(p_ref ‖ p) of one prediction: Σ_v p_v · (lp_v − (l_v − lse)) over p_v = exp(lp_v) > 0, lp_v =
 * ref_v − refLse, in v order (rows at offset o of ref and l). Twin of the float kernel's kl_rows.
 */
export function klRow(ref: Float32Array, refLse: number, l: Float32Array, lse: number, o: number, V: number): number {
  let k = 0;
  for (let v = 0; v < V; v++) {
    const lp = ref[o + v] - refLse;
    const p = Math.exp(lp);
    if (p > 0) k += p * (lp - (l[o + v] - lse));
  }
  return k;
}

/** RMSNorm (LLaMA): y = w · x / sqrt(mean(x²) + eps), per row of D. */
export function rmsNorm(x: Float32Array, w: Float32Array, T: number, D: number, eps: number, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x[o + d] * x[o + d];
    // HF: x · rsqrt(mean(x²) + eps) in float32, then weight · that
    const r = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / D) + eps)));
    for (let d = 0; d < D; d++) y[o + d] = w[d] * Math.fround(x[o + d] * r);
  }
  return y;
}

/** LayerNorm (GPT-2, OPT): y = (x − mean) / sqrt(var + eps) · w + b, biased variance. */
export function layerNorm(x: Float32Array, w: Float32Array, b: Float32Array, T: number, D: number, eps: number, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    const o = t * D;
    let s = 0;
    for (let d = 0; d < D; d++) s += x[o + d];
    const mean = s / D;
    let v = 0;
    for (let d = 0; d < D; d++) {
      const c = x[o + d] - mean;
      v += c * c;
    }
    const r = 1 / Math.sqrt(v / D + eps);
    for (let d = 0; d < D; d++) y[o + d] = (x[o + d] - mean) * r * w[d] + b[d];
  }
  return y;
}

/** cos/sin tables [T, hd] of LLaMA's rotary embedding, with HF's float32 steps (inv_freq, t·inv_freq). */
export function ropeTables(T: number, hd: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = hd / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / hd)));
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const f = Math.fround(t * inv[i]);
      const c = Math.cos(f);
      const s = Math.sin(f);
      cos[t * hd + i] = c;
      cos[t * hd + i + half] = c;
      sin[t * hd + i] = s;
      sin[t * hd + i + half] = s;
    }
  }
  return { cos, sin };
}

/** x·cos + rotate_half(x)·sin for every head of x [T, heads·hd] (rotate_half(x) = [−x2, x1]). */
export function applyRope(x: Float32Array, T: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(x.length);
  const half = hd / 2;
  const W = heads * hd;
  for (let t = 0; t < T; t++) {
    const co = t * hd;
    for (let h = 0; h < heads; h++) {
      const o = t * W + h * hd;
      // rotate_half: the first half pairs with −x2, the second with x1 (two loops, no branch per element)
      for (let d = 0; d < half; d++) y[o + d] = Math.fround(x[o + d] * cos[co + d]) + Math.fround(-x[o + d + half] * sin[co + d]);
      for (let d = half; d < hd; d++) y[o + d] = Math.fround(x[o + d] * cos[co + d]) + Math.fround(x[o + d - half] * sin[co + d]);
    }
  }
  return y;
}

/** erf(x) to about 1e-15: Taylor series near 0, a continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated bottom-up
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The MLP activations, element-wise into a new array (or `out`). SiLU's twin in the float kernel: silu_f32. */
export function activation(kind: 'silu' | 'gelu_new' | 'gelu' | 'relu', x: Float32Array, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(x.length);
  switch (kind) {
    case 'silu':
      for (let i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.exp(-x[i]));
      break;
    case 'gelu_new':
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
      break;
    case 'gelu':
      for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] / Math.SQRT2));
      break;
    case 'relu':
      for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
      break;
  }
  return y;
}

/** Element-wise float32 sum a + b (into `out` when given). */
export function add(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

/** Element-wise float32 product a · b (into `out` when given). */
export function mul(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] * b[i];
  return y;
}

/** Columns [c0, c0 + w) of a row-major [R, C] matrix, as a contiguous [R, w] array (into `into` when given). */
export function columns<A extends Float32Array | Int32Array>(x: A, R: number, C: number, c0: number, w: number, into?: A): A {
  // one copy loop per array type: a loop that sees both stays polymorphic in V8 (≈ 3× slower)
  if (x instanceof Int32Array) return columnsI32(x, R, C, c0, w, (into as Int32Array | undefined) ?? new Int32Array(R * w)) as A;
  return columnsF32(x as Float32Array, R, C, c0, w, (into as Float32Array | undefined) ?? new Float32Array(R * w)) as A;
}

// plain loops: a subarray per row is an object per row for the garbage collector
function columnsI32(x: Int32Array, R: number, C: number, c0: number, w: number, out: Int32Array): Int32Array {
  for (let r = 0, o = 0; r < R; r++) {
    const i0 = r * C + c0;
    for (let j = 0; j < w; j++, o++) out[o] = x[i0 + j];
  }
  return out;
}

function columnsF32(x: Float32Array, R: number, C: number, c0: number, w: number, out: Float32Array): Float32Array {
  for (let r = 0, o = 0; r < R; r++) {
    const i0 = r * C + c0;
    for (let j = 0; j < w; j++, o++) out[o] = x[i0 + j];
  }
  return out;
}

/** Write a contiguous [R, w] block into columns [c0, c0 + w) of a row-major [R, C] matrix. */
export function setColumns(dst: Float32Array, R: number, C: number, c0: number, w: number, src: Float32Array): void {
  for (let r = 0; r < R; r++) dst.set(src.subarray(r * w, r * w + w), r * C + c0);
}
