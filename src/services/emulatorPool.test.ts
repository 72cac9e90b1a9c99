// The pool's scheduling, merging, cancel and crash paths, with MessageChannels standing in for workers.
import { describe, expect, it } from 'vitest';
import { fakeWorker as makeFakeWorker } from './testWorker';
import { CancelledError, EmulatorCrashedError, EmulatorPool, estimateRanges, partition, scoredTokens } from './emulatorPool';
import type { EmulateApi, EvalResult, ModelInfo } from '../../workers/api/emulate.api';
import type { ModelConfig } from '../core/model/types';
import { uniformConfig } from '../core/graph';

const CONFIG: ModelConfig = {
  arch: 'llama', vocabSize: 2048, hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 32, intermediateSize: 320,
  maxPositions: 256, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: true,
  bosTokenId: 2047, eosTokenId: 2047, raw: {},
};

function info(name: string): ModelInfo {
  return { name, config: CONFIG, numParams: 1, weightFiles: [], bytes: 0, ms: 0, evalText: { name: 'test', chars: 1, tokens: 100_000 } };
}

/** A window's fake result: loss grows with the window index, so merges are checkable. */
function windowResult(start: number, window: number): EvalResult {
  const k = start / window;
  return {
    mode: 'fake', perplexity: Math.exp(1 + k), accuracy: 0.1 * k, meanNll: 1 + k, tokens: window - 1, windowNllSums: [(1 + k) * (window - 1)], windows: 1, window,
    kl: 0.01 * (k + 1), top1Agreement: 0.9, fallbackOps: [], unmatchedRules: [], ms: 1,
    points: {
      'L0.q.w': { sqnrDb: 20, saturated: 1, underflow: 0, nanBlocks: 0, elements: 100, signalEnergy: 100, noiseEnergy: 1 },
      'L0.q.x': { sqnrDb: k === 0 ? 10 : 20, saturated: 1, underflow: 2, nanBlocks: 0, elements: 50, signalEnergy: 50, noiseEnergy: k === 0 ? 5 : 0.5 },
    },
  };
}

function fakeWorker(api: Partial<EmulateApi>) {
  return makeFakeWorker({ init: async () => ({ flavor: 'simd' }), load: async () => info('m'), abort: () => undefined, ...api });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EmulatorPool', () => {
  it('gives every worker its range and merges the results token-weighted; weights count once', async () => {
    const seen: [number, number][][] = [[], []];
    const pool = new EmulatorPool(2, (i) =>
      fakeWorker({
        evaluate: async (req, onProgress) => {
          seen[i].push([req.start, req.end]);
          onProgress?.(1, 1);
          // worker 0 scores 1 window of loss 1; worker 1 three windows of loss 3
          const r = windowResult(0, req.window);
          const wins = (req.end - req.start) / req.window;
          const x = i === 0 ? { sqnrDb: 10, signalEnergy: 50, noiseEnergy: 5 } : { sqnrDb: 20, signalEnergy: 150, noiseEnergy: 1.5 };
          return { ...r, meanNll: i === 0 ? 1 : 3, tokens: wins * (req.window - 1), windowNllSums: Array(wins).fill(i + 1), windows: wins, kl: i === 0 ? 0.1 : 0.2, points: { ...r.points, 'L0.q.x': { ...r.points['L0.q.x'], ...x } } };
        },
      }),
    );
    await pool.load({ kind: 'default' }, 4096);
    const r = await pool.evaluate({ config: uniformConfig('mxint8'), mode: 'fake', ranges: [{ start: 0, end: 256 }, { start: 256, end: 1024 }], window: 256 });
    expect(seen).toEqual([[[0, 256]], [[256, 1024]]]);
    expect(r.tokens).toBe(4 * 255);
    expect(r.windows).toBe(4);
    expect(r.meanNll).toBeCloseTo(2.5, 12);
    expect(r.perplexity).toBeCloseTo(Math.exp(2.5), 10);
    expect(r.kl).toBeCloseTo(0.175, 12);
    expect(r.windowNllSums).toEqual([1, 2, 2, 2]);
    expect(r.points['L0.q.w']).toEqual({ sqnrDb: 20, saturated: 1, underflow: 0, nanBlocks: 0, elements: 100, signalEnergy: 100, noiseEnergy: 1 });
    expect(r.points['L0.q.x'].elements).toBe(100);
    expect(r.points['L0.q.x'].underflow).toBe(4);
    // energies add: (50 + 150) / (5 + 1.5)
    expect(r.points['L0.q.x'].sqnrDb).toBeCloseTo(10 * Math.log10(200 / 6.5), 10);
    pool.dispose();
  });

  it('an aborted evaluation rejects at once with CancelledError, asks the workers to stop, and they stay usable', async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    let aborts = 0;
    const pool = new EmulatorPool(2, () => {
      let stop: (() => void) | null = null;
      const w = fakeWorker({
        evaluate: (req) =>
          new Promise<EvalResult>((resolve, reject) => {
            stop = () => reject(Object.assign(new Error('evaluation aborted'), { name: 'AbortError' }));
            setTimeout(() => resolve(windowResult(req.start, req.window)), 40);
          }),
        abort: () => {
          aborts++;
          stop?.();
        },
      });
      workers.push(w);
      return w;
    });
    await pool.load({ kind: 'default' }, 4096);
    const ac = new AbortController();
    const ranges = partition(4096, 256, 2);
    const p = pool.evaluate({ config: uniformConfig('mxint8'), mode: 'fake', ranges, window: 256 }, { signal: ac.signal });
    await delay(10);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await delay(10);
    expect(aborts).toBe(2);
    const r = await pool.evaluate({ config: uniformConfig('mxint8'), mode: 'fake', ranges: estimateRanges(ranges, 64), window: 64 });
    expect(r.windows).toBe(2);
    expect(workers.length).toBe(2);
    expect(workers.some((w) => w.terminated())).toBe(false);
    pool.dispose();
  });

  it('a failed load keeps the previous model and gives the loader message as is', async () => {
    const pool = new EmulatorPool(1, () =>
      fakeWorker({
        load: async (src) => {
          if (src.kind === 'url') throw new Error('config.json: is missing from https://example.org/x; a Hugging Face model folder needs it');
          return info('default-model');
        },
      }),
    );
    await pool.load({ kind: 'default' }, 4096);
    await expect(pool.load({ kind: 'url', url: 'https://example.org/x' }, 4096)).rejects.toThrow('config.json: is missing from https://example.org/x; a Hugging Face model folder needs it');
    expect(pool.model()?.name).toBe('default-model');
    pool.dispose();
  });

  it('a crashed worker rejects with EmulatorCrashedError; cancel terminates, and a new worker reloads the model', async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    let loads = 0;
    const pool = new EmulatorPool(1, () => {
      const w = fakeWorker({
        load: async () => {
          loads++;
          return info('m');
        },
        evaluate: () => new Promise<EvalResult>(() => undefined),
      });
      workers.push(w);
      return w;
    });
    await pool.load({ kind: 'default' }, 4096);
    const p = pool.evaluate({ config: uniformConfig('mxint8'), mode: 'fake', ranges: [{ start: 0, end: 256 }], window: 256 });
    await delay(5);
    workers[0].crash('out of memory');
    await expect(p).rejects.toBeInstanceOf(EmulatorCrashedError);
    await expect(p).rejects.toThrow(/crashed \(out of memory\)/);
    expect(workers[0].terminated()).toBe(true);

    const q = pool.evaluate({ config: uniformConfig('mxint8'), mode: 'fake', ranges: [{ start: 0, end: 256 }], window: 256 });
    await delay(5);
    expect(loads).toBe(2);
    pool.cancel();
    await expect(q).rejects.toBeInstanceOf(CancelledError);
    expect(workers[1].terminated()).toBe(true);
    pool.dispose();
  });

  it('GPTQ: calibrates on the first worker, hands its Hessians to the others once (again after a restart), forgets them on a new model', async () => {
    const log: string[] = [];
    let made = 0;
    const H = [{ op: 'L0.q', K: 2, rows: 3, h: new Float64Array([1, 2, 2, 5]) }];
    const pool = new EmulatorPool(2, () => {
      const n = made++;
      const w = fakeWorker({
        load: async () => {
          log.push(`w${n} load`);
          return info('m');
        },
        calibrate: async (req: { start: number; end: number; window: number }) => {
          log.push(`w${n} calibrate ${req.start}-${req.end}/${req.window}`);
          return H;
        },
        setHessians: (h: typeof H | null) => {
          log.push(`w${n} set ${h ? `${h[0].op} ${[...h[0].h].join(',')}` : 'null'}`);
        },
        evaluate: async (req: { start: number; window: number; rounding?: string }) => {
          log.push(`w${n} eval ${req.rounding ?? '-'}`);
          return windowResult(req.start, req.window);
        },
      });
      return w;
    });
    await pool.load({ kind: 'default' }, 4096);
    const job = { config: uniformConfig('mxint:m=4'), mode: 'fake' as const, ranges: [{ start: 0, end: 256 }, { start: 256, end: 512 }], window: 256, rounding: 'gptq' as const };
    await expect(pool.evaluate(job)).rejects.toThrow(/GPTQ weights need a calibration of this model first/);
    await pool.idle();
    expect(pool.calibration()).toBeNull();
    const c = await pool.calibrate({ start: 32768, end: 34816 }, 256);
    expect(c).toMatchObject({ start: 32768, end: 34816, window: 256 });
    expect(pool.calibration()).toBe(c);
    expect(pool.hessians()).toEqual(H);
    log.length = 0;
    await pool.evaluate(job);
    await pool.evaluate(job);
    await pool.evaluate({ ...job, rounding: 'nearest' });
    expect(log.filter((l) => l.includes('set'))).toEqual(['w1 set L0.q 1,2,2,5']);
    expect(log.filter((l) => l.includes('eval')).sort()).toEqual(['w0 eval gptq', 'w0 eval gptq', 'w0 eval nearest', 'w1 eval gptq', 'w1 eval gptq', 'w1 eval nearest']);
    // a restarted worker reloads the model and gets the Hessians again before its next GPTQ window
    pool.cancel();
    log.length = 0;
    await pool.evaluate(job);
    expect(log.filter((l) => !l.includes('eval')).sort()).toEqual(['w2 load', 'w2 set L0.q 1,2,2,5', 'w3 load', 'w3 set L0.q 1,2,2,5']);
    // a new model: the calibration is gone
    await pool.load({ kind: 'url', url: 'https://example.org/m' }, 4096);
    expect(pool.calibration()).toBeNull();
    await expect(pool.evaluate(job)).rejects.toThrow(/need a calibration/);
    pool.dispose();
  });

  it('sweeps average Δ loss over windows', async () => {
    const pool = new EmulatorPool(2, () =>
      fakeWorker({ sensitivity: async (req) => [{ point: 'L0.q.w', deltaLoss: req.start === 0 ? 0.1 : 0.4 }] }),
    );
    await pool.load({ kind: 'default' }, 4096);
    // 1 window against 2: weights 1/3 and 2/3
    const r = await pool.sensitivity({ base: uniformConfig('mxint8'), spec: 'mxfp4', mode: 'fake', ranges: [{ start: 0, end: 256 }, { start: 256, end: 768 }], window: 256 });
    expect(r).toEqual([{ point: 'L0.q.w', deltaLoss: expect.closeTo(0.3, 12) }]);
    pool.dispose();
  });

  it('partitions whole windows evenly, first ranges longer; estimates take the head of each range', () => {
    expect(partition(4096, 256, 2)).toEqual([{ start: 0, end: 2048 }, { start: 2048, end: 4096 }]);
    expect(partition(1280, 256, 2)).toEqual([{ start: 0, end: 768 }, { start: 768, end: 1280 }]);
    expect(partition(600, 256, 4)).toEqual([{ start: 0, end: 256 }, { start: 256, end: 512 }]);
    expect(partition(100, 256, 2)).toEqual([{ start: 0, end: 256 }]);
    expect(estimateRanges(partition(4096, 256, 2), 64)).toEqual([{ start: 0, end: 64 }, { start: 2048, end: 2112 }]);
    expect(scoredTokens({ start: 0, end: 513 }, 256)).toBe(510);
    expect(scoredTokens({ start: 0, end: 514 }, 256)).toBe(511);
  });
});
