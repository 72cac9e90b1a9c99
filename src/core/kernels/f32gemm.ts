/**
 * The float32 GEMM on WASM: copies the operands into workers/kernels/assembly/f32gemm.ts's memory,
 * packs them into its tile layout and runs it. Same function, same bits and same errors as the twin
 * src/core/datapath/f32gemm.ts (f32gemm: products rounded to float32 and summed strictly in k order,
 * NaN canonical) — tested bit for bit in f32gemm.test.ts.
 *
 * Prepared B: prepareB() packs B once into kernel memory and returns a handle; gemmPrepared() then
 * only copies and packs A. A weight that serves every window is prepared once. Handles hold kernel
 * memory until dispose() (or until they are garbage-collected); their blocks are reused.
 *
 * Both builds ('simd', 'relaxed') execute the same instructions (relaxed_madd is not deterministic
 * across engines, so it is not used); the flavor only says which file was loaded.
 *
 * Ring 1: no DOM, no Node built-ins; the caller injects the kernel bytes.
 */
import { FormatError, checkInt } from '../formats/errors';
import {
  F32GEMM_MAX_DIM,
  checkF32GemmDims,
  checkF32Matrix,
  f32GemmOut,
  f32gemm,
  type F32Gemm,
  type F32GemmB,
  type F32GemmLayout,
} from '../datapath/f32gemm';
import { KernelError, instantiateKernel, type KernelBytesSource, type KernelFlavor, type KernelModule } from './loader';
import { WasmFloatKernel, floatSelfTest, type FloatExports, type FloatKernel } from './float';

/** The float32 GEMM kernel: the F32Gemm interface of the twin, plus which build runs. */
export interface F32GemmKernel extends F32Gemm {
  readonly flavor: KernelFlavor;
  /**
   * The float64 element-wise ops of fp32/fake mode on the same module (softmax, SiLU, the
   * evaluation's per-row lse/argmax/KL; float.ts), bit for bit their TypeScript twins. Undefined
   * when this engine's Math.exp is not fdlibm's (the load-time self-test): callers run the twins.
   */
  readonly float?: FloatKernel;
}

interface F32GemmExports extends Partial<Omit<FloatExports, 'memory'>> {
  geometry(which: number): number;
  packA(src: number, M: number, K: number, dst: number): void;
  packB(src: number, K: number, N: number, nk: number, dst: number): void;
  gemm(A: number, B: number, C: number, M: number, K: number, N: number, ldc: number): void;
}

type Module = KernelModule<F32GemmExports>['exports'];

// ------------------------------------------------------------------------------ kernel memory

/**
 * Blocks of kernel memory that can be freed one by one, on top of the kernel's bump allocator
 * (which only grows, and is never reset here): first fit from a free list kept sorted by address,
 * neighbours merged, fresh memory from alloc() when nothing fits.
 */
class Heap {
  private readonly sizes = new Map<number, number>();
  /** Free blocks [ptr, size], sorted by ptr, never adjacent (merged). */
  private free: [number, number][] = [];

  constructor(private readonly e: Module) {}

  alloc(bytes: number): number {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > 0xffff_0000) throw new KernelError(`the f32 GEMM needs a ${bytes}-byte buffer, more than a 32-bit WebAssembly memory holds`);
    for (let n = 0; n < this.free.length; n++) {
      const [ptr, have] = this.free[n];
      if (have < size) continue;
      if (have === size) this.free.splice(n, 1);
      else this.free[n] = [ptr + size, have - size];
      this.sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.e.alloc(size);
    if (ptr === 0) throw new KernelError(`the f32 GEMM kernel could not grow its memory by ${size} bytes`);
    this.sizes.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    const f = this.free;
    let n = 0;
    while (n < f.length && f[n][0] < ptr) n++;
    f.splice(n, 0, [ptr, size]);
    if (n + 1 < f.length && f[n][0] + f[n][1] === f[n + 1][0]) {
      f[n][1] += f[n + 1][1];
      f.splice(n + 1, 1);
    }
    if (n > 0 && f[n - 1][0] + f[n - 1][1] === f[n][0]) {
      f[n - 1][1] += f[n][1];
      f.splice(n, 1);
    }
  }

  /** Bytes currently handed out (tests: nothing leaks). */
  get inUse(): number {
    let s = 0;
    for (const v of this.sizes.values()) s += v;
    return s;
  }
}

// ------------------------------------------------------------------------------ the kernel object

/** A B packed in kernel memory: [panels][K][NR] float32. */
class KernelB implements F32GemmB {
  ptr: number;
  constructor(
    readonly owner: Kernel,
    ptr: number,
    readonly K: number,
    readonly N: number,
  ) {
    this.ptr = ptr;
  }
  dispose(): void {
    if (this.ptr === 0) return;
    this.owner.releaseB(this);
  }
}

class Kernel implements F32GemmKernel {
  readonly heap: Heap;
  float?: FloatKernel;
  private readonly MR: number;
  private readonly NR: number;
  /** Frees the memory of handles that are dropped without dispose(). */
  private readonly registry: FinalizationRegistry<number> | null;

  constructor(
    private readonly e: Module,
    readonly flavor: KernelFlavor,
  ) {
    this.heap = new Heap(e);
    this.MR = e.geometry(0);
    this.NR = e.geometry(1);
    const FR = (globalThis as { FinalizationRegistry?: typeof FinalizationRegistry }).FinalizationRegistry;
    this.registry = FR ? new FR<number>((ptr) => this.heap.release(ptr)) : null;
  }

  gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, layout: F32GemmLayout, out?: Float32Array): Float32Array {
    checkF32GemmDims(M, K, N, layout);
    checkF32Matrix('a', a, M, K, `A [M, K] = [${M}, ${K}]`);
    const h = this.prepareB(b, K, N, layout);
    try {
      return this.gemmPrepared(a, M, h, f32GemmOut(out, M, N, a, b));
    } finally {
      h.dispose();
    }
  }

  prepareB(b: Float32Array, K: number, N: number, layout: F32GemmLayout): F32GemmB {
    checkF32GemmDims(undefined, K, N, layout);
    checkF32Matrix('b', b, layout === 'KN' ? K : N, layout === 'KN' ? N : K, layout === 'KN' ? `B [K, N] = [${K}, ${N}]` : `B [N, K] = [${N}, ${K}]`);
    const panels = Math.ceil(N / this.NR);
    const packed = this.heap.alloc(panels * this.NR * K * 4);
    if (K > 0 && N > 0) {
      let raw = 0;
      try {
        raw = this.heap.alloc(K * N * 4);
        new Float32Array(this.e.memory.buffer, raw, K * N).set(b);
        this.e.packB(raw, K, N, layout === 'NK' ? 1 : 0, packed);
      } catch (err) {
        this.heap.release(packed);
        throw err;
      } finally {
        this.heap.release(raw);
      }
    }
    const h = new KernelB(this, packed, K, N);
    this.registry?.register(h, packed, h);
    return h;
  }

  /** Called by KernelB.dispose(). */
  releaseB(h: KernelB): void {
    this.registry?.unregister(h);
    this.heap.release(h.ptr);
    h.ptr = 0;
  }

  gemmPrepared(a: Float32Array, M: number, b: F32GemmB, out?: Float32Array): Float32Array {
    if (!(b instanceof KernelB) || b.owner !== this) throw new FormatError('b', String(b), "a handle from this kernel's prepareB()");
    if (b.ptr === 0) throw new FormatError('b', 'a disposed handle', "a live handle from this kernel's prepareB()");
    const { K, N } = b;
    checkInt('M', M, 0, F32GEMM_MAX_DIM);
    checkF32Matrix('a', a, M, K, `A [M, K] = [${M}, ${K}]`);
    const c0 = f32GemmOut(out, M, N, a);
    if (M === 0 || N === 0 || K === 0) return c0.fill(0); // the empty sum is +0
    const { MR, NR, e, heap } = this;
    const tiles = Math.ceil(M / MR);
    const ldc = Math.ceil(N / NR) * NR;
    let raw = 0;
    let A = 0;
    let C = 0;
    try {
      raw = heap.alloc(M * K * 4);
      A = heap.alloc(tiles * MR * K * 4);
      C = heap.alloc(tiles * MR * ldc * 4);
      new Float32Array(e.memory.buffer, raw, M * K).set(a);
      e.packA(raw, M, K, A);
      e.gemm(A, b.ptr, C, M, K, N, ldc);
      const c = new Float32Array(e.memory.buffer, C, M * ldc);
      if (ldc === N) c0.set(c);
      else for (let i = 0; i < M; i++) c0.set(c.subarray(i * ldc, i * ldc + N), i * N);
    } finally {
      heap.release(C);
      heap.release(A);
      heap.release(raw);
    }
    return c0;
  }
}

/**
 * Load the float32 GEMM kernel. `getBytes` fetches a build by file name ('f32gemm.simd.wasm' or
 * 'f32gemm.relaxed.wasm'); the caller picks the flavor (detectFlavor() in ./loader). Throws
 * KernelError when the engine lacks the features, the bytes are missing, or the kernel disagrees
 * with the twin on a small self-test (e.g. an engine that flushes subnormals) — callers then use
 * the twin (f32gemmTwin), which gives the same bits.
 */
export async function loadF32GemmKernel(getBytes: KernelBytesSource, flavor: KernelFlavor): Promise<F32GemmKernel> {
  if (flavor !== 'relaxed' && flavor !== 'simd') throw new KernelError(`unknown kernel flavor ${JSON.stringify(flavor)}: 'relaxed' or 'simd'`);
  const mod = await instantiateKernel<F32GemmExports>(getBytes, 'f32gemm', flavor);
  const k = new Kernel(mod.exports, flavor);
  selfTest(k);
  const e = mod.exports;
  if (e.exp_f64 && e.softmax_causal && e.silu_f32 && e.logit_rows && e.kl_rows) {
    const f = new WasmFloatKernel(e as unknown as FloatExports, k.heap);
    if (floatSelfTest(f)) k.float = f;
  }
  return k;
}

/** Values that exercise every rule: signs, zeros, subnormals, overflow, NaN, ±Inf, cancellation. */
const SELF_TEST_VALUES = [1.5, -2.25, 0, -0, 3e-39, -1e-45, 1e-30, 3e38, -3e38, 0.1, 7, -1 / 3, 2 ** -75];

function selfTest(k: Kernel): void {
  const pick = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => SELF_TEST_VALUES[(i * s + (i >> 3)) % SELF_TEST_VALUES.length]);
  const cases: [number, number, number, F32GemmLayout][] = [
    [5, 7, 11, 'KN'],
    [6, 9, 13, 'NK'],
    [3, 530, 9, 'NK'], // crosses the kernel's K block (512)
  ];
  for (const [M, K, N, layout] of cases) {
    const a = pick(M * K, 5);
    const b = pick(K * N, 3);
    if (M === 5) {
      a[3] = NaN;
      b[20] = Infinity;
      b[31] = -Infinity;
    }
    const want = new Uint32Array(f32gemm(a, b, M, K, N, layout).buffer);
    const got = new Uint32Array(k.gemm(a, b, M, K, N, layout).buffer);
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) {
        throw new KernelError(`the f32 GEMM kernel (${k.flavor}) disagrees with its twin on this engine (${M}×${K}×${N} ${layout}, output ${i}: 0x${got[i].toString(16)} vs 0x${want[i].toString(16)})`);
      }
    }
  }
}
