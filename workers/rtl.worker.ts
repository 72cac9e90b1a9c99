/**
 * RTL worker: a thin comlink facade over src/core/rtl — the model-level generator (MODEL_GENERATOR,
 * which encodes the weights and runs the emulator's integer mode for the testbench vectors) and the
 * bundle (makeBundle, zipBundle) — for the Verilog pane. It holds its own copy of the model (loaded
 * with src/core/model from the same places the emulate worker uses) and keeps the last one, so
 * regenerating after a format change does not reload it.
 *
 * The emulator runs on core's TypeScript here (no WASM kernels): the vectors need a few tokens,
 * not a perplexity run, and the numbers are the same bit for bit.
 */
import * as Comlink from 'comlink';
import { buildGraph, resolveConfig, type Graph } from '../src/core/graph';
import { formatToString } from '../src/core/formats';
import { loadModel, ModelError, modelSourceFromFiles, modelSourceFromUrl, type LoadedModel, type ModelFileSource } from '../src/core/model';
import { MODEL_GENERATOR, makeBundle, zipBundle, type BundleFiles } from '../src/core/rtl/bundle';
import { RtlError } from '../src/core/rtl/errors';
import { GptqRounder } from '../src/core/rounding';
import type { ModelSourceSpec, RtlApi, RtlFailure, RtlOutcome, RtlProgress, RtlRequest } from './api/rtl.api';

/** The shipped default model and its held-out text (the stimulus), served at the site root. */
const DEFAULT_DIR = new URL(`${import.meta.env.BASE_URL}models/sotu-llama-1m/`, self.location.origin).href;
const DEFAULT_NAME = 'sotu-llama-1m';
const TEXT_URL = new URL('test.txt', DEFAULT_DIR).href;
const TEXT_NAME = 'sotu-llama-1m/test.txt';

function sourceOf(src: ModelSourceSpec): ModelFileSource {
  if (src.kind === 'files') return modelSourceFromFiles(src.files, src.name);
  const url = src.kind === 'default' ? DEFAULT_DIR : src.url;
  const s = modelSourceFromUrl(url, (u) => fetch(u));
  return src.kind === 'default' ? { name: DEFAULT_NAME, read: (f) => s.read(f) } : s;
}

let cached: { key: string; model: LoadedModel; graph: Graph } | null = null;
let rounder: { key: string; r: GptqRounder } | null = null;
let text: Promise<string> | null = null;

function stimulusText(): Promise<string> {
  text ??= fetch(TEXT_URL).then(async (r) => {
    if (!r.ok) throw new Error(`the stimulus text ${TEXT_URL} could not be fetched (HTTP ${r.status})`);
    return r.text();
  });
  text.catch(() => (text = null));
  return text;
}

function throttled(fn: ((p: RtlProgress) => void) | undefined, ms = 100): (p: RtlProgress) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (fn && now - last >= ms) {
      last = now;
      fn(p);
    }
  };
}

function failure(e: unknown): RtlFailure {
  if (e instanceof RtlError) return { kind: 'rtl', message: e.message, target: e.target };
  if (e instanceof ModelError) return { kind: 'model', message: e.message };
  return { kind: 'worker', message: e instanceof Error ? e.message : String(e) };
}

const api: RtlApi = {
  async generate(req: RtlRequest, onProgress): Promise<RtlOutcome> {
    const t0 = performance.now();
    const progress = throttled(onProgress);
    try {
      if (!cached || cached.key !== req.modelKey) {
        cached = null;
        progress({ phase: 'model' });
        const model = await loadModel(sourceOf(req.source), { onProgress: (p) => progress({ phase: 'model', file: p.file, loaded: p.loaded }) });
        cached = { key: req.modelKey, model, graph: buildGraph(model.config) };
      }
      const { graph } = cached;
      // GPTQ weights: the same formats (so the same RTL), other grid values in the weight memories and the vectors
      let model: LoadedModel = cached.model;
      if (req.gptq) {
        if (!rounder || rounder.key !== `${req.modelKey}|${req.gptq.id}`) {
          for (const e of req.gptq.hessians) if (!graph.opById.has(e.op) || e.h.length !== e.K * e.K) throw new RtlError('rtl', `the GPTQ calibration does not fit ${cached.model.name} (${e.op})`);
          rounder = { key: `${req.modelKey}|${req.gptq.id}`, r: new GptqRounder(cached.model, graph, new Map(req.gptq.hessians.map((e) => [e.op, e]))) };
        }
        model = rounder.r.model(req.quant).model;
      }
      const ops =
        req.ops === 'all'
          ? graph.ops.filter((o) => MODEL_GENERATOR.supports(o)).map((o) => o.id)
          : req.ops.map((id) => {
              if (!graph.opById.has(id)) throw new RtlError(id, `no such layer in ${model.name}`);
              return id;
            });
      if (!ops.length) throw new RtlError('rtl', 'no layer of this model can be generated');
      if (!(req.tokens >= 1 && req.tokens <= model.config.maxPositions)) throw new RtlError('rtl', `stimulus tokens must be 1…${model.config.maxPositions} (the model's context), got ${req.tokens}`);
      // A prefix is enough for a few tokens; BPE does not merge across the cut's pre-tokenizer split far before it.
      const ids = model.tokenizer.encode((await stimulusText()).slice(0, 64 * req.tokens + 4096)).slice(0, req.tokens);
      const design = await MODEL_GENERATOR.generate({
        model,
        graph,
        quant: req.quant,
        ops,
        lanes: req.lanes,
        ids,
        onProgress: (done, total, op) => progress({ phase: 'layers', done, total, op }),
      });
      progress({ phase: 'bundle' });
      const resolved = resolveConfig(graph, req.quant);
      const formats = Object.fromEntries(ops.flatMap((id) => graph.opById.get(id)!.points.map((p) => [p, formatToString(resolved.formats.get(p)!)])));
      if ('request' in design.manifest) throw new RtlError('rtl', 'the generator manifest must not have a "request" key: the studio adds it');
      const files: BundleFiles = makeBundle({
        ...design,
        manifest: { ...design.manifest, request: { model: model.name, ops, formats, unmatched_rules: resolved.unmatched, lanes: req.lanes, tokens: { count: ids.length, text: TEXT_NAME }, rounding: req.gptq ? { method: 'gptq', calibration: req.gptq.id } : { method: 'nearest' } } },
      });
      return { ok: true, result: { files, ops, testbenches: design.testbenches.length, ms: performance.now() - t0 } };
    } catch (e) {
      return { ok: false, error: failure(e) };
    }
  },

  async zip(files: BundleFiles, folder?: string): Promise<Uint8Array> {
    const z = zipBundle(files, folder ? { folder } : {});
    return Comlink.transfer(z, [z.buffer as ArrayBuffer]);
  },
};

Comlink.expose(api);
