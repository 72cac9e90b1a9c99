/**
 * Graph pane: the loaded model as a vertical dataflow (embedding → decoder blocks → norm → head),
 * blocks folded into "block × N" by default (expand to one block, the template of all, or every
 * block), nodes coloured by the bits per element of their quant points' current formats, or by
 * Δ loss after a sensitivity sweep. Hover an edge for its tensor and shape; click a node to select
 * it (the Layers pane edits its formats). d3 does the layout maths, zoom and colour scales; React
 * owns the DOM.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { select, zoom, zoomIdentity, zoomTransform, type ZoomBehavior } from 'd3';
import { formatToString, parseFormat } from '../../core/formats';
import type { Graph, Op, QuantPoint } from '../../core/graph';
import { documentStore } from '../../state/document';
import { modelStore, setModelView, type GraphView } from '../../state/model';
import { setSession } from '../../state/session';
import { Segmented } from '../../ui/controls';
import { fmtDb, fmtInt, fmtNum } from '../../ui/format';
import { useSlice } from '../../ui/hooks';
import { costViewStore } from '../../state/hardware';
import { CostLegend, useCostPaint } from '../cost/LayerCost';
import { ModelBar, ModelDropZone } from '../layers/ModelSource';
import { ensureModel } from '../layers/modelRunner';
import { pointBits, resolveWithRules, typePattern, type Resolved } from '../layers/rules';
import { BITS_STOPS, bitsColor, bitsGradient, deltaGradient, deltaPct, deltaScale } from './colors';
import { foldedHeight, heatCell, layoutGraph, type LEdge, type LNode, type Layout } from './layout';
import './graph.css';

type Paint = (pointId: string) => string | null;

function shapeText(g: Graph, tensor: string): string {
  const t = g.tensors.get(tensor);
  return t ? `[${t.shape.join(', ')}]` : '';
}

/** MACs per token of an op at a 256-token window (attention grows with the window). */
function macsPerToken(op: Op): number {
  return op.macs(256) / 256;
}

function PointPills({ node, g, paint, x, y }: { node: LNode; g: Graph; paint: Paint; x: number; y: number }) {
  const op = node.op!;
  const pills = op.points.map((id) => g.pointById.get(id)!);
  const pw = 24;
  const gap = 4;
  const x0 = x - pills.length * (pw + gap);
  return (
    <g>
      {pills.map((p, i) => {
        // the template stands for every block: one slice per block
        const ids = node.template ? Array.from({ length: g.blocks.count }, (_, l) => `L${l}.${p.kind}.${p.role}`) : [p.id];
        const sw = pw / ids.length;
        return (
          <g key={p.id} transform={`translate(${x0 + i * (pw + gap)},${y})`}>
            {ids.map((id, k) => {
              const c = paint(id);
              return <rect key={id} x={k * sw} y={0} width={sw} height={14} className={c ? 'pill' : 'pill fp32'} style={c ? { fill: c } : undefined} />;
            })}
            <rect x={0} y={0} width={pw} height={14} rx={3} className="pill-frame" />
            <text x={pw / 2} y={10.5} className="pill-text">
              {p.role}
            </text>
          </g>
        );
      })}
    </g>
  );
}

function OpNode({ node, g, paint, selected, onPick }: { node: LNode; g: Graph; paint: Paint; selected: boolean; onPick: (n: LNode) => void }) {
  const op = node.op!;
  const quant = op.points.length > 0;
  const weight = op.points.map((id) => g.pointById.get(id)!).find((p) => p.role === 'w' || p.role === 'b');
  const main = weight ? paint(node.template ? `L0.${weight.kind}.${weight.role}` : weight.id) : null;
  const left = node.x - node.w / 2;
  const title = node.template ? `${op.label} — ${op.kind} in every block` : `${op.label} (${op.id})`;
  return (
    <g
      className={'gnode' + (quant ? ' quant' : ' plain') + (selected ? ' selected' : '')}
      transform={`translate(${left},${node.y})`}
      onClick={(e) => {
        e.stopPropagation();
        onPick(node);
      }}
      data-testid={`node-${node.template ? `*.${op.kind}` : op.id}`}
      role="button"
      aria-label={title}
    >
      <title>{title}</title>
      <rect width={node.w} height={node.h} rx={6} className="gnode-box" style={main ? { stroke: main } : undefined} />
      {main ? <rect width={4} height={node.h} rx={2} style={{ fill: main }} /> : null}
      <text x={12} y={quant ? 16 : node.h / 2 + 4} className="gnode-label">
        {op.label}
      </text>
      {quant ? (
        <text x={12} y={30} className="gnode-sub">
          {node.template ? `L*.${op.kind}` : op.id} · {op.type}
        </text>
      ) : (
        <text x={node.w - 10} y={node.h / 2 + 4} className="gnode-sub" textAnchor="end">
          {op.type}
        </text>
      )}
      {quant ? <PointPills node={node} g={g} paint={paint} x={node.w - 8} y={node.h / 2 - 7} /> : null}
    </g>
  );
}

function FoldedNode({ node, g, paint, onExpand }: { node: LNode; g: Graph; paint: Paint; onExpand: () => void }) {
  const N = g.blocks.count;
  const cell = heatCell(N);
  const cols = g.points.filter((p) => p.layer === 0);
  const left = node.x - node.w / 2;
  const x0 = 44;
  return (
    <g className="gnode folded" transform={`translate(${left},${node.y})`} onClick={onExpand} data-testid="node-blocks" role="button" aria-label={`Decoder block × ${N}: expand`}>
      <title>{`${N} decoder blocks${g.blocks.identical ? ' with identical ops' : ''}: click to expand`}</title>
      <rect width={node.w} height={node.h} rx={8} className="gnode-box" />
      <rect x={5} y={5} width={node.w} height={node.h} rx={8} className="gnode-stack" />
      <rect width={node.w} height={node.h} rx={8} className="gnode-box" />
      <text x={12} y={20} className="gnode-title" data-testid="blocks-label">
        block × {N}
      </text>
      <text x={node.w - 12} y={20} className="gnode-sub" textAnchor="end">
        {g.blocks.template.length} ops · {cols.length} quant points each
      </text>
      {cols.map((p, c) => (
        <text key={p.id} x={x0 + c * (cell + 2) + cell / 2} y={36} className="heat-col" textAnchor="middle">
          {c === 0 || cols[c - 1].kind !== p.kind ? p.kind : ''}
        </text>
      ))}
      {Array.from({ length: N }, (_, l) => (
        <g key={l} transform={`translate(0,${44 + l * cell})`}>
          {N <= 16 || l % 4 === 0 ? (
            <text x={x0 - 6} y={cell - 2} className="heat-row" textAnchor="end">
              L{l}
            </text>
          ) : null}
          {cols.map((p, c) => {
            const id = `L${l}.${p.kind}.${p.role}`;
            const col = paint(id);
            return (
              <rect key={id} x={x0 + c * (cell + 2)} y={0} width={cell} height={cell - 1} rx={1.5} className={col ? 'heat' : 'heat fp32'} style={col ? { fill: col } : undefined}>
                <title>{id}</title>
              </rect>
            );
          })}
        </g>
      ))}
      <text x={x0} y={foldedHeight(g) - 8} className="gnode-sub">
        {g.blocks.identical ? 'identical blocks' : 'blocks differ'} · click to expand
      </text>
    </g>
  );
}

function EdgeView({ e, hovered, onHover }: { e: LEdge; hovered: boolean; onHover: (e: LEdge | null) => void }) {
  return (
    <g className={'gedge' + (hovered ? ' hover' : '') + (e.skips ? ' skips' : '')} onMouseEnter={() => onHover(e)} onMouseLeave={() => onHover(null)}>
      <path d={e.d} className="gedge-line" markerEnd="url(#arrow)" />
      <path d={e.d} className="gedge-hit" />
    </g>
  );
}

function EdgeLabel({ e, g, template }: { e: LEdge; g: Graph; template: boolean }) {
  const name = template ? e.tensor.replace(/^L0\./, 'L*.') : e.tensor;
  const text = `${name}  ${shapeText(g, e.tensor)}${e.skips ? `  (through ${e.skips})` : ''}`;
  const w = text.length * 6.4 + 16;
  return (
    <g className="edge-label" transform={`translate(${e.lx + 10},${e.ly - 11})`} data-testid="edge-label" pointerEvents="none">
      <rect width={w} height={22} rx={4} />
      <text x={8} y={15}>
        {text}
      </text>
    </g>
  );
}

function Canvas({ g, layout, paint, selected, onPick, onExpand }: { g: Graph; layout: Layout; paint: Paint; selected: string | null; onPick: (n: LNode) => void; onExpand: () => void }) {
  const svgRef = useRef<SVGSVGElement>(null);
  const gRef = useRef<SVGGElement>(null);
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);
  const [hover, setHover] = useState<LEdge | null>(null);

  const fit = () => {
    const svg = svgRef.current;
    const z = zoomRef.current;
    if (!svg || !z) return;
    const { width, height } = svg.getBoundingClientRect();
    const pad = 36;
    const k = Math.min(1.4, (width - 2 * pad) / layout.width, (height - 2 * pad) / layout.height);
    const kk = Math.max(0.2, k);
    // Tall graphs: fit the width and start at the top rather than shrinking to a sliver.
    const tall = (height - 2 * pad) / layout.height < 0.45;
    const scale = tall ? Math.min(1, (width - 2 * pad) / layout.width) : kk;
    const tx = width / 2 - (layout.x0 + layout.width / 2) * scale;
    const ty = tall ? pad - layout.y0 * scale : height / 2 - (layout.y0 + layout.height / 2) * scale;
    select(svg).call(z.transform, zoomIdentity.translate(tx, ty).scale(scale));
  };

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    // Netron-style: the wheel scrolls, Ctrl/⌘ + wheel (and pinch) zooms, drag pans.
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.1, 4])
      .filter((ev: Event) => (ev.type === 'wheel' ? (ev as WheelEvent).ctrlKey || (ev as WheelEvent).metaKey : !(ev as MouseEvent).button))
      .on('zoom', (ev) => gRef.current?.setAttribute('transform', ev.transform.toString()));
    zoomRef.current = z;
    const sel = select(svg);
    sel.call(z).on('dblclick.zoom', null);
    const onWheel = (ev: WheelEvent) => {
      if (ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      const k = zoomTransform(svg).k;
      z.translateBy(sel, -ev.deltaX / k, -ev.deltaY / k);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      sel.on('.zoom', null);
      svg.removeEventListener('wheel', onWheel);
    };
  }, []);

  // Re-fit when the layout changes (fold, model).
  useLayoutEffect(fit, [layout]);

  const zoomBy = (f: number) => {
    const svg = svgRef.current;
    if (svg && zoomRef.current) select(svg).call(zoomRef.current.scaleBy, f);
  };

  return (
    <div
      className="graph-canvas"
      tabIndex={0}
      aria-label="Model graph: wheel scrolls, Ctrl+wheel or Shift+Up / Shift+Down zooms, Shift+Backspace fits"
      onKeyDown={(e) => {
        if (e.shiftKey && e.key === 'ArrowUp') zoomBy(1.25);
        else if (e.shiftKey && e.key === 'ArrowDown') zoomBy(0.8);
        else if (e.shiftKey && e.key === 'Backspace') fit();
        else return;
        e.preventDefault();
      }}
    >
      <svg ref={svgRef} className="graph-svg" data-testid="graph-svg" data-nodes={layout.nodes.length} onClick={() => setModelView({ selectedOp: null })}>
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L8,4 L0,8 z" className="arrow" />
          </marker>
        </defs>
        <g ref={gRef}>
          {layout.groups.map((gr) => (
            <g key={gr.id} className="ggroup" data-testid={`group-${gr.id}`}>
              <rect x={gr.x} y={gr.y} width={gr.w} height={gr.h} rx={10} />
              <text x={gr.x + 12} y={gr.y + 17}>
                {gr.label}
              </text>
            </g>
          ))}
          {layout.edges.map((e) => (
            <EdgeView key={e.id} e={e} hovered={hover?.id === e.id} onHover={setHover} />
          ))}
          {layout.nodes.map((n) =>
            n.op ? (
              <OpNode key={n.id} node={n} g={g} paint={paint} selected={selected === n.id || (n.template && selected === `*.${n.op.kind}`)} onPick={onPick} />
            ) : (
              <FoldedNode key={n.id} node={n} g={g} paint={paint} onExpand={onExpand} />
            ),
          )}
          {hover ? <EdgeLabel e={hover} g={g} template={layout.nodes.some((n) => n.template)} /> : null}
        </g>
      </svg>
      <div className="zoom-buttons">
        <button className="btn small icon" title="Zoom in (Shift+Up)" aria-label="Zoom in" onClick={() => zoomBy(1.25)}>
          +
        </button>
        <button className="btn small icon" title="Zoom out (Shift+Down)" aria-label="Zoom out" onClick={() => zoomBy(0.8)}>
          −
        </button>
        <button className="btn small" title="Fit (Shift+Backspace)" onClick={fit}>
          Fit
        </button>
      </div>
    </div>
  );
}

function Legend({ colorBy, maxDelta }: { colorBy: 'format' | 'delta'; maxDelta: number }) {
  if (colorBy === 'delta') {
    return (
      <div className="legend" data-testid="legend">
        <span className="legend-title">Δ loss when the point alone takes the sweep&apos;s format</span>
        <div className="legend-bar" style={{ background: deltaGradient() }} />
        <div className="legend-ticks">
          <span>0</span>
          <span>{deltaPct(maxDelta / 4)}</span>
          <span>{deltaPct(maxDelta)} ppl</span>
        </div>
        <span className="legend-fp32">
          <i /> no measurable loss
        </span>
      </div>
    );
  }
  return (
    <div className="legend" data-testid="legend">
      <span className="legend-title">Bits per element (incl. shared scales)</span>
      <div className="legend-bar" style={{ background: bitsGradient() }} />
      <div className="legend-ticks">
        {BITS_STOPS.map((b) => (
          <span key={b}>{b}</span>
        ))}
      </div>
      <span className="legend-fp32">
        <i /> fp32 (not quantized)
      </span>
    </div>
  );
}

function Inspector({ g, selected, resolved }: { g: Graph; selected: string; resolved: Map<string, Resolved> }) {
  const current = useSlice(modelStore, (s) => s.current);
  const sweep = useSlice(modelStore, (s) => s.sweep);
  const tmpl = selected.startsWith('*.');
  const op = tmpl ? g.ops.find((o) => o.layer === 0 && o.kind === selected.slice(2)) : g.opById.get(selected);
  if (!op) return null;
  const points: QuantPoint[] = tmpl
    ? g.points.filter((p) => p.kind === op.kind)
    : op.points.map((id) => g.pointById.get(id)!);
  const openLayers = () => {
    const p = points.find((x) => x.role === 'w') ?? points[0];
    if (p) setModelView({ scope: tmpl ? { kind: 'type', pattern: typePattern(p) } : { kind: 'point', id: p.id } });
    setSession({ pane: 'layers' });
  };
  return (
    <aside className="inspector panel" data-testid="inspector">
      <div className="panel-head">
        <h3>{tmpl ? `${op.kind} · every block` : op.id}</h3>
        <span className="spacer" />
        <button className="btn small ghost" aria-label="Close" onClick={() => setModelView({ selectedOp: null })}>
          ×
        </button>
      </div>
      <div className="panel-body stack">
        <div>
          <b>{op.label}</b> <span className="muted">{op.type}</span>
        </div>
        <div className="kv">
          <span>output</span>
          <span className="mono">
            {tmpl ? op.output.replace(/^L0\./, 'L*.') : op.output} {shapeText(g, op.output)}
          </span>
          {op.weight ? (
            <>
              <span>weight</span>
              <span className="mono">{tmpl ? op.weight.replace(/^L0\./, 'L*.') : op.weight}</span>
            </>
          ) : null}
          <span>MACs / token</span>
          <span className="num">{fmtInt(Math.round(macsPerToken(op)))}</span>
        </div>
        {points.length ? (
          <table className="mini-table">
            <thead>
              <tr>
                <th>point</th>
                <th>format</th>
                <th>bits</th>
                <th>SQNR</th>
                {sweep ? <th>Δ ppl</th> : null}
              </tr>
            </thead>
            <tbody>
              {points.map((p) => {
                const r = resolved.get(p.id)!;
                const st = current?.result.points[p.id];
                return (
                  <tr key={p.id}>
                    <td className="mono">{p.id}</td>
                    <td className="mono fmt" title={r.rule ? `set by rule ${r.rule}` : 'no rule: fp32'}>
                      {r.specString}
                    </td>
                    <td className="num">{fmtNum(pointBits(r.spec, p), 3)}</td>
                    <td className="num">{st ? fmtDb(st.sqnrDb) : '—'}</td>
                    {sweep ? <td className="num">{sweep.delta[p.id] !== undefined ? deltaPct(sweep.delta[p.id]) : '—'}</td> : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p className="muted">No quantization points: this op runs in float32.</p>
        )}
        {points.length ? (
          <button className="btn small primary" onClick={openLayers} data-testid="edit-in-layers">
            Edit formats in Layers →
          </button>
        ) : null}
      </div>
    </aside>
  );
}

function Toolbar({ g, view, colorBy, hasSweep }: { g: Graph; view: GraphView; colorBy: 'format' | 'delta'; hasSweep: boolean }) {
  const current = useSlice(modelStore, (s) => s.current);
  // Cost colouring (src/panes/cost) lives in its own store; it overrides the graph's own when set.
  const costColor = useSlice(costViewStore, (s) => s.graphColor);
  const fp32 = useSlice(modelStore, (s) => s.fp32?.full ?? null);
  const N = g.blocks.count;
  const blockChoice = view.fold === 'folded' ? 'folded' : view.fold === 'all' ? 'all' : view.block === null ? 'tied' : String(view.block);
  const choices = [
    { id: 'folded', label: `block × ${N}`, hint: 'Fold the decoder blocks into one node' },
    { id: 'tied', label: 'one block', hint: 'Expand: the ops of one block, with every block’s formats side by side' },
    ...(N <= 12 ? Array.from({ length: N }, (_, i) => ({ id: String(i), label: `L${i}`, hint: `Block ${i} alone` })) : []),
    { id: 'all', label: 'all blocks', hint: 'Unroll every block' },
  ];
  return (
    <div className="graph-toolbar">
      <span className="label-inline">Blocks</span>
      <Segmented
        label="Block folding"
        testId="fold"
        value={blockChoice}
        options={choices}
        onChange={(v) => setModelView({ graphView: v === 'folded' ? { fold: 'folded', block: null } : v === 'all' ? { fold: 'all', block: null } : v === 'tied' ? { fold: 'block', block: null } : { fold: 'block', block: Number(v) } })}
      />
      <span className="sep" />
      <span className="label-inline">Colour</span>
      <Segmented
        label="Colour nodes by"
        testId="color-by"
        value={costColor ?? colorBy}
        options={[
          { id: 'format', label: 'format bits' },
          { id: 'delta', label: 'Δ loss', hint: hasSweep ? 'Sensitivity: Δ loss per point from the last sweep' : 'Run a sensitivity sweep in the Layers pane first' },
          { id: 'energy', label: 'energy', hint: 'Energy per inference of each op (cost model, Cost pane assumptions)' },
          { id: 'area', label: 'area', hint: 'Area of each op (cost model, Cost pane assumptions)' },
        ]}
        onChange={(v) => {
          costViewStore.setState({ graphColor: v === 'energy' || v === 'area' ? v : null });
          if (v === 'delta' && !hasSweep) setSession({ pane: 'layers' });
          else if (v === 'format' || v === 'delta') setModelView({ colorBy: v });
        }}
      />
      <span className="spacer" />
      {current ? (
        <span className="graph-metric" title={current.kind === 'exact' ? `Exact, ${fmtInt(current.tokens)} tokens` : 'Estimate from short windows; the exact value follows'}>
          ppl <b className="num">{fmtNum(current.result.perplexity, 4)}</b>
          {fp32 ? <span className="muted num"> · fp32 {fmtNum(fp32.perplexity, 4)}</span> : null}
          {current.kind === 'estimate' ? <span className="muted"> (estimate)</span> : null}
        </span>
      ) : null}
    </div>
  );
}

export function GraphPane() {
  const model = useSlice(modelStore, (s) => s.model);
  const view = useSlice(modelStore, (s) => s.graphView);
  const colorByRaw = useSlice(modelStore, (s) => s.colorBy);
  const sweep = useSlice(modelStore, (s) => s.sweep);
  const selected = useSlice(modelStore, (s) => s.selectedOp);
  const quant = useSlice(documentStore, (s) => s.model.quant);
  useEffect(() => ensureModel(), []);

  const g = model?.graph ?? null;
  const layout = useMemo(() => (g ? layoutGraph(g, view) : null), [g, view]);
  const resolved = useMemo(() => (g ? resolveWithRules(g, quant) : null), [g, quant]);
  const colorBy = colorByRaw === 'delta' && sweep ? 'delta' : 'format';
  const maxDelta = useMemo(() => (sweep ? Math.max(0, ...Object.values(sweep.delta)) : 0), [sweep]);
  const costPaint = useCostPaint(g);
  const ownPaint: Paint = useMemo(() => {
    if (!g || !resolved) return () => null;
    if (colorBy === 'delta' && sweep) {
      const s = deltaScale(maxDelta);
      return (id) => s(sweep.delta[id] ?? 0);
    }
    const cache = new Map<string, string | null>();
    return (id) => {
      if (cache.has(id)) return cache.get(id)!;
      const p = g.pointById.get(id);
      const r = resolved.get(id);
      const c = p && r ? bitsColor(pointBits(r.spec, p)) : null;
      cache.set(id, c);
      return c;
    };
  }, [g, resolved, colorBy, sweep, maxDelta]);
  const paint: Paint = costPaint ?? ownPaint;

  // A click selects the op here and in the Layers pane: its editor scope becomes the op's weight
  // point (every block's, in the template view), or its first point.
  const onPick = (n: LNode) => {
    const op = n.op;
    const pts = op && g ? op.points.map((id) => g.pointById.get(id)!) : [];
    const p = pts.find((x) => x.role === 'w') ?? pts[0];
    setModelView({
      selectedOp: n.template && op ? `*.${op.kind}` : n.id,
      ...(p ? { scope: n.template ? { kind: 'type' as const, pattern: typePattern(p) } : { kind: 'point' as const, id: p.id } } : {}),
    });
  };
  const onExpand = () => setModelView({ graphView: { fold: 'block', block: null } });

  return (
    <ModelDropZone className="model-pane graph-pane" testId="pane-graph">
      <ModelBar />
      {g && layout && resolved ? (
        <>
          <Toolbar g={g} view={view} colorBy={colorBy} hasSweep={!!sweep} />
          <div className="graph-main">
            <Canvas g={g} layout={layout} paint={paint} selected={selected} onPick={onPick} onExpand={onExpand} />
            {costPaint ? <CostLegend /> : <Legend colorBy={colorBy} maxDelta={maxDelta} />}
            {sweep && colorBy === 'delta' && !costPaint ? (
              <div className="sweep-note muted">
                sweep: each point alone at <span className="mono">{formatToString(parseFormat(sweep.spec))}</span>, {fmtInt(sweep.tokens)} tokens
              </div>
            ) : null}
            {selected ? <Inspector g={g} selected={selected} resolved={resolved} /> : null}
          </div>
        </>
      ) : (
        <div className="placeholder">The model graph appears here once a model is loaded. Drop a model folder anywhere on this pane, or load one above.</div>
      )}
    </ModelDropZone>
  );
}
