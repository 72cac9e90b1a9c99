#!/usr/bin/env node
// Compile every AssemblyScript kernel in workers/kernels/assembly/*.ts (files starting with "_" are
// shared includes) into two WASM builds:
//   build/<name>.simd.wasm     plain 128-bit SIMD (Baseline in every current browser)
//   build/<name>.relaxed.wasm  + relaxed SIMD (Chrome ≥ 114, Firefox ≥ 146; Node needs --experimental-wasm-relaxed-simd)
// Kernels branch on the compile-time constant ASC_FEATURE_RELAXED_SIMD. The loader in
// src/core/kernels picks a build by feature detection. A stamp keyed by the sources, the flags and the
// compiler version skips work when nothing changed.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'workers/kernels/assembly');
const outDir = join(root, 'workers/kernels/build');
const ascVersion = JSON.parse(readFileSync(join(root, 'node_modules/assemblyscript/package.json'), 'utf8')).version;
const common = ['-O3', '--noAssert', '--runtime', 'stub', '--initialMemory', '2', '--exportStart', '_initialize', '--enable', 'simd'];
const flavors = { simd: [], relaxed: ['--enable', 'relaxed-simd'] };

mkdirSync(outDir, { recursive: true });
const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.d.ts'));
const shared = readdirSync(srcDir).filter((f) => f.startsWith('_') && f.endsWith('.ts'));
if (!files.length) {
  console.error('build-kernels: no kernels found in workers/kernels/assembly');
  process.exit(1);
}
const hash = createHash('sha256').update(ascVersion).update(JSON.stringify([common, flavors]));
for (const f of [...files, ...shared].sort()) hash.update(f).update(readFileSync(join(srcDir, f)));
const key = hash.digest('hex').slice(0, 16);
const stamp = join(outDir, '.stamp');
const outputs = files.flatMap((f) => Object.keys(flavors).map((fl) => join(outDir, `${f.slice(0, -3)}.${fl}.wasm`)));
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key && outputs.every(existsSync)) {
  console.log(`build-kernels: up to date (${files.length} kernels, key ${key})`);
  process.exit(0);
}
for (const f of files) {
  const name = f.slice(0, -3);
  for (const [flavor, extra] of Object.entries(flavors)) {
    const out = join(outDir, `${name}.${flavor}.wasm`);
    const { error, stderr } = await asc.main([join(srcDir, f), ...common, ...extra, '--outFile', out, '--textFile', out.replace(/\.wasm$/, '.wat')], {});
    if (error) {
      console.error(stderr.toString());
      console.error(`build-kernels: ${f} (${flavor}) failed: ${error.message}`);
      process.exit(1);
    }
  }
}
writeFileSync(stamp, key);
console.log(`build-kernels: built ${files.length} kernels × ${Object.keys(flavors).length} flavors into workers/kernels/build (key ${key})`);
