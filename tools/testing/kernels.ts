// Test support: the built kernel files, read from workers/kernels/build (tools/testing/buildKernels.ts
// builds them before the tests run). Core's loaders take injected bytes; this is Node's way to inject them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const KERNEL_BUILD_DIR = fileURLToPath(new URL('../../workers/kernels/build/', import.meta.url));

/** Bytes of one kernel build, e.g. 'quantize.relaxed.wasm' (the getBytes callback of the loaders). */
export async function kernelBytes(file: string): Promise<Uint8Array> {
  return readFileSync(KERNEL_BUILD_DIR + file);
}
