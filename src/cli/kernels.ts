/**
 * The WASM kernels (quantize, integer GEMM, float32 GEMM) for commands that run the emulator in
 * Node: from `--kernels DIR`, else workers/kernels/build beside the sources or the bundle; on any
 * failure the TypeScript core runs instead (same bits, slower), and the note says why.
 * Same lookup and fallback as `mx-studio eval` (src/cli/eval.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatorKernels } from '../core/emulate';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../core/kernels';

/** The kernels folder: `opt` (a path, or 'off' for none), else workers/kernels/build beside the sources or the bundle. */
export function kernelDir(opt: string | undefined): string | null {
  if (opt === 'off') return null;
  if (opt) return resolve(opt);
  for (const rel of ['../../workers/kernels/build/', '../workers/kernels/build/']) {
    const d = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(d, 'quantize.simd.wasm'))) return d;
  }
  return null;
}

/**
 * Load the kernels in the flavor the engine supports. `tag` is `wasm-simd`, `wasm-relaxed` or `ts`;
 * `note` is a human sentence for the text output.
 */
export async function loadNodeKernels(opt: string | undefined): Promise<{ kernels: EmulatorKernels; note: string; tag: string }> {
  const dir = kernelDir(opt);
  if (!dir) return { kernels: {}, note: opt === 'off' ? 'TypeScript core (--kernels off)' : 'TypeScript core (no WASM build found; npm run build:kernels)', tag: 'ts' };
  const flavor = detectFlavor();
  const bytes = async (file: string) => new Uint8Array(await readFile(join(dir, file)));
  try {
    const [quant, gemm, f32gemm] = await Promise.all([loadQuantKernels(bytes, flavor), loadGemmKernel(bytes, flavor), loadF32GemmKernel(bytes, flavor)]);
    return { kernels: { quant, gemm, f32gemm }, note: `WASM ${flavor} (quantize, integer GEMM, float32 GEMM) from ${dir}`, tag: `wasm-${flavor}` };
  } catch (e) {
    return { kernels: {}, note: `TypeScript core (WASM kernels failed to load: ${(e as Error).message.split('\n')[0]})`, tag: 'ts' };
  }
}
