// Vite config for the studio UI. `npm start` serves on 127.0.0.1:5173; e2e runs `vite build` then
// `vite preview` on 4173. Workers are ES modules (the quantize worker uses top-level imports), and
// the WASM kernels are referenced with new URL('./kernels/build/*.wasm', import.meta.url) in the
// worker, which Vite copies into dist-app/assets.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { svText } from './tools/vite/svText';

export default defineConfig({
  plugins: [svText(), react()],
  // Workers get the .sv text plugin too: the RTL worker embeds the component library.
  worker: { format: 'es', plugins: () => [svText()] },
  build: {
    outDir: 'dist-app',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // d3 + react are one vendor chunk; nothing here is worth splitting yet.
    chunkSizeWarningLimit: 1200,
  },
  // Never inline the .wasm kernels as data: URLs (they are fetched and compiled in the worker).
  assetsInclude: ['**/*.wasm'],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
