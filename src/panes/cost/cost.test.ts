// The cost pane's data: the report it shows is the cost model's (same numbers as the CLI path),
// the stacked series add up to the model's totals, the per-kind sums cover every op, the colour
// scale orders ops by cost; and the RTL sources: module names, library targets, pasted Verilog.
import { interpolateTurbo } from 'd3';
import { describe, expect, it } from 'vitest';
import { prepareCost } from '../../core/cost';
import { buildGraph, resolveConfig, uniformConfig, type Graph } from '../../core/graph';
import { DEFAULT_HARDWARE, costOptions } from '../../state/hardware';
import { METRICS, computeCost, costByKind, metricTotal, opColorScale } from './costReport';
import { TEST_TARGET, bundleDesign, filesFor, libraryTargets, moduleNames, pastedTarget } from './rtlSource';

function tinyLlama(): Graph {
  return buildGraph({ arch: 'llama', vocabSize: 64, hiddenSize: 32, numLayers: 2, numHeads: 2, numKvHeads: 2, headDim: 16, intermediateSize: 64, maxPositions: 16, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: false, bosTokenId: null, eosTokenId: null, raw: {} });
}

describe('computeCost', () => {
  const g = tinyLlama();
  const quant = uniformConfig('mxint8');

  it('is the cost model’s report for the formats and settings on screen', () => {
    const r = computeCost(g, quant, DEFAULT_HARDWARE);
    expect(r.ok).toBe(true);
    const ref = prepareCost(g, costOptions(DEFAULT_HARDWARE))(resolveConfig(g, quant).formats);
    expect(r.ok && r.report.energyPj.total).toBe(ref.energyPj.total);
    expect(r.ok && r.report.layers.length).toBe(2 * 9 + 1);
  });

  it('moves with the settings (a smaller node costs less energy; DRAM weights add off-chip energy)', () => {
    const a = computeCost(g, quant, DEFAULT_HARDWARE);
    const b = computeCost(g, quant, { ...DEFAULT_HARDWARE, nodeNm: 7 });
    const c = computeCost(g, quant, { ...DEFAULT_HARDWARE, weightsOnChip: false });
    if (!a.ok || !b.ok || !c.ok) throw new Error('not priced');
    expect(b.report.energyPj.mac).toBeCloseTo(a.report.energyPj.mac * 0.094, 6);
    expect(a.report.energyPj.offChip).toBe(0);
    expect(c.report.energyPj.offChip).toBeGreaterThan(0);
  });

  it('prices the document’s per-layer lanes: that op’s lanes and cycles change, the others keep the default; lanes for ops of another model are left out', () => {
    const a = computeCost(g, quant, DEFAULT_HARDWARE);
    const b = computeCost(g, quant, DEFAULT_HARDWARE, { 'L1.up': { lanesK: 8, lanesN: 4 }, 'L7.q': { lanesK: 2, lanesN: 2 } });
    if (!a.ok || !b.ok) throw new Error('not priced');
    const op = (r: typeof a, id: string) => r.report.layers.find((l) => l.op === id)!;
    // default 32×1 capped at K = 32; own 8×4
    expect(op(a, 'L1.up').lanes).toEqual({ k: 32, n: 1, m: 1 });
    expect(op(b, 'L1.up').lanes).toEqual({ k: 8, n: 4, m: 1 });
    // cycles = tokens · ⌈K / lanesK⌉ · ⌈N / lanesN⌉: K = 32, N = 64
    const T = b.report.tokens;
    expect(op(a, 'L1.up').cycles).toBe(T * 1 * 64);
    expect(op(b, 'L1.up').cycles).toBe(T * 4 * 16);
    expect(op(b, 'L0.up').lanes).toEqual(op(a, 'L0.up').lanes);
    expect(op(b, 'L1.up').areaUm2).not.toBe(op(a, 'L1.up').areaUm2);
  });

  it('says what is wrong instead of throwing', () => {
    const r = computeCost(g, quant, { ...DEFAULT_HARDWARE, lanesK: 0 });
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/^cost parallelism: .*lanes must be integers/) });
  });

  it('each metric’s series add up to the model’s own total, per op and overall', () => {
    const r = computeCost(g, uniformConfig('mxfp4'), { ...DEFAULT_HARDWARE, weightsOnChip: false });
    if (!r.ok) throw new Error(r.message);
    const rep = r.report;
    for (const l of [...rep.layers, rep]) {
      expect(metricTotal(METRICS.energy, l)).toBeCloseTo(l.energyPj.total, 6);
      expect(metricTotal(METRICS.area, l)).toBeCloseTo(l.areaUm2, 6);
      expect(metricTotal(METRICS.luts, l)).toBe(l.fpga.luts);
      expect(metricTotal(METRICS.memory, l)).toBeCloseTo(l.memoryBits.total, 6);
    }
    // Every split is non-negative and both memory levels appear with weights in DRAM.
    expect(rep.energyPj.offChip).toBeGreaterThan(0);
    expect(rep.energyPj.block).toBeGreaterThan(0);
    expect(rep.energyPj.quant).toBeGreaterThan(0);
  });

  it('per-kind sums cover every op once and add up to the totals', () => {
    const r = computeCost(g, quant, DEFAULT_HARDWARE);
    if (!r.ok) throw new Error(r.message);
    const kinds = costByKind(r.report);
    expect(kinds.map((k) => k.kind)).toEqual(['q', 'k', 'v', 'qk', 'pv', 'o', 'gate', 'up', 'down', 'head']);
    expect(kinds.find((k) => k.kind === 'q')!.ops).toEqual(['L0.q', 'L1.q']);
    const sum = kinds.reduce((s, k) => s + k.energyPj, 0);
    expect(sum).toBeCloseTo(r.report.energyPj.total, 3);
    expect(kinds.reduce((s, k) => s + k.luts, 0)).toBeCloseTo(r.report.layers.reduce((s, l) => s + l.fpga.luts, 0), 6);
  });

  it('colours ops by cost, the costliest at the top of the scale, non-GEMM ops not at all', () => {
    const r = computeCost(g, quant, DEFAULT_HARDWARE);
    if (!r.ok) throw new Error(r.message);
    const { color, min, max } = opColorScale(r.report, 'energy');
    const top = r.report.layers.reduce((a, b) => (b.energyPj.total > a.energyPj.total ? b : a));
    expect(max).toBe(top.energyPj.total);
    expect(min).toBeLessThan(max);
    // The top of the ramp is turbo(0.9): the costliest op gets exactly that.
    expect(color(top.op)).toBe(interpolateTurbo(0.9));
    expect(color(top.op)).not.toBe(color(r.report.layers.reduce((a, b) => (b.energyPj.total < a.energyPj.total ? b : a)).op));
    expect(color('L0.norm1')).toBeNull();
  });
});

describe('rtlSource', () => {
  it('finds module declarations, ignoring comments and strings', () => {
    expect(moduleNames('// module fake;\n/* module nope */ module a #(parameter W=1) (); endmodule\nmodule automatic b; endmodule\n$display("module c");')).toEqual(['a', 'b']);
    expect(moduleNames(TEST_TARGET.design.files['dot4.sv'])).toEqual(['dot4']);
  });

  it('offers every library module with only the files it needs, testbenches left out', () => {
    const lib = {
      'b.sv': 'module b; c u(); endmodule',
      'c.sv': 'module c; import p::*; endmodule',
      'p.sv': 'package p; endpackage',
      'a.sv': 'module a1; endmodule\nmodule a2; a1 u(); endmodule // uses b? no: comments do not count',
      'rom.sv': 'module rom; initial $readmemh("w.hex", m); endmodule',
      'tb_a.sv': 'module tb_a; a2 dut(); endmodule',
    };
    const t = libraryTargets(lib);
    expect(t.map((x) => x.key)).toEqual(['module:a.sv#a1', 'module:a.sv#a2', 'module:b.sv#b', 'module:c.sv#c', 'module:rom.sv#rom']);
    expect(Object.keys(t[1].design.files)).toEqual(['a.sv']);
    expect(t[1].design.top).toBe('a2');
    expect(t[1].estimate).toBeNull();
    // Transitively, packages first; the ROM that needs a memory file is not dragged in.
    expect(Object.keys(t[2].design.files)).toEqual(['p.sv', 'b.sv', 'c.sv']);
    expect(filesFor(lib, 'nosuch')).toEqual([]);
  });

  it('pasted Verilog: the named top, else the last module; no module is a clear error', () => {
    expect(pastedTarget('module x; endmodule module y; endmodule')).toMatchObject({ design: { top: 'y', files: { 'pasted.sv': expect.any(String) } } });
    expect(pastedTarget('module x; endmodule module y; endmodule', 'x')).toMatchObject({ design: { top: 'x' } });
    expect(pastedTarget('assign a = b;')).toEqual({ error: 'No module declaration found: the text needs "module <name> (...); … endmodule".' });
  });

  it('turns a generated single-layer bundle into a design: its RTL and weight files, its top, MEM set to its own weights', () => {
    const manifest = JSON.stringify({ generator: {}, bundle: { synth_tops: ['lyr_q'] } });
    const files = {
      'rtl/lyr_q.sv': 'module lyr_q #(parameter MEM = "mem/layer") (); mx_linear u(); endmodule',
      'rtl/mx_linear.sv': 'module mx_linear; endmodule',
      'tb/tb_lyr_q.sv': 'module tb_lyr_q; endmodule',
      'mem/L0_q.codes.hex': '00\n',
      'mem/L0_q.exps.hex': '7f\n',
      'vectors/L0_q.in.hex': '0\n',
      'Makefile': 'all:',
      'manifest.json': manifest,
    };
    expect(bundleDesign(files)).toEqual({
      files: { 'rtl/lyr_q.sv': files['rtl/lyr_q.sv'], 'rtl/mx_linear.sv': files['rtl/mx_linear.sv'], 'mem/L0_q.codes.hex': '00\n', 'mem/L0_q.exps.hex': '7f\n' },
      top: 'lyr_q',
      params: { MEM: 'mem/L0_q' },
    });
    // Parameters the manifest gives win; a top without MEM gets none.
    const given = bundleDesign({ ...files, 'manifest.json': JSON.stringify({ bundle: { synth_tops: [{ top: 'lyr_q', params: { MEM: 'mem/other' } }] } }) });
    expect('params' in given && given.params).toEqual({ MEM: 'mem/other' });
    const noMem = bundleDesign({ ...files, 'rtl/lyr_q.sv': 'module lyr_q (); endmodule' });
    expect('top' in noMem && !('params' in noMem)).toBe(true);
    // Two layers' weights: no guessing.
    const two = bundleDesign({ ...files, 'mem/L1_q.codes.hex': '00\n' });
    expect('params' in two).toBe(false);
    expect(bundleDesign({ ...files, 'manifest.json': '{' })).toEqual({ error: 'The RTL bundle has no readable manifest.json.' });
    expect(bundleDesign({ ...files, 'manifest.json': JSON.stringify({ bundle: { synth_tops: [] } }) })).toEqual({ error: 'The RTL bundle names no synthesis top (manifest.json bundle.synth_tops).' });
    expect(bundleDesign({ ...files, 'manifest.json': JSON.stringify({ bundle: { synth_tops: ['nope'] } }) })).toEqual({ error: 'The RTL bundle has no file declaring its synthesis top nope.' });
  });
});
