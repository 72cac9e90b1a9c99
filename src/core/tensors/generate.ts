/**
 * Seeded test-tensor generators for the Format Explorer, benchmarks and tests (ring 1: no DOM).
 *
 * The same settings always give the same Float32Array, so a share link that holds only the
 * settings (never the data) reproduces the exact tensor. Randomness comes from xoshiro128**
 * seeded through splitmix32; Gaussian samples use the polar Marsaglia method (no trig, so the
 * sequence only depends on Math.log/Math.sqrt, which V8 computes identically in Node and Chrome).
 */

/** Distributions the explorer offers. */
export type TensorDist = 'normal' | 'student' | 'outliers';
export const TENSOR_DISTS: readonly TensorDist[] = ['normal', 'student', 'outliers'];

export interface GenSettings {
  dist: TensorDist;
  /** Number of elements. */
  n: number;
  /** Seed (any 32-bit unsigned integer). */
  seed: number;
  /** Student-t degrees of freedom (dist = 'student'); small = heavier tails. */
  df?: number;
  /** Fraction of elements that are outliers (dist = 'outliers'). */
  outlierRate?: number;
  /** Outlier magnitude multiplier range [lo, hi] (dist = 'outliers'). */
  outlierScale?: readonly [number, number];
}

/** Limits the UI, the URL decoder and the generator agree on. */
export const GEN_LIMITS = { minN: 1, maxN: 1 << 20, minDf: 1, maxDf: 100, maxSeed: 0xffffffff } as const;

export const DEFAULT_DF = 3;
export const DEFAULT_OUTLIER_RATE = 0.01;
export const DEFAULT_OUTLIER_SCALE: readonly [number, number] = [16, 64];

/** A seeded uniform generator returning doubles in [0, 1). */
export type Rng = () => number;

/** xoshiro128** seeded by splitmix32 (so seeds 0, 1, 2, … give unrelated streams). */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point of xoshiro
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard normal samples (polar Marsaglia; the second sample of each pair is kept, not wasted). */
export function makeNormal(rng: Rng): () => number {
  // NaN marks "no spare" (a number-only variable keeps the closure monomorphic for the JIT)
  let spare = NaN;
  return () => {
    if (spare === spare) {
      const v = spare;
      spare = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * rng() - 1;
      v = 2 * rng() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * f;
    return u * f;
  };
}

/**
 * Gamma(shape k, scale 1) by Marsaglia–Tsang (k ≥ 1; k < 1 via the k+1 boost).
 * Used for the chi-square denominator of Student-t with non-integer df.
 */
function gamma(k: number, rng: Rng, normal: () => number): number {
  if (k < 1) return gamma(k + 1, rng, normal) * Math.pow(rng() || Number.MIN_VALUE, 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Throws RangeError with a message the UI can show as is. */
export function checkGenSettings(g: GenSettings): void {
  if (!Number.isInteger(g.n) || g.n < GEN_LIMITS.minN || g.n > GEN_LIMITS.maxN) {
    throw new RangeError(`n must be an integer from ${GEN_LIMITS.minN} to ${GEN_LIMITS.maxN} (got ${g.n})`);
  }
  if (!Number.isInteger(g.seed) || g.seed < 0 || g.seed > GEN_LIMITS.maxSeed) {
    throw new RangeError(`seed must be an integer from 0 to ${GEN_LIMITS.maxSeed} (got ${g.seed})`);
  }
  const df = g.df ?? DEFAULT_DF;
  if (!(df >= GEN_LIMITS.minDf && df <= GEN_LIMITS.maxDf)) {
    throw new RangeError(`df must be from ${GEN_LIMITS.minDf} to ${GEN_LIMITS.maxDf} (got ${df})`);
  }
  const rate = g.outlierRate ?? DEFAULT_OUTLIER_RATE;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`outlier rate must be from 0 to 1 (got ${rate})`);
  const [lo, hi] = g.outlierScale ?? DEFAULT_OUTLIER_SCALE;
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) throw new RangeError(`outlier scale must be 0 < lo ≤ hi (got ${lo}, ${hi})`);
  if (!(TENSOR_DISTS as readonly string[]).includes(g.dist)) throw new RangeError(`dist must be one of ${TENSOR_DISTS.join(', ')} (got ${g.dist})`);
}

/**
 * Generate a tensor.
 * - normal: N(0, 1).
 * - student: Student-t with `df` degrees of freedom (default 3: finite variance, heavy tails,
 *   like many LLM weight matrices).
 * - outliers: N(0, 1) where a fraction `outlierRate` (default 1%) of elements is multiplied by a
 *   factor drawn uniformly from `outlierScale` (default 16–64×), like activation outliers.
 *   This is the case where one shared exponent per block hurts.
 */
export function generateTensor(g: GenSettings): Float32Array {
  checkGenSettings(g);
  const rng = makeRng(g.seed);
  const normal = makeNormal(rng);
  const out = new Float32Array(g.n);
  switch (g.dist) {
    case 'normal':
      for (let i = 0; i < g.n; i++) out[i] = normal();
      break;
    case 'student': {
      const df = g.df ?? DEFAULT_DF;
      // t = Z / sqrt(V/df) with V ~ chi²(df) = 2·Gamma(df/2)
      for (let i = 0; i < g.n; i++) {
        const z = normal();
        const v = 2 * gamma(df / 2, rng, normal);
        out[i] = z / Math.sqrt(v / df);
      }
      break;
    }
    case 'outliers': {
      const rate = g.outlierRate ?? DEFAULT_OUTLIER_RATE;
      const [lo, hi] = g.outlierScale ?? DEFAULT_OUTLIER_SCALE;
      for (let i = 0; i < g.n; i++) {
        const z = normal();
        // draw the outlier decision for every element so the stream (and so the data) does not
        // depend on earlier decisions: the same seed keeps the same inliers at any rate
        const u = rng();
        const f = rng();
        out[i] = u < rate ? z * (lo + (hi - lo) * f) : z;
      }
      break;
    }
  }
  return out;
}
