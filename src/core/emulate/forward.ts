/**
 * The forward pass over the graph IR (src/core/graph): an interpreter that runs `graph.ops` in
 * order on float32 activations, quantizing at the quant points per the mode:
 *
 *  - fp32     no quantization.
 *  - fake     every quant point is quantized→dequantized with its resolved format, then the op runs
 *             in float (linear: x_q·W_qᵀ, + bias_q in float32; attention: Q_q·K_qᵀ, P_q·V_q).
 *  - integer  the hardware function (src/core/rtl/README.md, "The hardware numeric contract"): every
 *             activation is ACT fixed point (EmulatorOptions.act, default 24 bits with 14 fractional;
 *             held here as the float32 values of the ACT integers, which are exact). Linears and
 *             attention matmuls whose operands are both power-of-two block formats or fixed point are
 *             encoded and multiplied by the exact integer block GEMM (the twin in src/core/datapath,
 *             or the WASM kernel: the same bits), y = fix(f32(S)); a bias is added after, in ACT
 *             (sat(y + fix(b))). Other GEMMs take the fake path, their output fix()ed, and are
 *             reported in `fallbackOps`. Every other op is the fixed-point twin of
 *             src/core/datapath/fixed.ts (embedding = fix of the table, norms, RoPE, softmax with the
 *             attention scale inside — OPT's q scaling moves there too —, activations, products, adds).
 *
 * Quant points and their blocking axes (the reduction axis; tools/xcheck/model_ref.py is the
 * independent PyTorch twin of these definitions):
 *   linear  x [T, in] along in; w [out, in] along in (axis 1); bias [out] along its only axis.
 *   qk      a = Q of one head [T, hd] along hd; b = K of one kv head [T, hd] along hd (Kᵀ along axis 0).
 *   pv      a = P of one head [T, T] along the keys (masked entries are exact zeros); b = V of one
 *           kv head [T, hd] along T (axis 0: blocks start at position 0 of the window).
 * K and V are quantized once per kv head (GQA), before being shared by the query heads of the group.
 *
 * Numerics: GEMMs (fp32/fake) follow the float32 GEMM contract of src/core/datapath/f32gemm.ts
 * (float32 products summed in k order; the WASM kernel or linalg.ts's tsF32Gemm, same bits), full
 * products for attention too (P's masked entries are exact zeros). Other ops compute in float64 and
 * round once per output (linalg.ts). Scores are rounded to float32 and then × float32(headDim^-0.5)
 * (LLaMA, GPT-2); OPT follows HF: q_proj's output (bias included) is × float32(headDim^-0.5), so
 * qk.a sees the scaled q. Masked scores are 0 in the qk output of every mode.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import {
  actMax, attentionScaleConst, blockGemm, fxActivation, fxAdd, fxCausalSoftmax, fxEmbedding, fxLayerNorm, fxMul, fxNormParams, fxRmsNorm, fxRope, fxRopeTables, fxTable,
  type ActFormat, type F32Gemm, type F32GemmB, type FxNormParams, type FxRopeTables,
} from '../datapath';
import { FP32, FormatError, formatToString, type Encoded, type FormatSpec } from '../formats';
import type { Graph, Op, QuantPoint } from '../graph';
import { rmsNormKernelArgs, type AttentionFormats, type AttentionHead, type EncodeStats, type FixedKernel, type FloatKernel, type SoftmaxGemmFix } from '../kernels';
import type { LoadedModel, WeightTensor } from '../model/types';
import { activation, add, applyRope, causalSoftmax, columns, layerNorm, mul, rmsNorm, ropeTables, setColumns, tsF32Gemm } from './linalg';
import { addAcc, integerBlocker, Quantizer, WeightCache, type PointAcc } from './quant';
import { EmulatorError, type EmulatorKernels, type EvalMode } from './types';

/** What one forward run quantizes with. */
export interface RunSpec {
  readonly mode: EvalMode;
  /** Resolved format of every quant point (ignored in fp32 mode; a missing point is fp32). */
  readonly formats: ReadonlyMap<string, FormatSpec>;
}

export interface RunOptions {
  /** Start at decoder block `layer` (0..numLayers; numLayers = the final norm) from its cached input. */
  from?: { layer: number; input: Float32Array };
  /** Called with the output of every linear and attention matmul (after bias / scaling), in order. */
  trace?: (op: string, out: Float32Array) => void;
  /** Integer mode only: the hardware's view of every op and GEMM operand (see HwTrace). */
  hw?: HwTrace;
}

/**
 * What the RTL generator needs from a real run in integer mode (README "For the RTL generator").
 * Both callbacks are optional; they are called in graph order, synchronously, with arrays the
 * caller may keep (they are never mutated afterwards).
 */
export interface HwTrace {
  /**
   * Every op that runs, with its ACT inputs in `op.inputs` order and its ACT output, as ACT integers
   * (value = v · 2^−act.f), shaped as the graph's tensors: [T, features] row-major; attention scores
   * and probabilities [heads, T, T] (masked entries 0); the embedding's input is the token ids.
   */
  op?(op: Op, inputs: readonly Int32Array[], output: Int32Array): void;
  /**
   * Every GEMM operand that ran on the integer datapath, as encoded at its quant point
   * (`Encoded.elements` = codes, `Encoded.scales` = shared exponents): linear x [T, in] and w
   * [out, in] (index 0); qk.a = Q of head `index` [T, hd], qk.b = K of kv head `index` [T, hd];
   * pv.a = P of head `index` [T, T], pv.b = V of kv head `index` [T, hd] blocked along T.
   * Ops on the fake fallback path have no encoding and are not reported here.
   */
  operand?(point: QuantPoint, index: number, enc: Encoded): void;
}

export interface RunResult {
  /** [T, vocab] float32. */
  logits: Float32Array;
  /** The residual stream entering block l (index numLayers: entering the final norm), for l ≥ the start layer. */
  blockInputs: (Float32Array | undefined)[];
  /** Statistics of every quantized activation point run (weights are in `weights`). */
  acts: Map<string, PointAcc>;
  /** Weight/bias points run, with their cached statistics. */
  weights: Map<string, PointAcc>;
  /** Integer mode: ops that took the fake path. */
  fallback: Set<string>;
}

const isQuant = (s: FormatSpec | undefined): s is FormatSpec => s !== undefined && s.kind !== 'fp32';

/** Bytes of ACT arrays the forward pass keeps for reuse across runs (integer mode, no hardware trace). */
const POOL_BYTES = 64 * 2 ** 20;

/** 1.5 · 2^52: (v + M) − M rounds a double |v| < 2^51 to an integer, ties to even. */
const RNE_MAGIC = 6755399441055744;

/** The forward pass of one model (see the file comment). Holds the RoPE tables and the weight cache. */
export class Forward {
  readonly graph: Graph;
  /** Index in graph.ops of the first op of block l (l = numLayers: the first op after the blocks). */
  private readonly blockStart: number[];
  /** Tensor id of the residual stream entering block l (l = numLayers: entering the final norm). */
  readonly blockInputTensor: string[];
  private readonly q: Quantizer;
  /** The float32 GEMM of fp32/fake mode: the injected kernel or the TS implementation (same bits). */
  private readonly f32: F32Gemm;
  private rope: { T: number; cos: Float32Array; sin: Float32Array } | null = null;
  /** Integer mode: fixed-point tables derived from weights (embedding, positions, norm parameters, RoPE), by name. */
  private readonly fx = new Map<string, Int32Array | FxNormParams | FxRopeTables>();
  /** Integer mode: 2^f and 2^−f of the ACT format. */
  private readonly actScale: number;
  private readonly actUnit: number;
  /** Integer mode: actMax(act), the symmetric saturation bound. */
  private readonly actLim: number;
  /** Integer mode: the fixed-point ops on the integer GEMM kernel's module (same bits as fixed.ts), when loaded. */
  private readonly fxk: FixedKernel | undefined;
  /** fp32/fake mode: softmax and SiLU on the float GEMM kernel's module (same bits as linalg.ts), when loaded. */
  private readonly flk: FloatKernel | undefined;
  /**
   * Integer mode without a hardware trace: the ACT arrays of finished runs, by length, refilled as
   * the outputs of later runs (a fresh big typed array costs its page faults). At most POOL_BYTES.
   */
  private readonly ipool = new Map<number, Int32Array[]>();
  /** onlyReader's answers, by tensor. */
  private readonly readers = new Map<string, boolean>();
  /** readerCount's answers, by tensor. */
  private readonly nReaders = new Map<string, number>();
  /** soleReader's answers, by tensor. */
  private readonly sole = new Map<string, Op | undefined>();
  /** linearReaders' answers, by tensor. */
  private readonly linReaders = new Map<string, Op[]>();
  private ipoolBytes = 0;
  /**
   * fp32/fake mode without a trace: the float32 op outputs of finished runs (not their logits or
   * cached block inputs), by length, refilled as the outputs of later runs. At most POOL_BYTES.
   */
  private readonly fpool = new Map<number, Float32Array[]>();
  private fpoolBytes = 0;

  constructor(
    readonly model: LoadedModel,
    graph: Graph,
    private readonly kernels: EmulatorKernels,
    readonly weightCache: WeightCache,
    quantizer: Quantizer,
    /** The ACT fixed-point format of integer mode (validated by the caller: checkAct). */
    readonly act: ActFormat,
  ) {
    this.graph = graph;
    this.actScale = 2 ** act.f;
    this.actUnit = 2 ** -act.f;
    this.actLim = actMax(act);
    this.q = quantizer;
    this.f32 = kernels.f32gemm ?? tsF32Gemm;
    this.fxk = kernels.gemm?.fixed;
    this.flk = kernels.f32gemm?.float;
    const L = graph.config.numLayers;
    this.blockStart = [];
    this.blockInputTensor = [];
    const produced = new Map<string, number>(); // tensor → index of the op producing it
    graph.ops.forEach((o, i) => produced.set(o.output, i));
    for (let l = 0; l <= L; l++) {
      const start = l < L ? graph.ops.findIndex((o) => o.layer === l) : graph.ops.findIndex((o, i) => o.layer === null && i > 0 && graph.ops[i - 1].layer === L - 1);
      if (start < 0) throw new EmulatorError(`graph has no block ${l}`);
      // the tensors the rest of the graph reads that were produced before `start`: must be exactly one (the residual stream)
      const ext = new Set<string>();
      for (let i = start; i < graph.ops.length; i++) {
        for (const t of graph.ops[i].inputs) if ((produced.get(t) ?? -1) < start && t !== 'tokens') ext.add(t);
      }
      if (ext.size !== 1) throw new EmulatorError(`block ${l} reads ${ext.size} tensors from before it (${[...ext].join(', ')}); expected one residual stream`);
      this.blockStart.push(start);
      this.blockInputTensor.push([...ext][0]);
    }
  }

  /** A weight by canonical name; a tied LM head reads `embed` if the loader did not alias `head.w`. */
  private tensor(name: string): WeightTensor {
    const w = this.model.weights;
    if (name === 'head.w' && !w.has('head.w') && this.graph.config.tiedEmbeddings) return w.get('embed');
    return w.get(name);
  }

  private weight(name: string): Float32Array {
    return this.tensor(name).f32();
  }

  private ropeFor(T: number): { cos: Float32Array; sin: Float32Array } {
    const c = this.graph.config;
    if (!this.rope || this.rope.T < T) {
      const n = Math.max(T, Math.min(c.maxPositions, 4096));
      this.rope = { T: n, ...ropeTables(n, c.headDim, c.ropeTheta ?? 10000) };
    }
    // the tables are [positions, hd]: a prefix of length T is the table for T
    return this.rope;
  }

  /**
   * y = fix(f32(exact block GEMM)): the ACT integers and (`values`) their float32 values. `weight`:
   * b is a cached weight's encoding, so the kernel keeps its statistics and packed panels with it.
   */
  private intGemmFix(a: Encoded, b: Encoded, layout: 'NK' | 'KN', weight = false, wantValues = true, into?: Int32Array, causal?: 'lowerA' | 'causalC', sharedA = false): { values?: Float32Array; ints: Int32Array } {
    // causal: the kernel may skip P's zeros above its diagonal (lowerA: same results) or the score
    // tiles above the diagonal, which the caller masks to 0 anyway (causalC); sharedA: a will be
    // multiplied again (q/k/v, gate/up), so the kernel keeps its packed tiles with it
    if (this.kernels.gemm) return this.kernels.gemm.gemmFix(a, b, { b: layout, cacheB: weight, cacheA: sharedA, lowerA: causal === 'lowerA', causalC: causal === 'causalC' }, this.act, wantValues, into);
    const values = blockGemm(a, b, { b: layout });
    return { values, ints: this.fixAll(values) };
  }

  /** A recycled ACT array of length n to be overwritten entirely, if the pool has one (never while a hardware trace may hold arrays). */
  private take(n: number, x: Ctx): Int32Array | undefined {
    if (x.hw) return undefined;
    const a = this.ipool.get(n)?.pop();
    if (a) this.ipoolBytes -= a.byteLength;
    return a;
  }

  /**
   * fp32/fake mode: a recycled float32 array of length n that the caller overwrites entirely, if the
   * pool has one (never while a trace may hold arrays).
   */
  private takeF(n: number, x: Ctx): Float32Array | undefined {
    if (x.trace || x.spec.mode === 'integer') return undefined;
    const a = this.fpool.get(n)?.pop();
    if (a) this.fpoolBytes -= a.byteLength;
    return a;
  }

  /** fp32/fake mode: a float32 array of length n to overwrite, used only during the run (recycled at its end). */
  private tmpF(n: number, x: Ctx): Float32Array {
    const a = this.takeF(n, x) ?? new Float32Array(n);
    if (!x.trace && x.spec.mode !== 'integer') x.tmp.push(a);
    return a;
  }

  /** columns() of a float32 tensor into a run-local array (an attention head's Q, K or V). */
  private colsF(v: Float32Array, R: number, C: number, c0: number, w: number, x: Ctx): Float32Array {
    return columns(v, R, C, c0, w, this.tmpF(R * w, x));
  }

  /**
   * columns() of an ACT tensor (integer datapath: an attention head's Q, K or V, encoded from it and
   * then unused) into a recycled array, given back at the end of a run without a hardware trace.
   */
  private colsI(v: Int32Array, R: number, C: number, c0: number, w: number, x: Ctx): Int32Array {
    if (x.hw) return columns(v, R, C, c0, w);
    const a = columns(v, R, C, c0, w, this.take(R * w, x));
    x.itmp.push(a);
    return a;
  }

  /** colsI of every head at once: heads [R, w] from v [R, heads·w] in one pass over v (recycled arrays, as colsI). */
  private headsI(v: Int32Array, R: number, heads: number, w: number, x: Ctx): Int32Array[] {
    const out: Int32Array[] = [];
    for (let h = 0; h < heads; h++) {
      const a = x.hw ? new Int32Array(R * w) : (this.take(R * w, x) ?? new Int32Array(R * w));
      if (!x.hw) x.itmp.push(a);
      out.push(a);
    }
    const C = heads * w;
    for (let r = 0; r < R; r++) {
      for (let h = 0; h < heads; h++) {
        const a = out[h];
        for (let j = 0, i = r * C + h * w, o = r * w; j < w; j++) a[o + j] = v[i + j];
      }
    }
    return out;
  }

  /** colsI transposed: columns c0..c0+w of an ACT tensor [R, C] as [w, R] (V_gᵀ), in a recycled array given back at the end of the run. */
  private colsTI(v: Int32Array, R: number, C: number, c0: number, w: number, x: Ctx): Int32Array {
    const a = this.take(R * w, x) ?? new Int32Array(R * w);
    for (let r = 0; r < R; r++) {
      const o = r * C + c0;
      for (let j = 0; j < w; j++) a[j * R + r] = v[o + j];
    }
    if (!x.hw) x.itmp.push(a);
    return a;
  }

  /**
   * The end of an fp32/fake run without a trace: its op outputs are referenced by nothing but the
   * logits and the block inputs it returns (and the cached input it started from), which are kept.
   */
  private recycleFloats(x: Ctx, keep: Set<Float32Array>): void {
    if (x.trace || x.spec.mode === 'integer') return;
    for (const a of new Set([...x.env.values(), ...x.tmp])) {
      if (keep.has(a) || a.byteLength < 4096 || a.byteOffset !== 0 || a.length * 4 !== a.buffer.byteLength || this.fpoolBytes + a.byteLength > POOL_BYTES) continue;
      let l = this.fpool.get(a.length);
      if (!l) this.fpool.set(a.length, (l = []));
      l.push(a);
      this.fpoolBytes += a.byteLength;
    }
  }

  /** The end of a run without a hardware trace: its ACT arrays are no longer referenced by anything. */
  private recycleActs(x: Ctx): void {
    if (x.hw) return;
    for (const a of new Set<Int32Array>([...x.itmp, ...x.ienv.values()])) {
      // (the per-head column copies are below 64 KiB: kept, since every run makes the same ones)
      if ((a.byteLength < 65536 && !x.itmp.includes(a)) || this.ipoolBytes + a.byteLength > POOL_BYTES) continue;
      let l = this.ipool.get(a.length);
      if (!l) this.ipool.set(a.length, (l = []));
      l.push(a);
      this.ipoolBytes += a.byteLength;
    }
  }

  /**
   * An array of a finished run that its caller no longer reads (the evaluation's logits after its
   * metrics, a replaced run's block inputs): refilled as a later fp32/fake run's output.
   */
  giveBack(a: Float32Array): void {
    if (a.byteOffset !== 0 || a.length * 4 !== a.buffer.byteLength || this.fpoolBytes + a.byteLength > POOL_BYTES) return;
    let l = this.fpool.get(a.length);
    if (!l) this.fpool.set(a.length, (l = []));
    if (l.includes(a)) return;
    l.push(a);
    this.fpoolBytes += a.byteLength;
  }

  /** ACT values (float32, exact) → ACT integers. */
  private toAct(v: Float32Array): Int32Array {
    const s = this.actScale;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] * s;
    return out;
  }

  /** ACT integers → their float32 values (exact for w ≤ 24). */
  private fromAct(v: Int32Array): Float32Array {
    if (this.fxk) return this.fxk.toF32(v, this.act);
    const u = this.actUnit;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] * u;
    return out;
  }

  /**
   * fix() of float32 GEMM results y[start, end), in place (ACT values), and their ACT integers into
   * yi at the same indices: NaN → 0, round half to even to 2^−f, symmetric saturation (±Inf too).
   */
  private fixInto(y: Float32Array, yi: Int32Array, start: number, end: number): void {
    const s = this.actScale;
    const u = this.actUnit;
    const m = this.actLim;
    for (let i = start; i < end; i++) {
      let v = y[i] * s;
      // (v + M) − M with M = 1.5·2^52 rounds |v| < 2^51 to an integer, ties to even
      if (!(v < m)) v = v >= m ? m : 0; // NaN → 0
      else if (v <= -m) v = -m;
      else v = v + RNE_MAGIC - RNE_MAGIC;
      yi[i] = v;
      y[i] = v * u;
    }
  }

  /** fix() of a whole GEMM result in place, and its ACT integers (fixInto over all of y; on the kernel when loaded). */
  private fixAll(y: Float32Array): Int32Array {
    const yi = new Int32Array(y.length);
    if (this.fxk) this.fxk.fix(y, yi, this.act);
    else this.fixInto(y, yi, 0, y.length);
    return yi;
  }

  /** Fixed-point tables derived from weights, made once per Forward (integer mode). */
  private fxTableOf(name: string): Int32Array {
    let t = this.fx.get(`t|${name}`) as Int32Array | undefined;
    if (!t) this.fx.set(`t|${name}`, (t = fxTable(this.weight(name), this.act)));
    return t;
  }

  private fxNormOf(op: Op): FxNormParams {
    const key = `n|${op.weight}`;
    let p = this.fx.get(key) as FxNormParams | undefined;
    if (!p) {
      const c = this.graph.config;
      try {
        p = fxNormParams(this.weight(op.weight!), c.norm === 'layer' ? this.weight(op.bias!) : undefined, c.normEps, this.act);
      } catch (e) {
        // a model the fixed-point norm cannot express (a weight ≥ 2^23, a non-finite one, a bad eps)
        if (e instanceof FormatError) throw new EmulatorError(`${op.id} (integer mode): ${e.message}`);
        throw e;
      }
      this.fx.set(key, p);
    }
    return p;
  }

  private fxRopeFor(T: number): FxRopeTables {
    const c = this.graph.config;
    let r = this.fx.get('rope') as FxRopeTables | undefined;
    if (!r || r.positions < T) {
      r = fxRopeTables(Math.max(T, Math.min(c.maxPositions, 4096)), c.headDim, c.ropeTheta ?? 10000);
      this.fx.set('rope', r);
    }
    return r;
  }

  /** The fixed-point twin of one non-GEMM op (integer mode), on and to ACT values. */
  private execFixed(op: Op, ids: readonly number[], x: Ctx): void {
    const pre = x.pre.get(op.id);
    if (pre) {
      // made by a fused kernel call (linear()): SiLU(gate)·up, or a residual add
      x.pre.delete(op.id);
      if (pre.ints) x.ienv.set(op.output, pre.ints);
      return;
    }
    const c = this.graph.config;
    const T = x.T;
    const D = c.hiddenSize;
    const act = this.act;
    const k = this.fxk;
    const ins: Int32Array[] = op.type === 'embedding' ? [Int32Array.from(ids)] : op.inputs.map((t) => this.actOf(t, x));
    let y: Int32Array;
    switch (op.type) {
      case 'embedding':
        y = fxEmbedding(ids, this.fxTableOf(op.weight!), D);
        break;
      case 'position':
        y = fxAdd(ins[0], this.fxTableOf(op.weight!).subarray(0, T * D), act);
        break;
      case 'norm':
        if (this.normDefers(op, x)) {
          x.norms.set(op.output, op); // made in the next linear's kernel call (linear(), normNow)
          return;
        }
        y = c.norm === 'rms' ? (k ? k.rmsNorm(ins[0], T, D, this.fxNormOf(op), act, this.take(T * D, x)) : fxRmsNorm(ins[0], T, D, this.fxNormOf(op), act)) : fxLayerNorm(ins[0], T, D, this.fxNormOf(op), act);
        break;
      case 'rope': {
        const h = (this.graph.tensors.get(op.output)!.shape[1] as number) / c.headDim;
        y = k ? k.rope(ins[0], T, h, this.fxRopeFor(T), act, 0, this.take(ins[0].length, x)) : fxRope(ins[0], T, h, this.fxRopeFor(T), act);
        break;
      }
      case 'softmax': {
        // the attention scale 1/√hd is applied inside, for every architecture (OPT's q scaling included)
        const C = attentionScaleConst(c.headDim);
        const H = c.numHeads;
        if (k) y = k.causalSoftmax(ins[0], H, T, C, act, this.take(H * T * T, x));
        else {
          y = new Int32Array(H * T * T);
          for (let h = 0; h < H; h++) y.set(fxCausalSoftmax(ins[0].subarray(h * T * T, (h + 1) * T * T), T, C, act), h * T * T);
        }
        break;
      }
      case 'activation':
        y = k ? k.activation(c.activation, ins[0], act, this.take(ins[0].length, x)) : fxActivation(c.activation, ins[0], act);
        break;
      case 'mul':
        y = k ? k.mul(ins[0], ins[1], act, this.take(ins[0].length, x)) : fxMul(ins[0], ins[1], act);
        break;
      case 'add':
        y = k ? k.add(ins[0], ins[1], act, this.take(ins[0].length, x)) : fxAdd(ins[0], ins[1], act);
        break;
      default:
        throw new EmulatorError(`${op.id}: op type ${op.type} has no fixed-point twin`);
    }
    x.hw?.op?.(op, ins, y);
    x.ienv.set(op.output, y); // its float32 view is made when something reads it (val)
  }

  /**
   * A tensor of the run as float32 (ACT values in integer mode). A fixed op's output gets its float
   * view only when a GEMM's quant point, a cached block input or the logits need it.
   */
  private val(t: string, x: Ctx): Float32Array {
    let v = x.env.get(t);
    if (!v) x.env.set(t, (v = this.fromAct(x.ienv.get(t) ?? this.normNow(t, x))));
    return v;
  }

  /** A tensor of the run as ACT integers (integer mode): the fixed op's own output, or converted once. */
  private actOf(t: string, x: Ctx): Int32Array {
    let v = x.ienv.get(t);
    if (!v) x.ienv.set(t, (v = x.norms.has(t) ? this.normNow(t, x) : this.toAct(this.val(t, x))));
    return v;
  }

  /**
   * Integer mode: an RMSNorm whose readers are linears that take its input and make it in their
   * kernel call (encodeGemmsFix's `norm`) is not run at its turn; this runs it when something else
   * asks for its output after all.
   */
  private normNow(t: string, x: Ctx): Int32Array {
    const op = x.norms.get(t);
    if (!op) throw new EmulatorError(`tensor ${t} was read before it was made`);
    x.norms.delete(t);
    const T = x.T;
    const D = this.graph.config.hiddenSize;
    const y = this.fxk ? this.fxk.rmsNorm(this.actOf(op.inputs[0], x), T, D, this.fxNormOf(op), this.act, this.take(T * D, x)) : fxRmsNorm(this.actOf(op.inputs[0], x), T, D, this.fxNormOf(op), this.act);
    x.ienv.set(t, y);
    return y;
  }

  /**
   * Whether RMSNorm `op` can wait for the linear that reads its output first: every reader is a
   * linear, and the first one's kernel call will take the norm's input (its format encoded in the
   * module, on the integer datapath, the norm within the kernel's range); nothing traced.
   */
  private normDefers(op: Op, x: Ctx): boolean {
    const g = this.kernels.gemm;
    if (this.graph.config.norm !== 'rms' || x.hw || x.trace || !this.fxk || !g?.encodeGemmsFix || !g.encodeGemmCovers) return false;
    const readers = this.graph.ops.filter((o) => o.inputs.includes(op.output));
    if (readers.length === 0 || readers.some((o) => o.type !== 'linear' || o.inputs[0] !== op.output)) return false;
    if (this.blockInputTensor.includes(op.output) || op.output === this.graph.ops[this.graph.ops.length - 1].output) return false;
    const first = readers[0];
    const px = this.point(first, 'x');
    const pw = this.point(first, 'w');
    if (!px || !pw) return false;
    const fx = x.fmt(px.id);
    const K = this.tensor(first.weight!).shape[1];
    const D = this.graph.config.hiddenSize;
    if (K !== D || integerBlocker(fx, x.fmt(pw.id), K) !== null || !g.encodeGemmCovers(fx) || x.shared.has(encodingKey(op.output, fx, 1))) return false;
    return rmsNormKernelArgs(x.T * D, x.T, D, this.fxNormOf(op), this.act) !== null;
  }

  /** Integer mode, GEMM ops: keep the ACT output, report the op's ACT inputs and output to the hardware trace. */
  private intOut(op: Op, x: Ctx, out: Int32Array): void {
    x.ienv.set(op.output, out);
    if (x.hw?.op) x.hw.op(op, op.inputs.map((t) => this.actOf(t, x)), out);
  }

  /** Run the forward pass on one sequence of token ids (positions 0..T−1). */
  run(ids: readonly number[], spec: RunSpec, opts: RunOptions = {}): RunResult {
    const g = this.graph;
    const c = g.config;
    const T = ids.length;
    if (T < 1) throw new EmulatorError('no tokens to run');
    if (T > c.maxPositions) throw new EmulatorError(`${T} tokens exceed the model's context of ${c.maxPositions} positions (use a window ≤ ${c.maxPositions})`);
    for (let i = 0; i < T; i++) {
      const t = ids[i];
      if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new EmulatorError(`token id ${t} at position ${i} is outside the vocabulary 0..${c.vocabSize - 1}`);
    }
    const L = c.numLayers;
    const startLayer = opts.from ? opts.from.layer : 0;
    if (startLayer < 0 || startLayer > L) throw new EmulatorError(`start layer ${startLayer} outside 0..${L}`);
    const fmt = (p: string): FormatSpec => (spec.mode === 'fp32' ? FP32 : (spec.formats.get(p) ?? FP32));
    const env = new Map<string, Float32Array>();
    const res: RunResult = { logits: new Float32Array(0), blockInputs: new Array(L + 1).fill(undefined), acts: new Map(), weights: new Map(), fallback: new Set() };
    const ctx: Ctx = { T, spec, fmt, env, ienv: new Map(), res, shared: new Map(), pre: new Map(), norms: new Map(), held: [], tmp: [], itmp: [], trace: opts.trace, hw: spec.mode === 'integer' ? opts.hw : undefined };
    let first = 0;
    if (opts.from) {
      if (opts.from.input.length !== T * c.hiddenSize) throw new EmulatorError('cached block input has the wrong size');
      first = this.blockStart[startLayer];
      env.set(this.blockInputTensor[startLayer], opts.from.input);
    }
    for (let i = first; i < g.ops.length; i++) {
      const op = g.ops[i];
      for (let l = startLayer; l <= L; l++) if (this.blockStart[l] === i) res.blockInputs[l] = this.val(this.blockInputTensor[l], ctx);
      if (spec.mode === 'integer' && op.type === 'matmul' && op.kind === 'qk' && i + 2 < g.ops.length && this.attention(op, g.ops[i + 1], g.ops[i + 2], ctx)) i += 2;
      else if (spec.mode === 'integer' && op.type === 'softmax' && i + 1 < g.ops.length && this.softmaxPv(op, g.ops[i + 1], ctx)) i++;
      else if (spec.mode === 'integer' && op.type !== 'linear' && op.type !== 'matmul') this.execFixed(op, ids, ctx);
      else {
        const y = this.exec(op, ids, ctx);
        if (y) env.set(op.output, y);
      }
    }
    res.logits = this.val(g.ops[g.ops.length - 1].output, ctx);
    for (const e of ctx.held) this.q.recycle(e);
    if (spec.mode === 'integer') this.recycleActs(ctx);
    else {
      const keep = new Set<Float32Array>([res.logits]);
      for (const b of res.blockInputs) if (b) keep.add(b);
      if (opts.from) keep.add(opts.from.input);
      this.recycleFloats(ctx, keep);
    }
    return res;
  }

  /** One op on float32 (fp32, fake; integer mode's GEMMs). null: the output exists as ACT integers only (val makes its view). */
  private exec(op: Op, ids: readonly number[], x: Ctx): Float32Array | null {
    const c = this.graph.config;
    const T = x.T;
    const D = c.hiddenSize;
    const inp = (k = 0) => this.val(op.inputs[k], x);
    switch (op.type) {
      case 'embedding': {
        const E = this.weight(op.weight!);
        const out = this.takeF(T * D, x) ?? new Float32Array(T * D);
        for (let t = 0; t < T; t++) out.set(E.subarray(ids[t] * D, ids[t] * D + D), t * D);
        return out;
      }
      case 'position': {
        const P = this.weight(op.weight!);
        return add(inp(), P.subarray(0, T * D), this.takeF(T * D, x));
      }
      case 'norm':
        return c.norm === 'rms'
          ? rmsNorm(inp(), this.weight(op.weight!), T, D, c.normEps, this.takeF(T * D, x))
          : layerNorm(inp(), this.weight(op.weight!), this.weight(op.bias!), T, D, c.normEps, this.takeF(T * D, x));
      case 'linear':
        return this.linear(op, x);
      case 'rope': {
        const h = (this.graph.tensors.get(op.output)!.shape[1] as number) / c.headDim;
        const { cos, sin } = this.ropeFor(T);
        const xr = inp();
        return applyRope(xr, T, h, c.headDim, cos, sin, this.takeF(xr.length, x));
      }
      case 'matmul':
        return op.kind === 'qk' ? this.qk(op, x) : this.pv(op, x);
      case 'softmax': {
        const H = c.numHeads;
        const s = inp();
        const p = this.takeF(s.length, x) ?? new Float32Array(s.length);
        if (this.flk) return this.flk.causalSoftmax(s, H, T, p);
        for (let h = 0; h < H; h++) causalSoftmax(s.subarray(h * T * T, (h + 1) * T * T), T, p, h * T * T);
        return p;
      }
      case 'activation': {
        const xa = inp();
        const y = this.takeF(xa.length, x);
        return this.flk && c.activation === 'silu' ? this.flk.silu(xa, y) : activation(c.activation, xa, y);
      }
      case 'mul': {
        const a = inp(0);
        return mul(a, inp(1), this.takeF(a.length, x));
      }
      case 'add': {
        const a = inp(0);
        return add(a, inp(1), this.takeF(a.length, x));
      }
    }
  }

  private point(op: Op, role: QuantPoint['role']): QuantPoint | undefined {
    for (const id of op.points) {
      const p = this.graph.pointById.get(id)!;
      if (p.role === role) return p;
    }
    return undefined;
  }

  /** Fake-quantize an activation (stats recorded under `point`). Shared across points reading the same tensor with the same format. */
  private actValues(point: string, tensorKey: string, spec: FormatSpec, v: Float32Array, shape: number[], axis: number, x: Ctx, elements?: number): Float32Array {
    if (!isQuant(spec)) return v;
    const key = `${tensorKey}|${formatToString(spec)}|${axis}|v`;
    let e = x.shared.get(key) as { values: Float32Array; acc: PointAcc } | undefined;
    if (!e) {
      const into = this.takeF(v.length, x);
      e = this.q.quantizeMeasured(spec, v, shape, axis, elements, into);
      // nothing keeps an activation's quantized values past the run: back to the pool at its end
      if (!x.trace && x.spec.mode !== 'integer') x.tmp.push(e.values);
      if (tensorKey) x.shared.set(key, e);
    }
    accInto(x.res.acts, point, e.acc);
    return e.values;
  }

  /** Encode an activation (float32 values, or ACT integers in integer mode: same bits) at a quant point, with its statistics. */
  private actEncoded(point: string, tensorKey: string, spec: FormatSpec, v: Float32Array | Int32Array, shape: number[], axis: number, x: Ctx, elements?: number): Encoded {
    const key = tensorKey ? encodingKey(tensorKey, spec, axis) : '';
    let e = key ? (x.shared.get(key) as { enc: Encoded; acc: PointAcc } | undefined) : undefined;
    if (!e) {
      // without a hardware trace nobody keeps an activation's encoding: its arrays come from and go back to a pool
      e = v instanceof Int32Array ? this.q.encodeMeasuredAct(spec, v, this.act.f, shape, axis, elements, !x.hw) : this.q.encodeMeasured(spec, v, shape, axis, elements, !x.hw);
      if (key) {
        x.shared.set(key, e);
        if (!x.hw) x.held.push(e.enc);
      }
    }
    accInto(x.res.acts, point, e.acc);
    return e.enc;
  }

  /** An unshared activation encoding is no longer needed (pooled only without a hardware trace). */
  private release(enc: Encoded, x: Ctx): void {
    if (!x.hw) this.q.recycle(enc);
  }

  private weightValues(p: QuantPoint, spec: FormatSpec, w: Float32Array, shape: number[], x: Ctx): Float32Array {
    if (!isQuant(spec)) return w;
    const e = this.weightCache.get(p.id, spec, w, shape, p.axis, 'values');
    x.res.weights.set(p.id, e.acc);
    return e.values!;
  }

  /** A linear weight [N, K] (fake-quantized unless fp32) as the float32 GEMM's prepared B, cached per (point, format). */
  private weightPrepared(p: QuantPoint, spec: FormatSpec, w: Float32Array, shape: number[], x: Ctx): F32GemmB {
    const e = this.weightCache.get(p.id, spec, w, shape, p.axis, 'prepared', this.f32);
    if (isQuant(spec)) x.res.weights.set(p.id, e.acc);
    return e.prepared!;
  }

  private weightEncoded(p: QuantPoint, spec: FormatSpec, w: Float32Array, shape: number[], x: Ctx): Encoded {
    const e = this.weightCache.get(p.id, spec, w, shape, p.axis, 'enc');
    x.res.weights.set(p.id, e.acc);
    return e.enc!;
  }

  private linear(op: Op, x: Ctx): Float32Array | null {
    const wt = this.tensor(op.weight!);
    const [N, K] = wt.shape;
    const W = wt.f32();
    const T = x.T;
    const px = this.point(op, 'x')!;
    const pw = this.point(op, 'w')!;
    const fx = x.fmt(px.id);
    const fw = x.fmt(pw.id);
    const intMode = x.spec.mode === 'integer';
    const onInt = intMode && integerBlocker(fx, fw, K) === null;
    // a deferred RMSNorm (normDefers): its input and parameters go to the kernel call, which makes it
    const dn = onInt ? x.norms.get(op.inputs[0]) : undefined;
    // the integer datapath encodes the input's ACT integers; the float paths read its float32 values
    const xin = dn ? this.actOf(dn.inputs[0], x) : onInt ? this.actOf(op.inputs[0], x) : this.val(op.inputs[0], x);
    if (xin.length !== T * K) throw new EmulatorError(`${op.id}: input has ${xin.length / T} features, weight ${op.weight} expects ${K}`);
    let y: Float32Array | undefined; // integer datapath: made only when traced (val makes the view when read)
    let yi: Int32Array | undefined; // integer mode: y = fix(f32(S)) as ACT integers (y: their values)
    if (onInt) {
      // the float32 values too when traced, or for the logits (read as float32 anyway: made in the same pass as the integers)
      const values = x.trace !== undefined || op.output === this.graph.ops[this.graph.ops.length - 1].output;
      const shared = this.readerCount(op.inputs[0]) > 1;
      const b = this.weightEncoded(pw, fw, W, [N, K], x);
      const g = this.kernels.gemm;
      const pre = x.pre.get(op.id);
      // made already, or (a gated MLP's gate and up) consumed in the module without coming out
      let done = false;
      if (pre) {
        // computed with the first linear that reads this input (below)
        x.pre.delete(op.id);
        accInto(x.res.acts, px.id, pre.acc!);
        ({ values: y, ints: yi } = pre);
        done = true;
      } else if (!x.hw && g?.encodeGemmsFix && g.encodeGemmCovers?.(fx) && !x.shared.has(encodingKey(op.inputs[0], fx, 1))) {
        // the input is encoded once in the GEMM's module for this linear and the later ones that read
        // it in the same format on the integer datapath (q/k/v, gate/up); their results wait in x.pre
        const group = this.linearGroup(op, fx, K, x);
        const acc = (r: EncodeStats): PointAcc => ({ sig: r.sig, err: r.err, saturated: r.counts.saturated, underflow: r.counts.underflow, nanBlocks: r.counts.nanBlocks, elements: xin.length });
        const glu = g.encodeGluFix ? this.gluAfter(op, group.map((m) => m.op), x) : null;
        const norm = dn ? this.fxNormOf(dn) : undefined;
        const r = glu && g.encodeGluFix!(xin as Int32Array, T, K, fx, b, group[0].w, { b: 'NK', cacheB: true }, this.act, glu.upFirst, this.take(glu.n, x), norm);
        if (glu && r) {
          // SiLU(gate)·up made with them: the activation and the product ops take it from x.pre
          x.pre.set(group[0].op.id, { acc: acc(r) });
          x.pre.set(glu.act.id, {});
          x.pre.set(glu.mul.id, { ints: r.ints });
          accInto(x.res.acts, px.id, acc(r));
          done = true;
        } else {
          // a residual add right after (o, down): made in the same call, the GEMM's output not coming out
          const add = group.length === 0 ? this.addAfter(op, x) : null;
          const residual = add ? this.actOf(add.residual, x) : undefined;
          const rs = g.encodeGemmsFix(xin as Int32Array, T, K, fx, [{ w: b, values, into: this.take(T * N, x), residual }, ...group.map((m) => ({ w: m.w, values: m.values, into: this.take(T * m.N, x) }))], { b: 'NK', cacheB: true }, this.act, norm);
          if (rs) {
            group.forEach((m, i) => x.pre.set(m.op.id, { ...rs.outs[i + 1], acc: acc(rs) }));
            accInto(x.res.acts, px.id, acc(rs));
            if (add) x.pre.set(add.op.id, { ints: rs.outs[0].ints });
            else ({ values: y, ints: yi } = rs.outs[0]);
            done = true;
          }
        }
      }
      if (!done) {
        const a = this.actEncoded(px.id, op.inputs[0], fx, dn ? this.actOf(op.inputs[0], x) : xin, [T, K], 1, x);
        x.hw?.operand?.(px, 0, a);
        x.hw?.operand?.(pw, 0, b);
        ({ values: y, ints: yi } = this.intGemmFix(a, b, 'NK', true, values, this.take(T * N, x), undefined, shared));
      }
    } else {
      if (intMode) x.res.fallback.add(op.id);
      const a = this.actValues(px.id, op.inputs[0], fx, xin as Float32Array, [T, K], 1, x);
      y = this.f32.gemmPrepared(a, T, this.weightPrepared(pw, fw, W, [N, K], x), this.takeF(T * N, x));
      if (intMode) yi = this.fixAll(y);
    }
    if (op.bias) {
      const pb = this.point(op, 'bias');
      let bias = this.weight(op.bias);
      if (pb) bias = this.weightValues(pb, x.fmt(pb.id), bias, [N], x);
      if (yi) {
        // the hardware adds the (quantized) bias after the GEMM, in ACT: sat(y + fix(b))
        const bi = fxTable(bias, this.act);
        const m = actMax(this.act);
        const u = this.actUnit;
        for (let t = 0; t < T; t++) {
          const o = t * N;
          for (let j = 0; j < N; j++) {
            const v = yi[o + j] + bi[j];
            yi[o + j] = v > m ? m : v < -m ? -m : v;
            if (y) y[o + j] = yi[o + j] * u;
          }
        }
      } else {
        const yf = y!;
        for (let t = 0; t < T; t++) {
          const o = t * N;
          for (let j = 0; j < N; j++) yf[o + j] = yf[o + j] + bias[j];
        }
      }
    }
    if (op.kind === 'q' && this.graph.arch === 'opt' && !intMode) {
      // HF OPT: q_proj(x) · head_dim^-0.5, bias included, before the heads are split (integer mode:
      // the scale is applied inside the fixed-point softmax, as for every other architecture)
      const s = Math.fround(this.graph.config.headDim ** -0.5);
      const yf = y!;
      for (let i = 0; i < yf.length; i++) yf[i] = yf[i] * s;
    }
    if (y) x.trace?.(op.id, y);
    if (yi) this.intOut(op, x, yi);
    return y ?? null;
  }

  /**
   * A gated MLP after linear `gate` whose group is [up]: SiLU(gate) (the gate's only reader) times up
   * (the product the SiLU's and up's only reader), no biases, nothing traced — what encodeGluFix
   * computes in one call. null otherwise.
   */
  private gluAfter(gate: Op, group: Op[], x: Ctx): { act: Op; mul: Op; upFirst: boolean; n: number } | null {
    if (group.length !== 1 || x.trace || this.graph.config.activation !== 'silu') return null;
    const up = group[0];
    if (gate.bias || up.bias) return null;
    const act = this.soleReader(gate.output);
    if (!act || act.type !== 'activation' || act.inputs.length !== 1) return null;
    const mul = this.soleReader(act.output);
    if (!mul || mul.type !== 'mul' || this.soleReader(up.output) !== mul || mul.inputs.length !== 2 || !mul.inputs.includes(act.output) || !mul.inputs.includes(up.output)) return null;
    const last = this.graph.ops[this.graph.ops.length - 1].output;
    if (mul.output === last || act.output === last) return null;
    return { act, mul, upFirst: mul.inputs[0] === up.output, n: x.T * this.tensor(up.weight!).shape[0] };
  }

  /**
   * The residual add after linear `op` (o, down): the only reader of its output, adding it to
   * another tensor; no bias, nothing traced — what encodeGemmsFix's `residual` computes. null otherwise.
   */
  private addAfter(op: Op, x: Ctx): { op: Op; residual: string } | null {
    if (op.bias || x.trace) return null;
    const add = this.soleReader(op.output);
    if (!add || add.type !== 'add' || add.inputs.length !== 2 || add.output === this.graph.ops[this.graph.ops.length - 1].output) return null;
    const residual = add.inputs[0] === op.output ? add.inputs[1] : add.inputs[0];
    return residual === op.output ? null : { op: add, residual };
  }

  /** The only op that reads tensor t, if exactly one does (memoized). */
  private soleReader(t: string): Op | undefined {
    if (!this.sole.has(t)) {
      const rs = this.graph.ops.filter((o) => o.inputs.includes(t));
      this.sole.set(t, rs.length === 1 ? rs[0] : undefined);
    }
    return this.sole.get(t);
  }

  /**
   * The linears after `op` that read its input in the same format on the integer datapath, with
   * their weights' encodings (fetched, not yet reported: each op reports its own at its turn).
   */
  private linearGroup(op: Op, fx: FormatSpec, K: number, x: Ctx): { op: Op; w: Encoded; N: number; values: boolean }[] {
    const last = this.graph.ops[this.graph.ops.length - 1].output;
    const sx = formatToString(fx);
    const out: { op: Op; w: Encoded; N: number; values: boolean }[] = [];
    let after = false;
    for (const o of this.linearReaders(op.inputs[0])) {
      if (o === op) after = true;
      if (o === op || !after) continue;
      const px = this.point(o, 'x');
      const pw = this.point(o, 'w');
      if (!px || !pw || formatToString(x.fmt(px.id)) !== sx) continue;
      const wt = this.tensor(o.weight!);
      const fw = x.fmt(pw.id);
      if (wt.shape[1] !== K || integerBlocker(fx, fw, K) !== null) continue;
      const w = this.weightCache.get(pw.id, fw, wt.f32(), wt.shape as number[], pw.axis, 'enc').enc!;
      out.push({ op: o, w, N: wt.shape[0], values: x.trace !== undefined || o.output === last });
    }
    return out;
  }

  /** The linear ops that read tensor t as their input, in graph order (memoized). */
  private linearReaders(t: string): Op[] {
    let r = this.linReaders.get(t);
    if (!r) this.linReaders.set(t, (r = this.graph.ops.filter((o) => o.type === 'linear' && o.inputs[0] === t)));
    return r;
  }

  /** Scores [H, T, T] = Q_h·K_gᵀ (× 1/sqrt(hd) except OPT), per head; K quantized once per kv head. */
  private qk(op: Op, x: Ctx): Float32Array | null {
    const { T, H, Hk, hd, rep } = this.heads(x);
    const pa = this.point(op, 'a')!;
    const pb = this.point(op, 'b')!;
    const fa = x.fmt(pa.id);
    const fb = x.fmt(pb.id);
    const intMode = x.spec.mode === 'integer';
    // integer mode: the scores stay unscaled (fix(f32(Q·Kᵀ))); the fixed-point softmax applies 1/√hd
    const scale = this.graph.arch === 'opt' || intMode ? 1 : Math.fround(hd ** -0.5);
    const integer = intMode && integerBlocker(fa, fb, hd) === null;
    if (intMode && !integer) x.res.fallback.add(op.id);
    // the integer datapath encodes Q's and K's ACT integers; the float paths read their float32 values
    const q = integer ? this.actOf(op.inputs[0], x) : this.val(op.inputs[0], x);
    const k = integer ? this.actOf(op.inputs[1], x) : this.val(op.inputs[1], x);
    // integer datapath: the ACT scores are made per head; their float32 view only when traced (or read later, by val)
    const oi = integer ? (this.take(H * T * T, x) ?? new Int32Array(H * T * T)) : undefined;
    const out = !integer || x.trace ? (this.takeF(H * T * T, x) ?? new Float32Array(H * T * T)) : undefined;
    const kq: (Float32Array | Encoded)[] = [];
    const kHeads = integer ? this.headsI(k as Int32Array, T, Hk, hd, x) : undefined;
    const qHeads = integer ? this.headsI(q as Int32Array, T, H, hd, x) : undefined;
    for (let gi = 0; gi < Hk; gi++) {
      const kg = kHeads ? kHeads[gi] : this.colsF(k as Float32Array, T, Hk * hd, gi * hd, hd, x);
      if (integer) {
        const e = this.actEncoded(pb.id, '', fb, kg, [T, hd], 1, x);
        x.hw?.operand?.(pb, gi, e);
        kq.push(e);
      } else kq.push(this.actValues(pb.id, '', fb, kg as Float32Array, [T, hd], 1, x));
    }
    for (let h = 0; h < H; h++) {
      const qh = qHeads ? qHeads[h] : this.colsF(q as Float32Array, T, H * hd, h * hd, hd, x);
      const kg = kq[Math.floor(h / rep)];
      let s: Float32Array;
      if (integer) {
        const a = this.actEncoded(pa.id, '', fa, qh, [T, hd], 1, x);
        x.hw?.operand?.(pa, h, a);
        // the head's scores straight into its block of the output (every entry is written)
        const r = this.intGemmFix(a, kg as Encoded, 'NK', false, out !== undefined, oi!.subarray(h * T * T, (h + 1) * T * T), 'causalC');
        this.release(a, x);
        // masked entries are 0 (the fix of the 0 the other paths put there)
        for (let i = 0; i < T; i++) r.ints.fill(0, i * T + i + 1, (i + 1) * T);
        if (r.ints.buffer !== oi!.buffer || r.ints.byteOffset !== oi!.byteOffset + h * T * T * 4) oi!.set(r.ints, h * T * T);
        if (!out) continue;
        s = r.values!;
      } else {
        const a = this.actValues(pa.id, '', fa, qh as Float32Array, [T, hd], 1, x);
        // the head's scores straight into its block of the output
        s = this.f32.gemm(a, kg as Float32Array, T, hd, T, 'NK', out!.subarray(h * T * T, (h + 1) * T * T));
      }
      // the op's output is the causal score matrix: masked entries are 0 in every mode (softmax never
      // reads them); the others × scale (fake/fp32 of LLaMA and GPT-2)
      causalScores(s, T, scale);
      if (s.buffer !== out!.buffer || s.byteOffset !== out!.byteOffset + h * T * T * 4) out!.set(s, h * T * T);
    }
    if (integer) for (const e of kq) this.release(e as Encoded, x);
    // (fallback in integer mode: the masked entries are 0 already, and fix(0) = 0)
    if (intMode) this.intOut(op, x, oi ?? this.fixAll(out!));
    if (out) x.trace?.(op.id, out);
    return out ?? null;
  }

  /** out [T, H·hd] = P_h·V_g per head; V quantized once per kv head along T. */
  private pv(op: Op, x: Ctx): Float32Array | null {
    const { T, H, hd, rep } = this.heads(x);
    const pa = this.point(op, 'a')!;
    const pb = this.point(op, 'b')!;
    const fa = x.fmt(pa.id);
    const fb = x.fmt(pb.id);
    const intMode = x.spec.mode === 'integer';
    const integer = intMode && integerBlocker(fa, fb, T) === null;
    if (intMode && !integer) x.res.fallback.add(op.id);
    // the integer datapath encodes P's and V's ACT integers; the float paths read their float32 values
    const p = integer ? this.actOf(op.inputs[0], x) : this.val(op.inputs[0], x);
    const v = integer ? this.actOf(op.inputs[1], x) : this.val(op.inputs[1], x);
    const causal = (T * (T + 1)) / 2; // P's unmasked entries
    const { vq, vLayout } = this.encodeV(pb, fb, v, integer, x);
    // integer datapath: ACT integers per head; the float32 output only when traced (val makes the view when read)
    const oi = integer ? (this.take(T * H * hd, x) ?? new Int32Array(T * H * hd)) : undefined;
    const out = !integer || x.trace ? (this.takeF(T * H * hd, x) ?? new Float32Array(T * H * hd)) : undefined;
    // fake path: each head's [T, hd] product goes through one scratch array before its columns
    const scratch = integer ? undefined : this.tmpF(T * hd, x);
    for (let h = 0; h < H; h++) {
      const ph = p.subarray(h * T * T, (h + 1) * T * T);
      const vg = vq[Math.floor(h / rep)];
      let o: Float32Array;
      if (integer) {
        const a = this.actEncoded(pa.id, '', fa, ph, [T, T], 1, x, causal);
        x.hw?.operand?.(pa, h, a);
        const r = this.intGemmFix(a, vg as Encoded, vLayout[Math.floor(h / rep)], false, out !== undefined, undefined, 'lowerA');
        this.release(a, x);
        setColumnsI(oi!, T, H * hd, h * hd, hd, r.ints);
        if (!out) continue;
        o = r.values!;
      } else {
        const a = this.actValues(pa.id, '', fa, ph as Float32Array, [T, T], 1, x, causal);
        o = this.f32.gemm(a, vg as Float32Array, T, T, hd, 'KN', scratch);
      }
      setColumns(out!, T, H * hd, h * hd, hd, o);
    }
    if (integer) for (const e of vq) this.release(e as Encoded, x);
    if (intMode) this.intOut(op, x, oi ?? this.fixAll(out!));
    if (out) x.trace?.(op.id, out);
    return out ?? null;
  }

  /**
   * Integer mode without traces: a softmax op and the P·V op that reads it, per head in the GEMM
   * kernel's module (softmaxGemmFix: softmax, P's encoding and statistics, P·V, fix) — P never
   * leaves the module. The same bits and statistics as running the two ops; the softmax's output
   * is not kept (nothing else reads it). false: not applicable, run the ops one by one.
   */
  private softmaxPv(sm: Op, op: Op, x: Ctx): boolean {
    const g = this.kernels.gemm;
    if (!g?.softmaxGemmFix || !g.softmaxGemmCovers || !this.fxk || x.hw || x.trace) return false;
    if (op.type !== 'matmul' || op.kind !== 'pv' || op.inputs[0] !== sm.output || !this.onlyReader(sm.output, op)) return false;
    const { T, hd } = this.heads(x);
    const fa = x.fmt(this.point(op, 'a')!.id);
    const C = attentionScaleConst(hd);
    if (integerBlocker(fa, x.fmt(this.point(op, 'b')!.id), T) !== null || !g.softmaxGemmCovers(T, C, fa)) return false;
    const s = this.actOf(sm.inputs[0], x);
    this.fusedHeads(op, x, (h, v, layout, into) => g.softmaxGemmFix!(s.subarray(h * T * T, (h + 1) * T * T), T, C, this.act, fa, v, layout, into));
    return true;
  }

  /** T and the attention geometry of the model. */
  private heads(x: Ctx): { T: number; H: number; Hk: number; hd: number; rep: number } {
    const c = this.graph.config;
    return { T: x.T, H: c.numHeads, Hk: c.numKvHeads, hd: c.headDim, rep: c.numHeads / c.numKvHeads };
  }

  /**
   * The per-head loop of the fused attention paths: V encoded at pv.b, `run` per head with its V_g,
   * P's statistics added at pv.a, the heads' outputs into the P·V op's ACT output.
   */
  private fusedHeads(pvOp: Op, x: Ctx, run: (h: number, v: Encoded, layout: 'NK' | 'KN', into: Int32Array) => SoftmaxGemmFix | null): void {
    const { T, H, hd, rep } = this.heads(x);
    const pa = this.point(pvOp, 'a')!;
    const pb = this.point(pvOp, 'b')!;
    const { vq, vLayout } = this.encodeV(pb, x.fmt(pb.id), this.actOf(pvOp.inputs[1], x), true, x);
    const causal = (T * (T + 1)) / 2; // P's unmasked entries
    const oi = this.take(T * H * hd, x) ?? new Int32Array(T * H * hd);
    const tmp = this.take(T * hd, x) ?? new Int32Array(T * hd);
    for (let h = 0; h < H; h++) {
      const gi = Math.floor(h / rep);
      const r = run(h, vq[gi] as Encoded, vLayout[gi], tmp);
      if (!r) throw new EmulatorError(`${pvOp.id}: the fused attention kernel refused a case it covers`);
      accInto(x.res.acts, pa.id, { sig: r.sig, err: r.err, saturated: r.counts.saturated, underflow: r.counts.underflow, nanBlocks: r.counts.nanBlocks, elements: causal });
      setColumnsI(oi, T, H * hd, h * hd, hd, r.ints);
    }
    x.itmp.push(tmp);
    for (const e of vq) this.release(e as Encoded, x);
    this.intOut(pvOp, x, oi);
  }

  /**
   * Integer mode without traces: Q·Kᵀ, the softmax and P·V of every head in the GEMM kernel's module
   * (attentionFix): the scores and P never leave it. The quant points see what the three ops give
   * them, in the same order (qk.b, qk.a, pv.b, pv.a; heads in order); the scores and P are not kept
   * (nothing else reads them). false: not applicable (the caller runs the ops).
   */
  private attention(qkOp: Op, sm: Op, pvOp: Op, x: Ctx): boolean {
    const g = this.kernels.gemm;
    if (!g?.attentionFix || !g.softmaxGemmCovers || !this.fxk || x.hw || x.trace) return false;
    if (sm.type !== 'softmax' || sm.inputs[0] !== qkOp.output || !this.onlyReader(qkOp.output, sm)) return false;
    if (pvOp.type !== 'matmul' || pvOp.kind !== 'pv' || pvOp.inputs[0] !== sm.output || !this.onlyReader(sm.output, pvOp)) return false;
    const { T, H, Hk, hd, rep } = this.heads(x);
    const qa = this.point(qkOp, 'a')!;
    const qb = this.point(qkOp, 'b')!;
    const fqa = x.fmt(qa.id);
    const fqb = x.fmt(qb.id);
    const fa = x.fmt(this.point(pvOp, 'a')!.id);
    const C = attentionScaleConst(hd);
    const pb = this.point(pvOp, 'b')!;
    const fb = x.fmt(pb.id);
    if (integerBlocker(fqa, fqb, hd) !== null || integerBlocker(fa, fb, T) !== null || !g.softmaxGemmCovers(T, C, fa)) return false;
    if (g.attentionLayerFix && this.attentionLayer(qkOp, pvOp, x, { qa: fqa, qb: fqb, pa: fa, pb: fb }, C)) return true;
    // K, then Q (every head), then V inside fusedHeads: the order the three ops encode them in
    const kq = this.headsI(this.actOf(qkOp.inputs[1], x), T, Hk, hd, x).map((kg) => this.actEncoded(qb.id, '', fqb, kg, [T, hd], 1, x));
    const qq = this.headsI(this.actOf(qkOp.inputs[0], x), T, H, hd, x).map((qh) => this.actEncoded(qa.id, '', fqa, qh, [T, hd], 1, x));
    this.fusedHeads(pvOp, x, (h, v, layout, into) => {
      const r = g.attentionFix!(qq[h], kq[Math.floor(h / rep)], T, C, this.act, fa, v, layout, into);
      this.release(qq[h], x);
      return r;
    });
    for (const e of kq) this.release(e, x);
    return true;
  }

  /**
   * attention() as one kernel call per layer (attentionLayerFix): Q, K and V go into the GEMM module
   * once, and the heads are split, encoded and multiplied there. The points see the same statistics,
   * reported in the ops' order (qk.b per kv head, qk.a per head, pv.b per kv head, pv.a per head).
   * false: the kernel declined (nothing was reported).
   */
  private attentionLayer(qkOp: Op, pvOp: Op, x: Ctx, f: AttentionFormats, C: number): boolean {
    const { T, H, Hk, hd } = this.heads(x);
    const oi = this.take(T * H * hd, x) ?? new Int32Array(T * H * hd);
    const heads: AttentionHead[] = [];
    const layer = this.kernels.gemm!.attentionLayerFix!(this.actOf(qkOp.inputs[0], x), this.actOf(qkOp.inputs[1], x), this.actOf(pvOp.inputs[1], x), T, H, Hk, hd, C, this.act, f, (_h, r) => heads.push(r), oi);
    if (!layer) {
      x.itmp.push(oi);
      return false;
    }
    const at = (s: EncodeStats, elements: number): PointAcc => ({ sig: s.sig, err: s.err, saturated: s.counts.saturated, underflow: s.counts.underflow, nanBlocks: s.counts.nanBlocks, elements });
    const acts = x.res.acts;
    for (const s of layer.k) accInto(acts, this.point(qkOp, 'b')!.id, at(s, T * hd));
    for (const r of heads) accInto(acts, this.point(qkOp, 'a')!.id, at(r.q, T * hd));
    for (const s of layer.v) accInto(acts, this.point(pvOp, 'b')!.id, at(s, T * hd));
    for (const r of heads) accInto(acts, this.point(pvOp, 'a')!.id, at(r.p, (T * (T + 1)) / 2)); // P's unmasked entries
    this.intOut(pvOp, x, layer.ints);
    return true;
  }

  /** How many ops read tensor t (memoized). */
  private readerCount(t: string): number {
    let n = this.nReaders.get(t);
    if (n === undefined) this.nReaders.set(t, (n = this.graph.ops.filter((o) => o.inputs.includes(t)).length));
    return n;
  }

  /** Whether `reader` is the only op that reads tensor t (memoized per tensor). */
  private onlyReader(t: string, reader: Op): boolean {
    let r = this.readers.get(t);
    if (r === undefined) {
      r = this.graph.ops.filter((o) => o.inputs.includes(t)).length === 1 && reader.inputs.includes(t) && this.graph.ops[this.graph.ops.length - 1].output !== t;
      this.readers.set(t, r);
    }
    return r;
  }

  /** V per kv head at pv.b: encodings (integer datapath) or fake-quantized values, and how each is laid out for the GEMM. */
  private encodeV(pb: QuantPoint, fb: FormatSpec, v: Float32Array | Int32Array, integer: boolean, x: Ctx): { vq: (Float32Array | Encoded)[]; vLayout: ('NK' | 'KN')[] } {
    const { T, Hk, hd } = this.heads(x);
    const vq: (Float32Array | Encoded)[] = [];
    // integer datapath without a hardware trace: V_g is encoded as V_gᵀ [hd, T] along its last axis
    // (the same blocks along T, on the kernel's streaming path) and multiplied as B [N, K] — the same
    // exact GEMM; its statistics only when they are order-free (else V_g as it is, below)
    const vLayout: ('NK' | 'KN')[] = [];
    for (let gi = 0; gi < Hk; gi++) {
      if (integer && !x.hw) {
        const vt = this.colsTI(v as Int32Array, T, Hk * hd, gi * hd, hd, x);
        const r = this.q.encodeMeasuredActRows(fb, vt, this.act.f, [hd, T], undefined, true);
        if (r) {
          accInto(x.res.acts, pb.id, r.acc);
          vq.push(r.enc);
          vLayout.push('NK');
          continue;
        }
      }
      vLayout.push('KN');
      const vg = integer ? this.colsI(v as Int32Array, T, Hk * hd, gi * hd, hd, x) : this.colsF(v as Float32Array, T, Hk * hd, gi * hd, hd, x);
      if (integer) {
        const e = this.actEncoded(pb.id, '', fb, vg, [T, hd], 0, x);
        x.hw?.operand?.(pb, gi, e);
        vq.push(e);
      } else vq.push(this.actValues(pb.id, '', fb, vg as Float32Array, [T, hd], 0, x));
    }
    return { vq, vLayout };
  }
}

/** Columns c0..c0+w of dst [R, C] = src [R, w] (ACT integers). */
function setColumnsI(dst: Int32Array, R: number, C: number, c0: number, w: number, src: Int32Array): void {
  for (let r = 0; r < R; r++) for (let j = 0, d = r * C + c0, i = r * w; j < w; j++) dst[d + j] = src[i + j];
}

interface Ctx {
  T: number;
  spec: RunSpec;
  fmt: (p: string) => FormatSpec;
  env: Map<string, Float32Array>;
  /** Integer mode: the same tensors as ACT integers, where already made. */
  ienv: Map<string, Int32Array>;
  res: RunResult;
  /** Quantized activations shared by points that read the same tensor with the same format (q/k/v.x, gate/up.x). */
  shared: Map<string, unknown>;
  /** Integer mode without a hardware trace: the shared encodings, given back to the pool at the end of the run. */
  held: Encoded[];
  /** Integer mode: RMSNorms not yet run, by output tensor (normDefers; made by the next linear's kernel call, or normNow). */
  norms: Map<string, Op>;
  /**
   * Integer mode: op outputs computed with an earlier linear that read the same input (encodeGemmsFix),
   * with that input's statistics (a linear's), with a gated MLP's gate (encodeGluFix: up, SiLU and
   * product; only the product has an output), or a residual add made with its linear, by op id.
   */
  pre: Map<string, { ints?: Int32Array; values?: Float32Array; acc?: PointAcc }>;
  /** fp32/fake mode without a trace: the run's quantized activation values, recycled at its end. */
  tmp: Float32Array[];
  /** Integer mode without a hardware trace: the run's per-head column copies, recycled at its end. */
  itmp: Int32Array[];
  trace?: (op: string, out: Float32Array) => void;
  hw?: HwTrace;
}

/** In place on scores [T, T]: entries j ≤ i × scale (float32 products), entries j > i set to +0. */
function causalScores(s: Float32Array, T: number, scale: number): void {
  for (let i = 0; i < T; i++) {
    const o = i * T;
    if (scale !== 1) for (let j = o; j <= o + i; j++) s[j] = s[j] * scale;
    s.fill(0, o + i + 1, o + T);
  }
}

/** Where a run keeps a tensor's encoding in a format along an axis, for the other points that read it (Ctx.shared). */
function encodingKey(tensor: string, spec: FormatSpec, axis: number): string {
  return `${tensor}|${formatToString(spec)}|${axis}|e`;
}

function accInto(m: Map<string, PointAcc>, point: string, a: PointAcc): void {
  let e = m.get(point);
  if (!e) m.set(point, (e = { sig: 0, err: 0, saturated: 0, underflow: 0, nanBlocks: 0, elements: 0 }));
  addAcc(e, a);
}
