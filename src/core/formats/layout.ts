/**
 * Block layout of an N-d tensor (C order): blocks of `block` elements along `axis`, optionally
 * `tileRows` deep along the tile axis (the axis before `axis`, or axis 1 when axis is 0).
 * A partial last block along either axis is a shorter block (equivalent to zero padding:
 * padding never changes amax — mx-formats.md §A11).
 *
 * Blocks are numbered in C order over the block grid: the tensor's shape with
 * shape[axis] → ceil(shape[axis]/block) and shape[tileAxis] → ceil(shape[tileAxis]/tileRows).
 * So a [N, K] weight blocked along K has its scales as an [N, K/block] array, and a [K, N]
 * operand blocked along axis 0 has them as [K/block, N] (microxcaling's layout).
 */
import { FormatError } from './errors';

export interface BlockLayout {
  readonly shape: readonly number[];
  readonly axis: number;
  readonly block: number;
  readonly tileRows: number;
  /** -1 when tileRows is 1. */
  readonly tileAxis: number;
  readonly numel: number;
  readonly gridShape: readonly number[];
  readonly numBlocks: number;
}

export function checkShape(shape: readonly number[], length: number, ctx = 'tensor'): number {
  if (!Array.isArray(shape) || shape.length === 0) throw new FormatError('shape', String(shape), 'a non-empty list of positive integers', ctx);
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new FormatError('shape', shape.join(','), 'positive integer dimensions', ctx);
    n *= d;
  }
  if (n !== length) throw new FormatError('shape', shape.join(','), `dimensions whose product equals the element count ${length} (product is ${n})`, ctx);
  return n;
}

export function normAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new FormatError('axis', String(axis), `an integer from ${-rank} to ${rank - 1} for a rank-${rank} tensor`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function makeLayout(shape: readonly number[], length: number, axis: number, block: number, tileRows = 1): BlockLayout {
  const numel = checkShape(shape, length);
  const a = normAxis(axis, shape.length);
  let tileAxis = -1;
  if (tileRows > 1) {
    if (shape.length < 2) throw new FormatError('block', `${tileRows}x${block}`, 'a 1-D block for a rank-1 tensor (2-D tiles need rank ≥ 2)');
    tileAxis = a > 0 ? a - 1 : 1;
  }
  const gridShape = shape.map((d, i) => (i === a ? Math.ceil(d / block) : i === tileAxis ? Math.ceil(d / tileRows) : d));
  const numBlocks = gridShape.reduce((p, d) => p * d, 1);
  return { shape: [...shape], axis: a, block, tileRows, tileAxis, numel, gridShape, numBlocks };
}

/** C-order strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Call fn(blockIndex, idx, len) for every block in order; idx[0..len) are the flat element indices
 * of the block (tile rows major, then along the axis). idx is a reused scratch buffer.
 */
export function forEachBlock(L: BlockLayout, fn: (b: number, idx: Int32Array, len: number) => void): void {
  const rank = L.shape.length;
  const st = stridesOf(L.shape);
  const idx = new Int32Array(L.block * L.tileRows);
  const g = new Array<number>(rank).fill(0);
  const sa = st[L.axis];
  const na = L.shape[L.axis];
  const st2 = L.tileAxis >= 0 ? st[L.tileAxis] : 0;
  const n2 = L.tileAxis >= 0 ? L.shape[L.tileAxis] : 1;
  for (let b = 0; b < L.numBlocks; b++) {
    let base = 0;
    for (let d = 0; d < rank; d++) {
      const c = d === L.axis ? g[d] * L.block : d === L.tileAxis ? g[d] * L.tileRows : g[d];
      base += c * st[d];
    }
    const a0 = g[L.axis] * L.block;
    const alen = Math.min(L.block, na - a0);
    const r0 = L.tileAxis >= 0 ? g[L.tileAxis] * L.tileRows : 0;
    const rlen = L.tileAxis >= 0 ? Math.min(L.tileRows, n2 - r0) : 1;
    let len = 0;
    for (let r = 0; r < rlen; r++) {
      const rb = base + r * st2;
      for (let j = 0; j < alen; j++) idx[len++] = rb + j * sa;
    }
    fn(b, idx, len);
    // advance the grid counter (C order)
    for (let d = rank - 1; d >= 0; d--) {
      if (++g[d] < L.gridShape[d]) break;
      g[d] = 0;
    }
  }
}

/** Block index of every element (for per-element views such as the explorer's exponent overlay). */
export function blockOfElements(L: BlockLayout): Int32Array {
  const out = new Int32Array(L.numel);
  forEachBlock(L, (b, idx, len) => {
    for (let i = 0; i < len; i++) out[idx[i]] = b;
  });
  return out;
}
