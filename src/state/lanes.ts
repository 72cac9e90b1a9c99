/**
 * Per-layer parallelism (lanes) in the document: which linear gets how many multiplier lanes along
 * its reduction (K) and how many output columns (N) per clock, overriding the Cost pane's default
 * lanes for that op. The Verilog pane passes them to the generator as `RtlLanes.perOp` (the shape
 * the CLI's `--lanes 16x2,L0.q=32x4` produces) and the cost model takes them as `parallelism`.
 *
 * Only linears: the generator takes attention matmul lanes exactly as given, and their reduction
 * (P·V) or output length (Q·Kᵀ) is the sequence, which differs between the testbench vectors, the
 * one-token top level and the cost model's tokens per inference — so they keep the default.
 *
 * What the generator accepts (src/core/rtl/mxLinear.ts planLinear): lanesK divides K, lanesN
 * divides N, and lanesK divides the MX block along K or is a multiple of it. The studio offers
 * powers of two only (with the usual power-of-two blocks the block rule then always holds; a block
 * like 24 can still refuse one, and lanesProblem says so).
 */
import type { FormatSpec } from '../core/formats';
import type { Graph, Op } from '../core/graph';

/** Lanes of one linear: multipliers along K × output columns. */
export interface OpLanes {
  readonly lanesK: number;
  readonly lanesN: number;
}

/** Op id (`L0.q`, `head`) → its own lanes; ops not listed use the default. */
export type LanesMap = Readonly<Record<string, OpLanes>>;

export const NO_LANES: LanesMap = Object.freeze({});

/** The hardware settings' ceiling (src/state/hardware.ts MAX_LANES). */
export const MAX_OP_LANES = 4096;

export const isPow2 = (v: number): boolean => Number.isInteger(v) && v >= 1 && (v & (v - 1)) === 0;

export function sameLanes(a: LanesMap, b: LanesMap): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k].lanesK === b[k].lanesK && a[k].lanesN === b[k].lanesN);
}

/** `32×4` */
export function fmtLanes(l: OpLanes): string {
  return `${l.lanesK}×${l.lanesN}`;
}

/** Op ids in a stable, human order: the blocks' ops by block number (L2 before L10), then the ops outside the blocks (`head`). */
export function compareOpIds(a: string, b: string): number {
  const la = /^L(\d+)\./.exec(a);
  const lb = /^L(\d+)\./.exec(b);
  if (la && lb) return Number(la[1]) - Number(lb[1]) || (a < b ? -1 : a > b ? 1 : 0);
  if (la || lb) return la ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Set (or with null remove) the lanes of some ops; the map is rebuilt in op-id order. */
export function withLanes(m: LanesMap, ids: readonly string[], l: OpLanes | null): LanesMap {
  const out: Record<string, OpLanes> = { ...m };
  for (const id of ids) {
    if (l) out[id] = { lanesK: l.lanesK, lanesN: l.lanesN };
    else delete out[id];
  }
  return Object.fromEntries(Object.keys(out).sort(compareOpIds).map((k) => [k, out[k]]));
}

/**
 * What a person types into a lanes control: `32x4`, `32×4`, `32 * 4`, or `32` (= 32×1, like the
 * CLI). Returns the lanes or why the text is not lanes (syntax only; the op's rules are lanesProblem's).
 */
export function parseLanesText(text: string): { ok: true; lanes: OpLanes } | { ok: false; reason: string } {
  const m = /^\s*(\d+)\s*(?:[x×*]\s*(\d+)\s*)?$/i.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(text.trim())} is not K×N (two whole numbers, e.g. 32×4)` };
  const lanesK = Number(m[1]);
  const lanesN = m[2] === undefined ? 1 : Number(m[2]);
  if (lanesK < 1 || lanesN < 1) return { ok: false, reason: 'lanes must be at least 1' };
  return { ok: true, lanes: { lanesK, lanesN } };
}

// ------------------------------------------------------------------------------ the graph's linears

/** A linear of the graph with the dimensions its lanes must divide. */
export interface LinearDims {
  op: Op;
  /** Reduction length (the weight's input features). */
  K: number;
  /** Output columns (the weight's output features). */
  N: number;
}

/** The graph's linears (the ops that take per-op lanes), in graph order. */
export function linearDims(g: Graph): LinearDims[] {
  const out: LinearDims[] = [];
  for (const op of g.ops) {
    if (op.type !== 'linear') continue;
    const w = op.points.map((id) => g.pointById.get(id)).find((p) => p?.role === 'w');
    if (!w || w.shape.length !== 2) continue;
    const K = w.shape[w.axis];
    const N = w.shape[1 - w.axis];
    if (typeof K !== 'number' || typeof N !== 'number') continue;
    out.push({ op, K, N });
  }
  return out;
}

/** The MX block along K of a linear's input format (the generator's blockAlongK), or null for a format without blocks. */
export function blockAlongK(spec: FormatSpec | undefined, K: number): number | null {
  return spec && 'block' in spec && typeof spec.block === 'number' ? Math.min(spec.block, K) : null;
}

/**
 * Why the generator would refuse these lanes for this linear, or null when it takes them.
 * `block`: the MX block along K of the op's input (null when its format has none).
 */
export function lanesProblem(d: LinearDims, l: OpLanes, block: number | null = null): string | null {
  const { K, N } = d;
  for (const [name, v] of [
    ['lanesK', l.lanesK],
    ['lanesN', l.lanesN],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_OP_LANES) return `${name} = ${v} is not a whole number from 1 to ${MAX_OP_LANES}`;
    if (!isPow2(v)) return `${name} = ${v} is not a power of two`;
  }
  if (K % l.lanesK !== 0) return `lanesK = ${l.lanesK} does not divide K = ${K}`;
  if (N % l.lanesN !== 0) return `lanesN = ${l.lanesN} does not divide N = ${N}`;
  if (block !== null && block % l.lanesK !== 0 && l.lanesK % block !== 0) return `lanesK = ${l.lanesK} must divide or be a multiple of the MX block ${block}`;
  return null;
}

/** The powers of two that divide n (the choices a lanes control offers along one axis). */
export function pow2Divisors(n: number, max = MAX_OP_LANES): number[] {
  const out: number[] = [];
  for (let v = 1; v <= Math.min(n, max); v *= 2) if (n % v === 0) out.push(v);
  return out;
}

/** The lanes an op gets without its own: the default capped at the op's K and N (as the generator and the cost model cap it). */
export function defaultLanesOf(d: LinearDims, def: OpLanes): OpLanes {
  return { lanesK: Math.min(def.lanesK, d.K), lanesN: Math.min(def.lanesN, d.N) };
}

/**
 * The document's lanes that apply to this graph: entries for its linears (in graph order), and the
 * ids that name no linear of it (a link made for another model; shown, never sent to the generator
 * or the cost model, like a format rule that matches no point).
 */
export function lanesForGraph(g: Graph, m: LanesMap): { perOp: Record<string, OpLanes>; unknown: string[] } {
  const perOp: Record<string, OpLanes> = {};
  const linears = new Set<string>();
  for (const op of g.ops) {
    if (op.type !== 'linear') continue;
    linears.add(op.id);
    const l = Object.prototype.hasOwnProperty.call(m, op.id) ? m[op.id] : undefined;
    if (l) perOp[op.id] = { lanesK: l.lanesK, lanesN: l.lanesN };
  }
  return { perOp, unknown: Object.keys(m).filter((id) => !linears.has(id)) };
}

/**
 * A searched design's parallelism (op id → lanes, every GEMM) as document lanes: the linears' entries
 * (attention matmuls keep the default, see the top of this file). lanesM other than 1 is dropped
 * with its op (the generator builds one token row at a time).
 */
export function linearLanesOf(g: Graph | null, p: Readonly<Record<string, { lanesK: number; lanesN: number; lanesM?: number }>>): LanesMap {
  const out: Record<string, OpLanes> = {};
  for (const [id, l] of Object.entries(p)) {
    const op = g?.opById.get(id);
    if (g && op?.type !== 'linear') continue;
    if (!g && /\.(qk|pv)$/.test(id)) continue;
    if (l.lanesM !== undefined && l.lanesM !== 1) continue;
    out[id] = { lanesK: l.lanesK, lanesN: l.lanesN };
  }
  return withLanes(out, [], null);
}
