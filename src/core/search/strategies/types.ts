/** The one interface every search strategy implements; driven by a seeded PRNG so a seed fixes the sequence. */
import type { Rng } from '../../tensors';
import { crowdingDistance, nonDominatedSort } from '../pareto';
import type { Genome } from '../space';

/** What a strategy learns of one trial: minimised objectives, and the total constraint violation (0 = feasible). */
export interface TrialResult {
  readonly genome: Genome;
  readonly objectives: readonly number[];
  readonly violation: number;
}

export interface Strategy {
  readonly name: string;
  /** Up to n genomes to evaluate next (fewer, or none, when the strategy is done). */
  ask(n: number): number[][];
  /** Results of earlier asks (any order, any subset). */
  tell(results: readonly TrialResult[]): void;
}

export interface StrategyContext {
  /** Menu size of every gene. */
  readonly cardinality: readonly number[];
  readonly rng: Rng;
}

export const randInt = (rng: Rng, n: number): number => Math.min(n - 1, Math.floor(rng() * n));

export const randomGenome = (ctx: StrategyContext): number[] => ctx.cardinality.map((k) => randInt(ctx.rng, k));

export const genomeKey = (g: Genome): string => g.join(',');

/**
 * Constrained domination ranks (Deb): feasible results by non-dominated sort of the objectives; every
 * infeasible one after them, ordered by violation. Returns rank and crowding per result.
 */
export function rankResults(rs: readonly TrialResult[]): { rank: number[]; crowd: number[] } {
  const rank = new Array<number>(rs.length).fill(0);
  const crowd = new Array<number>(rs.length).fill(0);
  const feas = rs.map((r, i) => (r.violation <= 0 ? i : -1)).filter((i) => i >= 0);
  const fronts = nonDominatedSort(feas.map((i) => rs[i].objectives));
  const pts = rs.map((r) => r.objectives);
  fronts.forEach((f, k) => {
    const idx = f.map((j) => feas[j]);
    const cd = crowdingDistance(pts, idx);
    idx.forEach((i, j) => {
      rank[i] = k;
      crowd[i] = cd[j];
    });
  });
  const inf = rs.map((r, i) => (r.violation > 0 ? i : -1)).filter((i) => i >= 0);
  const vs = [...new Set(inf.map((i) => rs[i].violation))].sort((a, b) => a - b);
  for (const i of inf) rank[i] = fronts.length + vs.indexOf(rs[i].violation);
  return { rank, crowd };
}

/** Indices ordered best first: by rank, then by larger crowding distance, then by index (stable). */
export function orderByRank(rs: readonly TrialResult[]): number[] {
  const { rank, crowd } = rankResults(rs);
  return [...rs.keys()].sort((a, b) => rank[a] - rank[b] || (crowd[b] === crowd[a] ? 0 : crowd[b] > crowd[a] ? 1 : -1) || a - b);
}
