/**
 * Checkpoint tensor names → the canonical names of types.ts, per family, with every shape checked
 * against config.json before anything downstream sees it. Layout differences are undone here, once:
 * GPT-2's Conv1D weights are [in, out] and are transposed to [out, in]; its fused c_attn is split
 * into q, k and v; OPT's learned positions lose their first two rows (HF looks them up at pos + 2);
 * a tied head is the embed tensor itself. Weights stay in their stored precision; f32() widens.
 */
import { ModelError, shapeText } from './errors';
import { widenBF16, widenF16 } from './half';
import type { RawTensor } from './safetensors';
import type { CanonicalName, DType, ModelConfig, ModelWeights, WeightTensor } from './types';

/** The tensors of a checkpoint (one file or several shards), by checkpoint name. */
export interface CheckpointTensors {
  /** The file to name when a tensor is missing: `model.safetensors` or the shard index. */
  readonly file: string;
  has(name: string): boolean;
  names(): string[];
  /** Reads a tensor (F32/F16/BF16 only; ModelError otherwise). */
  read(name: string): RawTensor;
}

/** How a canonical tensor is cut from its checkpoint tensor: transpose first, then take rows. */
interface Transform {
  transpose?: boolean;
  /** Row range [from, to) of the (transposed) tensor; for 1-D tensors, an element range. */
  rows?: readonly [number, number];
}

interface Spec {
  canonical: CanonicalName;
  /** Checkpoint name without the family prefix (`transformer.`, `model.`, ...). */
  source: string;
  /** The checkpoint tensor's expected shape. */
  sourceShape: readonly number[];
  transform?: Transform;
  /** Head tensors live outside the body prefix (`lm_head.weight`). */
  unprefixed?: boolean;
}

/** A canonical weight. `compact()` gives the canonical layout in the stored precision. */
export class CanonicalWeight implements WeightTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly file: string;
  private cachedF32: Float32Array | null = null;

  constructor(
    readonly name: CanonicalName,
    readonly sourceName: string,
    private readonly raw: RawTensor,
    private readonly transform: Transform = {},
  ) {
    this.dtype = raw.dtype;
    this.file = raw.file;
    this.shape = canonicalShape(raw.shape, transform);
  }

  /** Elements in the canonical tensor. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The values in canonical layout and stored precision (Float32Array for F32, raw 16-bit words for
   * F16/BF16). Zero-copy when no transpose is involved; a fresh array otherwise.
   */
  compact(): Float32Array | Uint16Array {
    const { transpose, rows } = this.transform;
    let data = this.raw.data;
    let shape = this.raw.shape;
    if (transpose) {
      data = transpose2d(data, shape[0], shape[1]);
      shape = [shape[1], shape[0]];
    }
    if (rows) {
      const rowLen = shape.length === 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
      data = data.subarray(rows[0] * rowLen, rows[1] * rowLen);
    }
    return data;
  }

  /**
   * The values as float32, cached. For F32 checkpoints this is a view of the file's bytes (no copy):
   * treat it as read-only, like every WeightTensor.
   */
  f32(): Float32Array {
    if (this.cachedF32) return this.cachedF32;
    const c = this.compact();
    // F32 needs no widening: the result is the (zero-copy) view itself, so callers must not write to it.
    const out =
      this.dtype === 'F32' ? (c as Float32Array) : this.dtype === 'F16' ? widenF16(c as Uint16Array) : widenBF16(c as Uint16Array);
    this.cachedF32 = out;
    return out;
  }
}

function canonicalShape(shape: readonly number[], t: Transform): number[] {
  let s = [...shape];
  if (t.transpose) s = [s[1], s[0]];
  if (t.rows) s[0] = t.rows[1] - t.rows[0];
  return s;
}

function transpose2d<T extends Float32Array | Uint16Array>(src: T, rows: number, cols: number): T {
  const out = new (src.constructor as { new (n: number): T })(src.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
  }
  return out;
}

/** The mapped weights of a model, with what was left over in the checkpoint. */
export interface MappedWeights extends ModelWeights {
  get(name: CanonicalName): CanonicalWeight;
  /** Parameters stored in the checkpoint tensors used (tied tensors once; OPT's 2 offset rows included, as HF counts them). */
  readonly numParams: number;
  /** Checkpoint tensors not used (e.g. a tied checkpoint's redundant lm_head.weight), for display. */
  readonly unused: readonly string[];
  /** The prefix stripped from checkpoint names (e.g. `transformer.`). */
  readonly prefix: string;
}

/** Body prefixes per family, most specific first. */
const PREFIXES: Record<ModelConfig['arch'], readonly string[]> = {
  llama: ['model.', ''],
  gpt2: ['transformer.', ''],
  opt: ['model.decoder.', 'decoder.', ''],
};

/** Buffers some checkpoints carry that are not parameters (masks, cached RoPE frequencies). */
const BUFFER_RE = /(?:^|\.)(?:attn\.bias|attn\.masked_bias|rotary_emb\.inv_freq)$/;

/** Maps a checkpoint's tensors to canonical names, checking presence, dtype and shape. */
export function mapWeights(config: ModelConfig, ckpt: CheckpointTensors): MappedWeights {
  const specs = specsFor(config);
  const embedSpec = specs[0];
  const prefix = PREFIXES[config.arch].find((p) => ckpt.has(p + embedSpec.source));
  if (prefix === undefined) {
    const tried = PREFIXES[config.arch].map((p) => `"${p}${embedSpec.source}"`).join(', ');
    throw new ModelError(ckpt.file, 'missing-tensor', `missing tensor ${tried.split(', ')[0]} (canonical "embed"); looked for ${tried}`, {
      tensor: embedSpec.canonical,
    });
  }

  const weights = new Map<CanonicalName, CanonicalWeight>();
  const raws = new Map<string, RawTensor>();
  for (const spec of specs) {
    const name = spec.unprefixed ? spec.source : prefix + spec.source;
    if (!ckpt.has(name)) {
      throw new ModelError(ckpt.file, 'missing-tensor', `missing tensor "${name}" (canonical "${spec.canonical}")`, { tensor: name });
    }
    let raw = raws.get(name);
    if (!raw) {
      raw = ckpt.read(name);
      if (!sameShape(raw.shape, spec.sourceShape)) {
        throw new ModelError(
          raw.file,
          'shape',
          `tensor "${name}" has shape ${shapeText(raw.shape)} but config.json implies ${shapeText(spec.sourceShape)} (canonical "${spec.canonical}")`,
          { tensor: name },
        );
      }
      raws.set(name, raw);
    }
    weights.set(spec.canonical, new CanonicalWeight(spec.canonical, name, raw, spec.transform));
  }
  if (config.tiedEmbeddings) weights.set('head.w', weights.get('embed') as CanonicalWeight);

  // Leftovers: tolerate buffers and redundant copies, but a parameter inside a layer that the
  // layout does not know (or a layer beyond num_layers) means the forward pass would be wrong.
  const unused: string[] = [];
  const layerRe = /(?:^|\.)(?:layers|h)\.(\d+)\./;
  for (const n of ckpt.names()) {
    if (raws.has(n) || BUFFER_RE.test(n)) continue;
    const m = layerRe.exec(n);
    if (m && Number(m[1]) >= config.numLayers) {
      throw new ModelError(ckpt.file, 'shape', `tensor "${n}" belongs to layer ${m[1]} but config.json has ${config.numLayers} layers`, {
        tensor: n,
      });
    }
    if (m) {
      throw new ModelError(
        ckpt.file,
        'unsupported',
        `tensor "${n}" is not part of the ${config.arch} layout the studio implements (an extra parameter would change the forward pass)`,
        { tensor: n },
      );
    }
    unused.push(n);
  }

  let numParams = 0;
  for (const r of raws.values()) numParams += r.shape.reduce((a, b) => a * b, 1);
  return buildWeights(weights, ckpt.file, numParams, unused, prefix);
}

function buildWeights(
  weights: Map<CanonicalName, CanonicalWeight>,
  file: string,
  numParams: number,
  unused: string[],
  prefix: string,
): MappedWeights {
  const names = [...weights.keys()];
  return {
    numParams,
    unused,
    prefix,
    has: (name) => weights.has(name),
    names: () => [...names],
    get(name) {
      const w = weights.get(name);
      if (!w) throw new ModelError(file, 'missing-tensor', `model has no weight "${name}"`, { tensor: name });
      return w;
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The canonical tensors of a family, with checkpoint names and expected shapes. `embed` comes first. */
export function specsFor(c: ModelConfig): Spec[] {
  switch (c.arch) {
    case 'llama':
      return llamaSpecs(c);
    case 'gpt2':
      return gpt2Specs(c);
    case 'opt':
      return optSpecs(c);
  }
}

function head(c: ModelConfig): Spec[] {
  return c.tiedEmbeddings ? [] : [{ canonical: 'head.w', source: 'lm_head.weight', sourceShape: [c.vocabSize, c.hiddenSize], unprefixed: true }];
}

function llamaSpecs(c: ModelConfig): Spec[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  const s: Spec[] = [{ canonical: 'embed', source: 'embed_tokens.weight', sourceShape: [c.vocabSize, h] }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    s.push(
      { canonical: `L${i}.norm1.w`, source: `${p}input_layernorm.weight`, sourceShape: [h] },
      { canonical: `L${i}.q.w`, source: `${p}self_attn.q_proj.weight`, sourceShape: [qDim, h] },
      { canonical: `L${i}.k.w`, source: `${p}self_attn.k_proj.weight`, sourceShape: [kvDim, h] },
      { canonical: `L${i}.v.w`, source: `${p}self_attn.v_proj.weight`, sourceShape: [kvDim, h] },
      { canonical: `L${i}.o.w`, source: `${p}self_attn.o_proj.weight`, sourceShape: [h, qDim] },
      { canonical: `L${i}.norm2.w`, source: `${p}post_attention_layernorm.weight`, sourceShape: [h] },
      { canonical: `L${i}.gate.w`, source: `${p}mlp.gate_proj.weight`, sourceShape: [ff, h] },
      { canonical: `L${i}.up.w`, source: `${p}mlp.up_proj.weight`, sourceShape: [ff, h] },
      { canonical: `L${i}.down.w`, source: `${p}mlp.down_proj.weight`, sourceShape: [h, ff] },
    );
  }
  s.push({ canonical: 'normf.w', source: 'norm.weight', sourceShape: [h] }, ...head(c));
  return s;
}

function gpt2Specs(c: ModelConfig): Spec[] {
  const h = c.hiddenSize;
  const ff = c.intermediateSize;
  const T = { transpose: true };
  const s: Spec[] = [
    { canonical: 'embed', source: 'wte.weight', sourceShape: [c.vocabSize, h] },
    { canonical: 'pos', source: 'wpe.weight', sourceShape: [c.maxPositions, h] },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `h.${i}.`;
    const L = `L${i}.`;
    s.push(
      { canonical: `${L}norm1.w`, source: `${p}ln_1.weight`, sourceShape: [h] },
      { canonical: `${L}norm1.b`, source: `${p}ln_1.bias`, sourceShape: [h] },
    );
    // c_attn: Conv1D [h, 3h], q|k|v along the output axis → transpose, then rows of [3h, h].
    (['q', 'k', 'v'] as const).forEach((x, j) => {
      const rows = [j * h, (j + 1) * h] as const;
      s.push(
        { canonical: `${L}${x}.w`, source: `${p}attn.c_attn.weight`, sourceShape: [h, 3 * h], transform: { transpose: true, rows } },
        { canonical: `${L}${x}.b`, source: `${p}attn.c_attn.bias`, sourceShape: [3 * h], transform: { rows } },
      );
    });
    s.push(
      { canonical: `${L}o.w`, source: `${p}attn.c_proj.weight`, sourceShape: [h, h], transform: T },
      { canonical: `${L}o.b`, source: `${p}attn.c_proj.bias`, sourceShape: [h] },
      { canonical: `${L}norm2.w`, source: `${p}ln_2.weight`, sourceShape: [h] },
      { canonical: `${L}norm2.b`, source: `${p}ln_2.bias`, sourceShape: [h] },
      { canonical: `${L}fc1.w`, source: `${p}mlp.c_fc.weight`, sourceShape: [h, ff], transform: T },
      { canonical: `${L}fc1.b`, source: `${p}mlp.c_fc.bias`, sourceShape: [ff] },
      { canonical: `${L}fc2.w`, source: `${p}mlp.c_proj.weight`, sourceShape: [ff, h], transform: T },
      { canonical: `${L}fc2.b`, source: `${p}mlp.c_proj.bias`, sourceShape: [h] },
    );
  }
  s.push(
    { canonical: 'normf.w', source: 'ln_f.weight', sourceShape: [h] },
    { canonical: 'normf.b', source: 'ln_f.bias', sourceShape: [h] },
    ...head(c),
  );
  return s;
}

/** HF's OPTLearnedPositionalEmbedding looks position p up at row p + 2. */
export const OPT_POSITION_OFFSET = 2;

function optSpecs(c: ModelConfig): Spec[] {
  const h = c.hiddenSize;
  const ff = c.intermediateSize;
  const off = OPT_POSITION_OFFSET;
  const s: Spec[] = [
    { canonical: 'embed', source: 'embed_tokens.weight', sourceShape: [c.vocabSize, h] },
    { canonical: 'pos', source: 'embed_positions.weight', sourceShape: [c.maxPositions + off, h], transform: { rows: [off, c.maxPositions + off] } },
  ];
  const linear = (canonical: string, source: string, out: number, inp: number): Spec[] => [
    { canonical: `${canonical}.w`, source: `${source}.weight`, sourceShape: [out, inp] },
    ...(c.bias ? [{ canonical: `${canonical}.b`, source: `${source}.bias`, sourceShape: [out] }] : []),
  ];
  const norm = (canonical: string, source: string): Spec[] => [
    { canonical: `${canonical}.w`, source: `${source}.weight`, sourceShape: [h] },
    { canonical: `${canonical}.b`, source: `${source}.bias`, sourceShape: [h] },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    const L = `L${i}.`;
    s.push(
      ...norm(`${L}norm1`, `${p}self_attn_layer_norm`),
      ...linear(`${L}q`, `${p}self_attn.q_proj`, h, h),
      ...linear(`${L}k`, `${p}self_attn.k_proj`, h, h),
      ...linear(`${L}v`, `${p}self_attn.v_proj`, h, h),
      ...linear(`${L}o`, `${p}self_attn.out_proj`, h, h),
      ...norm(`${L}norm2`, `${p}final_layer_norm`),
      ...linear(`${L}fc1`, `${p}fc1`, ff, h),
      ...linear(`${L}fc2`, `${p}fc2`, h, ff),
    );
  }
  s.push(...norm('normf', 'final_layer_norm'), ...head(c));
  return s;
}
