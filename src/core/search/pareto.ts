/**
 * Pareto machinery, every objective minimised: non-dominated sort (fronts), crowding distance, the
 * first front, and exact hypervolume for 1–3 objectives (2-D sweep; 3-D by slicing along the third
 * objective into 2-D sweeps), plus its history over a sequence of trials.
 */

export type Vec = readonly number[];

/** a dominates b: no worse in every objective, strictly better in at least one. */
export function dominates(a: Vec, b: Vec): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

/** Fast non-dominated sort (Deb et al.): fronts of indices, front 0 first; equal points share a front. */
export function nonDominatedSort(points: readonly Vec[]): number[][] {
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominatedBy[i].push(j);
        count[j]++;
      } else if (dominates(points[j], points[i])) {
        dominatedBy[j].push(i);
        count[i]++;
      }
    }
  }
  const fronts: number[][] = [];
  let cur = [];
  for (let i = 0; i < n; i++) if (count[i] === 0) cur.push(i);
  while (cur.length) {
    fronts.push(cur);
    const next: number[] = [];
    for (const i of cur) {
      for (const j of dominatedBy[i]) if (--count[j] === 0) next.push(j);
    }
    next.sort((a, b) => a - b);
    cur = next;
  }
  return fronts;
}

/** The rank (front number) of every point. */
export function ranks(points: readonly Vec[]): number[] {
  const r = new Array<number>(points.length).fill(0);
  nonDominatedSort(points).forEach((f, k) => f.forEach((i) => (r[i] = k)));
  return r;
}

/** Indices of the non-dominated points (duplicates of a non-dominated point are all kept). */
export function paretoFront(points: readonly Vec[]): number[] {
  return points.length ? nonDominatedSort(points)[0] : [];
}

/**
 * NSGA-II crowding distance of the points of one front (indices into `points`), in the order given:
 * boundary points get Infinity; others the sum over objectives of the normalised gap between neighbours.
 */
export function crowdingDistance(points: readonly Vec[], front: readonly number[]): number[] {
  const n = front.length;
  const d = new Array<number>(n).fill(0);
  if (n === 0) return d;
  const m = points[front[0]].length;
  for (let k = 0; k < m; k++) {
    const order = [...Array(n).keys()].sort((a, b) => points[front[a]][k] - points[front[b]][k] || a - b);
    const lo = points[front[order[0]]][k];
    const hi = points[front[order[n - 1]]][k];
    d[order[0]] = Infinity;
    d[order[n - 1]] = Infinity;
    if (hi === lo) continue;
    for (let j = 1; j < n - 1; j++) d[order[j]] += (points[front[order[j + 1]]][k] - points[front[order[j - 1]]][k]) / (hi - lo);
  }
  return d;
}

/** Exact hypervolume dominated by `points` and bounded by `ref` (minimisation; points not strictly better than ref in every objective add nothing). */
export function hypervolume(points: readonly Vec[], ref: Vec): number {
  const m = ref.length;
  if (m < 1 || m > 3) throw new RangeError(`hypervolume: exact for 1–3 objectives (got ${m})`);
  const inside = points.filter((p) => p.length === m && p.every((v, i) => Number.isFinite(v) && v < ref[i]));
  if (!inside.length) return 0;
  if (m === 1) return ref[0] - Math.min(...inside.map((p) => p[0]));
  if (m === 2) return hv2(inside, ref);
  return hv3(inside, ref);
}

function hv2(points: readonly Vec[], ref: Vec): number {
  const s = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let vol = 0;
  let bestY = ref[1];
  for (const p of s) {
    if (p[1] < bestY) {
      vol += (ref[0] - p[0]) * (bestY - p[1]);
      bestY = p[1];
    }
  }
  return vol;
}

/** 3-D by slicing: sort on the third objective; between consecutive z values the slice is a 2-D hypervolume. */
function hv3(points: readonly Vec[], ref: Vec): number {
  const s = [...points].sort((a, b) => a[2] - b[2]);
  let vol = 0;
  const active: Vec[] = [];
  for (let i = 0; i < s.length; i++) {
    active.push(s[i]);
    const zNext = i + 1 < s.length ? s[i + 1][2] : ref[2];
    const h = zNext - s[i][2];
    if (h > 0) vol += h * hv2(active, ref);
  }
  return vol;
}

/** Hypervolume after each trial, in order (trials with undefined objectives, e.g. infeasible, add nothing). */
export function hypervolumeHistory(trials: readonly (Vec | null | undefined)[], ref: Vec): number[] {
  const seen: Vec[] = [];
  const out: number[] = [];
  let last = 0;
  for (const t of trials) {
    if (t && t.every((v, i) => Number.isFinite(v) && v < ref[i]) && !seen.some((s) => dominates(s, t) || s.every((v, i) => v === t[i]))) {
      for (let i = seen.length - 1; i >= 0; i--) if (dominates(t, seen[i])) seen.splice(i, 1);
      seen.push(t);
      last = hypervolume(seen, ref);
    }
    out.push(last);
  }
  return out;
}
