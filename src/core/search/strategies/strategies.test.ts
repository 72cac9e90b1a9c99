import { describe, expect, it } from 'vitest';
import { makeRng } from '../../tensors';
import { greedyStrategy, nsga2Strategy, orderByRank, randomStrategy, rankResults, tpeStrategy, type Strategy, type StrategyContext, type TrialResult } from './index';

// A synthetic analytic problem (a test fixture for the strategies): 6 genes of 5 choices, choice 0 = highest precision.
const CARD = [5, 5, 5, 5, 5, 5];
const W = [8, 1, 4, 2, 16, 0.5];
const error = (g: readonly number[]) => g.reduce((s, c, i) => s + W[i] * 2 ** c, 0);
const cost = (g: readonly number[]) => g.reduce((s, c) => s + (4 - c), 0);
const evalG = (g: readonly number[], maxError = Infinity): TrialResult => ({ genome: g, objectives: [error(g), cost(g)], violation: Math.max(0, error(g) - maxError) });

function drive(make: (ctx: StrategyContext) => Strategy, seed: number, budget: number, batch = 4, maxError = Infinity): number[][] {
  const s = make({ cardinality: CARD, rng: makeRng(seed) });
  const seq: number[][] = [];
  while (seq.length < budget) {
    const gs = s.ask(Math.min(batch, budget - seq.length));
    if (!gs.length) break;
    for (const g of gs) expect(g.every((c, i) => Number.isInteger(c) && c >= 0 && c < CARD[i])).toBe(true);
    seq.push(...gs);
    s.tell(gs.map((g) => evalG(g, maxError)));
  }
  return seq;
}

const makers: [string, (ctx: StrategyContext) => Strategy][] = [
  ['random', (c) => randomStrategy(c)],
  ['nsga2', (c) => nsga2Strategy(c, { population: 8 })],
  ['tpe', (c) => tpeStrategy(c, { startup: 6 })],
];

describe('strategies', () => {
  for (const [name, make] of makers) {
    it(`${name} is reproducible under a seed and differs across seeds`, () => {
      const a = drive(make, 7, 40);
      expect(a.length).toBe(40);
      expect(drive(make, 7, 40)).toEqual(a);
      expect(drive(make, 8, 40)).not.toEqual(a);
    });
  }

  it('nsga2 and tpe find better fronts than their random start', () => {
    for (const [, make] of makers.slice(1)) {
      const seq = drive(make, 3, 96);
      const best = (gs: number[][]) => Math.min(...gs.map((g) => error(g) + 10 * cost(g)));
      expect(best(seq.slice(48))).toBeLessThan(best(seq.slice(0, 8)));
    }
  });

  it('constrained ranks: feasible fronts first, infeasible after by violation', () => {
    const rs: TrialResult[] = [
      { genome: [0], objectives: [1, 5], violation: 0 },
      { genome: [1], objectives: [0, 0], violation: 2 },
      { genome: [2], objectives: [2, 6], violation: 0 },
      { genome: [3], objectives: [5, 1], violation: 0 },
      { genome: [4], objectives: [0, 0], violation: 1 },
    ];
    expect(rankResults(rs).rank).toEqual([0, 3, 1, 0, 2]);
    expect(orderByRank(rs)).toEqual([0, 3, 2, 4, 1]);
  });

  it('greedy lowers the least sensitive gene first, one menu step at a time', () => {
    const sens = (i: number, c: number) => W[i] * 2 ** c;
    const seq = drive((c) => greedyStrategy(c, { sensitivity: sens }), 1, 8, 3);
    // marginal costs W_i·2^c: gene 5 (0.5) first, then gene 1 (1) and gene 5 again (1, ties go to the lower index), …
    expect(seq).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1],
      [0, 1, 0, 0, 0, 1],
      [0, 1, 0, 0, 0, 2],
      [0, 2, 0, 0, 0, 2],
      [0, 2, 0, 1, 0, 2],
      [0, 2, 0, 1, 0, 3],
      [0, 3, 0, 1, 0, 3],
    ]);
  });

  it('greedy freezes a gene whose step breaks a constraint, and stops when nothing can be lowered', () => {
    const sens = (i: number, c: number) => W[i] * 2 ** c;
    const seq = drive((c) => greedyStrategy(c, { sensitivity: sens }), 1, 1000, 1, 100);
    expect(seq.length).toBeLessThan(1000);
    const last = seq[seq.length - 1];
    const feasible = seq.filter((g) => error(g) <= 100);
    const final = feasible[feasible.length - 1];
    // every gene of the final point is at the bottom of its menu or one step more would break the budget
    final.forEach((c, i) => {
      if (c + 1 < CARD[i]) {
        const g = [...final];
        g[i]++;
        expect(error(g)).toBeGreaterThan(100);
      }
    });
    expect(error(last)).toBeGreaterThan(0);
  });

  it('nsga2 asks its initial genomes first, then fills the population at random', () => {
    const initial = [
      [0, 0, 0, 0, 0, 0],
      [4, 4, 4, 4, 4, 4],
      [2, 2, 2, 2, 2, 2],
    ];
    const seq = drive((c) => nsga2Strategy(c, { population: 8, initial }), 5, 16, 4);
    expect(seq.slice(0, 3)).toEqual(initial);
    expect(new Set(seq.slice(3, 8).map((g) => g.join())).size).toBe(5);
  });

  it('nsga2 step mutation moves a gene one menu step', () => {
    // no crossover, every gene mutated, always by a step: every child gene is a parent gene ± 1
    const seq = drive((c) => nsga2Strategy(c, { population: 4, crossover: 0, mutation: 1, stepMutation: 1, initial: [[0, 0, 0, 0, 0, 0], [4, 4, 4, 4, 4, 4], [2, 2, 2, 2, 2, 2], [1, 3, 1, 3, 1, 3]] }), 2, 12, 4);
    const parents = seq.slice(0, 4);
    for (const child of seq.slice(4, 8)) {
      expect(parents.some((p) => p.every((v, i) => Math.abs(child[i] - v) === 1))).toBe(true);
    }
  });

  it('tpe asks its initial genomes first and never repeats a genome', () => {
    const initial = [0, 1, 2, 3, 4].map((c) => CARD.map(() => c));
    const seq = drive((c) => tpeStrategy(c, { initial }), 9, 96, 8);
    expect(seq.slice(0, 5)).toEqual(initial);
    expect(new Set(seq.map((g) => g.join())).size).toBe(96);
  });

  it('greedy with a gain takes the step with the least sensitivity per unit saved', () => {
    // gene 0: Δs 1 for a gain of 10 (0.1 per unit); gene 1: Δs 0.5 for a gain of 1 (0.5); gene 2 saves nothing: last
    const sens = (i: number, c: number) => [1, 0.5, 0.01][i] * c;
    const gain = (i: number) => [10, 1, 0][i];
    const s = greedyStrategy({ cardinality: [2, 2, 2], rng: makeRng(1) }, { sensitivity: sens, gain });
    const seq = s.ask(4);
    expect(seq).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
    // without the gain: by Δ sensitivity alone
    const plain = greedyStrategy({ cardinality: [2, 2, 2], rng: makeRng(1) }, { sensitivity: sens, start: [0, 0, 0] });
    expect(plain.ask(4)).toEqual([
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 1],
      [1, 1, 1],
    ]);
  });
});
