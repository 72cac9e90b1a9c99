#!/usr/bin/python3
"""Export the default model's fp32 forward to ONNX, for the onnxruntime-web speed baseline.

usage: /usr/bin/python3 tools/xcheck/export_onnx.py [OUT.onnx] [--verify] [--runs 20]

OUT defaults to ~/.cache/mx-studio/sotu-llama-1m.onnx (never commit the .onnx). The graph is
tools/train/model.py's LlamaForCausalLM loaded from public/models/sotu-llama-1m: input `input_ids`
[1, T] int64 → output `logits` [1, T, vocab] float32, T dynamic, opset 14. torch 1.13 exports
without the `onnx` package.

Constant folding is off, so the tied embedding is stored once (folding would store a transposed copy
for the LM head); onnxruntime folds that Transpose in memory when the session is created.

--verify runs the file with onnxruntime-web (node_modules/onnxruntime-web, WASM backend, 1 thread,
under Node) on the first 256 and the first 64 test tokens, compares the logits with PyTorch's, and
times the 256-token forward (median of --runs after warm-up). The Node script is written to a
temporary folder; nothing is written in the repository.
"""
import argparse, json, os, subprocess, sys, tempfile, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
import np_forward  # noqa: E402
from export import load_into_model  # noqa: E402
from train_tokenizer import Tokenizer  # noqa: E402

MODEL_DIR = os.path.join(ROOT, "public", "models", "sotu-llama-1m")
DEFAULT_OUT = os.path.expanduser("~/.cache/mx-studio/sotu-llama-1m.onnx")
ORT = os.path.join(ROOT, "node_modules", "onnxruntime-web", "dist", "ort.node.min.mjs")

NODE_SCRIPT = r"""
import * as ort from %(ort)s;
import { readFileSync } from 'node:fs';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const [model, dir, runs] = [%(model)s, %(dir)s, %(runs)d];
const t0 = performance.now();
const sess = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
const createMs = performance.now() - t0;
const out = { createMs, inputs: sess.inputNames, outputs: sess.outputNames, cases: [] };
for (const T of [256, 64]) {
  const ids = BigInt64Array.from(JSON.parse(readFileSync(`${dir}/ids${T}.json`, 'utf8')).map(BigInt));
  const want = new Float32Array(readFileSync(`${dir}/logits${T}.f32`).buffer.slice(0));
  const feeds = { input_ids: new ort.Tensor('int64', ids, [1, T]) };
  let res = await sess.run(feeds);
  const got = res.logits.data;
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < want.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i])); maxRef = Math.max(maxRef, Math.abs(want[i])); }
  const c = { T, dims: res.logits.dims, maxAbsDiff: maxAbs, maxAbsLogit: maxRef };
  if (T === 256) {
    for (let i = 0; i < 5; i++) await sess.run(feeds);  // warm-up
    const wall = [], cpu = [];
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage(), w0 = performance.now();
      res = await sess.run(feeds);
      wall.push(performance.now() - w0);
      const d = process.cpuUsage(c0); cpu.push((d.user + d.system) / 1000);
    }
    const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    Object.assign(c, { runs, wallMsMedian: med(wall), wallMsMin: Math.min(...wall), cpuMsMedian: med(cpu) });
  }
  out.cases.push(c);
}
console.log(JSON.stringify(out));
"""


def load():
    cfg, W, _ = np_forward.load_folder(MODEL_DIR)
    return load_into_model(cfg, W)


class Wrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids)


def export(model, out):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    example = torch.zeros(1, 16, dtype=torch.int64)
    torch.onnx.export(Wrapper(model), (example,), out, opset_version=14, input_names=["input_ids"],
                      output_names=["logits"], dynamic_axes={"input_ids": {1: "T"}, "logits": {1: "T"}},
                      do_constant_folding=False)


def verify(model, out, runs):
    tok = Tokenizer.from_hf(os.path.join(MODEL_DIR, "tokenizer.json"))
    with open(os.path.join(MODEL_DIR, "test.txt"), encoding="utf-8") as fh:
        ids = tok.encode(fh.read())[:256]
    with tempfile.TemporaryDirectory() as d:
        for T in (256, 64):
            with torch.no_grad():
                logits = model(torch.tensor([ids[:T]]))[0]
            with open(os.path.join(d, f"ids{T}.json"), "w") as fh:
                json.dump(ids[:T], fh)
            logits.numpy().astype("<f4").tofile(os.path.join(d, f"logits{T}.f32"))
        # PyTorch timing of the same 256-token forward, for comparison (1 thread, CPU time)
        x = torch.tensor([ids])
        with torch.no_grad():
            for _ in range(5):
                model(x)
            ts = []
            for _ in range(runs):
                c0 = time.process_time()
                model(x)
                ts.append((time.process_time() - c0) * 1000)
        script = os.path.join(d, "verify.mjs")
        with open(script, "w") as fh:
            fh.write(NODE_SCRIPT % {"ort": json.dumps("file://" + ORT), "model": json.dumps(os.path.abspath(out)),
                                    "dir": json.dumps(d), "runs": runs})
        r = subprocess.run(["node", script], capture_output=True, text=True, cwd=ROOT)
        if r.returncode:
            sys.exit(f"node failed:\n{r.stdout}\n{r.stderr}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
    res["torch_cpu_ms_median_256"] = sorted(ts)[len(ts) // 2]
    print(json.dumps(res, indent=1))
    for c in res["cases"]:
        assert c["maxAbsDiff"] < 1e-4, c
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=DEFAULT_OUT)
    ap.add_argument("--verify", action="store_true", help="compare with onnxruntime-web under Node and time it")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load()
    t0 = time.time()
    export(model, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) in {time.time() - t0:.1f} s")
    if args.verify:
        verify(model, args.out, args.runs)


if __name__ == "__main__":
    main()
