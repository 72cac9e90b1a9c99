// Lint rules whose job is the architecture: imports flow UI → services → worker contracts → core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

const uiPackages = ['react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*', 'd3', 'd3-*', 'monaco-editor', 'monaco-editor/*', '@xterm/*', 'comlink'];
const uiFolders = ['**/app/**', '**/state/**', '**/services/**', '**/panes/**', '**/ui/**'];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'dist-app', 'workers/kernels/build', 'workers/kernels/assembly/**', 'test-results', 'playwright-report'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: uiPackages.filter((p) => !p.includes('*')).map((name) => ({ name, message: 'src/core is ring 1: no UI, DOM or worker-bridge packages.' })),
        patterns: [
          { group: uiPackages.filter((p) => p.includes('*')), message: 'src/core is ring 1: no UI packages.' },
          { group: [...uiFolders, '**/workers/**', '**/cli/**'], message: 'src/core must not import outer rings (UI, workers, CLI).' },
          { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads'], message: 'src/core runs in browsers too: no Node built-ins (inject bytes/IO from the caller).' },
        ],
      }],
    },
  },
  {
    files: ['workers/**/*.ts'],
    ignores: ['workers/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['react', 'react-dom', 'zustand', 'd3', 'monaco-editor', '@xterm/*'], message: 'Workers are thin facades over core: no UI packages.' },
          { group: uiFolders, message: 'Workers must not import the UI ring.' },
        ],
      }],
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/panes/**', '**/app/**'], message: 'Services sit below the panes and the shell.' }],
      }],
    },
  },
  {
    files: ['src/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
