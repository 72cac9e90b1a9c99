import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ELEM_NAMES, ELEMENTS, bitsPerElement, parseFormat, type ElemName, type FormatSpec } from '../formats';
import { buildGraph, parseConfig as parseQuantConfig, resolveConfig, uniformConfig, type Graph } from '../graph';
import { parseConfig } from '../model';
import { DEFAULT_CONSTANTS as K, CostError, costOf, prepareCost, type CostReport, type Lanes } from './index';
import { oneLinearGraph } from './testGraphs';

const MODEL_DIR = new URL('../../../public/models/sotu-llama-1m/', import.meta.url);
const defaultConfig = parseConfig(JSON.parse(readFileSync(new URL('config.json', MODEL_DIR), 'utf8')));
const G = buildGraph(defaultConfig);

const clog2 = (x: number) => Math.ceil(Math.log2(x));
const uniform = (g: Graph, spec: string) => resolveConfig(g, uniformConfig(spec)).formats;
const sramBit = (bytes: number) => Math.max(K.regFloor, K.sramCoef * Math.sqrt(bytes));

describe('hand-computed: one linear 128×128 at T = 1 (default lanes P_k = 32, P_n = 1)', () => {
  const g = oneLinearGraph(128, 128);

  it('mxint8 (MASE MXInt m = 8, e = 8, block 16)', () => {
    const r = costOf(g, uniform(g, 'mxint:m=8'), { tokens: 1 });
    // MAC: 8×8 multiplier + exact block-local adder of w_loc = 8 + 8 + log2(16) = 20 bits
    const eMac = K.cMul * 8 * 8 + K.cAdd * 20;
    expect(r.energyPj.mac).toBeCloseTo(128 * 128 * eMac, 9);
    // block pairs: M·N·K/B = 1·128·8; the exact accumulator is w_acc = 20 + log2(8) + guard = 46 bits
    // (guard: one ACT exponent range for the one activation operand, fitted to the generator's ACC_W)
    const wAcc = 23 + K.accGuardBits;
    expect(wAcc).toBe(46);
    const eBlk = K.cAdd * (8 + 1) + K.cShift * wAcc * clog2(wAcc + 1) + K.cAdd * wAcc;
    expect(r.energyPj.block).toBeCloseTo(128 * 8 * eBlk, 9);
    // the activation quantiser: 128 elements (8-bit exponent compare, 9-bit shift over 25 positions, 8-bit round), 8 blocks
    const eQ = 128 * (K.cCmp * 8 + K.cShift * 9 * 5 + K.cAdd * 8) + 8 * (K.cAdd * 8);
    expect(r.energyPj.quant).toBeCloseTo(eQ, 9);
    // on chip: x (8.5 bits/elem, a 136-byte row buffer) written once and read N = 128 times;
    // W (17408 bytes in its own bank) read once per token
    const eA = sramBit((128 * 8.5) / 8);
    const eW = sramBit((128 * 128 * 8.5) / 8);
    expect(eW).toBeCloseTo(0.0017 * Math.sqrt(17408), 12);
    const onChip = (128 * 128 + 128) * 8.5 * eA + 128 * 128 * 8.5 * eW;
    expect(r.energyPj.onChip).toBeCloseTo(onChip, 6);
    expect(r.energyPj.offChip).toBe(0);
    expect(r.energyPj.total).toBeCloseTo(128 * 128 * eMac + 128 * 8 * eBlk + eQ + onChip, 6);

    // area: 32 PEs, 2 block-scale units (32 lanes / 16 per block), one column accumulator, a 1-lane quantiser
    // (128 elements over 4·128 = 512 cycles) that buffers a block of float32, the glue, and SRAM
    const aPE = K.aMul * 64 + K.aAdd * 20 + K.aReg * (8 + 8 + 16);
    const aUnit = K.aAdd * 9 + K.aShift * wAcc * clog2(wAcc + 1);
    const aCol = K.aAdd * wAcc + K.aReg * wAcc;
    const aQ = K.aCmp * 8 + K.aShift * 9 * 5 + K.aAdd * 8 + K.aAdd * 8 + K.aReg * (16 * 32 + 8);
    const logic = 32 * aPE + 2 * aUnit + aCol + aQ + K.aGlue;
    expect(r.logicAreaUm2).toBeCloseTo(logic, 6);
    expect(r.sramAreaUm2).toBeCloseTo((128 * 8.5 + 128 * 128 * 8.5) * K.aSramBit, 6);
    expect(r.gateEquivalents).toBeCloseTo(logic / K.aNand2, 6);
    // LUTs, the calibrated structure of mx_linear (tools/calibrate): 32 lanes in 2 block dot products of
    // 16 lanes, each lane mx_dot's 8 × 8 multiply (no shifter) into a w = 8 + 8 + log2(16) + 1 = 21-bit psum;
    // 2 alignment-and-accumulate units over w_acc; one output stage; one cast of a 16-element block of
    // 8-bit elements; the glue
    const lane = K.peSq * 8 * 8 + K.peAdd * 21;
    const align = wAcc * Math.ceil(clog2(wAcc + 1) / 2) + wAcc;
    const out = K.outBase + K.outPerBitLevel * wAcc * clog2(wAcc);
    const cast = 16 * (K.castPerElem + K.castPerElemBit * 8);
    const luts = 32 * lane + 2 * K.alignLut * align + out + cast + K.glueLut;
    expect(r.fpga.luts).toBeCloseTo(luts, 9);
    // FFs: each lane's W code (8), the x codes of a step (32·8) and the block scales (2 x, 2 W: 8 bits each),
    // accumulator + result (2·w_acc) and the 4-deep 24-bit output FIFO, the cast's gather (16·24) and
    // output (16·8 + 8) registers, the double-buffered row of codes and scales (2·128·8.5), the glue
    const ffs = 32 * 8 + 32 * 8 + 2 * 8 + 2 * 8 + (2 * wAcc + 4 * 24) + (16 * 24 + 16 * 8 + 8) + 2 * 128 * 8.5 + K.glueFf;
    expect(r.fpga.ffs).toBeCloseTo(ffs, 9);
    expect(r.fpga.dsps).toBe(0);
    // one RAMB36 for W: 139264 bits / 36864 → 4, and 32 lanes × 8.5 bits = 272 bits per cycle / 72 → 4
    expect(r.fpga.brams).toBe(4);

    // memory bits: 16384 weights and 128 activations at 8 bits, one 8-bit exponent per 16 elements
    expect(r.memoryBits).toEqual({ weights: 131072, activations: 1024, metadata: (16384 + 128) / 2, total: 16512 * 8.5 });
    expect(r.avgBits).toBe(8.5);
    // cycles: ⌈128/32⌉·128 = 512; throughput 1 token per 512 cycles at 1 GHz
    expect(r.cycles).toBe(512);
    expect(r.throughputTokensPerS).toBeCloseTo(1e9 / 512, 6);
    expect(r.fpgaThroughputTokensPerS).toBeCloseTo(5e8 / 512, 6);
  });

  it('fixed:w=8,f=4 (the 8-bit fixed-point baseline): no blocks, one exact accumulator', () => {
    const r = costOf(g, uniform(g, 'fixed:w=8,f=4'), { tokens: 1 });
    // accumulator w = 16 + log2(128) = 23 bits
    const eMac = K.cMul * 64 + K.cAdd * 23;
    expect(r.energyPj.mac).toBeCloseTo(16384 * eMac, 9);
    expect(r.energyPj.block).toBe(0);
    // quantiser: round (8-bit add) and saturate (8-bit compare) per element
    expect(r.energyPj.quant).toBeCloseTo(128 * (K.cAdd * 8 + K.cCmp * 8), 12);
    const onChip = (16384 + 128) * 8 * sramBit(128) + 16384 * 8 * sramBit(16384);
    expect(r.energyPj.onChip).toBeCloseTo(onChip, 6);
    expect(r.memoryBits).toEqual({ weights: 131072, activations: 1024, metadata: 0, total: 132096 });
    expect(r.avgBits).toBe(8);
    const aPE = K.aMul * 64 + K.aAdd * 23 + K.aReg * (8 + 8 + 16);
    const logic = 32 * aPE + (K.aAdd * 23 + K.aReg * 23) + (K.aAdd * 8 + K.aCmp * 8 + K.aReg * 8) + K.aGlue;
    expect(r.logicAreaUm2).toBeCloseTo(logic, 6);
    // the 8.5-bit MXINT8 weights cost more memory than 8-bit fixed point: the shared exponents
    const mx = costOf(g, uniform(g, 'mxint:m=8'), { tokens: 1 });
    expect(mx.memoryBits.total).toBeGreaterThan(r.memoryBits.total);
    expect(mx.memoryBits.total / r.memoryBits.total).toBeCloseTo(8.5 / 8, 12);
  });

  it('mxfp4 × mxfp4: FP-style MAC (2-bit significands, exponent add, alignment shift over the product span)', () => {
    const r = costOf(g, uniform(g, 'mxfp4'), { tokens: 1 });
    // E2M1: p = m + 1 = 2, span = emax − emin = 2 − 0; product span r = 4, w_prod = 2 + 2 + 4 = 8, w_loc = 8 + 5 = 13
    const eMac = K.cMul * 2 * 2 + K.cAdd * 3 + K.cShift * 8 * clog2(5) + K.cCmp * 4 + K.cAdd * 13;
    expect(r.energyPj.mac).toBeCloseTo(16384 * eMac, 9);
    // 4 blocks of 32 per output; w_acc = 13 + 2 + guard
    const wAcc = 15 + K.accGuardBits;
    expect(r.energyPj.block).toBeCloseTo(128 * 4 * (K.cAdd * 9 + K.cShift * wAcc * clog2(wAcc + 1) + K.cAdd * wAcc), 9);
    // LUTs: 32 lanes in one 32-lane dot product: a 3 × 3 multiply, its shift by up to 2 + 2 into
    // 3 + 3 + 4 = 10 bits (⌈log2 5⌉ = 3 levels), w = 10 + log2(32) + 1 = 16 adder-tree bits
    const lane = K.peSq * 3 * 3 + K.peShift * 10 * 3 + K.peAdd * 16;
    const luts = 32 * lane + K.alignLut * (wAcc * Math.ceil(clog2(wAcc + 1) / 2) + wAcc) + K.outBase + K.outPerBitLevel * wAcc * clog2(wAcc) + 32 * (K.castPerElem + K.castPerElemBit * 4) + K.glueLut;
    expect(r.fpga.luts).toBeCloseTo(luts, 9);
  });

  it('nvfp4: E2M1 products, per-16 E4M3 scale multiply and FP32 accumulate, FP32 tensor scale per output', () => {
    const r = costOf(g, uniform(g, 'nvfp4'), { tokens: 1 });
    const wLoc = 8 + 4;
    const eBlk = K.cMul * 4 * 4 + K.cAdd * 5 + K.cMul * wLoc * 8 + K.eFp32Add;
    expect(r.energyPj.block).toBeCloseTo(128 * 8 * eBlk + 128 * K.eFp32Mul, 9);
    // memory: 4.5 bits per element plus one fp32 tensor scale per tensor
    expect(r.memoryBits.total).toBeCloseTo(16512 * 4.5 + 2 * 32, 9);
  });

  it('fp32 × fp32: Horowitz FP32 MAC, 3.7 + 0.9 pJ', () => {
    const r = costOf(g, uniform(g, 'fp32'), { tokens: 1 });
    expect(r.energyPj.mac).toBeCloseTo(16384 * 4.6, 9);
    expect(r.energyPj.block).toBe(0);
    expect(r.energyPj.quant).toBe(0);
    expect(r.avgBits).toBe(32);
  });

  it('a bias point adds its bits, its reads and one add per output', () => {
    const gb = oneLinearGraph(128, 128, true);
    const r = costOf(gb, uniform(gb, 'fixed:w=8,f=4'), { tokens: 1 });
    const r0 = costOf(g, uniform(g, 'fixed:w=8,f=4'), { tokens: 1 });
    expect(r.memoryBits.weights - r0.memoryBits.weights).toBe(128 * 8);
    expect(r.energyPj.mac - r0.energyPj.mac).toBeCloseTo(128 * K.cAdd * 23, 9);
    expect(r.energyPj.onChip - r0.energyPj.onChip).toBeCloseTo(128 * 8 * sramBit(128), 9);
  });

  it('weights off chip: each weight bit crosses DRAM once per inference (20.3 pJ/bit) into a tile buffer', () => {
    const on = costOf(g, uniform(g, 'mxint:m=8'), { tokens: 4 });
    const off = costOf(g, uniform(g, 'mxint:m=8'), { tokens: 4, memory: { weightsOnChip: false } });
    expect(off.energyPj.offChip).toBeCloseTo(16384 * 8.5 * 20.3, 6);
    // the tile buffer (32 KiB ≥ the 17 KB of weights) also takes one write per weight
    expect(off.energyPj.onChip - on.energyPj.onChip).toBeCloseTo(16384 * 8.5 * sramBit(17408), 6);
  });

  it('lanes: cycles = ⌈M/P_m⌉·⌈K/P_k⌉·⌈N/P_n⌉ and area grows with them', () => {
    const f = uniform(g, 'mxint:m=8');
    const a = costOf(g, f, { tokens: 8, defaultLanes: { lanesK: 16, lanesN: 4 } });
    const b = costOf(g, f, { tokens: 8, defaultLanes: { lanesK: 48, lanesN: 3, lanesM: 2 } });
    expect(a.cycles).toBe(8 * 8 * 32);
    expect(b.cycles).toBe(4 * 3 * 43);
    expect(b.layers[0].lanes).toEqual({ k: 48, n: 3, m: 2 });
    expect(b.areaUm2).toBeGreaterThan(a.areaUm2);
  });
});

describe('the default model (sotu-llama-1m)', () => {
  const ALL: string[] = [...ELEM_NAMES.map((e) => `${e}`), 'mxint:m=8', 'mxint:m=4,block=32', 'bfp:m=6', 'fixed:w=8,f=4', 'fixed:w=16,f=8', 'nvfp4', 'fp32'];

  it.each(ALL)('prices %s with finite positive numbers', (spec) => {
    const r = costOf(G, uniform(G, spec));
    const pos = (x: number) => Number.isFinite(x) && x > 0;
    expect(pos(r.energyPj.total) && pos(r.energyPj.mac) && pos(r.energyPj.onChip)).toBe(true);
    expect(pos(r.areaUm2) && pos(r.gateEquivalents) && pos(r.fpga.luts) && pos(r.fpga.ffs) && pos(r.fpga.brams)).toBe(true);
    expect(pos(r.memoryBits.total) && pos(r.cycles) && pos(r.throughputTokensPerS)).toBe(true);
    for (const v of Object.values(r.energyPj)) expect(Number.isFinite(v) && v >= 0).toBe(true);
    expect(r.layers).toHaveLength(4 * 9 + 1);
    for (const l of r.layers) expect(pos(l.energyPj.total) && pos(l.areaUm2) && pos(l.fpga.luts) && pos(l.memoryBits.total)).toBe(true);
    // uniform: the average is the format's bits per element (up to NVFP4's per-tensor scales)
    if (spec !== 'nvfp4') expect(r.avgBits).toBeCloseTo(bitsPerElement(spec), 12);
    else expect(r.avgBits).toBeGreaterThan(4.5);
    // the report's totals are the sums of its layers
    const sum = (f: (l: CostReport['layers'][number]) => number) => r.layers.reduce((s, l) => s + f(l), 0);
    expect(sum((l) => l.energyPj.total)).toBeCloseTo(r.energyPj.total, 3);
    expect(sum((l) => l.areaUm2)).toBeCloseTo(r.areaUm2, 3);
    expect(sum((l) => l.fpga.luts)).toBeCloseTo(r.fpga.luts, 6);
    expect(Math.max(...r.layers.map((l) => l.cycles))).toBe(r.cycles);
  });

  it('MACs and cycles follow the graph: the LM head (T·D·V / 32) is the bottleneck at default lanes', () => {
    const r = costOf(G, uniform(G, 'mxint8'));
    expect(r.tokens).toBe(256);
    expect(r.macs).toBe(G.ops.reduce((s, o) => s + o.macs(256), 0));
    expect(r.bottleneck).toBe('head');
    expect(r.cycles).toBe((256 * 128 * 2048) / 32);
    expect(r.latencyCycles).toBe(r.layers.reduce((s, l) => s + l.cycles, 0));
    const qk = r.layers.find((l) => l.op === 'L0.qk')!;
    expect(qk.gemm).toEqual({ M: 256, K: 32, N: 256, instances: 4 });
    expect(qk.cycles).toBe(4 * 256 * 1 * 256);
    const pv = r.layers.find((l) => l.op === 'L0.pv')!;
    expect(pv.gemm).toEqual({ M: 256, K: 256, N: 32, instances: 4 });
  });

  it('avg bits equals the bitsPerElement-weighted average over weights and activations', () => {
    const pool = ['mxfp4', 'mxfp6_e3m2', 'mxint8', 'mxint:m=3,block=8', 'bfp:m=5,block=64', 'fixed:w=6,f=3', 'nvfp4', 'fp32', 'mxfp8_e5m2:block=16'];
    const cost = prepareCost(G, { tokens: 64 });
    const numel = (id: string) => {
      const p = G.pointById.get(id)!;
      const shape = p.isWeight ? p.shape : G.tensors.get(p.tensor)!.shape;
      return shape.reduce<number>((n, d) => n * (d === 'T' ? 64 : d), 1);
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: G.points.length, maxLength: G.points.length }), (choice) => {
        const specs = choice.map((c) => parseFormat(pool[c]));
        const r = cost(specs);
        let bits = 0;
        let n = 0;
        G.points.forEach((p, i) => {
          const m = numel(p.id);
          bits += m * bitsPerElement(specs[i], m);
          n += m;
        });
        expect(r.memoryBits.total).toBeCloseTo(bits, 3);
        expect(r.avgBits).toBeCloseTo(bits / n, 10);
        // the light variant agrees with the report
        const t = cost.totals(specs);
        expect(t.energyPj).toBeCloseTo(r.energyPj.total, 3);
        expect(t.areaUm2).toBeCloseTo(r.areaUm2, 3);
        expect(t.luts).toBeCloseTo(r.fpga.luts, 6);
        expect(t.memoryBits).toBeCloseTo(r.memoryBits.total, 3);
        expect(t.avgBits).toBeCloseTo(r.avgBits, 12);
        expect(t.cycles).toBe(r.cycles);
      }),
      { numRuns: 40 },
    );
  });

  it('formats can be a Map by point id or an array in graph.points order; missing points are fp32', () => {
    const m = uniform(G, 'mxint:m=6');
    const a = costOf(G, m);
    const b = costOf(G, G.points.map((p) => m.get(p.id)!));
    expect(b.energyPj.total).toBe(a.energyPj.total);
    const partial = new Map([...m].filter(([id]) => id.endsWith('.w')));
    const c = costOf(G, partial);
    const d = costOf(G, resolveConfig(G, parseQuantConfig({ version: 1, rules: [['*.w', 'mxint:m=6']] })).formats);
    expect(c.energyPj.total).toBe(d.energyPj.total);
  });
});

// ------------------------------------------------------------------------------------------
// Monotonicity

/** Width orders the physics ranks: a → b means b has at least as many bits in every field. */
const WIDER: [string, string][] = [];
for (let m = 2; m < 16; m++) WIDER.push([`mxint:m=${m}`, `mxint:m=${m + 1}`], [`bfp:m=${m},block=32`, `bfp:m=${m + 1},block=32`]);
for (let w = 2; w < 24; w++) WIDER.push([`fixed:w=${w},f=2`, `fixed:w=${w + 1},f=2`]);
WIDER.push(['mxint2', 'mxint4'], ['mxint4', 'mxint8']);
{
  const fpEl = ELEM_NAMES.filter((e) => ELEMENTS[e].kind === 'fp');
  for (const a of fpEl) {
    for (const b of fpEl) {
      const A = ELEMENTS[a as ElemName];
      const B = ELEMENTS[b as ElemName];
      if (a !== b && B.ebits >= A.ebits && B.m >= A.m) WIDER.push([a, b]);
    }
  }
}

function figures(r: CostReport): number[] {
  return [r.energyPj.total, r.energyPj.mac, r.energyPj.block, r.energyPj.quant, r.energyPj.onChip, r.areaUm2, r.gateEquivalents, r.fpga.luts, r.fpga.ffs, r.fpga.brams, r.memoryBits.total];
}

describe('monotonicity (fast-check)', () => {
  const cost = prepareCost(G, { tokens: 32 });
  const BASE = ['mxfp4', 'mxint8', 'mxint:m=4', 'bfp:m=6,block=32', 'fixed:w=8,f=4', 'mxfp6_e2m3', 'mxfp8_e4m3', 'nvfp4', 'fp32'];

  it('the width pairs include every element family', () => {
    expect(WIDER).toContainEqual(['fp4_e2m1', 'fp8_e4m3']);
    expect(WIDER).toContainEqual(['fp6_e3m2', 'fp8_e5m2']);
    expect(WIDER).not.toContainEqual(['fp6_e2m3', 'fp8_e5m2']);
  });

  it('more bits at any one point never lowers energy, area, LUTs, FFs, BRAMs or memory', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: BASE.length - 1 }), { minLength: G.points.length, maxLength: G.points.length }),
        fc.integer({ min: 0, max: G.points.length - 1 }),
        fc.integer({ min: 0, max: WIDER.length - 1 }),
        (base, at, pair) => {
          const specs: FormatSpec[] = base.map((c) => parseFormat(BASE[c]));
          const [lo, hi] = WIDER[pair];
          specs[at] = parseFormat(lo);
          const a = figures(cost(specs));
          specs[at] = parseFormat(hi);
          const b = figures(cost(specs));
          for (let i = 0; i < a.length; i++) expect(b[i]).toBeGreaterThanOrEqual(a[i] * (1 - 1e-12));
          expect(b[0]).toBeGreaterThan(a[0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uniform: every width step costs more energy, area and memory', () => {
    for (const [lo, hi] of WIDER) {
      const a = costOf(G, uniform(G, lo), { tokens: 16 });
      const b = costOf(G, uniform(G, hi), { tokens: 16 });
      expect(b.energyPj.total, `${lo} → ${hi}`).toBeGreaterThan(a.energyPj.total);
      expect(b.areaUm2, `${lo} → ${hi}`).toBeGreaterThan(a.areaUm2);
      expect(b.memoryBits.total, `${lo} → ${hi}`).toBeGreaterThan(a.memoryBits.total);
    }
  });

  it('wider parallelism never lowers area (µm², GE, LUT, FF, DSP, BRAM) and never raises cycles', () => {
    const opIds = G.ops.filter((o) => o.points.length > 0).map((o) => o.id);
    const lanesArb = fc.record({ lanesK: fc.integer({ min: 1, max: 96 }), lanesN: fc.integer({ min: 1, max: 8 }), lanesM: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: BASE.length - 1 }), { minLength: G.points.length, maxLength: G.points.length }),
        fc.integer({ min: 0, max: opIds.length - 1 }),
        lanesArb,
        fc.constantFrom<'lanesK' | 'lanesN' | 'lanesM'>('lanesK', 'lanesN', 'lanesM'),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (base, opI, lanes, dim, inc, dsp) => {
          const specs = base.map((c) => parseFormat(BASE[c]));
          const wider: Lanes = { ...lanes, [dim]: lanes[dim] + inc };
          const at = (l: Lanes) => costOf(G, specs, { tokens: 32, parallelism: new Map([[opIds[opI], l]]), fpga: { dsp } });
          const a = at(lanes);
          const b = at(wider);
          const ia = [a.areaUm2, a.logicAreaUm2, a.sramAreaUm2, a.gateEquivalents, a.fpga.luts, a.fpga.ffs, a.fpga.dsps, a.fpga.brams];
          const ib = [b.areaUm2, b.logicAreaUm2, b.sramAreaUm2, b.gateEquivalents, b.fpga.luts, b.fpga.ffs, b.fpga.dsps, b.fpga.brams];
          for (let i = 0; i < ia.length; i++) expect(ib[i]).toBeGreaterThanOrEqual(ia[i] * (1 - 1e-12));
          expect(b.areaUm2).toBeGreaterThan(a.areaUm2);
          const la = a.layers[opI];
          const lb = b.layers[opI];
          expect(lb.cycles).toBeLessThanOrEqual(la.cycles);
          expect(b.cycles).toBeLessThanOrEqual(a.cycles);
          // nothing else moved
          expect(b.memoryBits.total).toBe(a.memoryBits.total);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('technology node, DSPs and options', () => {
  const f = uniform(G, 'mxint8');

  it('node scaling multiplies on-chip energy and area by the Stillmaker–Baas factors; GE and DRAM do not scale', () => {
    const opts = { tokens: 8, memory: { weightsOnChip: false } };
    const a = costOf(G, f, opts);
    const b = costOf(G, f, { ...opts, nodeNm: 7 });
    expect(b.energyPj.mac / a.energyPj.mac).toBeCloseTo(0.094, 12);
    expect(b.energyPj.onChip / a.energyPj.onChip).toBeCloseTo(0.094, 12);
    expect(b.areaUm2 / a.areaUm2).toBeCloseTo(0.059, 12);
    expect(b.gateEquivalents).toBeCloseTo(a.gateEquivalents, 6);
    expect(b.energyPj.offChip).toBe(a.energyPj.offChip);
    // between listed nodes: log-log interpolation, between the neighbours' factors
    const c = costOf(G, f, { ...opts, nodeNm: 28 });
    expect(c.energyPj.mac / a.energyPj.mac).toBeLessThan(0.66);
    expect(c.energyPj.mac / a.energyPj.mac).toBeGreaterThan(0.22);
    expect(() => costOf(G, f, { nodeNm: 5 })).toThrow(CostError);
    expect(() => costOf(G, f, { nodeNm: 65 })).toThrow(/outside the table/);
  });

  it('DSP mapping follows Yosys: 8×8 MXINT8 products go to DSP48s, 4×4 stay in LUTs', () => {
    const soft = costOf(G, f, { tokens: 8 });
    const dsp = costOf(G, f, { tokens: 8, fpga: { dsp: true } });
    expect(soft.fpga.dsps).toBe(0);
    // one DSP48 per 8×8 multiplier: P_k = min(32, K) per op (P·V has K = T = 8 here)
    expect(dsp.fpga.dsps).toBe(dsp.layers.reduce((s, l) => s + l.lanes.k, 0));
    expect(dsp.fpga.dsps).toBe(33 * 32 + 4 * 8);
    expect(dsp.fpga.luts).toBeLessThan(soft.fpga.luts);
    const four = costOf(G, uniform(G, 'mxint:m=4'), { tokens: 8, fpga: { dsp: true } });
    expect(four.fpga.dsps).toBe(0);
  });

  it('refuses bad options with CostError naming the option', () => {
    expect(() => prepareCost(G, { tokens: 0 })).toThrow(/cost tokens/);
    expect(() => prepareCost(G, { tokens: 1.5 })).toThrow(CostError);
    expect(() => prepareCost(G, { defaultLanes: { lanesK: 0, lanesN: 1 } })).toThrow(/cost parallelism/);
    expect(() => prepareCost(G, { parallelism: { 'L9.q': { lanesK: 4, lanesN: 1 } } })).toThrow(/no GEMM op "L9.q"/);
    expect(() => prepareCost(G, { parallelism: { 'L0.norm1': { lanesK: 4, lanesN: 1 } } })).toThrow(CostError);
    expect(() => prepareCost(G, { memory: { sramBytes: -1 } })).toThrow(/sramBytes/);
    // a record works as well as a Map
    const r = costOf(G, f, { tokens: 8, parallelism: { 'L0.q': { lanesK: 128, lanesN: 2 } } });
    expect(r.layers[0].lanes).toEqual({ k: 128, n: 2, m: 1 });
  });

  it('reports the constant table it used', () => {
    const r = costOf(G, f, { tokens: 2 });
    expect(r.constants).toEqual({ name: K.name, version: K.version, hash: K.hash });
  });
});
