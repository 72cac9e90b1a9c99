// The fixed-point non-GEMM ops (fixed.ts) and their tables (fixedTables.ts): tables pinned (so the
// RTL ROMs generated from them cannot drift unnoticed) and checked against float64 math; the integer
// helpers on hand cases; every op against its float64 definition on random and sweep inputs, with
// the documented error bounds (README "Fixed-point ops"), and on edge cases (zeros, saturation,
// negative extremes). Real-activation bounds are asserted in src/core/emulate/integer.test.ts.
import { describe, expect, it } from 'vitest';
import { makeRng } from '../tensors';
import { actMax, DEFAULT_ACT, type ActFormat } from './act';
import {
  checkAct, fxActivation, fxAdd, fxCausalSoftmax, fxEmbedding, fxGelu, fxGeluNew, fxLayerNorm, fxMul, fxNormParams, fxRelu, fxRmsNorm, fxRope, fxRopeTables, fxSilu,
  fxSoftmaxRow, fxTable, isqrt, mulRhu, normScale, rhu,
} from './fixed';
import { attentionScaleConst, exp2Table, geluNewConsts, normCdfTable, referenceReals, ropeTable, sigmoidTable, softmaxScaleConst } from './fixedTables';
import { erf } from '../emulate/linalg';

const A = DEFAULT_ACT;
const LSB = 2 ** -A.f;
const M = actMax(A);

/** Max |got − ref| in LSB, where got are ACT integers and ref real values. */
function maxErr(got: Int32Array, ref: ArrayLike<number>, act: ActFormat = A): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] * 2 ** -act.f - ref[i]) * 2 ** act.f);
  return e;
}

const hash = (t: Int32Array) => {
  let s = 0n;
  t.forEach((v, i) => (s = (s * 1000003n + BigInt(v) + BigInt(i)) % (2n ** 61n - 1n)));
  return s.toString();
};

/** A sweep of ACT values over [lo, hi] in steps of `step` LSB, plus ±actMax, ±1 LSB and 0. */
function sweep(lo: number, hi: number, step: number): Int32Array {
  const v: number[] = [0, 1, -1, M, -M, M - 1, -M + 1];
  for (let i = Math.round(lo / LSB); i <= Math.round(hi / LSB); i += step) v.push(i);
  return Int32Array.from(v);
}

function gaussInts(n: number, sd: number, seed: number, act: ActFormat = A): Int32Array {
  const r = makeRng(seed);
  const m = actMax(act);
  return Int32Array.from({ length: n }, () => {
    const g = Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
    return Math.max(-m, Math.min(m, Math.round(g * sd * 2 ** act.f)));
  });
}

describe('tables (integer algorithms, pinned)', () => {
  it('the BigInt series reproduce π, ln 2, e^−1, erf(1), cos 1, sin 1, ln 10 to double precision', () => {
    const r = referenceReals();
    expect(r.pi).toBeCloseTo(Math.PI, 15);
    expect(r.ln2).toBeCloseTo(Math.LN2, 15);
    expect(r.expm1).toBeCloseTo(0.36787944117144233, 15);
    expect(r.erf1).toBeCloseTo(0.8427007929497149, 15);
    expect(r.cos1).toBeCloseTo(0.5403023058681398, 15);
    expect(r.sin1).toBeCloseTo(0.8414709848078965, 15);
    expect(r.ln10).toBeCloseTo(Math.LN10, 15);
  });

  it('sigmoid, Φ and exp2 tables: each entry the nearest integer to the real value (checked in float64 away from ties), pinned', () => {
    const s = sigmoidTable();
    const n = normCdfTable();
    const e = exp2Table();
    expect([s.length, n.length, e.length]).toEqual([513, 513, 129]);
    for (let i = 0; i <= 512; i++) {
      const v = i / 32;
      const rs = 2 ** 20 / (1 + Math.exp(-v));
      const rn = 2 ** 19 * (1 + erf(v / Math.SQRT2));
      expect(Math.abs(s[i] - rs)).toBeLessThanOrEqual(0.5 + 1e-6);
      expect(Math.abs(n[i] - rn)).toBeLessThanOrEqual(0.5 + 1e-6);
    }
    for (let i = 0; i <= 128; i++) expect(Math.abs(e[i] - 2 ** (20 - i / 128))).toBeLessThanOrEqual(0.5 + 1e-6);
    expect([s[0], s[32], s[512], n[0], n[32], n[512], e[0], e[64], e[128]]).toEqual([524288, 766570, 1048576, 524288, 882214, 1048576, 1048576, 741455, 524288]);
    // the exact integers, so a change of algorithm cannot slip through within the ±½ above
    expect([hash(s), hash(n), hash(e)]).toEqual(['2000953531930225355', '1705587982813763790', '57708169430222807']);
  });

  it('constants: attention 1/√hd, any softmax scale, gelu_new', () => {
    expect([1, 8, 32, 64, 128].map(attentionScaleConst)).toEqual([24204406, 8557550, 4278775, 3025551, 2139387]);
    for (const hd of [1, 8, 32, 64, 128]) expect(Math.abs(attentionScaleConst(hd) - (Math.LOG2E / Math.sqrt(hd)) * 2 ** 24)).toBeLessThanOrEqual(0.5 + 1e-6);
    expect(softmaxScaleConst(0.125)).toBe(attentionScaleConst(64));
    expect(softmaxScaleConst(1)).toBe(attentionScaleConst(1));
    expect(geluNewConsts()).toEqual({ g1: 1673285, g3: 74821 });
    expect(() => softmaxScaleConst(0)).toThrow(/positive finite/);
    expect(() => attentionScaleConst(0)).toThrow(/positive integer/);
  });

  it('RoPE tables: cos/sin of t·θ^(−2i/hd) to ½ unit of 2^−20, pinned', () => {
    const { cos, sin } = ropeTable(256, 32, 10000, 20);
    let worst = 0;
    for (let t = 0; t < 256; t++) {
      for (let i = 0; i < 16; i++) {
        const a = t * Math.pow(10000, (-2 * i) / 32);
        worst = Math.max(worst, Math.abs(cos[t * 16 + i] - Math.cos(a) * 2 ** 20), Math.abs(sin[t * 16 + i] - Math.sin(a) * 2 ** 20));
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-4); // float64 cos/sin of a float64 angle: ~1e-4 units at t = 255
    expect([cos[0], sin[0], cos[16 * 5 + 3], sin[16 * 255 + 1]]).toEqual([1048576, 0, 660687, -942092]);
    expect([hash(cos), hash(sin)]).toEqual(['570590049067012379', '114271430491057999']);
    expect(() => ropeTable(8, 7, 10000, 20)).toThrow(/even/);
  });
});

describe('integer helpers', () => {
  it('rhu rounds half up (toward +∞), mulRhu is exact beyond 2^53, isqrt floors', () => {
    expect([rhu(5, 1), rhu(-5, 1), rhu(7, 2), rhu(-6, 2), rhu(3, 0), rhu(-1, 1)]).toEqual([3, -2, 2, -1, 3, 0]);
    const a = 2 ** 30 + 12345;
    const b = 2 ** 29 + 777;
    expect(mulRhu(a, b, 20)).toBe(Number((BigInt(a) * BigInt(b) + (1n << 19n)) >> 20n));
    expect(mulRhu(-a, b, 20)).toBe(Number((-BigInt(a) * BigInt(b) + (1n << 19n)) >> 20n));
    for (const q of [0, 1, 2, 3, 4, 15, 16, 17, 2 ** 50 - 1, 2 ** 50, (2 ** 25 - 1) ** 2, (2 ** 25 - 1) ** 2 - 1]) {
      const r = isqrt(q);
      expect(r * r <= q && (r + 1) * (r + 1) > q, String(q)).toBe(true);
    }
  });

  it('checkAct names the bad parameter', () => {
    expect(() => checkAct({ w: 25, f: 14 })).toThrow(/ACT width/);
    expect(() => checkAct({ w: 24, f: 4 })).toThrow(/ACT fraction bits/);
    expect(() => checkAct({ w: 16, f: 15 })).toThrow(/ACT fraction bits/);
    expect(checkAct({ w: 16, f: 10 })).toEqual({ w: 16, f: 10 });
  });
});

describe('element-wise ops', () => {
  it('add saturates symmetrically; mul is within ½ LSB and saturates', () => {
    const a = Int32Array.from([1, -1, M, -M, M, 100, 2 ** 14]);
    const b = Int32Array.from([2, -3, 1, -1, -M, -100, 2 ** 14]);
    expect([...fxAdd(a, b, A)]).toEqual([3, -4, M, -M, 0, 0, 2 ** 15]);
    // 1.0 · 1.0 = 1.0; 1.5·(−1.5) = −2.25; LSB · LSB = 2^−28 → rhu → 0; ½·LSB ties round up
    const x = Int32Array.from([16384, 24576, 1, M, -M, 8192, -8192]);
    const y = Int32Array.from([16384, -24576, 1, M, M, 1, 1]);
    expect([...fxMul(x, y, A)]).toEqual([16384, -36864, 0, M, -M, 1, 0]);
    const r1 = gaussInts(20000, 4, 1);
    const r2 = gaussInts(20000, 4, 2);
    const got = fxMul(r1, r2, A);
    expect(maxErr(got, Array.from(r1, (v, i) => v * LSB * r2[i] * LSB))).toBeLessThanOrEqual(0.5);
    expect(() => fxAdd(a, b.subarray(1), A)).toThrow(/b length/);
  });

  it('ReLU is exact', () => {
    expect([...fxRelu(Int32Array.from([-5, 0, 7, M, -M]))]).toEqual([0, 0, 7, M, 0]);
  });

  it('SiLU within 0.85 LSB of x·σ(x) over [−40, 40] and at the extremes', () => {
    const x = sweep(-40, 40, 37);
    const y = fxSilu(x, A);
    const ref = Array.from(x, (v) => (v * LSB) / (1 + Math.exp(-v * LSB)));
    const e = maxErr(y, ref);
    expect(e).toBeLessThanOrEqual(0.85);
    expect(e).toBeGreaterThan(0.3); // the bound is tight, not vacuous
    expect([...fxSilu(Int32Array.from([0, M, -M]), A)]).toEqual([0, M, 0]);
  });

  it('gelu_new within 0.75 LSB of the tanh GELU; gelu (erf) within 1.1 LSB of x·Φ(x) (Φ bends more than σ: Φ″ ≤ 0.24)', () => {
    const x = sweep(-30, 30, 29);
    const g = Math.sqrt(2 / Math.PI);
    const yn = fxGeluNew(x, A);
    expect(maxErr(yn, Array.from(x, (v) => 0.5 * v * LSB * (1 + Math.tanh(g * (v * LSB + 0.044715 * (v * LSB) ** 3)))))).toBeLessThanOrEqual(0.75);
    const ye = fxGelu(x, A);
    expect(maxErr(ye, Array.from(x, (v) => 0.5 * v * LSB * (1 + erf((v * LSB) / Math.SQRT2))))).toBeLessThanOrEqual(1.1);
    for (const y of [yn, ye]) expect([y[0], y[3], y[4]]).toEqual([0, M, 0]); // 0, +max, −max
    expect(fxActivation('relu', x, A)).toEqual(fxRelu(x));
  });

  it('other ACT formats: SiLU at 16 bits with 8 fractional stays within 0.85 LSB', () => {
    const act = { w: 16, f: 8 };
    const x = Int32Array.from({ length: 2 ** 15 - 1 }, (_, i) => i - 2 ** 14);
    expect(maxErr(fxSilu(x, act), Array.from(x, (v) => (v / 256) / (1 + Math.exp(-v / 256))), act)).toBeLessThanOrEqual(0.85);
  });
});

describe('softmax', () => {
  const C = attentionScaleConst(32);
  const sc = 1 / Math.sqrt(32);

  function refRow(s: Int32Array, o: number, n: number, scale: number): number[] {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, s[o + j] * LSB * scale);
    let z = 0;
    for (let j = 0; j < n; j++) z += Math.exp(s[o + j] * LSB * scale - m);
    return Array.from({ length: n }, (_, j) => Math.exp(s[o + j] * LSB * scale - m) / z);
  }

  it('within 0.61 LSB of the float64 causal softmax on score spreads from 1 to 200; masked entries 0', () => {
    const T = 96;
    let worst = 0;
    for (const [sd, seed] of [[1, 3], [8, 4], [30, 5], [200, 6]]) {
      const s = gaussInts(T * T, sd, seed);
      const p = fxCausalSoftmax(s, T, C, A);
      for (let t = 0; t < T; t++) {
        worst = Math.max(worst, maxErr(p.subarray(t * T, t * T + t + 1), refRow(s, t * T, t + 1, sc)));
        for (let j = t + 1; j < T; j++) expect(p[t * T + j]).toBe(0);
        let sum = 0;
        for (let j = 0; j <= t; j++) sum += p[t * T + j];
        expect(Math.abs(sum - 2 ** A.f)).toBeLessThanOrEqual(t + 1); // each entry within ~½ LSB
      }
    }
    expect(worst).toBeLessThanOrEqual(0.61);
    expect(worst).toBeGreaterThan(0.4);
  });

  it('edge rows: one key → exactly 1; equal scores → 1/n; saturated extremes → one-hot; zeros', () => {
    const e = new Float64Array(8);
    const out = new Int32Array(8);
    fxSoftmaxRow(Int32Array.from([-M]), 0, 1, C, A, out, 0, e);
    expect(out[0]).toBe(2 ** A.f);
    fxSoftmaxRow(new Int32Array(4).fill(12345), 0, 4, C, A, out, 0, e);
    expect([...out.subarray(0, 4)]).toEqual([4096, 4096, 4096, 4096]);
    fxSoftmaxRow(Int32Array.from([M, -M, -M, M - 2 ** 22]), 0, 4, C, A, out, 0, e);
    expect([...out.subarray(0, 4)]).toEqual([2 ** 14, 0, 0, 0]);
    fxSoftmaxRow(new Int32Array(8), 0, 8, C, A, out, 0, e);
    expect([...out]).toEqual(new Array(8).fill(2048));
  });

  it('any scale (softmaxScaleConst) and bad constants', () => {
    const s = gaussInts(40 * 40, 3, 9);
    const p = fxCausalSoftmax(s, 40, softmaxScaleConst(0.3), A);
    for (let t = 0; t < 40; t++) expect(maxErr(p.subarray(t * 40, t * 40 + t + 1), refRow(s, t * 40, t + 1, 0.3))).toBeLessThanOrEqual(0.61);
    expect(() => fxCausalSoftmax(s, 40, 2 ** 25, A)).toThrow(/softmax constant/);
    expect(() => fxCausalSoftmax(s, 41, C, A)).toThrow(/scores length/);
  });
});

describe('norms', () => {
  function refRms(x: Int32Array, T: number, D: number, w: Float32Array, eps: number): number[] {
    const y: number[] = [];
    for (let t = 0; t < T; t++) {
      let ss = 0;
      for (let d = 0; d < D; d++) ss += (x[t * D + d] * LSB) ** 2;
      const r = 1 / Math.sqrt(ss / D + eps);
      for (let d = 0; d < D; d++) y.push(w[d] * x[t * D + d] * LSB * r);
    }
    return y;
  }

  it('RMSNorm within 0.56 LSB on rows from 1e−3 to saturated magnitudes (D = 128, and D = 96 not a power of two)', () => {
    for (const D of [128, 96]) {
      const r = makeRng(D);
      const w = Float32Array.from({ length: D }, () => 0.5 + r() * 2.5);
      const p = fxNormParams(w, undefined, 1e-5, A);
      expect(p.wf).toBe(20);
      for (const [sd, seed] of [[0.001, 1], [0.05, 2], [1, 3], [20, 4], [400, 5]]) {
        const x = gaussInts(64 * D, sd, seed + D);
        expect(maxErr(fxRmsNorm(x, 64, D, p, A), refRms(x, 64, D, w, 1e-5)), `D ${D} sd ${sd}`).toBeLessThanOrEqual(0.56);
      }
    }
  });

  it('RMSNorm edges: a zero row gives zeros; one non-zero element; weights ≥ 8 lower wf; eps below 2^−2f is raised', () => {
    const D = 16;
    const w = new Float32Array(D).fill(1);
    const p = fxNormParams(w, undefined, 1e-5, A);
    expect([...fxRmsNorm(new Int32Array(D), 1, D, p, A)]).toEqual(new Array(D).fill(0));
    const x = new Int32Array(D);
    x[3] = -M; // mean square 2^46/16: u = −4 (= −√D)
    const y = fxRmsNorm(x, 1, D, p, A);
    expect(y[3]).toBe(-4 * 2 ** 14);
    expect([...y].filter((v, i) => i !== 3 && v !== 0)).toEqual([]);
    const big = fxNormParams(Float32Array.from([100, -3]), undefined, 1e-6, A);
    expect(big.wf).toBe(16); // 100 · 2^16 < 2^23 ≤ 100 · 2^17
    expect(big.w[0]).toBe(100 * 2 ** 16);
    expect(fxNormParams(w, undefined, 0, A).eps).toBe(2 ** 16);
    expect(fxNormParams(w, undefined, 1e-5, A).eps).toBe(175921860); // round(1e−5 · 2^44)
    expect(() => fxNormParams(Float32Array.from([2 ** 24]), undefined, 1e-5, A)).toThrow(/norm weight/);
    expect(() => fxRmsNorm(x, 2, D, p, A)).toThrow(/x length/);
  });

  it('normScale: r in (2^23, 2^25] and shift from 4 up; u = x·rsqrt(mean + eps) to 2^−20', () => {
    for (const D of [1, 2, 3, 128, 768, 4096]) {
      for (const m of [BigInt(D) << 16n, (BigInt(D) << 62n) + 12345n, 987654321987n]) {
        const { r, shift } = normScale(m, D);
        expect(r).toBeGreaterThan(2 ** 23);
        expect(r).toBeLessThanOrEqual(2 ** 25);
        expect(shift).toBeGreaterThanOrEqual(4);
        // u of x = 1.0 (2^14) against 1/sqrt(m'/(D·2^44)) · 2^20
        const want = 2 ** 20 / Math.sqrt(Number(m) / D / 2 ** 44);
        expect(Math.abs(rhu(2 ** 14 * r, shift) - want) / want).toBeLessThan(3e-7);
      }
    }
  });

  it('LayerNorm within 0.53 LSB (bias taken as fix(b)), on rows with a large mean', () => {
    const D = 96;
    const r = makeRng(11);
    const w = Float32Array.from({ length: D }, () => 0.5 + r() * 2.5);
    const b = Float32Array.from({ length: D }, () => r() - 0.5);
    const p = fxNormParams(w, b, 1e-5, A);
    expect([...p.b!]).toEqual([...fxTable(b, A)]);
    for (const [sd, seed] of [[0.001, 1], [0.05, 2], [1, 3], [20, 4], [100, 5]]) {
      const x = gaussInts(40 * D, sd, seed).map((v) => Math.max(-M, Math.min(M, v + Math.round(3 * sd * 2 ** 14))));
      const ref: number[] = [];
      for (let t = 0; t < 40; t++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += x[t * D + d] * LSB;
        const mu = s / D;
        let v = 0;
        for (let d = 0; d < D; d++) v += (x[t * D + d] * LSB - mu) ** 2;
        const rs = 1 / Math.sqrt(v / D + 1e-5);
        for (let d = 0; d < D; d++) ref.push((x[t * D + d] * LSB - mu) * rs * w[d] + p.b![d] * LSB);
      }
      expect(maxErr(fxLayerNorm(x, 40, D, p, A), ref), `sd ${sd}`).toBeLessThanOrEqual(0.53);
    }
    expect(() => fxLayerNorm(new Int32Array(D), 1, D, fxNormParams(w, undefined, 1e-5, A), A)).toThrow(/norm bias/);
  });
});

describe('RoPE, embedding', () => {
  it('RoPE within 0.87 LSB of the float64 rotation; position 0 is the identity; saturates', () => {
    const T = 200;
    const H = 2;
    const hd = 32;
    const tab = fxRopeTables(256, hd, 10000);
    const x = gaussInts(T * H * hd, 10, 21);
    const y = fxRope(x, T, H, tab, A);
    const ref: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        for (let d = 0; d < hd; d++) {
          const a = t * Math.pow(10000, (-2 * (d % 16)) / hd);
          const o = t * H * hd + h * hd;
          const rot = d < 16 ? -x[o + d + 16] : x[o + d - 16];
          ref.push((x[o + d] * Math.cos(a) + rot * Math.sin(a)) * LSB);
        }
      }
    }
    expect(maxErr(y, ref)).toBeLessThanOrEqual(0.87);
    expect([...y.subarray(0, H * hd)]).toEqual([...x.subarray(0, H * hd)]);
    // |x| = max on both halves at an angle of ~45°: √2·max saturates
    const s = new Int32Array(2 * hd).fill(M);
    const at = fxRope(s, 2, 1, tab, A);
    expect(at[hd + 16]).toBe(M);
    expect(() => fxRope(x, T, H, fxRopeTables(100, hd, 10000), A)).toThrow(/RoPE positions/);
    // positions offset: row t at pos0 + t
    expect(fxRope(x.subarray(5 * H * hd, 6 * H * hd), 1, H, tab, A, 5)).toEqual(y.subarray(5 * H * hd, 6 * H * hd));
  });

  it('embedding rows are fix() of the float table', () => {
    const E = Float32Array.from([0.1, -0.2, 1e6, NaN, 3, -1e-9]);
    const t = fxTable(E, A);
    expect([...t]).toEqual([1638, -3277, M, 0, 49152, 0]);
    expect([...fxEmbedding([2, 0], t, 2)]).toEqual([49152, 0, 1638, -3277]);
  });
});
