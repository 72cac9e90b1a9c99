/**
 * A one-op graph for the cost model's hand-computed tests (a single nn.Linear), built without a
 * model config so the arithmetic in the tests stays small. Ring 1: no I/O.
 */
import type { Graph, Op, QuantPoint, TensorInfo } from '../graph';
import type { ModelConfig } from '../model/types';

const CONFIG: ModelConfig = {
  arch: 'llama',
  vocabSize: 2,
  hiddenSize: 1,
  numLayers: 1,
  numHeads: 1,
  numKvHeads: 1,
  headDim: 1,
  intermediateSize: 1,
  maxPositions: 1,
  norm: 'rms',
  normEps: 1e-5,
  ropeTheta: 10000,
  activation: 'silu',
  bias: false,
  tiedEmbeddings: false,
  bosTokenId: null,
  eosTokenId: null,
  raw: {},
};

/** One nn.Linear y = x·Wᵀ (+ b) with in = K, out = N, as a graph with points `fc.x`, `fc.w` (and `fc.bias`). */
export function oneLinearGraph(K: number, N: number, bias = false): Graph {
  const points: QuantPoint[] = [
    { id: 'fc.x', op: 'fc', kind: 'q', role: 'x', layer: 0, tensor: 'in', isWeight: false, shape: ['T', K], axis: 1 },
    { id: 'fc.w', op: 'fc', kind: 'q', role: 'w', layer: 0, tensor: 'fc.w', isWeight: true, shape: [N, K], axis: 1 },
  ];
  if (bias) points.push({ id: 'fc.bias', op: 'fc', kind: 'q', role: 'bias', layer: 0, tensor: 'fc.b', isWeight: true, shape: [N], axis: 0 });
  const op: Op = {
    id: 'fc',
    type: 'linear',
    kind: 'q',
    layer: 0,
    label: 'fc',
    inputs: ['in'],
    output: 'fc.out',
    weight: 'fc.w',
    bias: bias ? 'fc.b' : undefined,
    points: points.map((p) => p.id),
    macs: (t) => t * K * N,
  };
  const tensors = new Map<string, TensorInfo>([
    ['in', { id: 'in', shape: ['T', K] }],
    ['fc.out', { id: 'fc.out', shape: ['T', N] }],
  ]);
  return {
    arch: 'llama',
    config: { ...CONFIG, hiddenSize: K, bias },
    ops: [op],
    tensors,
    points,
    pointById: new Map(points.map((p) => [p.id, p])),
    opById: new Map([[op.id, op]]),
    blocks: { count: 1, template: ['q'], identical: true },
    quantKinds: ['q'],
  };
}
