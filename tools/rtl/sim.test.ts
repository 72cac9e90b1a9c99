// The harness itself: a tiny self-checking testbench that compares $readmemh vectors against a
// registered adder, passing and failing, under both simulators; the Verilator build cache; lint.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { cacheRoot, haveTools, lint, simulate, type SimRequest } from './sim';

const ADD = `
module add8 (
  input  logic       clk,
  input  logic [7:0] a,
  input  logic [7:0] b,
  output logic [7:0] y
);
  always_ff @(posedge clk) y <= a + b;
endmodule
`;

// Reads N from a plusarg, stimulus pairs from vectors/add.in.hex and sums from vectors/add.out.hex.
const TB = `
module tb_add;
  logic clk = 1'b0;
  always #5 clk = ~clk;
  logic [15:0] vin [0:255];
  logic [7:0] vout [0:255];
  logic [7:0] a, b, y;
  int n, errs;
  add8 dut (.clk(clk), .a(a), .b(b), .y(y));
  initial begin
    if (!$value$plusargs("n=%d", n)) n = 4;
    $readmemh("vectors/add.in.hex", vin);
    $readmemh("vectors/add.out.hex", vout);
    errs = 0;
    for (int i = 0; i < n; i++) begin
      {a, b} = vin[i];
      @(posedge clk); #1;
      if (y !== vout[i]) begin
        if (errs == 0) $display("MISMATCH tb_add beat=%0d elem=0 field=y got=%h exp=%h", i, y, vout[i]);
        errs++;
      end
    end
    $display("RESULT tb_add beats=%0d mismatches=%0d", n, errs);
    if (errs != 0) $fatal(1, "tb_add: %0d mismatches", errs);
    $finish;
  end
endmodule
`;

function req(corrupt: boolean): SimRequest {
  const pairs = [
    [1, 2],
    [200, 100],
    [0x7f, 0x01],
    [0xff, 0xff],
  ];
  const hex = (v: number, w: number) => v.toString(16).padStart(w, '0');
  const inp = pairs.map(([a, b]) => hex(a, 2) + hex(b, 2)).join('\n') + '\n';
  const out = pairs.map(([a, b], i) => hex((a + b + (corrupt && i === 2 ? 1 : 0)) & 0xff, 2)).join('\n') + '\n';
  return { keep: 'never', top: 'tb_add', sources: { 'add8.sv': ADD, 'tb_add.sv': TB }, files: { 'vectors/add.in.hex': inp, 'vectors/add.out.hex': out }, plusargs: ['n=4'] };
}

const tools = haveTools();

describe('tools/rtl/sim', () => {
  it('finds the simulators (install the Debian packages verilator and iverilog otherwise)', () => {
    expect(tools.verilator, 'verilator missing: apt-get install verilator').toBe(true);
    expect(tools.icarus, 'iverilog missing: apt-get install iverilog').toBe(true);
  });

  for (const tool of ['verilator', 'icarus'] as const) {
    it(`${tool}: a passing testbench reports ok with its RESULT line`, async () => {
      const r = await simulate(tool, req(false));
      expect(r.log).toContain('RESULT');
      expect(r.ok, r.log).toBe(true);
      expect(r.exitCode).toBe(0);
      expect(r.results).toEqual([{ tb: 'tb_add', beats: 4, mismatches: 0 }]);
      expect(r.firstMismatch).toBeUndefined();
    });

    it(`${tool}: a corrupted expected vector fails with the first mismatch and a non-zero exit`, async () => {
      const r = await simulate(tool, req(true));
      expect(r.ok).toBe(false);
      expect(r.exitCode).not.toBe(0);
      expect(r.results).toEqual([{ tb: 'tb_add', beats: 4, mismatches: 1 }]);
      expect(r.firstMismatch).toBe('MISMATCH tb_add beat=2 elem=0 field=y got=80 exp=81');
    });

    it(`${tool}: a timeout kills the run and fails`, async () => {
      const hang = `module tb_hang; logic clk = 0; always #5 clk = ~clk; initial begin #1; end endmodule\n`;
      const r = await simulate(tool, { top: 'tb_hang', sources: { 'tb_hang.sv': hang }, timeoutMs: 1500, keep: 'never' });
      expect(r.ok).toBe(false);
      expect(r.exitCode).toBe(-1);
      expect(r.log).toContain('timed out');
    });

    it(`${tool}: a source that does not compile fails with the compiler's message`, async () => {
      const r = await simulate(tool, { top: 'tb_bad', sources: { 'tb_bad.sv': 'module tb_bad; initial begin x = ; end endmodule\n' }, keep: 'never' });
      expect(r.ok).toBe(false);
      expect(r.results).toEqual([]);
      expect(r.log).toMatch(/tb_bad\.sv/);
    });
  }

  it('verilator: the build is cached by source hash and reused for new vectors', async () => {
    const a = await simulate('verilator', req(false));
    expect(a.ok).toBe(true);
    expect(a.log).toContain('build cached');
    const b = await simulate('verilator', { ...req(false), plusargs: ['n=2'] });
    expect(b.results).toEqual([{ tb: 'tb_add', beats: 2, mismatches: 0 }]);
    expect(existsSync(cacheRoot())).toBe(true);
  });

  it('lint: clean module passes, a width bug is reported', async () => {
    const ok = await lint({ top: 'add8', sources: { 'add8.sv': ADD } });
    expect(ok.ok, ok.log).toBe(true);
    const bad = ADD.replace('y <= a + b;', 'y <= {1\'b0, a} + b;');
    const r = await lint({ top: 'add8', sources: { 'add8.sv': bad } });
    expect(r.ok).toBe(false);
    expect(r.log).toMatch(/WIDTH/);
  });

  it('rejects a malformed request before running anything', async () => {
    await expect(simulate('verilator', { top: 'bad name', sources: { 'x.sv': '' } })).rejects.toThrow(/top must be a module name/);
    await expect(simulate('icarus', { top: 't', sources: {} })).rejects.toThrow(/no sources/);
    await expect(simulate('icarus', { top: 't', sources: { 't.sv': 'module t; endmodule' }, files: { '../x': 'y' } })).rejects.toThrow(/escapes the run directory/);
  });
});
