// `npm run calibrate [-- --fresh] [-- --only ID[,ID…]] [-- --jobs N] [-- --no-sweep]`
// (node --import tsx --import ./tools/calibrate/svHook.mjs tools/calibrate/runSweep.ts …):
// 1. synthesise the sweep points not yet in measurements.json (resumable);
// 2. record the generator's accumulator widths on the default model (once);
// 3. fit the FPGA coefficients and the guard bits and write them into src/core/cost/constants.json;
// 4. print the fits and the whole-layer check (predicted vs synthesised).
import { readFileSync, writeFileSync } from 'node:fs';
import { accumulatorWidths } from './accumulators';
import { applyFit, fitAll, fitGuard } from './fit';
import { layerCheck } from './layers';
import { sweepPoints } from './points';
import { MEASUREMENTS, readMeasurements, runSweep } from './sweep';

const CONSTANTS = new URL('../../src/core/cost/constants.json', import.meta.url);

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const only = arg('--only')?.split(',');
const all = sweepPoints();
if (only) {
  const bad = only.filter((id) => !all.some((p) => p.id === id));
  if (bad.length) throw new Error(`--only: no sweep point ${bad.join(', ')} (points: ${all.map((p) => p.id).join(', ')})`);
}
if (!process.argv.includes('--no-sweep')) {
  const points = only ? all.filter((p) => only.includes(p.id)) : all;
  await runSweep(points, { fresh: process.argv.includes('--fresh'), jobs: Number(arg('--jobs') ?? 2) });
}
const file = readMeasurements();
if (!file.accumulators || process.argv.includes('--accumulators')) {
  file.accumulators = await accumulatorWidths();
  writeFileSync(MEASUREMENTS, JSON.stringify(file, null, 1) + '\n');
}
if (only) process.exit(0);

const fit = fitAll(file);
const guard = fitGuard(file.accumulators);
const table = applyFit(JSON.parse(readFileSync(CONSTANTS, 'utf8')), fit, guard);
writeFileSync(CONSTANTS, JSON.stringify(table, null, 2) + '\n');
// the calibration report (markdown, as in src/core/cost/README.md)
console.log('| fit | coefficients | points | R² | max residual |\n|---|---|---|---|---|');
for (const [name, f] of Object.entries({ pe: fit.pe, cast: fit.cast, out: fit.out, glue_lut: fit.linear, glue_ff: fit.ff, acc_guard_bits: guard })) {
  if (!f) {
    console.log(`| ${name} | not fitted: no points measured yet (constants.json keeps its value) | 0 | — | — |`);
    continue;
  }
  console.log(`| ${name} | ${Object.entries(f.coef).map(([k, v]) => `${k} = ${v}`).join(', ')} | ${f.points} | ${f.r2 ?? '—'} | ${f.maxResidual} |`);
}
console.log('\n| layer | LUT predicted | LUT synthesised | error | FF predicted | FF synthesised | BRAM predicted | BRAM synthesised |\n|---|---|---|---|---|---|---|---|');
for (const r of await layerCheck(readMeasurements())) {
  console.log(`| ${r.id} | ${r.predicted.toFixed(0)} | ${r.measured} | ${r.errorPct >= 0 ? '+' : ''}${r.errorPct.toFixed(1)} % | ${r.predictedFf.toFixed(0)} | ${r.measuredFf} | ${r.predictedBrams} | ${r.brams} |`);
}
