/**
 * GPTQ for a whole model: calibration Hessians from the emulator, and a model whose linear weights
 * are GPTQ-rounded for a quantization config. The rounded model is an ordinary LoadedModel (its
 * weight tensors are float32 values on each point's grid), so the emulator, the cost model and the
 * RTL generator take it unchanged. Plain TypeScript (ring 1).
 */
import type { Emulator } from '../emulate';
import { formatToString, type FormatSpec } from '../formats';
import { resolveConfig, uniformConfig, type Graph, type QuantConfig } from '../graph';
import type { LoadedModel, ModelWeights, WeightTensor } from '../model';
import { accumulateHessian, gptqRound, gptqSupports, RoundingError, symmetrize, type GptqOptions } from './gptq';

/** Σ x xᵀ of every linear op's input over the calibration tokens, by op id, with its width K. */
export type Hessians = ReadonlyMap<string, { readonly K: number; readonly h: Float64Array; readonly rows: number }>;

/**
 * Run the calibration tokens through the emulator (integer mode: its hardware trace reports every
 * op's ACT inputs) in windows of `window` tokens under `config` (default uniform MXINT8, the
 * activations a quantized design sees), accumulating each linear op's input Hessian.
 */
export function calibrationHessians(em: Emulator, tokens: readonly number[], window: number, config: QuantConfig = uniformConfig('mxint8')): Hessians {
  if (tokens.length < 2) throw new RoundingError(`calibration needs at least 2 tokens, got ${tokens.length}`);
  const acc = new HessianAccumulator(em, config);
  for (let s = 0; s < tokens.length; s += window) acc.add(tokens.slice(s, s + window));
  return acc.finish();
}

/**
 * calibrationHessians one window at a time (a worker yields between windows to stay abortable):
 * `add` each window in order, then `finish` — the same sums in the same order, so the same bits.
 */
export class HessianAccumulator {
  private readonly out = new Map<string, { K: number; h: Float64Array; rows: number }>();
  private done = false;

  constructor(
    private readonly em: Emulator,
    private readonly config: QuantConfig = uniformConfig('mxint8'),
  ) {}

  add(ids: readonly number[]): void {
    if (this.done) throw new RoundingError('calibration already finished');
    const T = ids.length;
    const out = this.out;
    const unit = 2 ** -this.em.act.f;
    this.em.logits(ids, this.config, 'integer', {
      hw: {
        op(op, inputs) {
          if (op.type !== 'linear') return;
          const K = inputs[0].length / T;
          let e = out.get(op.id);
          if (!e) out.set(op.id, (e = { K, h: new Float64Array(K * K), rows: 0 }));
          accumulateHessian(e.h, inputs[0], T, K, unit);
          e.rows += T;
        },
      },
    });
  }

  finish(): Hessians {
    if (!this.done) for (const e of this.out.values()) symmetrize(e.h, e.K);
    this.done = true;
    return this.out;
  }
}

function tensorOf(model: LoadedModel, graph: Graph, name: string): WeightTensor {
  const w = model.weights;
  if (name === 'head.w' && !w.has('head.w') && graph.config.tiedEmbeddings) return w.get('embed');
  return w.get(name);
}

export interface RoundedModel {
  readonly model: LoadedModel;
  /** Per rounded weight point: its format, the clipped blocks and the elements the encoder re-encodes differently. */
  readonly report: readonly { point: string; format: string; clippedBlocks: number; reencodeChanged: number }[];
}

/**
 * A cache of GPTQ-rounded weight tensors by (weight point, format), so a search that revisits formats
 * rounds each pair once.
 */
export class GptqRounder {
  private readonly cache = new Map<string, { values: Float32Array; clippedBlocks: number; reencodeChanged: number }>();

  constructor(
    readonly base: LoadedModel,
    readonly graph: Graph,
    readonly hessians: Hessians,
    readonly options: GptqOptions = {},
  ) {}

  /**
   * The GPTQ-rounded values of one linear weight point under one format, or undefined where GPTQ does
   * not apply (not a linear weight, not MXInt). The shape of the emulator's `weightSource` option:
   * an emulator built with `{ weightSource: (p, s) => rounder.rounded(p, s) }` evaluates every config
   * with GPTQ weights, incrementally, while its fp32 reference keeps the model's own weights.
   */
  rounded(point: string, spec: FormatSpec): Float32Array | undefined {
    if (!gptqSupports(spec) || !point.endsWith('.w')) return undefined;
    const opId = point.slice(0, -2);
    const op = this.graph.opById.get(opId);
    if (!op || op.type !== 'linear' || !op.weight) return undefined;
    return this.round(`${opId}.w`, op.weight, opId, spec).values;
  }

  private round(pid: string, weight: string, opId: string, spec: FormatSpec & { kind: 'mxint' }): { values: Float32Array; clippedBlocks: number; reencodeChanged: number } {
    const fmt = formatToString(spec);
    const key = `${pid}|${fmt}`;
    let r = this.cache.get(key);
    if (!r) {
      const H = this.hessians.get(opId);
      if (!H) throw new RoundingError(`no calibration Hessian for ${opId}`);
      const src = tensorOf(this.base, this.graph, weight);
      const [N, K] = src.shape;
      if (K !== H.K || src.shape.length !== 2) throw new RoundingError(`${weight} is [${src.shape.join(', ')}], its Hessian ${H.K}×${H.K}`);
      r = gptqRound(src.f32(), N, K, H.h, spec, this.options);
      this.cache.set(key, r);
    }
    return r;
  }

  /** The model with every MXInt-formatted linear weight of `config` GPTQ-rounded; other weights untouched. */
  model(config: QuantConfig): RoundedModel {
    const formats = resolveConfig(this.graph, config).formats;
    const replaced = new Map<string, WeightTensor>();
    const report: { point: string; format: string; clippedBlocks: number; reencodeChanged: number }[] = [];
    for (const op of this.graph.ops) {
      if (op.type !== 'linear' || !op.weight) continue;
      const pid = `${op.id}.w`;
      const p = this.graph.pointById.get(pid);
      const spec = formats.get(pid);
      if (!p || !spec || !gptqSupports(spec)) continue;
      const r = this.round(pid, op.weight, op.id, spec);
      const src = tensorOf(this.base, this.graph, op.weight);
      const fmt = formatToString(spec);
      const values = r.values;
      replaced.set(op.weight, { name: op.weight, sourceName: `${src.sourceName} (GPTQ ${fmt})`, file: src.file, dtype: 'F32', shape: src.shape, f32: () => values });
      report.push({ point: pid, format: fmt, clippedBlocks: r.clippedBlocks, reencodeChanged: r.reencodeChanged });
    }
    const w = this.base.weights;
    const weights: ModelWeights = {
      has: (n) => replaced.has(n) || w.has(n),
      get: (n) => replaced.get(n) ?? w.get(n),
      names: () => [...new Set([...w.names(), ...replaced.keys()])],
    };
    return { model: { ...this.base, name: `${this.base.name} (GPTQ)`, weights }, report };
  }
}
