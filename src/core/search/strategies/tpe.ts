/**
 * Multi-objective TPE for categorical genes, in the style of Optuna's MOTPE: after `startup` random
 * trials, the observations are split into "good" (the best γ(n) = min(⌈0.1·n⌉, 25) by constrained
 * non-domination rank, ties in the last front by crowding distance, where Optuna uses hypervolume
 * contribution) and "bad" (the rest). Per gene, l(x) and g(x) are Parzen estimators over the
 * categories: each observation puts its weight on its category, plus a prior of weight `priorWeight`
 * spread uniformly. `candidates` genomes are sampled from l and the one maximising Σ log l − log g
 * is asked.
 */
import { genomeKey, orderByRank, randomGenome, type Strategy, type StrategyContext, type TrialResult } from './types';

export interface TpeOptions {
  /** Random trials before the model is used (default 10). */
  readonly startup?: number;
  /** Candidates sampled from l(x) per ask (default 24). */
  readonly candidates?: number;
  /** Weight of the uniform prior in each estimator (default 1, Optuna's). */
  readonly priorWeight?: number;
  /** Genomes asked first (they count towards `startup`), e.g. the space's uniform baselines. */
  readonly initial?: readonly (readonly number[])[];
}

export const tpeGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

export function tpeStrategy(ctx: StrategyContext, opts: TpeOptions = {}): Strategy {
  const startup = opts.startup ?? 10;
  const nCand = opts.candidates ?? 24;
  const prior = opts.priorWeight ?? 1;
  const initial = (opts.initial ?? []).map((g) => [...g]);
  const { rng, cardinality } = ctx;
  const obs: TrialResult[] = [];
  /** Every genome asked so far: a repeat would only hit the driver's cache and teach nothing. */
  const seen = new Set<string>();
  let asked = 0;

  /** Per gene, category probabilities of an estimator over some genomes. */
  const parzen = (gs: readonly (readonly number[])[]): number[][] =>
    cardinality.map((k, i) => {
      const w = new Array<number>(k).fill(prior / k);
      for (const g of gs) w[g[i]] += 1;
      const s = prior + gs.length;
      return w.map((x) => x / s);
    });

  const sample = (p: readonly number[]): number => {
    let u = rng();
    for (let c = 0; c < p.length - 1; c++) {
      u -= p[c];
      if (u < 0) return c;
    }
    return p.length - 1;
  };

  return {
    name: 'tpe',
    ask(n) {
      const out: number[][] = [];
      // the estimators depend on the observations only: fit once per ask
      let model: { l: number[][]; g: number[][] } | undefined;
      const fit = () => {
        const order = orderByRank(obs);
        const nGood = Math.max(1, tpeGamma(obs.length));
        return { l: parzen(order.slice(0, nGood).map((i) => obs[i].genome)), g: parzen(order.slice(nGood).map((i) => obs[i].genome)) };
      };
      for (let j = 0; j < n; j++, asked++) {
        if (asked < initial.length) {
          out.push([...initial[asked]]);
          seen.add(genomeKey(initial[asked]));
          continue;
        }
        if (asked < Math.max(startup, initial.length) || obs.length < 2) {
          const x = randomGenome(ctx);
          seen.add(genomeKey(x));
          out.push(x);
          continue;
        }
        model ??= fit();
        const { l, g } = model;
        let best: number[] | null = null;
        let bestScore = -Infinity;
        for (let c = 0; c < nCand; c++) {
          const x = l.map(sample);
          // prefer a genome not asked before (in this batch or any earlier one)
          const score = x.reduce((s, v, i) => s + Math.log(l[i][v]) - Math.log(g[i][v]), 0) - (seen.has(genomeKey(x)) ? 1e9 : 0);
          if (score > bestScore) {
            bestScore = score;
            best = x;
          }
        }
        seen.add(genomeKey(best!));
        out.push(best!);
      }
      return out;
    },
    tell(results) {
      obs.push(...results);
    },
  };
}
