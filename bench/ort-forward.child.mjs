// onnxruntime-web in a child process of forward.bench.ts, so its forward and the emulator's can be
// measured in alternation (the same load for both) without ORT's idle thread inflating the parent's
// process CPU time. Protocol (IPC): the parent sends { onnx, ids } once → { ready, version }; then
// { runs } → { ms }: the best of `runs` forwards of min(process CPU time, wall time) — the idle
// thread inflates the one, other load the other; the smaller never makes ORT look slower than
// either measure says.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let sess;
let feeds;

process.on('message', async (m) => {
  try {
    if (m.onnx) {
      const ort = await import(join(root, 'node_modules/onnxruntime-web/dist/ort.node.min.mjs'));
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'error';
      sess = await ort.InferenceSession.create(m.onnx, { executionProviders: ['wasm'] });
      feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(m.ids.map(BigInt)), [1, m.ids.length]) };
      for (let i = 0; i < 3; i++) await sess.run(feeds);
      process.send({ ready: true, version: ort.env.versions?.web ?? '' });
      return;
    }
    let ms = Infinity;
    for (let i = 0; i < m.runs; i++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await sess.run(feeds);
      const wall = performance.now() - w0;
      const c = process.cpuUsage(c0);
      ms = Math.min(ms, (c.user + c.system) / 1000, wall);
    }
    process.send({ ms });
  } catch (e) {
    process.send({ error: String(e?.message ?? e) });
  }
});
