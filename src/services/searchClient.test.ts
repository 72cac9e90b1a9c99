// The search client with the real search worker code (createSearchApi, over a MessageChannel) and
// the real core driver + cost model; only the emulate pool is a stand-in that scores configs with a
// deterministic analytic loss, so runs, pauses, cancels, crashes and resumes are checkable.
import { describe, expect, it } from 'vitest';
import { resolveConfig, type QuantConfig } from '../core/graph';
import { TINY_CONFIG, tinyGraph } from '../core/search/testSpace';
import { createSearchApi } from '../../workers/search.worker';
import type { EvalResult } from '../../workers/api/emulate.api';
import type { Metrics, SearchRequest, SearchUpdate, Trial } from '../../workers/api/search.api';
import { CancelledError, EmulatorCrashedError, type EvalJob } from './emulatorPool';
import { SearchClient, SearchCrashedError, type SearchPool } from './searchClient';
import { fakeWorker } from './testWorker';

const graph = tinyGraph();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Loss grows as 2^(bits lost) per point; proxy (fewer tokens) a little noisier. */
function score(config: QuantConfig, tokens: number): EvalResult {
  const f = resolveConfig(graph, config).formats;
  let err = 0;
  for (const p of graph.points) {
    const s = f.get(p.id)!;
    const m = s.kind === 'mxint' ? s.m : 32;
    err += 2 ** Math.max(0, 8 - m) - 1;
  }
  const meanNll = 3 + err * 0.01 * (tokens < 512 ? 1.1 : 1);
  return {
    mode: 'fake', perplexity: Math.exp(meanNll), accuracy: 0.4 - err * 0.001, meanNll, tokens, windowNllSums: [], windows: 1, window: 32,
    kl: err * 0.01, top1Agreement: 1, points: {}, fallbackOps: [], unmatchedRules: [], ms: 1,
  };
}

class FakePool implements SearchPool {
  calls: EvalJob[] = [];
  delayMs = 2;
  failWith: Error | null = null;
  /** Reject the next n calls with CancelledError (another pane cancelled the pool). */
  cancelNext = 0;
  workers() {
    return 2;
  }
  async evaluate(job: EvalJob, opts: { signal?: AbortSignal } = {}): Promise<EvalResult> {
    this.calls.push(job);
    await delay(this.delayMs);
    if (opts.signal?.aborted) throw new CancelledError();
    if (this.cancelNext > 0) {
      this.cancelNext--;
      throw new CancelledError();
    }
    if (this.failWith) throw this.failWith;
    const tokens = job.ranges.reduce((s, r) => s + r.end - r.start, 0);
    return score(job.config, tokens);
  }
  async sensitivity(): Promise<{ point: string; deltaLoss: number }[]> {
    return graph.points.map((p) => ({ point: p.id, deltaLoss: p.kind === 'head' ? 0.5 : 0.01 }));
  }
}

const REQ: SearchRequest = {
  modelConfig: TINY_CONFIG,
  space: { version: 1, tie: 'opType', menus: [{ match: '*', choices: ['fp32', 'mxint:m=8,block=32', 'mxint:m=6,block=32', 'mxint:m=4,block=32', 'mxint:m=2,block=32'] }] },
  objectives: [{ metric: 'perplexity' }, { metric: 'energyPj' }],
  constraints: [],
  strategy: 'nsga2',
  budget: 24,
  seed: 3,
  batch: 4,
  promote: 0.5,
  evaluation: { mode: 'fake', proxyTokens: 256, fullTokens: 1024, window: 32 },
  cost: { tokens: 32 },
  baselines: [
    { name: 'fp32', config: { version: 1, rules: [] } },
    { name: 'mxint4', config: { version: 1, rules: [['*', 'mxint:m=4,block=32']] } },
  ],
  known: [],
};

function collector() {
  const updates: { at: number; u: SearchUpdate }[] = [];
  const trials = new Map<number, Trial>();
  const evals: [string, Metrics][] = [];
  return {
    updates,
    trials,
    evals,
    on: (u: SearchUpdate) => {
      updates.push({ at: performance.now(), u });
      for (const t of u.trials) trials.set(t.id, t);
      evals.push(...u.evaluations);
    },
  };
}

function client(pool: SearchPool) {
  const workers: ReturnType<typeof fakeWorker>[] = [];
  const c = new SearchClient(pool, () => {
    const w = fakeWorker(createSearchApi());
    workers.push(w);
    return w;
  });
  return { c, workers };
}

describe('SearchClient', () => {
  it('runs the search on the pool: every trial, baselines and the summary arrive, at most ~10 updates a second', async () => {
    const pool = new FakePool();
    const { c, workers } = client(pool);
    const col = collector();
    const t0 = performance.now();
    const out = await c.start(REQ, col.on);
    const ms = performance.now() - t0;
    expect(out.trials).toBe(24);
    expect(col.trials.size).toBe(24);
    expect([...col.trials.keys()].sort((a, b) => a - b)).toEqual([...Array(24).keys()]);
    // proxy 256 and full 1024 tokens, each split over both workers in whole windows of 32
    const ranges = (end: number) => pool.calls.filter((j) => j.ranges.at(-1)!.end === end).map((j) => JSON.stringify(j.ranges));
    expect(new Set(ranges(256))).toEqual(new Set([JSON.stringify([{ start: 0, end: 128 }, { start: 128, end: 256 }])]));
    expect(new Set(ranges(1024))).toEqual(new Set([JSON.stringify([{ start: 0, end: 512 }, { start: 512, end: 1024 }])]));
    expect(pool.calls.every((j) => j.window === 32)).toBe(true);
    // the fp32 baseline pass of the evaluator, and the reference flag passed through
    expect(pool.calls.some((j) => j.mode === 'fp32' && j.reference === false)).toBe(true);
    const bases = col.updates.flatMap((x) => x.u.baselines);
    expect(bases.map((b) => b.name)).toEqual(['fp32', 'mxint4']);
    expect(bases[0].metrics.avgBits).toBe(32);
    expect(bases[1].metrics.avgBits).toBeCloseTo(4 + 8 / 32, 9);
    // every evaluation run was reported (to be recorded): the 2 reference designs, the 5 uniform designs
    // that fix the hypervolume's reference point, and the driver's evaluations the cache did not answer
    expect(col.evals.length).toBe(2 + 5 + out.evaluations.proxy + out.evaluations.full - out.replayed);
    expect(out.replayed).toBeGreaterThan(0);
    // NSGA-II starts from the uniform designs: the first trials are fp32, then MXInt m = 8, 6, 4, 2 everywhere
    const first = [...col.trials.values()].sort((a, b) => a.id - b.id).slice(0, 5);
    expect(first.map((t) => [...new Set(t.config.rules.map(([, s]) => s))])).toEqual([['fp32'], ['mxint:m=8,block=32'], ['mxint:m=6,block=32'], ['mxint:m=4,block=32'], ['mxint:m=2,block=32']]);
    const last = col.updates.at(-1)!.u;
    expect(last.summary!.hypervolume!.value).toBeGreaterThan(0);
    expect(last.summary!.front).toEqual(out.front);
    // throttled to one update per 100 ms (plus the final one). Measured as a count over the run: the
    // gaps between arrivals jitter on a loaded machine even when the sends are 100 ms apart.
    expect(col.updates.length).toBeLessThanOrEqual(Math.ceil(ms / 100) + 2);
    expect(c.running()).toBe(false);
    expect(workers[0].terminated()).toBe(true);
  });

  it('cancel terminates the worker and aborts the pool job; resuming from the recorded evaluations gives the uninterrupted run', async () => {
    const whole = collector();
    await client(new FakePool()).c.start(REQ, whole.on);

    const pool = new FakePool();
    pool.delayMs = 10;
    const { c, workers } = client(pool);
    const col = collector();
    const p = c.start(REQ, col.on);
    while (col.trials.size < 8) await delay(2);
    c.cancel();
    expect(col.trials.size).toBeLessThan(24);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(workers[0].terminated()).toBe(true);
    expect(c.running()).toBe(false);
    const recorded = col.evals.slice();
    expect(recorded.length).toBeGreaterThan(8);

    const pool2 = new FakePool();
    const col2 = collector();
    const out = await client(pool2).c.start({ ...REQ, known: recorded }, col2.on);
    expect(out.replayed).toBeGreaterThanOrEqual(recorded.length);
    expect(pool2.calls.length).toBeLessThan(pool.calls.length + pool2.calls.length);
    const strip = (m: Map<number, Trial>) => [...m.values()].sort((a, b) => a.id - b.id).map((t) => [t.id, t.hash, t.fidelity, t.objectives]);
    expect(strip(col2.trials)).toEqual(strip(whole.trials));
    // only what had not been recorded ran again
    const ran = new Set(recorded.map(([k]) => k));
    for (const [k] of col2.evals) expect(ran.has(k)).toBe(false);
  });

  it('pause holds the search before its next evaluation; resume continues', async () => {
    const pool = new FakePool();
    pool.delayMs = 5;
    const { c } = client(pool);
    const col = collector();
    const p = c.start({ ...REQ, budget: 12 }, col.on);
    while (pool.calls.length < 4) await delay(2);
    c.pause();
    // the evaluation that was in flight (or had just passed the gate) finishes
    await delay(200);
    const held = pool.calls.length;
    await delay(250);
    expect(pool.calls.length).toBe(held);
    expect(col.updates.at(-1)!.u.phase).toBe('paused');
    c.resume();
    const out = await p;
    expect(out.trials).toBe(12);
    expect(pool.calls.length).toBeGreaterThan(held);
  });

  it('a crashed search worker rejects with a clear error; the trials reported before are kept', async () => {
    const pool = new FakePool();
    const { c, workers } = client(pool);
    const col = collector();
    const p = c.start(REQ, col.on);
    while (col.trials.size < 4) await delay(5);
    workers[0].crash('out of memory');
    await expect(p).rejects.toThrow(SearchCrashedError);
    await expect(p).rejects.toThrow('The search worker crashed (out of memory)');
    expect(col.trials.size).toBeGreaterThanOrEqual(4);
    expect(c.running()).toBe(false);
  });

  it('an emulate worker crash ends the search with the pool’s error (name kept across both ports)', async () => {
    const pool = new FakePool();
    const { c } = client(pool);
    const col = collector();
    const p = c.start(REQ, col.on);
    while (col.trials.size < 4) await delay(5);
    pool.failWith = new EmulatorCrashedError('wasm trap');
    const e = (await p.catch((x: unknown) => x)) as Error;
    expect(e.name).toBe('EmulatorCrashedError');
    expect(e.message).toMatch(/An emulate worker crashed \(wasm trap\)/);
    // what finished before the crash was flushed before the error
    expect(col.evals.length).toBeGreaterThan(4);
  });

  it('an evaluation cancelled by another pane is retried', async () => {
    const pool = new FakePool();
    pool.cancelNext = 2;
    const out = await client(pool).c.start({ ...REQ, budget: 4 }, () => undefined);
    expect(out.trials).toBe(4);
  });

  it('greedy: computes the sensitivity table once, reports it, and reuses a recorded one', async () => {
    const col = collector();
    await client(new FakePool()).c.start({ ...REQ, strategy: 'greedy', budget: 8 }, col.on);
    const table = col.updates.map((x) => x.u.sensitivity).find((s) => s)!;
    expect(table.length).toBe(10);
    const pool = new FakePool();
    let asked = 0;
    pool.sensitivity = async () => {
      asked++;
      return [];
    };
    const col2 = collector();
    await client(pool).c.start({ ...REQ, strategy: 'greedy', budget: 8, sensitivity: table }, col2.on);
    expect(asked).toBe(0);
    const ids = (m: Map<number, Trial>) => [...m.values()].map((t) => t.hash).sort();
    expect(ids(col2.trials)).toEqual(ids(col.trials));
    await expect(client(new FakePool()).c.start({ ...REQ, strategy: 'greedy', budget: 8, sensitivity: [[1]] }, () => undefined)).rejects.toThrow(/sensitivity table does not fit/);
  });

  it('a bad space is the core’s error, as is', async () => {
    await expect(client(new FakePool()).c.start({ ...REQ, space: { version: 1, tie: 'block', menus: [{ match: 'nothing.here', choices: ['fp32'] }] } }, () => undefined)).rejects.toThrow(/menus\[0\]\.match/);
  });
});
