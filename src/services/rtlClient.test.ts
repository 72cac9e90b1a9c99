// The RTL client over a MessageChannel stand-in for the worker: a bundle comes back (made by core's
// real makeBundle from a component-library design), a refusal comes back as a value with the
// generator's target and reason, zip bytes unzip to the same files, cancel and a newer request
// terminate the worker in flight, and a crash settles the pending call.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { makeBundle, zipBundle } from '../core/rtl/bundle';
import { RtlError } from '../core/rtl/errors';
import { MX_LIBRARY } from '../core/rtl/mxLibrary';
import type { RtlApi, RtlOutcome, RtlProgress, RtlRequest } from '../../workers/api/rtl.api';
import { fakeWorker, type TestWorker } from './testWorker';
import { RtlCancelledError, RtlClient } from './rtlClient';

const REQ: RtlRequest = { source: { kind: 'default' }, modelKey: 'default', quant: { version: 1, rules: [['*', 'mxint8']] }, ops: 'all', lanes: { perOp: {} }, tokens: 4 };

/** What the real worker does once it has a design: bundle it, or report the generator's refusal. */
function standIn(opts: { hang?: boolean } = {}): Partial<RtlApi> {
  return {
    async generate(req, onProgress): Promise<RtlOutcome> {
      onProgress?.({ phase: 'layers', done: 1, total: 1, op: 'L0.q' });
      if (opts.hang) return new Promise(() => undefined);
      if (req.quant.rules[0][1] === 'mxfp4') {
        const e = new RtlError('L0.q', 'lanes must divide the block size');
        return { ok: false, error: { kind: 'rtl', message: e.message, target: e.target } };
      }
      const files = makeBundle({
        files: { 'rtl/hs_fifo.sv': MX_LIBRARY.hs_fifo.text, 'tb/tb_x.sv': 'module tb_x; hs_fifo u (); endmodule\n' },
        testbenches: [{ name: 'x', top: 'tb_x', sources: ['rtl/hs_fifo.sv', 'tb/tb_x.sv'] }],
        manifest: { ops: req.ops },
      });
      return { ok: true, result: { files, ops: ['L0.q'], testbenches: 1, ms: 1 } };
    },
    async zip(files, folder) {
      return zipBundle(files, folder ? { folder } : {});
    },
  };
}

describe('RtlClient', () => {
  it('returns the bundle and streams progress through the proxy', async () => {
    const client = new RtlClient(() => fakeWorker(standIn()));
    const prog: RtlProgress[] = [];
    const out = await client.generate(REQ, (p) => prog.push(p));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(Object.keys(out.result.files).sort()).toEqual(['Makefile', 'README.md', 'manifest.json', 'rtl/hs_fifo.sv', 'synth.ys', 'tb/tb_x.sv']);
    expect(out.result.files['rtl/hs_fifo.sv']).toBe(MX_LIBRARY.hs_fifo.text);
    expect(JSON.parse(out.result.files['manifest.json'] as string).ops).toBe('all');
    await new Promise((r) => setTimeout(r, 20));
    expect(prog).toEqual([{ phase: 'layers', done: 1, total: 1, op: 'L0.q' }]);
    const z = await client.zip(out.result.files, 'mx-rtl');
    const back = unzipSync(z);
    expect(strFromU8(back['mx-rtl/rtl/hs_fifo.sv'])).toBe(MX_LIBRARY.hs_fifo.text);
    expect(Object.keys(back)).toHaveLength(6);
    client.dispose();
  });

  it("a refused design point is a value carrying the generator's target and reason", async () => {
    const client = new RtlClient(() => fakeWorker(standIn()));
    const out = await client.generate({ ...REQ, quant: { version: 1, rules: [['*', 'mxfp4']] } });
    expect(out).toEqual({ ok: false, error: { kind: 'rtl', message: 'L0.q: lanes must divide the block size', target: 'L0.q' } });
    client.dispose();
  });

  it('cancel terminates the worker and rejects; a newer request replaces an older one; the next call gets a fresh worker', async () => {
    const made: TestWorker[] = [];
    let hang = true;
    const client = new RtlClient(() => {
      const w = fakeWorker(standIn({ hang }));
      made.push(w);
      return w;
    });
    const first = client.generate(REQ);
    await new Promise((r) => setTimeout(r, 10));
    client.cancel();
    await expect(first).rejects.toBeInstanceOf(RtlCancelledError);
    expect(made[0].terminated()).toBe(true);
    const older = client.generate(REQ);
    hang = false;
    const newer = client.generate(REQ);
    await expect(older).rejects.toBeInstanceOf(RtlCancelledError);
    expect(made[1].terminated()).toBe(true);
    expect((await newer).ok).toBe(true);
    expect(made).toHaveLength(3);
    client.dispose();
  });

  it('a crashed worker settles the pending call with a clear failure', async () => {
    let w: TestWorker | null = null;
    const client = new RtlClient(() => (w = fakeWorker(standIn({ hang: true }))));
    const p = client.generate(REQ);
    await new Promise((r) => setTimeout(r, 10));
    w!.crash('out of memory');
    expect(await p).toEqual({ ok: false, error: { kind: 'worker', message: 'The RTL worker stopped (out of memory). It restarts on the next request.' } });
    client.dispose();
  });
});
