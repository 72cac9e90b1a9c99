/**
 * Run sweep points through the studio's frozen flows (src/core/hdl `synthesize`) on native Yosys
 * and record the numbers. Measurements are appended to measurements.json as each point finishes,
 * so an interrupted sweep resumes where it stopped (`--fresh` re-measures the points it is given —
 * all of them, or those of `--only` — and keeps every other measurement).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { synthesize } from '../../src/core/hdl';
import { nativeYosysRun } from './native';
import type { AccumulatorRecord } from './accumulators';
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
  /** Wall time (on a shared machine, 1.5–4× the CPU time). */
  readonly seconds: number;
  /** Yosys's own CPU time (user + system, from its `End of script … CPU:` line); absent in older entries. */
  readonly cpuSeconds?: number;
}

export interface MeasurementFile {
  readonly $comment: string;
  measurements: Measurement[];
  /** ACC_W of the generated default-model GEMMs (accumulators.ts), for the guard-bit fit. */
  accumulators?: AccumulatorRecord[];
}

export const MEASUREMENTS = new URL('./measurements.json', import.meta.url);

export function readMeasurements(): MeasurementFile {
  if (!existsSync(MEASUREMENTS)) return { $comment: 'Yosys measurements of the calibration sweep (tools/calibrate); written by npm run calibrate', measurements: [] };
  return JSON.parse(readFileSync(MEASUREMENTS, 'utf8')) as MeasurementFile;
}

/** Synthesise one point with one flow. */
export async function measure(p: SweepPoint, flow: 'fpga' | 'gates'): Promise<Measurement> {
  const d = await pointDesign(p);
  const t0 = Date.now();
  const cpu = { seconds: 0 };
  const r = await synthesize(nativeYosysRun(d.extra, cpu), d.design, [flow]);
  const f = r.flows[0];
  const base = { id: p.id, flow, yosys: f.version ?? 'unknown', params: d.params, seconds: Math.round((Date.now() - t0) / 100) / 10, cpuSeconds: Math.round(cpu.seconds * 10) / 10 };
  if (flow === 'fpga') {
    const c = f.fpga!;
    return { ...base, luts: c.luts, ffs: c.ffs, carry: c.carries, muxf: c.muxes, lutram: c.lutram, brams: c.brams };
  }
  const g = f.gates!;
  return { ...base, ge: g.gateEquivalents ?? undefined, gateFfs: g.flipFlops };
}

/**
 * Measure every (point, flow) not yet recorded (`fresh`: every one of `points`, dropping their old
 * entries; other points' entries are kept), `jobs` at a time. After each point the file is re-read
 * and merged (so two sweeps over disjoint points can share it) and written back sorted. A point
 * whose synthesis fails is logged and skipped (the others still run); `runSweep` then throws.
 */
export async function runSweep(points: readonly SweepPoint[], opts: { fresh?: boolean; jobs?: number; log?: (s: string) => void } = {}): Promise<MeasurementFile> {
  const ids = new Set(points.map((p) => p.id));
  const keep = (ms: Measurement[]) => (opts.fresh ? ms.filter((m) => !ids.has(m.id)) : ms);
  const start = readMeasurements();
  const have = new Set(keep(start.measurements).map((m) => `${m.id}/${m.flow}`));
  const todo = points.flatMap((p) => p.flows.filter((f) => !have.has(`${p.id}/${f}`)).map((f) => ({ p, f })));
  const log = opts.log ?? ((s: string) => console.log(s));
  const mine: Measurement[] = [];
  const failed: string[] = [];
  const save = (): MeasurementFile => {
    const file = readMeasurements();
    const key = (m: Measurement) => `${m.id}/${m.flow}`;
    const merged = new Map(keep(file.measurements).map((m) => [key(m), m]));
    for (const m of mine) merged.set(key(m), m);
    const out = { ...file, measurements: [...merged.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1)) };
    writeFileSync(MEASUREMENTS, JSON.stringify(out, null, 1) + '\n');
    return out;
  };
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const { p, f } = todo[next++];
      log(`synth ${p.id} ${f} …`);
      try {
        const m = await measure(p, f);
        mine.push(m);
        save();
        log(`  ${p.id} ${f}: ${f === 'fpga' ? `${m.luts} LUT ${m.ffs} FF ${m.brams} BRAM ${m.lutram} LUTRAM` : `${m.ge} GE`} (${m.seconds} s)`);
      } catch (e) {
        failed.push(`${p.id}/${f}`);
        log(`  ${p.id} ${f}: FAILED ${(e as Error).message.slice(0, 2000)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs ?? 2) }, worker));
  const file = save();
  if (failed.length) throw new Error(`synthesis failed for ${failed.join(', ')}`);
  return file;
}
