/**
 * Layout of the graph pane: the graph IR's ops as a vertical dataflow, with the decoder blocks
 * folded into one "block × N" node (ux-conventions §5.8), one block's ops, or every block unrolled.
 *
 * Plain functions (no DOM): ranks by longest path from the inputs, then in each rank nodes sit at
 * the mean x of their producers, pushed apart to not overlap (1-D clusters), with single-node ranks
 * on the centre spine. Edges are vertical curves; an edge that would cross the nodes between its
 * ends (the residual stream, V into P·V) runs down a side lane.
 */
import type { Graph, Op } from '../../core/graph';

export type Fold = 'folded' | 'block' | 'all';

export const NODE_W = 212;
export const NODE_H = 38;
export const NODE_H_SMALL = 26;
const GAP_X = 18;
const GAP_Y = 20;
const BLOCK_PAD = 14;
const BLOCK_HEAD = 26;
const LANE = 18;

export interface LNode {
  /** Op id, `blocks` for the folded blocks, or `L{i}.{kind}` in unrolled views. */
  id: string;
  op: Op | null;
  /** Block index of the op; null outside blocks and for the folded node. */
  layer: number | null;
  /** In the template view the node stands for this op kind in every block. */
  template: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
  rank: number;
}

export interface LEdge {
  id: string;
  from: string;
  to: string;
  /** The tensor on the edge (its shape is the hover label). */
  tensor: string;
  /** SVG path. */
  d: string;
  /** Label anchor (the midpoint of the path's straight part). */
  lx: number;
  ly: number;
  /** Dashed: the edge skips blocks that are not drawn. */
  skips: string | null;
}

export interface LGroup {
  id: string;
  layer: number | null;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  nodes: LNode[];
  edges: LEdge[];
  groups: LGroup[];
  /** Bounding box. */
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface ViewSpec {
  fold: Fold;
  /** 'block' view: the block shown; null: block 0 as the template of all blocks. */
  block: number | null;
}

/** Height of the folded block node: a header plus a layers × points heat strip. */
export function foldedHeight(g: Graph): number {
  return 44 + heatRows(g.blocks.count) * heatCell(g.blocks.count) + 22;
}
export function heatCell(layers: number): number {
  return layers <= 8 ? 12 : layers <= 16 ? 8 : layers <= 40 ? 5 : 3;
}
export function heatRows(layers: number): number {
  return layers;
}
export function foldedWidth(g: Graph): number {
  const perBlock = g.points.filter((p) => p.layer === 0).length;
  return Math.max(NODE_W + 40, 56 + perBlock * (heatCell(g.blocks.count) + 2) + 16);
}

function isSmall(op: Op): boolean {
  return op.points.length === 0;
}

interface Item {
  id: string;
  op: Op | null;
  layer: number | null;
  template: boolean;
  /** Ids of producer items. */
  preds: { item: string; tensor: string; skips: string | null }[];
  w: number;
  h: number;
}

/** Visible items and their dataflow for a view. */
function items(g: Graph, view: ViewSpec): Item[] {
  const L = g.blocks.count;
  const out: Item[] = [];
  const byTensor = new Map<string, string>(); // tensor → visible producer item id
  const skipOf = new Map<string, string>(); // tensor → "blocks a–b" when it passes hidden blocks
  const shownLayer = view.fold === 'block' ? (view.block ?? 0) : null;
  const visible = (op: Op) => op.layer === null || view.fold === 'all' || (view.fold === 'block' && op.layer === shownLayer);
  const range = (a: number, b: number) => (a === b ? `block ${a}` : `blocks ${a}–${b}`);
  let folded: Item | null = null;
  for (const op of g.ops) {
    if (op.layer !== null && view.fold === 'folded') {
      if (!folded) {
        folded = { id: 'blocks', op: null, layer: null, template: false, preds: [], w: foldedWidth(g), h: foldedHeight(g) };
        for (const t of op.inputs) {
          const p = byTensor.get(t);
          if (p) folded.preds.push({ item: p, tensor: t, skips: null });
        }
        out.push(folded);
      }
      byTensor.set(op.output, 'blocks');
      continue;
    }
    if (!visible(op)) {
      // a hidden block: its output stands for the stream passing through; remember which blocks it skips
      const inT = op.inputs.map((t) => byTensor.get(t)).find((x) => x !== undefined);
      if (inT) byTensor.set(op.output, inT);
      const first = op.layer! < (shownLayer ?? 0) ? 0 : (shownLayer ?? 0) + 1;
      const last = op.layer! < (shownLayer ?? 0) ? (shownLayer ?? 0) - 1 : L - 1;
      skipOf.set(op.output, range(first, last));
      continue;
    }
    const it: Item = {
      id: op.id,
      op,
      layer: op.layer,
      template: view.fold === 'block' && view.block === null && op.layer !== null,
      preds: [],
      w: NODE_W,
      h: isSmall(op) ? NODE_H_SMALL : NODE_H,
    };
    for (const t of op.inputs) {
      const p = byTensor.get(t);
      if (p) it.preds.push({ item: p, tensor: t, skips: skipOf.get(t) ?? null });
    }
    byTensor.set(op.output, op.id);
    out.push(it);
  }
  return out;
}

/** Place nodes of one rank: mean x of producers, then clusters pushed apart to not overlap. */
function placeRank(nodes: { desired: number; w: number }[]): number[] {
  const order = nodes.map((n, i) => i).sort((a, b) => nodes[a].desired - nodes[b].desired || a - b);
  type Cluster = { idx: number[]; sum: number; width: number; center: number };
  const clusters: Cluster[] = [];
  for (const i of order) {
    let c: Cluster = { idx: [i], sum: nodes[i].desired, width: nodes[i].w, center: nodes[i].desired };
    for (;;) {
      const prev = clusters[clusters.length - 1];
      if (!prev || prev.center + prev.width / 2 + GAP_X <= c.center - c.width / 2) break;
      clusters.pop();
      const idx = [...prev.idx, ...c.idx];
      const sum = prev.sum + c.sum;
      c = { idx, sum, width: prev.width + GAP_X + c.width, center: sum / idx.length };
    }
    clusters.push(c);
  }
  const xs = new Array<number>(nodes.length);
  for (const c of clusters) {
    let x = c.center - c.width / 2;
    for (const i of c.idx) {
      xs[i] = x + nodes[i].w / 2;
      x += nodes[i].w + GAP_X;
    }
  }
  return xs;
}

export function layoutGraph(g: Graph, view: ViewSpec): Layout {
  const its = items(g, view);
  const index = new Map(its.map((it, i) => [it.id, i]));
  const rank = new Array<number>(its.length).fill(0);
  its.forEach((it, i) => {
    for (const p of it.preds) rank[i] = Math.max(rank[i], rank[index.get(p.item)!] + 1);
  });
  const maxRank = Math.max(0, ...rank);
  const byRank: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  rank.forEach((r, i) => byRank[r].push(i));

  // Groups (block boxes) add vertical room: a header before a block's first rank, padding after its last.
  const layerOfRank = byRank.map((ids) => {
    const ls = new Set(ids.map((i) => its[i].layer));
    return ls.size === 1 ? [...ls][0] : null;
  });
  const x = new Array<number>(its.length).fill(0);
  const y = new Array<number>(its.length).fill(0);
  let cy = 0;
  for (let r = 0; r <= maxRank; r++) {
    const ids = byRank[r];
    const lay = layerOfRank[r];
    const prevLay = r > 0 ? layerOfRank[r - 1] : null;
    if (lay !== null && lay !== prevLay) cy += BLOCK_HEAD + BLOCK_PAD;
    if (r > 0 && prevLay !== null && prevLay !== lay) cy += BLOCK_PAD;
    const desired = ids.map((i) => {
      const ps = its[i].preds.map((p) => x[index.get(p.item)!]);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
    });
    const xs = ids.length === 1 ? [0] : placeRank(ids.map((i, k) => ({ desired: desired[k], w: its[i].w })));
    const h = Math.max(...ids.map((i) => its[i].h));
    ids.forEach((i, k) => {
      x[i] = xs[k];
      y[i] = cy + (h - its[i].h) / 2;
    });
    cy += h + GAP_Y;
  }

  const nodes: LNode[] = its.map((it, i) => ({ id: it.id, op: it.op, layer: it.layer, template: it.template, x: x[i], y: y[i], w: it.w, h: it.h, rank: rank[i] }));
  const nodeById = new Map(nodes.map((n) => [n.id, n]));

  // Edges. Long edges that would cross nodes between their ends take a side lane.
  const edges: LEdge[] = [];
  const lanes = { left: 0, right: 0 };
  for (const it of its) {
    const to = nodeById.get(it.id)!;
    for (const p of it.preds) {
      const from = nodeById.get(p.item)!;
      const sx = from.x;
      const sy = from.y + from.h;
      const tx = to.x;
      const ty = to.y;
      const between = nodes.filter((n) => n.rank > from.rank && n.rank < to.rank);
      const crosses = between.some((n) => {
        const t = (n.y + n.h / 2 - sy) / (ty - sy);
        const xi = sx + (tx - sx) * t;
        return Math.abs(xi - n.x) < n.w / 2 + 4;
      });
      let d: string;
      let lx: number;
      let ly: number;
      if (!crosses) {
        const my = (sy + ty) / 2;
        d = `M${sx},${sy} C${sx},${my} ${tx},${my} ${tx},${ty}`;
        lx = (sx + tx) / 2;
        ly = my;
      } else {
        const right = sx > 0.5 || (sx >= -0.5 && tx > 0.5);
        const k = right ? lanes.right++ : lanes.left++;
        const extent = right ? Math.max(...between.map((n) => n.x + n.w / 2), sx + from.w / 2) : Math.min(...between.map((n) => n.x - n.w / 2), sx - from.w / 2);
        const lane = right ? extent + LANE + k * 10 : extent - LANE - k * 10;
        const y1 = sy + 12;
        const y2 = ty - 14;
        d = `M${sx},${sy} C${sx},${y1 + 6} ${lane},${y1 - 6} ${lane},${y1 + 12} L${lane},${y2 - 12} C${lane},${y2 + 6} ${tx},${y2 - 6} ${tx},${ty}`;
        lx = lane;
        ly = (y1 + y2) / 2;
      }
      edges.push({ id: `${p.item}->${it.id}:${p.tensor}`, from: p.item, to: it.id, tensor: p.tensor, d, lx, ly, skips: p.skips });
    }
  }

  // Block boxes.
  const groups: LGroup[] = [];
  if (view.fold !== 'folded') {
    const layers = [...new Set(nodes.map((n) => n.layer).filter((l): l is number => l !== null))];
    for (const l of layers) {
      const ns = nodes.filter((n) => n.layer === l);
      const laneEdges = edges.filter((e) => nodeById.get(e.to)!.layer === l || nodeById.get(e.from)!.layer === l);
      const xs = [...ns.flatMap((n) => [n.x - n.w / 2, n.x + n.w / 2]), ...laneEdges.map((e) => e.lx)];
      const x0 = Math.min(...xs) - BLOCK_PAD;
      const x1 = Math.max(...xs) + BLOCK_PAD;
      const y0 = Math.min(...ns.map((n) => n.y)) - BLOCK_HEAD;
      const y1 = Math.max(...ns.map((n) => n.y + n.h)) + BLOCK_PAD - 6;
      const label = view.fold === 'block' && view.block === null ? `Decoder block  ×${g.blocks.count}` : `Block ${l}`;
      groups.push({ id: `block-${l}`, layer: view.fold === 'block' && view.block === null ? null : l, label, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
    }
  }

  const allX = [...nodes.flatMap((n) => [n.x - n.w / 2, n.x + n.w / 2]), ...edges.map((e) => e.lx), ...groups.flatMap((gr) => [gr.x, gr.x + gr.w])];
  const allY = [...nodes.flatMap((n) => [n.y, n.y + n.h]), ...groups.flatMap((gr) => [gr.y, gr.y + gr.h])];
  const x0 = Math.min(...allX);
  const y0 = Math.min(...allY);
  return { nodes, edges, groups, x0, y0, width: Math.max(...allX) - x0, height: Math.max(...allY) - y0 };
}
