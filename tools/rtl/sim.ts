/**
 * Node-only simulation harness for the generated RTL and the component library: runs a
 * self-checking SystemVerilog testbench (src/core/rtl/README.md, "Testbench convention") under
 * Verilator 5 or Icarus Verilog and parses its RESULT / MISMATCH lines.
 *
 * - Every run gets a fresh directory holding the sources and `files` (vectors, ROM images), and the
 *   simulator runs with that directory as its working directory, so `$readmemh("vectors/x.hex")`
 *   in a testbench resolves there.
 * - Verilator builds dominate the cost (several seconds of g++ per testbench), so they are cached
 *   outside the repo under `$MX_STUDIO_CACHE` or `~/.cache/mx-studio/verilator/<hash>`, keyed by the
 *   sources, the top and the flags. Vectors are read at run time, so one build serves any vectors.
 * - At most 2 g++ jobs per build: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

/** One simulation: the top module, its sources (file name → text) and run-time files. */
export interface SimRequest {
  /** Top module (usually the testbench). */
  top: string;
  /** SystemVerilog sources, file name → text (e.g. `{ 'mx_cast.sv': text, 'tb_mx_cast.sv': tb }`). */
  sources: Record<string, string>;
  /** Run-time files relative to the run directory (e.g. `vectors/tb_mx_cast.in.hex`). */
  files?: Record<string, string | Uint8Array>;
  /** Plusargs without the leading `+` or with it (`seed=3` or `+seed=3`). */
  plusargs?: string[];
  /** Wall-clock limit for the run (build excluded), default 120 s. The run fails on timeout. */
  timeoutMs?: number;
  /** Keep the run directory: after a failing run (default), never, or always (its path goes in the log). */
  keep?: 'onFailure' | 'never' | 'always';
}

/** The outcome of one simulation. */
export interface SimResult {
  tool: 'verilator' | 'icarus';
  /** Exit code 0, at least one RESULT line, and every RESULT line with mismatches=0. */
  ok: boolean;
  /** Exit code of the simulation (or of the failing build step); −1 on timeout. */
  exitCode: number;
  /** Build and run output (stdout + stderr), for humans. */
  log: string;
  /** Parsed `RESULT <tb> beats=<n> mismatches=<m>` lines. */
  results: { tb: string; beats: number; mismatches: number }[];
  /** The first `MISMATCH …` line, if any. */
  firstMismatch?: string;
}

const PKG = { verilator: 'verilator', icarus: 'iverilog', yosys: 'yosys' } as const;

function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Which simulators are on PATH. */
export function haveTools(): { verilator: boolean; icarus: boolean; yosys: boolean } {
  return { verilator: !!which('verilator'), icarus: !!which('iverilog') && !!which('vvp'), yosys: !!which('yosys') };
}

/** Throw a clear error naming the Debian package when a tool is missing. */
function requireTool(tool: 'verilator' | 'icarus' | 'yosys'): void {
  if (!haveTools()[tool]) {
    const cmd = tool === 'icarus' ? 'iverilog/vvp' : tool;
    throw new Error(`${cmd} not found on PATH: install the Debian package '${PKG[tool]}' (apt-get install ${PKG[tool]})`);
  }
}

interface Proc {
  code: number;
  out: string;
  timedOut: boolean;
}

/** Run a command, capture stdout+stderr interleaved, kill its process group on timeout. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Proc> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const cap = 4 << 20; // a runaway testbench must not eat the heap
    const add = (b: Buffer) => {
      if (out.length < cap) out += b.toString();
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the group: make spawns g++ children
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      res({ code: 127, out: out + String(e), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: timedOut ? -1 : code ?? (signal ? 128 : 1), out, timedOut });
    });
  });
}

function safePath(root: string, rel: string): string {
  const p = resolve(root, rel);
  if (!p.startsWith(root + sep)) throw new Error(`file path escapes the run directory: ${rel}`);
  return p;
}

function writeAll(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = safePath(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}

function checkRequest(req: SimRequest): void {
  if (!req || typeof req.top !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(req.top)) throw new Error(`simulate: top must be a module name, got ${JSON.stringify(req?.top)}`);
  const names = Object.keys(req.sources ?? {});
  if (!names.length) throw new Error('simulate: no sources');
  for (const n of names) if (!/^[A-Za-z0-9_.-]+\.s?vh?$/.test(n)) throw new Error(`simulate: source name must be a plain .sv/.v file name, got ${JSON.stringify(n)}`);
  const probe = resolve(tmpdir(), 'probe');
  for (const f of Object.keys((req as SimRequest).files ?? {})) safePath(probe, f);
}

const RESULT_RE = /^RESULT (\S+) beats=(\d+) mismatches=(\d+)\s*$/;

function parse(tool: SimResult['tool'], p: Proc, prefix: string): SimResult {
  const log = prefix + p.out + (p.timedOut ? '\n[sim.ts] run timed out and was killed\n' : '');
  const results: SimResult['results'] = [];
  let firstMismatch: string | undefined;
  for (const line of p.out.split('\n')) {
    const t = line.replace(/\r$/, '');
    const m = RESULT_RE.exec(t);
    if (m) results.push({ tb: m[1], beats: Number(m[2]), mismatches: Number(m[3]) });
    else if (firstMismatch === undefined && t.startsWith('MISMATCH ')) firstMismatch = t;
  }
  const ok = p.code === 0 && !p.timedOut && results.length > 0 && results.every((r) => r.mismatches === 0);
  return { tool, ok, exitCode: p.code, log, results, firstMismatch };
}

function failed(tool: SimResult['tool'], stage: string, p: Proc, prefix = ''): SimResult {
  return { tool, ok: false, exitCode: p.code === 0 ? 1 : p.code, log: `${prefix}[sim.ts] ${stage} failed (exit ${p.code})\n${p.out}`, results: [] };
}

function normPlusargs(a: string[] | undefined): string[] {
  return (a ?? []).map((s) => (s.startsWith('+') ? s : '+' + s));
}

/** Where cached Verilator builds live. */
export function cacheRoot(): string {
  return process.env.MX_STUDIO_CACHE ? join(process.env.MX_STUDIO_CACHE, 'verilator') : join(homedir(), '.cache', 'mx-studio', 'verilator');
}

/**
 * Verilator flags for simulation builds (part of the cache key). `--unroll-count 4` keeps loops over
 * block elements as loops in the C++: a wide MX datapath otherwise unrolls into tens of MB of C++
 * whose g++ time dominates everything (measured: 137 s → 21 s CPU for 21 mx_cast formats).
 */
const VERILATOR_FLAGS = ['--binary', '--timing', '-j', '2', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--x-assign', 'unique', '--x-initial', 'unique', '--unroll-count', '4'];

let verilatorVersion: string | undefined;
async function getVerilatorVersion(): Promise<string> {
  if (verilatorVersion === undefined) verilatorVersion = (await run('verilator', ['--version'], tmpdir(), 30_000)).out.trim();
  return verilatorVersion;
}

/** Build (or reuse) the Verilator binary for these sources; returns its path or a failed result. */
async function verilatorBuild(req: SimRequest): Promise<{ exe: string; note: string } | SimResult> {
  const names = Object.keys(req.sources).sort();
  const h = createHash('sha256');
  h.update(await getVerilatorVersion());
  h.update('\0' + req.top + '\0' + VERILATOR_FLAGS.join(' ') + '\0');
  for (const n of names) h.update(n + '\0' + req.sources[n] + '\0');
  const key = h.digest('hex').slice(0, 24);
  const root = cacheRoot();
  const dir = join(root, key);
  const exe = join(dir, 'obj', 'V' + req.top);
  if (existsSync(exe)) return { exe, note: `[sim.ts] verilator build cached: ${dir}\n` };
  mkdirSync(root, { recursive: true });
  // Build in a private directory and rename into place, so concurrent runs never see half a build.
  const tmp = mkdtempSync(join(root, `.build-${key}-`));
  writeAll(tmp, req.sources);
  const args = [...VERILATOR_FLAGS, '--top-module', req.top, '--Mdir', 'obj', ...names];
  const p = await run('verilator', args, tmp, 20 * 60_000);
  if (p.code !== 0 || !existsSync(join(tmp, 'obj', 'V' + req.top))) {
    rmSync(tmp, { recursive: true, force: true });
    return failed('verilator', 'verilator build', p);
  }
  // Keep only what the cache needs: the binary (object files are large).
  for (const f of readdirSync(join(tmp, 'obj'))) if (f !== 'V' + req.top) rmSync(join(tmp, 'obj', f), { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch {
    // Someone else finished the same build first: theirs is identical.
    rmSync(tmp, { recursive: true, force: true });
  }
  return { exe, note: `[sim.ts] verilator build: ${dir}\n${p.out.split('\n').filter((l) => /%Warning|%Error/.test(l)).join('\n')}\n` };
}

/**
 * Simulate a self-checking testbench with Verilator (`--binary --timing`, cached build) or Icarus
 * (`iverilog -g2012` + `vvp`). Throws only when the simulator is not installed (naming the Debian
 * package) or the request is malformed; build errors, mismatches and timeouts come back as
 * `ok: false` with the log. The run directory is removed after a passing run and kept after a
 * failing one (its path is in the log), unless `req.keep` says otherwise.
 */
export async function simulate(tool: 'verilator' | 'icarus', req: SimRequest): Promise<SimResult> {
  if (tool !== 'verilator' && tool !== 'icarus') throw new Error(`simulate: tool must be 'verilator' or 'icarus', got ${JSON.stringify(tool)}`);
  checkRequest(req);
  requireTool(tool);
  const timeoutMs = req.timeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), `mx-sim-${tool}-`));
  writeAll(dir, req.files ?? {});
  let res: SimResult;
  if (tool === 'verilator') {
    const b = await verilatorBuild(req);
    if ('tool' in b) res = b;
    else res = parse(tool, await run(b.exe, normPlusargs(req.plusargs), dir, timeoutMs), b.note);
  } else {
    writeAll(dir, req.sources);
    const names = Object.keys(req.sources).sort();
    const c = await run('iverilog', ['-g2012', '-s', req.top, '-o', 'sim.vvp', ...names], dir, 10 * 60_000);
    if (c.code !== 0) res = failed(tool, 'iverilog compile', c);
    else res = parse(tool, await run('vvp', ['-n', 'sim.vvp', ...normPlusargs(req.plusargs)], dir, timeoutMs), c.out ? `[sim.ts] iverilog:\n${c.out}` : '');
  }
  const keep = req.keep ?? 'onFailure';
  if (keep === 'always' || (keep === 'onFailure' && !res.ok)) res.log += `\n[sim.ts] run directory kept: ${dir}\n`;
  else rmSync(dir, { recursive: true, force: true });
  return res;
}

/**
 * `verilator --lint-only -Wall` over the sources with `top` as the top module. `ok` is true when
 * Verilator reports no warning and no error (waivers belong in the source, with a reason).
 */
export async function lint(req: { top: string; sources: Record<string, string> }): Promise<{ ok: boolean; log: string }> {
  checkRequest(req);
  requireTool('verilator');
  const dir = mkdtempSync(join(tmpdir(), 'mx-lint-'));
  try {
    writeAll(dir, req.sources);
    const names = Object.keys(req.sources).sort();
    const p = await run('verilator', ['--lint-only', '-Wall', '--timing', '--top-module', req.top, ...names], dir, 5 * 60_000);
    const ok = p.code === 0 && !/%(Warning|Error)/.test(p.out);
    return { ok, log: p.out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `iverilog -g2012` over the sources with `top` as the root, compile only. `ok` is true when Icarus
 * exits 0 and prints nothing (no warning, no "sorry", no error).
 */
export async function icarusCompile(req: { top: string; sources: Record<string, string> }): Promise<{ ok: boolean; log: string }> {
  checkRequest(req);
  requireTool('icarus');
  const dir = mkdtempSync(join(tmpdir(), 'mx-icarus-'));
  try {
    writeAll(dir, req.sources);
    const names = Object.keys(req.sources).sort();
    const p = await run('iverilog', ['-g2012', '-s', req.top, '-o', 'sim.vvp', ...names], dir, 10 * 60_000);
    return { ok: p.code === 0 && p.out.trim() === '', log: p.out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
