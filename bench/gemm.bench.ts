// The integer block GEMM against the WASM SIMD ceiling measured in the same run
// (perf-baselines.md §4–§5, ratio #3): G MAC/s of the kernel ÷ G MAC/s of the peak loop of the
// same flavor, plus the TypeScript twin for context and a bit-exact check of kernel vs twin.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '../src/core/formats/index';
import { blockGemm } from '../src/core/datapath/index';
import { loadGemmKernel, type GemmFlavor, type GemmKernel } from '../src/core/kernels/gemm';
import { bestCpuMs } from './machine';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'workers/kernels/build');
const FLAVORS: GemmFlavor[] = ['simd', 'relaxed'];

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

interface PeakExports {
  peakDot16(iters: number, seed: number): number;
  peakRelaxedDot(iters: number, seed: number): number;
  peakF64(iters: number, seed: number): number;
}

/** G MAC/s of the in-register peak loops of one build. */
async function peaks(flavor: GemmFlavor): Promise<{ int: number; f64: number }> {
  const { instance } = await WebAssembly.instantiate(await readFile(join(buildDir, `peak.${flavor}.wasm`)), { env: { abort() {} } });
  const e = instance.exports as unknown as PeakExports;
  // short runs, many of them: the best one is the least disturbed by whatever else shares the core
  const iters = 4_000_000;
  const ms =
    flavor === 'simd'
      ? await bestCpuMs(15, () => e.peakDot16(iters, 3))
      : await bestCpuMs(15, () => e.peakRelaxedDot(iters, 3));
  const macs = iters * 8 * (flavor === 'simd' ? 8 : 16); // 8 chains × (8 MACs per dot_i16x8 | 16 per relaxed i8 dot)
  const msF = await bestCpuMs(15, () => e.peakF64(iters, 3));
  return { int: macs / ms / 1e6, f64: (iters * 16) / msF / 1e6 };
}

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function run(): Promise<void> {
  execFileSync(process.execPath, [join(root, 'tools/build-kernels.mjs')], { cwd: root, stdio: 'pipe' });
  const getBytes = (f: string) => readFile(join(buildDir, f));
  const kernels = {} as Record<GemmFlavor, GemmKernel>;
  const peak = {} as Record<GemmFlavor, { int: number; f64: number }>;
  for (const fl of FLAVORS) {
    kernels[fl] = await loadGemmKernel(getBytes, fl);
    peak[fl] = await peaks(fl);
  }
  // Measured again after the GEMMs, keeping the best: on a shared machine one burst of contention
  // would otherwise lower the ceiling and flatter the ratios.
  const remeasurePeaks = async () => {
    for (const fl of FLAVORS) {
      const p = await peaks(fl);
      peak[fl] = { int: Math.max(peak[fl].int, p.int), f64: Math.max(peak[fl].f64, p.f64) };
    }
  };

  const M = 256;
  const K = 1024;
  const N = 1024;
  const macs = M * N * K;
  const xa = gaussian(M * K, 1);
  const xw = gaussian(N * K, 2); // B as an nn.Linear weight [N, K], blocked along K
  console.log(`GEMM C[${M}×${N}] = A[${M}×${K}] · W[${N}×${K}]ᵀ, N(0,1) data, block 32, 1 thread, CPU time best of 9 (kernel) / 5 (end to end); peaks best of 2 × 15 short runs\n`);
  console.log('| format | flavor | path (segments) | kernel ms | G MAC/s | peak G MAC/s | ratio | end-to-end ms (incl. packing) | G MAC/s e2e | ratio e2e |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const results: { f: string; fl: GemmFlavor; path: string; ms: number; e2e: number }[] = [];
  for (const f of ['mxint8', 'mxfp4', 'mxfp8_e4m3']) {
    const a = encode(f, xa, [M, K], 1);
    const w = encode(f, xw, [N, K], 1);
    for (const fl of FLAVORS) {
      const k = kernels[fl];
      const plan = k.prepare(a, w, { b: 'NK' });
      for (let i = 0; i < 3; i++) k.run(plan); // V8 starts wasm in its baseline tier: let TurboFan take over
      const ms = await bestCpuMs(9, () => k.run(plan));
      const e2e = await bestCpuMs(5, () => k.gemm(a, w, { b: 'NK' }));
      const i = plan.info;
      results.push({ f, fl, ms, e2e, path: `${i.path} (${i.segments})${i.exactOutputs ? `, ${i.exactOutputs} exact` : ''}` });
    }
  }
  await remeasurePeaks();
  const rows: { f: string; fl: GemmFlavor; ratio: number; path: string }[] = [];
  for (const { f, fl, ms, e2e, path } of results) {
    const g = macs / ms / 1e6;
    const ge = macs / e2e / 1e6;
    rows.push({ f, fl, ratio: g / peak[fl].int, path: path.split(' ')[0] });
    console.log(`| ${f} | ${fl} | ${path} | ${fmt(ms, 2)} | ${fmt(g)} | ${fmt(peak[fl].int)} | ${fmt((100 * g) / peak[fl].int, 0)}% | ${fmt(e2e, 1)} | ${fmt(ge)} | ${fmt((100 * ge) / peak[fl].int, 0)}% |`);
  }
  console.log('\nPeak loops (in registers, 8 independent accumulators): plain = i32x4.dot_i16x8_s + i32x4.add (8 MACs each);');
  console.log('relaxed = i32x4.relaxed_dot_i8x16_i7x16_add_s (16 MACs each). For the f64 path: f64x2 mul+add (plain) /');
  console.log(`relaxed_madd (relaxed) in registers reach ${fmt(peak.simd.f64)} / ${fmt(peak.relaxed.f64)} G MAC/s.`);
  const missed = rows.filter((r) => r.ratio < 0.5);
  if (missed.length === 0) console.log('\nTarget (≥ 50% of the peak of the same flavor, kernel only): met for every row.');
  else {
    console.log(`\nTarget (≥ 50% of the peak of the same flavor, kernel only): MISSED for ${missed.map((r) => `${r.f}/${r.fl}`).join(', ')}.`);
    if (missed.some((r) => r.path === 'f64')) {
      const share = FLAVORS.map((fl) => `${fmt((100 * peak[fl].f64) / peak[fl].int, 0)}% (${fl})`).join(', ');
      console.log('  Bound: FP8 E4M3 codes reach 229376 (18 bits), so no 16-bit lane holds them and the kernel runs on exact');
      console.log(`  f64 products and sums (2 MACs per f64x2 op). The f64 in-register ceiling is ${share} of the integer`);
      console.log('  dot peak, so ≥ 50% is out of reach for this format; the kernel runs at that f64 ceiling.');
    }
    const other = missed.filter((r) => r.path !== 'f64');
    if (other.length) console.log(`  Also missed on integer paths: ${other.map((r) => `${r.f}/${r.fl} (${r.path})`).join(', ')} — see the path column.`);
  }

  // The twin, for context, on a smaller problem.
  const tm = 32;
  const tk = 256;
  const tn = 64;
  const ta = encode('mxint8', xa.subarray(0, tm * tk), [tm, tk], 1);
  const tw = encode('mxint8', xw.subarray(0, tn * tk), [tn, tk], 1);
  const tms = await bestCpuMs(3, () => blockGemm(ta, tw, { b: 'NK' }));
  const kms = await bestCpuMs(5, () => kernels.simd.gemm(ta, tw, { b: 'NK' }));
  console.log(`\nTS twin (BigInt, readable), MXINT8 ${tm}×${tk}×${tn}: ${fmt(tms, 1)} ms = ${fmt((tm * tk * tn) / tms / 1e3, 2)} M MAC/s; kernel end to end on the same: ${fmt(kms, 2)} ms (${fmt(tms / kms, 0)}× faster).`);

  // Bit-exact check: a 16×24 sub-block of the big kernel result against the twin on the same rows/columns.
  const sm = 16;
  const sn = 24;
  let diff = 0;
  let checked = 0;
  for (const f of ['mxint8', 'mxfp4', 'mxfp8_e4m3']) {
    const a = encode(f, xa, [M, K], 1);
    const w = encode(f, xw, [N, K], 1);
    const sa = encode(f, xa.subarray(0, sm * K), [sm, K], 1); // rows are blocked independently
    const sw = encode(f, xw.subarray(0, sn * K), [sn, K], 1);
    const want = new Uint32Array(blockGemm(sa, sw, { b: 'NK' }).buffer);
    for (const fl of FLAVORS) {
      const got = new Uint32Array(kernels[fl].gemm(a, w, { b: 'NK' }).buffer);
      for (let i = 0; i < sm; i++) for (let j = 0; j < sn; j++, checked++) if (got[i * N + j] !== want[i * sn + j]) diff++;
    }
  }
  console.log(`Bit-exact check, kernel (full problem) vs twin on C[0:${sm}, 0:${sn}], 3 formats × 2 flavors: ${checked - diff}/${checked} outputs identical${diff ? ` — ${diff} DIFFER` : ''}.`);
}
