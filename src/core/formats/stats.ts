/** Error statistics of a quantized tensor against its input (finite pairs only). */
export interface ErrorStats {
  /** Mean squared error over elements where both values are finite. */
  mse: number;
  /** Signal-to-quantization-noise ratio in dB: 10·log10(Σx² / Σ(x−q)²); Infinity when exact. */
  sqnrDb: number;
  /** Largest absolute error. */
  maxAbsErr: number;
  /** Elements compared (both finite). */
  count: number;
}

export function errorStats(x: ArrayLike<number>, q: ArrayLike<number>): ErrorStats {
  let sig = 0;
  let err = 0;
  let maxAbs = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = q[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const d = a - b;
    sig += a * a;
    err += d * d;
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
    count++;
  }
  return {
    mse: count ? err / count : 0,
    sqnrDb: err === 0 ? Infinity : sig === 0 ? -Infinity : 10 * Math.log10(sig / err),
    maxAbsErr: maxAbs,
    count,
  };
}
