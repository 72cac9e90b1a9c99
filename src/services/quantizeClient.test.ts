// The client's cancel and crash paths, with a MessageChannel standing in for the worker.
import { describe, expect, it } from 'vitest';
import { fakeWorker as makeFakeWorker } from './testWorker';
import { CancelledError, QuantizeClient, WorkerCrashedError } from './quantizeClient';
import type { QuantizeApi, QuantizeResult } from '../../workers/api/quantize.api';

function fakeWorker(api: Partial<QuantizeApi>) {
  return makeFakeWorker({ init: async () => ({ flavor: 'simd' }), ...api });
}

describe('QuantizeClient', () => {
  it('returns results and kernel info from the worker', async () => {
    const client = new QuantizeClient(() => fakeWorker({ generate: async (g) => new Float32Array(g.n).fill(1) }));
    expect(await client.info()).toEqual({ flavor: 'simd' });
    expect(Array.from(await client.generate({ dist: 'normal', n: 3, seed: 1 }))).toEqual([1, 1, 1]);
    client.dispose();
  });

  it('cancel terminates a hung run, rejects it with CancelledError, and the next call uses a new worker', async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    const client = new QuantizeClient(() => {
      const w = fakeWorker({ run: () => new Promise<QuantizeResult>(() => undefined), generate: async () => new Float32Array(2) });
      workers.push(w);
      return w;
    });
    const p = client.run({ spec: 'mxfp4', data: new Float32Array(4), shape: [4] });
    await client.info();
    client.cancel();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(workers[0].terminated()).toBe(true);
    expect((await client.generate({ dist: 'normal', n: 2, seed: 1 })).length).toBe(2);
    expect(workers.length).toBe(2);
    client.dispose();
  });

  it('a crashed worker rejects pending calls with a clear WorkerCrashedError', async () => {
    let w!: ReturnType<typeof fakeWorker>;
    const client = new QuantizeClient(() => (w = fakeWorker({ run: () => new Promise<QuantizeResult>(() => undefined) })));
    const p = client.run({ spec: 'mxfp4', data: new Float32Array(4), shape: [4] });
    w.crash('out of memory');
    await expect(p).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(p).rejects.toThrow(/crashed \(out of memory\)/);
    expect(w.terminated()).toBe(true);
    client.dispose();
  });
});
