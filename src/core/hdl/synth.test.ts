// synthesize() end to end on the real YoWASP Yosys (the build the browser worker runs) in Node,
// plus its batching, progress and error paths on a scripted stand-in, and the script builder.
// When a native `yosys` is on PATH (CI installs Debian's), the same scripts run there too and the
// LUT counts are compared: the browser's numbers must be the calibration tool's numbers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runYosys } from '@yowasp/yosys';
import { describe, expect, it } from 'vitest';
import { HdlError, checkDesign, type HdlDesign } from './design';
import { toTree, utf8Stream, yowaspRun, type YosysRun } from './runner';
import { fpgaCounts, parseStat } from './stat';
import { synthesize, type SynthProgress } from './synth';
import { yosysArgs, yosysScript } from './yosysScript';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const src = (f: string) => readFileSync(join(FIX, f), 'utf8');
const DOT4: HdlDesign = { files: { 'dot4.sv': src('dot4.sv') }, top: 'dot4' };
const wasm = yowaspRun(runYosys);

const hasNative = spawnSync('yosys', ['-V'], { encoding: 'utf8' }).status === 0;

/** A native Yosys behind the same YosysRun: what the calibration tool does (Node only). */
const native: YosysRun = async (args, files, output) => {
  const dir = mkdtempSync(join(tmpdir(), 'hdl-native-'));
  try {
    for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
    const r = spawnSync('yosys', args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
    output(r.stdout + r.stderr);
    return r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe('yosysScript', () => {
  it('reads the sources in order and runs the fixed flows', () => {
    const d: HdlDesign = { files: { 'pkg.sv': '', 'inc.svh': '', 'top.sv': '' }, top: 'top' };
    expect(yosysScript('fpga', d)).toBe('read_verilog -sv pkg.sv top.sv; synth_xilinx -flatten -nodsp -top top; stat');
    expect(yosysScript('fpga', d, { dsp: true })).toBe('read_verilog -sv pkg.sv top.sv; synth_xilinx -flatten -top top; stat');
    expect(yosysScript('gates', d)).toBe('read_verilog -sv pkg.sv top.sv; synth -flatten -top top; async2sync; dfflegalize -cell $_DFF_P_ 01 -cell $_DFF_N_ 01; abc -g cmos2; stat -tech cmos');
    expect(yosysArgs('fpga', d)[0]).toBe('-p');
    // Parameter overrides: a deferred read, then chparam (strings quoted), then the flow.
    const p: HdlDesign = { files: { 'rtl/l.sv': '', 'mem/l.codes.hex': '' }, top: 'lyr_q', params: { MEM: 'mem/L0_q', W: 8 } };
    expect(yosysScript('fpga', p)).toBe('read_verilog -sv -defer rtl/l.sv; chparam -set MEM "mem/L0_q" lyr_q; chparam -set W 8 lyr_q; synth_xilinx -flatten -nodsp -top lyr_q; stat');
  });

  it('rejects designs that would not be safe or meaningful to script, naming the problem', () => {
    const bad = (d: unknown) => () => checkDesign(d as HdlDesign);
    expect(bad({ files: { 'a.sv': '' }, top: 'a; shell' })).toThrow(/Top module "a; shell" is not a Verilog identifier/);
    expect(bad({ files: { 'a b.sv': '' }, top: 'a' })).toThrow(/File name "a b.sv" is not a plain relative path/);
    expect(bad({ files: { '../x.sv': '' }, top: 'a' })).toThrow(/not a plain relative path/);
    expect(bad({ files: { 'a.vhd': '' }, top: 'a' })).toThrow(/only .sv, .v \(read\), .svh, .vh \(included\) and .hex, .mem \(data\)/);
    expect(bad({ files: { 'a.sv': '' }, top: 'a', params: { 'W;x': 1 } })).toThrow(/Parameter name "W;x" is not a Verilog identifier/);
    expect(bad({ files: { 'a.sv': '' }, top: 'a', params: { MEM: 'a b"; tee' } })).toThrow('Parameter MEM = "a b\\"; tee": a value is an integer or a string');
    expect(bad({ files: { 'a.sv': '' }, top: 'a', params: { W: 1.5 } })).toThrow(/Parameter W = 1.5/);
    expect(bad({ files: { 'a.svh': '' }, top: 'a' })).toThrow(/no .sv or .v file/);
    expect(bad({ files: { 'a.sv': 'x'.repeat(9 << 20) }, top: 'a' })).toThrow(/9.0 MiB of source; at most 8 MiB/);
    expect(bad(null)).toThrow(/\{ files: \{ name: text \}, top: name \}/);
  });
});

describe('toTree', () => {
  it('nests paths into YoWASP folders and refuses a file used as a folder', () => {
    expect(toTree({ 'a.sv': 'A', 'mem/x.hex': 'X', 'mem/deep/y.hex': 'Y' })).toEqual({ 'a.sv': 'A', mem: { 'x.hex': 'X', deep: { 'y.hex': 'Y' } } });
    expect(() => toTree({ a: '1', 'a/b': '2' })).toThrow('a/b: a is a file, not a folder');
  });
});

describe('utf8Stream', () => {
  it('decodes sequences split across chunks and marks invalid bytes', () => {
    const bytes = new TextEncoder().encode('µ-Yosys → ✓ 𝄞');
    const dec = utf8Stream();
    let out = '';
    for (let i = 0; i < bytes.length; i++) out += dec(bytes.subarray(i, i + 1));
    expect(out).toBe('µ-Yosys → ✓ 𝄞');
    expect(utf8Stream()(new Uint8Array([0x41, 0xff, 0x42]))).toBe('A\ufffdB');
  });
});

describe('synthesize on a scripted Yosys', () => {
  /** Prints `lines` pass headers, one ms apart on the injected clock, then a stat report. */
  function scripted(lines: number, clock: { t: number }, status = 0, tail = '3. Printing statistics.\n\n=== dot4 ===\n   Number of cells:   2\n     LUT4   2\n'): YosysRun {
    return async (_args, _files, output) => {
      for (let i = 0; i < lines; i++) {
        clock.t += 1;
        output(`2.${i + 1}. Executing PASS${i} pass (doing ${i}).\n`);
      }
      output(tail);
      return status;
    };
  }

  it('batches the log and progress to at most one update per 100 ms, and loses no text', async () => {
    const clock = { t: 0 };
    const logs: string[] = [];
    const prog: SynthProgress[] = [];
    const r = await synthesize(scripted(1000, clock), DOT4, ['fpga'], { onLog: (t) => logs.push(t), onProgress: (p) => prog.push(p), now: () => clock.t });
    // 1000 ms of output: ≤ 10 timed batches + the forced first (command line) and last (exit status).
    expect(logs.length).toBeLessThanOrEqual(12);
    expect(logs.length).toBeGreaterThanOrEqual(10);
    const all = logs.join('');
    expect(all.startsWith("$ yosys -p 'read_verilog -sv dot4.sv; synth_xilinx -flatten -nodsp -top dot4; stat'\n")).toBe(true);
    for (let i = 0; i < 1000; i++) expect(all).toContain(`2.${i + 1}. Executing PASS${i} pass`);
    expect(all).toContain('[yosys exited with status 0');
    // ≤ 10 timed updates in 1000 ms + the first, the one at exit and the flow's final 100%.
    expect(prog.length).toBeLessThanOrEqual(13);
    for (let i = 1; i < prog.length; i++) expect(prog[i].fraction).toBeGreaterThanOrEqual(prog[i - 1].fraction);
    expect(prog.at(-1)!.fraction).toBe(1);
    // The pass name, as the log wrote it, without the parenthesised explanation.
    expect(prog[3].pass).toMatch(/^PASS\d+ pass$/);
    expect(prog.at(-1)!.pass).toBe('Printing statistics');
    expect(r.flows[0].fpga!.luts).toBe(2);
  });

  it('a non-zero exit becomes the HdlError of the log; a zero exit without a report is a tool error', async () => {
    const clock = { t: 0 };
    const err = await synthesize(scripted(2, clock, 1, 'dot4.sv:3: ERROR: syntax error, unexpected TOK_ID\n'), DOT4, ['fpga']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HdlError);
    expect((err as HdlError).kind).toBe('verilog');
    expect((err as HdlError).where).toEqual({ file: 'dot4.sv', line: 3 });
    expect((err as HdlError).message).toContain('dot4.sv:3: syntax error, unexpected TOK_ID\n  3 | // finish in seconds;');
    const none = await synthesize(scripted(2, clock, 0, 'done\n'), DOT4, ['fpga']).catch((e: unknown) => e);
    expect((none as HdlError).kind).toBe('tool');
    await expect(synthesize(scripted(0, clock), DOT4, [])).rejects.toThrow(/No synthesis flow/);
  });
});

describe('synthesize on the real YoWASP Yosys 0.55', () => {
  // Real Yosys runs take seconds each, and far longer on a loaded 2-core machine: generous limits.
  it('dot4: both flows, real numbers, the log streamed', { timeout: 180_000 }, async () => {
    let log = '';
    const prog: SynthProgress[] = [];
    const r = await synthesize(wasm, DOT4, ['fpga', 'gates'], { onLog: (t) => (log += t), onProgress: (p) => prog.push(p) });
    const [fpga, gates] = r.flows;
    expect(fpga.version).toBe('0.55');
    expect(fpga.fpga).toMatchObject({ luts: 205, ffs: 10, carries: 3, muxes: 43, dsps: 0, brams: 0 });
    expect(gates.gates).toMatchObject({ cells: 1376, flipFlops: 10, transistors: 5330, lowerBound: false, gateEquivalents: 1332.5 });
    expect(log).toContain('3. Printing statistics.');
    expect(log).toContain('Estimated number of transistors:       5330');
    expect(prog.at(-1)!.fraction).toBe(1);
    expect(prog.some((p) => p.flow === 'gates' && p.pass.startsWith('ABC'))).toBe(true);
  });

  it('Verilog that does not parse: the file, line, message and source line', async () => {
    const bad: HdlDesign = { files: { 'bad_syntax.sv': src('bad_syntax.sv') }, top: 'bad_syntax' };
    const e = (await synthesize(wasm, bad, ['fpga']).catch((x: unknown) => x)) as HdlError;
    expect(e).toBeInstanceOf(HdlError);
    expect(e.kind).toBe('verilog');
    expect(e.message).toBe('bad_syntax.sv:7: syntax error, unexpected TOK_ENDMODULE\n  7 | endmodule');
  });

  it('a parameterised top reading its memory file from a folder (a generated layer\'s shape)', { timeout: 180_000 }, async () => {
    const rom = src('rom.sv');
    // Four 8-bit words 1..4: only the low three bits vary, so three flip-flops survive.
    const d: HdlDesign = { files: { 'rtl/rom.sv': rom, 'mem/w.hex': '1\n2\n3\n4\n' }, top: 'rom', params: { MEM: 'mem/w', W: 8 } };
    const r = await synthesize(wasm, d, ['fpga']);
    expect(r.flows[0].fpga).toMatchObject({ ffs: 3, dsps: 0, brams: 0 });
    expect(r.flows[0].fpga!.luts).toBeGreaterThan(0);
    // Without the override the default file is missing: a clear error, not zeros.
    const e = (await synthesize(wasm, { files: d.files, top: 'rom' }, ['fpga']).catch((x: unknown) => x)) as HdlError;
    expect(e).toBeInstanceOf(HdlError);
    expect(e.message).toMatch(/Can not open file `mem\/none\.hex`/);
  });

  it.skipIf(!hasNative)('native Debian Yosys reports the same LUT/FF counts for the same scripts', { timeout: 300_000 }, async () => {
    const version = execFileSync('yosys', ['-V'], { encoding: 'utf8' });
    // dot4 only (hier's agreement is in the captured fixtures): each run costs seconds of shared CPU.
    for (const d of [DOT4]) {
      const [n, w] = await Promise.all([synthesize(native, d, ['fpga', 'gates']), synthesize(wasm, d, ['fpga', 'gates'])]);
      expect(n.flows[0].version, version).not.toBe(w.flows[0].version);
      expect(n.flows[0].fpga!.luts).toBe(w.flows[0].fpga!.luts);
      expect(n.flows[0].fpga!.ffs).toBe(w.flows[0].fpga!.ffs);
      expect(n.flows[1].gates!.transistors).toBe(w.flows[1].gates!.transistors);
    }
    // And the parser agrees with what the native log states directly.
    let raw = '';
    await native(yosysArgs('fpga', DOT4), { ...DOT4.files }, (t) => (raw += t));
    expect(fpgaCounts(parseStat(raw, 'dot4').design).luts).toBe(205);
  });
});
