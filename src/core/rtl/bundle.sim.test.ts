// The bundle as a user gets it: written to a folder and run with `make`, under native Verilator and
// Icarus. Built from a real component testbench of the library (tb_mx_cast with vectors from
// src/core/formats `encode`), so the Makefile is proven on the code the generator ships: both
// simulators pass, a corrupted expected vector fails both, and a testbench that prints a mismatch
// but exits 0 (or prints no RESULT line) still fails. Lint and Yosys targets run too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFormat } from '../formats';
import { haveTools } from '../../../tools/rtl/sim';
import { makeBundle, type BundleFiles, type RtlDesign } from './bundle';
import { MX_LIBRARY } from './mxLibrary';
import { castTestbench, wrapperTop } from './tbgen';
import { randomAct } from './testdata';

const tools = haveTools();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function need(...which: ('verilator' | 'icarus' | 'yosys')[]): void {
  for (const t of which) if (!tools[t]) throw new Error(`${t === 'icarus' ? 'iverilog' : t} not found on PATH: install the Debian package ${t === 'icarus' ? 'iverilog' : t}`);
}

function writeBundle(files: BundleFiles): string {
  const dir = mkdtempSync(join(tmpdir(), 'mx-bundle-'));
  dirs.push(dir);
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), v);
  }
  return dir;
}

function make(dir: string, ...targets: string[]): { status: number; out: string } {
  const r = spawnSync('make', ['--no-print-directory', ...targets], { cwd: dir, encoding: 'utf8', timeout: 900_000, env: { ...process.env, VERILATOR_JOBS: '2' } });
  return { status: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

const resultLines = (out: string) => out.split('\n').filter((l) => l.startsWith('RESULT '));

/** A bundle of two tb_mx_cast configurations (mxfp4 and mxint8) in one wrapper, as the generator lays files out. */
function castDesign(): RtlDesign {
  const cases = [
    { name: 'cast_fp4', spec: 'mxfp4', row: 64, lanes: 8, seed: 11 },
    { name: 'cast_int8', spec: 'mxint8:scale=even,round=even', row: 32, lanes: 8, seed: 12 },
  ];
  const files: Record<string, string> = {};
  const insts = cases.map((c, i) => {
    const rows = 8;
    const t = castTestbench(c.name, parseFormat(c.spec), randomAct(rows, c.row, 500 + i), rows, c.row, c.lanes, c.seed);
    Object.assign(files, t.files);
    return t.inst;
  });
  const rtl = ['mx_quant', 'mx_cast'].map((m) => `rtl/${MX_LIBRARY[m].file}`);
  const tb = ['tb_hs_stream', 'tb_mx_cast'].map((m) => `tb/${MX_LIBRARY[m].file}`);
  for (const m of ['mx_quant', 'mx_cast']) files[`rtl/${MX_LIBRARY[m].file}`] = MX_LIBRARY[m].text;
  for (const m of ['tb_hs_stream', 'tb_mx_cast']) files[`tb/${MX_LIBRARY[m].file}`] = MX_LIBRARY[m].text;
  files['tb/tb_top_cast.sv'] = wrapperTop('tb_top_cast', insts);
  return {
    files,
    testbenches: [{ name: 'cast', top: 'tb_top_cast', sources: [...rtl, ...tb, 'tb/tb_top_cast.sv'] }],
    manifest: { design: 'tb_mx_cast (2 configurations)', formats: cases.map((c) => c.spec) },
  };
}

describe('bundle + make on a real component testbench (tb_mx_cast)', () => {
  const bundle = makeBundle(castDesign());
  let dir = '';

  it('make (Verilator + Icarus) passes: exit 0 and a clean RESULT line per configuration and simulator', () => {
    need('verilator', 'icarus');
    dir = writeBundle(bundle);
    const r = make(dir);
    expect(r.status, r.out.slice(-4000)).toBe(0);
    const res = resultLines(r.out);
    // 2 configurations × 2 simulators; beats = rows × blocks per row.
    expect(res.sort()).toEqual(['RESULT cast_fp4 beats=16 mismatches=0', 'RESULT cast_fp4 beats=16 mismatches=0', 'RESULT cast_int8 beats=8 mismatches=0', 'RESULT cast_int8 beats=8 mismatches=0']);
    expect(r.out).toContain('PASS build/log/cast.verilator.log: 2 RESULT line(s), 0 mismatches');
    expect(r.out).toContain('PASS build/log/cast.icarus.log: 2 RESULT line(s), 0 mismatches');
    expect(existsSync(join(dir, 'build/verilator/cast/Vtb_top_cast'))).toBe(true);
  }, 900_000);

  it('a corrupted expected vector makes make sim and make sim-icarus exit non-zero, naming the beat', () => {
    need('verilator', 'icarus');
    if (!dir) dir = writeBundle(bundle);
    const p = join(dir, 'vectors/cast_int8.out.hex');
    const lines = readFileSync(p, 'utf8').split('\n');
    // Flip the lowest bit of the 4th expected beat (an element code, not padding).
    const last = lines[3].at(-1)!;
    lines[3] = lines[3].slice(0, -1) + (parseInt(last, 16) ^ 1).toString(16);
    writeFileSync(p, lines.join('\n'));
    for (const target of ['sim', 'sim-icarus']) {
      const r = make(dir, target);
      expect(r.status, `${target}:\n${r.out.slice(-3000)}`).not.toBe(0);
      expect(r.out).toMatch(/^MISMATCH cast_int8 beat=3 elem=0 field=code /m);
      expect(r.out).toContain('RESULT cast_int8 beats=8 mismatches=1');
      expect(r.out).toContain('RESULT cast_fp4 beats=16 mismatches=0');
      expect(r.out).toMatch(/FAIL (verilator|icarus) cast: exit status [1-9]/);
    }
  }, 900_000);

  it('make lint: every RTL module is clean under verilator --lint-only -Wall', () => {
    need('verilator');
    if (!dir) dir = writeBundle(bundle);
    const r = make(dir, 'lint');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/--lint-only -Wall --timing +--top-module mx_quant rtl\/mx_quant\.sv\n/);
    expect(r.out).toMatch(/--top-module mx_cast rtl\/mx_quant\.sv rtl\/mx_cast\.sv\n/);
  }, 300_000);
});

// A tiny design whose testbench can lie: it prints RESULT lines but ends with $finish (exit 0), so
// only the Makefile's RESULT check can catch it. Icarus only (the check is the same for both).
function tinyDesign(tbBody: string, over: Partial<RtlDesign> = {}): RtlDesign {
  return {
    ...over,
    files: {
      ...over.files,
      'rtl/add8.sv': 'module add8 (input logic clk, input logic [7:0] a, b, output logic [8:0] y);\n  always_ff @(posedge clk) y <= a + b;\nendmodule\n',
      'tb/tb_add8.sv': `module tb_add8;\n  initial begin\n${tbBody}\n    $finish;\n  end\nendmodule\n`,
    },
    testbenches: [{ name: 'add8', top: 'tb_add8', sources: ['rtl/add8.sv', 'tb/tb_add8.sv'] }],
    manifest: { design: 'add8' },
  };
}

describe('the Makefile checks RESULT lines, not only the exit status', () => {
  it('RESULT with mismatches but exit 0 → make fails', () => {
    need('icarus');
    const dir = writeBundle(makeBundle(tinyDesign('    $display("RESULT tb_add8 beats=4 mismatches=0");\n    $display("RESULT tb_add8b beats=4 mismatches=2");')));
    const r = make(dir, 'sim-icarus');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('FAIL build/log/add8.icarus.log: 1 of 2 RESULT line(s) report mismatches');
  }, 120_000);

  it('no RESULT line → make fails', () => {
    need('icarus');
    const dir = writeBundle(makeBundle(tinyDesign('    $display("done");')));
    const r = make(dir, 'sim-icarus');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('FAIL build/log/add8.icarus.log: no RESULT line');
  }, 120_000);

  it('clean RESULT lines and exit 0 → make passes', () => {
    need('icarus');
    const dir = writeBundle(makeBundle(tinyDesign('    $display("RESULT tb_add8 beats=4 mismatches=0");')));
    const r = make(dir, 'sim-icarus');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('PASS build/log/add8.icarus.log: 1 RESULT line(s), 0 mismatches');
  }, 120_000);

  it('make synth runs the fixed Yosys flows and leaves one report per top and flow; a top with parameters gets its weight file', () => {
    need('yosys');
    // A ROM whose contents come from a MEM file prefix, as the generator's shared layer modules do:
    // the default prefix names no file, so only the chparam'd synthesis can read its memory.
    const rom = 'module rom #(parameter MEM = "mem/none") (input logic clk, input logic [1:0] a, output logic [7:0] y);\n  logic [7:0] m [0:3];\n  initial $readmemh({MEM, ".hex"}, m);\n  always_ff @(posedge clk) y <= m[a];\nendmodule\n';
    const dir = writeBundle(makeBundle(tinyDesign('', { files: { 'rtl/rom.sv': rom, 'mem/L0.hex': '11\n22\n33\n44\n' }, synthTops: ['add8', { top: 'rom', params: { MEM: 'mem/L0' } }] })));
    const r = make(dir, 'synth');
    expect(r.status, r.out).toBe(0);
    const fpga = readFileSync(join(dir, 'build/synth/add8.fpga.txt'), 'utf8');
    const gates = readFileSync(join(dir, 'build/synth/add8.gates.txt'), 'utf8');
    // 9 registered sum bits; an 8-bit add maps to LUTs + CARRY4 (not DSPs: -nodsp).
    expect(fpga).toMatch(/FDRE\s+9/);
    expect(fpga).toMatch(/CARRY4\s+\d+/);
    expect(fpga).not.toMatch(/DSP48/);
    expect(gates).toMatch(/\$_DFF_P_\s+9/);
    expect(gates).toMatch(/Estimated number of transistors:\s+\d+/);
    expect(readFileSync(join(dir, 'build/synth/rom.fpga.txt'), 'utf8')).toMatch(/Number of cells:\s+[1-9]/);
    expect(readFileSync(join(dir, 'build/synth/rom.gates.txt'), 'utf8')).toMatch(/Number of cells:\s+[1-9]/);
  }, 300_000);
});
