// Property tests (fast-check): idempotence, sign symmetry, monotonicity, the saturation bound,
// and decode(encode(x)) == quantize(x), over every format family.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ELEMENTS, decode, encode, parseFormat, quantize, quantizeWithCounts, type FormatSpec } from './index';

const u32 = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
/** Bitwise equality; NaN equals NaN; with zeroSign false, −0 equals +0. */
function sameBits(a: Float32Array, b: Float32Array, zeroSign = true): boolean {
  if (a.length !== b.length) return false;
  const ua = u32(a);
  const ub = u32(b);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] === ub[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    if (!zeroSign && a[i] === 0 && b[i] === 0) continue;
    return false;
  }
  return true;
}

const MX = Object.keys(ELEMENTS).flatMap((e) => ['nearest', 'even', 'floor'].flatMap((r) => ['floor', 'ceil', 'even', 'rceil'].map((s) => `${e}:block=8,round=${r},scale=${s}`)));
const OTHERS = [
  'mxint:m=2,block=8', 'mxint:m=4,block=8', 'mxint:m=8,block=8,scale=floor', 'mxint:m=16,block=8,round=nearest', 'mxint:m=5,e=4,block=8,round=floor',
  'bfp:m=3,block=8', 'bfp:m=8,block=8,round=nearest',
  'fixed:w=8,f=5', 'fixed:w=4,f=0,round=floor', 'nvfp4:block=8', 'mxfp4:block=8,flush=1',
];
const ALL = [...MX, ...OTHERS];

/** float32 values across many binades, with zeros and float32 subnormals. */
const f32val = fc.oneof(
  { weight: 6, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }).map((k) => k / 64) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 2 ** -149, -(2 ** -140), 2 ** -126, 3.4e38, -3.4e38) },
);
const tensor = fc.array(f32val, { minLength: 1, maxLength: 40 }).map((a) => Float32Array.from(a));
const fmt = fc.constantFrom(...ALL);

describe('properties of every format', () => {
  // MASE's ceil rule puts an exact power-of-two block max at 2^E, where it clips by one LSB. A block max
  // that ROUNDS to a power of two therefore clips on the next pass: re-quantizing is not a no-op.
  it('documents that MASE’s ceil rule (MXInt scale=ceil, BFP) is not idempotent', () => {
    // just above 2^-92: E = ceil = −91, unit 2^-93, k = 2.000002 → 2, so q = 2^-92; next pass E = −92, k = 4 → 3
    const q1 = quantize('bfp:m=3,block=8', [2 ** -92 * (1 + 2 ** -20)]);
    expect(q1[0]).toBe(2 ** -92);
    expect(quantize('bfp:m=3,block=8', q1)[0]).toBe(0.75 * 2 ** -92);
    const y = quantize('mxint:m=2,block=8', [2 ** -6, 0]);
    expect(y[0]).toBe(2 ** -7);
    expect(quantize('mxint:m=2,block=8', y)[0]).toBe(2 ** -8);
  });

  // Up to the sign of zero: microxcaling maps −0 to +0 but a negative value that rounds to zero to −0,
  // so a second pass turns those −0 into +0 (mx-formats.md §A9).
  it('idempotence: quantize(quantize(x)) == quantize(x) up to the sign of zero (NVFP4 excluded: its tensor scale moves)', () => {
    fc.assert(
      // MASE's ceil rule (MXInt scale=ceil, BFP) is not idempotent: see the test below.
      // The 'even' scale rule predicts a round-to-even carry of the block max; with another element rounding
      // the carry may not happen and a second pass picks a smaller scale — so it is paired with round=even here.
      fc.property(
        fmt.filter((f) => {
          const s = parseFormat(f);
          if (s.kind === 'mx') return s.scale !== 'even' || s.round === 'even';
          return s.kind === 'fixed' || (s.kind === 'mxint' && s.scale === 'floor');
        }),
        tensor,
        (f, x) => {
        const q1 = quantize(f, x);
        if (q1.some((v) => Math.abs(v) === Infinity)) return; // a value of exactly 2^128 decodes to Inf (see codec.ts)
        expect(sameBits(quantize(f, q1), q1, false)).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('sign symmetry: quantize(−x) == −quantize(x) for sign-magnitude formats; two’s complement only below saturation', () => {
    fc.assert(
      fc.property(fmt, tensor, (f, x) => {
        const neg = x.map((v) => -v);
        const a = quantizeWithCounts(f, x);
        const b = quantizeWithCounts(f, neg);
        const spec = parseFormat(f);
        const twos = spec.kind === 'mxint' || spec.kind === 'fixed';
        if (twos && (a.counts.saturated > 0 || b.counts.saturated > 0)) return;
        expect(sameBits(b.values, a.values.map((v) => -v), false)).toBe(true); // ±0 inputs both give +0
      }),
      { numRuns: 1500 },
    );
  });

  it('monotonicity within a block: sorted inputs give sorted outputs', () => {
    fc.assert(
      fc.property(fmt, tensor, (f, x) => {
        const spec = parseFormat(f);
        if (spec.kind === 'fixed' && !spec.saturate) return;
        const sorted = Float32Array.from(x).sort();
        // one block: block size ≥ length
        const one = f.replace('block=8', `block=${sorted.length}`);
        const q = quantize(one, sorted);
        if (q.some(Number.isNaN)) return; // a scale beyond E8M0's range makes the block NaN (§A3)
        for (let i = 1; i < q.length; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]);
      }),
      { numRuns: 1500 },
    );
  });

  // |x| < 2^127: with the ceil/even/rceil rules, an MX value near FLT_MAX can exceed float32's range
  // (e.g. 16·2^124 = 2^128) and decodes to ±Inf; the bound is about the format, not that overflow.
  it('saturation bound: |q| ≤ maxNorm·2^X for MX; rceil never saturates', () => {
    const small = fc.array(f32val.filter((v) => Math.abs(v) < 2 ** 127), { minLength: 1, maxLength: 40 }).map((a) => Float32Array.from(a));
    fc.assert(
      fc.property(fc.constantFrom(...MX), small, (f, x) => {
        const e = encode(f, x);
        const spec = e.spec as Extract<FormatSpec, { kind: 'mx' }>;
        const el = ELEMENTS[spec.elem];
        const q = quantize(f, x);
        for (let i = 0; i < x.length; i++) {
          const b = Math.floor(i / spec.block);
          if (e.scales[b] === 255) continue;
          const X = e.scales[b] - 127;
          expect(Math.abs(q[i])).toBeLessThanOrEqual(el.maxNorm * 2 ** X);
        }
        if (spec.scale === 'rceil') expect(e.counts.saturated).toBe(0);
      }),
      { numRuns: 1500 },
    );
  });

  it('decode(encode(x)) == quantize(x) bit for bit (two’s complement formats store −0 as +0)', () => {
    fc.assert(
      fc.property(fmt, tensor, (f, x) => {
        const spec = parseFormat(f);
        const twos = spec.kind === 'mxint' || spec.kind === 'fixed' || (spec.kind === 'mx' && spec.elem.startsWith('int'));
        const q = quantize(f, x);
        const d = decode(encode(f, x));
        const want = twos ? q.map((v) => (v === 0 ? 0 : v)) : q;
        expect(sameBits(d, want)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('the datapath view is exact: mantissa · 2^unitExp == value for power-of-two block formats', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL.filter((f) => !f.startsWith('nvfp4'))), tensor, (f, x) => {
        const e = encode(f, x);
        const q = quantize(f, x);
        const blk = e.layout.numBlocks === 1 ? () => 0 : (i: number) => Math.floor(i / e.layout.block);
        for (let i = 0; i < x.length; i++) {
          const u = e.unitExp[blk(i)];
          if (Number.isNaN(u)) expect(Number.isNaN(q[i])).toBe(true);
          else expect(Math.fround(e.mantissas[i] * 2 ** u)).toBe(q[i] === 0 ? 0 : q[i]); // exact in a double; fround only maps 2^128 to Inf
        }
      }),
      { numRuns: 800 },
    );
  });
});
