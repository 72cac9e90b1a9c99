/**
 * The graph IR: a decoder-only transformer as ops over named tensors, with the quantization points
 * MASE uses (mase-hardware-and-search.md; mx-formats.md §B5): per linear its input activation `x`,
 * weight `w` and bias `bias`; per attention matmul both operands `a` and `b`; the LM head as a
 * linear. Embeddings, norms, RoPE, softmax, activations and residual adds stay float32.
 *
 * Point ids are `{op}.{role}` with op ids `L{i}.{kind}` inside decoder block i (`L0.q.w`,
 * `L3.qk.a`) and `head` for the LM head (`head.x`). Configs address points with glob rules
 * (config.ts), which is how one setting is tied across repeated blocks.
 */
import type { Arch, ModelConfig } from '../model/types';

/** Sequence length, symbolic: shapes are given per token where it matters. */
export const T = 'T' as const;
export type Dim = number | typeof T;

export type OpType = 'embedding' | 'position' | 'norm' | 'linear' | 'rope' | 'matmul' | 'softmax' | 'activation' | 'mul' | 'add';

/** Short op kinds: the "op type" granularity of the layers pane (all q projections, all down projections…). */
export type OpKind =
  | 'embed' | 'pos' | 'norm1' | 'norm2' | 'normf'
  | 'q' | 'k' | 'v' | 'o' | 'rope' | 'qk' | 'softmax' | 'pv' | 'res1' | 'res2'
  | 'gate' | 'up' | 'act' | 'mul' | 'down' | 'fc1' | 'fc2' | 'head';

export type Role = 'x' | 'w' | 'bias' | 'a' | 'b';

export interface TensorInfo {
  readonly id: string;
  readonly shape: readonly Dim[];
}

export interface Op {
  /** `L{i}.{kind}` in block i, or the kind itself outside blocks (`embed`, `normf`, `head`). */
  readonly id: string;
  readonly type: OpType;
  readonly kind: OpKind;
  /** Decoder block index, or null outside the blocks. */
  readonly layer: number | null;
  /** A human label (HF module name where there is one). */
  readonly label: string;
  readonly inputs: readonly string[];
  readonly output: string;
  /** Canonical weight names (src/core/model/types.ts) this op reads. */
  readonly weight?: string;
  readonly bias?: string;
  /** Quantization points of this op, in role order. */
  readonly points: readonly string[];
  /** Multiply-accumulates for a sequence of t tokens (0 for element-wise ops). */
  macs(t: number): number;
}

export interface QuantPoint {
  /** `{op}.{role}`, e.g. `L0.q.w`, `L2.qk.b`, `head.x`. */
  readonly id: string;
  readonly op: string;
  readonly kind: OpKind;
  readonly role: Role;
  readonly layer: number | null;
  /** The tensor quantized: an activation id or a canonical weight name. */
  readonly tensor: string;
  readonly isWeight: boolean;
  /** Shape of the quantized operand as the op sees it (per head for attention). */
  readonly shape: readonly Dim[];
  /** Blocking axis in `shape`: always the reduction axis of the op (mx-formats.md §A11). */
  readonly axis: number;
}

export interface Graph {
  readonly arch: Arch;
  readonly config: ModelConfig;
  readonly ops: readonly Op[];
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly points: readonly QuantPoint[];
  readonly pointById: ReadonlyMap<string, QuantPoint>;
  readonly opById: ReadonlyMap<string, Op>;
  /**
   * The repeated decoder blocks: `count` blocks whose op sequences are identical up to the layer
   * prefix (checked, not assumed), with block 0's op kinds as the template. The graph pane folds them.
   */
  readonly blocks: { readonly count: number; readonly template: readonly OpKind[]; readonly identical: boolean };
  /** Op kinds that carry quantization points, in graph order (for the op-type granularity). */
  readonly quantKinds: readonly OpKind[];
}

class Builder {
  ops: Op[] = [];
  tensors = new Map<string, TensorInfo>();
  points: QuantPoint[] = [];

  tensor(id: string, shape: readonly Dim[]): string {
    this.tensors.set(id, { id, shape });
    return id;
  }

  op(o: Omit<Op, 'points' | 'macs'> & { macs?: (t: number) => number; quant?: { role: Role; tensor: string; isWeight: boolean; shape: readonly Dim[]; axis: number }[] }): string {
    const points = (o.quant ?? []).map((q) => {
      const p: QuantPoint = { id: `${o.id}.${q.role}`, op: o.id, kind: o.kind, role: q.role, layer: o.layer, tensor: q.tensor, isWeight: q.isWeight, shape: q.shape, axis: q.axis };
      this.points.push(p);
      return p.id;
    });
    const { quant: _q, macs, ...rest } = o;
    this.ops.push({ ...rest, points, macs: macs ?? (() => 0) });
    return o.output;
  }

  /** y = x·Wᵀ (+ b): W is [out, in]; x and W are blocked along in (the reduction axis). */
  linear(id: string, kind: OpKind, layer: number | null, label: string, x: string, inF: number, outF: number, weight: string, bias: string | undefined): string {
    const out = this.tensor(`${id}.out`, [T, outF]);
    const quant: { role: Role; tensor: string; isWeight: boolean; shape: readonly Dim[]; axis: number }[] = [
      { role: 'x', tensor: x, isWeight: false, shape: [T, inF], axis: 1 },
      { role: 'w', tensor: weight, isWeight: true, shape: [outF, inF], axis: 1 },
    ];
    // a bias is added in float32 after the product; quantizing it is optional (its own point, element-wise blocks along out)
    if (bias) quant.push({ role: 'bias', tensor: bias, isWeight: true, shape: [outF], axis: 0 });
    return this.op({ id, type: 'linear', kind, layer, label, inputs: [x], output: out, weight, bias, macs: (t) => t * inF * outF, quant });
  }
}

/** Build the graph IR of a decoder-only LM from its normalised config. */
export function buildGraph(config: ModelConfig): Graph {
  const b = new Builder();
  const D = config.hiddenSize;
  const H = config.numHeads;
  const Hk = config.numKvHeads;
  const hd = config.headDim;
  const F = config.intermediateSize;
  const V = config.vocabSize;
  const llama = config.arch === 'llama';
  const bias = (name: string) => (config.bias ? name : undefined);

  b.tensor('tokens', [T]);
  let h = b.op({ id: 'embed', type: 'embedding', kind: 'embed', layer: null, label: 'embed_tokens', inputs: ['tokens'], output: b.tensor('embed.out', [T, D]), weight: 'embed' });
  if (!llama) {
    h = b.op({ id: 'pos', type: 'position', kind: 'pos', layer: null, label: 'embed_positions', inputs: [h], output: b.tensor('pos.out', [T, D]), weight: 'pos' });
  }
  for (let i = 0; i < config.numLayers; i++) {
    const L = `L${i}`;
    const normOp = (kind: 'norm1' | 'norm2', x: string, label: string) =>
      b.op({ id: `${L}.${kind}`, type: 'norm', kind, layer: i, label, inputs: [x], output: b.tensor(`${L}.${kind}.out`, [T, D]), weight: `${L}.${kind}.w`, bias: config.norm === 'layer' ? `${L}.${kind}.b` : undefined });
    const n1 = normOp('norm1', h, llama ? 'input_layernorm' : 'ln_1');
    let q = b.linear(`${L}.q`, 'q', i, 'q_proj', n1, D, H * hd, `${L}.q.w`, bias(`${L}.q.b`));
    let k = b.linear(`${L}.k`, 'k', i, 'k_proj', n1, D, Hk * hd, `${L}.k.w`, bias(`${L}.k.b`));
    const v = b.linear(`${L}.v`, 'v', i, 'v_proj', n1, D, Hk * hd, `${L}.v.w`, bias(`${L}.v.b`));
    if (llama) {
      q = b.op({ id: `${L}.rope_q`, type: 'rope', kind: 'rope', layer: i, label: 'rotary_emb(q)', inputs: [q], output: b.tensor(`${L}.rope_q.out`, [T, H * hd]) });
      k = b.op({ id: `${L}.rope_k`, type: 'rope', kind: 'rope', layer: i, label: 'rotary_emb(k)', inputs: [k], output: b.tensor(`${L}.rope_k.out`, [T, Hk * hd]) });
    }
    // scores = Q·Kᵀ per head: Q [T, hd] blocked along hd; Kᵀ [hd, T] blocked along hd (axis 0)
    const scores = b.op({
      id: `${L}.qk`, type: 'matmul', kind: 'qk', layer: i, label: 'Q·Kᵀ', inputs: [q, k], output: b.tensor(`${L}.qk.out`, [H, T, T]),
      macs: (t) => H * t * t * hd,
      quant: [
        { role: 'a', tensor: q, isWeight: false, shape: [T, hd], axis: 1 },
        { role: 'b', tensor: k, isWeight: false, shape: [hd, T], axis: 0 },
      ],
    });
    const probs = b.op({ id: `${L}.softmax`, type: 'softmax', kind: 'softmax', layer: i, label: 'softmax', inputs: [scores], output: b.tensor(`${L}.softmax.out`, [H, T, T]) });
    // out = P·V per head: P [T, T] blocked along the keys; V [T, hd] blocked along T (axis 0)
    const attn = b.op({
      id: `${L}.pv`, type: 'matmul', kind: 'pv', layer: i, label: 'P·V', inputs: [probs, v], output: b.tensor(`${L}.pv.out`, [T, H * hd]),
      macs: (t) => H * t * t * hd,
      quant: [
        { role: 'a', tensor: probs, isWeight: false, shape: [T, T], axis: 1 },
        { role: 'b', tensor: v, isWeight: false, shape: [T, hd], axis: 0 },
      ],
    });
    const o = b.linear(`${L}.o`, 'o', i, llama ? 'o_proj' : 'out_proj', attn, H * hd, D, `${L}.o.w`, bias(`${L}.o.b`));
    h = b.op({ id: `${L}.res1`, type: 'add', kind: 'res1', layer: i, label: 'residual', inputs: [h, o], output: b.tensor(`${L}.res1.out`, [T, D]) });
    const n2 = normOp('norm2', h, llama ? 'post_attention_layernorm' : 'ln_2');
    let m: string;
    if (llama) {
      const g = b.linear(`${L}.gate`, 'gate', i, 'gate_proj', n2, D, F, `${L}.gate.w`, undefined);
      const u = b.linear(`${L}.up`, 'up', i, 'up_proj', n2, D, F, `${L}.up.w`, undefined);
      const a = b.op({ id: `${L}.act`, type: 'activation', kind: 'act', layer: i, label: config.activation, inputs: [g], output: b.tensor(`${L}.act.out`, [T, F]) });
      const gu = b.op({ id: `${L}.mul`, type: 'mul', kind: 'mul', layer: i, label: 'gate·up', inputs: [a, u], output: b.tensor(`${L}.mul.out`, [T, F]) });
      m = b.linear(`${L}.down`, 'down', i, 'down_proj', gu, F, D, `${L}.down.w`, undefined);
    } else {
      const f1 = b.linear(`${L}.fc1`, 'fc1', i, config.arch === 'gpt2' ? 'c_fc' : 'fc1', n2, D, F, `${L}.fc1.w`, bias(`${L}.fc1.b`));
      const a = b.op({ id: `${L}.act`, type: 'activation', kind: 'act', layer: i, label: config.activation, inputs: [f1], output: b.tensor(`${L}.act.out`, [T, F]) });
      m = b.linear(`${L}.fc2`, 'fc2', i, config.arch === 'gpt2' ? 'c_proj' : 'fc2', a, F, D, `${L}.fc2.w`, bias(`${L}.fc2.b`));
    }
    h = b.op({ id: `${L}.res2`, type: 'add', kind: 'res2', layer: i, label: 'residual', inputs: [h, m], output: b.tensor(`${L}.res2.out`, [T, D]) });
  }
  const nf = b.op({ id: 'normf', type: 'norm', kind: 'normf', layer: null, label: llama ? 'norm' : config.arch === 'gpt2' ? 'ln_f' : 'final_layer_norm', inputs: [h], output: b.tensor('normf.out', [T, D]), weight: 'normf.w', bias: config.norm === 'layer' ? 'normf.b' : undefined });
  b.linear('head', 'head', null, 'lm_head', nf, D, V, 'head.w', undefined);

  const ops = b.ops;
  const blockKinds = (i: number) => ops.filter((o) => o.layer === i).map((o) => o.kind);
  const template = blockKinds(0);
  let identical = true;
  for (let i = 1; i < config.numLayers; i++) {
    const k = blockKinds(i);
    if (k.length !== template.length || k.some((x, j) => x !== template[j])) identical = false;
  }
  const quantKinds: OpKind[] = [];
  for (const p of b.points) if (!quantKinds.includes(p.kind)) quantKinds.push(p.kind);
  return {
    arch: config.arch,
    config,
    ops,
    tensors: b.tensors,
    points: b.points,
    pointById: new Map(b.points.map((p) => [p.id, p])),
    opById: new Map(ops.map((o) => [o.id, o])),
    blocks: { count: config.numLayers, template, identical },
    quantKinds,
  };
}
