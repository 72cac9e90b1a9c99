import { describe, expect, it } from 'vitest';
import { CostConstantsError, DEFAULT_CONSTANTS, DEFAULT_CONSTANTS_TABLE, listConstants, loadConstants, nodeScale } from './constants';

const clone = () => JSON.parse(JSON.stringify(DEFAULT_CONSTANTS_TABLE)) as Record<string, Record<string, Record<string, unknown>>>;

describe('the constant table', () => {
  it('has a version, base node 45 nm, and a unit, source and verified flag for every value', () => {
    expect(DEFAULT_CONSTANTS_TABLE.version).toBeGreaterThanOrEqual(1);
    expect(DEFAULT_CONSTANTS_TABLE.node_nm).toBe(45);
    const all = listConstants();
    expect(all.length).toBeGreaterThan(30);
    for (const c of all) {
      expect(c.source.length, c.path).toBeGreaterThan(10);
      expect(c.unit.length, c.path).toBeGreaterThan(0);
      expect(typeof c.verified, c.path).toBe('boolean');
    }
  });

  it('marks the reference’s verified and UNVERIFIED values as such (cost-model.md §5.4, §7)', () => {
    const v = Object.fromEntries(listConstants().map((c) => [c.path, c.verified]));
    // verified: Horowitz's 32-bit int mult / add and FP32 energies; Aladdin's register; Stillmaker–Baas; Yosys measurements and the fits to them (tools/calibrate)
    for (const p of ['energy.int_mul_pJ_per_bitproduct', 'energy.int_add_pJ_per_bit', 'energy.fp32_add_pJ', 'energy.fp32_mul_pJ', 'energy.reg_pJ_per_bit', 'node_scaling.energy', 'node_scaling.area', 'fpga.add_lut_per_bit', 'fpga.mul_lut_measured', 'design.acc_guard_bits', 'fpga.pe_lut_fit', 'fpga.out_lut_fit']) {
      expect(v[p], p).toBe(true);
    }
    // UNVERIFIED: Horowitz's area column, DRAM, the SRAM fit (its 32 KB / 1 MB points), SRAM area, derived ratios, assumptions
    for (const p of ['area.int_mul_um2_per_bitproduct', 'area.int_add_um2_per_bit', 'area.fp32_add_um2', 'memory.dram_pJ_per_bit', 'memory.sram_pJ_per_bit_sqrt_byte', 'area.sram_um2_per_bit', 'energy.shift_pJ_per_bit_stage', 'fpga.align_lut_fit', 'area.glue_um2_per_op']) {
      expect(v[p], p).toBe(false);
    }
  });

  it('flattens to the reference’s numbers', () => {
    const k = DEFAULT_CONSTANTS;
    expect(k.cMul * 1024).toBeCloseTo(3.1, 2);
    expect(k.cAdd * 32).toBeCloseTo(0.1, 12);
    expect(k.eFp32Add + k.eFp32Mul).toBeCloseTo(4.6, 12);
    // the SRAM fit reproduces Horowitz's 8 KB 64-bit read (10 pJ) within 12%
    expect((k.sramCoef * Math.sqrt(8192) * 64) / 10).toBeGreaterThan(0.88);
    expect((k.sramCoef * Math.sqrt(8192) * 64) / 10).toBeLessThan(1.12);
    // the LUT fit stays within 6 LUT of every Yosys measurement it was fitted to
    const measured = DEFAULT_CONSTANTS_TABLE.fpga.mul_lut_measured.value;
    for (const [key, lut] of Object.entries(measured)) {
      const [p, q] = key.split('x').map(Number);
      expect(Math.abs(p * q * (k.lutMulA + k.lutMulB * Math.min(p, q)) - lut), key).toBeLessThan(6);
    }
  });

  it('hash: stable, independent of key order, changed by any value', () => {
    const a = loadConstants(clone());
    expect(a.hash).toBe(DEFAULT_CONSTANTS.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{8}$/);
    const reordered = Object.fromEntries(Object.entries(clone()).reverse());
    expect(loadConstants(reordered).hash).toBe(a.hash);
    const t = clone();
    t.memory.dram_pJ_per_bit.value = 40.6;
    const b = loadConstants(t);
    expect(b.hash).not.toBe(a.hash);
    expect(b.dramBit).toBe(40.6);
  });

  it('rejects entries without a source, non-numbers and a wrong base node, naming the entry', () => {
    const t1 = clone();
    delete t1.energy.int_add_pJ_per_bit.source;
    expect(() => loadConstants(t1)).toThrow(/energy\.int_add_pJ_per_bit\.source/);
    const t2 = clone();
    t2.area.int_add_um2_per_bit.value = 'big';
    expect(() => loadConstants(t2)).toThrow(CostConstantsError);
    const t3 = clone() as unknown as Record<string, unknown>;
    t3.node_nm = 28;
    expect(() => loadConstants(t3)).toThrow(/node_nm/);
    const t4 = clone();
    delete t4.fpga.glue_lut_per_op;
    expect(() => loadConstants(t4)).toThrow(/fpga\.glue_lut_per_op/);
    expect(() => loadConstants(null)).toThrow(CostConstantsError);
  });

  it('node scaling: table values at listed nodes, log-log interpolation between, refusal outside', () => {
    expect(nodeScale(DEFAULT_CONSTANTS, 45)).toEqual({ energy: 1, area: 1 });
    expect(nodeScale(DEFAULT_CONSTANTS, 16)).toEqual({ energy: 0.17, area: 0.19 });
    expect(nodeScale(DEFAULT_CONSTANTS, 7)).toEqual({ energy: 0.094, area: 0.059 });
    const s28 = nodeScale(DEFAULT_CONSTANTS, 28);
    const t = Math.log(28 / 20) / Math.log(32 / 20);
    expect(s28.energy).toBeCloseTo(Math.exp(Math.log(0.22) + t * Math.log(0.66 / 0.22)), 12);
    expect(() => nodeScale(DEFAULT_CONSTANTS, 6)).toThrow(CostConstantsError);
    expect(() => nodeScale(DEFAULT_CONSTANTS, Number.NaN)).toThrow(CostConstantsError);
  });
});
