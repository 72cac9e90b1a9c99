/** A small llama graph (2 blocks) for the search tests. Ring 1: no I/O. */
import { buildGraph, type Graph } from '../graph';
import type { ModelConfig } from '../model/types';

export const TINY_CONFIG: ModelConfig = {
  arch: 'llama',
  vocabSize: 16,
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 2,
  headDim: 4,
  intermediateSize: 16,
  maxPositions: 32,
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

export const tinyGraph = (): Graph => buildGraph(TINY_CONFIG);
