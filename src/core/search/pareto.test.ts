import { describe, expect, it } from 'vitest';
import { makeRng } from '../tensors';
import { crowdingDistance, dominates, hypervolume, hypervolumeHistory, nonDominatedSort, paretoFront, ranks } from './pareto';

describe('non-dominated sort', () => {
  it('splits a hand-made set into its fronts', () => {
    const pts = [
      [1, 5], // 0 front 0
      [2, 3], // 1 front 0
      [4, 1], // 2 front 0
      [3, 4], // 3 dominated by 1 → front 1
      [5, 5], // 4 dominated by 3 → front 2
      [2, 3], // 5 duplicate of 1 → front 0
      [4, 2], // 6 dominated by 2 only → front 1
    ];
    expect(nonDominatedSort(pts)).toEqual([[0, 1, 2, 5], [3, 6], [4]]);
    expect(ranks(pts)).toEqual([0, 0, 0, 1, 2, 0, 1]);
    expect(paretoFront(pts)).toEqual([0, 1, 2, 5]);
  });
  it('ties in one objective: equal in one, better in the other dominates', () => {
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [1, 3])).toBe(false);
    expect(nonDominatedSort([[1, 3], [1, 2], [0, 3]])).toEqual([[1, 2], [0]]);
  });
  it('empty and single', () => {
    expect(nonDominatedSort([])).toEqual([]);
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([[3, 3, 3]])).toEqual([0]);
  });
  it('three objectives', () => {
    expect(nonDominatedSort([[1, 1, 1], [0, 2, 2], [2, 2, 2], [3, 3, 0]])).toEqual([[0, 1, 3], [2]]);
  });
});

describe('crowding distance', () => {
  it('boundaries infinite, interior the normalised neighbour gap summed over objectives', () => {
    const pts = [[0, 4], [1, 2], [3, 1], [4, 0]];
    const d = crowdingDistance(pts, [0, 1, 2, 3]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    // point 1: x gap (3-0)/4 + y gap (4-1)/4 = 1.5; point 2: (4-1)/4 + (2-0)/4 = 1.25
    expect(d[1]).toBeCloseTo(1.5, 12);
    expect(d[2]).toBeCloseTo(1.25, 12);
  });
});

describe('hypervolume', () => {
  it('2-D against a hand-computed staircase', () => {
    // ref (5,5): rectangles (5-1)(5-4)=4, (5-2)(4-2)=6, (5-4)(2-1)=1 → 11
    expect(hypervolume([[1, 4], [2, 2], [4, 1]], [5, 5])).toBe(11);
    // a dominated point, a duplicate and points on/beyond the reference add nothing
    expect(hypervolume([[1, 4], [2, 2], [4, 1], [3, 3], [2, 2], [5, 0], [6, 1], [0, 7]], [5, 5])).toBe(11);
  });
  it('1-D and empty', () => {
    expect(hypervolume([[2], [3]], [5])).toBe(3);
    expect(hypervolume([], [1, 1])).toBe(0);
    expect(hypervolume([[2, 2]], [1, 1])).toBe(0);
  });
  it('3-D against hand-computed boxes', () => {
    expect(hypervolume([[0, 0, 0]], [1, 2, 3])).toBe(6);
    // A = (0,1,1) → box [0,2]x[1,2]x[1,2] volume 2; B = (1,0,0) → [1,2]x[0,2]x[0,2] volume 4; A∩B = [1,2]x[1,2]x[1,2] = 1 → 5
    expect(hypervolume([[0, 1, 1], [1, 0, 0]], [2, 2, 2])).toBe(5);
    // three axis points of the unit corner: each box 2x2x2 minus... a=(1,0,0),b=(0,1,0),c=(0,0,1), ref 2:
    // |A|=|B|=|C|=4, pairwise intersections 2 each, triple 1 → 12 - 6 + 1 = 7
    expect(hypervolume([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [2, 2, 2])).toBe(7);
    // dominated, duplicate and out-of-reference points change nothing
    expect(hypervolume([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 1], [0, 0, 3]], [2, 2, 2])).toBe(7);
  });
  it('rejects 4 objectives', () => {
    expect(() => hypervolume([[0, 0, 0, 0]], [1, 1, 1, 1])).toThrow(RangeError);
  });
  it('history is monotone and ends at the full volume', () => {
    const trials = [[4, 1], [6, 6], [2, 2], [3, 3], null, [1, 4]];
    expect(hypervolumeHistory(trials, [5, 5])).toEqual([4, 4, 10, 10, 10, 11]);
  });
});

describe('hypervolume against unit-cell counting', () => {
  // integer points: the dominated volume is the number of unit cells [c, c+1) whose corner some point weakly dominates
  const count = (pts: number[][], ref: number[]) => {
    let n = 0;
    const cells = (d: number, c: number[]): void => {
      if (d === ref.length) {
        if (pts.some((p) => p.every((v, i) => v <= c[i]))) n++;
        return;
      }
      for (let x = 0; x < ref[d]; x++) cells(d + 1, [...c, x]);
    };
    cells(0, []);
    return n;
  };
  for (const m of [2, 3]) {
    it(`${m}-D: 40 random sets of integer points`, () => {
      const rng = makeRng(m);
      const ref = new Array<number>(m).fill(10);
      for (let k = 0; k < 40; k++) {
        const pts = Array.from({ length: 1 + Math.floor(rng() * 12) }, () => Array.from({ length: m }, () => Math.floor(rng() * 12)));
        expect(hypervolume(pts, ref)).toBe(count(pts, ref));
        const h = hypervolumeHistory(pts, ref);
        expect(h[h.length - 1]).toBe(count(pts, ref));
        expect(h[0]).toBe(count(pts.slice(0, 1), ref));
      }
    });
  }
});
