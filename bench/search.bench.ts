// Mixed-precision search on the default model (sotu-llama-1m): the studio's strategies (nsga2, tpe,
// random, greedy through `mx-studio search`) against Optuna 3.1's NSGAIISampler and TPESampler
// (multi-objective; tools/optuna/optuna_search.py driving `mx-studio objective`), on the same space
// (MASE's default), objectives (perplexity, energy_pj), fidelity (fake mode, first 1024 tokens of
// test.txt) and evaluator. Prints the hypervolume after 50, 100 and 200 trials of each run — all
// against one reference point (the CLI's rule: worst quantized uniform baseline + 10 % of the range;
// the bench checks every run reports the same one) — plus a second, accuracy-focused reference (the
// box of designs at least as accurate as uniform MXInt4 and cheaper than uniform MXInt8), wall and
// CPU times, and whether the studio's best ≥ Optuna's best at every budget.
// Env: SEARCH_BENCH_SEEDS=1,2,3 (default 1: the table holds the mean over seeds),
// SEARCH_BENCH_TRIALS (default 200), SEARCH_BENCH_ABLATION=1 adds the studio strategies with --plain.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise } from '../src/core/search';
import { machineLine } from './machine';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(root, 'public/models/sotu-llama-1m');
const PROBLEM = ['--model', MODEL, '--objectives', 'perplexity,energy_pj'];
const BUDGETS = [50, 100, 200];

interface Results {
  strategy: string;
  trials: { objectives: { perplexity: number; energy_pj: number }; feasible: boolean; cached: boolean }[];
  hypervolume: { value: number; reference_point: { perplexity: number; energy_pj: number }; history: number[] };
  baselines: { name: string; objectives: { perplexity: number; energy_pj: number } }[];
  fidelity: { tokens: number; window: number; predictions: number; mode: string; kernels: string };
  evaluations: number;
  timing: { search_ms?: number; total_ms: number; sensitivity_ms?: number };
}

/** Run a command; wall time, and CPU time of it and its descendants (bash's `times`). */
function timed(cmd: string, args: string[]): Promise<{ wallMs: number; cpuMs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('bash', ['-c', '"$@" >/dev/null; rc=$?; times; exit $rc', 'bash', cmd, ...args], { cwd: root });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').pop()}`));
      // `times`: the shell's user/sys, then its children's
      const m = out.trim().split('\n').pop()!.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
      const cpuMs = m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : NaN;
      resolve({ wallMs, cpuMs, stderr: err });
    });
  });
}

function optunaAvailable(): string | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import optuna'], { stdio: 'pipe' });
    return null;
  } catch {
    return existsSync('/usr/bin/python3') ? 'python3-optuna is not installed (apt-get install -y python3-optuna)' : 'no /usr/bin/python3';
  }
}

const sci = (x: number) => (x === 0 ? '0' : x.toExponential(3));

export async function run(): Promise<void> {
  const trials = Number(process.env.SEARCH_BENCH_TRIALS ?? 200);
  const seeds = (process.env.SEARCH_BENCH_SEEDS ?? '1').split(',').map(Number);
  const budgets = BUDGETS.filter((b) => b <= trials);
  if (!budgets.includes(trials)) budgets.push(trials);
  // the Optuna driver runs the bundled CLI; build it from the current sources
  execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: root, stdio: 'pipe' });
  const dir = mkdtempSync(join(tmpdir(), 'mx-search-bench-'));

  const runs: { label: string; kind: 'studio' | 'optuna'; make: (seed: number, out: string) => [string, string[]] }[] = [];
  const cli = join(root, 'bin/mx-studio.mjs');
  for (const s of ['nsga2', 'tpe', 'random', 'greedy']) {
    runs.push({ label: s, kind: 'studio', make: (seed, out) => ['node', [cli, 'search', ...PROBLEM, '--strategy', s, '--trials', String(trials), '--seed', String(seed), '--out', out]] });
  }
  if (process.env.SEARCH_BENCH_ABLATION === '1') {
    for (const s of ['nsga2', 'tpe', 'greedy']) {
      runs.push({ label: `${s} --plain`, kind: 'studio', make: (seed, out) => ['node', [cli, 'search', ...PROBLEM, '--strategy', s, '--plain', '--trials', String(trials), '--seed', String(seed), '--out', out]] });
    }
  }
  const skip = optunaAvailable();
  if (!skip) {
    for (const s of ['nsga2', 'tpe']) {
      runs.push({ label: `optuna ${s}`, kind: 'optuna', make: (seed, out) => ['/usr/bin/python3', [join(root, 'tools/optuna/optuna_search.py'), '--sampler', s, '--trials', String(trials), '--seed', String(seed), '--out', out, '--', ...PROBLEM]] });
    }
  }

  type Row = { label: string; kind: string; hv: number[][]; hvF: number[][]; wall: number[]; cpu: number[]; search: number[]; distinct: number[]; n: number[] };
  const rows: Row[] = [];
  let ref: Results['hypervolume']['reference_point'] | null = null;
  let refF: [number, number] | null = null;
  let fidelity: Results['fidelity'] | null = null;
  for (const r of runs) {
    const row: Row = { label: r.label, kind: r.kind, hv: [], hvF: [], wall: [], cpu: [], search: [], distinct: [], n: [] };
    for (const seed of seeds) {
      const out = join(dir, `${r.label.replace(/\W+/g, '_')}-${seed}.json`);
      const [cmd, args] = r.make(seed, out);
      const t = await timed(cmd, args);
      const j = JSON.parse(readFileSync(out, 'utf8')) as Results;
      if (!ref) {
        ref = j.hypervolume.reference_point;
        const b = (name: string) => j.baselines.find((x) => x.name === name)!.objectives;
        refF = [b('uniform mxint:m=4,block=32').perplexity, b('uniform mxint:m=8,block=32').energy_pj];
        fidelity = j.fidelity;
      } else if (JSON.stringify(ref) !== JSON.stringify(j.hypervolume.reference_point)) {
        throw new Error(`${r.label}: reference point ${JSON.stringify(j.hypervolume.reference_point)} ≠ ${JSON.stringify(ref)}`);
      }
      const h = j.hypervolume.history;
      row.hv.push(budgets.map((n) => h[Math.min(n, h.length) - 1]));
      const vecs = j.trials.map((x) => (x.feasible ? [x.objectives.perplexity, x.objectives.energy_pj] : null));
      row.hvF.push(budgets.map((n) => summarise(vecs.slice(0, n), refF!).hypervolume?.value ?? 0));
      row.wall.push(t.wallMs);
      row.cpu.push(t.cpuMs);
      row.search.push(j.timing.search_ms ?? j.timing.total_ms);
      row.distinct.push(j.evaluations);
      row.n.push(j.trials.length);
    }
    rows.push(row);
  }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const at = (m: number[][], k: number) => mean(m.map((x) => x[k]));
  console.log(`sotu-llama-1m, MASE's default space (20 genes: fp32 | MXInt m=8…2, block 32), objectives perplexity + energy_pj (both minimised), ${trials} trials, seed${seeds.length > 1 ? `s ${seeds.join(',')} (mean)` : ` ${seeds[0]}`}`);
  console.log(`fidelity: ${fidelity!.mode}, first ${fidelity!.tokens} tokens of test.txt in windows of ${fidelity!.window} (${fidelity!.predictions} predictions), kernels ${fidelity!.kernels}`);
  console.log(`reference A (CLI rule, every run): perplexity ${ref!.perplexity.toFixed(3)}, energy ${sci(ref!.energy_pj)} pJ; reference F (accuracy-focused): perplexity ${refF![0].toFixed(3)} (uniform MXInt4), energy ${sci(refF![1])} pJ (uniform MXInt8)`);
  if (skip) console.log(`optuna: skipped — ${skip}`);
  console.log('');
  const head = ['run', ...budgets.map((b) => `HV_A@${b}`), ...budgets.map((b) => `HV_F@${b}`), 'trials (distinct)', 'wall s', 'CPU s', 'search s'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const cells = [
      r.kind === 'studio' ? `studio ${r.label}` : r.label,
      ...budgets.map((_, k) => sci(at(r.hv, k))),
      ...budgets.map((_, k) => sci(at(r.hvF, k))),
      `${mean(r.n).toFixed(0)} (${mean(r.distinct).toFixed(0)})`,
      (mean(r.wall) / 1000).toFixed(1),
      (mean(r.cpu) / 1000).toFixed(1),
      (mean(r.search) / 1000).toFixed(1),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log('');
  const studio = rows.filter((r) => r.kind === 'studio' && !r.label.includes('--plain'));
  const optuna = rows.filter((r) => r.kind === 'optuna');
  if (!optuna.length) {
    console.log('studio vs Optuna: not compared (Optuna skipped)');
    return;
  }
  for (const [name, key] of [['A', 'hv'], ['F', 'hvF']] as const) {
    const verdicts = budgets.map((b, k) => {
      const s = studio.reduce((best, r) => (at(r[key], k) > at(best[key], k) ? r : best));
      const o = optuna.reduce((best, r) => (at(r[key], k) > at(best[key], k) ? r : best));
      const ok = at(s[key], k) >= at(o[key], k);
      return { b, ok, text: `@${b}: studio ${s.label} ${sci(at(s[key], k))} ${ok ? '≥' : '<'} ${o.label} ${sci(at(o[key], k))} (${(at(s[key], k) / Math.max(at(o[key], k), 1e-300)).toFixed(3)}×)` };
    });
    console.log(`reference ${name}: studio's best ${verdicts.every((v) => v.ok) ? '≥' : 'is NOT ≥'} Optuna's best at every budget — ${verdicts.map((v) => v.text).join('; ')}`);
  }
  console.log(`(times: wall of the whole command incl. model load and baselines; CPU of it and its children; "search s" = the CLI's own search/session time. ${machineLine()})`);
}
