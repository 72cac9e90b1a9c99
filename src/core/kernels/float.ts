/**
 * `F32GemmKernel.float`: the float64 element-wise ops of fp32/fake mode on the float GEMM's module
 * (workers/kernels/assembly/_float.ts, included by f32gemm.ts): the causal softmax, SiLU and the
 * evaluation's per-row log-sum-exp / argmax / KL over the logits. Bit for bit their twins in
 * src/core/emulate/linalg.ts (causalSoftmax, activation('silu'), logitRowStats, klRow), which call
 * Math.exp: the kernel's exp is a port of fdlibm's e_exp.c, which is what V8's Math.exp is, scalar and
 * on f64x2 lanes. float.test.ts checks all of it, exp included, against the twins on random data and
 * edge cases in both builds, and loadF32GemmKernel runs a self-test of the exp (an engine whose
 * Math.exp is not fdlibm's makes the kernel refuse to load its float ops: `float` is then undefined
 * and callers run the twins).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { logitRowStats } from '../emulate/linalg';
import { KernelError } from './loader';

/** The float64 element-wise ops on the float GEMM kernel's module (same bits as the TypeScript twins). */
export interface FloatKernel {
  /** Math.exp of every element (the kernel's exp; the differential test's view of it). */
  exp(x: Float64Array): Float64Array;
  /** linalg.causalSoftmax over H score matrices [H, T, T] at once (into `out` when given: every entry written). */
  causalSoftmax(s: Float32Array, H: number, T: number, out?: Float32Array): Float32Array;
  /** linalg.activation('silu', x) (into `out` when given). */
  silu(x: Float32Array, out?: Float32Array): Float32Array;
  /**
   * Per row of logits [rows, V]: logitRowStats' lse and argmax, and with a reference (its logits
   * [rows, V] and their lse) klRow's KL of the row.
   */
  logitRows(l: Float32Array, rows: number, V: number, ref?: { logits: Float32Array; lse: Float64Array }): { lse: Float64Array; arg: Int32Array; kl?: Float64Array };
}

export interface FloatExports {
  memory: { readonly buffer: ArrayBuffer };
  exp_f64(src: number, dst: number, n: number): void;
  softmax_causal(s: number, p: number, H: number, T: number, e: number): void;
  silu_f32(x: number, y: number, n: number, e: number): void;
  logit_rows(l: number, rows: number, V: number, outM: number, outS: number, outArg: number, e: number): void;
  kl_rows(ref: number, refLse: number, l: number, lse: number, rows: number, V: number, out: number, e: number): void;
}

/** Kernel memory for the float ops: blocks taken and given back around each call. */
export interface FloatHeap {
  alloc(bytes: number): number;
  release(ptr: number): void;
}

/** Doubles of scratch silu_f32 takes (its CHUNK). */
const SILU_SCRATCH = 256;

function checkLen(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) throw new KernelError(`${what}: ${a.length} elements, need ${n}`);
}

export class WasmFloatKernel implements FloatKernel {
  constructor(
    private readonly e: FloatExports,
    private readonly heap: FloatHeap,
  ) {}

  /** Run fn with kernel blocks of the given byte sizes, released afterwards. */
  private withBlocks<R>(sizes: number[], fn: (ptrs: number[]) => R): R {
    const ptrs: number[] = [];
    try {
      for (const s of sizes) ptrs.push(this.heap.alloc(Math.max(16, s)));
      return fn(ptrs);
    } finally {
      for (const p of ptrs) this.heap.release(p);
    }
  }

  exp(x: Float64Array): Float64Array {
    const n = x.length;
    return this.withBlocks([n * 8, n * 8], ([src, dst]) => {
      new Float64Array(this.e.memory.buffer, src, n).set(x);
      this.e.exp_f64(src, dst, n);
      return new Float64Array(this.e.memory.buffer, dst, n).slice();
    });
  }

  causalSoftmax(s: Float32Array, H: number, T: number, out?: Float32Array): Float32Array {
    const n = H * T * T;
    checkLen('causalSoftmax scores', s, n);
    const p = out ?? new Float32Array(n);
    checkLen('causalSoftmax out', p, n);
    if (n === 0) return p;
    this.withBlocks([n * 4, n * 4, T * 8], ([sp, pp, ep]) => {
      new Float32Array(this.e.memory.buffer, sp, n).set(s.length === n ? s : s.subarray(0, n));
      this.e.softmax_causal(sp, pp, H, T, ep);
      p.set(new Float32Array(this.e.memory.buffer, pp, n));
    });
    return p;
  }

  silu(x: Float32Array, out?: Float32Array): Float32Array {
    const n = x.length;
    const y = out ?? new Float32Array(n);
    checkLen('silu out', y, n);
    if (n === 0) return y;
    this.withBlocks([n * 4, SILU_SCRATCH * 8], ([xp, ep]) => {
      new Float32Array(this.e.memory.buffer, xp, n).set(x);
      this.e.silu_f32(xp, xp, n, ep);
      y.set(new Float32Array(this.e.memory.buffer, xp, n));
    });
    return y;
  }

  logitRows(l: Float32Array, rows: number, V: number, ref?: { logits: Float32Array; lse: Float64Array }): { lse: Float64Array; arg: Int32Array; kl?: Float64Array } {
    const n = rows * V;
    checkLen('logitRows logits', l, n);
    if (ref) {
      checkLen('logitRows reference logits', ref.logits, n);
      checkLen('logitRows reference lse', ref.lse, rows);
    }
    const lse = new Float64Array(rows);
    const arg = new Int32Array(rows);
    const kl = ref ? new Float64Array(rows) : undefined;
    if (rows === 0) return { lse, arg, kl };
    const sizes = [n * 4, rows * 8, rows * 8, rows * 4, 2 * V * 8];
    if (ref) sizes.push(n * 4, rows * 8, rows * 8);
    this.withBlocks(sizes, ([lp, mp, sp, ap, ep, rp, rlp, kp]) => {
      const buf = this.e.memory.buffer;
      new Float32Array(buf, lp, n).set(l.length === n ? l : l.subarray(0, n));
      this.e.logit_rows(lp, rows, V, mp, sp, ap, ep);
      const m = new Float64Array(buf, mp, rows);
      const s = new Float64Array(buf, sp, rows);
      arg.set(new Int32Array(buf, ap, rows));
      for (let r = 0; r < rows; r++) {
        // a max of ±Inf or no finite max (−Inf / NaN rows): the twin's special cases
        lse[r] = Number.isFinite(m[r]) ? m[r] + Math.log(s[r]) : logitRowStats(l, r * V, V).lse;
      }
      if (ref && kl) {
        new Float32Array(buf, rp, n).set(ref.logits.length === n ? ref.logits : ref.logits.subarray(0, n));
        new Float64Array(buf, rlp, rows).set(ref.lse.subarray(0, rows));
        // lse back in (m and s are no longer needed: their block now holds the lse)
        new Float64Array(buf, mp, rows).set(lse);
        this.e.kl_rows(rp, rlp, lp, mp, rows, V, kp, ep);
        kl.set(new Float64Array(buf, kp, rows));
      }
    });
    return { lse, arg, kl };
  }
}

/** Inputs of the load-time self-test of the exp: every regime of fdlibm's exp and its edges. */
const EXP_SELF_TEST = [0, -0, 1, -1, 0.5, -0.3, 0.34657359027997264, 0.3465735902799727, 1.0397207708399179, -1.03972077083992, 2.5, -17.25, 1e-9, -3e-9, 2 ** -29, 88.7, -103.9, 703.9, -703.9, 709.7, -708.5, -745.2, 710, -746, Infinity, -Infinity, NaN, 1e-300, -42.123456789];

/**
 * Whether the kernel's exp is this engine's Math.exp on the self-test inputs (pairs and the odd tail).
 * false: the engine's Math.exp is not fdlibm's, and the float ops must not be used.
 */
export function floatSelfTest(k: FloatKernel): boolean {
  const x = Float64Array.from(EXP_SELF_TEST);
  const y = k.exp(x);
  for (let i = 0; i < x.length; i++) if (!Object.is(y[i], Math.exp(x[i]))) return false;
  return true;
}
