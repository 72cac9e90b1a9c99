import { describe, expect, it } from 'vitest';
import type { Trial } from '../../../workers/api/search.api';
import { DEFAULT_SEARCH } from '../../state/searchDoc';
import { configLabel, shortSpec, tableRows, trialsCsv, trialsJson } from './trialsModel';

const t = (id: number, kl: number, extra: Partial<Trial> = {}): Trial => ({
  id, genome: [id, 0], config: { version: 1, rules: [['L*.q.w', 'mxint:m=4,block=32'], ['head.w', 'fp32']] }, parallelism: {}, hash: `h${id}`, objectives: { kl }, metrics: { kl, energyPj: 100 - id },
  fidelity: 'full', feasible: true, violation: 0, cached: false, ...extra,
});
const RUN = { id: 'run-1', settings: { ...DEFAULT_SEARCH, seed: 42 }, model: { ref: { kind: 'default' as const }, name: 'sotu-llama-1m', numParams: 1_020_000 }, createdAt: Date.UTC(2026, 0, 2) };

describe('trial table', () => {
  const trials = [t(0, 0.3), t(1, 0.1, { feasible: false, violation: 0.5 }), t(2, NaN), t(3, 0.2, { config: { version: 1, rules: [['*', 'fixed:w=8,f=4']] } })];
  const summary = { front: [0, 3], hypervolume: null };

  it('labels formats compactly', () => {
    expect(shortSpec('mxint:m=4,block=32')).toBe('m4');
    expect(shortSpec('mxint:m=4')).toBe('mxint:m=4');
    expect(configLabel(t(0, 0).config)).toBe('m4×1 fp32×1');
    expect(configLabel({ version: 1, rules: [] })).toBe('fp32 (no rules)');
  });

  it('sorts by a metric either way (NaN last), filters by front / feasible / brush / text', () => {
    const q = { filter: 'all' as const, text: '', sort: 'kl', desc: false };
    expect(tableRows(trials, summary, null, q).map((r) => r.id)).toEqual([1, 3, 0, 2]);
    expect(tableRows(trials, summary, null, { ...q, desc: true }).map((r) => r.id)).toEqual([0, 3, 1, 2]);
    expect(tableRows(trials, summary, null, { ...q, filter: 'front' }).map((r) => r.id)).toEqual([3, 0]);
    expect(tableRows(trials, summary, null, { ...q, filter: 'feasible', sort: 'id' }).map((r) => r.id)).toEqual([0, 2, 3]);
    expect(tableRows(trials, summary, [2, 3], { ...q, filter: 'brushed', sort: 'id' }).map((r) => r.id)).toEqual([2, 3]);
    expect(tableRows(trials, summary, null, { ...q, text: 'fixed:w=8' }).map((r) => r.id)).toEqual([3]);
    expect(tableRows(trials, summary, null, { ...q, text: '#1' }).map((r) => r.id)).toEqual([1]);
  });

  it('CSV carries run id, trial id and seed on every row, quotes the rules, writes NaN', () => {
    const csv = trialsCsv(RUN, trials, summary).trim().split('\n');
    expect(csv[0].startsWith('run_id,trial_id,seed,strategy,fidelity,feasible,on_front,violation,cached,hash,perplexity,')).toBe(true);
    expect(csv.length).toBe(5);
    expect(csv[1]).toMatch(/^run-1,0,42,nsga2,full,true,true,0,false,h0,/);
    expect(csv[2]).toMatch(/^run-1,1,42,nsga2,full,false,false,0\.5,/);
    expect(csv[3]).toContain(',NaN,');
    expect(csv[1]).toContain('"[[""L*.q.w"",""mxint:m=4,block=32""],[""head.w"",""fp32""]]"');
    const head = csv[0].split(',');
    expect(csv[1].split(',')[head.indexOf('energyPj')]).toBe('100');
  });

  it('JSON carries provenance, the front and every trial with its seed', () => {
    const j = JSON.parse(trialsJson(RUN, trials, summary, []));
    expect(j.run_id).toBe('run-1');
    expect(j.seed).toBe(42);
    expect(j.model).toBe('sotu-llama-1m');
    expect(j.created).toBe('2026-01-02T00:00:00.000Z');
    expect(j.front).toEqual([0, 3]);
    expect(j.trials.map((x: { trial_id: number; seed: number }) => [x.trial_id, x.seed])).toEqual([[0, 42], [1, 42], [2, 42], [3, 42]]);
    expect(j.trials[2].metrics.kl).toBe('NaN');
    expect(j.settings.strategy).toBe('nsga2');
  });
});
