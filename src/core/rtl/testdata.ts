/**
 * Seeded test data for the component testbenches: ACT tensors that exercise every corner of the
 * MX cast (zeros, all-zero blocks, the ACT extremes, widely spread magnitudes per block, values on
 * rounding ties) and random element codes. Deterministic (mulberry32), so a failing vector replays.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { DEFAULT_ACT, actMax, type ActFormat } from '../datapath';

/** mulberry32: a small, fast, seeded PRNG returning [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * ACT integers for a [rows, row] tensor: each row picks a magnitude scale (log-uniform over the ACT
 * range), then elements are log-uniform below it with random signs; some rows are all zero, some
 * hold the ACT extremes, some are small integers times powers of two (rounding ties for every
 * element grid), and individual zeros are sprinkled in.
 */
export function randomAct(rows: number, row: number, seed: number, act: ActFormat = DEFAULT_ACT): Int32Array {
  const r = rng(seed);
  const max = actMax(act);
  const out = new Int32Array(rows * row);
  for (let t = 0; t < rows; t++) {
    const kind = r();
    const top = Math.floor(r() * (act.w - 1)); // the row's largest bit position
    for (let k = 0; k < row; k++) {
      let v: number;
      if (kind < 0.06) v = 0;
      else if (kind < 0.12) v = r() < 0.5 ? max : r() < 0.5 ? -max : r() < 0.5 ? 1 : -1;
      else if (kind < 0.3) {
        // small odd integers on a power-of-two grid: exact ties of the element grids
        const sh = Math.max(0, top - 4);
        v = (Math.floor(r() * 33) - 16) * 2 ** sh;
        v = r() < 0.5 ? v + 2 ** Math.max(0, sh - 1) : v;
      } else {
        const e = r() * (top + 1);
        v = Math.floor(2 ** e);
        if (r() < 0.5) v = -v;
        if (r() < 0.08) v = 0;
      }
      out[t * row + k] = Math.max(-max, Math.min(max, v));
    }
  }
  return out;
}
