/**
 * The integer block GEMM on WASM: prepares the operands of src/core/datapath/gemm.ts's blockGemm
 * (its twin and specification) for workers/kernels/assembly/gemm.ts, picks the fastest path that is
 * exact for these operands, runs it, and returns the same float32 bits as the twin.
 *
 * Paths (see the kernel's header for the arithmetic):
 *  - 'i8'   relaxed build only: one operand's codes in [−63, 63] (after the segment shift), stored
 *           as b + β ∈ [0, 127]; the other's in [−127, 127]; relaxed i8×i7 dots summed in i16 for
 *           `depth` steps. MXFP4, MXFP6-E2M3, MXINT4/2 and friends.
 *  - 'i16'  codes in i16 with exact i32 lane sums per K segment: MXINT8, MXFP6, small MXInt/BFP,
 *           fixed point up to ~16 bits.
 *  - 'f64'  exact f64 values and f64 sums: FP8 (E4M3, E5M2), MXInt m = 16, wide fixed point.
 *  - 'exact' Kulisch superaccumulator per output. Used for the outputs where the f64 sums of the
 *           other paths could round (a bound on the operands' exponent spread, checked per output),
 *           or forced for testing.
 * Segments: K is cut into segments of S elements; within a segment every row's codes are shifted
 * onto the row's smallest block exponent in that segment, which is exact as long as the shifted
 * codes still fit the lanes. With small exponent spreads (typical data) one segment spans all of K
 * and the per-block scaling disappears from the inner loop entirely.
 *
 * Ring 1: no DOM, no Node built-ins; the caller injects the kernel bytes.
 */
import { encode, type Encoded } from '../formats/codec';
import { floorLog2 } from '../formats/float32';
import { blockExp, blockGemm, gemmProblem, type GemmOperand, type GemmOptions } from '../datapath/gemm';
import { FixedOps, rmsNormKernelArgs, type FixedExports, type FixedKernel } from './fixed';
import { actMax, fixInt, type ActFormat } from '../datapath/act';
import { checkAct, type FxNormParams } from '../datapath/fixed';
import { CDF_N, exp2Table, sigmoidTable } from '../datapath/fixedTables';
import { makeLayout } from '../formats/layout';
import { isBlockSpec, type BlockSpec, type FormatSpec } from '../formats/spec';
import { elementBits, scaleBitsOf, type QuantCounts } from '../formats/codec';
import { blockQuantizeCall, mantissaTable, type QuantExports } from './quantize';

/** Kernel bytes as the caller has them (what the DOM lib calls BufferSource). */
type BufferSource = ArrayBuffer | ArrayBufferView;

/** 'relaxed' may use relaxed-SIMD instructions (only where their result is deterministic); 'simd' is plain 128-bit SIMD. */
export type GemmFlavor = 'relaxed' | 'simd';

/** How a GEMM is computed; every path gives the same bits. */
export type GemmPath = 'i8' | 'i16' | 'f64' | 'exact';

export interface GemmKernelOptions extends GemmOptions {
  /** Force a path (tests and benchmarks). Default: the fastest exact path for these operands. Throws GemmKernelError if the forced path cannot take them. */
  path?: GemmPath;
  /**
   * B is reused across calls (a weight): keep what is derived from it alone — its block statistics,
   * segmentations and its packed panels — with the Encoded object (a WeakMap entry, gone with it),
   * so later GEMMs with the same B skip copying, scanning and packing it. The Encoded must not be
   * mutated afterwards (the emulator's weight cache never does). Same results either way.
   */
  cacheB?: boolean;
  /**
   * The same for A (an activation several GEMMs read, e.g. the input of q, k and v): its statistics,
   * segmentations and packed tiles stay with the Encoded, so the next GEMM with it copies the packed
   * tiles instead of copying, scanning and packing its codes. Same results either way.
   */
  cacheA?: boolean;
  /**
   * A is zero above its diagonal: A[i, k] = 0 for every k > i (causal attention probabilities P).
   * Checked against A's codes (ignored when it does not hold); the integer kernels then skip those
   * products, which would add exact zeros. Same results either way.
   */
  lowerA?: boolean;
  /**
   * The caller takes every output C[i, j] with j > i as +0 (causal attention scores, which it masks):
   * those outputs are returned as +0 (gemmFix: ACT 0), and the integer kernels skip the tiles that
   * lie entirely in that triangle. Every other output is unchanged.
   */
  causalC?: boolean;
}

/** What prepare() decided, for reports and tests. */
export interface GemmPlanInfo {
  readonly path: GemmPath;
  /** The kernel ran on (B, A) and the output was transposed back (i8 with A as the 7-bit operand). */
  readonly swapped: boolean;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Number of K segments (integer paths; 1 for f64 and exact). */
  readonly segments: number;
  /** Elements of K per segment. */
  readonly segmentLength: number;
  /** Outputs recomputed by the exact superaccumulator because the fast path's f64 sums could round. */
  readonly exactOutputs: number;
}

/** Operands packed into the kernel's memory, ready to run. Valid until the next prepare() or gemm() on the same kernel. */
export interface GemmPlan {
  readonly info: GemmPlanInfo;
}

export interface GemmKernel {
  readonly flavor: GemmFlavor;
  /** Same contract, results and errors as blockGemm (src/core/datapath/gemm.ts). */
  gemm(a: Encoded, b: Encoded, opts: GemmKernelOptions): Float32Array;
  /** Validate, choose a path and pack the operands (the part of gemm() that is not the kernel). */
  prepare(a: Encoded, b: Encoded, opts: GemmKernelOptions): GemmPlan;
  /** Run a prepared plan. */
  run(plan: GemmPlan): Float32Array;
  /**
   * fix(gemm(a, b)) for integer mode: the float32 results' ACT integers and their values (ints ·
   * 2^−f), as gemm() followed by fixed.fix() — computed on C in the kernel's memory when nothing
   * needs patching after the kernel (no exact-superaccumulator outputs, no NaN rows, not swapped).
   * `values: false` leaves out the float32 values (a caller that needs only the integers); `into`
   * (M·N long) receives the integers instead of a fresh array.
   */
  gemmFix(a: Encoded, b: Encoded, opts: GemmKernelOptions, act: ActFormat, values?: boolean, into?: Int32Array): { values?: Float32Array; ints: Int32Array };
  /**
   * Integer attention for one head from its ACT scores to its ACT output, without leaving the
   * module: P = fxCausalSoftmax(s, T, C) (s: [T, T] ACT scores, C = attentionScaleConst(hd)), P
   * encoded along the keys in `pSpec` (the pv.a point; its Σx², Σ(x−q)² in index order and counts,
   * as the quantize kernel's encodeAct gives them), then gemmFix(P, v, { b: vLayout, lowerA }) —
   * bit for bit what those three calls give one after the other. `into` (T·hd long) receives the
   * integers. null when this path does not cover the case (pSpec not a 1-D block format whose
   * codes the datapath view covers, C or T out of the kernel's range): the caller takes the three
   * calls. Supersedes a plan from prepare().
   */
  /** Whether softmaxGemmFix takes these arguments (it returns null exactly when this is false). */
  softmaxGemmCovers?(T: number, C: number, pSpec: FormatSpec): boolean;
  softmaxGemmFix?(s: Int32Array, T: number, C: number, act: ActFormat, pSpec: FormatSpec, v: Encoded, vLayout: 'NK' | 'KN', into?: Int32Array): SoftmaxGemmFix | null;
  /**
   * One head of integer attention from its encoded Q_h [T, hd] and K_g [T, hd] (both blocked along
   * hd): the scores gemmFix(q, k, { b: 'NK', causalC }) made into the softmax's input in kernel
   * memory, then softmaxGemmFix — bit for bit the ops one after the other. null as softmaxGemmFix.
   */
  attentionFix?(q: Encoded, k: Encoded, T: number, C: number, act: ActFormat, pSpec: FormatSpec, v: Encoded, vLayout: 'NK' | 'KN', into?: Int32Array): SoftmaxGemmFix | null;
  /**
   * One attention layer of integer mode in one call, its tensors resident in the module: q [T, H·hd],
   * k and v [T, Hk·hd] (ACT integers, heads side by side; query head h reads kv head ⌊h/(H/Hk)⌋).
   * K_g is encoded at f.qb per kv head, V_gᵀ [hd, T] at f.pb along T (as the emulator's
   * encodeMeasuredActRows), then per head Q_h at f.qa and attentionFix — bit for bit those calls one
   * after the other. The heads' outputs come back side by side, [T, H·hd] (in `out` when given);
   * onHead(h, …) gets the statistics of P and Q_h, and those of K and V come back per kv head. null before anything
   * is reported when not covered: formats the in-module encoding does not take, shapes, or a V_g whose
   * sums are not order-free (the caller then runs the ops one by one).
   */
  attentionLayerFix?(q: Int32Array, k: Int32Array, v: Int32Array, T: number, H: number, Hk: number, hd: number, C: number, act: ActFormat, f: AttentionFormats, onHead: (h: number, r: AttentionHead) => void, into?: Int32Array): AttentionLayer | null;
  /** Whether encodeGemmFix takes activations in this format (it returns null when this is false). */
  encodeGemmCovers?(spec: FormatSpec): boolean;
  /**
   * A linear layer of integer mode without leaving the module: x [M, K] ACT integers (act.f
   * fraction bits) encoded along K in `spec` as the quantize kernel's encodeAct with sums does (its
   * counts and Σx², Σ(x−q)² in index order), then gemmFix(that, w, opts, act, values, into) — bit for
   * bit those two calls one after the other, without the codes' round trip through JavaScript.
   * opts: b and cacheB only. null when the format is not covered (encodeGemmCovers) or x is not M·K
   * integers. Supersedes a plan from prepare().
   */
  encodeGemmFix?(x: Int32Array, M: number, K: number, spec: FormatSpec, w: Encoded, opts: GemmKernelOptions, act: ActFormat, values?: boolean, into?: Int32Array): EncodeGemmFix | null;
  /**
   * encodeGemmFix for several GEMMs that read the same activation (q/k/v, gate/up): x encoded once,
   * then gemmFix(that, w, opts, act, values, into) for each, in order — bit for bit those calls. opts:
   * b and cacheB only. With `norm`, x is an RMSNorm's input and the encoded activation its output
   * (fixed.rmsNorm(x, M, K, norm, act), made in the module; null where FixedOps would take the twin).
   * null as encodeGemmFix.
   */
  encodeGemmsFix?(x: Int32Array, M: number, K: number, spec: FormatSpec, gemms: readonly EncodedGemm[], opts: GemmKernelOptions, act: ActFormat, norm?: FxNormParams): EncodeGemmsFix | null;
  /**
   * A gated MLP's first half in one call: x encoded once (as encodeGemmsFix), gemmFix with the gate
   * and the up weights, then SiLU(gate) and its product with up in ACT (fixed.activation('silu') and
   * fixed.mul, with up first when upFirst) — bit for bit those calls, and neither GEMM's output
   * leaves the module. null as encodeGemmFix.
   */
  encodeGluFix?(x: Int32Array, M: number, K: number, spec: FormatSpec, gate: Encoded, up: Encoded, opts: GemmKernelOptions, act: ActFormat, upFirst: boolean, into?: Int32Array, norm?: FxNormParams): EncodeGluFix | null;
  /**
   * The fixed-point ops around the GEMM (src/core/kernels/fixed.ts), in the same module. Calling
   * one supersedes a plan from prepare().
   */
  readonly fixed: FixedKernel;
}

/** What softmaxGemmFix returns: the head's output and P's statistics at its quant point. */
export interface SoftmaxGemmFix {
  readonly ints: Int32Array;
  /** Σx² and Σ(x−q)² over P's finite pairs in index order (QuantSums of the quantize kernel). */
  readonly sig: number;
  readonly err: number;
  readonly counts: QuantCounts;
}

/** What encodeGemmFix returns: gemmFix's result and the activation's statistics. */
export interface EncodeGemmFix {
  readonly ints: Int32Array;
  readonly values?: Float32Array;
  readonly sig: number;
  readonly err: number;
  readonly counts: QuantCounts;
}

/** The formats of one attention layer's quant points (attentionLayerFix): qk.a, qk.b, pv.a (P), pv.b (V). */
export interface AttentionFormats {
  readonly qa: FormatSpec;
  readonly qb: FormatSpec;
  readonly pa: FormatSpec;
  readonly pb: FormatSpec;
}

/** An activation's statistics at its quant point: Σx², Σ(x−q)² in index order and the counts (as the quantize kernel's encodeAct with sums). */
export interface EncodeStats {
  readonly sig: number;
  readonly err: number;
  readonly counts: QuantCounts;
}

/** One head of attentionLayerFix: the statistics of its P and its Q_h. */
export interface AttentionHead {
  readonly p: EncodeStats;
  readonly q: EncodeStats;
}

/** What attentionLayerFix returns: the heads' outputs [T, H·hd] and the statistics of K_g and V_g, per kv head. */
export interface AttentionLayer {
  readonly ints: Int32Array;
  readonly k: EncodeStats[];
  readonly v: EncodeStats[];
}

/** A fused call's P·V, planned (its operands packed) but not run, with P's statistics. */
interface PvPlan extends EncodeStats {
  readonly plan: Plan;
}

/** An activation encoded in kernel memory (encodeAt): its Encoded (codes viewed at pm), statistics, and whether its sums are order-free. */
interface InModule extends EncodeStats {
  readonly enc: Encoded;
  readonly pm: number;
  /** Its GEMM block statistics in kernel memory (blockStats' maxc and orc, for K blocks of `block`). */
  readonly stats: StatsAt;
  readonly exact: boolean;
}

/** blockStats' output already in kernel memory (made with the codes' view): maxc f64 [rows][nb], orc u32 [rows][nb]. */
interface StatsAt {
  readonly maxc: number;
  readonly orc: number;
  readonly block: number;
}

function stats(r: InModule): EncodeStats {
  return { sig: r.sig, err: r.err, counts: r.counts };
}

/** Q·Kᵀ of causal attention: K as B [N, K], the scores above the diagonal taken as +0. */
const SCORES: GemmKernelOptions = { b: 'NK', causalC: true };

/**
 * One GEMM of encodeGemmsFix: its weight, whether the float32 values are wanted (default true), and
 * where the integers go. With `residual` (ACT integers of the output's size) the result is
 * sat(fix(GEMM) + residual), as FixedOps.add gives it, and no float32 values.
 */
export interface EncodedGemm {
  readonly w: Encoded;
  readonly values?: boolean;
  readonly into?: Int32Array;
  readonly residual?: Int32Array;
}

/** What encodeGluFix returns: SiLU(gate)·up as ACT integers, and the activation's statistics. */
export interface EncodeGluFix extends EncodeStats {
  readonly ints: Int32Array;
}

/** What encodeGemmsFix returns: each GEMM's gemmFix result, in order, and the activation's statistics. */
export interface EncodeGemmsFix extends EncodeStats {
  readonly outs: { readonly ints: Int32Array; readonly values?: Float32Array }[];
}

/** A kernel that cannot be loaded, or a forced path that cannot take the operands. */
export class GemmKernelError extends Error {
  override readonly name = 'GemmKernelError';
}

// ------------------------------------------------------------------------------ WASM module

interface GemmExports extends FixedExports, Partial<Pick<QuantExports, 'mx_quantize' | 'int_quantize' | 'datapath_view' | 'measure_sums_act' | 'act_to_f32'>> {
  segment?(maxc: number, ex: number, rows: number, nb: number, block: number, K: number, len: number, lim: number, base: number): number;
  colsI32?(src: number, R: number, C: number, c0: number, w: number, dst: number): void;
  colsTI32?(src: number, R: number, C: number, c0: number, w: number, dst: number): void;
  setColsI32?(src: number, R: number, C: number, c0: number, w: number, dst: number): void;
  mark?(): number;
  release?(m: number): void;
  flavor(): number;
  geometry(which: number): number;
  fxFixRows(src: number, rows: number, n: number, lds: number, f: number, lim: number, dstI: number, dstF: number): void;
  gemmI16(tiles: number, panels: number, nseg: number, segPairs: number, A: number, B: number, sA: number, sB: number, C: number, ldc: number, lowA: number, upperC: number, segLen: number): void;
  gemmI8(tiles: number, panels: number, nseg: number, segQuads: number, depth: number, A: number, B: number, corr: number, sA: number, sB: number, C: number, ldc: number, lowA: number, upperC: number, segLen: number): number;
  gemmF64(tiles: number, panels: number, K: number, A: number, B: number, C: number, ldc: number): void;
  exactPairs(count: number, pairs: number, K: number, X: number, Y: number, out: number): void;
  transposeF64(src: number, K: number, N: number, dst: number): void;
  blockStats(src: number, rows: number, K: number, block: number, nanRows: number, maxc: number, orc: number): void;
  packCodes(
    src: number, rows: number, K: number, block: number, nanRows: number, ex: number,
    base: number, len: number, nseg: number, wide: number, G: number, bias: number,
    dst: number, scale: number, corr: number, beta: number, lowA: number,
  ): void;
  packValues(src: number, rows: number, K: number, block: number, nanRows: number, ex: number, G: number, dst: number): void;
}

interface WasmApi {
  instantiate(bytes: BufferSource, imports?: Record<string, Record<string, unknown>>): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

// ------------------------------------------------------------------------------ exact powers of two

const POW2_MIN = -1074;
const POW2 = (() => {
  // built by exact doubling/halving, not Math.pow
  const t = new Float64Array(1023 - POW2_MIN + 1);
  t[-POW2_MIN] = 1;
  for (let e = 1; e <= 1023; e++) t[e - POW2_MIN] = t[e - 1 - POW2_MIN] * 2;
  for (let e = -1; e >= POW2_MIN; e--) t[e - POW2_MIN] = t[e + 1 - POW2_MIN] / 2;
  return t;
})();

/** Trailing zeros of a non-zero integer below 2^32 given as its low 32 bits. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ------------------------------------------------------------------------------ operand statistics

/**
 * One operand in the kernel's memory: its codes (a copy of Encoded.mantissas), NaN-row mask and
 * per (row, common K block) exponents, plus what blockStats found: the largest |code| and the OR of
 * all |code| (for trailing zeros).
 */
interface OpStats {
  readonly op: GemmOperand;
  readonly rows: number;
  readonly K: number;
  /** The common K block length and count (the GEMM's, which may refine an unblocked operand). */
  readonly block: number;
  readonly nb: number;
  readonly maxc: Float64Array;
  readonly orc: Int32Array;
  readonly ex: Int32Array;
  /** Kernel memory: codes as rows contiguous along K (f64 [rows][K]), NaN rows (u8), exponents (i32 [rows][nb]); see resident(). */
  src: number;
  nan: number;
  exPtr: number;
  /** Put the codes, NaN mask and exponents into kernel memory (once per plan; a cached operand only when it must be packed or read). */
  resident(): void;
  /** The largest |code| of the operand. */
  readonly maxCode: number;
  /** Segmentations computed so far, by segment length. */
  readonly segs: Map<number, Segmentation>;
  /** An operand several plans of one call read (encodeGemmsFix's input): its packed tiles in kernel memory, by packInt's x key. */
  packedAt?: Map<string, { readonly A: number; readonly sA: number; readonly corr: number }>;
  /** While this plan's memory holds maxc (at maxc) and the exponents (at exPtr): the kernel computes segmentations there. */
  readonly kernel?: { readonly e: GemmExports; readonly alloc: (bytes: number) => number; readonly maxc: number };
}

/** What a cached B keeps (GemmKernelOptions.cacheB): its statistics and packed panels, per (K axis, block). */
interface CachedOperand {
  readonly key: string;
  readonly maxc: Float64Array;
  readonly orc: Int32Array;
  readonly ex: Int32Array;
  readonly maxCode: number;
  readonly segs: Map<number, Segmentation>;
  /** Packed panels (B and its scales) by path, segment length and β; in the x role (key `x|…`) the packed tiles, their scales and the i8 path's corrections. */
  readonly packs: Map<string, { B: Uint8Array; sB: Uint8Array; corr?: Uint8Array }>;
}

const operandCache = new WeakMap<Encoded, CachedOperand>();

/** The statistics of a cached operand (computed now when missing, from codes already in kernel memory at codesAt if given), without putting it in kernel memory. */
function cachedStats(e: GemmExports, alloc: (bytes: number) => number, enc: Encoded, op: GemmOperand, block: number, nb: number, codesAt?: number): OpStats {
  const key = `${op.rowStride}|${op.kStride}|${block}|${nb}`;
  let c = operandCache.get(enc);
  if (!c || c.key !== key) {
    const st = opStats(e, alloc, op, block, nb, codesAt);
    c = { key, maxc: st.maxc, orc: st.orc, ex: st.ex, maxCode: st.maxCode, segs: st.segs, packs: new Map() };
    operandCache.set(enc, c);
    return Object.assign(st, { cache: c });
  }
  const cc = c;
  const st: OpStats & { cache: CachedOperand } = {
    op, rows: op.rows, K: op.K, block, nb, maxc: cc.maxc, orc: cc.orc, ex: cc.ex, maxCode: cc.maxCode, segs: cc.segs, src: 0, nan: 0, exPtr: 0, cache: cc,
    resident() {
      if (st.src) return;
      const r = residentCodes(e, alloc, op, nb, cc.ex);
      st.src = r.src;
      st.nan = r.nan;
      st.exPtr = r.exPtr;
    },
  };
  return st;
}

/** Copy an operand's codes (rows contiguous along K), NaN rows and exponents into kernel memory. */
function residentCodes(e: GemmExports, alloc: (bytes: number) => number, op: GemmOperand, nb: number, ex: Int32Array): { src: number; nan: number; exPtr: number } {
  const { rows, K, nanRows } = op;
  const contiguous = op.kStride === 1 && op.rowStride === K;
  const src = alloc(rows * K * 8);
  const tmp = contiguous ? 0 : alloc(rows * K * 8);
  const nan = alloc(rows);
  const exPtr = alloc(rows * nb * 4);
  const buf = e.memory.buffer;
  if (contiguous) new Float64Array(buf, src, rows * K).set(op.mantissas);
  else if (op.rowStride === 1 && op.kStride === rows) {
    new Float64Array(buf, tmp, rows * K).set(op.mantissas);
    e.transposeF64(tmp, K, rows, src);
  } else throw new GemmKernelError(`unexpected operand strides ${op.rowStride}/${op.kStride}`);
  new Uint8Array(buf, nan, rows).set(nanRows);
  new Int32Array(buf, exPtr, rows * nb).set(ex);
  return { src, nan, exPtr };
}

/** residentCodes for codes already in kernel memory at `src`: only the NaN rows and exponents are copied in. */
function residentMeta(e: GemmExports, alloc: (bytes: number) => number, op: GemmOperand, nb: number, ex: Int32Array, src: number): { src: number; nan: number; exPtr: number } {
  const nan = alloc(op.rows);
  const exPtr = alloc(op.rows * nb * 4);
  const buf = e.memory.buffer;
  new Uint8Array(buf, nan, op.rows).set(op.nanRows);
  new Int32Array(buf, exPtr, op.rows * nb).set(ex);
  return { src, nan, exPtr };
}

function opStats(e: GemmExports, alloc: (bytes: number) => number, op: GemmOperand, block: number, nb: number, codesAt?: number, statsAt?: StatsAt): OpStats {
  const { rows, K, nanRows } = op;
  const ex = new Int32Array(rows * nb);
  // blockExp(op, r, kb·block) without a call per block where the operand's blocks are the GEMM's
  // (or it has one exponent, or K is one block): the exponent index is then linear in kb
  const linear = op.block === block || !op.blocked || nb === 1;
  const ue = op.unitExp;
  for (let r = 0; r < rows; r++) {
    if (nanRows[r]) continue;
    if (linear) {
      const b0 = Math.floor(r / op.tileRows) * op.expRowStride;
      const ks = op.expKStride;
      for (let kb = 0, i = r * nb; kb < nb; kb++, i++) ex[i] = ue[b0 + kb * ks];
    } else for (let kb = 0; kb < nb; kb++) ex[r * nb + kb] = blockExp(op, r, kb * block);
  }
  // Rows contiguous along K: A [M, K] and B [N, K] already are; B [K, N] is transposed in the kernel.
  // codesAt: the codes are in kernel memory already, as rows contiguous along K (made there: softmaxGemmFix)
  const { src, nan, exPtr } = codesAt === undefined ? residentCodes(e, alloc, op, nb, ex) : residentMeta(e, alloc, op, nb, ex, codesAt);
  // statsAt: made with the codes in kernel memory, for these blocks (a NaN row's blocks read 0 here: blockStats then)
  const made = statsAt !== undefined && codesAt !== undefined && statsAt.block === block && op.block === block && !nanRows.includes(1);
  const maxcPtr = made ? statsAt.maxc : alloc(rows * nb * 8);
  const orcPtr = made ? statsAt.orc : alloc(rows * nb * 4);
  if (!made) e.blockStats(src, rows, K, block, nan, maxcPtr, orcPtr);
  const maxc = new Float64Array(e.memory.buffer, maxcPtr, rows * nb).slice();
  const orc = new Int32Array(e.memory.buffer, orcPtr, rows * nb).slice();
  let maxCode = 0;
  for (let i = 0; i < maxc.length; i++) if (maxc[i] > maxCode) maxCode = maxc[i];
  return { op, rows, K, block, nb, maxc, orc, ex, src, nan, exPtr, maxCode, segs: new Map(), resident() {}, kernel: { e, alloc, maxc: maxcPtr } };
}

/**
 * Exponent width of each row: every non-zero element of row r is an integer multiple of 2^lo and
 * below 2^hi; w = hi − lo (−1 for an all-zero row). Σ_k of products of rows with widths wa and wb
 * then needs wa + wb + ⌈log2 K⌉ bits, and f64 sums are exact when that is ≤ 53.
 */
function rowWidths(st: OpStats): Int32Array {
  const { rows, nb, maxc, ex } = st;
  const orc = st.orc;
  const w = new Int32Array(rows);
  // integer locals throughout (an ±Infinity sentinel makes V8 run the loop on doubles: several times slower)
  const NONE = 0x7fffffff;
  for (let r = 0; r < rows; r++) {
    let hi = -NONE;
    let lo = NONE;
    for (let kb = 0, i = r * nb; kb < nb; kb++, i++) {
      const mx = maxc[i];
      if (mx === 0) continue;
      const e = ex[i];
      const h = floorLog2(mx) + 1 + e;
      const l = ctz32(orc[i]) + e;
      if (h > hi) hi = h;
      if (l < lo) lo = l;
    }
    w[r] = hi === -NONE ? -1 : hi - lo;
  }
  return w;
}

/**
 * True when every code of A beyond its row's diagonal is zero (A[i, k] = 0 for k > i): the blocks
 * entirely beyond it by their statistics, the diagonal block's tail element by element. A NaN row
 * fails (its codes are NaN).
 */
function zeroAboveDiagonal(st: OpStats): boolean {
  const { op, rows, K, block, nb, maxc } = st;
  const m = op.mantissas;
  const nan = op.nanRows;
  const rs = op.rowStride;
  const ks = op.kStride;
  for (let r = 0; r < rows; r++) {
    if (nan[r]) return false;
    const kd = Math.floor(r / block); // the block holding k = r (none when r ≥ K)
    for (let kb = kd + 1, i = r * nb + kd + 1; kb < nb; kb++, i++) if (maxc[i] !== 0) return false;
    const end = Math.min(K, (kd + 1) * block);
    for (let k = r + 1, j = r * rs + (r + 1) * ks; k < end; k++, j += ks) if (m[j] !== 0) return false;
  }
  return true;
}

/** Per (row, segment): the base exponent (smallest block exponent with a non-zero code), and the largest shifted |code|. */
export interface Segmentation {
  readonly len: number;
  readonly nseg: number;
  readonly base: Int32Array;
  readonly maxShifted: number;
}

/** The segmentation of an operand at a segment length, computed once per (operand, length). */
function segmentation(st: OpStats, len: number, lim = Infinity): Segmentation | null {
  let sg = st.segs.get(len);
  if (!sg) {
    // a segmentation abandoned once its shifted codes passed a limit stays a failure up to that limit
    const failedAt = segFails.get(st.segs)?.get(len);
    if (failedAt !== undefined && lim <= failedAt) return null;
    const got = computeSegmentation(st, len, lim);
    if (!got) {
      let f = segFails.get(st.segs);
      if (!f) segFails.set(st.segs, (f = new Map()));
      f.set(len, Math.max(lim, failedAt ?? -Infinity));
      return null;
    }
    sg = got;
    st.segs.set(len, sg);
  }
  return sg;
}

/** Per operand (keyed by its segmentation map): segment lengths whose shifted codes exceeded a limit, and the largest such limit. */
const segFails = new WeakMap<Map<number, Segmentation>, Map<number, number>>();

/** null as soon as a shifted code exceeds lim (the caller then rejects this length anyway). In the kernel (segment) while the plan's memory holds the operand's statistics. */
function computeSegmentation(st: OpStats, len: number, lim = Infinity): Segmentation | null {
  const k = st.kernel;
  if (k?.e.segment) {
    const nseg = Math.ceil(st.K / len);
    const n = st.rows * nseg;
    const bp = k.alloc(n * 4);
    new Int32Array(k.e.memory.buffer, bp, n).fill(0);
    const maxShifted = k.e.segment(k.maxc, st.exPtr, st.rows, st.nb, st.block, st.K, len, lim, bp);
    return maxShifted < 0 ? null : { len, nseg, base: new Int32Array(k.e.memory.buffer, bp, n).slice(), maxShifted };
  }
  return segmentationTwin(st, len, lim);
}

/** The kernel's segment() in TypeScript (its twin, and the path for statistics no longer in kernel memory: a cached operand's). */
export function segmentationTwin(st: Pick<OpStats, 'rows' | 'K' | 'block' | 'nb' | 'maxc' | 'ex'>, len: number, lim = Infinity): Segmentation | null {
  const { rows, K, block, nb, maxc, ex } = st;
  const nseg = Math.ceil(K / len);
  const base = new Int32Array(rows * nseg);
  let maxShifted = 0;
  // an integer sentinel, not Infinity: the exponent arithmetic and the table index then stay int32 in V8
  const NONE = 0x7fffffff;
  for (let g = 0; g < nseg; g++) {
    const kb0 = Math.floor((g * len) / block);
    const kb1 = Math.floor((Math.min((g + 1) * len, K) - 1) / block);
    for (let r = 0; r < rows; r++) {
      const o = r * nb;
      let b = NONE;
      for (let kb = kb0; kb <= kb1; kb++) {
        const e = ex[o + kb];
        if (e < b && maxc[o + kb] !== 0) b = e;
      }
      if (b === NONE) continue; // an all-zero segment: base 0, nothing to shift
      base[r * nseg + g] = b;
      for (let kb = kb0; kb <= kb1; kb++) {
        const mx = maxc[o + kb];
        if (mx === 0) continue;
        const d = ex[o + kb] - b; // ≥ 0
        const v = d > 1023 ? Infinity : mx * POW2[d - POW2_MIN]; // mx · 2^(ex − b), exactly (beyond 2^1023: over every limit)
        if (v > maxShifted) {
          maxShifted = v;
          if (v > lim) return null;
        }
      }
    }
  }
  return { len, nseg, base, maxShifted };
}

/** Segment lengths to try, longest first: all of K, multiples of the block, then halves of it down to 8. */
function segmentLengths(K: number, block: number): number[] {
  const out = [K];
  const mult: number[] = [];
  for (let s = block; s < K; s *= 2) mult.push(s);
  out.push(...mult.reverse());
  for (let s = Math.ceil(block / 2); s >= 8 && s < K; s = Math.ceil(s / 2)) {
    out.push(s);
    if (s === 8) break;
  }
  return out;
}

interface IntChoice {
  x: Segmentation;
  y: Segmentation;
}

/** The i8 path's bias: y is stored as y + β ∈ [0, 2β] ⊂ [0, 127]. */
function i8Beta(c: IntChoice): number {
  return c.y.maxShifted;
}

/** K-quads the i8 path may sum in i16 lanes: each step adds at most 2·max|x|·2β to a lane. */
function i8Depth(c: IntChoice): number {
  const perStep = 2 * c.x.maxShifted * 2 * i8Beta(c);
  const segQuads = Math.ceil(c.x.len / 4);
  return perStep === 0 ? segQuads : Math.max(1, Math.min(segQuads, Math.floor(32767 / perStep)));
}

/** The longest segment length at which both operands fit their limits and the i32 lane sums cannot overflow. */
function chooseSegments(sx: OpStats, sy: OpStats, limX: number, limY: number, laneBound: (len: number, mx: number, my: number) => boolean): IntChoice | null {
  // shifting only ever grows codes: an operand whose largest code is over its limit never fits
  if (sx.maxCode > limX || sy.maxCode > limY) return null;
  for (const len of segmentLengths(sx.K, sx.block)) {
    const x = segmentation(sx, len, limX);
    if (!x || x.maxShifted > limX) continue;
    const y = segmentation(sy, len, limY);
    if (!y || y.maxShifted > limY) continue;
    if (laneBound(Math.min(len, sx.K), x.maxShifted, y.maxShifted)) return { x, y };
  }
  return null;
}

// ------------------------------------------------------------------------------ the kernel object

interface Plan extends GemmPlan {
  readonly epoch: number;
  /** Where exec() leaves C in kernel memory ([rows][ldc] float32, not transposed when swapped), if it does. */
  readonly c?: { readonly ptr: number; readonly ldc: number };
  readonly exec: () => void;
  readonly collect: (out: Float32Array) => void;
  readonly pairs: { count: number; ptr: number; res: number; X: number; Y: number; list: Int32Array } | null;
  readonly nanA: Uint8Array;
  readonly nanB: Uint8Array;
  /** GemmKernelOptions.causalC: outputs j > i are +0. */
  readonly causalC: boolean;
}

class Kernel implements GemmKernel {
  private epoch = 0;
  /** Cleared when the engine fails the i8 path's self-test (then the i16 path is used). */
  i8ok = true;
  private readonly MR: number;
  private readonly NR: number;
  private readonly MRF: number;
  private readonly NRF: number;
  readonly fixed: FixedKernel;

  constructor(
    private readonly e: GemmExports,
    readonly flavor: GemmFlavor,
  ) {
    this.fixed = new FixedOps(e, () => {
      this.epoch++; // the fixed ops reuse the memory a plan lives in
    });
    this.MR = e.geometry(0);
    this.NR = e.geometry(1);
    this.MRF = e.geometry(2);
    this.NRF = e.geometry(3);
  }

  gemm(a: Encoded, b: Encoded, opts: GemmKernelOptions): Float32Array {
    return this.run(this.prepare(a, b, opts));
  }

  private alloc(bytes: number): number {
    const p = this.e.alloc(Math.max(16, bytes));
    if (p === 0) throw new GemmKernelError(`the GEMM kernel could not grow its memory by ${bytes} bytes`);
    return p;
  }

  prepare(a: Encoded, b: Encoded, opts: GemmKernelOptions): GemmPlan {
    const p = gemmProblem(a, b, opts); // throws the twin's FormatErrors
    const forced = opts.path;
    if (forced !== undefined && forced !== 'i8' && forced !== 'i16' && forced !== 'f64' && forced !== 'exact') {
      throw new GemmKernelError(`unknown GEMM path ${JSON.stringify(forced)}: one of i8, i16, f64, exact`);
    }
    this.e.reset();
    const epoch = ++this.epoch;
    const alloc = (bytes: number) => this.alloc(bytes);
    const sa = opts.cacheA ? cachedStats(this.e, alloc, a, p.a, p.block, p.nBlocks) : opStats(this.e, alloc, p.a, p.block, p.nBlocks);
    const sb = opts.cacheB ? cachedStats(this.e, alloc, b, p.b, p.block, p.nBlocks) : opStats(this.e, alloc, p.b, p.block, p.nBlocks);
    return this.planFor(p, sa, sb, opts, epoch);
  }

  /** Choose the path for operands whose statistics are made (and codes resident or resident()-able) and pack them. */
  private planFor(p: ReturnType<typeof gemmProblem>, sa: OpStats, sb: OpStats, opts: GemmKernelOptions, epoch: number): Plan {
    const forced = opts.path;
    const { M, N, K } = p;
    const nanA = p.a.nanRows;
    const nanB = p.b.nanRows;
    const causalC = opts.causalC === true;

    if (forced === 'exact') {
      const pairs = this.pairList(sa, sb, null, null);
      const info: GemmPlanInfo = { path: 'exact', swapped: false, M, N, K, segments: 1, segmentLength: K, exactOutputs: M * N };
      const plan: Plan = { epoch, nanA, nanB, causalC, info, exec: () => {}, collect: () => {}, pairs, c: undefined };
      return plan;
    }

    // Integer paths. The i32 lane sums wrap modulo 2^32, so only the segment's true sum must fit:
    // len·max|x|·max|y| < 2^31. The i8 path's i7 operand is y + β with β = max|y| ≤ 63.
    const lane = (len: number, mx: number, my: number) => len * mx * my < 2 ** 31;
    let choice: { path: 'i8' | 'i16'; swapped: boolean; seg: IntChoice } | null = null;
    if ((forced === undefined || forced === 'i8') && this.flavor === 'relaxed' && this.i8ok) {
      const ab = chooseSegments(sa, sb, 127, 63, lane);
      const ba = chooseSegments(sb, sa, 127, 63, lane);
      const pick = (c: IntChoice | null) => (c ? c.x.nseg * 64 - i8Depth(c) : Infinity); // fewer segments, then deeper i16 sums
      const best = ab && pick(ab) <= pick(ba) ? { seg: ab, swapped: false } : ba ? { seg: ba, swapped: true } : null;
      // depth < 3 runs no faster than the i16 path on the machines measured (README)
      if (best && (forced === 'i8' || i8Depth(best.seg) >= 3)) choice = { path: 'i8', ...best };
    }
    if (forced === undefined || forced === 'i16') {
      const c16 = chooseSegments(sa, sb, 32767, 32767, lane);
      if (c16 && (!choice || c16.x.nseg < choice.seg.x.nseg)) choice = { path: 'i16', swapped: false, seg: c16 };
    }
    if (forced === 'i8' && (this.flavor !== 'relaxed' || !this.i8ok)) throw new GemmKernelError('the i8 path needs the relaxed-SIMD build (and an engine that passed its self-test)');
    if ((forced === 'i8' || forced === 'i16') && !choice) throw new GemmKernelError(`the ${forced} path cannot take these operands exactly (codes too wide for its lanes)`);

    if (choice) {
      const { path, swapped, seg } = choice;
      const [sx, sy] = swapped ? [sb, sa] : [sa, sb];
      const pairs = seg.x.nseg > 1 ? this.pairList(sa, sb, rowWidths(sa), rowWidths(sb)) : null;
      // the kernels' tiles run over x's rows: the triangle skips need x = A
      const lowA = !swapped && opts.lowerA === true && zeroAboveDiagonal(sa);
      const upperC = !swapped && opts.causalC === true;
      const run = this.packInt(path, sx, sy, seg, lowA, upperC);
      const info: GemmPlanInfo = { path, swapped, M, N, K, segments: seg.x.nseg, segmentLength: seg.x.len, exactOutputs: pairs?.count ?? 0 };
      const plan: Plan = { epoch, nanA, nanB, causalC, info, exec: run.exec, collect: (out) => run.collect(out, swapped, M, N), pairs, c: run.c };
      return plan;
    }

    const pairs = this.pairList(sa, sb, rowWidths(sa), rowWidths(sb));
    const run = this.packF64(sa, sb);
    const info: GemmPlanInfo = { path: 'f64', swapped: false, M, N, K, segments: 1, segmentLength: K, exactOutputs: pairs?.count ?? 0 };
    const plan: Plan = { epoch, nanA, nanB, causalC, info, exec: run.exec, collect: (out) => run.collect(out, false, M, N), pairs, c: run.c };
    return plan;
  }

  gemmFix(a: Encoded, b: Encoded, opts: GemmKernelOptions, act: ActFormat, values = true, into?: Int32Array): { values?: Float32Array; ints: Int32Array } {
    checkAct(act);
    return this.fixPlan(this.prepare(a, b, opts) as Plan, act, values, into);
  }

  /** fix() of a prepared plan's results (gemmFix after prepare). */
  private fixPlan(pl: Plan, act: ActFormat, values: boolean, into?: Int32Array): { values?: Float32Array; ints: Int32Array } {
    const { M, N } = pl.info;
    if (!direct(pl)) {
      // patched outputs, fixed here as fixed.fix does (fixInt per element, the values in place) but
      // without resetting the module: a call's later plans (plansOn) still live in its memory
      const y = this.run(pl);
      const ints = into && into.length === y.length ? into : new Int32Array(y.length);
      const u = 2 ** -act.f;
      for (let i = 0; i < y.length; i++) {
        ints[i] = fixInt(y[i], act);
        y[i] = ints[i] * u;
      }
      return values ? { values: y, ints } : { ints };
    }
    const n = M * N;
    const dI = this.alloc(n * 4);
    const dF = values ? this.alloc(n * 4) : 0;
    this.execFix(pl, act, dI, dF);
    const buf = this.e.memory.buffer;
    const iv = new Int32Array(buf, dI, n);
    const ints = into && into.length === n ? (into.set(iv), into) : iv.slice();
    return values ? { ints, values: new Float32Array(buf, dF, n).slice() } : { ints };
  }

  /** Run a direct plan and fix() its C in kernel memory: the ACT integers to dI and (dF ≠ 0) their float32 values to dF. */
  private execFix(pl: Plan, act: ActFormat, dI: number, dF: number): void {
    const { M, N } = pl.info;
    pl.exec();
    if (pl.causalC) {
      // the rest of the triangle (tiles that straddle the diagonal were computed whole)
      const c = new Float32Array(this.e.memory.buffer, pl.c!.ptr, M * pl.c!.ldc);
      for (let i = 0; i < M && i + 1 < N; i++) c.fill(0, i * pl.c!.ldc + i + 1, i * pl.c!.ldc + N);
    }
    this.e.fxFixRows(pl.c!.ptr, M, N, pl.c!.ldc, act.f, actMax(act), dI, dF);
  }

  softmaxGemmCovers(T: number, C: number, pSpec: FormatSpec): boolean {
    // the fixed-point kernel's softmax range (FixedOps.causalSoftmax), and P's encoding as encodeGemmFix's
    return Number.isInteger(T) && T >= 1 && Number.isInteger(C) && C >= 1 && C < 2 ** 25 && this.encodeGemmCovers(pSpec);
  }

  softmaxGemmFix(s: Int32Array, T: number, C: number, act: ActFormat, pSpec: FormatSpec, v: Encoded, vLayout: 'NK' | 'KN', into?: Int32Array): SoftmaxGemmFix | null {
    checkAct(act);
    if (s.length !== T * T || !this.softmaxGemmCovers(T, C, pSpec)) return null;
    const epoch = this.beginFused(T, pSpec as BlockSpec, v.mantissas.length);
    const ps = this.alloc(T * T * 4);
    new Int32Array(this.e.memory.buffer, ps, T * T).set(s);
    return this.pvFix(this.softmaxPvAt(ps, T, C, act, pSpec as BlockSpec, v, vLayout, epoch), act, into);
  }

  /** A fused call's P·V plan fixed into ACT integers (copied out to `into` when given), with P's statistics. */
  private pvFix(r: PvPlan, act: ActFormat, into?: Int32Array): SoftmaxGemmFix {
    const { ints } = this.fixPlan(r.plan, act, false, into);
    return { ints, sig: r.sig, err: r.err, counts: r.counts };
  }

  attentionFix(q: Encoded, k: Encoded, T: number, C: number, act: ActFormat, pSpec: FormatSpec, v: Encoded, vLayout: 'NK' | 'KN', into?: Int32Array): SoftmaxGemmFix | null {
    checkAct(act);
    if (!this.softmaxGemmCovers(T, C, pSpec)) return null;
    const p = gemmProblem(q, k, SCORES); // throws the twin's FormatErrors
    if (p.M !== T || p.N !== T) throw new GemmKernelError(`attentionFix: Q·Kᵀ is ${p.M}×${p.N}, not ${T}×${T}`);
    const epoch = this.beginFused(T, pSpec as BlockSpec, v.mantissas.length + q.mantissas.length + k.mantissas.length);
    return this.pvFix(this.attentionAt(p, undefined, undefined, T, C, act, pSpec as BlockSpec, v, vLayout, undefined, epoch), act, into);
  }

  /** attentionFix's steps after its checks: Q·Kᵀ (codes in kernel memory at qAt, kAt when given), its fix into the softmax's input, then softmaxPvAt. */
  private attentionAt(p: ReturnType<typeof gemmProblem>, qAt: InModule | undefined, kAt: InModule | undefined, T: number, C: number, act: ActFormat, spec: BlockSpec, v: Encoded, vLayout: 'NK' | 'KN', vAt: InModule | undefined, epoch: number): PvPlan {
    const e = this.e;
    const alloc = (bytes: number) => this.alloc(bytes);
    const sa = opStats(e, alloc, p.a, p.block, p.nBlocks, qAt?.pm, qAt?.stats);
    const sb = opStats(e, alloc, p.b, p.block, p.nBlocks, kAt?.pm, kAt?.stats);
    // the scores' ACT integers (the softmax's input), as gemmFix makes them (masked triangle +0)
    const ps = this.fixAt(this.planFor(p, sa, sb, SCORES, epoch), act);
    return this.softmaxPvAt(ps, T, C, act, spec, v, vLayout, epoch, vAt);
  }

  attentionLayerFix(q: Int32Array, k: Int32Array, v: Int32Array, T: number, H: number, Hk: number, hd: number, C: number, act: ActFormat, f: AttentionFormats, onHead: (h: number, r: AttentionHead) => void, out?: Int32Array): AttentionLayer | null {
    checkAct(act);
    const e = this.e;
    if (!e.colsI32 || !e.colsTI32 || !e.setColsI32 || !e.mark || !e.release) return null;
    if (!(Number.isInteger(H) && Number.isInteger(Hk) && Number.isInteger(hd) && H >= 1 && Hk >= 1 && hd >= 1 && H % Hk === 0)) return null;
    if (q.length !== T * H * hd || k.length !== T * Hk * hd || v.length !== T * Hk * hd) return null;
    if (!this.softmaxGemmCovers(T, C, f.pa) || !this.encodeGemmCovers(f.qa) || !this.encodeGemmCovers(f.qb) || !this.encodeGemmCovers(f.pb)) return null;
    e.reset();
    this.epoch++;
    // the layer's tensors and the encodings of K and V stay for the whole call (per element: ACT
    // integers, their gathered copy, dequantized values, codes, datapath view: ≤ 30 B); each head's
    // scratch (Q_h, the scores, P and the plans, as beginFused reserves) is released after the head
    const spec = f.pa as BlockSpec;
    const elemBytes = spec.kind === 'mx' ? 1 : 2;
    const n = T * T;
    const head = n * (32 + elemBytes) + T * 16 + 4096 * 8 + T * hd * 3 * 32 + T * Math.ceil(T / spec.block) * 32 + (1 << 20);
    this.alloc((q.length + 2 * k.length) * 32 + head + (1 << 20));
    e.reset();
    const alloc = (bytes: number) => this.alloc(bytes);
    const load = (x: Int32Array) => {
      const ptr = alloc(x.length * 4);
      new Int32Array(e.memory.buffer, ptr, x.length).set(x);
      return ptr;
    };
    const pq = load(q);
    const pk = load(k);
    const pv = load(v);
    // K per kv head, then V_gᵀ [hd, T] along T (its sums must be order-free: encodeMeasuredActRows' rule)
    const ks: InModule[] = [];
    for (let g = 0; g < Hk; g++) {
      const at = alloc(T * hd * 4);
      e.colsI32(pk, T, Hk * hd, g * hd, hd, at);
      ks.push(this.encodeAt(at, T, hd, act.f, f.qb as BlockSpec));
    }
    const vs: InModule[] = [];
    for (let g = 0; g < Hk; g++) {
      const at = alloc(T * hd * 4);
      e.colsTI32(pv, T, Hk * hd, g * hd, hd, at);
      const r = this.encodeAt(at, hd, T, act.f, f.pb as BlockSpec);
      if (!r.exact) return null; // the caller takes the ops one by one (nothing was reported)
      vs.push(r);
    }
    const po = alloc(q.length * 4); // the heads' outputs side by side, [T, H·hd]
    const mark = e.mark();
    const rep = H / Hk;
    const codes = (r: InModule) => ({ ...r.enc, mantissas: new Float64Array(e.memory.buffer, r.pm, r.enc.layout.numel) }) as Encoded; // a view made now (earlier ones detach if memory grew)
    for (let h = 0; h < H; h++) {
      e.release(mark);
      const epoch = ++this.epoch;
      const at = alloc(T * hd * 4);
      e.colsI32(pq, T, H * hd, h * hd, hd, at);
      const qr = this.encodeAt(at, T, hd, act.f, f.qa as BlockSpec);
      const g = Math.floor(h / rep);
      const p = gemmProblem(codes(qr), codes(ks[g]), SCORES); // throws the twin's FormatErrors
      const r = this.attentionAt(p, qr, ks[g], T, C, act, spec, codes(vs[g]), 'NK', vs[g], epoch);
      e.setColsI32(this.fixAt(r.plan, act), T, H * hd, h * hd, hd, po);
      onHead(h, { p: { sig: r.sig, err: r.err, counts: r.counts }, q: stats(qr) });
    }
    const iv = new Int32Array(e.memory.buffer, po, q.length);
    const ints = out && out.length === q.length ? (out.set(iv), out) : iv.slice();
    return { ints, k: ks.map(stats), v: vs.map(stats) };
  }

  /** A fused call's start: reset, a new epoch, and the memory it will use reserved (so it grows, and views detach, only here). */
  private beginFused(T: number, spec: BlockSpec, operandCodes: number): number {
    const e = this.e;
    e.reset();
    const epoch = ++this.epoch;
    const n = T * T;
    const elemBytes = spec.kind === 'mx' ? 1 : 2;
    // per score/P element: the scores' C and integers (8), P's integers/values, decoded values and
    // codes (8 + elemBytes), its float64 codes (8), packed tiles (≤ 4, i16), slack (4); the other
    // operands' codes, statistics and panels; per-block statistics of P. Reserving too little costs
    // speed, never bits: a view made before the memory grew reads as empty, and zeroAboveDiagonal then
    // declines the lowerA skip.
    this.alloc(n * (32 + elemBytes) + T * 16 + 4096 * 8 + operandCodes * 32 + T * Math.ceil(T / spec.block) * 32 + (1 << 20));
    e.reset();
    return epoch;
  }

  /** softmaxGemmFix from ACT scores already at ps in kernel memory, up to P·V's plan (not yet run). */
  private softmaxPvAt(ps: number, T: number, C: number, act: ActFormat, spec: BlockSpec, v: Encoded, vLayout: 'NK' | 'KN', epoch: number, vAt?: InModule): PvPlan {
    const e = this.e;
    const n = T * T;
    const tab = exp2Table();
    const alloc = (bytes: number) => this.alloc(bytes);
    const pt = alloc(tab.length * 4);
    const pe = alloc(T * 4);
    const px = alloc(n * 4); // P: ACT integers from the softmax, then their float32 values in place
    new Int32Array(e.memory.buffer, pt, tab.length).set(tab);
    e.fxSoftmaxK(ps, 1, T, C, act.f, pt, pe, px);
    const { enc, pm, stats, sig, err, counts } = this.encodeAt(px, T, T, act.f, spec);
    const opts: GemmKernelOptions = { b: vLayout, lowerA: true };
    const p = gemmProblem(enc, v, opts);
    const sa = opStats(e, alloc, p.a, p.block, p.nBlocks, pm, stats);
    const sb = opStats(e, alloc, p.b, p.block, p.nBlocks, vAt?.pm, vAt?.stats);
    return { plan: this.planFor(p, sa, sb, opts, epoch), sig, err, counts };
  }

  /**
   * Encode rows×n ACT integers at px (fraction bits f; made float32 in place) along their rows in
   * `spec`, in kernel memory, as the quantize kernel's encodeAct with sums does: the codes' datapath
   * view at pm, the counts and Σx², Σ(x−q)² in index order. The Encoded's codes are that view
   * (valid until the next reset), its elements and scale codes are left empty.
   */
  private encodeAt(px: number, rows: number, n: number, f: number, spec: BlockSpec): InModule {
    const q = this.e as GemmExports & QuantExports;
    const lut = mantissaTable(spec);
    const numel = rows * n;
    const b = spec.block;
    const nbRow = Math.ceil(n / b);
    const elemBytes = spec.kind === 'mx' ? 1 : 2;
    const po = this.alloc(numel * 4);
    const pel = this.alloc(numel * elemBytes);
    const psc = this.alloc(rows * nbRow);
    const pm = this.alloc(numel * 8);
    const pl = this.alloc(lut.mag.length * 8);
    const pc = this.alloc(16);
    const pa = this.alloc(40);
    const nBlk = rows * nbRow;
    const pmx = this.alloc(nBlk * 8);
    const por = this.alloc(nBlk * 4);
    const pex = this.alloc(nBlk * 8);
    let buf = q.memory.buffer;
    new Float64Array(buf, pl, lut.mag.length).set(lut.mag);
    new Uint8Array(buf, pc, 16).fill(0);
    new Uint8Array(buf, pa, 40).fill(0);
    q.act_to_f32(px, numel, f);
    blockQuantizeCall(q, spec, pc)(px, po, pel, psc, rows, n, b);
    // the view with its GEMM block statistics (opStats then skips blockStats) and unit exponents
    q.datapath_view(pel, elemBytes, psc, rows, n, b, lut.nanCode, pl, pm, lut.mag.length, pmx, por, pex, lut.unitOff);
    q.measure_sums_act(px, po, numel, f, pa);
    buf = q.memory.buffer;
    const cnt = new Uint32Array(buf, pc, 4);
    const counts: QuantCounts = { saturated: cnt[0], underflow: cnt[1], nanBlocks: cnt[2], flushedBlocks: cnt[3] };
    const acc = new Float64Array(buf, pa, 2);
    const unitExp = new Float64Array(buf, pex, nBlk).slice();
    const enc = {
      spec, layout: makeLayout([rows, n], numel, 1, b, 1), elements: new Uint32Array(0), elemBits: elementBits(spec), scales: new Uint32Array(0),
      scaleBits: scaleBitsOf(spec), mantissas: new Float64Array(buf, pm, numel), unitExp, tensorScale: undefined, counts,
    } as Encoded;
    const stats = { maxc: pmx, orc: por, block: b };
    return { enc, pm, stats, sig: acc[0], err: acc[1], counts, exact: new Int32Array(buf, pa + 32, 1)[0] === 0 };
  }

  encodeGemmCovers(spec: FormatSpec): boolean {
    const e = this.e;
    // the quantize kernel's encode path compiled in, and its direct path with the datapath view
    if (!e.mx_quantize || !e.int_quantize || !e.datapath_view || !e.measure_sums_act || !e.act_to_f32) return false;
    return !!spec && isBlockSpec(spec) && (spec.tileRows ?? 1) === 1 && mantissaTable(spec).mag.length <= 4096;
  }

  encodeGemmFix(x: Int32Array, M: number, K: number, spec: FormatSpec, w: Encoded, opts: GemmKernelOptions, act: ActFormat, values = true, into?: Int32Array): EncodeGemmFix | null {
    if (opts.path !== undefined || opts.lowerA || opts.causalC || opts.cacheA) throw new GemmKernelError('encodeGemmFix takes b and cacheB only');
    const r = this.encodeGemmsFix(x, M, K, spec, [{ w, values, into }], opts, act);
    return r && { ...r.outs[0], sig: r.sig, err: r.err, counts: r.counts };
  }

  encodeGemmsFix(x: Int32Array, M: number, K: number, spec: FormatSpec, gemms: readonly EncodedGemm[], opts: GemmKernelOptions, act: ActFormat, norm?: FxNormParams): EncodeGemmsFix | null {
    if (opts.path !== undefined || opts.lowerA || opts.causalC || opts.cacheA) throw new GemmKernelError('encodeGemmsFix takes b and cacheB only');
    const got = this.encodeIn(x, M, K, spec, act, gemms.map((g) => g.w), opts, norm);
    if (!got) return null;
    const { r, epoch } = got;
    const e = this.e;
    const alloc = (bytes: number) => this.alloc(bytes);
    const plans = this.plansOn(r, M, K, gemms.map((g) => g.w), opts, epoch);
    const outs = gemms.map(({ values, into, residual }, i) => {
      const pl = plans[i];
      if (!residual) return this.fixPlan(pl, act, values ?? true, into);
      // the residual add after the GEMM (FixedOps.add: sat(a + b), the same either way round)
      const n = pl.info.M * pl.info.N;
      if (residual.length !== n) throw new GemmKernelError(`encodeGemmsFix: the residual has ${residual.length} elements, the GEMM's output ${n}`);
      const y = this.fixAt(pl, act);
      const pr = alloc(n * 4);
      const ps = alloc(n * 4);
      new Int32Array(e.memory.buffer, pr, n).set(residual);
      e.fxAddK(y, pr, n, actMax(act), ps);
      const iv = new Int32Array(e.memory.buffer, ps, n);
      return { ints: into && into.length === n ? (into.set(iv), into) : iv.slice() };
    });
    return { outs, sig: r.sig, err: r.err, counts: r.counts };
  }

  encodeGluFix(x: Int32Array, M: number, K: number, spec: FormatSpec, gate: Encoded, up: Encoded, opts: GemmKernelOptions, act: ActFormat, upFirst: boolean, into?: Int32Array, norm?: FxNormParams): EncodeGluFix | null {
    if (opts.path !== undefined || opts.lowerA || opts.causalC || opts.cacheA) throw new GemmKernelError('encodeGluFix takes b and cacheB only');
    const width = (w: Encoded) => (opts.b === 'KN' ? w.layout?.shape[1] : w.layout?.shape[0]);
    if (width(gate) !== width(up)) throw new GemmKernelError(`encodeGluFix: gate and up have different widths (${width(gate)} and ${width(up)})`);
    const got = this.encodeIn(x, M, K, spec, act, [gate, up], opts, norm); // checkAct: f ≥ 5, where FixedOps runs SiLU on the kernel
    if (!got) return null;
    const { r, epoch } = got;
    const e = this.e;
    const alloc = (bytes: number) => this.alloc(bytes);
    const [pg, pu] = this.plansOn(r, M, K, [gate, up], opts, epoch).map((pl) => this.fixAt(pl, act));
    const n = M * width(gate)!;
    // SiLU(gate) then the product with up, as FixedOps.activation and FixedOps.mul compute them
    const tab = sigmoidTable();
    const pt = alloc(tab.length * 4);
    const ps = alloc(n * 4);
    const py = alloc(n * 4);
    new Int32Array(e.memory.buffer, pt, tab.length).set(tab);
    e.fxSiluK(pg, n, act.f, pt, CDF_N, ps);
    if (upFirst) e.fxMulK(pu, ps, n, act.f, actMax(act), py);
    else e.fxMulK(ps, pu, n, act.f, actMax(act), py);
    const iv = new Int32Array(e.memory.buffer, py, n);
    const ints = into && into.length === n ? (into.set(iv), into) : iv.slice();
    return { ints, sig: r.sig, err: r.err, counts: r.counts };
  }

  /** A plan's fix() as ACT integers in kernel memory (gemmFix's integers, left in the module): their address. */
  private fixAt(pl: Plan, act: ActFormat): number {
    const { M, N } = pl.info;
    const dI = this.alloc(M * N * 4);
    if (direct(pl)) this.execFix(pl, act, dI, 0);
    else {
      const y = this.run(pl); // patched outputs (FixedOps.fix would reset the memory this call still uses)
      const iv = new Int32Array(this.e.memory.buffer, dI, y.length);
      for (let i = 0; i < y.length; i++) iv[i] = fixInt(y[i], act);
    }
    return dI;
  }

  /**
   * The plans of encoding r (in kernel memory, M×K) times each weight, operands packed: A's
   * statistics, segmentations and packed tiles made once and shared (per K block length, which each
   * weight's format fixes).
   */
  private plansOn(r: InModule, M: number, K: number, ws: readonly Encoded[], opts: GemmKernelOptions, epoch: number): Plan[] {
    const e = this.e;
    const alloc = (bytes: number) => this.alloc(bytes);
    let sa: OpStats | undefined;
    return ws.map((w) => {
      const enc = { ...r.enc, mantissas: new Float64Array(e.memory.buffer, r.pm, M * K) } as Encoded; // a view made now (an earlier one detaches if memory grew)
      const p = gemmProblem(enc, w, opts); // throws the twin's FormatErrors
      if (!sa || sa.block !== p.block) sa = Object.assign(opStats(e, alloc, p.a, p.block, p.nBlocks, r.pm, r.stats), { packedAt: new Map() });
      const sb = opts.cacheB ? cachedStats(e, alloc, w, p.b, p.block, p.nBlocks) : opStats(e, alloc, p.b, p.block, p.nBlocks);
      return this.planFor(p, sa, sb, opts, epoch);
    });
  }

  /** The start of encodeGemm(s)Fix: checks, reset, memory reserved, x copied in and encoded there; null when not covered. */
  private encodeIn(x: Int32Array, M: number, K: number, spec: FormatSpec, act: ActFormat, ws: readonly Encoded[], opts: GemmKernelOptions, norm?: FxNormParams): { r: InModule; epoch: number } | null {
    checkAct(act);
    if (!(Number.isInteger(M) && M >= 1 && Number.isInteger(K) && K >= 1) || !(x instanceof Int32Array) || x.length !== M * K || !this.encodeGemmCovers(spec)) return null;
    const nk = norm ? rmsNormKernelArgs(x.length, M, K, norm, act) : null;
    if (norm && !nk) return null;
    const e = this.e;
    e.reset();
    const epoch = ++this.epoch;
    // x's integers, float32 values, dequantized values, codes (≤ 2 B), datapath view and packed
    // tiles (≤ 4 B, per GEMM); the weights' panels; C, the integers and values out; statistics;
    // slack. Too little costs speed only (the memory grows on demand).
    const numel = M * K;
    let bytes = numel * 22 + (1 << 20);
    for (const w of ws) bytes += numel * 4 + w.mantissas.length * 4 + (M + 8) * ((opts.b === 'KN' ? w.layout.shape[1] : w.layout.shape[0]) + 8) * 12;
    this.alloc(bytes);
    e.reset();
    let px = this.alloc(numel * 4);
    new Int32Array(e.memory.buffer, px, numel).set(x);
    if (norm && nk) {
      // x is the norm's input: RMSNorm here, as FixedOps.rmsNorm computes it
      const pw = this.alloc(K * 4);
      const py = this.alloc(numel * 4);
      new Int32Array(e.memory.buffer, pw, K).set(norm.w);
      e.fxRmsNormK(px, M, K, pw, nk.DE, nk.h, nk.s2, actMax(act), py);
      px = py;
    }
    return { r: this.encodeAt(px, M, K, act.f, spec as BlockSpec), epoch };
  }

  run(plan: GemmPlan): Float32Array {
    const pl = plan as Plan;
    if (pl.epoch !== this.epoch) throw new GemmKernelError('this GEMM plan was superseded by a later prepare() or gemm() on the same kernel');
    const { M, N } = pl.info;
    const out = new Float32Array(M * N);
    pl.exec();
    pl.collect(out);
    const pr = pl.pairs;
    if (pr && pr.count > 0) {
      this.e.exactPairs(pr.count, pr.ptr, pl.info.K, pr.X, pr.Y, pr.res);
      const res = new Float32Array(this.e.memory.buffer, pr.res, pr.count);
      for (let n = 0; n < pr.count; n++) out[pr.list[2 * n] * N + pr.list[2 * n + 1]] = res[n];
    }
    for (let i = 0; i < M; i++) if (pl.nanA[i]) out.fill(NaN, i * N, (i + 1) * N);
    for (let j = 0; j < N; j++) if (pl.nanB[j]) for (let i = 0; i < M; i++) out[i * N + j] = NaN;
    if (pl.causalC) for (let i = 0; i < M && i + 1 < N; i++) out.fill(0, i * N + i + 1, (i + 1) * N);
    return out;
  }

  /**
   * The outputs the exact superaccumulator must compute: all of them (wa = null), or those whose
   * row widths break the f64 bound. Packs both operands' exact values as f64 rows when any.
   */
  private pairList(sa: OpStats, sb: OpStats, wa: Int32Array | null, wb: Int32Array | null): { count: number; ptr: number; res: number; X: number; Y: number; list: Int32Array } | null {
    const { rows: M, K } = sa;
    const N = sb.rows;
    const logK = Math.ceil(Math.log2(K));
    let list: Int32Array;
    if (!wa || !wb) {
      list = new Int32Array(2 * M * N);
      for (let i = 0, n = 0; i < M; i++) {
        for (let j = 0; j < N; j++, n += 2) {
          list[n] = i;
          list[n + 1] = j;
        }
      }
    } else {
      let maxA = -1;
      let maxB = -1;
      for (let i = 0; i < M; i++) if (!sa.op.nanRows[i]) maxA = Math.max(maxA, wa[i]);
      for (let j = 0; j < N; j++) if (!sb.op.nanRows[j]) maxB = Math.max(maxB, wb[j]);
      if (maxA < 0 || maxB < 0 || maxA + maxB + logK <= 53) return null;
      const tmp: number[] = [];
      for (let i = 0; i < M; i++) {
        if (sa.op.nanRows[i] || wa[i] < 0) continue;
        for (let j = 0; j < N; j++) {
          if (sb.op.nanRows[j] || wb[j] < 0) continue;
          if (wa[i] + wb[j] + logK > 53) tmp.push(i, j);
        }
      }
      if (tmp.length === 0) return null;
      list = Int32Array.from(tmp);
    }
    const count = list.length / 2;
    // only the rows that some pair reads get their values (a skip mask in place of the NaN mask)
    const skipA = new Uint8Array(M).fill(1);
    const skipB = new Uint8Array(N).fill(1);
    for (let n = 0; n < list.length; n += 2) {
      skipA[list[n]] = sa.op.nanRows[list[n]];
      skipB[list[n + 1]] = sb.op.nanRows[list[n + 1]];
    }
    const ptr = this.alloc(list.length * 4);
    const res = this.alloc(count * 4);
    const X = this.alloc(M * K * 8);
    const Y = this.alloc(N * K * 8);
    const mA = this.alloc(M);
    const mB = this.alloc(N);
    const buf = this.e.memory.buffer;
    new Int32Array(buf, ptr, list.length).set(list);
    new Float64Array(buf, X, M * K).fill(0);
    new Float64Array(buf, Y, N * K).fill(0);
    new Uint8Array(buf, mA, M).set(skipA);
    new Uint8Array(buf, mB, N).set(skipB);
    sa.resident();
    sb.resident();
    this.e.packValues(sa.src, M, K, sa.block, mA, sa.exPtr, 1, X);
    this.e.packValues(sb.src, N, K, sb.block, mB, sb.exPtr, 1, Y);
    return { count, ptr, res, X, Y, list };
  }

  /** Pack X (broadcast rows) and Y (panel columns) for gemmI16 / gemmI8. */
  private packInt(path: 'i8' | 'i16', sx: OpStats, sy: OpStats, seg: IntChoice, lowA = false, upperC = false) {
    const { MR, NR } = this;
    const step = path === 'i8' ? 4 : 2;
    const { len, nseg } = seg.x;
    const segSteps = Math.ceil(len / step);
    const kSteps = nseg * segSteps;
    const tiles = Math.ceil(sx.rows / MR);
    const panels = Math.ceil(sy.rows / NR);
    const eb = path === 'i8' ? 1 : 2; // bytes per code
    const ldc = panels * NR;
    const beta = path === 'i8' ? i8Beta(seg) : 0;
    const depth = path === 'i8' ? i8Depth(seg) : 0;
    // an operand several plans of one call read in the x role (packedAt) keeps its packed tiles where they are
    const xKey = `x|${path}|${len}|${beta}|${MR}|${lowA ? 1 : 0}`;
    const here = sx.packedAt?.get(xKey);
    const A = here ? here.A : this.alloc(tiles * kSteps * MR * step * eb);
    const B = this.alloc(panels * kSteps * NR * step * eb);
    const sA = here ? here.sA : this.alloc(tiles * nseg * MR * 8);
    const sB = this.alloc(panels * nseg * NR * 8);
    const corr = here ? here.corr : path === 'i8' ? this.alloc(tiles * nseg * MR * 4) : 0;
    const baseX = this.alloc(sx.rows * nseg * 4);
    const baseY = this.alloc(sy.rows * nseg * 4);
    const C = this.alloc(tiles * MR * ldc * 4);
    const e = this.e;
    const wide = path === 'i16' ? 1 : 0;
    const bBytes = panels * kSteps * NR * step * eb;
    const sBytes = panels * nseg * NR * 8;
    // a cached B (GemmKernelOptions.cacheB) in the y role keeps its packed panels per (path, segment length, β)
    const cache = (sy as OpStats & { cache?: CachedOperand }).cache;
    const packKey = `${path}|${len}|${beta}|${NR}`;
    const packed = cache?.packs.get(packKey);
    // a cached operand in the x role (cacheA, or a swapped cacheB) keeps its packed tiles the same way
    const cacheX = (sx as OpStats & { cache?: CachedOperand }).cache;
    const packedX = cacheX?.packs.get(xKey);
    const aBytes = tiles * kSteps * MR * step * eb;
    const saBytes = tiles * nseg * MR * 8;
    const corrBytes = corr ? tiles * nseg * MR * 4 : 0;
    if (!packedX && !here) sx.resident();
    if (!packed) sy.resident();
    const buf = this.e.memory.buffer;
    if (here) {
      // packed by an earlier plan of this call
    } else if (packedX) {
      new Uint8Array(buf, A, aBytes).set(packedX.B);
      new Uint8Array(buf, sA, saBytes).set(packedX.sB);
      if (corr) new Uint8Array(buf, corr, corrBytes).set(packedX.corr!);
    } else {
      new Uint8Array(buf, A, aBytes).fill(0);
      new Float64Array(buf, sA, tiles * nseg * MR).fill(0);
      if (corr) new Int32Array(buf, corr, tiles * nseg * MR).fill(0);
      new Int32Array(buf, baseX, sx.rows * nseg).set(seg.x.base);
      e.packCodes(sx.src, sx.rows, sx.K, sx.block, sx.nan, sx.exPtr, baseX, len, nseg, wide, MR, 0, A, sA, corr, beta, lowA ? 1 : 0);
      if (cacheX) cacheX.packs.set(xKey, { B: new Uint8Array(buf, A, aBytes).slice(), sB: new Uint8Array(buf, sA, saBytes).slice(), corr: corr ? new Uint8Array(buf, corr, corrBytes).slice() : undefined });
      sx.packedAt?.set(xKey, { A, sA, corr });
    }
    if (packed) {
      new Uint8Array(buf, B, bBytes).set(packed.B);
      new Uint8Array(buf, sB, sBytes).set(packed.sB);
    } else {
      new Uint8Array(buf, B, bBytes).fill(0);
      new Float64Array(buf, sB, panels * nseg * NR).fill(0);
      new Int32Array(buf, baseY, sy.rows * nseg).set(seg.y.base);
      // the i8 path stores y + β for every element, zeros included (padding stays 0: it faces x = 0)
      e.packCodes(sy.src, sy.rows, sy.K, sy.block, sy.nan, sy.exPtr, baseY, len, nseg, wide, NR, beta, B, sB, 0, 0, 0);
      if (cache) cache.packs.set(packKey, { B: new Uint8Array(buf, B, bBytes).slice(), sB: new Uint8Array(buf, sB, sBytes).slice() });
    }
    return {
      exec: () => {
        const la = lowA ? 1 : 0;
        const uc = upperC ? 1 : 0;
        if (path === 'i16') e.gemmI16(tiles, panels, nseg, segSteps, A, B, sA, sB, C, ldc, la, uc, len);
        else if (e.gemmI8(tiles, panels, nseg, segSteps, depth, A, B, corr, sA, sB, C, ldc, la, uc, len) !== 1) throw new GemmKernelError('the i8 path ran on a build without relaxed SIMD');
      },
      collect: (out: Float32Array, swapped: boolean, M: number, N: number) => readC(new Float32Array(e.memory.buffer, C, tiles * MR * ldc), ldc, out, swapped, M, N),
      c: { ptr: C, ldc },
    };
  }

  /** Pack exact f64 values for gemmF64: A [tiles][K][MRF], B [panels][K][NRF]. */
  private packF64(sa: OpStats, sb: OpStats) {
    const { MRF, NRF } = this;
    const K = sa.K;
    const tiles = Math.ceil(sa.rows / MRF);
    const panels = Math.ceil(sb.rows / NRF);
    const ldc = panels * NRF;
    const A = this.alloc(tiles * K * MRF * 8);
    const B = this.alloc(panels * K * NRF * 8);
    const C = this.alloc(tiles * MRF * ldc * 4);
    sa.resident();
    sb.resident();
    const buf = this.e.memory.buffer;
    new Float64Array(buf, A, tiles * K * MRF).fill(0);
    new Float64Array(buf, B, panels * K * NRF).fill(0);
    const e = this.e;
    e.packValues(sa.src, sa.rows, K, sa.block, sa.nan, sa.exPtr, MRF, A);
    e.packValues(sb.src, sb.rows, K, sb.block, sb.nan, sb.exPtr, NRF, B);
    return {
      exec: () => e.gemmF64(tiles, panels, K, A, B, C, ldc),
      collect: (out: Float32Array, swapped: boolean, M: number, N: number) => readC(new Float32Array(e.memory.buffer, C, tiles * MRF * ldc), ldc, out, swapped, M, N),
      c: { ptr: C, ldc },
    };
  }
}

/** A plan whose C needs nothing after the kernel (no exact outputs to patch, no NaN rows, not transposed): fix() can run on C in kernel memory. */
function direct(pl: Plan): boolean {
  return pl.c !== undefined && !pl.info.swapped && !(pl.pairs && pl.pairs.count > 0) && !pl.nanA.includes(1) && !pl.nanB.includes(1);
}

/** Copy the kernel's padded C (or its transpose) into out [M][N]. */
function readC(c: Float32Array, ldc: number, out: Float32Array, swapped: boolean, M: number, N: number): void {
  if (!swapped) {
    for (let i = 0; i < M; i++) out.set(c.subarray(i * ldc, i * ldc + N), i * N);
  } else {
    for (let j = 0; j < N; j++) for (let i = 0; i < M; i++) out[i * N + j] = c[j * ldc + i];
  }
}

/**
 * Load the GEMM kernel. `getBytes` fetches a build by file name ('gemm.simd.wasm' or
 * 'gemm.relaxed.wasm'); the caller decides the flavor (feature detection lives in the loader).
 */
export async function loadGemmKernel(getBytes: (file: string) => Promise<BufferSource>, flavor: GemmFlavor): Promise<GemmKernel> {
  if (flavor !== 'relaxed' && flavor !== 'simd') throw new GemmKernelError(`unknown kernel flavor ${JSON.stringify(flavor)}: 'relaxed' or 'simd'`);
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new GemmKernelError('WebAssembly is not available here');
  const file = `gemm.${flavor}.wasm`;
  let exports: Record<string, unknown>;
  try {
    const bytes = await getBytes(file);
    exports = (await wasm.instantiate(bytes, { env: { abort: () => {} } })).instance.exports;
  } catch (err) {
    throw new GemmKernelError(`could not load ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const e = exports as unknown as GemmExports & { _initialize?: () => void };
  e._initialize?.();
  const got = e.flavor();
  if (got !== (flavor === 'relaxed' ? 2 : 1)) throw new GemmKernelError(`${file} reports flavor ${got}, not the ${flavor} build`);
  const k = new Kernel(e, flavor);
  selfTest(k);
  return k;
}

/**
 * Run every path on a small problem and compare with the twin. An engine that miscomputes the
 * relaxed i8 path loses that path (the i16 path gives the same bits); any other mismatch means the
 * kernel cannot be trusted at all.
 */
function selfTest(k: Kernel): void {
  const xa = Float32Array.from({ length: 5 * 72 }, (_, i) => (((i * 37) % 23) - 11) * 2 ** ((i % 7) - 3));
  const xb = Float32Array.from({ length: 6 * 72 }, (_, i) => (((i * 29) % 19) - 9) * 2 ** ((i % 5) - 2));
  const a = encode('mxfp4', xa, [5, 72], 1);
  const b = encode('mxfp4', xb, [6, 72], 1);
  const want = new Uint32Array(blockGemm(a, b, { b: 'NK' }).buffer);
  const same = (path: GemmPath) => {
    const got = new Uint32Array(k.gemm(a, b, { b: 'NK', path }).buffer);
    return got.every((v, i) => v === want[i]);
  };
  if (k.flavor === 'relaxed' && !same('i8')) k.i8ok = false;
  for (const path of ['i16', 'f64', 'exact'] as const) {
    if (!same(path)) throw new GemmKernelError(`the GEMM kernel's ${path} path failed its self-test on this engine`);
  }
}
