import { describe, expect, it } from 'vitest';
import type { Trial } from '../../../workers/api/search.api';
import { baselinePoints, brushed, domainOf, logAllowed, plotPoints, staircase, stepPoint } from './paretoModel';

const t = (id: number, energyPj: number, perplexity: number, extra: Partial<Trial> = {}): Trial => ({
  id, genome: [], config: { version: 1, rules: [] }, parallelism: {}, hash: `h${id}`, objectives: {}, metrics: { energyPj, perplexity, avgBits: id + 1 },
  fidelity: 'full', feasible: true, violation: 0, cached: false, ...extra,
});

const VIEW = { x: 'energyPj', y: 'perplexity', color: 'avgBits', dominated: true, proxy: true } as const;

describe('pareto plot model', () => {
  const trials = [t(0, 5, 30), t(1, 3, 40), t(2, 4, 45), t(3, 2, 60, { fidelity: 'proxy' }), t(4, NaN, 10)];
  const summary = { front: [0, 1], hypervolume: null };

  it('points: finite on both axes; front, fidelity and colour carried; filters for dominated and proxy trials', () => {
    const all = plotPoints(trials, summary, VIEW);
    expect(all.map((p) => p.id)).toEqual([0, 1, 2, 3]);
    expect(all.map((p) => p.front)).toEqual([true, true, false, false]);
    expect(all.map((p) => p.full)).toEqual([true, true, true, false]);
    expect(all[2].c).toBe(3);
    expect(plotPoints(trials, summary, { ...VIEW, dominated: false }).map((p) => p.id)).toEqual([0, 1]);
    expect(plotPoints(trials, summary, { ...VIEW, proxy: false }).map((p) => p.id)).toEqual([0, 1, 2]);
    expect(plotPoints(trials, summary, { ...VIEW, color: 'none' })[0].c).toBeNull();
  });

  it('staircase: the attainment curve through non-dominated points, dominated ones skipped', () => {
    expect(staircase([{ x: 5, y: 30 }, { x: 3, y: 40 }, { x: 4, y: 45 }], ['min', 'min'])).toEqual([[3, 40], [5, 40], [5, 30]]);
    // maximised y (throughput): higher is better
    expect(staircase([{ x: 1, y: 10 }, { x: 2, y: 20 }, { x: 3, y: 15 }], ['min', 'max'])).toEqual([[1, 10], [2, 10], [2, 20]]);
  });

  it('domains pad the span, in log space for log axes; log only for positive values', () => {
    expect(domainOf([0, 10], false, 0.1)).toEqual([-1, 11]);
    const [a, b] = domainOf([1, 100], true, 0.1);
    expect(a).toBeCloseTo(10 ** -0.2, 12);
    expect(b).toBeCloseTo(10 ** 2.2, 12);
    expect(domainOf([7, 7], false)).toEqual([6.65, 7.35]);
    expect(logAllowed([1, 2])).toBe(true);
    expect(logAllowed([0, 2])).toBe(false);
  });

  it('brush selects by pixel position; baselines need finite values', () => {
    const pts = plotPoints(trials, summary, VIEW);
    const px = (p: { x: number; y: number }) => [p.x * 10, 100 - p.y] as [number, number];
    expect(brushed(pts, px, [[25, 50], [45, 65]])).toEqual([1, 2]);
    expect(baselinePoints([{ name: 'fp32', config: { version: 1, rules: [] }, fidelity: 'full', metrics: { energyPj: 1, perplexity: 2 } }, { name: 'x', config: { version: 1, rules: [] }, fidelity: 'full', metrics: { energyPj: 1 } }], 'energyPj', 'perplexity')).toEqual([{ name: 'fp32', x: 1, y: 2 }]);
  });

  it('keyboard walk goes through the points in x order and wraps', () => {
    const pts = plotPoints(trials, summary, VIEW);
    expect(stepPoint(pts, null, 1)).toBe(3);
    expect(stepPoint(pts, 3, 1)).toBe(1);
    expect(stepPoint(pts, 0, 1)).toBe(3);
    expect(stepPoint(pts, 3, -1)).toBe(0);
    expect(stepPoint([], null, 1)).toBeNull();
  });
});

describe('reference labels and log ticks', () => {
  it('labels that would overlap are moved a line apart; near the right edge they go left', async () => {
    const { placeLabels } = await import('./paretoModel');
    const out = placeLabels([{ x: 100, y: 50, width: 40 }, { x: 105, y: 52, width: 40 }, { x: 390, y: 200, width: 40 }], 400);
    expect(out[0]).toEqual({ x: 109, y: 54, anchor: 'start' });
    expect(out[1]).toEqual({ x: 114, y: 52 + 4 + 13, anchor: 'start' });
    expect(out[2]).toEqual({ x: 381, y: 204, anchor: 'end' });
  });

  it('log ticks thin to 1-2-5, then to powers of ten', async () => {
    const { logTicks } = await import('./paretoModel');
    const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50];
    expect(logTicks(all, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(logTicks(all, 3)).toEqual([1, 10]);
    expect(logTicks([1, 10], 6)).toEqual([1, 10]);
  });
});
