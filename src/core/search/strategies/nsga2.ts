/**
 * NSGA-II on categorical genes: an initial population of the given `initial` genomes (e.g. the
 * space's uniform baselines) filled up with random ones; offspring by binary tournament on
 * (rank, crowding distance), uniform crossover and per-gene mutation (a different choice: uniformly,
 * or with `stepMutation` half the time one menu step up or down, since menus are ordered by
 * precision); elitist survival of the parents ∪ offspring by constrained-domination rank, then
 * crowding.
 */
import { genomeKey, orderByRank, randInt, randomGenome, rankResults, type Strategy, type StrategyContext, type TrialResult } from './types';

export interface Nsga2Options {
  /** Population size (default 16). */
  readonly population?: number;
  /** Probability that two parents are crossed (default 0.9); otherwise the child copies parent 1. */
  readonly crossover?: number;
  /** Per-gene mutation probability (default 1 / number of genes). */
  readonly mutation?: number;
  /** Genomes of the first population, asked first (at most `population` are used); the rest of it is random. */
  readonly initial?: readonly (readonly number[])[];
  /** Probability that a mutation moves one menu step (up or down) instead of to a uniform other choice (default 0). */
  readonly stepMutation?: number;
}

export function nsga2Strategy(ctx: StrategyContext, opts: Nsga2Options = {}): Strategy {
  const popSize = opts.population ?? 16;
  const pc = opts.crossover ?? 0.9;
  const nGenes = ctx.cardinality.length;
  const pm = opts.mutation ?? 1 / Math.max(1, nGenes);
  const pStep = opts.stepMutation ?? 0;
  const initial = (opts.initial ?? []).slice(0, popSize).map((g) => [...g]);
  const { rng } = ctx;
  let pop: TrialResult[] = [];
  const seen = new Set<string>();
  let asked = 0;

  const child = (rank: number[], crowd: number[]): number[] => {
    const pick = () => {
      const a = randInt(rng, pop.length);
      const b = randInt(rng, pop.length);
      if (rank[a] !== rank[b]) return rank[a] < rank[b] ? a : b;
      if (crowd[a] !== crowd[b]) return crowd[a] > crowd[b] ? a : b;
      return rng() < 0.5 ? a : b;
    };
    const p1 = pop[pick()].genome;
    const p2 = pop[pick()].genome;
    const cross = rng() < pc;
    return p1.map((v, i) => {
      let g = cross && rng() < 0.5 ? p2[i] : v;
      const k = ctx.cardinality[i];
      if (k > 1 && rng() < pm) {
        if (pStep > 0 && rng() < pStep) g = g === 0 ? 1 : g === k - 1 ? k - 2 : rng() < 0.5 ? g - 1 : g + 1;
        else g = (g + 1 + randInt(rng, k - 1)) % k;
      }
      return g;
    });
  };

  return {
    name: 'nsga2',
    ask(n) {
      const out: number[][] = [];
      const { rank, crowd } = pop.length ? rankResults(pop) : { rank: [], crowd: [] };
      for (let j = 0; j < n; j++) {
        let g: number[] = [];
        // the first population is random; then offspring, retrying a few times to avoid repeats
        for (let tries = 0; tries < 16; tries++) {
          g = asked < initial.length ? initial[asked] : asked < popSize || pop.length < 2 ? randomGenome(ctx) : child(rank, crowd);
          if (!seen.has(genomeKey(g))) break;
        }
        seen.add(genomeKey(g));
        out.push(g);
        asked++;
      }
      return out;
    },
    tell(results) {
      const all = [...pop, ...results];
      pop = orderByRank(all)
        .slice(0, popSize)
        .map((i) => all[i]);
    },
  };
}
