/**
 * GPTQ weight rounding for MXInt weights (Frantar et al., "GPTQ: Accurate Post-Training
 * Quantization for Generative Pre-trained Transformers", arXiv 2210.17323, Algorithm 1), adapted to
 * MX blocks: the weight matrix W [N, K] of y = x·Wᵀ is rounded one input column at a time, and the
 * rounding error of each column is pushed onto the columns not yet rounded through the inverse
 * Hessian of the layer's calibration inputs (H = Σ x xᵀ), so the layer's output error ‖(W − Q)X‖ —
 * not the weight error — is what gets minimised. The shared exponent of an MX block is fixed when
 * the block's first column comes up, from the block's values as updated so far (the format's own
 * scale rule), optionally one step lower where that gives the smaller L2 error on the block (the
 * clipping choice MASE's 2026 `mxint` quantizer makes by its `quantile_search`, mx-formats.md §B3).
 *
 * The result is a float32 tensor whose values lie on the format's grid: the emulator, the cost model
 * and the RTL generator then quantize it with the format's encoder exactly as any other weight, so
 * nothing downstream knows or needs to know how the weights were rounded. (The one place where the
 * re-encoding can differ from GPTQ's own rounding: the scale rules are not idempotent on every block
 * of grid values — MASE's ceil rule re-encodes a block whose largest element is an exact positive
 * power of two one exponent lower, where that element saturates by one unit; the floor rule re-encodes
 * a block holding −2^E one exponent higher; and a clipped block can go either way. `gptqRound` compensates the columns after such a block for
 * it, as for any rounding error, and reports how many elements it touches.)
 *
 * Runs anywhere (plain TypeScript, float64).
 */
import { intBlockExp, roundMagnitude, type FormatSpec, type MxIntSpec } from '../formats';

/** A request GPTQ cannot serve (format, shapes, Hessian). */
export class RoundingError extends Error {
  override readonly name = 'RoundingError';
}

export interface GptqOptions {
  /** Dampening added to H's diagonal, as a fraction of its mean diagonal (GPTQ's percdamp). Default 0.01. */
  readonly damp?: number;
  /** Also try each block's shared exponent one step lower (clip the largest elements), keeping the smaller L2 error. Default true. */
  readonly clipSearch?: boolean;
}

export interface GptqResult {
  /** Q [N, K] row-major, every value on the format's grid. */
  readonly values: Float32Array;
  /** Row-blocks whose shared exponent the clipping search lowered. */
  readonly clippedBlocks: number;
  /** Elements that the format's encoder re-encodes to a different value (see the file comment). */
  readonly reencodeChanged: number;
}

/** Σ x xᵀ over rows of x [T, K] (float64, full symmetric matrix), accumulated into h [K·K]. */
export function accumulateHessian(h: Float64Array, x: ArrayLike<number>, T: number, K: number, scale = 1): void {
  if (h.length !== K * K) throw new RoundingError(`the Hessian has ${h.length} entries, expected ${K}×${K}`);
  if (x.length < T * K) throw new RoundingError(`the inputs have ${x.length} values, expected ${T}×${K}`);
  const row = new Float64Array(K);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < K; i++) row[i] = x[t * K + i] * scale;
    for (let i = 0; i < K; i++) {
      const ri = row[i];
      if (ri === 0) continue;
      const o = i * K;
      for (let j = i; j < K; j++) h[o + j] += ri * row[j];
    }
  }
}

/** Mirror the upper triangle that accumulateHessian fills into the lower one. */
export function symmetrize(h: Float64Array, K: number): void {
  for (let i = 0; i < K; i++) for (let j = 0; j < i; j++) h[i * K + j] = h[j * K + i];
}

/** In-place lower Cholesky factor of a symmetric positive definite a [n·n]; throws if it is not. */
function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new RoundingError(`the dampened Hessian is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
}

/** The upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U), the form GPTQ's column loop reads. */
function inverseCholeskyUpper(h: Float64Array, n: number): Float64Array {
  const l = Float64Array.from(h);
  cholesky(l, n);
  // L⁻¹ by forward substitution, then H⁻¹ = L⁻ᵀ L⁻¹
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    li[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * li[k * n + c];
      li[i * n + c] = s / l[i * n + i];
    }
  }
  const hinv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      hinv[i * n + j] = s;
      hinv[j * n + i] = s;
    }
  }
  cholesky(hinv, n); // lower factor L' of H⁻¹: U = L'ᵀ
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = hinv[j * n + i];
  return u;
}

/** The MXInt formats GPTQ rounds: 1-D blocks along the reduction axis. */
export function gptqSupports(spec: FormatSpec): spec is MxIntSpec {
  return spec.kind === 'mxint' && spec.tileRows === 1;
}

/** One element on an MXInt grid of unit 2^unitExp (the encoder's rounding and saturation). */
function onGrid(x: number, unitExp: number, spec: MxIntSpec): number {
  if (x === 0) return 0;
  const neg = x < 0;
  const lim = neg ? 2 ** (spec.m - 1) : 2 ** (spec.m - 1) - 1;
  const k = Math.min(roundMagnitude(Math.abs(x) * 2 ** -unitExp, spec.round), lim);
  return (neg ? -k : k) * 2 ** unitExp;
}

/** Block unit exponent E − (m − 1) of values by the format's scale rule. */
function unitOf(vals: ArrayLike<number>, from: number, to: number, spec: MxIntSpec): number {
  let amax = 0;
  for (let j = from; j < to; j++) amax = Math.max(amax, Math.abs(vals[j]));
  return intBlockExp(amax, spec.scale, spec.e, spec.bias) - (spec.m - 1);
}

function blockError(vals: Float64Array, from: number, to: number, unitExp: number, spec: MxIntSpec): number {
  let e = 0;
  for (let j = from; j < to; j++) {
    const d = vals[j] - onGrid(vals[j], unitExp, spec);
    e += d * d;
  }
  return e;
}

/**
 * GPTQ-round W [N, K] (row-major, rows = output features) to an MXInt format blocked along K, given
 * the Hessian H [K, K] (Σ x xᵀ of the layer's calibration inputs).
 */
export function gptqRound(w: ArrayLike<number>, N: number, K: number, hessian: Float64Array, spec: FormatSpec, opts: GptqOptions = {}): GptqResult {
  if (!gptqSupports(spec)) {
    const s = spec as FormatSpec;
    throw new RoundingError(`GPTQ rounding supports MXInt weights blocked along one axis; got ${s.kind}${s.kind === 'mxint' ? ` with ${s.tileRows}-row tiles` : ''}`);
  }
  if (w.length !== N * K) throw new RoundingError(`the weight has ${w.length} values, expected ${N}×${K}`);
  if (hessian.length !== K * K) throw new RoundingError(`the Hessian has ${hessian.length} entries, expected ${K}×${K}`);
  const damp = opts.damp ?? 0.01;
  if (!(damp >= 0)) throw new RoundingError(`damp must be ≥ 0, got ${damp}`);
  const clip = opts.clipSearch ?? true;
  const W = new Float64Array(N * K);
  for (let i = 0; i < N * K; i++) {
    if (!Number.isFinite(w[i])) throw new RoundingError(`weight element ${i} is ${w[i]}: GPTQ needs finite weights`);
    W[i] = w[i];
  }
  // dead inputs (never non-zero in the calibration data): their weights do not matter; GPTQ zeroes them
  const H = Float64Array.from(hessian);
  let meanDiag = 0;
  for (let i = 0; i < K; i++) meanDiag += H[i * K + i];
  meanDiag /= K;
  for (let i = 0; i < K; i++) {
    if (H[i * K + i] === 0) {
      H[i * K + i] = 1;
      for (let r = 0; r < N; r++) W[r * K + i] = 0;
    }
  }
  const lambda = damp * (meanDiag > 0 ? meanDiag : 1);
  for (let i = 0; i < K; i++) H[i * K + i] += lambda;
  const U = inverseCholeskyUpper(H, K);

  const B = Math.min(spec.block, K);
  const Q = new Float32Array(N * K);
  const unit = new Float64Array(N);
  const lo = -spec.bias - (spec.m - 1);
  let clipped = 0;
  for (let i = 0; i < K; i++) {
    if (i % B === 0) {
      const end = Math.min(i + B, K);
      for (let r = 0; r < N; r++) {
        const base = r * K;
        let u = unitOf(W, base + i, base + end, spec);
        if (clip && u - 1 >= lo && blockError(W, base + i, base + end, u - 1, spec) < blockError(W, base + i, base + end, u, spec)) {
          u -= 1;
          clipped++;
        }
        unit[r] = u;
      }
    }
    const d = U[i * K + i];
    for (let r = 0; r < N; r++) {
      const base = r * K;
      const x = W[base + i];
      const q = onGrid(x, unit[r], spec);
      Q[base + i] = q;
      const err = (x - q) / d;
      if (err !== 0) for (let j = i + 1; j < K; j++) W[base + j] -= err * U[i * K + j];
    }
    // Block end: where the format's encoder will re-encode the block differently (the ceil rule, see
    // the file comment), the hardware uses the re-encoded value; push that extra error onto the
    // columns after the block as well.
    if ((i + 1) % B === 0 || i === K - 1) {
      const b0 = i - (i % B);
      for (let r = 0; r < N; r++) {
        const base = r * K;
        const u = unitOf(Q, base + b0, base + i + 1, spec);
        if (u === unit[r]) continue;
        for (let j = b0; j <= i; j++) {
          const extra = (Q[base + j] - onGrid(Q[base + j], u, spec)) / U[j * K + j];
          if (extra !== 0) for (let k = i + 1; k < K; k++) W[base + k] -= extra * U[j * K + k];
        }
      }
    }
  }

  // what the format's encoder will make of Q (the ceil rule's re-encoding, file comment)
  let changed = 0;
  for (let r = 0; r < N; r++) {
    for (let b = r * K; b < (r + 1) * K; b += B) {
      const end = Math.min(b + B, (r + 1) * K);
      const u = unitOf(Q, b, end, spec);
      for (let j = b; j < end; j++) if (onGrid(Q[j], u, spec) !== Q[j]) changed++;
    }
  }
  return { values: Q, clippedBlocks: clipped, reencodeChanged: changed };
}
