// Differential tests: the float64 element-wise ops on the float GEMM kernel's module (F32GemmKernel.float,
// workers/kernels/assembly/_float.ts), both builds, against their TypeScript twins in
// src/core/emulate/linalg.ts, bit for bit (NaN = NaN whatever its payload): the exp (fdlibm's, which
// is V8's Math.exp) on millions of inputs over every regime and edge; the causal softmax, SiLU and
// the evaluation's per-row lse / argmax / KL on random, wide-range and special data (±0, ±Inf, NaN,
// rows of −Inf, ties), odd lengths (the f64x2 loops' tails) and real logits' scale.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadF32GemmKernel, type F32GemmKernel } from './f32gemm';
import type { FloatKernel } from './float';
import { activation, causalSoftmax, klRow, logitRowStats } from '../emulate/linalg';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng, type Rng } from '../tensors';

const FLAVORS = ['simd', 'relaxed'] as const;
const K = {} as Record<(typeof FLAVORS)[number], FloatKernel>;

beforeAll(async () => {
  for (const fl of FLAVORS) {
    const k: F32GemmKernel = await loadF32GemmKernel(kernelBytes, fl);
    expect(k.float, `${fl}: float ops loaded (this engine's Math.exp is fdlibm's)`).toBeDefined();
    K[fl] = k.float!;
  }
});

/** First index where two arrays differ (NaN equals NaN, −0 differs from +0), or −1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function gauss(rnd: Rng): number {
  return Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
}

type Kind = 'normal' | 'wide' | 'special' | 'logits';
/** f32 data: normal, wide-range, with specials, or logit-like (a few large values over a broad base). */
function data(n: number, rnd: Rng, kind: Kind): Float32Array {
  const out = new Float32Array(n);
  const sp = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 88, -88, 1];
  for (let i = 0; i < n; i++) {
    const g = gauss(rnd);
    if (kind === 'normal') out[i] = 3 * g;
    else if (kind === 'wide') out[i] = g * 2 ** Math.round((rnd() * 2 - 1) * 12);
    else if (kind === 'logits') out[i] = rnd() < 0.01 ? 12 + 4 * g : 2 * g - 3;
    else out[i] = rnd() < 0.05 ? sp[Math.floor(rnd() * sp.length)] : 5 * g;
  }
  return out;
}

describe('exp (fdlibm e_exp.c = Math.exp)', () => {
  it('equals Math.exp bit for bit over every regime, both builds', () => {
    const rnd = makeRng(11);
    const parts: number[] = [];
    const n = 400_000;
    for (let i = 0; i < n; i++) parts.push((rnd() - 0.9) * 60); // softmax / logits range
    for (let i = 0; i < n; i++) parts.push((rnd() - 0.5) * 1500); // overflow / underflow / subnormal results
    for (let i = 0; i < n; i++) parts.push((rnd() - 0.5) * 3); // the k = 0 and k = ±1 regimes
    for (let i = 0; i < n / 4; i++) parts.push((rnd() - 0.5) * 2 ** -(20 + Math.floor(rnd() * 20))); // around 2^−28
    for (let i = 0; i < n / 4; i++) parts.push(Math.fround(5 * gauss(rnd)) - Math.fround(8 * rnd())); // f32 − f32 as the ops make them
    // regime boundaries and their neighbours, specials
    const edges = [0, -0, 1, -1, 2 ** -28, -(2 ** -28), 0.5 * Math.LN2, 1.5 * Math.LN2, -0.5 * Math.LN2, -1.5 * Math.LN2, 704, -704, 709.782712893384, 709.79, -708.39, -745.1332191019411, -745.14, -1021 * Math.LN2, Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MAX_VALUE];
    const f64 = new Float64Array(1);
    const u = new BigInt64Array(f64.buffer);
    for (const e of edges) {
      f64[0] = e;
      const b = u[0];
      for (let d = -3n; d <= 3n; d++) {
        u[0] = b + d;
        parts.push(f64[0]);
      }
    }
    parts.push(7); // an odd count: the scalar tail
    const x = Float64Array.from(parts);
    const want = x.map(Math.exp);
    for (const fl of FLAVORS) {
      const got = K[fl].exp(x);
      const d = firstDiff(got, want);
      if (d !== -1) expect.fail(`${fl}: exp(${x[d]}) = ${got[d]}, Math.exp ${want[d]}`);
    }
  });
});

describe('causal softmax = linalg.causalSoftmax', () => {
  it('random, wide and special scores, odd and even T, several heads, into a reused array', () => {
    const rnd = makeRng(5);
    for (const kind of ['normal', 'wide', 'special', 'logits'] as Kind[]) {
      for (const [H, T] of [[1, 1], [1, 2], [3, 7], [4, 33], [2, 64]]) {
        const s = data(H * T * T, rnd, kind);
        if (kind === 'special' && T > 3) for (let j = 0; j < T; j++) s[2 * T + j] = -Infinity; // a row of −Inf
        const want = new Float32Array(H * T * T);
        for (let h = 0; h < H; h++) want.set(causalSoftmax(s.subarray(h * T * T, (h + 1) * T * T), T), h * T * T);
        // the twin into an offset of a dirty array gives the same
        const into = data(H * T * T, rnd, 'normal');
        for (let h = 0; h < H; h++) causalSoftmax(s.subarray(h * T * T, (h + 1) * T * T), T, into, h * T * T);
        expect(firstDiff(into, want), `twin with out ${kind} H=${H} T=${T}`).toBe(-1);
        for (const fl of FLAVORS) {
          const got = K[fl].causalSoftmax(s, H, T);
          const d = firstDiff(got, want);
          if (d !== -1) expect.fail(`${fl} ${kind} H=${H} T=${T}: p[${d}] = ${got[d]}, twin ${want[d]}`);
          const dirty = data(H * T * T, rnd, 'normal');
          expect(firstDiff(K[fl].causalSoftmax(s, H, T, dirty), want), `${fl} ${kind} into a dirty array`).toBe(-1);
        }
      }
    }
  });
});

describe('SiLU = linalg.activation("silu")', () => {
  it('random, wide and special inputs, odd lengths', () => {
    const rnd = makeRng(9);
    for (const kind of ['normal', 'wide', 'special', 'logits'] as Kind[]) {
      for (const n of [1, 2, 3, 17, 1000, 40_961]) {
        const x = data(n, rnd, kind);
        if (kind === 'wide' && n > 10) x.set([-710, 710, -745.5, 745.5, -1000, 88.5, -104], 0);
        const want = activation('silu', x);
        for (const fl of FLAVORS) {
          const d = firstDiff(K[fl].silu(x), want);
          if (d !== -1) expect.fail(`${fl} ${kind} n=${n}: silu(${x[d]}) differs`);
          const out = new Float32Array(n).fill(7);
          expect(firstDiff(K[fl].silu(x, out), want), `${fl} ${kind} into out`).toBe(-1);
        }
      }
    }
  });
});

describe('logit rows = logitRowStats and klRow', () => {
  it('lse, first argmax and KL per row, with ties, specials and rows of −Inf / NaN / +Inf', () => {
    const rnd = makeRng(21);
    for (const kind of ['logits', 'normal', 'wide', 'special'] as Kind[]) {
      for (const [rows, V] of [[1, 1], [3, 5], [17, 2048], [9, 333]]) {
        const l = data(rows * V, rnd, kind);
        const ref = data(rows * V, rnd, kind === 'special' ? 'logits' : kind);
        if (rows > 3 && V > 3) {
          l.fill(-Infinity, 0, V); // row 0: all −Inf
          l[V + 1] = NaN; // row 1: a NaN with a finite max
          l[2 * V + 2] = Infinity; // row 2: max +Inf
          l[3 * V] = l[3 * V + 1] = 1e3; // row 3: a tie
          ref[3 * V + 2] = -Infinity;
        }
        if (rows > 5 && V > 3) for (let v = 0; v < V; v++) l[4 * V + v] = v % 2 ? NaN : -Infinity; // NaN and −Inf only
        const refLse = new Float64Array(rows);
        for (let r = 0; r < rows; r++) refLse[r] = logitRowStats(ref, r * V, V).lse;
        for (const fl of FLAVORS) {
          const got = K[fl].logitRows(l, rows, V, { logits: ref, lse: refLse });
          const plain = K[fl].logitRows(l, rows, V);
          expect(plain.kl).toBeUndefined();
          const ro = K[fl].logitRows(ref, rows, V);
          expect(firstDiff(ro.lse, refLse), `${fl} ${kind} ${rows}×${V} reference lse`).toBe(-1);
          for (let r = 0; r < rows; r++) {
            const w = logitRowStats(l, r * V, V);
            const tag = `${fl} ${kind} ${rows}×${V} row ${r}`;
            expect([Object.is(got.lse[r], w.lse), got.arg[r]], `${tag}: lse ${got.lse[r]} vs ${w.lse}`).toEqual([true, w.arg]);
            expect([Object.is(plain.lse[r], w.lse), plain.arg[r]], `${tag} (no reference)`).toEqual([true, w.arg]);
            const wk = klRow(ref, refLse[r], l, w.lse, r * V, V);
            expect(Object.is(got.kl![r], wk), `${tag}: KL ${got.kl![r]} vs ${wk}`).toBe(true);
          }
        }
      }
    }
  });
});
