/**
 * Run sweep points through the studio's frozen flows (src/core/hdl `synthesize`) on native Yosys
 * and record the numbers. Measurements are appended to measurements.json as each point finishes,
 * so an interrupted sweep resumes where it stopped (`--fresh` re-measures everything).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { synthesize } from '../../src/core/hdl';
import { nativeYosysRun } from './native';
import { pointDesign, type SweepPoint } from './points';

export interface Measurement {
  readonly id: string;
  readonly flow: 'fpga' | 'gates';
  /** fpga: logic LUTs, FFs, CARRY4s, MUXF7/8; gates: GE = transistors / 4 and flip-flops. */
  readonly luts?: number;
  readonly ffs?: number;
  readonly carry?: number;
  readonly muxf?: number;
  readonly lutram?: number;
  readonly brams?: number;
  readonly ge?: number;
  readonly gateFfs?: number;
  readonly yosys: string;
  /** The planned parameters (ACC_W, PSUM_W, …), recorded so the fit can be recomputed without the RTL. */
  readonly params: Record<string, number | string>;
  readonly seconds: number;
}

export interface MeasurementFile {
  readonly $comment: string;
  measurements: Measurement[];
}

export const MEASUREMENTS = new URL('./measurements.json', import.meta.url);

export function readMeasurements(): MeasurementFile {
  if (!existsSync(MEASUREMENTS)) return { $comment: 'Yosys measurements of the calibration sweep (tools/calibrate); written by npm run calibrate', measurements: [] };
  return JSON.parse(readFileSync(MEASUREMENTS, 'utf8')) as MeasurementFile;
}

/** Synthesise one point with one flow. */
export async function measure(p: SweepPoint, flow: 'fpga' | 'gates'): Promise<Measurement> {
  const d = pointDesign(p);
  const t0 = Date.now();
  const r = await synthesize(nativeYosysRun(d.extra), d.design, [flow]);
  const f = r.flows[0];
  const base = { id: p.id, flow, yosys: f.version ?? 'unknown', params: d.params, seconds: Math.round((Date.now() - t0) / 100) / 10 };
  if (flow === 'fpga') {
    const c = f.fpga!;
    return { ...base, luts: c.luts, ffs: c.ffs, carry: c.carries, muxf: c.muxes, lutram: c.lutram, brams: c.brams };
  }
  const g = f.gates!;
  return { ...base, ge: g.gateEquivalents ?? undefined, gateFfs: g.flipFlops };
}

/** Measure every (point, flow) not yet recorded, `jobs` at a time; saves after each. */
export async function runSweep(points: readonly SweepPoint[], opts: { fresh?: boolean; jobs?: number; log?: (s: string) => void } = {}): Promise<MeasurementFile> {
  const file = opts.fresh ? { ...readMeasurements(), measurements: [] } : readMeasurements();
  const have = new Set(file.measurements.map((m) => `${m.id}/${m.flow}`));
  const todo = points.flatMap((p) => p.flows.filter((f) => !have.has(`${p.id}/${f}`)).map((f) => ({ p, f })));
  const log = opts.log ?? ((s: string) => console.log(s));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { p, f } = todo[next++];
      log(`synth ${p.id} ${f} …`);
      const m = await measure(p, f);
      file.measurements.push(m);
      file.measurements.sort((a, b) => (a.id + a.flow < b.id + b.flow ? -1 : 1));
      writeFileSync(MEASUREMENTS, JSON.stringify(file, null, 1) + '\n');
      log(`  ${p.id} ${f}: ${f === 'fpga' ? `${m.luts} LUT ${m.ffs} FF` : `${m.ge} GE`} (${m.seconds} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs ?? 2) }, worker));
  return file;
}
