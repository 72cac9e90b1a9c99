/**
 * The cost views' data: the cost model's report for the design point on screen (the loaded
 * graph, the document's formats and per-layer lanes, the hardware settings), the stacked series each metric plots,
 * per-op-kind sums for the Layers pane, and the graph's colour scale. The model is closed-form
 * (~10 µs a report), so it runs on the main thread on every edit; no worker is needed.
 */
import { useMemo } from 'react';
import { interpolateTurbo, scaleSequentialLog } from 'd3';
import { prepareCost, type CostReport, type LayerCost, type PreparedCost } from '../../core/cost';
import { resolveConfig, type Graph, type QuantConfig } from '../../core/graph';
import { documentStore } from '../../state/document';
import { hardwareStore, costOptions, type CostMetric, type HardwareSettings } from '../../state/hardware';
import { NO_LANES, lanesForGraph, type LanesMap } from '../../state/lanes';
import { modelStore } from '../../state/model';
import { useSlice } from '../../ui/hooks';

export type CostResult = { ok: true; report: CostReport } | { ok: false; message: string };

const prepared = new WeakMap<Graph, { key: string; cost: PreparedCost }>();

/**
 * The cost report of a design point, or the model's own message (CostError / FormatError) when it
 * cannot be priced. `lanes`: the document's per-layer lanes (entries naming no linear of this graph
 * are left out, as the Verilog pane leaves them out).
 */
export function computeCost(g: Graph, quant: QuantConfig, s: HardwareSettings, lanes: LanesMap = NO_LANES): CostResult {
  try {
    // prepareCost does the format-independent work; keep it while only formats change.
    const { perOp } = lanesForGraph(g, lanes);
    const key = JSON.stringify([s, perOp]);
    let p = prepared.get(g);
    if (!p || p.key !== key) {
      p = { key, cost: prepareCost(g, costOptions(s, perOp)) };
      prepared.set(g, p);
    }
    return { ok: true, report: p.cost(resolveConfig(g, quant).formats) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** The report for the model, formats and hardware now on screen; null while no model is loaded. */
export function useCostReport(): CostResult | null {
  const g = useSlice(modelStore, (s) => s.model?.graph ?? null);
  const quant = useSlice(documentStore, (s) => s.model.quant);
  const lanes = useSlice(documentStore, (s) => s.model.lanes);
  const hw = useSlice(hardwareStore, (s) => s);
  return useMemo(() => (g ? computeCost(g, quant, hw, lanes) : null), [g, quant, hw, lanes]);
}

// ------------------------------------------------------------------------------------ series

export interface Series {
  id: string;
  label: string;
  /** CSS colour (theme-independent hues, readable on both themes). */
  color: string;
  value: (l: LayerCost | CostReport) => number;
}

export interface MetricSpec {
  id: CostMetric;
  label: string;
  unit: string;
  /** Human value for the metric's unit. */
  format: (v: number) => string;
  series: Series[];
}

const pj = (v: number) => (v === 0 ? '0' : v >= 1e9 ? `${(v / 1e9).toPrecision(3)} mJ` : v >= 1e6 ? `${(v / 1e6).toPrecision(3)} µJ` : v >= 1e3 ? `${(v / 1e3).toPrecision(3)} nJ` : `${v.toPrecision(3)} pJ`);
const um2 = (v: number) => (v >= 1e5 ? `${(v / 1e6).toPrecision(3)} mm²` : v >= 1e3 ? `${(v / 1e3).toPrecision(3)}k µm²` : `${v.toPrecision(3)} µm²`);
const bits = (v: number) => (v >= 8 * 1024 * 1024 ? `${(v / 8 / 1048576).toPrecision(3)} MiB` : v >= 8 * 1024 ? `${(v / 8 / 1024).toPrecision(3)} KiB` : `${Math.round(v)} bit`);
const count = (v: number) => (v >= 1e6 ? `${(v / 1e6).toPrecision(3)} M` : v >= 1e4 ? `${(v / 1e3).toPrecision(3)} k` : String(Math.round(v)));

export const METRICS: Record<CostMetric, MetricSpec> = {
  energy: {
    id: 'energy',
    label: 'Energy',
    unit: 'pJ / inference',
    format: pj,
    series: [
      { id: 'mac', label: 'MAC', color: '#4cc2ff', value: (l) => l.energyPj.mac },
      { id: 'block', label: 'block / scale', color: '#a78bfa', value: (l) => l.energyPj.block },
      { id: 'quant', label: 'quantisation', color: '#f2cf3a', value: (l) => l.energyPj.quant },
      { id: 'onChip', label: 'on-chip memory', color: '#3ecf8e', value: (l) => l.energyPj.onChip },
      { id: 'offChip', label: 'off-chip memory', color: '#ff6b6b', value: (l) => l.energyPj.offChip },
    ],
  },
  area: {
    id: 'area',
    label: 'Area',
    unit: 'µm² at the node',
    format: um2,
    series: [
      { id: 'logic', label: 'logic', color: '#4cc2ff', value: (l) => l.logicAreaUm2 },
      { id: 'sram', label: 'on-chip SRAM', color: '#3ecf8e', value: (l) => l.sramAreaUm2 },
    ],
  },
  luts: {
    id: 'luts',
    label: 'LUT',
    unit: 'Xilinx 7-series LUTs (Yosys-calibrated estimate)',
    format: count,
    series: [{ id: 'luts', label: 'LUT', color: '#ff9f43', value: (l) => l.fpga.luts }],
  },
  memory: {
    id: 'memory',
    label: 'Memory bits',
    unit: 'bits stored / moved per inference',
    format: bits,
    series: [
      { id: 'weights', label: 'weights', color: '#4cc2ff', value: (l) => l.memoryBits.weights },
      { id: 'activations', label: 'activations', color: '#f2cf3a', value: (l) => l.memoryBits.activations },
      { id: 'metadata', label: 'shared scales', color: '#ff6b6b', value: (l) => l.memoryBits.metadata },
    ],
  },
};

export const formatEnergy = pj;
export const formatArea = um2;
export const formatBits = bits;
export const formatCount = count;

/** Total of a metric for one op (sum of its series). */
export function metricTotal(m: MetricSpec, l: LayerCost | CostReport): number {
  let s = 0;
  for (const x of m.series) s += x.value(l);
  return s;
}

// ------------------------------------------------------------------------------------ by op kind

export interface KindCost {
  kind: string;
  /** Op ids of this kind (one per block; one for the head). */
  ops: string[];
  energyPj: number;
  areaUm2: number;
  luts: number;
  memoryBits: number;
}

/** Sum per op kind (`q`, `down`, `qk`, `head`, …), in graph order: what the Layers pane's op-type rows stand for. */
export function costByKind(r: CostReport): KindCost[] {
  const by = new Map<string, KindCost>();
  for (const l of r.layers) {
    let k = by.get(l.kind);
    if (!k) by.set(l.kind, (k = { kind: l.kind, ops: [], energyPj: 0, areaUm2: 0, luts: 0, memoryBits: 0 }));
    k.ops.push(l.op);
    k.energyPj += l.energyPj.total;
    k.areaUm2 += l.areaUm2;
    k.luts += l.fpga.luts;
    k.memoryBits += l.memoryBits.total;
  }
  return [...by.values()];
}

// ------------------------------------------------------------------------------------ graph colours

/**
 * Colour of an op by its energy or area among all ops. Log scale: the head and the MLP dwarf the
 * attention matmuls. Turbo's middle (0.1–0.9) stays readable on the dark and the light theme.
 */
const ramp = (t: number) => interpolateTurbo(0.1 + 0.8 * t);

export function opColorScale(r: CostReport, by: 'energy' | 'area'): { color: (op: string) => string | null; min: number; max: number } {
  const val = (l: LayerCost) => (by === 'energy' ? l.energyPj.total : l.areaUm2);
  const vals = new Map(r.layers.map((l) => [l.op, val(l)]));
  const pos = [...vals.values()].filter((v) => v > 0);
  const min = pos.length ? Math.min(...pos) : 1;
  const max = pos.length ? Math.max(...pos) : 1;
  const s = scaleSequentialLog(ramp).domain([min, Math.max(max, min * 1.0001)]);
  return { color: (op) => (vals.has(op) && vals.get(op)! > 0 ? s(vals.get(op)!) : null), min, max };
}

/** CSS gradient of the cost legend. */
export function costGradient(): string {
  const stops: string[] = [];
  for (let i = 0; i <= 10; i++) stops.push(`${ramp(i / 10)} ${i * 10}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}
