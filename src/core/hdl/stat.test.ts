// The stat parser on real logs of both Yosys builds the project runs (fixtures/logs, captured by
// fixtures/capture.ts): Debian's Yosys 0.23 (native, the calibration tool's) and YoWASP's 0.55
// (the browser's). Expected numbers are read off the logs by eye and cross-checked where Yosys
// itself states a total (Number of cells, transistors = 16·DFF + 4·NAND + 4·NOR + 2·NOT).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HdlError } from './design';
import { yosysError } from './errors';
import { fpgaCounts, gateCounts, parseStat, yosysVersion } from './stat';

const LOGS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'logs');
const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const log = (name: string) => readFileSync(join(LOGS, `${name}.txt`), 'utf8');
const BUILDS = [
  { build: 'native', version: '0.23' },
  { build: 'wasm', version: '0.55' },
] as const;

describe('parseStat on the fpga flow (synth_xilinx -flatten -nodsp)', () => {
  it.each(BUILDS)('dot4 ($build): 205 LUTs, 10 FFs, 3 CARRY4, 43 MUXF, no DSP/BRAM', ({ build, version }) => {
    const s = parseStat(log(`dot4.fpga.${build}`), 'dot4');
    expect(s.version).toBe(version);
    expect(s.hierarchy).toBeNull();
    // The script's own stat, not synth_xilinx's internal one (which also prints "Estimated number of LCs").
    expect(s.design.estimatedLCs).toBeNull();
    expect(s.design.name).toBe('dot4');
    expect(s.design.numbers.cells).toBe(306);
    const f = fpgaCounts(s.design);
    expect(f.luts).toBe(205);
    expect(f.ffs).toBe(10);
    expect(f.carries).toBe(3);
    expect(f.muxes).toBe(43);
    expect(f.dsps).toBe(0);
    expect(f.brams).toBe(0);
    expect(f.io).toBe(45);
    expect(f.cells).toBe(306);
    expect(f.other).toEqual({});
    expect(f.lutsBySize[6]).toBe(105);
  });

  it('the two builds map dot4 to the same LUT total with a different LUT2/LUT4 split', () => {
    const n = fpgaCounts(parseStat(log('dot4.fpga.native')).design);
    const w = fpgaCounts(parseStat(log('dot4.fpga.wasm')).design);
    expect(n.lutsBySize).toEqual({ 2: 19, 3: 24, 4: 20, 5: 37, 6: 105 });
    expect(w.lutsBySize).toEqual({ 2: 20, 3: 24, 4: 19, 5: 37, 6: 105 });
  });

  it('reads 0.55-only lines (ports) and drops $scopeinfo, which is not hardware', () => {
    const w = parseStat(log('hier.fpga.wasm'), 'hier');
    expect(w.design.numbers.ports).toBe(6);
    expect(w.design.cells['$scopeinfo']).toBe(2);
    expect(w.design.numbers.cells).toBe(107);
    const n = parseStat(log('hier.fpga.native'), 'hier');
    expect(n.design.numbers.ports).toBeUndefined();
    // Same hardware from both builds once the bookkeeping cells are dropped.
    for (const s of [w, n]) {
      const f = fpgaCounts(s.design);
      expect(f.cells).toBe(105);
      expect(f.luts).toBe(36);
      expect(f.ffs).toBe(10);
      expect(f.muxes).toBe(12);
    }
  });

  it.each(BUILDS)('memmul with DSPs allowed ($build): one DSP48E1, a RAMB18E1 = ½ BRAM36', ({ build }) => {
    const f = fpgaCounts(parseStat(log(`memmul.fpga-dsp.${build}`)).design);
    expect(f.dsps).toBe(1);
    expect(f.brams).toBe(0.5);
    expect(f.luts).toBe(0);
    expect(f.io).toBe(97);
    expect(f.cells).toBe(99);
  });
});

describe('parseStat on the gates flow (synth; dfflegalize; abc -g cmos2; stat -tech cmos)', () => {
  it.each(BUILDS)('dot4 ($build): 1376 cells, 5330 transistors (exact), GE 1332.5', ({ build }) => {
    const s = parseStat(log(`dot4.gates.${build}`), 'dot4');
    const g = gateCounts(s.design);
    expect(g.byType).toEqual({ $_DFF_P_: 10, $_NAND_: 655, $_NOR_: 564, $_NOT_: 147 });
    expect(g.cells).toBe(1376);
    expect(g.flipFlops).toBe(10);
    // Yosys's cmos table: DFF 16, NAND/NOR 4, NOT 2 transistors.
    expect(g.transistors).toBe(16 * 10 + 4 * 655 + 4 * 564 + 2 * 147);
    expect(g.lowerBound).toBe(false);
    expect(g.gateEquivalents).toBe(1332.5);
  });

  it.each(BUILDS)('without dfflegalize ($build) sync-reset flops make the count a lower bound: "5100+"', ({ build }) => {
    const g = gateCounts(parseStat(log(`dot4.gates-plain.${build}`), 'dot4').design);
    expect(g.byType.$_SDFF_PP0_).toBe(10);
    expect(g.flipFlops).toBe(10);
    expect(g.transistors).toBe(5100);
    expect(g.lowerBound).toBe(true);
  });

  it.each(BUILDS)('a hierarchy that was not flattened ($build): the design hierarchy total is the design', ({ build }) => {
    const s = parseStat(log(`hier.gates-hierarchy.${build}`));
    expect(s.modules.map((m) => m.name)).toEqual(['add8', 'hier']);
    expect(s.hierarchy).not.toBeNull();
    expect(s.design).toBe(s.hierarchy);
    expect(s.hierarchy!.instances).toEqual({ hier: 1, add8: 2 });
    const g = gateCounts(s.design);
    expect(g.cells).toBe(320);
    expect(g.byType).toEqual({ $_DFF_P_: 10, $_NAND_: 96, $_NOR_: 146, $_NOT_: 68 });
    expect(g.transistors).toBe(1264);
    expect(g.lowerBound).toBe(false);
    // Per module: the top lists its sub-module instances as cells; its own count is a lower bound.
    const top = s.modules[1];
    expect(top.cells.add8).toBe(2);
    expect(top.transistors).toEqual({ count: 552, lowerBound: true });
    expect(s.modules[0].transistors).toEqual({ count: 356, lowerBound: false });
  });
});

describe('parseStat edge cases', () => {
  it('reads a bare report (tee -o) with no pass header or banner', () => {
    const bare = ['', '=== m ===', '', '   Number of wires:                  3', '   Number of cells:                  2', '     LUT6                            2', ''].join('\n');
    const s = parseStat(bare);
    expect(s.version).toBeNull();
    expect(fpgaCounts(s.design).luts).toBe(2);
  });

  it('names the top when several modules are listed without a hierarchy total', () => {
    const two = ['=== a ===', '   Number of cells:   1', '     LUT2   1', '=== b ===', '   Number of cells:   3', '     LUT3   3'].join('\n');
    expect(() => parseStat(two)).toThrow(/several modules \(a, b\).*name the top/);
    expect(fpgaCounts(parseStat(two, 'b').design).luts).toBe(3);
    expect(() => parseStat(two, 'c')).toThrow(/no module c \(it lists a, b\)/);
  });

  it('a log that stopped before stat is an error, never zeros', () => {
    expect(() => parseStat(log('bad_syntax.fpga.wasm'))).toThrow(HdlError);
    expect(() => parseStat('')).toThrow(/No `stat` report/);
  });

  it('unknown cell types are kept in `other`, not dropped', () => {
    const f = fpgaCounts(parseStat(['=== m ===', '   Number of cells:  3', '     LUT6  1', '     XORCY  2'].join('\n')).design);
    expect(f.other).toEqual({ XORCY: 2 });
    expect(f.cells).toBe(3);
  });

  it('reads the version from either banner', () => {
    expect(yosysVersion(' Yosys 0.55 (git sha1 60f126cd0, ccache clang 18.1.3 -O3 -flto -flto)')).toBe('0.55');
    expect(yosysVersion('Yosys 0.23 (git sha1 7ce5011c24b)')).toBe('0.23');
    expect(yosysVersion('Yosys 0.9+4081 (git sha1 abc)')).toBe('0.9');
  });
});

describe('yosysError on real error logs', () => {
  const badDesign = { files: { 'bad_syntax.sv': readFileSync(join(FIX, 'bad_syntax.sv'), 'utf8') }, top: 'bad_syntax' };
  it.each(BUILDS)('a syntax error ($build) names the file, the line, what Yosys said and the source line', ({ build }) => {
    const e = yosysError(log(`bad_syntax.fpga.${build}`), badDesign)!;
    expect(e).toBeInstanceOf(HdlError);
    expect(e.kind).toBe('verilog');
    expect(e.where).toEqual({ file: 'bad_syntax.sv', line: 7 });
    expect(e.message).toBe('bad_syntax.sv:7: syntax error, unexpected TOK_ENDMODULE\n  7 | endmodule');
  });

  it.each(BUILDS)('a missing top module ($build) says which and where it looked', ({ build }) => {
    const e = yosysError(log(`no_top.fpga.${build}`), { files: { 'no_top.sv': '' }, top: 'dot4' })!;
    expect(e.kind).toBe('verilog');
    expect(e.message).toBe("Top module dot4 is not defined in no_top.sv (Yosys: Module `dot4' not found!)");
  });

  it('a successful log holds no error', () => {
    expect(yosysError(log('dot4.fpga.wasm'))).toBeNull();
  });

  it('other errors name the pass that failed', () => {
    const e = yosysError('2.3. Executing HIERARCHY pass (managing design hierarchy).\nERROR: Module `\\sub\' referenced in module `\\top\' in cell `\\u0\' is not part of the design.\n')!;
    expect(e.kind).toBe('verilog');
    expect(e.message).toBe("Yosys (HIERARCHY pass): Module `\\sub' referenced in module `\\top' in cell `\\u0' is not part of the design.");
  });
});
