// Vite/Vitest plugin: `import text from './x.sv'` yields the file's text, so the RTL component
// library (src/core/rtl/components/*.sv) stays real .sv files that Verilator and Icarus read
// directly, while the generator (ring 1) embeds them in bundles in the browser, the CLI (esbuild's
// `--loader:.sv=text` does the same there) and the tests.
import type { Plugin } from 'vite';

export function svText(): Plugin {
  return {
    name: 'mx-studio-sv-text',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0];
      if (!file.endsWith('.sv') && !file.endsWith('.svh')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}
