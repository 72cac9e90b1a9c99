// Vitest global setup: build the WASM kernels once, before any test file runs, so test files never
// race each other into tools/build-kernels.mjs (it is a no-op when its content key is unchanged).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../build-kernels.mjs', import.meta.url));
  try {
    execFileSync(process.execPath, [script], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`building the WASM kernels failed (run npm run build:kernels): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  }
}
