// The RTL bundle without tools: what makeBundle adds and derives (lint sets, synthesis roots,
// manifest), which paths it refuses and why, and that zipBundle round-trips through fflate's unzip
// byte for byte and deterministically. bundle.sim.test.ts runs the Makefile for real.
import { strFromU8, strToU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERILATOR_SIM_FLAGS } from './bundleTemplates';
import { byteLength, checkBundlePath, declaredModules, isTestbenchPath, lineCount, makeBundle, zipBundle, type RtlDesign } from './bundle';
import { RtlError } from './errors';

const QUANT = '// q is used by c and top (a comment: not a dependency)\nmodule q #(parameter W = 8) (input logic [W-1:0] a, output logic [W-1:0] y);\n  assign y = a;\nendmodule\n';
const CAST = 'module c (input logic [7:0] a, output logic [7:0] y);\n  q #(.W(8)) u_q (.a, .y);\nendmodule\n';
const TOP = 'module top (input logic [7:0] a, output logic [7:0] y);\n  c u_c (.a, .y);\nendmodule\n';
const PKG = 'package p;\n  localparam int K = 3;\nendpackage\n';
const LONE = '/* module ghost; */ module lone (output logic z);\n  assign z = 1\'b0; // "module fake"\nendmodule\n';
const TB = 'module tb_top;\n  logic [7:0] a, y;\n  top dut (.a, .y);\n  initial begin $display("RESULT tb_top beats=1 mismatches=0"); $finish; end\nendmodule\n';

function design(over: Partial<RtlDesign> = {}): RtlDesign {
  return {
    files: {
      'rtl/p.sv': PKG,
      'rtl/q.sv': QUANT,
      'rtl/c.sv': CAST,
      'rtl/top.sv': TOP,
      'rtl/lone.sv': LONE,
      'tb/tb_top.sv': TB,
      'vectors/tb_top.in.hex': '0a\n0b\n',
      'mem/w.bin': new Uint8Array([0, 1, 2, 255]),
      'docs/note.txt': 'µ€😀\n',
    },
    testbenches: [{ name: 'tb_top', top: 'tb_top', sources: ['rtl/p.sv', 'rtl/q.sv', 'rtl/c.sv', 'rtl/top.sv', 'tb/tb_top.sv'] }],
    manifest: { model: 'sotu-llama-1m', layers: [0, 1], act: { w: 24, f: 14 } },
    ...over,
  };
}

function rtlError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RtlError);
    return (e as Error).message;
  }
  throw new Error('expected an RtlError');
}

describe('makeBundle', () => {
  const b = makeBundle(design());

  it('keeps every design file as given and adds Makefile, synth.ys, manifest.json, README.md', () => {
    const d = design();
    expect(Object.keys(b).sort()).toEqual([...Object.keys(d.files), 'Makefile', 'README.md', 'manifest.json', 'synth.ys'].sort());
    for (const [p, v] of Object.entries(d.files)) expect(b[p]).toEqual(v);
  });

  it('manifest.json: the generator manifest plus a bundle section with UTF-8 byte sizes', () => {
    const m = JSON.parse(b['manifest.json'] as string);
    expect(m.model).toBe('sotu-llama-1m');
    expect(m.act).toEqual({ w: 24, f: 14 });
    expect(m.bundle.format).toBe('mx-studio-rtl-bundle');
    expect(m.bundle.testbenches).toEqual([{ name: 'tb_top', top: 'tb_top', sources: ['rtl/p.sv', 'rtl/q.sv', 'rtl/c.sv', 'rtl/top.sv', 'tb/tb_top.sv'] }]);
    // µ = 2 bytes, € = 3, 😀 = 4, \n = 1
    expect(m.bundle.files['docs/note.txt']).toBe(10);
    expect(m.bundle.files['mem/w.bin']).toBe(4);
    expect(m.bundle.files['rtl/q.sv']).toBe(QUANT.length);
  });

  it('lint: one run per RTL module with only the files it instantiates (packages first, design order)', () => {
    const mk = b['Makefile'] as string;
    expect(mk).toMatch(/^LINT_MODULES := \\\n {2}q \\\n {2}c \\\n {2}top \\\n {2}lone$/m);
    expect(mk).toContain('\t$(VERILATOR) $(LINT_FLAGS) $(INCLUDES) --top-module q rtl/p.sv rtl/q.sv\n');
    // q is named in a comment of q.sv only as "mx_cast", and lone's comments/strings name no module
    expect(mk).toContain('--top-module c rtl/p.sv rtl/q.sv rtl/c.sv\n');
    expect(mk).toContain('--top-module top rtl/p.sv rtl/q.sv rtl/c.sv rtl/top.sv\n');
    expect(mk).toContain('--top-module lone rtl/p.sv rtl/lone.sv\n');
    // testbench code is never linted or synthesised
    expect(mk).not.toContain('lint-tb_top');
  });

  it('synthesis tops default to the roots of the RTL; synth.ys runs both fixed flows per top', () => {
    const mk = b['Makefile'] as string;
    expect(mk).toContain('SYNTH_TOPS := top lone\n');
    const ys = b['synth.ys'] as string;
    expect(ys).toContain('design -reset\nread_verilog -sv rtl/p.sv rtl/q.sv rtl/c.sv rtl/top.sv\nsynth_xilinx -flatten -nodsp -top top\ntee -o build/synth/top.fpga.txt stat\n');
    expect(ys).toContain('synth -flatten -top lone\nasync2sync\ndfflegalize -cell $_DFF_P_ 01 -cell $_DFF_N_ 01\nabc -g cmos2\ntee -o build/synth/lone.gates.txt stat -tech cmos\n');
    expect(ys.match(/^design -reset$/gm)).toHaveLength(4);
    const only = makeBundle(design({ synthTops: ['c'] }));
    expect(only['Makefile']).toContain('SYNTH_TOPS := c\n');
    expect(rtlError(() => makeBundle(design({ synthTops: ['tb_top'] })))).toBe('synthesis top "tb_top": no RTL file (outside tb/, not tb_*) declares it');
  });

  it('a synthesis top with parameters: read with -defer, chparam before the flow, listed in the manifest', () => {
    const b2 = makeBundle(design({ synthTops: [{ top: 'q', params: { MEM: 'mem/L0_q', W: 4 } }, 'lone'] }));
    const ys = b2['synth.ys'] as string;
    expect(ys).toContain('design -reset\nread_verilog -sv -defer rtl/p.sv rtl/q.sv\nchparam -set MEM "mem/L0_q" q\nchparam -set W 4 q\nsynth_xilinx -flatten -nodsp -top q\ntee -o build/synth/q.fpga.txt stat\n');
    expect(ys).toContain('design -reset\nread_verilog -sv rtl/p.sv rtl/lone.sv\nsynth_xilinx');
    expect(JSON.parse(b2['manifest.json'] as string).bundle.synth_tops).toEqual([{ top: 'q', params: { MEM: 'mem/L0_q', W: 4 } }, 'lone']);
    expect(b2['README.md']).toContain('Synthesis tops: `q` (MEM=mem/L0_q, W=4), `lone`.');
    expect(rtlError(() => makeBundle(design({ synthTops: [{ top: 'q', params: { MEM: 'a"; shell rm' } }] })))).toBe('synthesis top "q": parameter MEM = "a\\"; shell rm": values are integers or strings of letters, digits and _ . / + -');
    expect(rtlError(() => makeBundle(design({ synthTops: [{ top: 'q', params: { 'W;x': 1 } }] })))).toBe('synthesis top "q": parameter name "W;x" is not an identifier');
    expect(rtlError(() => makeBundle(design({ synthTops: [{ top: 'q', params: { W: 1.5 } }] })))).toBe('synthesis top "q": parameter W = 1.5: values are integers or strings of letters, digits and _ . / + -');
  });

  it('Makefile: a build and a run rule per testbench and simulator, with the flags the project tests use', () => {
    const mk = b['Makefile'] as string;
    expect(mk).toContain(`VERILATOR_FLAGS ?= ${VERILATOR_SIM_FLAGS}\n`);
    // the same flags the project's own simulation harness builds with (tools/rtl/sim.ts), minus its -j
    const sim = readFileSync(new URL('../../../tools/rtl/sim.ts', import.meta.url), 'utf8');
    const flags = JSON.parse(/const VERILATOR_FLAGS = (\[[^\]]*\])/.exec(sim)![1].replace(/'/g, '"')) as string[];
    const j = flags.indexOf('-j');
    if (j >= 0) flags.splice(j, 2);
    expect(VERILATOR_SIM_FLAGS).toBe(flags.join(' '));
    expect(mk).toContain('$(BUILD)/verilator/tb_top/Vtb_top: $(SRC_tb_top)\n\t@mkdir -p $(BUILD)/verilator/tb_top\n');
    expect(mk).toContain('\t$(VERILATOR) $(VERILATOR_FLAGS) -j $(VERILATOR_JOBS) $(INCLUDES) --top-module tb_top --Mdir $(BUILD)/verilator/tb_top $(SRC_tb_top)\n');
    expect(mk).toContain('\t$(IVERILOG) $(ICARUS_FLAGS) $(INCLUDES) -s tb_top -o $@ $(SRC_tb_top)\n');
    expect(mk).toContain('sim-icarus-tb_top: $(BUILD)/icarus/tb_top.vvp\n\t$(call run_sim,icarus,tb_top,$(VVP) -n $(BUILD)/icarus/tb_top.vvp)\n');
    expect(mk).toContain('all: sim sim-icarus\n');
    // recipes start with a tab (Make refuses spaces)
    for (const line of mk.split('\n')) if (/^\s+\$\((VERILATOR|IVERILOG|YOSYS)\)/.test(line)) expect(line.startsWith('\t')).toBe(true);
  });

  it('headers: their folders become -I flags for every tool', () => {
    const d = design();
    const withHeader = makeBundle({ ...d, files: { ...d.files, 'rtl/inc/defs.svh': '`define W 8\n' } });
    expect(withHeader['Makefile']).toContain('INCLUDES := -Irtl/inc\n');
    expect(withHeader['synth.ys']).toContain('read_verilog -sv -Irtl/inc rtl/p.sv');
  });

  it('README: how to run it, the pass criterion and the testbench table', () => {
    const r = b['README.md'] as string;
    expect(r).toContain('| model | sotu-llama-1m |');
    expect(r).toContain('make            # every testbench under Verilator and Icarus');
    expect(r).toContain('| `tb_top` | `tb_top` | `rtl/p.sv`, `rtl/q.sv`, `rtl/c.sv`, `rtl/top.sv`, `tb/tb_top.sv` |');
    expect(r).toContain('**Verilator ≥ 5.006**');
    expect(r).toContain('| `rtl/` | 5 |');
  });

  it('rejects bad testbenches, duplicate modules and a manifest it cannot write', () => {
    const d = design();
    const tb = d.testbenches[0];
    expect(rtlError(() => makeBundle({ ...d, testbenches: [{ ...tb, sources: [...tb.sources, 'rtl/missing.sv'] }] }))).toBe('testbench "tb_top": source "rtl/missing.sv" is not a file of the design');
    expect(rtlError(() => makeBundle({ ...d, testbenches: [{ ...tb, top: 'nope' }] }))).toBe('testbench "tb_top": no source declares its top module nope');
    expect(rtlError(() => makeBundle({ ...d, testbenches: [{ ...tb, name: 'L0.q' }] }))).toBe('testbench "L0.q": its name must be a plain identifier (letters, digits, _), as it becomes a make target');
    expect(rtlError(() => makeBundle({ ...d, testbenches: [tb, { ...tb, name: 'TB_TOP' }] }))).toBe('testbench "TB_TOP": listed twice');
    expect(rtlError(() => makeBundle({ ...d, testbenches: [{ ...tb, sources: ['vectors/tb_top.in.hex'] }] }))).toBe('testbench "tb_top": source vectors/tb_top.in.hex is not a .sv or .v file (headers are found through their folder)');
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'rtl/q2.sv': QUANT } }))).toBe('module q: declared in both rtl/q.sv and rtl/q2.sv');
    expect(rtlError(() => makeBundle({ ...d, manifest: { bundle: 1 } }))).toMatch(/^bundle: the manifest must not have a "bundle" key/);
    expect(rtlError(() => makeBundle({ ...d, manifest: { n: 1n } }))).toMatch(/^bundle: the manifest is not JSON-serialisable/);
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'rtl/b.sv': new Uint8Array(3) } }))).toBe('bundle file "rtl/b.sv": a Verilog source must be text, not bytes');
  });
});

describe('paths', () => {
  const HOSTILE: [string, string][] = [
    ['/etc/passwd', 'a file path must be relative to the bundle (no leading "/" or drive letter)'],
    ['C:/x/y.sv', 'a file path must be relative to the bundle (no leading "/" or drive letter)'],
    ['../x.sv', 'a file path must not contain "." or ".." segments'],
    ['rtl/../../x.sv', 'a file path must not contain "." or ".." segments'],
    ['./rtl/x.sv', 'a file path must not contain "." or ".." segments'],
    ['rtl\\x.sv', 'use "/" between folders: a backslash is not a path separator in a zip or a Makefile'],
    ['rtl//x.sv', 'a file path must not have empty segments ("//" or a trailing "/")'],
    ['rtl/', 'a file path must not have empty segments ("//" or a trailing "/")'],
    ['', 'a file path must not be empty'],
    ['rtl/x\0.sv', 'a file path must not contain a NUL character'],
    ['rtl/a b.sv', 'segment "a b.sv" may only hold letters, digits and _ . + - (not starting with . or -)'],
    ['rtl/-rf.sv', 'segment "-rf.sv" may only hold letters, digits and _ . + - (not starting with . or -)'],
    ['.hidden', 'segment ".hidden" may only hold letters, digits and _ . + - (not starting with . or -)'],
    ['rtl/$(shell rm).sv', 'segment "$(shell rm).sv" may only hold letters, digits and _ . + - (not starting with . or -)'],
    ['x'.repeat(201), 'a file path must be at most 200 characters'],
  ];
  for (const [p, why] of HOSTILE) {
    it(`rejects ${JSON.stringify(p).slice(0, 40)}`, () => {
      expect(rtlError(() => checkBundlePath(p))).toBe(`bundle file ${JSON.stringify(p)}: ${why}`);
      const d = design();
      expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, [p]: 'x' } }))).toBe(`bundle file ${JSON.stringify(p)}: ${why}`);
      expect(rtlError(() => zipBundle({ [p]: 'x' }))).toBe(`bundle file ${JSON.stringify(p)}: ${why}`);
    });
  }

  it('rejects duplicates that differ only in case, the bundle\'s own names, build/ and file/folder clashes', () => {
    const d = design();
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'RTL/Q.sv': 'x' } }))).toBe('bundle file "RTL/Q.sv": differs from "rtl/q.sv" only in letter case (they collide on Windows and macOS)');
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, makefile: 'all:' } }))).toBe('bundle file "makefile": the bundle writes its own Makefile');
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'Manifest.JSON': '{}' } }))).toBe('bundle file "Manifest.JSON": the bundle writes its own manifest.json');
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'build/x.sv': '' } }))).toBe('bundle file "build/x.sv": build/ is where make writes binaries and logs');
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, mem: 'x' } }))).toBe('bundle file "mem": is both a file and the folder of "mem/w.bin"');
    expect(rtlError(() => zipBundle({ 'a.sv': 'x', 'A.sv': 'y' }))).toBe('bundle file "A.sv": differs from "a.sv" only in letter case (they collide on Windows and macOS)');
    expect(rtlError(() => zipBundle({ Makefile: 'x', makefile: 'y' }))).toBe('bundle file "makefile": the bundle writes its own Makefile');
  });

  it('accepts the generator\'s layout', () => {
    for (const p of ['rtl/L0_q.sv', 'tb/tb_L0_q.sv', 'vectors/tb_L0_q.in0.hex', 'mem/L0.q.w.codes.hex', 'a/b/c/d+e-f_g.h']) expect(() => checkBundlePath(p)).not.toThrow();
  });
});

describe('zipBundle', () => {
  const d = design();

  it('the path alphabet is ASCII: a non-ASCII name is refused before anything is zipped', () => {
    expect(rtlError(() => makeBundle({ ...d, files: { ...d.files, 'docs/µ-note.txt': '' } }))).toBe('bundle file "docs/µ-note.txt": segment "µ-note.txt" may only hold letters, digits and _ . + - (not starting with . or -)');
  });

  it('round-trips through fflate unzip byte for byte, deterministically', () => {
    const b = makeBundle(d);
    const z = zipBundle(b);
    const back = unzipSync(z);
    expect(Object.keys(back).sort()).toEqual(Object.keys(b).sort());
    for (const [p, v] of Object.entries(b)) {
      if (typeof v === 'string') expect(strFromU8(back[p])).toBe(v);
      else expect(Array.from(back[p])).toEqual(Array.from(v));
    }
    expect(Array.from(back['mem/w.bin'])).toEqual([0, 1, 2, 255]);
    expect(Buffer.from(zipBundle(b)).equals(Buffer.from(z))).toBe(true);
    // a zip starts with a local file header
    expect(Array.from(z.slice(0, 4))).toEqual([0x50, 0x4b, 0x03, 0x04]);
  });

  it('puts entries under one folder when asked, and checks that name too', () => {
    const back = unzipSync(zipBundle({ 'rtl/a.sv': 'module a; endmodule\n', Makefile: 'all:\n' }, { folder: 'mx-rtl-L0' }));
    expect(Object.keys(back).sort()).toEqual(['mx-rtl-L0/Makefile', 'mx-rtl-L0/rtl/a.sv']);
    expect(rtlError(() => zipBundle({ 'a.sv': '' }, { folder: '../up' }))).toBe('bundle file "../up": a file path must not contain "." or ".." segments');
    expect(rtlError(() => zipBundle({ 'a.sv': '' }, { folder: 'a/b' }))).toBe('bundle file "a/b": the zip folder must be a single name');
  });
});

describe('helpers', () => {
  it('byteLength counts UTF-8 bytes; lineCount counts lines with or without a final newline', () => {
    expect(byteLength('µ€😀\n')).toBe(2 + 3 + 4 + 1);
    expect(byteLength('µ€😀\n')).toBe(strToU8('µ€😀\n').length);
    expect(byteLength(new Uint8Array(7))).toBe(7);
    expect(lineCount('')).toBe(0);
    expect(lineCount('a')).toBe(1);
    expect(lineCount('a\n')).toBe(1);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount(new Uint8Array(3))).toBeNull();
  });

  it('declaredModules ignores comments and strings; isTestbenchPath knows tb/ and tb_*', () => {
    expect(declaredModules(LONE)).toEqual(['lone']);
    expect(declaredModules('module a; endmodule\nmodule automatic b; endmodule')).toEqual(['a', 'b']);
    expect(isTestbenchPath('tb/x.sv')).toBe(true);
    expect(isTestbenchPath('rtl/tb_x.sv')).toBe(true);
    expect(isTestbenchPath('rtl/x_tb.sv')).toBe(false);
    expect(isTestbenchPath('rtl/tbx/x.sv')).toBe(false);
  });
});
