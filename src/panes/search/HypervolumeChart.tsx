/**
 * Hypervolume against trials (d3): how much of the objective space the front dominates, up to the
 * reference point, after each trial — the search's convergence at a glance (Optuna has it only in
 * Python; ux-conventions N3). The reference point is fixed before the first trial from the space's
 * uniform designs (the CLI's rule, core/search/baselines.ts), so the curve never rescales, is
 * non-decreasing, and compares with `mx-studio search` runs. A flat tail says the search has stalled.
 */
import { useRef } from 'react';
import { area, curveStepAfter, line, scaleLinear } from 'd3';
import { searchStore } from '../../state/search';
import { METRICS } from '../../state/searchDoc';
import { Axis, tickLabel } from '../../ui/chart';
import { useSlice, useWidth } from '../../ui/hooks';
import { exportPng, exportSvg } from '../../ui/plotExport';

const H = 170;
const M = { l: 52, r: 12, t: 10, b: 30 };

/** Trials since the hypervolume last grew, and whether that reads as a stall (≥ max(8, n/4) with n ≥ 16). */
export function stall(history: readonly number[]): { since: number; stalled: boolean } {
  const n = history.length;
  let i = n - 1;
  while (i > 0 && history[i - 1] === history[n - 1]) i--;
  const since = n - 1 - i;
  return { since, stalled: n >= 16 && since >= Math.max(8, Math.ceil(n / 4)) };
}

export function HypervolumeChart() {
  const run = useSlice(searchStore, (s) => s.run);
  const [ref, width] = useWidth<HTMLDivElement>();
  const svgRef = useRef<SVGSVGElement>(null);
  const hv = run?.summary?.hypervolume ?? null;
  const history = hv?.history ?? [];
  const n = history.length;
  const w = Math.max(0, width - M.l - M.r);
  const h = H - M.t - M.b;
  const x = scaleLinear()
    .domain([1, Math.max(2, n)])
    .range([0, w]);
  const ymax = Math.max(...history, 0) || 1;
  const y = scaleLinear()
    .domain([0, ymax * 1.08])
    .range([h, 0]);
  const pts = history.map((v, i) => [i + 1, v] as [number, number]);
  const path = line<[number, number]>()
    .x((d) => x(d[0]))
    .y((d) => y(d[1]))
    .curve(curveStepAfter)(pts);
  const fill = area<[number, number]>()
    .x((d) => x(d[0]))
    .y0(h)
    .y1((d) => y(d[1]))
    .curve(curveStepAfter)(pts);
  const st = stall(history);
  const objs = run?.settings.objectives ?? [];
  const name = run ? `hypervolume-${run.id}` : 'hypervolume';
  const nObj = objs.length;

  return (
    <section className="panel hv" aria-label="Hypervolume">
      <div className="panel-head">
        <h2>Hypervolume</h2>
        <span className="sub num" data-testid="hv-value" data-value={hv ? hv.value : ''}>
          {hv ? hv.value.toPrecision(4).replace('+', '') : nObj > 3 ? 'exact for ≤ 3 objectives only' : '—'}
        </span>
        <span className="spacer" />
        <button className="btn small ghost" disabled={!n} onClick={() => svgRef.current && void exportPng(svgRef.current, name)} title="Export PNG">
          PNG
        </button>
        <button className="btn small ghost" disabled={!n} onClick={() => svgRef.current && exportSvg(svgRef.current, name)} title="Export SVG">
          SVG
        </button>
      </div>
      <div className="plot-wrap" ref={ref}>
        {width > 0 ? (
          <svg ref={svgRef} className="chart" width={width} height={H} data-testid="hv-chart" data-points={n} data-history={history.join(',')} role="img" aria-label={`Hypervolume after each of ${n} trials`}>
            <g transform={`translate(${M.l},${M.t})`}>
              <Axis scale={x} orient="bottom" transform={`translate(0,${h})`} ticks={Math.min(Math.max(1, n - 1), Math.max(2, Math.floor(w / 60)))} format={(v) => String(Math.round(Number(v)))} />
              <Axis scale={y} orient="left" ticks={4} format={tickLabel} grid={w} />
              {fill ? <path className="hv-area" d={fill} /> : null}
              {path ? <path className="hv-line" d={path} /> : null}
            </g>
            <text className="label" x={M.l + w / 2} y={H - 4} textAnchor="middle">
              trials
            </text>
          </svg>
        ) : null}
        {!n ? <div className="plot-empty small">{run ? 'After the first batch.' : 'The hypervolume after each trial.'}</div> : null}
      </div>
      <div className="hv-foot">
        {hv ? (
          <span className="muted" data-testid="hv-reference">
            reference point (from the uniform designs, as the CLI): {objs.map((o, i) => `${METRICS[o].label} ${METRICS[o].fmt(hv.reference_point[i])}`).join(' · ')}
          </span>
        ) : null}
        {st.stalled ? (
          <span className="stall" data-testid="hv-stall">
            No gain in the last {st.since} trials: the search may have converged.
          </span>
        ) : null}
      </div>
    </section>
  );
}
