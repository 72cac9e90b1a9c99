// The synthesis client over a MessageChannel stand-in for the worker: events stream through the
// comlink proxy, failures arrive as values with kind and location, cancel terminates and a new
// worker serves the next call, a crash settles the pending run. The stand-in runs core's real
// synthesize() over a scripted Yosys (the real YoWASP path is in src/core/hdl/synth.test.ts and
// e2e/synthesis.spec.ts).
import { describe, expect, it } from 'vitest';
import { HdlError, synthesize, type YosysRun } from '../core/hdl';
import type { SynthApi, SynthOutcome } from '../../workers/api/synth.api';
import { fakeWorker } from './testWorker';
import { LogFeed, SynthCancelledError, SynthClient, type SynthProgress } from './synthClient';

const DESIGN = { files: { 'm.sv': 'module m; endmodule\n' }, top: 'm' };

const yosys: YosysRun = async (args, files, output) => {
  if (files['m.sv'].includes('oops')) {
    output('1. Executing Verilog-2005 frontend: m.sv\nm.sv:1: ERROR: syntax error, unexpected TOK_ID\n');
    return 1;
  }
  output(`1. Executing Verilog-2005 frontend: m.sv\n2. Executing SYNTH_XILINX pass.\n3. Printing statistics.\n\n=== m ===\n   Number of cells:   7\n     LUT6   4\n     FDRE   3\n`);
  return args[1].includes('synth_xilinx') ? 0 : 1;
};

/** What the real worker does, minus loading YoWASP. */
function standIn(run: YosysRun = yosys): Partial<SynthApi> {
  return {
    init: async () => ({ yowasp: 'test', loadMs: 0 }),
    run: async (design, flows, onEvent) => {
      try {
        const report = await synthesize(run, design, flows, { onLog: (text) => void onEvent({ kind: 'log', text }), onProgress: (progress) => void onEvent({ kind: 'progress', progress }) });
        return { ok: true, report };
      } catch (e) {
        const h = e as HdlError;
        return { ok: false, error: { kind: h.kind, message: h.message, ...(h.where ? { where: h.where } : {}) } };
      }
    },
  };
}

describe('SynthClient', () => {
  it('runs a design and streams the log and progress through the proxy', async () => {
    const client = new SynthClient(() => fakeWorker(standIn()));
    let log = '';
    const prog: SynthProgress[] = [];
    const out = await client.run(DESIGN, ['fpga'], { onLog: (t) => (log += t), onProgress: (p) => prog.push(p) });
    expect(out.ok).toBe(true);
    expect(out.ok && out.report.flows[0].fpga).toMatchObject({ luts: 4, ffs: 3, cells: 7 });
    // Proxy messages may trail the result by a tick.
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toContain("$ yosys -p 'read_verilog -sv m.sv; synth_xilinx -flatten -nodsp -top m; stat'");
    expect(log).toContain('[yosys exited with status 0');
    expect(prog.at(-1)?.fraction).toBe(1);
    client.dispose();
  });

  it('Verilog that does not parse comes back as a value with its kind and location', async () => {
    const client = new SynthClient(() => fakeWorker(standIn()));
    const out = await client.run({ files: { 'm.sv': 'oops' }, top: 'm' }, ['fpga']);
    expect(out).toEqual({ ok: false, error: { kind: 'verilog', message: 'm.sv:1: syntax error, unexpected TOK_ID\n  1 | oops', where: { file: 'm.sv', line: 1 } } });
    const bad = await client.run({ files: { 'm.sv': '' }, top: '1x' }, ['fpga']);
    expect(bad.ok === false && bad.error.kind).toBe('request');
    client.dispose();
  });

  it('cancel terminates the running worker, rejects the run, and the next run gets a new worker', async () => {
    const workers: ReturnType<typeof fakeWorker>[] = [];
    let hang = true;
    const client = new SynthClient(() => {
      const w = fakeWorker({ ...standIn(), run: hang ? () => new Promise<SynthOutcome>(() => undefined) : standIn().run });
      workers.push(w);
      return w;
    });
    const p = client.run(DESIGN, ['fpga']);
    await client.init();
    client.cancel();
    await expect(p).rejects.toBeInstanceOf(SynthCancelledError);
    expect(workers[0].terminated()).toBe(true);
    hang = false;
    const again = await client.run(DESIGN, ['fpga']);
    expect(again.ok).toBe(true);
    expect(workers.length).toBe(2);
    client.dispose();
  });

  it('a crashed worker settles the run with a clear tool failure', async () => {
    let w!: ReturnType<typeof fakeWorker>;
    const client = new SynthClient(() => (w = fakeWorker({ ...standIn(), run: () => new Promise<SynthOutcome>(() => undefined) })));
    const p = client.run(DESIGN, ['fpga']);
    await new Promise((r) => setTimeout(r, 5));
    w.crash('out of memory');
    const out = await p;
    expect(out).toEqual({ ok: false, error: { kind: 'tool', message: 'The synthesis worker stopped (out of memory). It restarts on the next run.' } });
    expect(w.terminated()).toBe(true);
    client.dispose();
  });
});

describe('LogFeed', () => {
  it('keeps the newest text within its limit and tells followers about appends and clears', () => {
    const feed = new LogFeed(10);
    const seen: string[] = [];
    const off = feed.subscribe((t) => seen.push(t));
    feed.append('abcdef');
    feed.append('ghijkl');
    expect(feed.text()).toBe('ghijkl');
    feed.append('');
    feed.clear();
    expect(feed.text()).toBe('');
    expect(feed.generation).toBe(1);
    off();
    feed.append('zz');
    expect(seen).toEqual(['abcdef', 'ghijkl', '']);
  });
});
