/**
 * Sensitivity-guided greedy: start from the highest-precision genome (choice 0 of every menu: menus
 * list choices from highest to lowest precision) and repeatedly lower, by one menu step, the gene
 * whose next step costs least by the provided sensitivity (e.g. the emulator's per-point Δ loss,
 * summed over the gene's points) — or, with `gain`, least per unit of hardware cost saved. A step
 * whose result violates a constraint is undone and that gene is frozen; the search ends when no gene
 * can be lowered. ask(n) returns a chain of up to n steps.
 */
import type { Strategy, StrategyContext, TrialResult } from './types';

export interface GreedyOptions {
  /** Sensitivity of gene `gene` at menu choice `choice` (larger = more harmful); the step cost is s(g, c+1) − s(g, c). */
  readonly sensitivity: (gene: number, choice: number) => number;
  /** Start genome (default all zeros). */
  readonly start?: readonly number[];
  /**
   * Hardware saved by the step of `gene` from `choice` to `choice + 1` (e.g. Δ energy from the cost
   * model; larger = more saved). With it the step taken is the one with the smallest
   * Δsensitivity / gain, so cheap accuracy buys large savings first; steps that save nothing (gain
   * ≤ 0) come last, by Δsensitivity. Without it, by Δsensitivity alone.
   */
  readonly gain?: (gene: number, choice: number) => number;
}

export function greedyStrategy(ctx: StrategyContext, opts: GreedyOptions): Strategy {
  const { cardinality } = ctx;
  let current = opts.start ? [...opts.start] : cardinality.map(() => 0);
  let startAsked = false;
  const frozen = new Set<number>();
  /** The chain asked and not yet told: [gene changed, genome]. */
  let pending: { gene: number; genome: number[] }[] = [];

  const nextGene = (g: readonly number[], skip: ReadonlySet<number>): number => {
    let best = -1;
    // (tier, cost): steps that save hardware (tier 0) before those that do not (tier 1)
    let bestTier = Infinity;
    let bestCost = Infinity;
    g.forEach((c, i) => {
      if (frozen.has(i) || skip.has(i) || c + 1 >= cardinality[i]) return;
      const ds = opts.sensitivity(i, c + 1) - opts.sensitivity(i, c);
      const gain = opts.gain ? opts.gain(i, c) : 1;
      const tier = gain > 0 ? 0 : 1;
      const cost = tier === 0 ? ds / gain : ds;
      if (tier < bestTier || (tier === bestTier && cost < bestCost)) {
        bestTier = tier;
        bestCost = cost;
        best = i;
      }
    });
    return best;
  };

  return {
    name: 'greedy',
    ask(n) {
      const out: number[][] = [];
      if (!startAsked && n > 0) {
        startAsked = true;
        out.push([...current]);
      }
      let g = pending.length ? pending[pending.length - 1].genome : current;
      while (out.length < n) {
        const i = nextGene(g, new Set());
        if (i < 0) break;
        g = [...g];
        g[i]++;
        pending.push({ gene: i, genome: g });
        out.push(g);
      }
      return out;
    },
    tell(results: readonly TrialResult[]) {
      const key = (g: readonly number[]) => g.join(',');
      const byKey = new Map(results.map((r) => [key(r.genome), r]));
      // walk the chain in order: accept feasible steps; at the first infeasible one, freeze its gene and drop the rest
      while (pending.length) {
        const step = pending[0];
        const r = byKey.get(key(step.genome));
        if (!r) break;
        pending.shift();
        if (r.violation > 0) {
          frozen.add(step.gene);
          pending = [];
          break;
        }
        current = step.genome;
      }
    },
  };
}
