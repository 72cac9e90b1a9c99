/**
 * The fixed-point ops of the integer datapath on WASM: the functions of src/core/datapath/fixed.ts
 * (their twin and specification) run by workers/kernels/assembly/_fixed.ts, which is part of the
 * integer GEMM's module (gemm.wasm), so whoever loads the GEMM kernel gets them as `GemmKernel.fixed`
 * with no other file to fetch. Same results and errors as the twin, bit for bit
 * (src/core/kernels/fixed.test.ts) for ACT integers (|x| ≤ 2^23 − 1: what the twin is specified for;
 * the kernel's i64 arithmetic is exact beyond it, the twin's doubles not always). What the kernel
 * does not cover (a norm whose eps term D·eps ≥ 2^63 or whose weight shift is negative, LayerNorm,
 * the GELUs, bad arguments) runs on the twin, so callers never need to know.
 *
 * Memory: every call resets the module's bump allocator and copies its inputs in and its result out,
 * so a GemmPlan prepared before a call of these is superseded (the GEMM wrapper says so if it is run).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import {
  actMax, checkAct, exp2Table, fxActivation, fxAdd, fxCausalSoftmax, fxMul, fxRmsNorm, fxRope, normH, sigmoidTable,
  CDF_N, NORM_U_F, type ActFormat, type FxNormParams, type FxRopeTables,
} from '../datapath';

/** The exports of _fixed.ts (byte offsets into the module's memory). */
export interface FixedExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  fxFix(src: number, n: number, f: number, lim: number, dstI: number, dstF: number): void;
  fxToF32(src: number, n: number, f: number, dst: number): void;
  fxAddK(a: number, b: number, n: number, lim: number, dst: number): void;
  fxMulK(a: number, b: number, n: number, f: number, lim: number, dst: number): void;
  fxSiluK(x: number, n: number, f: number, tab: number, cdfN: number, dst: number): void;
  fxRmsNormK(x: number, T: number, D: number, w: number, DE: bigint, h: number, s2: number, lim: number, dst: number): void;
  fxSoftmaxK(s: number, H: number, T: number, C: number, f: number, tab: number, e: number, dst: number): void;
  fxRopeK(x: number, T: number, heads: number, hd: number, cos: number, sin: number, pos0: number, lim: number, dst: number): void;
}

/** The fixed-point ops on the kernel; each returns exactly what its twin in src/core/datapath/fixed.ts returns. */
export interface FixedKernel {
  /**
   * fix() of float32 values (a GEMM's f32(S)), as fixInt does per element: `ints[i]` = the ACT
   * integer and, in place, `y[i]` = its value (ints · 2^−f). `ints` has y's length.
   */
  fix(y: Float32Array, ints: Int32Array, act: ActFormat): void;
  /** ACT integers → their float32 values (exact for w ≤ 24). */
  toF32(x: Int32Array, act: ActFormat, out?: Float32Array): Float32Array;
  // `out` (optional, every op below): an array of the result's length to fill and return instead of
  // a fresh one (a caller recycling its buffers; a fresh big array costs its page faults)
  add(a: Int32Array, b: Int32Array, act: ActFormat, out?: Int32Array): Int32Array;
  mul(a: Int32Array, b: Int32Array, act: ActFormat, out?: Int32Array): Int32Array;
  activation(kind: 'silu' | 'gelu_new' | 'gelu' | 'relu', x: Int32Array, act: ActFormat, out?: Int32Array): Int32Array;
  rmsNorm(x: Int32Array, T: number, D: number, p: FxNormParams, act: ActFormat, out?: Int32Array): Int32Array;
  /** H causal softmaxes of [T, T] score matrices laid out one after the other (fxCausalSoftmax per head). */
  causalSoftmax(s: Int32Array, H: number, T: number, C: number, act: ActFormat, out?: Int32Array): Int32Array;
  rope(x: Int32Array, T: number, heads: number, tab: FxRopeTables, act: ActFormat, pos0?: number, out?: Int32Array): Int32Array;
}

const MAX_KERNEL_D = 2 ** 20; // the twin's limit; the kernel sums Σx² in 128 bits

/** fxRmsNormK's arguments besides the arrays, or null where the kernel does not take the case (the twin does). */
export function rmsNormKernelArgs(n: number, T: number, D: number, p: FxNormParams, act: ActFormat): { DE: bigint; h: number; s2: number } | null {
  const s2 = NORM_U_F + p.wf - act.f;
  const DE = BigInt(D) * BigInt(p.eps);
  const ok = Number.isInteger(T) && T >= 0 && Number.isInteger(D) && D >= 1 && D <= MAX_KERNEL_D && n === T * D && p.w.length === D && s2 >= 0 && DE < 2n ** 63n;
  return ok ? { DE, h: normH(D), s2 } : null;
}

export class FixedOps implements FixedKernel {
  constructor(
    private readonly e: FixedExports,
    /** Called before every call resets the module's memory (the GEMM wrapper retires its plans). */
    private readonly onReset: () => void,
  ) {}

  private begin(): void {
    this.onReset();
    this.e.reset();
  }

  private alloc(bytes: number): number {
    const p = this.e.alloc(Math.max(16, bytes));
    if (p === 0) throw new Error(`the integer datapath kernel could not grow its memory by ${bytes} bytes`);
    return p;
  }

  private i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.e.memory.buffer, ptr, n);
  }

  /** The n results at ptr, into `out` when it has that length, else into a fresh array. */
  private result(ptr: number, n: number, out?: Int32Array): Int32Array {
    const v = this.i32(ptr, n);
    if (out && out.length === n) {
      out.set(v);
      return out;
    }
    return v.slice();
  }

  /** Copy `arrays` into fresh kernel buffers and allocate `outBytes` more; pointers in order. */
  private load(arrays: readonly Int32Array[], outBytes: readonly number[]): number[] {
    this.begin();
    const ptrs = arrays.map((a) => this.alloc(a.length * 4));
    const outs = outBytes.map((b) => this.alloc(b));
    arrays.forEach((a, i) => this.i32(ptrs[i], a.length).set(a));
    return [...ptrs, ...outs];
  }

  fix(y: Float32Array, ints: Int32Array, act: ActFormat): void {
    checkAct(act);
    if (ints.length !== y.length) throw new Error(`fix: ints has ${ints.length} elements, y ${y.length}`);
    const n = y.length;
    this.begin();
    const src = this.alloc(n * 4);
    const di = this.alloc(n * 4);
    const df = this.alloc(n * 4);
    const buf = this.e.memory.buffer;
    new Float32Array(buf, src, n).set(y);
    this.e.fxFix(src, n, act.f, actMax(act), di, df);
    ints.set(new Int32Array(buf, di, n));
    y.set(new Float32Array(buf, df, n));
  }

  toF32(x: Int32Array, act: ActFormat, out = new Float32Array(x.length)): Float32Array {
    const n = x.length;
    const [src, dst] = this.load([x], [n * 4]);
    this.e.fxToF32(src, n, act.f, dst);
    out.set(new Float32Array(this.e.memory.buffer, dst, n));
    return out;
  }

  add(a: Int32Array, b: Int32Array, act: ActFormat, out?: Int32Array): Int32Array {
    if (b.length !== a.length) return fxAdd(a, b, act);
    const [pa, pb, dst] = this.load([a, b], [a.length * 4]);
    this.e.fxAddK(pa, pb, a.length, actMax(act), dst);
    return this.result(dst, a.length, out);
  }

  mul(a: Int32Array, b: Int32Array, act: ActFormat, out?: Int32Array): Int32Array {
    if (b.length !== a.length || act.f < 1) return fxMul(a, b, act);
    const [pa, pb, dst] = this.load([a, b], [a.length * 4]);
    this.e.fxMulK(pa, pb, a.length, act.f, actMax(act), dst);
    return this.result(dst, a.length, out);
  }

  activation(kind: 'silu' | 'gelu_new' | 'gelu' | 'relu', x: Int32Array, act: ActFormat, out?: Int32Array): Int32Array {
    if (kind !== 'silu' || act.f < 5) return fxActivation(kind, x, act);
    const tab = sigmoidTable();
    const [px, pt, dst] = this.load([x, tab], [x.length * 4]);
    this.e.fxSiluK(px, x.length, act.f, pt, CDF_N, dst);
    return this.result(dst, x.length, out);
  }

  rmsNorm(x: Int32Array, T: number, D: number, p: FxNormParams, act: ActFormat, out?: Int32Array): Int32Array {
    checkAct(act);
    const k = rmsNormKernelArgs(x.length, T, D, p, act);
    if (!k) return fxRmsNorm(x, T, D, p, act); // the twin computes it or throws its error
    const [px, pw, dst] = this.load([x, p.w], [x.length * 4]);
    this.e.fxRmsNormK(px, T, D, pw, k.DE, k.h, k.s2, actMax(act), dst);
    return this.result(dst, x.length, out);
  }

  causalSoftmax(s: Int32Array, H: number, T: number, C: number, act: ActFormat, out?: Int32Array): Int32Array {
    checkAct(act);
    const ok = Number.isInteger(H) && H >= 1 && Number.isInteger(T) && T >= 1 && s.length === H * T * T && Number.isInteger(C) && C >= 1 && C < 2 ** 25;
    if (!ok) {
      // the twin, per head (it throws its own errors for a bad C or length)
      if (!(Number.isInteger(H) && H >= 1 && Number.isInteger(T) && T >= 0 && s.length === H * T * T)) return fxCausalSoftmax(s, T, C, act);
      const y = new Int32Array(s.length);
      for (let h = 0; h < H; h++) y.set(fxCausalSoftmax(s.subarray(h * T * T, (h + 1) * T * T), T, C, act), h * T * T);
      return y;
    }
    const [ps, pt, pe, dst] = this.load([s, exp2Table()], [T * 4, s.length * 4]);
    this.e.fxSoftmaxK(ps, H, T, C, act.f, pt, pe, dst);
    return this.result(dst, s.length, out);
  }

  rope(x: Int32Array, T: number, heads: number, tab: FxRopeTables, act: ActFormat, pos0 = 0, out?: Int32Array): Int32Array {
    const hd = tab.headDim;
    const half = hd / 2;
    const ok = Number.isInteger(T) && T >= 0 && Number.isInteger(heads) && heads >= 0 && Number.isInteger(half) && x.length === T * heads * hd && Number.isInteger(pos0) && pos0 >= 0 && pos0 + T <= tab.positions;
    if (!ok) return fxRope(x, T, heads, tab, act, pos0);
    const cos = tab.cos.subarray(pos0 * half, (pos0 + T) * half);
    const sin = tab.sin.subarray(pos0 * half, (pos0 + T) * half);
    const [px, pc, psn, dst] = this.load([x, cos, sin], [x.length * 4]);
    this.e.fxRopeK(px, T, heads, hd, pc, psn, 0, actMax(act), dst);
    return this.result(dst, x.length, out);
  }
}
