/**
 * Stacked bars per layer (GEMM op), one row each in graph order: energy split into MAC, block /
 * scale handling, quantisation, on-chip and off-chip memory — or area (logic + SRAM), LUTs, or
 * memory bits (weights, activations, shared scales). d3 computes the stacks and the scale; React
 * owns the DOM. Hover for the op's numbers; click to select the op (the graph, the Layers pane and
 * the synthesis panel follow the selection).
 */
import { useMemo, useState } from 'react';
import { scaleLinear, stack } from 'd3';
import type { CostReport, LayerCost } from '../../core/cost';
import { Axis } from '../../ui/chart';
import { useWidth } from '../../ui/hooks';
import { metricTotal, type MetricSpec } from './costReport';

const ROW = 16;
const GAP = 3;
const M = { l: 66, r: 70, t: 6, b: 24 };

export function CostBars({ report, metric, selected, onPick }: { report: CostReport; metric: MetricSpec; selected: string | null; onPick: (op: string) => void }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<LayerCost | null>(null);
  const layers = report.layers;
  const w = Math.max(0, width - M.l - M.r);
  const h = layers.length * (ROW + GAP);
  const stacked = useMemo(() => {
    const rows = layers.map((l) => Object.fromEntries(metric.series.map((s) => [s.id, s.value(l)])));
    return stack<Record<string, number>>().keys(metric.series.map((s) => s.id))(rows);
  }, [layers, metric]);
  const grand = metricTotal(metric, report);
  const max = Math.max(1e-12, ...layers.map((l) => metricTotal(metric, l)));
  const x = useMemo(() => scaleLinear().domain([0, max]).nice().range([0, w]), [max, w]);

  return (
    <div className="cost-bars" ref={ref} data-testid="cost-bars" data-metric={metric.id} data-rows={layers.length}>
      <div className="cost-legend" aria-label="Series">
        {metric.series.map((s) => (
          <span key={s.id} className="cost-key">
            <i style={{ background: s.color }} />
            {s.label}
            <b className="num">{grand > 0 ? ` ${((s.value(report) / grand) * 100).toFixed(1)}%` : ''}</b>
          </span>
        ))}
        <span className="spacer" />
        <span className="muted">{metric.unit}</span>
      </div>
      {width > 0 ? (
        <svg className="chart" width={width} height={h + M.t + M.b} role="img" aria-label={`${metric.label} per layer`}>
          <g transform={`translate(${M.l},${M.t})`}>
            <Axis scale={x} orient="bottom" transform={`translate(0,${h})`} ticks={Math.max(2, Math.floor(w / 90))} format={(v) => metric.format(Number(v))} grid={h} />
            {layers.map((l, i) => {
              const y = i * (ROW + GAP);
              const total = metricTotal(metric, l);
              const sel = selected === l.op;
              return (
                <g
                  key={l.op}
                  transform={`translate(0,${y})`}
                  className={'cost-row' + (sel ? ' selected' : '')}
                  onMouseEnter={() => setHover(l)}
                  onMouseLeave={() => setHover(null)}
                  onClick={() => onPick(l.op)}
                  data-testid={`cost-row-${l.op}`}
                  data-total={total}
                  role="button"
                  aria-label={`${l.op}: ${metric.format(total)}`}
                >
                  <rect x={-M.l} y={-1} width={M.l + w + M.r} height={ROW + 2} className="cost-row-bg" />
                  <text x={-8} y={ROW - 4} className="label-strong" textAnchor="end">
                    {l.op}
                  </text>
                  {stacked.map((ser, k) => {
                    const [a, b] = ser[i];
                    return b > a ? <rect key={ser.key} x={x(a)} y={0} width={Math.max(0.5, x(b) - x(a))} height={ROW} style={{ fill: metric.series[k].color }} /> : null;
                  })}
                  <text x={x(total) + 6} y={ROW - 4} className="label">
                    {metric.format(total)}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      ) : null}
      {hover ? <OpTip l={hover} metric={metric} /> : <p className="hint-text">Hover a bar for its split; click to select the layer for synthesis (the graph and Layers pane follow).</p>}
    </div>
  );
}

function OpTip({ l, metric }: { l: LayerCost; metric: MetricSpec }) {
  const total = metricTotal(metric, l);
  return (
    <div className="cost-tip" data-testid="cost-tip">
      <b className="mono">{l.op}</b> <span className="muted">
        {l.type} · M×K×N = {l.gemm.M}×{l.gemm.K}×{l.gemm.N}
        {l.gemm.instances > 1 ? ` × ${l.gemm.instances}` : ''} · lanes {l.lanes.k}×{l.lanes.n}
        {l.lanes.m > 1 ? `×${l.lanes.m}` : ''}
      </span>
      {metric.series.map((s) => (
        <span key={s.id} className="cost-key">
          <i style={{ background: s.color }} />
          {s.label} <b className="num">{metric.format(s.value(l))}</b>
          {total > 0 && metric.series.length > 1 ? <span className="muted num"> ({((s.value(l) / total) * 100).toFixed(1)}%)</span> : null}
        </span>
      ))}
    </div>
  );
}
