// MX quantize→dequantize throughput (perf-baselines.md §1, §5 ratio 1): the WASM kernel (both
// builds) against its TypeScript twin (core quantizeWithCounts) and against PyTorch running the
// reference algorithm (bench/torch_mx_quantize.py), on a 4096×4096 fp32 N(0,1) tensor with varied
// row scales, blocks of 32 along the last axis, one thread, process CPU time, best of 3.
// Also checks that the kernel's output equals the twin's bit for bit on the benchmark tensor.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantizeWithCounts, type QuantResult } from '../src/core/formats';
import { detectFlavor, loadQuantKernels, type KernelFlavor } from '../src/core/kernels';
import { bestCpuMs, machineLine } from './machine';

const N = 4096;
const FORMATS = ['mxfp4', 'mxint8'] as const;
const REPEAT = 3;
const PYTHON = '/usr/bin/python3';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** N(0,1) rows (Box–Muller, seeded) times a per-row power of two in 2^−8 … 2^7. */
function benchTensor(n: number): Float32Array {
  let s = 0x9e3779b9;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const scale = 2 ** (Math.floor(rnd() * 16) - 8);
    for (let c = 0; c < n; c += 2) {
      const rad = Math.sqrt(-2 * Math.log(1 - rnd()));
      const th = 2 * Math.PI * rnd();
      x[r * n + c] = rad * Math.cos(th) * scale;
      x[r * n + c + 1] = rad * Math.sin(th) * scale;
    }
  }
  return x;
}

function sameBits(a: QuantResult, b: QuantResult): boolean {
  const ua = new Uint32Array(a.values.buffer, a.values.byteOffset, a.values.length);
  const ub = new Uint32Array(b.values.buffer, b.values.byteOffset, b.values.length);
  if (ua.length !== ub.length) return false;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return JSON.stringify(a.counts) === JSON.stringify(b.counts);
}

interface TorchRun {
  results?: Record<string, { ms: number; melem_s: number }>;
  torch?: string;
  skip?: string;
  diffs?: Record<string, number>;
}

/** Run the PyTorch reference on the same tensor; count its outputs that differ from the twin's (§A12 artefacts). */
function runTorch(x: Float32Array, twins: Record<string, QuantResult>): TorchRun {
  if (!existsSync(PYTHON)) return { skip: `${PYTHON} not found` };
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-'));
  try {
    const input = join(dir, 'x.f32');
    writeFileSync(input, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const r = spawnSync(PYTHON, [join(root, 'bench/torch_mx_quantize.py'), '--n', String(N), '--repeat', String(REPEAT), '--formats', FORMATS.join(','), '--input', input, '--output-dir', dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    if (r.status !== 0) return { skip: `python exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop()}` };
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchRun;
    if (out.skip) return out;
    out.diffs = {};
    for (const f of FORMATS) {
      const file = join(dir, `${f}.f32`);
      if (!existsSync(file)) continue;
      const buf = readFileSync(file);
      const got = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const want = new Uint32Array(twins[f].values.buffer);
      let d = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) d++;
      out.diffs[f] = d;
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const ratio = (a: number | undefined, b: number) => (a === undefined ? '—' : `${(a / b).toFixed(1)}×`);

export async function run(): Promise<void> {
  execFileSync(process.execPath, [join(root, 'tools/build-kernels.mjs')], { cwd: root, stdio: 'pipe' });
  const getBytes = async (file: string) => readFileSync(join(root, 'workers/kernels/build', file));
  const flavors: KernelFlavor[] = detectFlavor() === 'relaxed' ? ['relaxed', 'simd'] : ['simd'];
  const kernels = await Promise.all(flavors.map((f) => loadQuantKernels(getBytes, f)));

  const x = benchTensor(N);
  const shape = [N, N];
  const rows: { fmt: string; impl: string; ms: number }[] = [];
  const exact: string[] = [];
  const twins: Record<string, QuantResult> = {};
  for (const fmt of FORMATS) {
    let twin!: QuantResult;
    const twinMs = await bestCpuMs(REPEAT, () => {
      twin = quantizeWithCounts(fmt, x, shape);
    });
    twins[fmt] = twin;
    for (const k of kernels) {
      let got!: QuantResult;
      const ms = await bestCpuMs(REPEAT, () => {
        got = k.quantize(fmt, x, shape);
      });
      rows.push({ fmt, impl: `WASM kernel (${k.flavor})`, ms });
      exact.push(`${fmt} ${k.flavor}: ${sameBits(got, twin) ? 'yes' : 'NO'}`);
    }
    rows.push({ fmt, impl: 'TS twin (core quantizeWithCounts)', ms: twinMs });
  }

  // Where the kernel's time goes: the kernel alone streams through linear memory; the contract
  // also copies the input in, copies the result out and, above all, page-faults a fresh 64 MiB
  // result array (every implementation that returns a new tensor pays that).
  const freshMs = await bestCpuMs(REPEAT, () => new Float32Array(N * N).fill(1));
  const copyMs = await bestCpuMs(REPEAT, () => {
    const y = new Float32Array(N * N);
    y.set(x);
    y.set(x);
  });

  const torch = runTorch(x, twins);
  for (const fmt of FORMATS) {
    const t = torch.results?.[fmt];
    if (t) rows.push({ fmt, impl: `PyTorch ${torch.torch} reference (§1)`, ms: t.ms });
  }

  const elems = N * N;
  console.log(`MX quantize→dequantize, ${N}×${N} fp32 (N(0,1) × per-row 2^−8…2^7), block 32 along the last axis, 1 thread, CPU time best of ${REPEAT}`);
  console.log('');
  console.log('| format | impl | ms | Melem/s | speed-up vs PyTorch | speed-up vs TS twin |');
  console.log('|---|---|---|---|---|---|');
  for (const fmt of FORMATS) {
    const torchMs = torch.results?.[fmt]?.ms;
    const twinMs = rows.find((r) => r.fmt === fmt && r.impl.startsWith('TS twin'))!.ms;
    for (const r of rows.filter((q) => q.fmt === fmt)) {
      console.log(`| ${fmt.toUpperCase()} | ${r.impl} | ${fmtMs(r.ms)} | ${(elems / r.ms / 1000).toFixed(0)} | ${ratio(torchMs, r.ms)} | ${ratio(twinMs, r.ms)} |`);
    }
  }
  console.log('');
  console.log(`bit-exact (kernel vs TS twin: every output bit and the counts): ${exact.every((e) => e.endsWith('yes')) ? 'yes' : 'no'} (${exact.join('; ')})`);
  console.log(`of the kernel's ms: allocating and filling a fresh ${(elems * 4) >> 20} MiB result alone takes ${fmtMs(freshMs)} ms here, one more copy of it ${fmtMs(Math.max(0, copyMs - freshMs) / 2)} ms`);
  if (torch.skip) console.log(`PyTorch: skipped (${torch.skip})`);
  else if (torch.diffs) {
    const d = FORMATS.map((f) => `${f} ${torch.diffs![f] ?? 'n/a'}`).join(', ');
    console.log(`PyTorch reference vs TS twin, differing elements of ${elems} (float32 log2 artefacts, mx-formats.md §A12): ${d}`);
  }
  console.log(`aim (perf-baselines.md §5): kernel ≥ 5× PyTorch; ${machineLine()}`);
}
