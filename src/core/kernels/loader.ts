/**
 * Loading the WASM kernels built from workers/kernels/assembly (see workers/kernels/README.md).
 *
 * Ring 1: no DOM and no Node built-ins. The caller injects the bytes (`fetch` in the page or a
 * worker, `readFile` in Node), so the same code runs everywhere. The `WebAssembly` global is reached
 * through a minimal local interface because the core tsconfig has no DOM/WebWorker lib.
 */

/** 'relaxed': the build that may use relaxed-SIMD instructions; 'simd': plain 128-bit SIMD. */
export type KernelFlavor = 'relaxed' | 'simd';

/** Kernel bytes as the caller has them (what the DOM calls a BufferSource). */
export type WasmBytes = ArrayBuffer | ArrayBufferView;

/** Fetches a kernel build by file name, e.g. 'quantize.simd.wasm'. */
export type KernelBytesSource = (file: string) => Promise<WasmBytes>;

/** Thrown when a kernel cannot be loaded or cannot handle a request (callers fall back to core). */
export class KernelError extends Error {
  override readonly name = 'KernelError';
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: WasmBytes): boolean;
  instantiate(bytes: WasmBytes, imports?: Record<string, Record<string, unknown>>): Promise<{ instance: WasmInstance }>;
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

// A module with one function that runs i8x16.relaxed_swizzle on two v128.const operands. Only an
// engine with relaxed SIMD validates it (Node 20 only with --experimental-wasm-relaxed-simd).
const z16 = new Array<number>(16).fill(0);
function probeModule(op: readonly number[]): Uint8Array {
  const body = [0x00, 0xfd, 0x0c, ...z16, 0xfd, 0x0c, ...z16, ...op, 0x1a, 0x0b];
  const code = [0x01, body.length, ...body];
  // magic, version, type section [() → ()], function section [type 0], code section
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, code.length, ...code]);
}
/** i8x16.relaxed_swizzle (0xfd 0x100). */
export const RELAXED_PROBE: Uint8Array = probeModule([0xfd, 0x80, 0x02]);
/** The same module with the plain i8x16.swizzle (0xfd 0x0e) and a nop: validates wherever SIMD does. */
export const SIMD_PROBE: Uint8Array = probeModule([0xfd, 0x0e, 0x01]);

/** 'relaxed' when this engine validates relaxed-SIMD code, else 'simd'. */
export function detectFlavor(): KernelFlavor {
  const W = wasmApi();
  try {
    return W && W.validate(RELAXED_PROBE) ? 'relaxed' : 'simd';
  } catch {
    return 'simd';
  }
}

/** True when this engine has WebAssembly with 128-bit SIMD (every current browser and Node ≥ 16). */
export function hasWasmSimd(): boolean {
  const W = wasmApi();
  try {
    return !!W && W.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The exports every kernel module built by tools/build-kernels.mjs has, plus its own functions. */
export interface KernelModule<E> {
  readonly flavor: KernelFlavor;
  readonly exports: E & {
    readonly memory: WasmMemory;
    /** Bump allocator over linear memory (16-byte aligned, grows memory); 0 when memory is exhausted. */
    alloc(bytes: number): number;
    /** Free everything alloc handed out. */
    reset(): void;
    /** 1 = plain SIMD build, 2 = relaxed build. */
    flavor(): number;
  };
}

/**
 * Fetch and instantiate `<name>.<flavor>.wasm` (flavor: detected when omitted).
 * Throws KernelError when the engine lacks the features, the bytes are missing or the module is not
 * the expected build.
 */
export async function instantiateKernel<E>(getBytes: KernelBytesSource, name: string, flavor: KernelFlavor = detectFlavor()): Promise<KernelModule<E>> {
  const W = wasmApi();
  if (!W) throw new KernelError('WebAssembly is not available in this environment');
  if (!hasWasmSimd()) throw new KernelError('this WebAssembly engine lacks 128-bit SIMD (needed by every kernel build)');
  if (flavor === 'relaxed' && detectFlavor() !== 'relaxed') {
    throw new KernelError('this WebAssembly engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); load the simd flavor');
  }
  const file = `${name}.${flavor}.wasm`;
  let bytes: WasmBytes;
  try {
    bytes = await getBytes(file);
  } catch (e) {
    throw new KernelError(`could not read kernel ${file}: ${e instanceof Error ? e.message : String(e)} (build it with npm run build:kernels)`);
  }
  let instance: WasmInstance;
  try {
    ({ instance } = await W.instantiate(bytes, {
      env: {
        abort: () => {
          throw new KernelError(`kernel ${file} aborted`);
        },
      },
    }));
  } catch (e) {
    throw new KernelError(`could not instantiate kernel ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const ex = instance.exports as KernelModule<E>['exports'] & { _initialize?: () => void };
  for (const f of ['alloc', 'reset', 'flavor']) {
    if (typeof (ex as unknown as Record<string, unknown>)[f] !== 'function') throw new KernelError(`kernel ${file} does not export ${f}()`);
  }
  ex._initialize?.();
  const built = ex.flavor() === 2 ? 'relaxed' : 'simd';
  if (built !== flavor) throw new KernelError(`kernel ${file} is the ${built} build, not ${flavor}`);
  return { flavor, exports: ex };
}
