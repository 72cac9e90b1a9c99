// The shipped cost constants reproduce from the calibration sweep: (a) the fit recomputed from
// measurements.json equals constants.json (values, R², max residuals); (b) a tiny sweep point
// re-synthesised with native Yosys gives the recorded numbers (skipped, saying so, without yosys).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONSTANTS_TABLE } from '../../src/core/cost/constants';
import { applyFit, fitAll, fitGuard, leastSquares, fitLinear } from './fit';
import { YOSYS } from './native';
import { sweepPoints } from './points';
import { measure, type MeasurementFile } from './sweep';

const file = JSON.parse(readFileSync(new URL('./measurements.json', import.meta.url), 'utf8')) as MeasurementFile;

describe('least squares', () => {
  it('recovers exact coefficients and reports R² = 1 on noiseless data', () => {
    const rows = [1, 2, 3, 5, 8].map((x) => ({ id: String(x), x: [1, x, x * x], y: 3 + 2 * x + 0.5 * x * x }));
    const f = fitLinear(['a', 'b', 'c'], rows);
    expect(f.coef).toEqual({ a: 3, b: 2, c: 0.5 });
    expect(f.r2).toBe(1);
    expect(f.maxResidual).toBe(0);
    expect(() => leastSquares([[1, 2]], [1])).toThrow(/1 points for 2 coefficients/);
    expect(() => leastSquares([[1, 2], [2, 4], [3, 6]], [1, 2, 3])).toThrow(/degenerate/);
  });
});

describe('constants.json reproduces from tools/calibrate/measurements.json', () => {
  it('every fitted value, R² and max residual equals the recomputed fit; version ≥ 2', () => {
    const fit = fitAll(file);
    const guard = fitGuard(file.accumulators ?? []);
    const again = applyFit(DEFAULT_CONSTANTS_TABLE, fit, guard);
    expect(again).toEqual(DEFAULT_CONSTANTS_TABLE);
    expect(DEFAULT_CONSTANTS_TABLE.version).toBeGreaterThanOrEqual(2);
    const t = DEFAULT_CONSTANTS_TABLE;
    const fitted: { verified: boolean; source: string; max_residual?: number }[] = [t.fpga.pe_lut_fit, t.fpga.out_lut_fit, t.design.acc_guard_bits];
    if (fit.cast) fitted.push(t.fpga.cast_lut_fit);
    if (fit.linear) fitted.push(t.fpga.glue_lut_per_op);
    if (fit.ff) fitted.push(t.fpga.glue_ff_per_op);
    for (const e of fitted) {
      expect(e.verified).toBe(true);
      expect(e.source).toMatch(/^fit to /);
      expect(typeof e.max_residual).toBe('number');
    }
    // the fits with more than an intercept explain the measurements
    for (const e of [t.fpga.pe_lut_fit, t.fpga.out_lut_fit, t.design.acc_guard_bits]) expect(e.r2).toBeGreaterThan(0.95);
    expect(t.fpga.pe_lut_fit.source).toMatch(/Yosys 0\.23 synth_xilinx -flatten -nodsp/);
  });
});

const haveYosys = existsSync(YOSYS);
if (!haveYosys) console.warn(`SKIPPED the re-synthesis check: no Yosys at ${YOSYS} (set YOSYS=… to point at one)`);

describe.skipIf(!haveYosys)('a sweep point re-synthesised with native Yosys', () => {
  for (const [id, flow] of [
    ['dot.mxintm4.l2', 'fpga'],
    ['dot.mxintm4.l2', 'gates'],
  ] as const) {
    it(`${id} ${flow} equals its recorded measurement`, async () => {
      const p = sweepPoints().find((x) => x.id === id)!;
      const rec = file.measurements.find((m) => m.id === id && m.flow === flow)!;
      expect(rec, `${id}/${flow} recorded`).toBeDefined();
      const m = await measure(p, flow);
      if (flow === 'fpga') expect({ luts: m.luts, ffs: m.ffs, carry: m.carry, muxf: m.muxf }).toEqual({ luts: rec.luts, ffs: rec.ffs, carry: rec.carry, muxf: rec.muxf });
      else expect({ ge: m.ge, ffs: m.gateFfs }).toEqual({ ge: rec.ge, ffs: rec.gateFfs });
      expect(m.params).toEqual(rec.params);
    }, 120_000);
  }
});
