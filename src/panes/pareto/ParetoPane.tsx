/**
 * The Pareto plot (d3 scales and brush, React-owned SVG): every trial on two chosen metrics with a
 * third as colour, the search's front ringed and joined by its staircase (when the axes are the two
 * objectives), the hypervolume reference point, and the reference designs (fp32, 8-bit fixed point,
 * MXINT8, MXFP4) as labelled marks scored by the same evaluator. Hover for details; click a point
 * (or a reference mark) to pick it: it becomes the selected design and its formats and per-layer
 * lanes load into the Layers pane (and so into the Verilog pane). Drag to brush a set of trials (the trial table can show just those). Keyboard: focus
 * the plot, ←/→ walk the points in x order, Enter picks, Esc clears the brush. PNG / SVG export.
 */
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { brush as d3brush, interpolateViridis, scaleLinear, scaleLog, scaleSequential, select, type ScaleLinear, type ScaleLogarithmic } from 'd3';
import { documentStore } from '../../state/document';
import { searchStore, setSearchView, type ParetoView } from '../../state/search';
import { METRICS, METRIC_IDS, axisUnit, type MetricId } from '../../state/searchDoc';
import { Axis } from '../../ui/chart';
import { Check, Select } from '../../ui/controls';
import { useSlice, useWidth } from '../../ui/hooks';
import { exportPng, exportSvg } from '../../ui/plotExport';
import { baselineLabel, selectDesign } from '../search/searchRunner';
import { configLabel } from '../trials/trialsModel';
import { baselinePoints, brushed, domainOf, logAllowed, logTicks, placeLabels, plotPoints, staircase, stepPoint, type PlotPoint } from './paretoModel';

const M = { l: 58, r: 18, t: 14, b: 44 };
const LEGEND_W = 14;

type Scale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

function setView(patch: Partial<ParetoView>): void {
  setSearchView({ pareto: { ...searchStore.getState().pareto, ...patch } });
}

const metricOptions = METRIC_IDS.map((id) => ({ id, label: METRICS[id].label + (METRICS[id].direction === 'max' ? ' ↑' : '') }));

function Tooltip({ p, left, top, flip }: { p: PlotPoint; left: number; top: number; flip: boolean }) {
  const run = useSlice(searchStore, (s) => s.run);
  const t = run?.trials[p.id];
  if (!t || !run) return null;
  const shown: MetricId[] = [...new Set<MetricId>([...run.settings.objectives, 'perplexity', 'deltaPerplexityPct', 'energyPj', 'areaUm2', 'avgBits'])];
  return (
    <div className="plot-tip" style={{ left, top, transform: flip ? 'translate(-100%, -50%)' : 'translate(0, -50%)' }} data-testid="pareto-tip" role="tooltip">
      <div className="tip-head">
        <b>trial #{t.id}</b>
        <span className={'tag' + (t.fidelity === 'full' ? ' ok' : '')}>{t.fidelity === 'full' ? `${run.settings.fullTokens} tok` : `proxy ${run.settings.proxyTokens} tok`}</span>
        {p.front ? <span className="tag front">front</span> : null}
        {!t.feasible ? <span className="tag bad">over budget</span> : null}
      </div>
      <table>
        <tbody>
          {shown.map((m) => (
            <tr key={m}>
              <td>{METRICS[m].label}</td>
              <td className="num">{METRICS[m].fmt(t.metrics[m])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="tip-config mono">{configLabel(t.config)}</div>
      <div className="tip-hint">click: load into Layers</div>
    </div>
  );
}

export function ParetoPane() {
  const run = useSlice(searchStore, (s) => s.run);
  const view = useSlice(searchStore, (s) => s.pareto);
  const selected = useSlice(searchStore, (s) => s.selected);
  const hover = useSlice(searchStore, (s) => s.hover);
  const brushIds = useSlice(searchStore, (s) => s.brushed);
  const objectives = useSlice(documentStore, (s) => s.search.objectives);
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const svgRef = useRef<SVGSVGElement>(null);
  const brushRef = useRef<SVGGElement>(null);

  const height = Math.round(Math.min(520, Math.max(340, width * 0.7)));
  const w = Math.max(0, width - M.l - M.r - (view.color !== 'none' ? LEGEND_W + 70 : 0));
  const h = height - M.t - M.b;
  const trials = useMemo(() => run?.trials ?? [], [run?.trials]);
  const summary = run?.summary ?? null;
  const objs = run?.settings.objectives ?? objectives;

  const points = useMemo(() => plotPoints(trials, summary, view), [trials, summary, view]);
  const bases = useMemo(() => baselinePoints(run?.baselines ?? [], view.x, view.y), [run?.baselines, view.x, view.y]);
  // Domains over every trial (not just the drawn ones) and the references: toggles do not move the axes.
  const allX = useMemo(() => [...trials.map((t) => t.metrics[view.x]), ...bases.map((b) => b.x)], [trials, bases, view.x]);
  const allY = useMemo(() => [...trials.map((t) => t.metrics[view.y]), ...bases.map((b) => b.y)], [trials, bases, view.y]);
  const logX = view.logX && logAllowed(allX);
  const logY = view.logY && logAllowed(allY);
  const x: Scale = useMemo(() => (logX ? scaleLog() : scaleLinear()).domain(domainOf(allX, logX)).range([0, w]), [allX, logX, w]);
  const y: Scale = useMemo(() => (logY ? scaleLog() : scaleLinear()).domain(domainOf(allY, logY)).range([h, 0]), [allY, logY, h]);
  const cVals = useMemo(() => (view.color === 'none' ? [] : trials.map((t) => t.metrics[view.color as MetricId]).filter(Number.isFinite)), [trials, view.color]);
  const color = useMemo(() => {
    if (!cVals.length) return null;
    let lo = Math.min(...cVals);
    let hi = Math.max(...cVals);
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    // Better = brighter (viridis yellow) for both directions.
    const better = view.color !== 'none' && METRICS[view.color].direction === 'max';
    return scaleSequential(interpolateViridis).domain(better ? [lo, hi] : [hi, lo]);
  }, [cVals, view.color]);

  // The staircase and the reference point belong to the objective space: drawn when the axes are two objectives.
  const xi = objs.indexOf(view.x);
  const yi = objs.indexOf(view.y);
  const onObjectives = xi >= 0 && yi >= 0 && xi !== yi;
  const stairs = useMemo(() => (onObjectives && objs.length === 2 ? staircase(points.filter((p) => p.front), [METRICS[view.x].direction, METRICS[view.y].direction]) : []), [onObjectives, objs.length, points, view.x, view.y]);
  const refPt = onObjectives ? summary?.hypervolume?.reference_point : undefined;
  // The reference point is drawn only when it falls inside the axes (it often lies beyond the worst trial).
  const inDomain = (s: Scale, v: number) => {
    const [a, b] = s.domain() as [number, number];
    return Number.isFinite(v) && v >= Math.min(a, b) && v <= Math.max(a, b);
  };
  const ref = refPt && inDomain(x, refPt[xi]) && inDomain(y, refPt[yi]) ? refPt : undefined;
  const xu = useMemo(() => axisUnit(view.x, Math.max(...(x.domain() as number[]).map(Math.abs))), [view.x, x]);
  const yu = useMemo(() => axisUnit(view.y, Math.max(...(y.domain() as number[]).map(Math.abs))), [view.y, y]);
  const nx = Math.max(2, Math.floor(w / 80));
  const ny = Math.max(2, Math.floor(h / 45));
  const xTicks = logX ? logTicks(x.ticks(nx), nx) : undefined;
  const yTicks = logY ? logTicks(y.ticks(ny), ny) : undefined;

  const px = (p: { x: number; y: number }): [number, number] => [x(p.x), y(p.y)];

  // d3-brush on an overlay under the points; the brushed ids go to the store (the table can filter on them).
  const live = useRef({ points, px });
  live.current = { points, px };
  useEffect(() => {
    const g = brushRef.current;
    if (!g || w <= 0 || h <= 0) return;
    const b = d3brush<unknown>()
      .extent([
        [0, 0],
        [w, h],
      ])
      .on('end', (ev: { selection: [[number, number], [number, number]] | null; sourceEvent?: unknown }) => {
        if (!ev.sourceEvent) return;
        if (!ev.selection) setSearchView({ brushed: null });
        else setSearchView({ brushed: brushed(live.current.points, live.current.px, ev.selection) });
      });
    const sel = select(g);
    sel.call(b);
    return () => {
      sel.on('.brush', null);
      sel.selectAll('*').remove();
    };
  }, [w, h]);
  // A cleared brush (Esc, a new run) removes the rectangle too.
  useEffect(() => {
    if (brushIds === null && brushRef.current) select(brushRef.current).select('.selection').attr('display', 'none');
  }, [brushIds]);

  const name = run ? `pareto-${run.id}-${view.x}-vs-${view.y}` : 'pareto';
  const onKey = (e: KeyboardEvent) => {
    const svg = svgRef.current;
    if (svg && e.ctrlKey && e.shiftKey && e.key.toLowerCase() === 'e') {
      e.preventDefault();
      void exportPng(svg, name);
      return;
    }
    if (svg && e.ctrlKey && e.altKey && e.key.toLowerCase() === 'e') {
      e.preventDefault();
      exportSvg(svg, name);
      return;
    }
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      setSearchView({ hover: stepPoint(points, hover, e.key === 'ArrowRight' ? 1 : -1) });
    } else if (e.key === 'Enter' && hover !== null) {
      e.preventDefault();
      selectDesign({ trial: hover });
    } else if (e.key === 'Escape') {
      setSearchView({ brushed: null, hover: null });
    }
  };

  const labels = placeLabels(
    bases.map((b) => ({ x: px(b)[0], y: px(b)[1], width: baselineLabel(b.name).length * 6.6 + 4 })),
    w,
  );
  const hp = hover !== null ? points.find((p) => p.id === hover) : undefined;
  const selTrial = selected && run && selected.runId === run.id && selected.trialId !== null ? points.find((p) => p.id === selected.trialId) : undefined;
  const brushSet = brushIds ? new Set(brushIds) : null;
  const front = points.filter((p) => p.front).length;
  const xDir = METRICS[view.x].direction === 'min' ? 'lower is better' : 'higher is better';
  const yDir = METRICS[view.y].direction === 'min' ? 'lower is better' : 'higher is better';

  return (
    <section className="panel pareto" aria-label="Pareto front" data-testid="pareto-pane" onKeyDown={onKey}>
      <div className="panel-head">
        <h2>Pareto front</h2>
        <span className="sub" data-testid="pareto-count">
          {trials.length ? `${points.length} of ${trials.length} trials drawn · ${summary?.front.length ?? 0} on the front` : 'no trials yet'}
          {brushIds ? ` · ${brushIds.length} brushed` : ''}
        </span>
        <span className="spacer" />
        <button className="btn small ghost" title="Export PNG (Ctrl+Shift+E)" disabled={!trials.length} onClick={() => svgRef.current && void exportPng(svgRef.current, name)} data-testid="pareto-png">
          PNG
        </button>
        <button className="btn small ghost" title="Export SVG (Ctrl+Alt+E)" disabled={!trials.length} onClick={() => svgRef.current && exportSvg(svgRef.current, name)} data-testid="pareto-svg-export">
          SVG
        </button>
      </div>
      <div className="pareto-controls">
        <label>
          x <Select label="x axis" testId="pareto-x" value={view.x} options={metricOptions} onChange={(v) => setView({ x: v })} />
        </label>
        <label>
          y <Select label="y axis" testId="pareto-y" value={view.y} options={metricOptions} onChange={(v) => setView({ y: v })} />
        </label>
        <label>
          colour <Select label="colour" testId="pareto-color" value={view.color} options={[...metricOptions, { id: 'none' as const, label: 'none' }]} onChange={(v) => setView({ color: v })} />
        </label>
        <Check checked={view.logX} onChange={(v) => setView({ logX: v })} title={logAllowed(allX) ? 'Logarithmic x axis' : 'Needs positive values'}>
          log x
        </Check>
        <Check checked={view.logY} onChange={(v) => setView({ logY: v })} title={logAllowed(allY) ? 'Logarithmic y axis' : 'Needs positive values'}>
          log y
        </Check>
        <Check checked={view.dominated} onChange={(v) => setView({ dominated: v })} testId="pareto-dominated" title="Show trials off the front">
          dominated
        </Check>
        <Check checked={view.proxy} onChange={(v) => setView({ proxy: v })} title="Show trials scored only on the proxy budget (hollow)">
          proxy-only
        </Check>
      </div>
      <div className="plot-wrap" ref={wrapRef}>
        {width > 0 ? (
          <svg
            ref={svgRef}
            className="chart pareto-svg"
            width={width}
            height={height}
            tabIndex={0}
            role="img"
            aria-label={`Pareto plot: ${METRICS[view.y].label} against ${METRICS[view.x].label}, ${points.length} trials. Arrow keys walk the points, Enter loads one into Layers.`}
            data-testid="pareto-svg"
            data-points={points.length}
            data-front={front}
          >
            <g transform={`translate(${M.l},${M.t})`}>
              <Axis scale={x} orient="bottom" transform={`translate(0,${h})`} ticks={nx} tickValues={xTicks} format={xu.tick} grid={h} />
              <Axis scale={y} orient="left" ticks={ny} tickValues={yTicks} format={yu.tick} grid={w} />
              <g ref={brushRef} className="brush" data-export="skip" />
              {stairs.length > 1 ? <path className="front-line" d={'M' + stairs.map(([a, b]) => `${x(a)},${y(b)}`).join('L')} /> : null}
              {ref && Number.isFinite(ref[xi]) && Number.isFinite(ref[yi]) ? (
                <g className="ref-point" transform={`translate(${x(ref[xi])},${y(ref[yi])})`} data-testid="hv-ref">
                  <path d="M-5,0H5M0,-5V5" />
                  <text x={6} y={-6} className="label">
                    HV reference
                  </text>
                </g>
              ) : null}
              {points.map((p) => {
                const [cx, cy] = px(p);
                const fill = p.c !== null && color ? color(p.c) : 'var(--accent)';
                const dim = brushSet && !brushSet.has(p.id);
                return (
                  <circle
                    key={p.id}
                    className={'pt' + (p.front ? ' front' : '') + (p.full ? '' : ' proxy') + (p.feasible ? '' : ' infeasible') + (dim ? ' dim' : '')}
                    cx={cx}
                    cy={cy}
                    r={p.front ? 5.5 : 4}
                    style={p.full ? { fill } : { stroke: fill }}
                    data-testid="pareto-point"
                    data-trial={p.id}
                    onMouseEnter={() => setSearchView({ hover: p.id })}
                    onMouseLeave={() => setSearchView({ hover: null })}
                    onClick={() => selectDesign({ trial: p.id })}
                  />
                );
              })}
              {bases.map((b, i) => {
                const [bx, by] = px(b);
                const l = labels[i];
                const pick = selected?.baseline === b.name && selected.runId === run?.id;
                return (
                  <g key={b.name} className={'baseline' + (pick ? ' picked' : '')} data-testid={`baseline-${b.name}`} onClick={() => selectDesign({ baseline: b.name })} role="button" aria-label={`Reference ${baselineLabel(b.name)}: load into Layers`}>
                    <path d="M0,-6L6,0L0,6L-6,0Z" transform={`translate(${bx},${by})`} />
                    {Math.abs(l.y - 4 - by) > 6 ? <line className="label-leader" x1={bx} y1={by} x2={l.x} y2={l.y - 4} /> : null}
                    <text x={l.x} y={l.y} textAnchor={l.anchor} className="label-strong">
                      {baselineLabel(b.name)}
                    </text>
                  </g>
                );
              })}
              {selTrial ? <circle className="sel-ring" cx={px(selTrial)[0]} cy={px(selTrial)[1]} r={10} data-testid="pareto-selected" data-trial={selTrial.id} /> : null}
              {hp ? <circle className="hover-ring" cx={px(hp)[0]} cy={px(hp)[1]} r={8} data-export="skip" pointerEvents="none" /> : null}
            </g>
            <text className="label" x={M.l + w / 2} y={height - 8} textAnchor="middle">
              {xu.label} — {xDir}
            </text>
            <text className="label" transform={`translate(14,${M.t + h / 2}) rotate(-90)`} textAnchor="middle">
              {yu.label} — {yDir}
            </text>
            {color && view.color !== 'none' ? <ColorLegend x0={M.l + w + 26} y0={M.t} h={h} color={color} metric={view.color} /> : null}
          </svg>
        ) : null}
        {hp && width > 0 ? <Tooltip p={hp} left={M.l + px(hp)[0] + (px(hp)[0] > w / 2 ? -14 : 14)} top={M.t + px(hp)[1]} flip={px(hp)[0] > w / 2} /> : null}
        {!trials.length ? <div className="plot-empty">{run ? 'Trials appear here as each batch finishes.' : 'Start a search: every trial lands here as it finishes, with fp32, 8-bit fixed point, MXINT8 and MXFP4 as reference marks.'}</div> : null}
      </div>
      <div className="pareto-legend">
        <span>
          <i className="lg-dot" /> full budget
        </span>
        <span>
          <i className="lg-dot hollow" /> proxy only
        </span>
        <span>
          <i className="lg-dot ring" /> on the front
        </span>
        <span>
          <i className="lg-diamond" /> reference design
        </span>
        <span className="muted">drag to brush · click to load into Layers · ←/→ Enter</span>
      </div>
    </section>
  );
}

function ColorLegend({ x0, y0, h, color, metric }: { x0: number; y0: number; h: number; color: (v: number) => string; metric: MetricId }) {
  const [a, b] = (color as unknown as { domain(): [number, number] }).domain();
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const steps = 24;
  return (
    <g transform={`translate(${x0},${y0})`} className="color-legend">
      {Array.from({ length: steps }, (_, i) => {
        const v = hi - ((hi - lo) * (i + 0.5)) / steps;
        return <rect key={i} x={0} y={(h * i) / steps} width={LEGEND_W} height={h / steps + 0.5} style={{ fill: color(v) }} />;
      })}
      <text x={LEGEND_W + 4} y={8} className="label">
        {METRICS[metric].fmt(hi)}
      </text>
      <text x={LEGEND_W + 4} y={h} className="label">
        {METRICS[metric].fmt(lo)}
      </text>
      <text transform={`translate(${LEGEND_W + 36},${h / 2}) rotate(90)`} textAnchor="middle" className="label">
        {METRICS[metric].label}
      </text>
    </g>
  );
}
