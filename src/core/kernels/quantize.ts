/**
 * The fast path of quantize→dequantize and encode for the block formats (MX, MXInt, BFP): the
 * WASM kernel workers/kernels/assembly/quantize.ts behind the same contract, and with the same
 * results bit for bit, as core's quantizeWithCounts / encode (src/core/formats/codec.ts, the
 * readable twin). quantize.test.ts checks the equality.
 *
 * Ring 1: runs in the page, in workers and in Node; the caller supplies the kernel bytes.
 */
import { ELEMENTS, decodeElemBits, type ElemFormat } from '../formats/element';
import { FormatError } from '../formats/errors';
import { forEachBlock, makeLayout, type BlockLayout } from '../formats/layout';
import { ROUNDING_ID } from '../formats/rounding';
import { SCALE_RULE_ID, isBlockSpec, toSpec, type BfpSpec, type BlockSpec, type FormatSpec, type MxIntSpec, type MxSpec } from '../formats/spec';
import { elementBits, scaleBitsOf, type Encoded, type QuantCounts, type QuantResult } from '../formats/codec';
import { KernelError, instantiateKernel, type KernelBytesSource, type KernelFlavor, type KernelModule } from './loader';

/** Block-quantize kernels with the contract of core's quantizeWithCounts / encode. */
export interface QuantKernels {
  readonly flavor: KernelFlavor;
  /** True for the formats the kernel covers: mx, mxint and bfp, any axis, 1-D blocks or 2-D tiles. */
  supports(spec: FormatSpec): boolean;
  /**
   * Quantize→dequantize, as core quantizeWithCounts (same values bit for bit, same counts, same
   * FormatErrors). Throws KernelError for formats the kernel does not cover (fixed, nvfp4, fp32)
   * and for inputs that are not a Float32Array: fall back to core explicitly.
   */
  quantize(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis?: number): QuantResult;
  /**
   * quantize, plus Σx² and Σ(x−q)² over finite pairs in index order (QuantSums: what the emulator's
   * measure() loop gives, bit for bit), summed in the kernel as the chunks stream, when the blocks
   * run along the last axis (else `sums` is undefined and the caller measures the values itself).
   * Fake mode's point statistics without a second pass over the data in TypeScript. `into`: a
   * recycled array for the values, used when its length is the element count (every element is
   * overwritten).
   */
  quantizeWithSums?(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis?: number, into?: Float32Array): QuantResult & { sums?: QuantSums };
  /** Encode, as core encode (same elements, scales, mantissas, unitExp, counts). Throws as quantize. */
  encode(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis?: number): Encoded;
  /**
   * Encode, and also return the dequantized values (what quantize returns; the kernel computes both
   * in one pass, so a caller that needs the values too — the emulator's statistics — saves a decode).
   */
  /**
   * encode, plus the values it decodes to; with `sums`, also Σx² and Σ(x−q)² over finite pairs in
   * index order when the blocks run along the last axis (else `sums` is undefined). With
   * `valuesIfNoSums` too, `values` is empty whenever `sums` is made (a caller that only measures).
   */
  encodeWithValues?(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis?: number, opts?: EncodeOptions): { enc: Encoded; values: Float32Array; sums?: QuantSums };
  /**
   * encodeWithValues of ACT integers x (value = v · 2^−f, |v| < 2^24): exactly the result for their
   * float32 values, without making them first (the kernel converts them as they stream in).
   */
  encodeAct?(format: FormatSpec | string, x: Int32Array, f: number, shape?: readonly number[], axis?: number, opts?: EncodeOptions): { enc: Encoded; values: Float32Array; sums?: QuantSums };
}

export interface QuantKernelOptions {
  /**
   * Elements per kernel call (default 65,536): inputs are streamed through linear memory in pieces
   * of about this size (whole blocks), so memory stays small and hot in cache for any tensor size.
   */
  chunkElems?: number;
}

export interface QuantExports {
  mx_quantize(x: number, out: number, elems: number, scales: number, counts: number, rows: number, n: number, block: number, elemId: number, round: number, scaleRule: number, scaleBits: number, flush: number): void;
  int_quantize(x: number, out: number, elems: number, scales: number, counts: number, rows: number, n: number, block: number, m: number, e: number, bias: number, scaleRule: number, round: number, kind: number): void;
  datapath_view(elems: number, elemBytes: number, scales: number, rows: number, n: number, block: number, nanCode: number, lut: number, dst: number, lutLen: number, maxc: number, orc: number, exps: number, unitOff: number): void;
  measure_sums(x: number, q: number, n: number, acc: number): void;
  measure_sums_act(x: number, q: number, n: number, f: number, acc: number): void;
  act_to_f32(p: number, n: number, f: number): void;
}

/**
 * Load the quantize kernel ('quantize.relaxed.wasm' or 'quantize.simd.wasm'; flavor detected when
 * omitted). Throws KernelError when it cannot be loaded.
 */
export async function loadQuantKernels(getBytes: KernelBytesSource, flavor?: KernelFlavor, options: QuantKernelOptions = {}): Promise<QuantKernels> {
  const mod = await instantiateKernel<QuantExports>(getBytes, 'quantize', flavor);
  for (const f of ['mx_quantize', 'int_quantize']) {
    if (typeof (mod.exports as unknown as Record<string, unknown>)[f] !== 'function') throw new KernelError(`quantize kernel does not export ${f}()`);
  }
  return new WasmQuantKernels(mod, options);
}

const DEFAULT_CHUNK = 1 << 16;

/** Same check and message as core's codec (checkData). */
function checkData(x: unknown): asserts x is ArrayLike<number> {
  if (!x || typeof (x as ArrayLike<number>).length !== 'number') throw new FormatError('data', String(x), 'a Float32Array (or array of numbers)');
}

/** Run one kernel call on `rows`×`n` floats at xPtr (blocks of `block` along each row). */
export type KernelCall = (xPtr: number, outPtr: number, elemPtr: number, scalePtr: number, rows: number, n: number, block: number) => void;

/**
 * The signed mantissa of every MX element bit pattern (the datapath integer, in units of 2^unitExp;
 * both zeros give +0, as core). The kernel stores x's sign in the sign bit, so for every non-zero
 * code this is core's |mantissa| with x's sign, and a table look-up replaces a data-dependent branch
 * per element (half of them mispredicted on real activations).
 */
const mxMagCache = new Map<number, Float64Array>();
function mxMantissas(e: ElemFormat): Float64Array {
  let t = mxMagCache.get(e.id);
  if (!t) {
    t = new Float64Array(1 << e.bits);
    for (let b = 0; b < t.length; b++) t[b] = decodeElemBits(b, e) * 2 ** -e.unitExp + 0; // + 0: −0 → +0
    mxMagCache.set(e.id, t);
  }
  return t;
}

class WasmQuantKernels implements QuantKernels {
  readonly flavor: KernelFlavor;
  private readonly ex: KernelModule<QuantExports>['exports'];
  private readonly chunk: number;

  constructor(mod: KernelModule<QuantExports>, options: QuantKernelOptions) {
    this.flavor = mod.flavor;
    this.ex = mod.exports;
    const c = options.chunkElems ?? DEFAULT_CHUNK;
    if (!Number.isInteger(c) || c < 1) throw new KernelError(`chunkElems must be a positive integer, got ${c}`);
    this.chunk = c;
  }

  supports(spec: FormatSpec): boolean {
    return !!spec && isBlockSpec(spec);
  }

  quantize(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis = -1): QuantResult {
    const r = this.run(format, x, shape, axis, false);
    return { values: r.values, counts: r.counts };
  }

  quantizeWithSums(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis = -1, into?: Float32Array): QuantResult & { sums?: QuantSums } {
    const r = this.run(format, x, shape, axis, false, true, false, into ? { values: into } : undefined);
    return { values: r.values, counts: r.counts, sums: r.sums };
  }

  encode(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis = -1): Encoded {
    return this.encodeWithValues(format, x, shape, axis).enc;
  }

  encodeWithValues(format: FormatSpec | string, x: Float32Array, shape?: readonly number[], axis = -1, opts: EncodeOptions = {}): { enc: Encoded; values: Float32Array; sums?: QuantSums } {
    const r = this.run(format, x, shape, axis, true, opts.sums === true, opts.valuesIfNoSums === true, opts.into);
    return this.finish(r);
  }

  encodeAct(format: FormatSpec | string, x: Int32Array, f: number, shape?: readonly number[], axis = -1, opts: EncodeOptions = {}): { enc: Encoded; values: Float32Array; sums?: QuantSums } {
    if (!(x instanceof Int32Array)) throw new KernelError('encodeAct needs an Int32Array of ACT integers');
    if (!Number.isInteger(f) || f < 0 || f > 30) throw new KernelError(`encodeAct: fraction bits ${f} outside 0..30`);
    const r = this.run(format, x, shape, axis, true, opts.sums === true, opts.valuesIfNoSums === true, opts.into, f);
    return this.finish(r);
  }

  private finish(r: ReturnType<WasmQuantKernels['run']>): { enc: Encoded; values: Float32Array; sums?: QuantSums } {
    const { spec, layout } = r;
    const { mantissas, unitExp } = datapathView(spec, layout, r.elements!, r.scales!, r.mantissas);
    const enc: Encoded = {
      spec,
      layout,
      elements: r.elements!,
      elemBits: elementBits(spec),
      scales: r.scales!,
      scaleBits: scaleBitsOf(spec),
      mantissas,
      unitExp,
      tensorScale: undefined,
      counts: r.counts,
    };
    return { enc, values: r.values, sums: r.sums };
  }

  private run(format: FormatSpec | string, xIn: Float32Array | Int32Array, shapeIn: readonly number[] | undefined, axis: number, wantEnc: boolean, wantSums = false, valuesIfNoSums = false, into?: EncodeOptions['into'], actF?: number) {
    // Validate exactly as core does (same order, same FormatErrors), then refuse what the kernel does not cover.
    checkData(xIn);
    const spec = toSpec(format);
    if (!isBlockSpec(spec)) throw new KernelError(`the quantize kernel covers mx, mxint and bfp formats, not ${spec.kind}: use core quantize/encode`);
    const shape = shapeIn ?? [xIn.length];
    const layout = makeLayout(shape, xIn.length, axis, spec.block, spec.tileRows);
    // ACT integers (encodeAct): streamed as integers and made float32 in the kernel on the direct
    // path (act_to_f32, exact); the other paths take their float32 values from here
    const actIn = actF !== undefined && xIn instanceof Int32Array && layout.axis === layout.shape.length - 1 && layout.tileRows === 1;
    let x: Float32Array;
    if (actF !== undefined && xIn instanceof Int32Array) {
      if (actIn) x = xIn as unknown as Float32Array; // only sliced and copied into the kernel below, as integers
      else {
        const u = 2 ** -actF;
        x = new Float32Array(xIn.length);
        for (let i = 0; i < xIn.length; i++) x[i] = xIn[i] * u;
      }
    } else if (!(xIn instanceof Float32Array)) throw new KernelError('the quantize kernel needs a Float32Array input: use core quantize/encode for other arrays');
    else x = xIn;

    const numel = layout.numel;
    // the sums made in the kernel replace the values for a caller that only measures them
    const keepValues = !(valuesIfNoSums && wantSums && layout.axis === layout.shape.length - 1 && layout.tileRows === 1);
    const values = keepValues && into?.values?.length === numel ? into.values : new Float32Array(keepValues ? numel : 0);
    // every element is written below, so a recycled array of the right length serves as a fresh one
    const elements = wantEnc ? (into?.elements?.length === numel ? into.elements : new Uint32Array(numel)) : null;
    const scales = wantEnc ? new Uint32Array(layout.numBlocks) : null;
    const elemBytes = spec.kind === 'mx' ? 1 : 2;
    const ex = this.ex;

    // Buffer plan: `cap` floats in and out per kernel call (whole blocks), reused across calls.
    const rank = layout.shape.length;
    const direct = layout.axis === rank - 1 && layout.tileRows === 1;
    const nA = layout.shape[layout.axis];
    const b = spec.block;
    // a matrix blocked along its rows (axis 0, e.g. attention's V along T): whole columns are
    // transposed into kernel rows, which is the direct path's arithmetic on the same blocks
    const columnar = !direct && rank === 2 && layout.axis === 0 && layout.tileRows === 1 && nA <= this.chunk;
    let cap: number;
    let L = 0; // gathered row length (one block per row) on the gather path
    if (direct) {
      cap = nA <= this.chunk ? Math.max(1, Math.floor(this.chunk / nA)) * nA : b * Math.max(1, Math.floor(this.chunk / b));
      cap = Math.min(cap, numel);
    } else if (columnar) {
      cap = Math.min(Math.max(1, Math.floor(this.chunk / nA)) * nA, numel);
    } else {
      L = Math.min(b, nA) * (layout.tileAxis >= 0 ? Math.min(layout.tileRows, layout.shape[layout.tileAxis]) : 1);
      cap = L * Math.min(layout.numBlocks, Math.max(1, Math.floor(this.chunk / L)));
    }
    // On the direct path the kernel also makes the datapath view (mantissas, from a look-up table of
    // at most 4096 entries) and the statistics' sums, in index order, as the chunks stream through.
    const lut = wantEnc && direct ? mantissaTable(spec) : null;
    const view = lut !== null && lut.mag.length <= 4096;
    const sums = wantSums && direct;
    ex.reset();
    const countsPtr = ex.alloc(16) >>> 0;
    const xPtr = ex.alloc(cap * 4) >>> 0;
    const oPtr = ex.alloc(cap * 4) >>> 0;
    const ePtr = wantEnc ? ex.alloc(cap * elemBytes) >>> 0 : 0;
    const sPtr = wantEnc ? ex.alloc(cap) >>> 0 : 0;
    const mPtr = view ? ex.alloc(cap * 8) >>> 0 : 0;
    const lPtr = view ? ex.alloc(lut!.mag.length * 8) >>> 0 : 0;
    const aPtr = sums ? ex.alloc(40) >>> 0 : 0;
    if (!countsPtr || !xPtr || !oPtr || (wantEnc && (!ePtr || !sPtr)) || (view && (!mPtr || !lPtr)) || (sums && !aPtr)) {
      ex.reset();
      throw new KernelError(`the quantize kernel could not grow its memory to ${(cap * (16 + elemBytes + 1)) >>> 20} MiB`);
    }
    const mantissas = view ? (into?.mantissas?.length === numel ? into.mantissas : new Float64Array(numel)) : undefined;
    const call = this.kernelCall(spec, countsPtr);
    const buf = ex.memory.buffer;
    const cnt = new Uint32Array(buf, countsPtr, 4);
    cnt.fill(0);
    const xv = new Float32Array(buf, xPtr, cap);
    const xi = actIn ? new Int32Array(buf, xPtr, cap) : null;
    // copy `len` inputs from `off` into the kernel's x buffer (ACT integers are converted there)
    const feed = (off: number, len: number) => {
      if (xi) {
        xi.set((xIn as Int32Array).subarray(off, off + len));
        ex.act_to_f32(xPtr, len, actF!);
      } else xv.set(x.subarray(off, off + len));
    };
    const ov = new Float32Array(buf, oPtr, cap);
    const ev = wantEnc ? (elemBytes === 1 ? new Uint8Array(buf, ePtr, cap) : new Uint16Array(buf, ePtr, cap)) : null;
    const sv = wantEnc ? new Uint8Array(buf, sPtr, cap) : null;
    const mv = view ? new Float64Array(buf, mPtr, cap) : null;
    if (view) new Float64Array(buf, lPtr, lut!.mag.length).set(lut!.mag);
    const acc = sums ? new Float64Array(buf, aPtr, 2) : null;
    if (sums) new Uint8Array(buf, aPtr, 40).fill(0);
    // ACT inputs: the same sums as exact integer sums while that is provably what the sequential loop gives (measure_sums_act)
    const measure = xi ? (len: number) => ex.measure_sums_act(xPtr, oPtr, len, actF!, aPtr) : (len: number) => ex.measure_sums(xPtr, oPtr, len, aPtr);

    if (direct) {
      const rows = numel / nA;
      const nbRow = Math.ceil(nA / b);
      if (nA <= cap) {
        const rowsPer = cap / nA;
        for (let r0 = 0; r0 < rows; r0 += rowsPer) {
          const rr = Math.min(rowsPer, rows - r0);
          const off = r0 * nA;
          const len = rr * nA;
          feed(off, len);
          call(xPtr, oPtr, ePtr, sPtr, rr, nA, b);
          if (keepValues) values.set(len === cap ? ov : ov.subarray(0, len), off);
          if (elements) elements.set(ev!.subarray(0, len), off);
          if (scales) scales.set(sv!.subarray(0, rr * nbRow), r0 * nbRow);
          if (mantissas) {
            ex.datapath_view(ePtr, elemBytes, sPtr, rr, nA, b, lut!.nanCode, lPtr, mPtr, lut!.mag.length, 0, 0, 0, 0);
            mantissas.set(len === cap ? mv! : mv!.subarray(0, len), off);
          }
          if (sums) measure(len);
        }
      } else {
        // rows longer than a chunk: whole blocks at a time
        for (let r = 0; r < rows; r++) {
          for (let a0 = 0; a0 < nA; a0 += cap) {
            const len = Math.min(cap, nA - a0);
            const off = r * nA + a0;
            feed(off, len);
            call(xPtr, oPtr, ePtr, sPtr, 1, len, b);
            if (keepValues) values.set(ov.subarray(0, len), off);
            if (elements) elements.set(ev!.subarray(0, len), off);
            if (scales) scales.set(sv!.subarray(0, Math.ceil(len / b)), r * nbRow + a0 / b);
            if (mantissas) {
              ex.datapath_view(ePtr, elemBytes, sPtr, 1, len, b, lut!.nanCode, lPtr, mPtr, lut!.mag.length, 0, 0, 0, 0);
              mantissas.set(mv!.subarray(0, len), off);
            }
            if (sums) measure(len);
          }
        }
      }
    } else if (columnar) {
      const R = nA;
      const C = layout.shape[1];
      const nb = Math.ceil(R / b);
      const colsPer = cap / R;
      for (let c0 = 0; c0 < C; c0 += colsPer) {
        const cc = Math.min(colsPer, C - c0);
        for (let r = 0; r < R; r++) {
          const o = r * C + c0;
          for (let j = 0; j < cc; j++) xv[j * R + r] = x[o + j];
        }
        call(xPtr, oPtr, ePtr, sPtr, cc, R, b);
        for (let r = 0; r < R; r++) {
          const o = r * C + c0;
          for (let j = 0; j < cc; j++) values[o + j] = ov[j * R + r];
          if (elements) for (let j = 0; j < cc; j++) elements[o + j] = ev![j * R + r];
        }
        // the kernel numbers blocks per transposed row (column j: j·nb + kb), the layout in C order over [nb, C]
        if (scales) for (let j = 0; j < cc; j++) for (let kb = 0; kb < nb; kb++) scales[kb * C + c0 + j] = sv![j * nb + kb];
      }
    } else {
      // Gather each block into a zero-padded row of length L (padding never changes amax or the
      // counts), quantize rows of one block each, scatter back.
      const rowsPer = cap / L;
      const idxs = new Int32Array(cap);
      const lens = new Int32Array(rowsPer);
      let nRows = 0;
      let b0 = 0;
      const flush = () => {
        call(xPtr, oPtr, ePtr, sPtr, nRows, L, L);
        for (let i = 0; i < nRows; i++) {
          const base = i * L;
          for (let j = 0; j < lens[i]; j++) values[idxs[base + j]] = ov[base + j];
          if (elements) for (let j = 0; j < lens[i]; j++) elements[idxs[base + j]] = ev![base + j];
        }
        if (scales) scales.set(sv!.subarray(0, nRows), b0);
        b0 += nRows;
        nRows = 0;
      };
      forEachBlock(layout, (_blk, idx, len) => {
        const base = nRows * L;
        for (let j = 0; j < len; j++) {
          idxs[base + j] = idx[j];
          xv[base + j] = x[idx[j]];
        }
        xv.fill(0, base + len, base + L);
        lens[nRows++] = len;
        if (nRows === rowsPer) flush();
      });
      if (nRows > 0) flush();
    }
    const counts: QuantCounts = { saturated: cnt[0], underflow: cnt[1], nanBlocks: cnt[2], flushedBlocks: cnt[3] };
    // ACT inputs: whether every chunk was summed exactly (then the sums are the exact totals, the same in any order)
    const s2: QuantSums | undefined = acc ? (xi ? { sig: acc[0], err: acc[1], exact: new Int32Array(buf, aPtr + 32, 1)[0] === 0 } : { sig: acc[0], err: acc[1] }) : undefined;
    return { spec, layout, values, elements, scales, counts, mantissas, sums: s2 };
  }

  private kernelCall(spec: BlockSpec, countsPtr: number): KernelCall {
    return blockQuantizeCall(this.ex, spec, countsPtr);
  }
}

/**
 * The kernel call that quantizes (and encodes) rows of a block format with the exports of a module
 * that has the quantize kernel (quantize.wasm, or gemm.wasm, which includes its encode path).
 */
export function blockQuantizeCall(ex: Pick<QuantExports, 'mx_quantize' | 'int_quantize'>, spec: BlockSpec, countsPtr: number): KernelCall {
  if (spec.kind === 'mx') {
    const id = ELEMENTS[spec.elem].id;
    const round = ROUNDING_ID[spec.round];
    const rule = SCALE_RULE_ID[spec.scale];
    const flush = spec.flush ? 1 : 0;
    return (x, o, e, s, rows, n, block) => ex.mx_quantize(x, o, e, s, countsPtr, rows, n, block, id, round, rule, spec.scaleBits, flush);
  }
  // BFP always uses the ceil rule (codec.ts intBlock); kind 0 = MXInt two's complement, 1 = BFP sign-magnitude
  const rule = spec.kind === 'mxint' ? SCALE_RULE_ID[spec.scale] : SCALE_RULE_ID.ceil;
  const round = ROUNDING_ID[spec.round];
  const kind = spec.kind === 'mxint' ? 0 : 1;
  return (x, o, e, s, rows, n, block) => ex.int_quantize(x, o, e, s, countsPtr, rows, n, block, spec.m, spec.e, spec.bias, rule, round, kind);
}

/** Options of encodeWithValues. */
export interface EncodeOptions {
  /** Also make Σx² and Σ(x−q)² (see QuantSums) where the blocks run along the last axis. */
  sums?: boolean;
  /** With sums: leave `values` empty whenever the sums are made. */
  valuesIfNoSums?: boolean;
  /**
   * Arrays to fill instead of allocating (a caller recycling the encodings it no longer holds):
   * used when their length is the tensor's element count; every element is overwritten.
   */
  into?: { elements?: Uint32Array; mantissas?: Float64Array; values?: Float32Array };
}

/** Σx² and Σ(x−q)² over finite pairs, in index order (the emulator's point statistics; measure() in src/core/emulate/quant.ts). */
export interface QuantSums {
  readonly sig: number;
  readonly err: number;
  /**
   * encodeAct only: true when both sums are exact (every partial sum of the index-order loop was
   * exactly representable), so summing the same pairs in any other order gives the same two numbers.
   */
  readonly exact?: boolean;
}

/**
 * The signed mantissa of every stored bit pattern as one table (MX: the element grid; MXInt: two's
 * complement; BFP: sign-magnitude), the scale code of a NaN block and the unit exponent's offset
 * from the scale code.
 */
export function mantissaTable(spec: BlockSpec): { nanCode: number; unitOff: number; mag: Float64Array } {
  if (spec.kind === 'mx') {
    const e = ELEMENTS[(spec as MxSpec).elem];
    return { nanCode: 2 ** spec.scaleBits - 1, unitOff: -(2 ** (spec.scaleBits - 1) - 1) + e.unitExp, mag: mxMantissas(e) };
  }
  const s = spec as MxIntSpec | BfpSpec;
  return { nanCode: 2 ** s.e - 1, unitOff: -s.bias - (s.m - 1), mag: intMagnitudes(s.kind, s.m) };
}

/**
 * The datapath view core's encode returns (mantissas, unitExp), derived from the stored bits and
 * scale codes (zero is +0 as in core).
 */
function datapathView(spec: BlockSpec, layout: BlockLayout, elements: Uint32Array, scales: Uint32Array, made?: Float64Array): { mantissas: Float64Array; unitExp: Float64Array } {
  const unitExp = new Float64Array(layout.numBlocks);
  const { nanCode, unitOff, mag } = mantissaTable(spec);
  for (let blk = 0; blk < layout.numBlocks; blk++) unitExp[blk] = scales[blk] === nanCode ? NaN : scales[blk] + unitOff;
  if (made) return { mantissas: made, unitExp }; // the kernel made them (datapath_view), with this table
  const mantissas = new Float64Array(layout.numel);
  const rank = layout.shape.length;
  if (layout.axis === rank - 1 && layout.tileRows === 1) {
    const nA = layout.shape[rank - 1];
    const B = layout.block;
    const nb = Math.ceil(nA / B);
    const rows = layout.numel / nA;
    for (let r = 0, blk = 0; r < rows; r++) {
      for (let kb = 0; kb < nb; kb++, blk++) {
        const j0 = r * nA + kb * B;
        const j1 = r * nA + Math.min(nA, (kb + 1) * B);
        if (scales[blk] === nanCode) {
          mantissas.fill(NaN, j0, j1);
          continue;
        }
        for (let j = j0; j < j1; j++) mantissas[j] = mag[elements[j]];
      }
    }
  } else if (rank === 2 && layout.axis === 0 && layout.tileRows === 1) {
    const C = layout.shape[1];
    const B = layout.block;
    for (let r = 0, j = 0; j < layout.numel; r++) {
      const b0 = Math.floor(r / B) * C;
      for (let c = 0; c < C; c++, j++) mantissas[j] = scales[b0 + c] === nanCode ? NaN : mag[elements[j]];
    }
  } else {
    forEachBlock(layout, (blk, idx, len) => {
      const nan = scales[blk] === nanCode;
      for (let i = 0; i < len; i++) {
        const j = idx[i];
        mantissas[j] = nan ? NaN : mag[elements[j]];
      }
    });
  }
  return { mantissas, unitExp };
}

/** The signed mantissa of every MXInt (two's complement) or BFP (sign-magnitude; its −0 → +0) element bit pattern of m bits. */
const intMagCache = new Map<string, Float64Array>();
function intMagnitudes(kind: 'mxint' | 'bfp', m: number): Float64Array {
  const key = `${kind}${m}`;
  let t = intMagCache.get(key);
  if (!t) {
    const half = 2 ** (m - 1);
    const full = 2 ** m;
    t = new Float64Array(full);
    for (let b = 0; b < full; b++) t[b] = (kind === 'mxint' ? (b >= half ? b - full : b) : b >= half ? half - b : b) + 0;
    intMagCache.set(key, t);
  }
  return t;
}
