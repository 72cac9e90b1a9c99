/**
 * What the Pareto plot draws, computed without the DOM (tested): the trials as points on two chosen
 * metrics with a third as colour, which of them are on the search's front, the staircase through
 * the front when the axes are the search's two objectives, axis domains that hold the trials and
 * the reference designs, and the trials inside a brushed rectangle.
 */
import type { BaselineResult, SearchSummary, Trial } from '../../../workers/api/search.api';
import type { MetricId } from '../../state/searchDoc';
import type { ParetoView } from '../../state/search';

export interface PlotPoint {
  id: number;
  x: number;
  y: number;
  /** Colour metric value (null: no colour metric, or not finite). */
  c: number | null;
  /** On the search's Pareto front (over its objectives, feasible trials at the highest fidelity). */
  front: boolean;
  /** Scored on the full token budget (else proxy only). */
  full: boolean;
  feasible: boolean;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Trials with finite values on both axes; the front and proxy filters of the view applied. */
export function plotPoints(trials: readonly Trial[], summary: SearchSummary | null, view: Pick<ParetoView, 'x' | 'y' | 'color' | 'dominated' | 'proxy'>): PlotPoint[] {
  const front = new Set(summary?.front ?? []);
  const out: PlotPoint[] = [];
  for (const t of trials) {
    const x = t.metrics[view.x];
    const y = t.metrics[view.y];
    if (!finite(x) || !finite(y)) continue;
    const onFront = front.has(t.id);
    if (!view.dominated && !onFront) continue;
    const full = t.fidelity === 'full';
    if (!view.proxy && !full) continue;
    const c = view.color === 'none' ? null : t.metrics[view.color];
    out.push({ id: t.id, x, y, c: finite(c) ? c : null, front: onFront, full, feasible: t.feasible });
  }
  return out;
}

/** Reference designs with finite values on both axes. */
export function baselinePoints(baselines: readonly BaselineResult[], x: MetricId, y: MetricId): { name: string; x: number; y: number }[] {
  return baselines.filter((b) => finite(b.metrics[x]) && finite(b.metrics[y])).map((b) => ({ name: b.name, x: b.metrics[x], y: b.metrics[y] }));
}

/**
 * The attainment staircase through the front points on the plotted axes (both minimised or
 * maximised as `dirs` says): sorted by x in its better-first order, each point holds its y until the
 * next one. Only meaningful when the axes are the search's two objectives.
 */
export function staircase(points: readonly { x: number; y: number }[], dirs: readonly ['min' | 'max', 'min' | 'max']): [number, number][] {
  const sx = dirs[0] === 'min' ? 1 : -1;
  const sy = dirs[1] === 'min' ? 1 : -1;
  const sorted = [...points].sort((a, b) => sx * (a.x - b.x) || sy * (a.y - b.y));
  const out: [number, number][] = [];
  let best = Infinity;
  for (const p of sorted) {
    if (sy * p.y >= best) continue;
    if (out.length) out.push([p.x, out[out.length - 1][1]]);
    out.push([p.x, p.y]);
    best = sy * p.y;
  }
  return out;
}

/** [lo, hi] over the values, padded by `pad` of the span (log: in log space); positive for log axes. */
export function domainOf(values: readonly number[], log: boolean, pad = 0.06): [number, number] {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!vs.length) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (log) {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const p = b > a ? (b - a) * pad : 0.1;
    return [10 ** (a - p), 10 ** (b + p)];
  }
  if (hi === lo) {
    const d = Math.abs(lo) * 0.05 || 1;
    return [lo - d, hi + d];
  }
  const p = (hi - lo) * pad;
  lo -= p;
  hi += p;
  return [lo, hi];
}

/** Whether a metric can be drawn on a log axis (every value positive). */
export function logAllowed(values: readonly number[]): boolean {
  const vs = values.filter(Number.isFinite);
  return vs.length > 0 && vs.every((v) => v > 0);
}

/** Ids of the points whose pixel position lies in the brushed rectangle [[x0, y0], [x1, y1]]. */
export function brushed(points: readonly PlotPoint[], px: (p: PlotPoint) => [number, number], rect: readonly [readonly [number, number], readonly [number, number]]): number[] {
  const [[x0, y0], [x1, y1]] = rect;
  return points
    .filter((p) => {
      const [x, y] = px(p);
      return x >= x0 && x <= x1 && y >= y0 && y <= y1;
    })
    .map((p) => p.id)
    .sort((a, b) => a - b);
}

/** Keyboard walk over the points in x order: the next (dir 1) or previous (−1) id after `cur`. */
export function stepPoint(points: readonly PlotPoint[], cur: number | null, dir: 1 | -1): number | null {
  if (!points.length) return null;
  const order = [...points].sort((a, b) => a.x - b.x || a.y - b.y || a.id - b.id).map((p) => p.id);
  const i = cur === null ? -1 : order.indexOf(cur);
  if (i < 0) return dir === 1 ? order[0] : order[order.length - 1];
  return order[(i + dir + order.length) % order.length];
}

/**
 * Label placement for the reference marks: each label starts beside its mark (`left` when the mark
 * is near the right edge); a label that would overlap one placed before is moved down, then up, a
 * line at a time. Returns each label's box (x, y of the text baseline, anchor).
 */
export function placeLabels(items: readonly { x: number; y: number; width: number }[], plotWidth: number, line = 13): { x: number; y: number; anchor: 'start' | 'end' }[] {
  const placed: { x0: number; x1: number; y0: number; y1: number }[] = [];
  const order = items.map((_, i) => i).sort((a, b) => items[a].y - items[b].y || a - b);
  const out: { x: number; y: number; anchor: 'start' | 'end' }[] = new Array(items.length);
  for (const i of order) {
    const it = items[i];
    const right = it.x + 9 + it.width < plotWidth;
    const x0 = right ? it.x + 9 : it.x - 9 - it.width;
    const box = (dy: number) => ({ x0, x1: x0 + it.width, y0: it.y + dy - 9, y1: it.y + dy + 3 });
    const hit = (b: ReturnType<typeof box>) => placed.some((p) => b.x0 < p.x1 && p.x0 < b.x1 && b.y0 < p.y1 && p.y0 < b.y1);
    let dy = 4;
    for (const k of [0, 1, -1, 2, -2, 3, -3]) {
      if (!hit(box(4 + k * line))) {
        dy = 4 + k * line;
        break;
      }
    }
    placed.push(box(dy));
    out[i] = { x: right ? it.x + 9 : it.x - 9, y: it.y + dy, anchor: right ? 'start' : 'end' };
  }
  return out;
}

/** Tick values for a log axis: 1-2-5 per decade when plain powers are too many, else powers of ten. */
export function logTicks(all: readonly number[], n: number): number[] {
  if (all.length <= n + 1) return [...all];
  const mant = (v: number) => v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  const f125 = all.filter((v) => [1, 2, 5].some((m) => near(mant(v), m)));
  if (f125.length <= n + 1) return f125;
  return all.filter((v) => near(mant(v), 1));
}
