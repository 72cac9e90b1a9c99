/**
 * The one home of every format's semantics: quantize→dequantize, encode (what hardware stores),
 * decode, with statistics. Exact arithmetic throughout: inputs are float32 values held in doubles,
 * scaling is by powers of two, rounding uses exact fractions (mx-formats.md Parts A–C).
 *
 * This is also the TypeScript twin of the block-quantize kernels in workers/kernels.
 */
import { ELEMENTS, decodeElemBits, encodeElemBits, type ElemFormat } from './element';
import { roundMagnitude } from './rounding';
import { FLT_MAX, ceilLog2, f32Bits, f32FromBits, floorLog2 } from './float32';
import { forEachBlock, makeLayout, type BlockLayout } from './layout';
import { toSpec, type BfpSpec, type FixedSpec, type FormatSpec, type MxIntSpec, type MxSpec, type NvFp4Spec } from './spec';
import { FormatError } from './errors';

/** Counts gathered while quantizing. */
export interface QuantCounts {
  /** Elements whose rounded magnitude exceeded the largest representable value and were clamped. */
  saturated: number;
  /** Non-zero finite inputs that became zero. */
  underflow: number;
  /** Blocks that became NaN because they held a NaN or ±Inf. */
  nanBlocks: number;
  /** Blocks zeroed by the subnormal flush option. */
  flushedBlocks: number;
}

/** What the hardware stores for a tensor, plus the integer view the datapath computes on. */
export interface Encoded {
  /** Canonical, validated spec. */
  spec: FormatSpec;
  layout: BlockLayout;
  /** Stored bit pattern of every element, in tensor (C) order; `elemBits` wide. */
  elements: Uint32Array;
  elemBits: number;
  /** Stored scale code of every block, in block-grid order (E8M0 byte for MX at 8 bits). */
  scales: Uint32Array;
  scaleBits: number;
  /**
   * Datapath view: element i equals mantissas[i] · 2^unitExp[block(i)] (· NVFP4's block and
   * tensor scales). mantissas are signed integers (exact in a double; E5M2 needs 33 bits).
   */
  mantissas: Float64Array;
  /** log2 of the datapath unit of each block; NaN for a NaN block. */
  unitExp: Float64Array;
  /** NVFP4 only: the fp32 per-tensor encode scale S_enc (decode divides by it). */
  tensorScale?: number;
  counts: QuantCounts;
}

export interface QuantResult {
  values: Float32Array;
  counts: QuantCounts;
}

interface Sink {
  values: Float32Array;
  enc: { elements: Uint32Array; mantissas: Float64Array; scales: Uint32Array; unitExp: Float64Array } | null;
  counts: QuantCounts;
}

function emptyCounts(): QuantCounts {
  return { saturated: 0, underflow: 0, nanBlocks: 0, flushedBlocks: 0 };
}

/** Block max of |x| over the block; NaN when the block holds a NaN or ±Inf. */
function blockAmax(x: ArrayLike<number>, idx: Int32Array, len: number): number {
  let amax = 0;
  for (let i = 0; i < len; i++) {
    const a = Math.abs(x[idx[i]]);
    if (!(a <= FLT_MAX)) return NaN;
    if (a > amax) amax = a;
  }
  return amax;
}

function nanBlock(s: Sink, b: number, idx: Int32Array, len: number, scaleCode: number, nanBits: number): void {
  s.counts.nanBlocks++;
  for (let i = 0; i < len; i++) {
    s.values[idx[i]] = NaN;
    if (s.enc) {
      s.enc.elements[idx[i]] = nanBits;
      s.enc.mantissas[idx[i]] = NaN;
    }
  }
  if (s.enc) {
    s.enc.scales[b] = scaleCode;
    s.enc.unitExp[b] = NaN;
  }
}

// ---------------------------------------------------------------- OCP MX

/** The shared exponent X of an MX block with max |x| = amax (finite, ≥ 0), before the E8M0 clamp. */
export function mxSharedExp(amax: number, e: ElemFormat, rule: MxSpec['scale']): number {
  // microxcaling replaces an all-zero block's amax by the float32 min normal (§A4).
  const a = amax === 0 ? 2 ** -126 : amax;
  switch (rule) {
    case 'floor':
      return floorLog2(a) - e.emax;
    case 'ceil':
      return ceilLog2(a) - e.emax;
    case 'even': {
      // round amax to the element's mantissa width (ties to even), then floor.
      const p = floorLog2(a);
      const r = roundMagnitude(a * 2 ** (e.m - p), 'even') * 2 ** (p - e.m);
      return floorLog2(r) - e.emax;
    }
    case 'rceil': {
      // smallest X with maxNorm · 2^X ≥ amax
      let X = floorLog2(a) - floorLog2(e.maxNorm) - 1;
      while (e.maxNorm * 2 ** X < a) X++;
      return X;
    }
  }
}

function mxBlock(spec: MxSpec, e: ElemFormat, x: ArrayLike<number>, s: Sink, b: number, idx: Int32Array, len: number): void {
  const sEmax = 2 ** (spec.scaleBits - 1) - 1;
  const amax = blockAmax(x, idx, len);
  const nanCode = 2 ** spec.scaleBits - 1;
  if (Number.isNaN(amax)) return nanBlock(s, b, idx, len, nanCode, e.kind === 'fp' ? (1 << (e.bits - 1)) - 1 : 0);
  let X = mxSharedExp(amax, e, spec.scale);
  // Beyond the scale's range: NaN, for every scale rule (§A3, §A15). With 8-bit scales and finite inputs
  // only the ceil/even/rceil rules get here (blocks within a few ULPs of FLT_MAX, int elements).
  // Their float-element blocks can instead reach exactly 2^128, which decodes to ±Inf in float32.
  if (X > sEmax) return nanBlock(s, b, idx, len, nanCode, 0);
  if (X < -sEmax) X = -sEmax;
  const flushed = spec.flush && amax !== 0 && floorLog2(amax) <= -127;
  if (flushed) s.counts.flushedBlocks++;
  const scale = 2 ** X;
  const inv = 2 ** -X;
  for (let i = 0; i < len; i++) {
    const j = idx[i];
    const xv = x[j];
    const neg = xv < 0;
    let q = 0;
    if (!flushed && xv !== 0) {
      const a = Math.abs(xv) * inv;
      // element rounding on the grid of its binade (fp) or the fixed grid (int), then saturation
      const stepExp = e.kind === 'fp' ? Math.max(floorLog2(a), e.emin) - e.m : -e.m;
      q = roundMagnitude(a * 2 ** -stepExp, spec.round) * 2 ** stepExp;
      if (q > e.maxNorm) {
        q = e.maxNorm;
        s.counts.saturated++;
      }
      if (q === 0) s.counts.underflow++;
    } else if (flushed && xv !== 0) {
      s.counts.underflow++;
    }
    // sign(x)·q·2^X: a negative input that rounds to zero gives −0; −0 gives +0 (§A9)
    s.values[j] = flushed ? 0 : neg ? -q * scale : q * scale;
    if (s.enc) {
      s.enc.elements[j] = encodeElemBits(neg && !flushed, q, e);
      s.enc.mantissas[j] = q === 0 ? 0 : (neg ? -q : q) * 2 ** -e.unitExp; // integers: no −0
    }
  }
  if (s.enc) {
    s.enc.scales[b] = X + sEmax;
    s.enc.unitExp[b] = X + e.unitExp;
  }
}

// ---------------------------------------------------------------- MXInt and BFP

/** Shared exponent E of an MXInt/BFP block (elements are k · 2^(E − (m−1))), clamped to the code range. */
export function intBlockExp(amax: number, rule: 'ceil' | 'floor', eBits: number, bias: number): number {
  const lo = -bias;
  const hi = 2 ** eBits - 2 - bias; // code 2^e − 1 is reserved for NaN
  if (amax === 0) return lo;
  const E = rule === 'ceil' ? ceilLog2(amax) : floorLog2(amax) + 1;
  return Math.min(Math.max(E, lo), hi);
}

function intBlock(spec: MxIntSpec | BfpSpec, x: ArrayLike<number>, s: Sink, b: number, idx: Int32Array, len: number): void {
  const amax = blockAmax(x, idx, len);
  const nanCode = 2 ** spec.e - 1;
  if (Number.isNaN(amax)) return nanBlock(s, b, idx, len, nanCode, 0);
  const E = intBlockExp(amax, spec.kind === 'mxint' ? spec.scale : 'ceil', spec.e, spec.bias);
  const unitExp = E - (spec.m - 1);
  const maxPos = 2 ** (spec.m - 1) - 1;
  // two's complement (MXInt) reaches −2^(m−1); sign-magnitude (BFP) is symmetric.
  const maxNeg = spec.kind === 'mxint' ? 2 ** (spec.m - 1) : maxPos;
  const mask = 2 ** spec.m - 1;
  for (let i = 0; i < len; i++) {
    const j = idx[i];
    const xv = x[j];
    const neg = xv < 0;
    let k = 0;
    if (xv !== 0) {
      k = roundMagnitude(Math.abs(xv) * 2 ** -unitExp, spec.round);
      const lim = neg ? maxNeg : maxPos;
      if (k > lim) {
        k = lim;
        s.counts.saturated++;
      }
      if (k === 0) s.counts.underflow++;
    }
    s.values[j] = (neg ? -k : k) * 2 ** unitExp;
    if (s.enc) {
      s.enc.mantissas[j] = k === 0 ? 0 : neg ? -k : k;
      s.enc.elements[j] = spec.kind === 'mxint' ? (neg ? (2 ** spec.m - k) & mask : k) : (neg ? 2 ** (spec.m - 1) : 0) + k;
    }
  }
  if (s.enc) {
    s.enc.scales[b] = E + spec.bias;
    s.enc.unitExp[b] = unitExp;
  }
}

// ---------------------------------------------------------------- fixed point

function fixedAll(spec: FixedSpec, x: ArrayLike<number>, s: Sink, n: number): void {
  const maxPos = 2 ** (spec.w - 1) - 1;
  const mod = 2 ** spec.w;
  const unit = 2 ** -spec.f;
  for (let j = 0; j < n; j++) {
    const xv = x[j];
    const neg = xv < 0;
    let k = 0; // signed integer code
    if (Number.isNaN(xv)) {
      s.counts.nanBlocks++; // fixed point has no NaN: the hardware register holds 0
    } else if (xv !== 0) {
      const mag = Math.abs(xv) === Infinity ? Infinity : roundMagnitude(Math.abs(xv) * 2 ** spec.f, spec.round);
      k = neg ? -mag : mag;
      if (k > maxPos || k < -maxPos - 1) {
        s.counts.saturated++;
        if (spec.saturate || !Number.isFinite(k)) k = neg ? -maxPos - 1 : maxPos;
        else {
          k = ((k % mod) + mod) % mod; // wrap modulo 2^w, two's complement
          if (k > maxPos) k -= mod;
        }
      }
      if (k === 0) s.counts.underflow++;
    }
    // fake-quant keeps the sign of a negative input that rounds to zero (−0), as for MX
    s.values[j] = k === 0 && neg ? -0 : k * unit;
    if (s.enc) {
      s.enc.mantissas[j] = k === 0 ? 0 : k;
      s.enc.elements[j] = k < 0 ? k + mod : 0 + k;
    }
  }
}

// ---------------------------------------------------------------- NVFP4

const E2M1 = ELEMENTS.fp4_e2m1;
const E4M3 = ELEMENTS.fp8_e4m3;

/** Round a non-negative value to an element grid (at scale 1) with saturation. */
function elemRound(a: number, e: ElemFormat, mode: MxSpec['round']): { q: number; sat: boolean } {
  if (a === 0) return { q: 0, sat: false };
  const stepExp = e.kind === 'fp' ? Math.max(floorLog2(a), e.emin) - e.m : -e.m;
  const q = roundMagnitude(a * 2 ** -stepExp, mode) * 2 ** stepExp;
  return q > e.maxNorm ? { q: e.maxNorm, sat: true } : { q, sat: false };
}

/** NVFP4 per-tensor encode scale S_enc = fp32(448·6 / amax) over the finite elements (1 when all zero). */
export function nvfp4TensorScale(x: ArrayLike<number>): number {
  let amax = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a <= FLT_MAX && a > amax) amax = a;
  }
  if (amax === 0) return 1;
  const sc = Math.fround(2688 / amax);
  return sc === Infinity ? FLT_MAX : sc;
}

function nvfp4Block(spec: NvFp4Spec, sEnc: number, x: ArrayLike<number>, s: Sink, b: number, idx: Int32Array, len: number): void {
  const amax = blockAmax(x, idx, len);
  if (Number.isNaN(amax)) return nanBlock(s, b, idx, len, 0x7f, 0x7);
  // s_b = e4m3(amax/6 · S_enc), ties to even, saturating; s_eff = fp32(s_b / S_enc)
  const sb = elemRound(Math.fround(Math.fround(amax / 6) * sEnc), E4M3, 'even').q;
  const sEff = Math.fround(sb / sEnc);
  for (let i = 0; i < len; i++) {
    const j = idx[i];
    const xv = x[j];
    const neg = xv < 0;
    let q = 0;
    if (xv !== 0 && sb !== 0) {
      const r = elemRound(Math.fround(Math.abs(xv) / sEff), E2M1, spec.round);
      q = r.q;
      if (r.sat) s.counts.saturated++;
    }
    if (xv !== 0 && q === 0) s.counts.underflow++;
    s.values[j] = Math.fround((neg ? -q : q) * sEff);
    if (s.enc) {
      s.enc.elements[j] = encodeElemBits(neg, q, E2M1);
      s.enc.mantissas[j] = q === 0 ? 0 : (neg ? -q : q) * 2;
    }
  }
  if (s.enc) {
    s.enc.scales[b] = encodeElemBits(false, sb, E4M3);
    s.enc.unitExp[b] = -1;
  }
}

// ---------------------------------------------------------------- public API

function layoutFor(spec: FormatSpec, shape: readonly number[], n: number, axis: number): BlockLayout {
  switch (spec.kind) {
    case 'mx':
    case 'mxint':
    case 'bfp':
      return makeLayout(shape, n, axis, spec.block, spec.tileRows);
    case 'nvfp4':
      return makeLayout(shape, n, axis, spec.block, 1);
    case 'fixed':
    case 'fp32': {
      // no blocks: one "block" holding the whole tensor, for a uniform Encoded shape
      const L = makeLayout(shape, n, axis, 1, 1);
      return { ...L, block: L.shape[L.axis], gridShape: [1], numBlocks: 1 };
    }
  }
}

function run(spec: FormatSpec, x: ArrayLike<number>, shape: readonly number[], axis: number, wantEnc: boolean): { values: Float32Array; layout: BlockLayout; enc: Sink['enc']; counts: QuantCounts; tensorScale?: number } {
  const layout = layoutFor(spec, shape, x.length, axis);
  const n = layout.numel;
  const values = new Float32Array(n);
  const enc = wantEnc
    ? { elements: new Uint32Array(n), mantissas: new Float64Array(n), scales: new Uint32Array(layout.numBlocks), unitExp: new Float64Array(layout.numBlocks) }
    : null;
  const sink: Sink = { values, enc, counts: emptyCounts() };
  let tensorScale: number | undefined;
  switch (spec.kind) {
    case 'fp32':
      for (let i = 0; i < n; i++) values[i] = x[i];
      if (enc) for (let i = 0; i < n; i++) enc.elements[i] = f32Bits(x[i]);
      if (enc) enc.mantissas.set(values);
      break;
    case 'fixed':
      fixedAll(spec, x, sink, n);
      if (enc) {
        enc.unitExp[0] = -spec.f;
        enc.scales[0] = 0;
      }
      break;
    case 'mx': {
      const e = ELEMENTS[spec.elem];
      forEachBlock(layout, (b, idx, len) => mxBlock(spec, e, x, sink, b, idx, len));
      break;
    }
    case 'mxint':
    case 'bfp':
      forEachBlock(layout, (b, idx, len) => intBlock(spec, x, sink, b, idx, len));
      break;
    case 'nvfp4': {
      const sEnc = nvfp4TensorScale(x);
      tensorScale = sEnc;
      forEachBlock(layout, (b, idx, len) => nvfp4Block(spec, sEnc, x, sink, b, idx, len));
      break;
    }
  }
  return { values, layout, enc, counts: sink.counts, tensorScale };
}

function checkData(x: ArrayLike<number>): void {
  if (!x || typeof x.length !== 'number') throw new FormatError('data', String(x), 'a Float32Array (or array of numbers)');
}

/**
 * Quantize→dequantize: the values a quantized tensor decodes to, as float32, with counts.
 * @param axis the blocking axis (negative counts from the end); default −1 (the last axis).
 */
export function quantizeWithCounts(format: FormatSpec | string, x: ArrayLike<number>, shape: readonly number[] = [x.length], axis = -1): QuantResult {
  checkData(x);
  const spec = toSpec(format);
  const r = run(spec, x, shape, axis, false);
  return { values: r.values, counts: r.counts };
}

/** Quantize→dequantize (fake quantization). See quantizeWithCounts. */
export function quantize(format: FormatSpec | string, x: ArrayLike<number>, shape: readonly number[] = [x.length], axis = -1): Float32Array {
  return quantizeWithCounts(format, x, shape, axis).values;
}

/** Encode to what hardware stores: element bit patterns and per-block scale codes (plus the integer datapath view). */
export function encode(format: FormatSpec | string, x: ArrayLike<number>, shape: readonly number[] = [x.length], axis = -1): Encoded {
  checkData(x);
  const spec = toSpec(format);
  const r = run(spec, x, shape, axis, true);
  const enc = r.enc!;
  return {
    spec,
    layout: r.layout,
    elements: enc.elements,
    elemBits: elementBits(spec),
    scales: enc.scales,
    scaleBits: scaleBitsOf(spec),
    mantissas: enc.mantissas,
    unitExp: enc.unitExp,
    tensorScale: r.tensorScale,
    counts: r.counts,
  };
}

/** What a block's stored scale code means. */
export interface BlockScale {
  /** The NaN code: every element of the block is NaN. */
  nan: boolean;
  /**
   * log2 of the block scale: MX's shared exponent X (elements are element·2^X); MXInt/BFP's exponent E
   * (elements are k·2^(E−(m−1))); NVFP4's log2(E4M3 scale / S_enc), fractional. NaN for a NaN block.
   */
  log2: number;
  /** The block scale as a number (2^log2; NVFP4: the fp32 effective scale s_eff). NaN for a NaN block. */
  scale: number;
}

/**
 * The meaning of a stored per-block scale code — the one definition decode(), the explorer's
 * per-block view and the RTL generator share. Returns null for formats without block scales.
 * @param tensorScale NVFP4's per-tensor S_enc (Encoded.tensorScale)
 */
export function blockScale(format: FormatSpec | string, code: number, tensorScale = 1): BlockScale | null {
  const s = toSpec(format);
  let nan: boolean;
  let log2: number;
  switch (s.kind) {
    case 'mx':
      nan = code === 2 ** s.scaleBits - 1;
      log2 = code - (2 ** (s.scaleBits - 1) - 1);
      break;
    case 'mxint':
    case 'bfp':
      nan = code === 2 ** s.e - 1;
      log2 = code - s.bias;
      break;
    case 'nvfp4': {
      nan = code === 0x7f;
      const sEff = Math.fround(decodeElemBits(code, E4M3) / tensorScale);
      return nan ? { nan, log2: NaN, scale: NaN } : { nan, log2: Math.log2(sEff), scale: sEff };
    }
    default:
      return null;
  }
  return nan ? { nan, log2: NaN, scale: NaN } : { nan, log2, scale: 2 ** log2 };
}

/**
 * Decode from the stored bits only (elements + scales + NVFP4's tensor scale), proving the encoding
 * is complete. Equals quantize() bit for bit, except that two's-complement element formats
 * (MX int, MXInt, fixed) cannot store −0 and decode it as +0.
 */
export function decode(enc: Pick<Encoded, 'spec' | 'layout' | 'elements' | 'scales' | 'tensorScale'>): Float32Array {
  const spec = enc.spec;
  const L = enc.layout;
  const out = new Float32Array(L.numel);
  const sext = (v: number, bits: number) => (v >= 2 ** (bits - 1) ? v - 2 ** bits : v);
  switch (spec.kind) {
    case 'fp32':
      for (let i = 0; i < L.numel; i++) out[i] = f32FromBits(enc.elements[i]);
      return out;
    case 'fixed':
      for (let i = 0; i < L.numel; i++) out[i] = sext(enc.elements[i], spec.w) * 2 ** -spec.f;
      return out;
    case 'mx': {
      const e = ELEMENTS[spec.elem];
      forEachBlock(L, (b, idx, len) => {
        const { nan, scale } = blockScale(spec, enc.scales[b])!;
        for (let i = 0; i < len; i++) out[idx[i]] = nan ? NaN : decodeElemBits(enc.elements[idx[i]], e) * scale;
      });
      return out;
    }
    case 'mxint':
    case 'bfp':
      forEachBlock(L, (b, idx, len) => {
        const { nan, log2: E } = blockScale(spec, enc.scales[b])!;
        const unit = 2 ** (E - (spec.m - 1));
        for (let i = 0; i < len; i++) {
          const v = enc.elements[idx[i]];
          let k: number;
          if (spec.kind === 'mxint') k = sext(v, spec.m);
          else {
            const mag = v % 2 ** (spec.m - 1);
            k = v >= 2 ** (spec.m - 1) ? -mag : mag;
            if (k === 0 && v >= 2 ** (spec.m - 1)) {
              out[idx[i]] = nan ? NaN : -0;
              continue;
            }
          }
          out[idx[i]] = nan ? NaN : k * unit;
        }
      });
      return out;
    case 'nvfp4': {
      const sEnc = enc.tensorScale ?? 1;
      forEachBlock(L, (b, idx, len) => {
        const { nan, scale: sEff } = blockScale(spec, enc.scales[b], sEnc)!;
        for (let i = 0; i < len; i++) out[idx[i]] = nan ? NaN : Math.fround(decodeElemBits(enc.elements[idx[i]], E2M1) * sEff);
      });
      return out;
    }
  }
}

/** Stored bits per element (without metadata). */
export function elementBits(format: FormatSpec | string): number {
  const s = toSpec(format);
  switch (s.kind) {
    case 'fp32':
      return 32;
    case 'mx':
      return ELEMENTS[s.elem].bits;
    case 'mxint':
    case 'bfp':
      return s.m;
    case 'fixed':
      return s.w;
    case 'nvfp4':
      return 4;
  }
}

/** Stored bits per block scale (0 for formats without one). */
export function scaleBitsOf(format: FormatSpec | string): number {
  const s = toSpec(format);
  switch (s.kind) {
    case 'mx':
      return s.scaleBits;
    case 'mxint':
    case 'bfp':
      return s.e;
    case 'nvfp4':
      return 8;
    default:
      return 0;
  }
}

/**
 * Average storage bits per element including shared metadata (mx-formats.md §C1).
 * Pass `numel` to include per-tensor metadata (NVFP4's fp32 tensor scale).
 */
export function bitsPerElement(format: FormatSpec | string, numel?: number): number {
  const s = toSpec(format);
  switch (s.kind) {
    case 'fp32':
    case 'fixed':
      return elementBits(s);
    case 'mx':
    case 'mxint':
    case 'bfp':
      return elementBits(s) + scaleBitsOf(s) / (s.block * s.tileRows);
    case 'nvfp4':
      return 4 + 8 / s.block + (numel ? 32 / numel : 0);
  }
}

/**
 * The representable values of one block at unit scale (MX: 2^X = 1; MXInt/BFP: E = 0;
 * fixed: the absolute grid; NVFP4: E2M1 at block scale 1), signed and ascending.
 * Throws for fp32 and for grids over 2^17 points.
 */
export function grid(format: FormatSpec | string): number[] {
  const s = toSpec(format);
  let pos: number[];
  let negExtra: number[] = [];
  switch (s.kind) {
    case 'fp32':
      throw new FormatError('format', 'fp32', 'a quantized format (fp32 has no finite grid to list)');
    case 'mx':
    case 'nvfp4': {
      const e = s.kind === 'mx' ? ELEMENTS[s.elem] : E2M1;
      pos = [];
      for (let c = 0; c <= e.maxCode; ) {
        const v = c * 2 ** e.unitExp;
        pos.push(v);
        // next representable: step of v's binade
        const stepExp = e.kind === 'fp' && v > 0 ? Math.max(floorLog2(v), e.emin) - e.m : e.unitExp;
        c += 2 ** (stepExp - e.unitExp);
      }
      break;
    }
    case 'mxint':
    case 'bfp':
    case 'fixed': {
      const bits = s.kind === 'fixed' ? s.w : s.m;
      if (bits > 17) throw new FormatError('w', String(bits), 'at most 17 bits to list the grid');
      const unit = s.kind === 'fixed' ? 2 ** -s.f : 2 ** -(s.m - 1);
      const maxPos = 2 ** (bits - 1) - 1;
      pos = [];
      for (let k = 0; k <= maxPos; k++) pos.push(k * unit);
      if (s.kind !== 'bfp') negExtra = [-(maxPos + 1) * unit];
      break;
    }
  }
  const neg = pos.slice(1).map((v) => -v).reverse();
  return [...negExtra, ...neg, ...pos];
}
