import { defineConfig } from 'vitest/config';
import { svText } from './tools/vite/svText';

export default defineConfig({
  plugins: [svText()],
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'workers/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['e2e/**', 'node_modules/**'],
    environment: 'node',
    globalSetup: ['tools/testing/buildKernels.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Node 20 ships relaxed SIMD behind a flag; the kernels' relaxed flavor is tested in the same run.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
