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

/**
 * min(process CPU time, wall time) of fn in ms, best of n: the rule the ORT-web baseline is measured
 * with (bench/ort-forward.child.mjs). CPU time counts the engine's helper threads (concurrent GC),
 * wall time counts preemption by other load; the smaller of the two is closest to the single
 * thread's own time, and both sides of a comparison get the same rule.
 */
export async function bestMinMs(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = process.cpuUsage();
    const w0 = performance.now();
    await fn();
    const wall = performance.now() - w0;
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1000, wall);
  }
  return best;
}
