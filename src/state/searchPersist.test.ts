// The run store's contract on the in-memory implementation (IndexedDB itself is exercised by
// e2e/search.spec.ts's reload-and-resume scenario in Chromium).
import { describe, expect, it } from 'vitest';
import type { Trial } from '../../workers/api/search.api';
import { DEFAULT_SEARCH } from './searchDoc';
import { memoryRunStore, newRunId, pruneRuns, type RunRecord } from './searchPersist';

const run = (id: string, updatedAt: number): RunRecord => ({
  id, createdAt: updatedAt, updatedAt, model: { ref: { kind: 'default' }, name: 'sotu-llama-1m', numParams: 1 }, settings: DEFAULT_SEARCH,
  status: 'running', trials: 0, baselines: [], elapsedMs: 0,
});
const trial = (id: number): Trial => ({
  id, genome: [id], config: { version: 1, rules: [['*', 'fp32']] }, parallelism: {}, hash: `h${id}`, objectives: { kl: id }, metrics: { kl: id, energyPj: NaN }, fidelity: 'full', feasible: true, violation: 0, cached: false,
});

describe('run store (memory)', () => {
  it('keeps runs newest first, trials by id (idempotent re-adds), evaluations by key, and deletes a run whole', async () => {
    const s = memoryRunStore('test');
    expect(s.kind).toBe('memory');
    expect(s.reason).toBe('test');
    await s.putRun(run('a', 1));
    await s.putRun(run('b', 2));
    await s.append('a', [trial(1), trial(0)], [['full:x', { kl: 1 }]]);
    await s.append('a', [trial(1)], [['full:x', { kl: 1 }], ['proxy:y', { kl: 2 }]]);
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['b', 'a']);
    const ts = await s.loadTrials('a');
    expect(ts.map((t) => t.id)).toEqual([0, 1]);
    expect(Number.isNaN(ts[0].metrics.energyPj)).toBe(true);
    expect(await s.loadEvaluations('a')).toEqual([['full:x', { kl: 1 }], ['proxy:y', { kl: 2 }]]);
    await s.deleteRun('a');
    expect(await s.loadTrials('a')).toEqual([]);
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['b']);
  });

  it('prunes to the newest runs', async () => {
    const s = memoryRunStore();
    for (let i = 0; i < 5; i++) await s.putRun(run(`r${i}`, i));
    await pruneRuns(s, 2);
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['r4', 'r3']);
  });

  it('run ids sort by time', () => {
    expect(newRunId(1000) < newRunId(2000)).toBe(true);
    expect(newRunId(5)).toMatch(/^run-0{9}5-[0-9a-z]{4}$/);
  });
});
