/** src/core/graph — the model as ops, tensors and quantization points; quantization configs. */
export type { Graph, Op, OpType, OpKind, QuantPoint, Role, TensorInfo, Dim } from './graph';
export { buildGraph, T } from './graph';
export type { QuantConfig, ResolvedConfig } from './config';
export { ConfigError, EMPTY_CONFIG, parseConfig, uniformConfig, withRule, resolveConfig, matchPoints } from './config';
