/**
 * Quantization at the quant points: quantize→dequantize (fake mode) or encode (integer mode) on
 * the injected WASM kernel when it covers the format, else on src/core/formats (bit-identical),
 * plus the per-point statistics the evaluation reports and the per-config weight cache.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { encode, forEachBlock, formatToString, quantizeWithCounts, type Encoded, type FormatSpec, type QuantCounts } from '../formats';
import type { F32Gemm, F32GemmB } from '../datapath';
import type { QuantKernels } from '../kernels';
import type { WeightSource } from './types';
import { EmulatorError } from './types';

/** Running sums of one point: Σx², Σ(x−q)² over finite pairs (float64), and the codec's counts. */
export interface PointAcc {
  sig: number;
  err: number;
  saturated: number;
  underflow: number;
  nanBlocks: number;
  elements: number;
}

export function emptyAcc(): PointAcc {
  return { sig: 0, err: 0, saturated: 0, underflow: 0, nanBlocks: 0, elements: 0 };
}

export function addAcc(into: PointAcc, a: PointAcc): void {
  into.sig += a.sig;
  into.err += a.err;
  into.saturated += a.saturated;
  into.underflow += a.underflow;
  into.nanBlocks += a.nanBlocks;
  into.elements += a.elements;
}

/** Statistics of one quantization: x against its dequantized q. `elements` overrides the count (P's masked zeros). */
export function measure(x: Float32Array, q: Float32Array, counts: QuantCounts, elements = x.length): PointAcc {
  let sig = 0;
  let err = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = q[i];
    // finite pairs only (errorStats' rule): a NaN block or an Inf input does not poison the sums
    if (a - a !== 0 || b - b !== 0) continue;
    const d = a - b;
    sig += a * a;
    err += d * d;
  }
  return { sig, err, saturated: counts.saturated, underflow: counts.underflow, nanBlocks: counts.nanBlocks, elements };
}

/** A weight point's statistics with sig / err measured against the model's weight w (a weight source quantized other values): counts stay the quantization's. */
function againstModel(w: Float32Array, q: Float32Array, acc: PointAcc): PointAcc {
  const m = measure(w, q, { saturated: 0, underflow: 0, nanBlocks: 0, flushedBlocks: 0 }, acc.elements);
  return { ...acc, sig: m.sig, err: m.err };
}

/** ACT integers → their float32 values (exact for |v| < 2^24). */
function actValues(xi: Int32Array, f: number): Float32Array {
  const u = 2 ** -f;
  const out = new Float32Array(xi.length);
  for (let i = 0; i < xi.length; i++) out[i] = xi[i] * u;
  return out;
}

/** The values an Encoded tensor decodes to: mantissa · 2^unitExp of its block (power-of-two formats and fixed). */
export function encodedValues(e: Encoded): Float32Array {
  const out = new Float32Array(e.layout.numel);
  const m = e.mantissas;
  if (e.spec.kind === 'fixed') {
    const u = 2 ** e.unitExp[0];
    for (let i = 0; i < out.length; i++) out[i] = m[i] * u;
    return out;
  }
  forEachBlock(e.layout, (b, idx, len) => {
    const u = 2 ** e.unitExp[b];
    for (let i = 0; i < len; i++) out[idx[i]] = m[idx[i]] * u;
  });
  return out;
}

/** True for the formats whose operands the integer block GEMM takes (power-of-two blocks, or fixed point). */
export function isIntegerFormat(s: FormatSpec): boolean {
  return s.kind === 'mx' || s.kind === 'mxint' || s.kind === 'bfp' || s.kind === 'fixed';
}

/** Elements per block along K (K for fixed point, which has one exponent for the whole tensor). */
function blockAlongK(s: FormatSpec, K: number): number {
  return s.kind === 'mx' || s.kind === 'mxint' || s.kind === 'bfp' ? Math.min(s.block, K) : K;
}

/**
 * Why an op with operand formats a, b and reduction length K cannot run on the integer datapath,
 * or null when it can (the conditions of src/core/datapath's blockGemm).
 */
export function integerBlocker(a: FormatSpec, b: FormatSpec, K: number): string | null {
  for (const s of [a, b]) {
    if (!isIntegerFormat(s)) return s.kind === 'nvfp4' ? 'nvfp4 (E4M3 block scales)' : `${s.kind} operand`;
  }
  if (a.kind !== 'fixed' && b.kind !== 'fixed' && blockAlongK(a, K) !== blockAlongK(b, K)) {
    return `blocks along K differ (${blockAlongK(a, K)} vs ${blockAlongK(b, K)})`;
  }
  return null;
}

/** Recycled encoding arrays kept per length (Quantizer.recycle). */
const POOL_PER_LENGTH = 16;

/** Quantize / encode on the kernel when it covers the format, else on core. Same bits either way. */
export class Quantizer {
  /** Arrays of encodings the forward pass no longer holds (recycle), by length, reused by encodeMeasured's `pooled` calls. */
  private readonly pool = new Map<number, { el: Uint32Array[]; m: Float64Array[] }>();

  constructor(private readonly kernels?: QuantKernels) {}

  /**
   * Give back an activation's encoding that nothing holds any more (its element codes and mantissas
   * are overwritten by a later pooled encode). Up to POOL_PER_LENGTH arrays per length are kept: a
   * run holds about a dozen activation encodings of one length until its end (every linear's x).
   */
  recycle(enc: Encoded): void {
    let p = this.pool.get(enc.elements.length);
    if (!p) this.pool.set(enc.elements.length, (p = { el: [], m: [] }));
    if (p.el.length < POOL_PER_LENGTH && !p.el.includes(enc.elements)) p.el.push(enc.elements);
    if (enc.mantissas.length === enc.elements.length && p.m.length < POOL_PER_LENGTH && !p.m.includes(enc.mantissas)) p.m.push(enc.mantissas);
  }

  /** Quantize→dequantize with counts. */
  quantize(spec: FormatSpec, x: Float32Array, shape: readonly number[], axis: number): { values: Float32Array; counts: QuantCounts } {
    if (this.kernels && this.kernels.supports(spec)) return this.kernels.quantize(spec, x, shape, axis);
    return quantizeWithCounts(spec, x, shape, axis);
  }

  /**
   * Quantize→dequantize with the statistics of x against the values (measure()): the kernel sums
   * them as the chunks stream (blocks along the last axis; same bits), else measure() here. `into`:
   * a recycled array the kernel fills instead of a fresh one (when it has x's length).
   */
  quantizeMeasured(spec: FormatSpec, x: Float32Array, shape: readonly number[], axis: number, elements?: number, into?: Float32Array): { values: Float32Array; acc: PointAcc } {
    const k = this.kernels;
    if (k && k.quantizeWithSums && k.supports(spec)) {
      const r = k.quantizeWithSums(spec, x, shape, axis, into);
      const c = r.counts;
      if (r.sums) return { values: r.values, acc: { sig: r.sums.sig, err: r.sums.err, saturated: c.saturated, underflow: c.underflow, nanBlocks: c.nanBlocks, elements: elements ?? x.length } };
      return { values: r.values, acc: measure(x, r.values, c, elements) };
    }
    const r = this.quantize(spec, x, shape, axis);
    return { values: r.values, acc: measure(x, r.values, r.counts, elements) };
  }

  encode(spec: FormatSpec, x: Float32Array, shape: readonly number[], axis: number): Encoded {
    if (this.kernels && this.kernels.supports(spec)) return this.kernels.encode(spec, x, shape, axis);
    return encode(spec, x, shape, axis);
  }

  /** Encode, plus the values the encoding decodes to (= quantize's; the kernel makes both in one pass). */
  encodeWithValues(spec: FormatSpec, x: Float32Array, shape: readonly number[], axis: number): { enc: Encoded; values: Float32Array } {
    const k = this.kernels;
    if (k && k.encodeWithValues && k.supports(spec)) return k.encodeWithValues(spec, x, shape, axis);
    const enc = this.encode(spec, x, shape, axis);
    return { enc, values: encodedValues(enc) };
  }

  /**
   * encodeMeasured of ACT integers (value = v · 2^−f): the kernel encodes them straight from the
   * integers; otherwise their float32 values are made here. Same bits either way.
   */
  encodeMeasuredAct(spec: FormatSpec, xi: Int32Array, f: number, shape: readonly number[], axis: number, elements?: number, pooled = false): { enc: Encoded; acc: PointAcc } {
    const k = this.kernels;
    // the kernel streams integers along the last axis; other layouts take the float32 values
    if (k && k.encodeAct && k.supports(spec) && (axis === shape.length - 1 || axis === -1)) {
      const p = pooled ? this.pool.get(xi.length) : undefined;
      const into = p ? { elements: p.el.pop(), mantissas: p.m.pop() } : undefined;
      const r = k.encodeAct(spec, xi, f, shape, axis, { sums: true, valuesIfNoSums: true, into });
      const c = r.enc.counts;
      if (r.sums) return { enc: r.enc, acc: { sig: r.sums.sig, err: r.sums.err, saturated: c.saturated, underflow: c.underflow, nanBlocks: c.nanBlocks, elements: elements ?? xi.length } };
      return { enc: r.enc, acc: measure(actValues(xi, f), r.values, c, elements) };
    }
    return this.encodeMeasured(spec, actValues(xi, f), shape, axis, elements, pooled);
  }

  /**
   * A tensor blocked along its rows (attention's V [T, hd] along T), given transposed as ACT
   * integers xt [cols, rows] and encoded along its last axis on the kernel's streaming path: the
   * same blocks, codes, exponents and counts as encoding the tensor along axis 0 (in transposed
   * order). Its statistics are the same only when the kernel's sums are exact (QuantSums.exact:
   * order-free); otherwise, or without a kernel that streams ACT integers, null — the caller then
   * encodes the untransposed tensor, whose sums run in its own index order.
   */
  encodeMeasuredActRows(spec: FormatSpec, xt: Int32Array, f: number, shape: readonly [number, number], elements?: number, pooled = false): { enc: Encoded; acc: PointAcc } | null {
    const k = this.kernels;
    if (!k || !k.encodeAct || !k.supports(spec)) return null;
    const p = pooled ? this.pool.get(xt.length) : undefined;
    const into = p ? { elements: p.el.pop(), mantissas: p.m.pop() } : undefined;
    const r = k.encodeAct(spec, xt, f, shape, 1, { sums: true, valuesIfNoSums: true, into });
    if (!r.sums || r.sums.exact !== true) {
      if (pooled) this.recycle(r.enc);
      return null;
    }
    const c = r.enc.counts;
    return { enc: r.enc, acc: { sig: r.sums.sig, err: r.sums.err, saturated: c.saturated, underflow: c.underflow, nanBlocks: c.nanBlocks, elements: elements ?? xt.length } };
  }

  /** Encode, with the statistics of x against the values it decodes to (measure(); the kernel sums them as it streams, same bits). */
  encodeMeasured(spec: FormatSpec, x: Float32Array, shape: readonly number[], axis: number, elements?: number, pooled = false): { enc: Encoded; acc: PointAcc } {
    const k = this.kernels;
    if (k && k.encodeWithValues && k.supports(spec)) {
      const p = pooled ? this.pool.get(x.length) : undefined;
      const into = p ? { elements: p.el.pop(), mantissas: p.m.pop() } : undefined;
      const r = k.encodeWithValues(spec, x, shape, axis, { sums: true, valuesIfNoSums: true, into });
      if (r.sums) {
        const c = r.enc.counts;
        return { enc: r.enc, acc: { sig: r.sums.sig, err: r.sums.err, saturated: c.saturated, underflow: c.underflow, nanBlocks: c.nanBlocks, elements: elements ?? x.length } };
      }
      return { enc: r.enc, acc: measure(x, r.values, r.enc.counts, elements) };
    }
    const { enc, values } = this.encodeWithValues(spec, x, shape, axis);
    return { enc, acc: measure(x, values, enc.counts, elements) };
  }
}

/**
 * One weight (or bias) under one format: its dequantized values, its encoding (integer mode) and/or
 * its B operand prepared for the float32 GEMM, with its statistics.
 */
export interface WeightEntry {
  readonly key: string;
  values?: Float32Array;
  enc?: Encoded;
  prepared?: F32GemmB;
  acc: PointAcc;
  bytes: number;
}

/**
 * Quantized weights, cached by (point id, canonical spec string): each weight is quantized (or
 * encoded) once per config, and the cache survives config changes so a search that revisits a
 * format pays nothing. Bounded by a byte budget; the oldest entries go first.
 */
export class WeightCache {
  private readonly map = new Map<string, WeightEntry>();
  private bytes = 0;

  constructor(
    private readonly q: Quantizer,
    private readonly budget: number,
    /** EmulatorOptions.weightSource: other values to quantize for a (point, format) than the model's own. */
    private readonly source?: WeightSource,
  ) {}

  static key(point: string, spec: FormatSpec): string {
    return `${point}|${formatToString(spec)}`;
  }

  /**
   * The entry with `want` filled in: 'values' (fake mode), 'enc' (integer mode) or 'prepared' (the
   * values as the B [N, K] of `gemm`, packed once). An fp32 spec keeps the weight's own values.
   */
  get(point: string, spec: FormatSpec, w: Float32Array, shape: readonly number[], axis: number, want: 'values' | 'enc' | 'prepared', gemm?: F32Gemm): WeightEntry {
    const key = WeightCache.key(point, spec);
    let e = this.map.get(key);
    if (e) {
      // refresh its age
      this.map.delete(key);
      this.map.set(key, e);
    } else {
      e = { key, acc: emptyAcc(), bytes: 0 };
      this.map.set(key, e);
    }
    if ((want === 'values' || want === 'prepared') && !e.values) {
      if (spec.kind === 'fp32') e.values = w;
      else {
        const src = this.sourceOf(point, spec, w);
        const r = this.q.quantizeMeasured(spec, src, shape, axis);
        e.values = r.values;
        // statistics against the model's own weight: the error the format and the rounding make together
        if (!e.enc) e.acc = src === w ? r.acc : againstModel(w, r.values, r.acc);
        this.grow(e, r.values.byteLength);
      }
    }
    if (want === 'prepared' && !e.prepared) {
      const [N, K] = shape;
      e.prepared = gemm!.prepareB(e.values!, K, N, 'NK');
      this.grow(e, e.values!.byteLength);
    } else if (want === 'enc' && !e.enc) {
      const { enc, values } = this.q.encodeWithValues(spec, this.sourceOf(point, spec, w), shape, axis);
      e.enc = enc;
      if (!e.values) e.acc = measure(w, values, enc.counts);
      this.grow(e, enc.mantissas.byteLength + enc.elements.byteLength + enc.unitExp.byteLength + enc.scales.byteLength);
    }
    this.evict(key);
    return e;
  }

  /** The values the format quantizes for a new entry: the model's weight, or the weight source's for this (point, format). */
  private sourceOf(point: string, spec: FormatSpec, w: Float32Array): Float32Array {
    const src = spec.kind !== 'fp32' && this.source ? (this.source(point, spec) ?? w) : w;
    if (src.length !== w.length) throw new EmulatorError(`weightSource gave ${src.length} values for ${point}, which has ${w.length}`);
    return src;
  }

  private grow(e: WeightEntry, bytes: number): void {
    e.bytes += bytes;
    this.bytes += bytes;
  }

  private evict(keep: string): void {
    for (const [k, e] of this.map) {
      if (this.bytes <= this.budget) break;
      if (k === keep) continue;
      this.map.delete(k);
      e.prepared?.dispose();
      this.bytes -= e.bytes;
    }
  }

  clear(): void {
    for (const e of this.map.values()) e.prepared?.dispose();
    this.map.clear();
    this.bytes = 0;
  }
}
