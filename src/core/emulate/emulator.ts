/**
 * The emulator: perplexity, accuracy, KL to the fp32 model and per-point statistics of a quantized
 * model on a token stream, with incremental re-evaluation for config edits and searches.
 *
 * Protocol (default-model-and-data.md §7): the tokens are cut into non-overlapping windows of
 * `window` tokens (a last partial window of ≥ 2 tokens is included); each window runs on its own at
 * positions 0..len−1 and its positions 0..len−2 predict tokens 1..len−1. NLL is −log_softmax of the
 * float32 logits computed in float64 (natural log); perplexity = exp(mean NLL).
 *
 * Caches (bounded by EmulatorOptions.cacheBytes; beyond the budget windows are recomputed):
 *  - per window, the fp32 reference logits rows and their log-sum-exp, for KL and top-1 agreement;
 *  - per window, the last run's residual stream entering every decoder block, its per-point
 *    statistics and metrics. A config that differs from the cached one only in points of blocks ≥ l
 *    (or only in head.*) re-runs from block l; results are identical to a full run, bit for bit;
 *  - quantized weights by (point, format), across configs (quant.ts).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { buildGraph, EMPTY_CONFIG, parseConfig, resolveConfig, type Graph, type QuantConfig } from '../graph';
import { FP32, formatToString, parseFormat, type FormatSpec } from '../formats';
import type { LoadedModel } from '../model/types';
import { checkAct, DEFAULT_ACT, type ActFormat } from '../datapath';
import { FormatError } from '../formats';
import { Forward, type HwTrace, type RunResult, type RunSpec } from './forward';
import { addAcc, emptyAcc, Quantizer, WeightCache, type PointAcc } from './quant';
import { klRow, logitRowStats } from './linalg';
import type { FloatKernel } from '../kernels';
import { EmulatorError, type AbortSignalLike, type EmulatorKernels, type EmulatorOptions, type EvalMode, type EvalOptions, type EvalResult, type PointStats } from './types';

const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;
/** Share of the window budget the fp32 references may take, so block inputs always find room. */
const REF_SHARE = 0.75;
const PROGRESS_MS = 100;
const YIELD_MS = 25;

interface WindowMetrics {
  nll: number;
  correct: number;
  /** Σ KL over the window's predictions, or null without the reference. */
  kl: number | null;
  agree: number | null;
}

interface RefEntry {
  /** fp32 logits rows 0..len−2, [len−1, vocab]. */
  logits: Float32Array;
  lse: Float64Array;
  argmax: Int32Array;
}

interface RunEntry {
  mode: EvalMode;
  specs: Map<string, string>;
  blockInputs: (Float32Array | undefined)[];
  acts: Map<string, PointAcc>;
  weights: Map<string, PointAcc>;
  fallback: Set<string>;
  metrics: WindowMetrics;
  bytes: number;
}

interface WindowEntry {
  ids: Int32Array;
  ref?: RefEntry;
  refBytes: number;
  run?: RunEntry;
}

interface WindowSlice {
  key: string;
  ids: number[];
}

function nowMs(): number {
  return Date.now();
}

function yieldToEventLoop(): Promise<void> {
  const st = (globalThis as { setTimeout?: (fn: () => void, ms: number) => unknown }).setTimeout;
  return new Promise((resolve) => (st ? st(resolve, 0) : resolve()));
}

function abortError(signal: AbortSignalLike): Error {
  const e = new Error('evaluation aborted', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

function sameIds(a: Int32Array, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Emulator {
  readonly graph: Graph;
  private readonly fwd: Forward;
  /** The per-row lse / argmax / KL on the float GEMM kernel's module (same bits as linalg.ts), when loaded. */
  private readonly flk: FloatKernel | undefined;
  private readonly budget: number;
  private readonly windows = new Map<string, WindowEntry>();
  /** Bytes held by fp32 references and by cached runs (block inputs). */
  private usedRef = 0;
  private usedRun = 0;

  constructor(
    readonly model: LoadedModel,
    kernels: EmulatorKernels = {},
    options: EmulatorOptions = {},
  ) {
    this.graph = buildGraph(model.config);
    this.budget = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.flk = kernels.f32gemm?.float;
    const q = new Quantizer(kernels.quant);
    const weightBudget = options.weightCacheBytes ?? 8 * model.numParams + 64 * 1024 * 1024;
    let act: ActFormat = DEFAULT_ACT;
    if (options.act) {
      try {
        act = checkAct({ w: options.act.w, f: options.act.f });
      } catch (e) {
        if (e instanceof FormatError) throw new EmulatorError(`options.act: ${e.message}`);
        throw e;
      }
    }
    this.act = act;
    this.fwd = new Forward(model, this.graph, kernels, new WeightCache(q, weightBudget, options.weightSource), q, act);
  }

  /** The ACT fixed-point format of integer mode. */
  readonly act: ActFormat;

  /** Drop every cached window, reference and quantized weight. */
  clearCache(): void {
    this.windows.clear();
    this.usedRef = 0;
    this.usedRun = 0;
    this.fwd.weightCache.clear();
  }

  private specsOf(config: QuantConfig, mode: EvalMode): { spec: RunSpec; strings: Map<string, string>; unmatched: string[] } {
    if (mode !== 'fp32' && mode !== 'fake' && mode !== 'integer') throw new EmulatorError(`mode must be fp32, fake or integer (got ${JSON.stringify(mode)})`);
    // validate untrusted configs here: ConfigErrors name the rule (rules[2][1]: …)
    const cfg = parseConfig(config);
    const r = resolveConfig(this.graph, cfg);
    const formats = new Map<string, FormatSpec>();
    const strings = new Map<string, string>();
    for (const p of this.graph.points) {
      const f = mode === 'fp32' ? FP32 : (r.formats.get(p.id) ?? FP32);
      formats.set(p.id, f);
      strings.set(p.id, formatToString(f));
    }
    return { spec: { mode, formats }, strings, unmatched: mode === 'fp32' ? [] : [...r.unmatched] };
  }

  /**
   * Logits [T, vocab] of one sequence at positions 0..T−1. Without a config the model runs in fp32;
   * with one, `mode` defaults to fake. `trace` sees every linear and attention matmul output; in
   * integer mode `hw` sees every op's ACT inputs and output and every integer GEMM operand's
   * encoding (HwTrace; README "For the RTL generator").
   */
  logits(ids: readonly number[], config?: QuantConfig, mode?: EvalMode, opts: { trace?: (op: string, out: Float32Array) => void; hw?: HwTrace } = {}): Float32Array {
    const m = mode ?? (config ? 'fake' : 'fp32');
    const { spec } = this.specsOf(config ?? EMPTY_CONFIG, m);
    if (opts.hw && m !== 'integer') throw new EmulatorError(`the hardware trace needs mode 'integer' (got ${JSON.stringify(m)})`);
    return this.fwd.run(ids, spec, { trace: opts.trace, hw: opts.hw }).logits;
  }

  /** The windows of the protocol (see the file comment). */
  private cut(tokens: readonly number[], window: number, maxTokens: number | undefined): WindowSlice[] {
    const c = this.graph.config;
    if (!Number.isInteger(window) || window < 2 || window > c.maxPositions) {
      throw new EmulatorError(`window must be an integer from 2 to the model's context ${c.maxPositions} (got ${window})`);
    }
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 2)) throw new EmulatorError(`maxTokens must be an integer ≥ 2 (got ${maxTokens})`);
    const n = Math.min(tokens.length, maxTokens ?? Infinity);
    const out: WindowSlice[] = [];
    for (let s = 0; s < n; s += window) {
      const len = Math.min(window, n - s);
      if (len >= 2) out.push({ key: `${s}:${len}`, ids: tokens.slice(s, s + len) as number[] });
    }
    if (!out.length) throw new EmulatorError(`need at least 2 tokens to predict one (got ${n})`);
    return out;
  }

  private entry(w: WindowSlice): WindowEntry {
    let e = this.windows.get(w.key);
    if (e && !sameIds(e.ids, w.ids)) {
      this.usedRef -= e.refBytes;
      this.usedRun -= e.run?.bytes ?? 0;
      e = undefined;
    }
    if (!e) {
      e = { ids: Int32Array.from(w.ids), refBytes: 0 };
      this.windows.set(w.key, e);
    }
    return e;
  }

  private refOf(logits: Float32Array, len: number): RefEntry {
    const V = this.graph.config.vocabSize;
    const n = len - 1;
    if (this.flk) {
      const r = this.flk.logitRows(logits, n, V);
      return { logits: logits.slice(0, n * V), lse: r.lse, argmax: r.arg };
    }
    const lse = new Float64Array(n);
    const argmax = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      const r = logitRowStats(logits, t * V, V);
      lse[t] = r.lse;
      argmax[t] = r.arg;
    }
    return { logits: logits.slice(0, n * V), lse, argmax };
  }

  /** The fp32 reference of a window: cached, or computed (and cached when the budget allows). */
  private reference(w: WindowSlice, e: WindowEntry): RefEntry {
    if (e.ref) return e.ref;
    const { spec } = this.specsOf(EMPTY_CONFIG, 'fp32');
    const ref = this.refOf(this.fwd.run(w.ids, spec).logits, w.ids.length);
    this.keepRef(e, ref);
    return ref;
  }

  private keepRef(e: WindowEntry, ref: RefEntry): void {
    const bytes = ref.logits.byteLength + ref.lse.byteLength + ref.argmax.byteLength;
    if (!e.ref && this.usedRef + bytes <= REF_SHARE * this.budget && this.usedRef + this.usedRun + bytes <= this.budget) {
      e.ref = ref;
      e.refBytes = bytes;
      this.usedRef += bytes;
    }
  }

  private metrics(logits: Float32Array, ids: readonly number[], ref: RefEntry | null): WindowMetrics {
    const V = this.graph.config.vocabSize;
    const n = ids.length - 1;
    let nll = 0;
    let correct = 0;
    let kl = 0;
    let agree = 0;
    // per row: lse and argmax of the logits, KL to the reference (the kernel's rows = the twins', bit for bit)
    const rows = this.flk?.logitRows(logits, n, V, ref ?? undefined);
    for (let t = 0; t < n; t++) {
      const o = t * V;
      const { lse, arg } = rows ? { lse: rows.lse[t], arg: rows.arg[t] } : logitRowStats(logits, o, V);
      const y = ids[t + 1];
      nll += lse - logits[o + y];
      if (arg === y) correct++;
      if (ref) {
        if (arg === ref.argmax[t]) agree++;
        kl += rows ? rows.kl![t] : klRow(ref.logits, ref.lse[t], logits, lse, o, V);
      }
    }
    return { nll, correct, kl: ref ? kl : null, agree: ref ? agree : null };
  }

  /** Layer index of a point for incremental runs (head.* → numLayers). */
  private layerOf(point: string): number {
    const p = this.graph.pointById.get(point);
    return p?.layer ?? this.graph.config.numLayers;
  }

  private opLayer(op: string): number {
    return this.graph.opById.get(op)?.layer ?? this.graph.config.numLayers;
  }

  /** One window under one config: incremental when the cache allows. */
  private runWindow(w: WindowSlice, spec: RunSpec, strings: Map<string, string>, wantRef: boolean): RunEntry {
    const e = this.entry(w);
    const L = this.graph.config.numLayers;
    const ref = wantRef ? this.reference(w, e) : null;
    const prev = e.run && e.run.mode === spec.mode ? e.run : undefined;
    let start = 0;
    if (prev) {
      let first = L + 1;
      for (const [p, s] of strings) if (prev.specs.get(p) !== s) first = Math.min(first, this.layerOf(p));
      if (first > L) {
        // nothing changed: reuse the metrics when they hold what is asked, else re-run the head
        if (!wantRef || prev.metrics.kl !== null) {
          return { ...prev, metrics: wantRef ? prev.metrics : { ...prev.metrics, kl: null, agree: null } };
        }
        first = L;
      }
      if (prev.blockInputs[first]) start = first;
    }
    let r: RunResult;
    if (prev && start > 0) {
      r = this.fwd.run(w.ids, spec, { from: { layer: start, input: prev.blockInputs[start]! } });
      // points and ops before the start block are unchanged: keep their cached statistics
      for (const [p, a] of prev.acts) if (this.layerOf(p) < start) r.acts.set(p, a);
      for (const [p, a] of prev.weights) if (this.layerOf(p) < start) r.weights.set(p, a);
      for (const o of prev.fallback) if (this.opLayer(o) < start) r.fallback.add(o);
      for (let l = 0; l < start; l++) r.blockInputs[l] = prev.blockInputs[l];
    } else {
      r = this.fwd.run(w.ids, spec);
    }
    if (spec.mode === 'fp32' && !e.ref) this.keepRef(e, this.refOf(r.logits, w.ids.length));
    const metrics = this.metrics(r.logits, w.ids, ref);
    // nothing holds the logits now (the reference, if made from them, is a copy): the next run refills them
    if (spec.mode !== 'integer') this.fwd.giveBack(r.logits);
    // the run replaces the window's previous one; keep its block inputs while the budget allows
    if (e.run) {
      this.usedRun -= e.run.bytes;
      // the previous run's block inputs that this run does not reuse are held by nothing now: refilled later
      if (e.run.mode !== 'integer') {
        const reused = new Set(r.blockInputs);
        for (const b of e.run.blockInputs) if (b && !reused.has(b)) this.fwd.giveBack(b);
      }
    }
    let bytes = 0;
    for (const b of r.blockInputs) if (b) bytes += b.byteLength;
    const keepInputs = this.usedRef + this.usedRun + bytes <= this.budget;
    const run: RunEntry = {
      mode: spec.mode,
      specs: strings,
      blockInputs: keepInputs ? r.blockInputs : [],
      acts: r.acts,
      weights: r.weights,
      fallback: r.fallback,
      metrics,
      bytes: keepInputs ? bytes : 0,
    };
    this.usedRun += run.bytes;
    e.run = run;
    return run;
  }

  /**
   * Evaluate a config on a token stream (see the file comment for the protocol). Rejects with a
   * ConfigError for an invalid config, an EmulatorError for bad tokens / window, and an Error named
   * 'AbortError' when the signal aborts (checked between windows).
   */
  async evaluate(tokens: readonly number[], config: QuantConfig, opts: EvalOptions): Promise<EvalResult> {
    const t0 = nowMs();
    const mode = opts.mode;
    const { spec, strings, unmatched } = this.specsOf(config, mode);
    const wins = this.cut(tokens, opts.window ?? this.graph.config.maxPositions, opts.maxTokens);
    const wantRef = mode !== 'fp32' && opts.reference !== false;
    let lastReport = t0;
    let lastYield = t0;
    const runs: RunEntry[] = [];
    for (let i = 0; i < wins.length; i++) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      runs.push(this.runWindow(wins[i], spec, strings, wantRef));
      const now = nowMs();
      if (opts.onProgress && (now - lastReport >= PROGRESS_MS || i === wins.length - 1)) {
        lastReport = now;
        opts.onProgress(i + 1, wins.length);
      }
      if (now - lastYield >= YIELD_MS && i < wins.length - 1) {
        await yieldToEventLoop();
        lastYield = nowMs();
      }
    }
    if (opts.signal?.aborted) throw abortError(opts.signal);
    return this.aggregate(mode, wins, runs, spec, unmatched, wantRef, nowMs() - t0);
  }

  private aggregate(mode: EvalMode, wins: WindowSlice[], runs: RunEntry[], spec: RunSpec, unmatched: string[], wantRef: boolean, ms: number): EvalResult {
    let nll = 0;
    let correct = 0;
    let kl = 0;
    let agree = 0;
    let n = 0;
    for (let i = 0; i < runs.length; i++) {
      const m = runs[i].metrics;
      nll += m.nll;
      correct += m.correct;
      kl += m.kl ?? 0;
      agree += m.agree ?? 0;
      n += wins[i].ids.length - 1;
    }
    const points: Record<string, PointStats> = {};
    for (const p of this.graph.points) {
      const f = spec.formats.get(p.id);
      if (mode === 'fp32' || !f || f.kind === 'fp32') continue;
      let acc: PointAcc | undefined;
      if (p.isWeight) {
        for (const r of runs) if ((acc = r.weights.get(p.id))) break;
      } else {
        acc = emptyAcc();
        for (const r of runs) {
          const a = r.acts.get(p.id);
          if (a) addAcc(acc, a);
        }
      }
      if (!acc) continue;
      points[p.id] = {
        sqnrDb: acc.err === 0 ? Infinity : acc.sig === 0 ? -Infinity : 10 * Math.log10(acc.sig / acc.err),
        saturated: acc.saturated,
        underflow: acc.underflow,
        nanBlocks: acc.nanBlocks,
        elements: acc.elements,
        signalEnergy: acc.sig,
        noiseEnergy: acc.err,
      };
    }
    const fallback = new Set<string>();
    for (const r of runs) for (const o of r.fallback) fallback.add(o);
    const meanNll = nll / n;
    return {
      mode,
      perplexity: Math.exp(meanNll),
      accuracy: correct / n,
      meanNll,
      tokens: n,
      windowNllSums: runs.map((r) => r.metrics.nll),
      windows: wins.length,
      window: wins[0].ids.length,
      kl: wantRef ? kl / n : null,
      top1Agreement: wantRef ? agree / n : null,
      points,
      fallbackOps: this.graph.ops.filter((o) => fallback.has(o.id)).map((o) => o.id),
      unmatchedRules: unmatched,
      ms,
    };
  }

  /**
   * Per-point sensitivity: for every quant point, the change in mean NLL when that point alone
   * takes `spec` on top of `base`. Points already at `spec` report 0 without running. Runs the
   * points from the last block backwards so each evaluation re-runs only from its point's block.
   * Progress counts windows over all evaluations. Results in graph order.
   */
  async sensitivity(tokens: readonly number[], base: QuantConfig, spec: string, opts: EvalOptions): Promise<{ point: string; deltaLoss: number }[]> {
    const canonical = formatToString(parseFormat(spec));
    const baseSpecs = this.specsOf(base, opts.mode).strings;
    const todo = this.graph.points.filter((p) => baseSpecs.get(p.id) !== canonical);
    const nWin = this.cut(tokens, opts.window ?? this.graph.config.maxPositions, opts.maxTokens).length;
    const total = (todo.length + 1) * nWin;
    let done = 0;
    const sub: EvalOptions = {
      ...opts,
      reference: false,
      onProgress: opts.onProgress ? (d) => opts.onProgress!(done + d, total) : undefined,
    };
    const b = await this.evaluate(tokens, base, sub);
    done += nWin;
    const delta = new Map<string, number>();
    const order = [...todo].sort((x, y) => this.layerOf(y.id) - this.layerOf(x.id));
    for (const p of order) {
      const r = await this.evaluate(tokens, { version: 1, rules: [...base.rules, [p.id, canonical]] }, sub);
      delta.set(p.id, r.meanNll - b.meanNll);
      done += nWin;
    }
    return this.graph.points.map((p) => ({ point: p.id, deltaLoss: delta.get(p.id) ?? 0 }));
  }
}
