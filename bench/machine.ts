// The machine line every benchmark prints (perf-baselines.md §0: name the CPU, cores and load).
import { cpus, loadavg } from 'node:os';

export function machineLine(): string {
  const c = cpus();
  const la = loadavg().map((v) => v.toFixed(2)).join(' ');
  return `machine: ${c[0]?.model ?? 'unknown CPU'} × ${c.length} cores; load average ${la}; node ${process.version}`;
}

/** Process CPU time of fn in ms, best of n (single-threaded work: CPU time ≈ uncontended wall time). */
export async function bestCpuMs(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}
