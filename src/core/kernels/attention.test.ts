// attentionLayerFix (a whole layer: heads split and encoded in the module), softmaxGemmFix (integer attention's softmax → P encoding → P·V → fix inside the GEMM module) and
// attentionFix (the same from encoded Q and K: Q·Kᵀ and its fix first) against
// its specification, the three steps one after the other on the TypeScript twins: fxCausalSoftmax,
// core encode (and the emulator's measure() loop for P's statistics), blockGemm + fixInt. Bit for
// bit on the output integers, the sums and the counts, for both builds, every block format family,
// partial blocks, both V layouts and garbage above the diagonal of the scores (never read).
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, quantize, toSpec } from '../formats/index';
import { attentionScaleConst, blockGemm, fixInt, fxCausalSoftmax, type ActFormat } from '../datapath/index';
import { DEFAULT_ACT } from '../datapath/index';
import { loadGemmKernel, type EncodeStats, type GemmKernel } from './gemm';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng } from '../tensors';
import { measure } from '../emulate/quant';

const FLAVORS = ['simd', 'relaxed'] as const;
const KERNELS: Record<string, GemmKernel> = {};

beforeAll(async () => {
  for (const fl of FLAVORS) KERNELS[fl] = await loadGemmKernel(kernelBytes, fl);
});

const act: ActFormat = DEFAULT_ACT;

/** ACT scores [T, T]: a spread of magnitudes per row, garbage above the diagonal. */
function scores(T: number, rnd: () => number, range: number): Int32Array {
  const s = new Int32Array(T * T);
  for (let i = 0; i < T; i++) {
    const r = range * (0.2 + rnd());
    for (let j = 0; j < T; j++) s[i * T + j] = j <= i ? Math.round((rnd() * 2 - 1) * r * 2 ** act.f) : Math.round((rnd() * 2 - 1) * 2 ** 22);
  }
  return s;
}

/** ACT values of V [T, hd] (as float32, exact). */
function values(T: number, hd: number, rnd: () => number): Float32Array {
  const v = new Float32Array(T * hd);
  for (let i = 0; i < v.length; i++) v[i] = Math.round((rnd() * 2 - 1) * 3 * 2 ** act.f) * 2 ** -act.f;
  return v;
}

function reference(s: Int32Array, T: number, C: number, pFmt: string, v: ReturnType<typeof encode>, layout: 'NK' | 'KN') {
  const P = fxCausalSoftmax(s, T, C, act);
  const pv = Float32Array.from(P, (x) => x * 2 ** -act.f);
  const a = encode(pFmt, pv, [T, T], 1);
  const y = blockGemm(a, v, { b: layout });
  const ints = Int32Array.from(y, (x) => fixInt(x, act));
  return { ints, a, pv };
}

describe('softmaxGemmFix = softmax, encode, block GEMM, fix', () => {
  const cases: [string, string, number, number][] = [
    ['mxint8', 'mxint8', 70, 12],
    ['mxfp4', 'mxint8', 33, 8],
    ['mxfp4', 'mxfp4', 64, 16],
    ['mxint:m=4,block=32', 'mxint:m=8,block=32', 40, 8],
    ['bfp:m=6,block=16', 'mxint:m=6,block=16', 37, 8],
    ['mxfp8_e4m3', 'mxfp6_e3m2', 35, 8],
    ['mxfp6_e2m3:block=16', 'mxfp8_e5m2:block=16', 20, 4],
    ['mxint8', 'mxint8', 1, 4],
  ];
  for (const [pf, vf, T, hd] of cases) {
    it(`P ${pf} × V ${vf}, T = ${T}, hd = ${hd}`, () => {
      const rnd = makeRng(T * 131 + hd);
      const C = attentionScaleConst(hd);
      for (const range of [2, 12]) {
        const s = scores(T, rnd, range);
        const vx = values(T, hd, rnd);
        const vt = new Float32Array(T * hd);
        for (let t = 0; t < T; t++) for (let j = 0; j < hd; j++) vt[j * T + t] = vx[t * hd + j];
        for (const layout of ['KN', 'NK'] as const) {
          const v = layout === 'KN' ? encode(vf, vx, [T, hd], 0) : encode(vf, vt, [hd, T], 1);
          const want = reference(s, T, C, pf, v, layout);
          const stats = measure(want.pv, quantize(pf, want.pv, [T, T], 1), want.a.counts);
          for (const fl of FLAVORS) {
            const into = new Int32Array(T * hd);
            const got = KERNELS[fl].softmaxGemmFix!(s, T, C, act, toSpec(pf), v, layout, into)!;
            expect(got, `${fl} ${layout}`).not.toBeNull();
            expect(got.ints).toBe(into);
            expect(Array.from(got.ints), `${fl} ${layout} range ${range}`).toEqual(Array.from(want.ints));
            expect([got.sig, got.err]).toEqual([stats.sig, stats.err]);
            expect(got.counts).toEqual(want.a.counts);
          }
        }
      }
    });
  }

  // attentionFix: Q and K encoded (blocked along hd), the scores made in the module as gemmFix makes them
  const qkCases: [string, string, string, number, number][] = [
    ['mxint8', 'mxint8', 'mxint8', 70, 32],
    ['mxfp4', 'mxfp4', 'mxint8', 33, 16],
    ['fixed:w=12,f=6', 'mxint:m=6,block=32', 'mxint:m=6,block=32', 40, 12],
    ['mxfp8_e5m2:block=16', 'mxfp6_e2m3:block=16', 'mxfp8_e4m3:block=16', 24, 16],
    ['mxint8', 'bfp:m=6,block=16', 'mxint8:block=16', 1, 8],
  ];
  for (const [qf, pf, vf, T, hd] of qkCases) {
    it(`attentionFix: Q, K ${qf}, P ${pf}, V ${vf}, T = ${T}, hd = ${hd}`, () => {
      const rnd = makeRng(T * 7 + hd);
      const C = attentionScaleConst(hd);
      for (const spread of [1, 6]) {
        const qx = Float32Array.from({ length: T * hd }, () => Math.round((rnd() * 2 - 1) * spread * 2 ** act.f) * 2 ** -act.f);
        const kx = Float32Array.from({ length: T * hd }, () => Math.round((rnd() * 2 - 1) * spread * 2 ** act.f) * 2 ** -act.f);
        const q = encode(qf, qx, [T, hd], 1);
        const k = encode(qf, kx, [T, hd], 1);
        const y = blockGemm(q, k, { b: 'NK' });
        const s = Int32Array.from(y, (x, i) => (i % T > Math.floor(i / T) ? 0 : fixInt(x, act)));
        const vx = values(T, hd, rnd);
        const v = encode(vf, vx, [T, hd], 0);
        const want = reference(s, T, C, pf, v, 'KN');
        const stats = measure(want.pv, quantize(pf, want.pv, [T, T], 1), want.a.counts);
        for (const fl of FLAVORS) {
          const got = KERNELS[fl].attentionFix!(q, k, T, C, act, toSpec(pf), v, 'KN')!;
          expect(Array.from(got.ints), `${fl} spread ${spread}`).toEqual(Array.from(want.ints));
          expect([got.sig, got.err]).toEqual([stats.sig, stats.err]);
          expect(got.counts).toEqual(want.a.counts);
        }
      }
    });
  }

  it('attentionFix when the scores need patching after the kernel (exact outputs: FP8 blocks 2^±40 apart)', () => {
    const T = 33;
    const hd = 64;
    const x = Float32Array.from({ length: T * hd }, (_, i) => (((i * 37) % 23) - 11) * 2 ** ((((i >> 4) % 3) - 1) * 40));
    const q = encode('mxfp8_e5m2:block=16', x, [T, hd], 1);
    const k = encode('mxfp8_e5m2:block=16', x.map((v) => -v * 0.75), [T, hd], 1);
    expect(KERNELS.relaxed.prepare(q, k, { b: 'NK', causalC: true }).info.exactOutputs).toBeGreaterThan(0);
    const C = attentionScaleConst(hd);
    const y = blockGemm(q, k, { b: 'NK' });
    const s = Int32Array.from(y, (v, i) => (i % T > Math.floor(i / T) ? 0 : fixInt(v, act)));
    const v = encode('mxint8:block=16', values(T, hd, makeRng(5)), [T, hd], 0);
    const want = reference(s, T, C, 'mxint8:block=16', v, 'KN');
    for (const fl of FLAVORS) expect(Array.from(KERNELS[fl].attentionFix!(q, k, T, C, act, toSpec('mxint8:block=16'), v, 'KN')!.ints), fl).toEqual(Array.from(want.ints));
  });

  it('declines what it does not cover, and says so beforehand', () => {
    const k = KERNELS.relaxed;
    const v = encode('mxint8', new Float32Array(32 * 4), [32, 4], 0);
    const s = new Int32Array(32 * 32);
    const C = attentionScaleConst(4);
    // not block formats; a 2-D tile; MXInt m = 16 (a 65,536-entry code table: the quantize kernel's datapath view stops at 4,096)
    for (const f of ['fixed:w=8,f=5', 'fp32', 'mxint8:block=2x16', 'mxint:m=16,block=32']) {
      const spec = toSpec(f);
      expect(k.softmaxGemmCovers!(32, C, spec), f).toBe(false);
      expect(k.softmaxGemmFix!(s, 32, C, act, spec, v, 'KN'), f).toBeNull();
    }
    expect(k.softmaxGemmCovers!(32, 0, toSpec('mxint8'))).toBe(false);
    expect(k.softmaxGemmCovers!(32, C, toSpec('mxint8'))).toBe(true);
    // scores of the wrong length
    expect(k.softmaxGemmFix!(s.subarray(1), 32, C, act, toSpec('mxint8'), v, 'KN')).toBeNull();
  });
});

describe('attentionLayerFix = per kv head encode K and Vᵀ, per head encode Q and attention', () => {
  /** ACT integers [T, heads·hd] with a spread of magnitudes. */
  const acts = (T: number, w: number, rnd: () => number, spread: number) => Int32Array.from({ length: T * w }, () => Math.round((rnd() * 2 - 1) * spread * 2 ** act.f));
  const cols = (x: Int32Array, T: number, C: number, c0: number, w: number) => {
    const out = new Float32Array(T * w);
    for (let t = 0; t < T; t++) for (let j = 0; j < w; j++) out[t * w + j] = x[t * C + c0 + j] * 2 ** -act.f;
    return out;
  };
  const sums = (fmt: string, x: Float32Array, shape: [number, number]) => {
    const e = encode(fmt, x, shape, 1);
    const m = measure(x, quantize(fmt, x, shape, 1), e.counts);
    return { e, stats: [m.sig, m.err, e.counts.saturated, e.counts.underflow, e.counts.nanBlocks] };
  };
  const cases: [string, string, string, string, number, number, number, number][] = [
    // qa, qb, pa, pb, T, H, Hk, hd
    ['mxint8', 'mxint8', 'mxint8', 'mxint8', 40, 4, 4, 16],
    ['mxfp4', 'mxint8', 'mxfp4', 'mxfp6_e3m2', 33, 4, 2, 32],
    ['mxint:m=6,block=16', 'bfp:m=6,block=16', 'mxint:m=4,block=16', 'mxint8:block=16', 21, 3, 1, 16],
  ];
  for (const [qa, qb, pa, pb, T, H, Hk, hd] of cases) {
    it(`Q ${qa}, K ${qb}, P ${pa}, V ${pb}, T = ${T}, H = ${H}, Hk = ${Hk}, hd = ${hd}`, () => {
      const rnd = makeRng(T * 13 + H * 5 + hd);
      const C = attentionScaleConst(hd);
      const q = acts(T, H * hd, rnd, 3);
      const k = acts(T, Hk * hd, rnd, 3);
      const v = acts(T, Hk * hd, rnd, 2);
      // the twins, op by op: K_g and V_gᵀ per kv head, then per head Q_h, scores, softmax, P, P·V
      const ks = Array.from({ length: Hk }, (_, g) => sums(qb, cols(k, T, Hk * hd, g * hd, hd), [T, hd]));
      const vs = Array.from({ length: Hk }, (_, g) => {
        const vg = cols(v, T, Hk * hd, g * hd, hd);
        const vt = new Float32Array(hd * T);
        for (let t = 0; t < T; t++) for (let j = 0; j < hd; j++) vt[j * T + t] = vg[t * hd + j];
        return sums(pb, vt, [hd, T]);
      });
      const want = Array.from({ length: H }, (_, h) => {
        const g = Math.floor(h / (H / Hk));
        const qh = sums(qa, cols(q, T, H * hd, h * hd, hd), [T, hd]);
        const y = blockGemm(qh.e, ks[g].e, { b: 'NK' });
        const sc = Int32Array.from(y, (x, i) => (i % T > Math.floor(i / T) ? 0 : fixInt(x, act)));
        const r = reference(sc, T, C, pa, vs[g].e, 'NK');
        const pm = measure(r.pv, quantize(pa, r.pv, [T, T], 1), r.a.counts);
        return { ints: r.ints, q: qh.stats, p: [pm.sig, pm.err, r.a.counts.saturated, r.a.counts.underflow, r.a.counts.nanBlocks] };
      });
      const flat = (st: EncodeStats) => [st.sig, st.err, st.counts.saturated, st.counts.underflow, st.counts.nanBlocks];
      for (const fl of FLAVORS) {
        const out = new Int32Array(T * H * hd);
        const seen: number[] = [];
        const got = KERNELS[fl].attentionLayerFix!(q, k, v, T, H, Hk, hd, C, act, { qa: toSpec(qa), qb: toSpec(qb), pa: toSpec(pa), pb: toSpec(pb) }, (h, r) => {
          seen.push(h);
          expect(flat(r.q), `${fl} Q_${h}`).toEqual(want[h].q);
          expect(flat(r.p), `${fl} P_${h}`).toEqual(want[h].p);
        }, out);
        expect(got, fl).not.toBeNull();
        expect(got!.ints).toBe(out);
        for (let h = 0; h < H; h++) {
          const head = Int32Array.from({ length: T * hd }, (_, i) => out[Math.floor(i / hd) * H * hd + h * hd + (i % hd)]);
          expect(Array.from(head), `${fl} head ${h}`).toEqual(Array.from(want[h].ints));
        }
        expect(seen).toEqual(Array.from({ length: H }, (_, h) => h));
        expect(got!.k.map(flat), `${fl} K`).toEqual(ks.map((x) => x.stats));
        expect(got!.v.map(flat), `${fl} V`).toEqual(vs.map((x) => x.stats));
      }
    });
  }

  it('declines, before reporting anything, what it does not cover', () => {
    const k = KERNELS.relaxed;
    const T = 8;
    const hd = 16;
    const C = attentionScaleConst(hd);
    const x = new Int32Array(T * 2 * hd).fill(3 << act.f);
    const f = { qa: toSpec('mxint8'), qb: toSpec('mxint8'), pa: toSpec('mxint8'), pb: toSpec('mxint8') };
    const none = () => {
      throw new Error('no head may be reported');
    };
    let reported = 0;
    expect(k.attentionLayerFix!(x, x, x, T, 2, 2, hd, C, act, f, () => reported++)).not.toBeNull();
    expect(reported).toBe(2);
    expect(k.attentionLayerFix!(x, x, x, T, 2, 2, hd, C, act, { ...f, pb: toSpec('fixed:w=8,f=5') }, none)).toBeNull();
    expect(k.attentionLayerFix!(x, x, x, T, 3, 2, hd, C, act, f, none)).toBeNull(); // H not a multiple of Hk (and q's length)
    expect(k.attentionLayerFix!(x.subarray(1), x, x, T, 2, 2, hd, C, act, f, none)).toBeNull();
    // V's sums past 2^53 units (not order-free): declined, so the emulator encodes V_g untransposed
    const vBig = new Int32Array(256 * 2 * hd).fill(2 ** 23 - 1);
    expect(k.attentionLayerFix!(new Int32Array(256 * 2 * hd), new Int32Array(256 * 2 * hd), vBig, 256, 2, 2, hd, C, act, f, none)).toBeNull();
  });
});
