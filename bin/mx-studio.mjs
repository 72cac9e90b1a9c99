#!/usr/bin/env node
// Entry point of `npx mx-studio`: runs the bundled CLI (dist/cli.mjs, built by `npm run build:cli`,
// which `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  console.error('mx-studio: dist/cli.mjs is missing — run `npm run build:cli` (npm ci runs it for you)');
  process.exit(2);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
