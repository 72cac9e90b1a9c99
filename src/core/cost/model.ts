/**
 * The hardware cost model: energy per inference, area (µm², gate equivalents, FPGA LUT/FF/DSP/BRAM),
 * memory bits, cycles and throughput of a streaming dataflow design — one hardware module per GEMM
 * op of the graph IR (linears and the attention matmuls), each with P_k × P_n (× P_m) multiplier
 * lanes — for one design point: graph + per-quant-point formats + per-op parallelism.
 *
 * Formulas: /work/shared/reference/cost-model.md §5.3 (summarised in README.md, with every
 * deviation said); constants: constants.json (each with its source and verification status).
 * The model is closed-form per op, so the search can call it thousands of times a second:
 * `prepareCost(graph, opts)` does all the format-independent work once (shapes, counts, cycles,
 * buffer sizes), and the returned function prices a format assignment in one tight loop.
 *
 * Ring 1: plain TypeScript, no DOM, no Node built-ins.
 */
import { ELEMENTS, FP32, bitsPerElement, elementBits, scaleBitsOf, type FormatSpec } from '../formats';
import type { Dim, Graph, Op, OpKind, OpType } from '../graph';
import { DEFAULT_CONSTANTS, nodeScale, type CostConstants } from './constants';

/** Bad options (tokens, lanes, node, memory): `param` names the option. */
export class CostError extends Error {
  override readonly name = 'CostError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`cost ${param}: ${message}`);
  }
}

/** Multiplier lanes of one op's hardware module: along K (per output), output columns N, and rows M (tokens). */
export interface Lanes {
  readonly lanesK: number;
  readonly lanesN: number;
  /** Rows (tokens) in parallel; default 1. Each row re-reads the weights from their buffer. */
  readonly lanesM?: number;
}

export interface CostOptions {
  /** Sequence length of one inference (tokens through every op). Default: the model's maxPositions. */
  readonly tokens?: number;
  /** Lanes per op id (`L0.q`, `L2.qk`, `head`); ops not listed use `defaultLanes`. */
  readonly parallelism?: ReadonlyMap<string, Lanes> | Readonly<Record<string, Lanes>>;
  /** Lanes of ops not in `parallelism`, capped at each op's K, N, M. Default: P_k = min(32, K), P_n = 1 (constants `design`). */
  readonly defaultLanes?: Lanes;
  /** Technology node in nm (7–45; Stillmaker–Baas scaling of energy and area). Default 45. */
  readonly nodeNm?: number;
  readonly memory?: {
    /** Weights resident in on-chip SRAM/BRAM (the MASE dataflow; default) or streamed from DRAM once per inference. */
    readonly weightsOnChip?: boolean;
    /** Bank size in bytes for the SRAM energy per bit (default: each op's weights in one bank of their own size; 32 KiB tile buffers when off chip). */
    readonly sramBytes?: number;
  };
  /** Clock of the ASIC figures (default 1 GHz) and of the FPGA throughput (default 500 MHz). */
  readonly clockHz?: number;
  readonly fpgaClockHz?: number;
  /** Map multipliers to DSP48s by Yosys's rule (default false: soft multipliers, the -nodsp calibration flow). */
  readonly fpga?: { readonly dsp?: boolean };
  /** A validated constant table (loadConstants); default the shipped one. */
  readonly constants?: CostConstants;
}

export interface EnergyBreakdown {
  /** Multipliers, element exponent handling and block-local accumulation (plus bias adds). */
  readonly mac: number;
  /** Per block pair: shared-scale add, alignment shift, cross-block accumulation (NVFP4: E4M3 scale multiply, FP32 add, tensor scale). */
  readonly block: number;
  /** Online quantisation of activation points (max-reduction, shift, round). */
  readonly quant: number;
  /** On-chip buffer reads and writes (weights, activations, metadata). */
  readonly onChip: number;
  /** Off-chip (DRAM) traffic. */
  readonly offChip: number;
  readonly total: number;
}

export interface FpgaResources {
  readonly luts: number;
  readonly ffs: number;
  readonly dsps: number;
  readonly brams: number;
}

export interface MemoryBits {
  /** Element bits of the weight points. */
  readonly weights: number;
  /** Element bits of the activation points (per inference). */
  readonly activations: number;
  /** Shared scales (per block) and per-tensor scales of all points. */
  readonly metadata: number;
  readonly total: number;
}

/** The figures reported per op and in total. */
export interface CostFigures {
  /** pJ per inference. */
  readonly energyPj: EnergyBreakdown;
  /** Logic + on-chip memory at the node, µm². */
  readonly areaUm2: number;
  readonly logicAreaUm2: number;
  readonly sramAreaUm2: number;
  /** Logic area in NAND2 equivalents (node-independent). */
  readonly gateEquivalents: number;
  readonly fpga: FpgaResources;
  readonly memoryBits: MemoryBits;
  /** Per op: its cycles per inference. In total: the pipeline's initiation interval (the slowest op). */
  readonly cycles: number;
  readonly macs: number;
  /** Stored bits per element including shared metadata, averaged over the points' elements. */
  readonly avgBits: number;
  /** Elements at the points (weights + activations per inference): avgBits = memoryBits.total / elements. */
  readonly elements: number;
}

export interface LayerCost extends CostFigures {
  /** Op id (`L0.q`, `L1.qk`, `head`). */
  readonly op: string;
  readonly kind: OpKind;
  readonly type: OpType;
  readonly layer: number | null;
  readonly lanes: { readonly k: number; readonly n: number; readonly m: number };
  /** GEMM shape per instance and the instance count (heads for the attention matmuls). */
  readonly gemm: { readonly M: number; readonly K: number; readonly N: number; readonly instances: number };
}

export interface CostReport extends CostFigures {
  readonly tokens: number;
  readonly nodeNm: number;
  readonly clockHz: number;
  readonly fpgaClockHz: number;
  /** tokens · clock / initiation interval. */
  readonly throughputTokensPerS: number;
  readonly fpgaThroughputTokensPerS: number;
  /** Σ of the ops' cycles: one inference's latency when nothing overlaps (pipeline fill). */
  readonly latencyCycles: number;
  /** The op that sets the initiation interval. */
  readonly bottleneck: string;
  readonly constants: { readonly name: string; readonly version: number; readonly hash: string };
  readonly layers: LayerCost[];
}

/** The light variant: totals only, no per-op objects. */
export interface CostTotals {
  energyPj: number;
  macPj: number;
  blockPj: number;
  quantPj: number;
  onChipPj: number;
  offChipPj: number;
  areaUm2: number;
  gateEquivalents: number;
  luts: number;
  ffs: number;
  dsps: number;
  brams: number;
  memoryBits: number;
  avgBits: number;
  cycles: number;
}

/** Formats of the quant points: from resolveConfig (by point id) or an array in graph.points order. Missing points are fp32. */
export type PointFormats = ReadonlyMap<string, FormatSpec> | readonly FormatSpec[];

/** A prepared model: call it with formats for the full report; `.totals` for the light variant. */
export interface PreparedCost {
  (formats: PointFormats): CostReport;
  totals(formats: PointFormats): CostTotals;
  readonly tokens: number;
  readonly ops: readonly PreparedOp[];
}

// ---------------------------------------------------------------------------------------------
// Per-format parameters (derived once per spec object, from src/core/formats)

const SCALE_NONE = 0;
const SCALE_POW2 = 1;
const SCALE_E4M3 = 2;
const Q_NONE = 0;
const Q_POW2 = 1;
const Q_FIXED = 2;
const Q_NVFP4 = 3;

/** What the cost model needs to know about a format. Exported for tests. */
export interface FormatParams {
  readonly fp32: boolean;
  /**
   * Multiplier operand width. Integer-style elements (MX int, MXInt, BFP, fixed): the stored width,
   * sign included (cost-model.md §5.3: "BFP/MSFP: p = m"). Float elements (MX fp, NVFP4's E2M1):
   * the significand width with the hidden bit, m + 1 (§5.1), the sign being an XOR.
   */
  readonly p: number;
  /** Exponent span emax − emin of a float element (how far its products shift); 0 for integers. */
  readonly span: number;
  /** Element exponent-field width (decode cost); 0 for integers. */
  readonly ebits: number;
  /** Stored bits per element (formats.elementBits). */
  readonly storeBits: number;
  /** Shared-scale bits per element: scaleBitsOf / elements per block (tile). */
  readonly metaPerElem: number;
  /** Per-tensor bits (NVFP4's fp32 tensor scale): bitsPerElement(s, 1) − bitsPerElement(s). */
  readonly perTensorBits: number;
  /** bitsPerElement(s) without per-tensor bits. */
  readonly bpe: number;
  /** Elements per block along the reduction axis (0: unblocked — fixed, fp32). */
  readonly blockK: number;
  /** Elements sharing one scale (block × tile rows). */
  readonly blockElems: number;
  readonly scaleKind: number;
  /** Exponent bits of the block scale (E8M0 / MXInt e / E4M3's 4). */
  readonly scaleExpBits: number;
  /** Significand bits of the block scale (E4M3: 4 with the hidden bit; power-of-two scales: 0). */
  readonly scaleSigBits: number;
  readonly quantKind: number;
  readonly nvfp4: boolean;
}

const paramCache = new WeakMap<FormatSpec, FormatParams>();

/** The cost-relevant parameters of a format (cached per spec object). */
export function formatParams(spec: FormatSpec): FormatParams {
  let p = paramCache.get(spec);
  if (p) return p;
  p = deriveParams(spec);
  paramCache.set(spec, p);
  return p;
}

function deriveParams(s: FormatSpec): FormatParams {
  // the formats module is the one home of bits: ask it (it also validates the spec)
  const storeBits = elementBits(s);
  const scaleBits = scaleBitsOf(s);
  const bpe = bitsPerElement(s);
  const perTensorBits = bitsPerElement(s, 1) - bpe;
  const base = { storeBits, bpe, perTensorBits, fp32: false, nvfp4: false };
  switch (s.kind) {
    case 'fp32':
      return { ...base, fp32: true, p: 24, span: 0, ebits: 0, metaPerElem: 0, blockK: 0, blockElems: 0, scaleKind: SCALE_NONE, scaleExpBits: 0, scaleSigBits: 0, quantKind: Q_NONE };
    case 'fixed':
      return { ...base, p: s.w, span: 0, ebits: 0, metaPerElem: 0, blockK: 0, blockElems: 0, scaleKind: SCALE_NONE, scaleExpBits: 0, scaleSigBits: 0, quantKind: Q_FIXED };
    case 'mxint':
    case 'bfp': {
      const be = s.block * s.tileRows;
      return { ...base, p: s.m, span: 0, ebits: 0, metaPerElem: scaleBits / be, blockK: s.block, blockElems: be, scaleKind: SCALE_POW2, scaleExpBits: scaleBits, scaleSigBits: 0, quantKind: Q_POW2 };
    }
    case 'mx': {
      const e = ELEMENTS[s.elem];
      const be = s.block * s.tileRows;
      const fpEl = e.kind === 'fp';
      return {
        ...base,
        p: fpEl ? e.m + 1 : e.bits,
        span: fpEl ? e.emax - e.emin : 0,
        ebits: e.ebits,
        metaPerElem: scaleBits / be,
        blockK: s.block,
        blockElems: be,
        scaleKind: SCALE_POW2,
        scaleExpBits: scaleBits,
        scaleSigBits: 0,
        quantKind: Q_POW2,
      };
    }
    case 'nvfp4': {
      const e = ELEMENTS.fp4_e2m1;
      // E4M3 block scale: 4 exponent bits, 3 mantissa bits + the hidden bit
      return { ...base, nvfp4: true, p: e.m + 1, span: e.emax - e.emin, ebits: e.ebits, metaPerElem: scaleBits / s.block, blockK: s.block, blockElems: s.block, scaleKind: SCALE_E4M3, scaleExpBits: 4, scaleSigBits: 4, quantKind: Q_NVFP4 };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Preparation: everything that does not depend on the formats

/** One priced op, with its format-independent counts. Exported for tests and the UI. */
export interface PreparedOp {
  readonly op: Op;
  /** Indices into graph.points of the A operand (x / a), the B operand (w / b) and the bias (−1: none). */
  readonly aIdx: number;
  readonly bIdx: number;
  readonly biasIdx: number;
  readonly aId: string;
  readonly bId: string;
  readonly biasId: string;
  readonly bIsWeight: boolean;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly inst: number;
  readonly macs: number;
  readonly lanesK: number;
  readonly lanesN: number;
  readonly lanesM: number;
  readonly cycles: number;
  /** Elements stored / quantised at each point per inference. */
  readonly aNumel: number;
  readonly bNumel: number;
  readonly biasNumel: number;
  /** Buffer reads per inference (elements): A is reused across the P_n columns; B and the bias across the P_m rows. */
  readonly aReads: number;
  readonly bReads: number;
  readonly biasReads: number;
  /** Output elements (inst·M·N). */
  readonly outputs: number;
  /** The report's `lanes` and `gemm` objects (shared, frozen). */
  readonly lanes: LayerCost['lanes'];
  readonly gemm: LayerCost['gemm'];
  /**
   * Element lanes of the activation quantisers: enough to produce the operand's elements within the
   * op's cycles, ⌈numel / cycles⌉ (an A row is quantised once and replayed ⌈N/P_n⌉ times, so the
   * quantiser runs slower than the multipliers).
   */
  readonly aQuantLanes: number;
  readonly bQuantLanes: number;
}

const clog2 = (x: number): number => (x <= 1 ? 0 : 32 - Math.clz32(Math.ceil(x) - 1));

function dimOf(d: Dim, t: number): number {
  return d === 'T' ? t : d;
}

function numelOf(shape: readonly Dim[], t: number): number {
  let n = 1;
  for (const d of shape) n *= dimOf(d, t);
  return n;
}

function checkLanes(l: Lanes, what: string): { k: number; n: number; m: number } {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1 << 20;
  const m = l.lanesM ?? 1;
  if (!ok(l.lanesK) || !ok(l.lanesN) || !ok(m)) throw new CostError('parallelism', `${what}: lanes must be integers in 1..${1 << 20} (got ${JSON.stringify(l)})`);
  return { k: l.lanesK, n: l.lanesN, m };
}

function lanesFor(opts: CostOptions, opId: string): Lanes | undefined {
  const p = opts.parallelism;
  if (!p) return undefined;
  if (p instanceof Map) return p.get(opId);
  return Object.prototype.hasOwnProperty.call(p, opId) ? (p as Record<string, Lanes>)[opId] : undefined;
}

function prepareOps(graph: Graph, opts: CostOptions, k: CostConstants, tokens: number): PreparedOp[] {
  const pointIdx = new Map<string, number>();
  graph.points.forEach((p, i) => pointIdx.set(p.id, i));
  const ops: PreparedOp[] = [];
  const known = new Set<string>();
  for (const op of graph.ops) {
    if (op.points.length === 0) continue;
    if (op.type !== 'linear' && op.type !== 'matmul') throw new CostError('graph', `op ${op.id} (${op.type}) has quant points but is not a GEMM`);
    known.add(op.id);
    let aIdx = -1;
    let bIdx = -1;
    let biasIdx = -1;
    for (const id of op.points) {
      const i = pointIdx.get(id);
      if (i === undefined) throw new CostError('graph', `op ${op.id} names an unknown point ${id}`);
      const role = graph.points[i].role;
      if (role === 'x' || role === 'a') aIdx = i;
      else if (role === 'w' || role === 'b') bIdx = i;
      else biasIdx = i;
    }
    if (aIdx < 0 || bIdx < 0) throw new CostError('graph', `op ${op.id} lacks an A or B operand point`);
    const a = graph.points[aIdx];
    const b = graph.points[bIdx];
    // A is [M, K] and B is [K, N] (or an nn.Linear weight [N, K]); both are blocked along K
    const K = dimOf(a.shape[a.axis], tokens);
    const M = dimOf(a.shape[1 - a.axis], tokens);
    const Kb = dimOf(b.shape[b.axis], tokens);
    const N = dimOf(b.shape[1 - b.axis], tokens);
    if (a.shape.length !== 2 || b.shape.length !== 2 || K !== Kb) throw new CostError('graph', `op ${op.id}: operand shapes do not form a GEMM`);
    const macs = op.macs(tokens);
    const inst = macs / (M * K * N);
    if (!Number.isInteger(inst) || inst < 1) throw new CostError('graph', `op ${op.id}: ${macs} MACs is not a multiple of M·K·N = ${M * K * N}`);
    const given = lanesFor(opts, op.id);
    let lk: number, ln: number, lm: number;
    if (given) ({ k: lk, n: ln, m: lm } = checkLanes(given, op.id));
    else if (opts.defaultLanes) {
      // a default never instantiates idle lanes: capped at the op's K, N and M
      const d = checkLanes(opts.defaultLanes, 'defaultLanes');
      lk = Math.min(d.k, K);
      ln = Math.min(d.n, N);
      lm = Math.min(d.m, M);
    } else {
      lk = Math.min(k.defaultLanesK, K);
      ln = Math.min(k.defaultLanesN, N);
      lm = 1;
    }
    const tensorNumel = (pi: number) => {
      const p = graph.points[pi];
      if (p.isWeight) return numelOf(p.shape, tokens);
      const t = graph.tensors.get(p.tensor);
      return t ? numelOf(t.shape, tokens) : numelOf(p.shape, tokens) * inst;
    };
    const Mt = Math.ceil(M / lm);
    const cycles = inst * Mt * Math.ceil(K / lk) * Math.ceil(N / ln);
    const aNumel = tensorNumel(aIdx);
    const bNumel = tensorNumel(bIdx);
    ops.push({
      op,
      aIdx,
      bIdx,
      biasIdx,
      aId: a.id,
      bId: b.id,
      biasId: biasIdx >= 0 ? graph.points[biasIdx].id : '',
      bIsWeight: b.isWeight,
      M,
      K,
      N,
      inst,
      macs,
      lanesK: lk,
      lanesN: ln,
      lanesM: lm,
      // cost-model.md §5.3: cycles = ⌈M·K·N / (P_m·P_k·P_n)⌉; here per tile, so a partial tile costs a full beat
      // (equal when the lanes divide the dimensions, as the defaults do)
      cycles,
      aNumel,
      bNumel,
      biasNumel: biasIdx >= 0 ? tensorNumel(biasIdx) : 0,
      aReads: inst * M * K * Math.ceil(N / ln),
      bReads: inst * Mt * K * N,
      biasReads: biasIdx >= 0 ? inst * Mt * N : 0,
      outputs: inst * M * N,
      lanes: Object.freeze({ k: lk, n: ln, m: lm }),
      gemm: Object.freeze({ M, K, N, instances: inst }),
      aQuantLanes: Math.max(1, Math.ceil(aNumel / cycles)),
      bQuantLanes: b.isWeight ? 0 : Math.max(1, Math.ceil(bNumel / cycles)),
    });
  }
  const p = opts.parallelism;
  if (p) {
    const ids = p instanceof Map ? [...p.keys()] : Object.keys(p);
    const bad = ids.find((id) => !known.has(id));
    if (bad !== undefined) throw new CostError('parallelism', `no GEMM op ${JSON.stringify(bad)} in this graph (ops: ${[...known].slice(0, 6).join(', ')}, …)`);
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// The per-op evaluation

// per-op scratch fields
const F_MAC = 0;
const F_BLK = 1;
const F_Q = 2;
const F_ON = 3;
const F_OFF = 4;
const F_ALOGIC = 5;
const F_ASRAM = 6;
const F_GE = 7;
const F_LUT = 8;
const F_FF = 9;
const F_DSP = 10;
const F_BRAM = 11;
const F_MBW = 12;
const F_MBA = 13;
const F_MBMETA = 14;
const F_NUMEL = 15;
const NF = 16;

interface Env {
  readonly k: CostConstants;
  readonly eScale: number;
  readonly aScale: number;
  readonly weightsOnChip: boolean;
  readonly sramBytes: number | undefined;
  readonly dsp: boolean;
  // derived FPGA figures of the FP32 MAC (composed from primitives)
  readonly lutFp32Mul: number;
  readonly lutFp32Add: number;
  readonly dspFp32Mul: number;
}

/** Soft multiplier LUTs: the fit p·q·(a + b·min(p, q)) to the Yosys table (cost-model.md §4.3). */
function lutMul(k: CostConstants, p: number, q: number): number {
  return p * q * (k.lutMulA + k.lutMulB * Math.min(p, q));
}

/** DSP48s of a p×q multiply under Yosys's mul2dsp rule (0: it stays in LUTs). */
function dspCount(k: CostConstants, p: number, q: number): number {
  if (p < k.dspMinWidth || q < k.dspMinWidth || p + q < k.dspMinProduct) return 0;
  const a = Math.max(p, q);
  const b = Math.min(p, q);
  return Math.ceil(a / k.dspAMax) * Math.ceil(b / k.dspBMax);
}

/** Barrel shifter over S positions with w output bits: ⌈log2 S⌉ mux rows, two rows per LUT6 level. */
function lutShift(k: CostConstants, w: number, S: number): number {
  return w * Math.ceil(clog2(S) / k.shiftStagesPerLut);
}

/**
 * The FPGA structure the calibration fits (tools/calibrate/fit.ts), per piece of the component
 * library (src/core/rtl/components): features whose fitted coefficients live in constants.json.
 * Exported so the fit and the model evaluate the same polynomials.
 */
export const fpgaFeatures = {
  /**
   * One multiplier lane of mx_dot, `lanes` lanes per block dot product. mx_dot (since 2026-11-21)
   * decodes both codes into their own significand widths sA, sB (float: p + 1 bits with the sign;
   * integers: the code), multiplies at sA × sB bits, shifts the product left by the element exponent
   * offsets (float: by up to spanA + spanB, into t = sA + sB + spanA + spanB bits) and only then
   * extends to the psum width w for the adder tree. Features: sA·sB (the multiplier as built), the
   * product's alignment shifter t·⌈log2(spanA + spanB + 1)⌉ (floats only), the adder-tree bits w.
   * (Before, mx_dot multiplied sign-extended w × w operands: w² was the feature.)
   */
  pe(fa: FormatParams, fb: FormatParams, lanes: number): { sq: number; shift: number; add: number } {
    const fpA = fa.span > 0 || fa.ebits > 0 ? 1 : 0;
    const fpB = fb.span > 0 || fb.ebits > 0 ? 1 : 0;
    const sA = fa.p + fpA;
    const sB = fb.p + fpB;
    const es = fa.span + fb.span;
    // mx_dot PSUM_W: significands + exponent spans + ⌈log2 lanes⌉ + 1
    const w = sA + sB + es + clog2(lanes) + 1;
    return { sq: sA * sB, shift: fpA + fpB > 0 ? (sA + sB + es) * clog2(es + 1) : 0, add: w };
  },
  /** mx_out: leading-one search, normalising shift and the two roundings over the accumulator. */
  out(wAcc: number): number {
    return wAcc * clog2(wAcc);
  },
  /** One block pair's alignment shift into the accumulator and its add (mx_linear acc_step), per column. */
  align(wAcc: number): number {
    return wAcc * Math.ceil(clog2(wAcc + 1) / 2) + wAcc;
  },
};

/** LUTs of one multiplier lane (soft multiplier unless it is a DSP48). */
export function peLut(k: CostConstants, fa: FormatParams, fb: FormatParams, lanesPerDot: number, dsp: boolean): number {
  const t = fpgaFeatures.pe(fa, fb, lanesPerDot);
  // with DSP48s (not the calibrated -nodsp flow) the multiply leaves the LUTs: what stays is the
  // element shifter (fitted) and the lane's adder-tree bits at the primitive 1 LUT per bit
  return dsp ? k.peShift * t.shift + k.lutAdd * t.add : k.peSq * t.sq + k.peShift * t.shift + k.peAdd * t.add;
}

/** LUTs of one output stage (mx_out) at accumulator width wAcc. */
export function lutOut(k: CostConstants, wAcc: number): number {
  return k.outBase + k.outPerBitLevel * fpgaFeatures.out(wAcc);
}

/** LUTs of one block-floating activation quantiser (mx_cast: the whole block at once). */
export function lutCast(k: CostConstants, f: FormatParams): number {
  return f.blockElems * (k.castPerElem + k.castPerElemBit * f.storeBits);
}

/** Memory energy per bit of a buffer of `bytes` (at the node): 0.0017·√C pJ, never below a register's. */
function eBit(env: Env, bytes: number): number {
  const k = env.k;
  return Math.max(k.regFloor, k.sramCoef * Math.sqrt(bytes)) * env.eScale;
}

function bramCount(k: CostConstants, bits: number, widthBits: number): number {
  if (bits <= 0) return 0;
  return Math.max(Math.ceil(bits / k.bramBits), Math.ceil(widthBits / k.bramWidth));
}

/** Activation quantiser of one point (one module-level unit with `lanes` element lanes). Adds into out. */
function quantiser(env: Env, f: FormatParams, numel: number, lanes: number, out: Float64Array, o: number): void {
  const k = env.k;
  const qe = k.qInExpBits;
  const qs = k.qInSigBits;
  const b = f.storeBits;
  let eElem = 0;
  let eBlock = 0;
  let aLane = 0;
  let aUnit = 0;
  let lutLane = 0;
  let lutUnit = 0;
  let bufBits = 0;
  switch (f.quantKind) {
    case Q_NONE:
      return;
    case Q_POW2: {
      // per element: one comparator of the max-reduction tree (float32 exponent fields), a shift of the
      // significand onto the shared exponent (b+1 output bits over qs+1 positions) and the rounding add;
      // per block: the shared exponent X = max − emax_elem (an exponent-width add). cost-model.md §5.3.
      const st = clog2(qs + 1);
      eElem = k.cCmp * qe + k.cShift * (b + 1) * st + k.cAdd * b;
      eBlock = k.cAdd * qe;
      aLane = k.aCmp * qe + k.aShift * (b + 1) * st + k.aAdd * b;
      aUnit = k.aAdd * qe;
      // FPGA: the calibrated mx_cast, which quantises a whole block at once (not per lane)
      lutUnit = lutCast(k, f);
      // a block is held (as float32) until its maximum is known (MASE mxint_cast's FIFO)
      bufBits = Math.max(f.blockElems, lanes) * (qe + qs);
      break;
    }
    case Q_FIXED:
      // a constant shift is wiring; round (add) and saturate (compare) per element, no blocks
      eElem = k.cAdd * b + k.cCmp * b;
      aLane = k.aAdd * b + k.aCmp * b;
      lutLane = k.lutAdd * b + k.lutCmp * b;
      break;
    case Q_NVFP4: {
      // per element: |x| max-reduction on the 31-bit magnitude, x·(1/scale) in FP32, round to E2M1;
      // per block: the E4M3 scale amax/6 · 1/tensor_scale (two FP32 multiplies) and its rounding (4-bit add)
      const mag = qe + qs - 1;
      eElem = k.cCmp * mag + k.eFp32Mul + k.cAdd * 4;
      eBlock = 2 * k.eFp32Mul + k.cAdd * 4;
      aLane = k.aCmp * mag + k.aFp32Mul + k.aAdd * 4;
      aUnit = 2 * k.aFp32Mul + k.aAdd * 4;
      lutLane = k.lutCmp * mag + env.lutFp32Mul + k.lutAdd * 4;
      lutUnit = 2 * env.lutFp32Mul + k.lutAdd * 4;
      bufBits = Math.max(f.blockElems, lanes) * (qe + qs);
      break;
    }
  }
  const blocks = f.blockElems > 0 ? numel / f.blockElems : 0;
  out[o + F_Q] += (numel * eElem + blocks * eBlock) * env.eScale;
  const logic = lanes * aLane + aUnit + k.aReg * (bufBits + lanes * b);
  out[o + F_ALOGIC] += logic;
  out[o + F_LUT] += lanes * lutLane + lutUnit;
  // FPGA registers: mx_cast's gather register (a block of ACT values), its output register (codes + scale)
  out[o + F_FF] += f.quantKind === Q_POW2 ? f.blockElems * (k.actBits + b) + f.scaleExpBits : bufBits + lanes * b;
}

/** Memory bits of one point. */
function pointBits(f: FormatParams, numel: number, isWeight: boolean, out: Float64Array, o: number): void {
  out[o + (isWeight ? F_MBW : F_MBA)] += numel * f.storeBits;
  out[o + F_MBMETA] += numel * f.metaPerElem + f.perTensorBits;
  out[o + F_NUMEL] += numel;
}

/**
 * Price one op under formats (fa: A operand, fb: B operand, fbias or null) into out[o … o+NF).
 * Logic area is accumulated at 45 nm and scaled at the end (GE are taken before scaling).
 */
function evalOp(env: Env, po: PreparedOp, fa: FormatParams, fb: FormatParams, fbias: FormatParams | null, out: Float64Array, o: number): void {
  const k = env.k;
  for (let i = 0; i < NF; i++) out[o + i] = 0;
  const { K, lanesK: Pk, lanesN: Pn, lanesM: Pm } = po;
  const lanes = Pk * Pn * Pm;
  const cols = Pn * Pm;
  const { macs, outputs } = po;

  // ---- MAC, block and accumulator (cost-model.md §5.3)
  let eMac: number, eBlk = 0, nBlocks = 0, eOut = 0, wAcc: number;
  let fpAcc = false; // the cross-block accumulator is FP32 (fp32 MACs, E4M3 scales)
  let aPE: number, lutPE: number, ffPE: number, dspPE: number;
  let aUnit = 0, lutUnit = 0, ffUnit = 0, nUnits = 0;
  let aCol: number, lutCol: number, ffCol: number;
  let ffShared = 0; // registers shared by the columns (the A operand's codes and scales of a K step)
  if (fa.fp32 || fb.fp32) {
    // an fp32 operand makes it an FP32 MAC (the other operand is dequantised into it): Horowitz 3.7 + 0.9 pJ
    eMac = k.eFp32Mul + k.eFp32Add;
    wAcc = 32;
    fpAcc = true;
    aPE = k.aFp32Mul + k.aFp32Add + k.aReg * 96;
    lutPE = (env.dsp ? 0 : env.lutFp32Mul) + env.lutFp32Add;
    dspPE = env.dsp ? env.dspFp32Mul : 0;
    ffPE = 96;
    aCol = k.aReg * 32;
    lutCol = 0;
    ffCol = 32;
  } else {
    const pa = fa.p;
    const pb = fb.p;
    const r = fa.span + fb.span; // exponent span of the element product
    const eMax = Math.max(fa.ebits, fb.ebits);
    const wProd = pa + pb + r; // w_prod = p_w + p_a + r
    const Bk = fa.blockK > 0 && fb.blockK > 0 ? Math.min(fa.blockK, fb.blockK) : Math.max(fa.blockK, fb.blockK);
    // exact block-local accumulator w_loc = w_prod + ⌈log2 B⌉ (MASE mxint_dot_product); unblocked: the whole K
    const wLoc = wProd + clog2(Bk > 0 ? Math.min(Bk, K) : K);
    const nKb = Bk > 0 ? Math.ceil(K / Bk) : 1;
    // the exact (Kulisch) accumulator of the generated RTL spans the block sums plus the exponent range of
    // every activation operand (ACT values, bounded): one range for a linear, two for Q·Kᵀ / P·V
    // (acc_guard_bits fitted to the generator's accumulator widths, tools/calibrate)
    const nAct = po.bIsWeight ? 1 : 2;
    wAcc = Bk > 0 ? wLoc + clog2(nKb) + k.accGuardBits * nAct : wLoc;
    // float elements: exponent add, alignment shift of the product over r+1 positions, hidden-bit decode
    // (cost-model.md: e_shift(w, S) = c·w·⌈log2 S⌉; the reference's S = 2^r is read as r+1 positions)
    const stP = clog2(r + 1);
    const fpE = r > 0 ? k.cAdd * (eMax + 1) + k.cShift * wProd * stP : 0;
    const fpA = r > 0 ? k.aAdd * (eMax + 1) + k.aShift * wProd * stP : 0;
    const dec = fa.ebits + fb.ebits;
    eMac = k.cMul * pa * pb + fpE + k.cCmp * dec + k.cAdd * wLoc;
    aPE = k.aMul * pa * pb + fpA + k.aCmp * dec + k.aAdd * wLoc + k.aReg * (pa + fa.ebits + pb + fb.ebits + wProd);
    dspPE = env.dsp ? dspCount(k, pa, pb) : 0;
    // FPGA (calibrated on mx_dot): one dot product per block in a K step, min(P_k, B) lanes each
    const G = Bk > 0 ? Math.ceil(Pk / Bk) : 1;
    lutPE = peLut(k, fa, fb, Bk > 0 ? Math.min(Pk, Bk) : Pk, dspPE > 0);
    // registers: every lane's B code, the A codes shared by the columns, (per column) the accumulator,
    // the result register and the output FIFO (mx_linear)
    ffPE = fb.storeBits;
    aCol = k.aAdd * wAcc + k.aReg * wAcc;
    lutCol = lutOut(k, wAcc) + (Bk > 0 ? 0 : k.lutAdd * wAcc);
    ffCol = 2 * wAcc + k.outFifoDepth * k.actBits;
    ffShared = Pk * Pm * fa.storeBits + G * Pm * fa.scaleExpBits;
    if (Bk > 0) {
      nBlocks = po.outputs * nKb; // N_b = M·N·⌈K/B⌉ block pairs
      nUnits = cols * Math.ceil(Pk / Bk);
      const sExp = Math.max(fa.scaleExpBits, fb.scaleExpBits);
      if (fa.scaleKind === SCALE_E4M3 || fb.scaleKind === SCALE_E4M3) {
        // E4M3 scales (NVFP4): scale-significand product, scale-exponent add, partial sum × scale
        // significand(s), and the add into an FP32 accumulator (cost-model.md §5.3, NVFP4 row; the
        // partial sum is multiplied by the 8-bit product of both 4-bit significands)
        const both = fa.scaleKind === SCALE_E4M3 && fb.scaleKind === SCALE_E4M3;
        const sig = fa.scaleSigBits + fb.scaleSigBits;
        eBlk = (both ? k.cMul * fa.scaleSigBits * fb.scaleSigBits : 0) + k.cAdd * (sExp + 1) + k.cMul * wLoc * sig + k.eFp32Add;
        aUnit = (both ? k.aMul * fa.scaleSigBits * fb.scaleSigBits : 0) + k.aAdd * (sExp + 1) + k.aMul * wLoc * sig + k.aFp32Add;
        lutUnit = (both ? lutMul(k, fa.scaleSigBits, fb.scaleSigBits) : 0) + k.lutAdd * (sExp + 1) + lutMul(k, wLoc, sig) + env.lutFp32Add;
        ffUnit = wLoc + sExp + 1;
        wAcc = 32;
        fpAcc = true;
        aCol = k.aReg * 32;
        lutCol = 0;
        ffCol = 32;
      } else {
        // power-of-two scales: e_block = e_add(s+1) + e_shift(w_acc, w_acc+1) + e_add(w_acc)
        const stA = clog2(wAcc + 1);
        eBlk = k.cAdd * (sExp + 1) + k.cShift * wAcc * stA + k.cAdd * wAcc;
        aUnit = k.aAdd * (sExp + 1) + k.aShift * wAcc * stA;
        // FPGA (calibrated on mx_linear): the shift of the block sum onto the accumulator and its add
        lutUnit = k.alignLut * fpgaFeatures.align(wAcc);
        ffUnit = fb.scaleExpBits;
      }
    }
    if (fa.nvfp4 || fb.nvfp4) {
      // the fp32 per-tensor scales: one FP32 multiply per output
      eOut = k.eFp32Mul;
      aCol += k.aFp32Mul;
      lutCol += env.lutFp32Mul;
    }
  }
  let eBias = 0;
  // the bias is aligned to the accumulator and added once per output
  const biasFp = fbias !== null && (fbias.fp32 || fpAcc);
  if (fbias) eBias = biasFp ? k.eFp32Add : k.cAdd * wAcc;

  out[o + F_MAC] = (macs * eMac + (fbias ? outputs * eBias : 0)) * env.eScale;
  out[o + F_BLK] = (nBlocks * eBlk + outputs * eOut) * env.eScale;
  let logic = lanes * aPE + nUnits * aUnit + cols * aCol + k.aGlue;
  out[o + F_LUT] = lanes * lutPE + nUnits * lutUnit + cols * lutCol + k.glueLut;
  out[o + F_FF] = lanes * ffPE + nUnits * ffUnit + cols * ffCol + ffShared + k.glueFf;
  out[o + F_DSP] = lanes * dspPE;
  if (fbias) {
    logic += cols * (biasFp ? k.aFp32Add : k.aAdd * wAcc);
    out[o + F_LUT] += cols * (biasFp ? env.lutFp32Add : k.lutAdd * wAcc);
  }
  out[o + F_ALOGIC] = logic;

  // ---- quantisers of the activation points (weights are quantised offline)
  quantiser(env, fa, po.aNumel, po.aQuantLanes, out, o);
  if (!po.bIsWeight) quantiser(env, fb, po.bNumel, po.bQuantLanes, out, o);

  // ---- memory bits
  pointBits(fa, po.aNumel, false, out, o);
  pointBits(fb, po.bNumel, po.bIsWeight, out, o);
  if (fbias) pointBits(fbias, po.biasNumel, true, out, o);

  // ---- memory traffic (cost-model.md §5.3 "Memory energy"): bits moved × energy per bit of the level
  let on = 0;
  let off = 0;
  let sramBits = 0;
  let brams = 0;
  // A: written once by its producer into a row buffer of K elements, replayed ⌈N/P_n⌉ times
  const aRowBits = K * fa.bpe;
  const eA = eBit(env, aRowBits / 8);
  on += (po.aReads + po.aNumel) * fa.bpe * eA;
  sramBits += Pm * aRowBits;
  // the row buffer is double-buffered registers on an FPGA (mx_linear: codes and shared exponents, so
  // the cast of row t+1 overlaps row t)
  out[o + F_FF] += 2 * Pm * aRowBits;
  const bWidth = Pk * Pn * fb.bpe; // bits per cycle out of the B buffer
  const bBits = po.bNumel * fb.bpe + fb.perTensorBits;
  if (po.bIsWeight) {
    if (env.weightsOnChip) {
      // resident weights: read by every row (token) tile
      const eB = eBit(env, env.sramBytes ?? bBits / 8);
      on += po.bReads * fb.bpe * eB;
      sramBits += bBits;
      brams += bramCount(k, bBits, bWidth);
    } else {
      // streamed once per inference from DRAM into a tile buffer, then read as above
      const tileBits = Math.min(bBits, 8 * (env.sramBytes ?? k.offchipTileBytes));
      const eB = eBit(env, tileBits / 8);
      off += bBits * k.dramBit;
      on += (po.bReads + po.bNumel) * fb.bpe * eB;
      sramBits += tileBits;
      brams += bramCount(k, tileBits, bWidth);
    }
  } else {
    // K/V of attention: written once, read by every row tile
    const eB = eBit(env, bBits / 8);
    on += (po.bReads + po.bNumel) * fb.bpe * eB;
    sramBits += bBits;
    brams += bramCount(k, bBits, bWidth);
  }
  if (fbias) {
    const biasBits = po.biasNumel * fbias.bpe + fbias.perTensorBits;
    if (env.weightsOnChip) {
      on += po.biasReads * fbias.bpe * eBit(env, biasBits / 8);
      sramBits += biasBits;
      brams += bramCount(k, biasBits, Pn * fbias.bpe);
    } else {
      off += biasBits * k.dramBit;
      on += (po.biasReads + po.biasNumel) * fbias.bpe * eBit(env, biasBits / 8);
      sramBits += biasBits;
      brams += bramCount(k, biasBits, Pn * fbias.bpe);
    }
  }
  out[o + F_ON] = on;
  out[o + F_OFF] = off;
  out[o + F_BRAM] = brams;
  out[o + F_GE] = out[o + F_ALOGIC] / k.aNand2;
  out[o + F_ALOGIC] *= env.aScale;
  out[o + F_ASRAM] = sramBits * k.aSramBit * env.aScale;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

function makeEnv(opts: CostOptions): { env: Env; nodeNm: number } {
  const k = opts.constants ?? DEFAULT_CONSTANTS;
  const nodeNm = opts.nodeNm ?? k.baseNodeNm;
  let sc: { energy: number; area: number };
  try {
    sc = nodeScale(k, nodeNm);
  } catch (e) {
    throw new CostError('nodeNm', (e as Error).message.replace(/^cost constants node_scaling: /, ''));
  }
  const sramBytes = opts.memory?.sramBytes;
  if (sramBytes !== undefined && !(Number.isFinite(sramBytes) && sramBytes > 0)) throw new CostError('memory.sramBytes', `must be a positive number of bytes (got ${sramBytes})`);
  const qs = k.qInSigBits;
  // FP32 MAC on an FPGA, composed from the primitives (UNVERIFIED composition; calibrate):
  // multiply = 24×24 significands + exponent add + normalise by one + round;
  // add = exponent difference + align + significand add + leading-zero count + normalise + round
  const lutFp32Mul = lutMul(k, qs, qs) + k.lutAdd * (k.qInExpBits + 1) + lutShift(k, qs, 2) + k.lutAdd * qs;
  const lutFp32Add = k.lutAdd * k.qInExpBits + lutShift(k, qs, qs + 1) + k.lutAdd * (qs + 1) + k.lutCmp * (qs + 1) + lutShift(k, qs + 1, qs + 1) + k.lutAdd * qs;
  return {
    nodeNm,
    env: {
      k,
      eScale: sc.energy,
      aScale: sc.area,
      weightsOnChip: opts.memory?.weightsOnChip ?? true,
      sramBytes,
      dsp: opts.fpga?.dsp ?? false,
      lutFp32Mul,
      lutFp32Add,
      dspFp32Mul: dspCount(k, qs, qs),
    },
  };
}

function energyOf(s: Float64Array, o: number): EnergyBreakdown {
  const mac = s[o + F_MAC];
  const block = s[o + F_BLK];
  const quant = s[o + F_Q];
  const onChip = s[o + F_ON];
  const offChip = s[o + F_OFF];
  return { mac, block, quant, onChip, offChip, total: mac + block + quant + onChip + offChip };
}

function formatAt(formats: PointFormats, idx: number, id: string): FormatSpec {
  const f = Array.isArray(formats) ? (formats as readonly FormatSpec[])[idx] : (formats as ReadonlyMap<string, FormatSpec>).get(id);
  return f ?? FP32;
}

/**
 * Prepare the cost of a graph at a sequence length and parallelism: returns a function of the
 * formats (the full report) with a `.totals` variant (no per-op objects). Throws CostError for bad
 * options and FormatError for invalid format specs.
 */
export function prepareCost(graph: Graph, opts: CostOptions = {}): PreparedCost {
  const tokens = opts.tokens ?? graph.config.maxPositions;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > 1 << 24) throw new CostError('tokens', `must be an integer in 1..${1 << 24} (got ${tokens})`);
  const { env, nodeNm } = makeEnv(opts);
  const k = env.k;
  const clockHz = opts.clockHz ?? k.asicClockHz;
  const fpgaClockHz = opts.fpgaClockHz ?? k.fpgaClockHz;
  if (!(clockHz > 0) || !(fpgaClockHz > 0)) throw new CostError('clockHz', 'clocks must be positive');
  const ops = prepareOps(graph, opts, k, tokens);
  const nOps = ops.length;
  const scratch = new Float64Array(nOps * NF);
  let ii = 0;
  let bottleneck = '';
  let latency = 0;
  let macsTotal = 0;
  for (const po of ops) {
    latency += po.cycles;
    macsTotal += po.macs;
    if (po.cycles > ii) {
      ii = po.cycles;
      bottleneck = po.op.id;
    }
  }
  const constants = { name: k.name, version: k.version, hash: k.hash };

  const run = (formats: PointFormats): void => {
    for (let i = 0; i < nOps; i++) {
      const po = ops[i];
      const fa = formatParams(formatAt(formats, po.aIdx, po.aId));
      const fb = formatParams(formatAt(formats, po.bIdx, po.bId));
      const fbias = po.biasIdx >= 0 ? formatParams(formatAt(formats, po.biasIdx, po.biasId)) : null;
      evalOp(env, po, fa, fb, fbias, scratch, i * NF);
    }
  };

  const sum = new Float64Array(NF);

  const report = (formats: PointFormats): CostReport => {
    run(formats);
    sum.fill(0);
    const layers: LayerCost[] = new Array(nOps);
    for (let i = 0; i < nOps; i++) {
      const po = ops[i];
      const o = i * NF;
      for (let j = 0; j < NF; j++) sum[j] += scratch[o + j];
      const mem = scratch[o + F_MBW] + scratch[o + F_MBA] + scratch[o + F_MBMETA];
      layers[i] = {
        op: po.op.id,
        kind: po.op.kind,
        type: po.op.type,
        layer: po.op.layer,
        lanes: po.lanes,
        gemm: po.gemm,
        energyPj: energyOf(scratch, o),
        areaUm2: scratch[o + F_ALOGIC] + scratch[o + F_ASRAM],
        logicAreaUm2: scratch[o + F_ALOGIC],
        sramAreaUm2: scratch[o + F_ASRAM],
        gateEquivalents: scratch[o + F_GE],
        fpga: { luts: scratch[o + F_LUT], ffs: scratch[o + F_FF], dsps: scratch[o + F_DSP], brams: scratch[o + F_BRAM] },
        memoryBits: { weights: scratch[o + F_MBW], activations: scratch[o + F_MBA], metadata: scratch[o + F_MBMETA], total: mem },
        cycles: po.cycles,
        macs: po.macs,
        avgBits: scratch[o + F_NUMEL] > 0 ? mem / scratch[o + F_NUMEL] : 0,
        elements: scratch[o + F_NUMEL],
      };
    }
    const mem = sum[F_MBW] + sum[F_MBA] + sum[F_MBMETA];
    return {
      energyPj: energyOf(sum, 0),
      areaUm2: sum[F_ALOGIC] + sum[F_ASRAM],
      logicAreaUm2: sum[F_ALOGIC],
      sramAreaUm2: sum[F_ASRAM],
      gateEquivalents: sum[F_GE],
      fpga: { luts: sum[F_LUT], ffs: sum[F_FF], dsps: sum[F_DSP], brams: sum[F_BRAM] },
      memoryBits: { weights: sum[F_MBW], activations: sum[F_MBA], metadata: sum[F_MBMETA], total: mem },
      cycles: ii,
      macs: macsTotal,
      avgBits: sum[F_NUMEL] > 0 ? mem / sum[F_NUMEL] : 0,
      elements: sum[F_NUMEL],
      tokens,
      nodeNm,
      clockHz,
      fpgaClockHz,
      throughputTokensPerS: ii > 0 ? (tokens * clockHz) / ii : 0,
      fpgaThroughputTokensPerS: ii > 0 ? (tokens * fpgaClockHz) / ii : 0,
      latencyCycles: latency,
      bottleneck,
      constants,
      layers,
    };
  };

  const totals = (formats: PointFormats): CostTotals => {
    run(formats);
    let mac = 0, blk = 0, q = 0, on = 0, off = 0, area = 0, ge = 0, lut = 0, ff = 0, dsp = 0, bram = 0, mem = 0, numel = 0;
    for (let o = 0; o < nOps * NF; o += NF) {
      mac += scratch[o + F_MAC];
      blk += scratch[o + F_BLK];
      q += scratch[o + F_Q];
      on += scratch[o + F_ON];
      off += scratch[o + F_OFF];
      area += scratch[o + F_ALOGIC] + scratch[o + F_ASRAM];
      ge += scratch[o + F_GE];
      lut += scratch[o + F_LUT];
      ff += scratch[o + F_FF];
      dsp += scratch[o + F_DSP];
      bram += scratch[o + F_BRAM];
      mem += scratch[o + F_MBW] + scratch[o + F_MBA] + scratch[o + F_MBMETA];
      numel += scratch[o + F_NUMEL];
    }
    return {
      energyPj: mac + blk + q + on + off,
      macPj: mac,
      blockPj: blk,
      quantPj: q,
      onChipPj: on,
      offChipPj: off,
      areaUm2: area,
      gateEquivalents: ge,
      luts: lut,
      ffs: ff,
      dsps: dsp,
      brams: bram,
      memoryBits: mem,
      avgBits: numel > 0 ? mem / numel : 0,
      cycles: ii,
    };
  };

  return Object.assign(report, { totals, tokens, ops });
}

/** One-shot: the cost report of a graph under formats (prepareCost(graph, opts)(formats)). */
export function costOf(graph: Graph, formats: PointFormats, opts: CostOptions = {}): CostReport {
  return prepareCost(graph, opts)(formats);
}
