// Node loader hook for the calibration CLI: `import text from './x.sv'` yields the file's text, as
// tools/vite/svText.ts does for vite/vitest and `--loader:.sv=text` for the esbuild CLI bundle
// (src/core/rtl/mxLibrary.ts imports the component library that way).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
export async function load(url, context, next) {
  if (url.endsWith('.sv') || url.endsWith('.svh')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
  }
  return next(url, context);
}`),
  import.meta.url,
);
