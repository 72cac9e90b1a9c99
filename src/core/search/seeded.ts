/**
 * The strategies as the studio runs them: the CLI's `studioStrategy` (src/cli/search.ts) policy,
 * here in ring 1 so the browser's search worker runs the same search as `mx-studio search` for the
 * same settings and seed (the CLI could call this too):
 *   - NSGA-II: the space's uniform designs (baselines.ts) as the first population, step mutation 0.5;
 *   - TPE: the uniform designs asked first;
 *   - greedy: from the first all-quantized uniform design, stepping by Δsensitivity per unit of the
 *     first cost objective saved (`gain`); plain Δsensitivity without a cost objective;
 *   - random: as is.
 * Why: a random genome almost always holds a 2- or 3-bit point, so random starts miss the accurate
 * end of the front, which the uniform designs span at once (README: the ablation table).
 */
import type { Lanes } from '../cost';
import type { QuantConfig } from '../graph';
import { uniformGenomes } from './baselines';
import type { Metrics, ObjectiveSpec, StrategySpec } from './search';
import type { SearchSpace } from './space';

export interface SeededOptions {
  /** Greedy: the sensitivity table (sensitivityTable). */
  readonly sensitivity?: (gene: number, choice: number) => number;
  /** Greedy: the cost objective whose saving weighs each step, and the cost model's metrics of a design. */
  readonly costObjective?: ObjectiveSpec;
  readonly costOf?: (config: QuantConfig, parallelism: Readonly<Record<string, Lanes>>) => Metrics;
}

export function seededStrategy(space: SearchSpace, name: 'nsga2' | 'tpe' | 'random' | 'greedy', opts: SeededOptions = {}): StrategySpec {
  const U = uniformGenomes(space);
  if (name === 'nsga2') return { name: 'nsga2', options: { initial: U, stepMutation: 0.5 } };
  if (name === 'tpe') return { name: 'tpe', options: { initial: U } };
  if (name === 'random') return 'random';
  const { sensitivity, costObjective, costOf } = opts;
  if (!sensitivity) throw new RangeError('seededStrategy: greedy needs the sensitivity table');
  const start = U.find((g) => g.every((c, i) => space.genes[i].kind !== 'format' || space.genes[i].choices[c] !== 'fp32')) ?? U[0];
  if (!costObjective || !costOf) return { name: 'greedy', options: { sensitivity, start } };
  const sign = costObjective.direction === 'max' ? -1 : 1;
  const at = (gene: number, choice: number) => {
    const g = [...start];
    g[gene] = choice;
    const d = space.toDesign(g);
    return sign * costOf(d.config, d.parallelism)[costObjective.metric];
  };
  const table = space.genes.map((gene, i) => gene.choices.map((_, c) => (c + 1 < gene.choices.length ? at(i, c) - at(i, c + 1) : 0)));
  return { name: 'greedy', options: { sensitivity, start, gain: (gene, choice) => table[gene][choice] } };
}
