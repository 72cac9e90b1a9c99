/**
 * Hardware cost beside accuracy, for the Layers pane: one row per op type (every block's `down`
 * together, as the Layers rules address them) with its energy and area from the cost model next to
 * its accuracy figures (lowest SQNR of its points in the current evaluation, and the sweep's Δ ppl
 * when there is one). Also the graph pane's "colour by energy / area" paint and legend.
 * Everything here reads the same stores as the panes; mounting it changes nothing else.
 */
import { useMemo } from 'react';
import type { Graph } from '../../core/graph';
import { costViewStore } from '../../state/hardware';
import { modelStore, setModelView } from '../../state/model';
import { fmtDb, fmtPct } from '../../ui/format';
import { useSlice } from '../../ui/hooks';
import { deltaPct } from '../graph/colors';
import { typeGroups } from '../layers/rules';
import { costByKind, costGradient, formatArea, formatCount, formatEnergy, opColorScale, useCostReport } from './costReport';
import './cost.css';

/** Op-type cost table for the Layers pane (`<LayerCostTable g={g} />`). */
export function LayerCostTable({ g }: { g: Graph }) {
  const cost = useCostReport();
  const current = useSlice(modelStore, (s) => s.current);
  const sweep = useSlice(modelStore, (s) => s.sweep);
  const groups = useMemo(() => typeGroups(g), [g]);
  if (!cost) return null;
  if (!cost.ok) {
    return (
      <p className="spec-error" role="alert" data-testid="layer-cost-error">
        Cost model: {cost.message}
      </p>
    );
  }
  const r = cost.report;
  const kinds = costByKind(r);
  const maxE = Math.max(...kinds.map((k) => k.energyPj), 1e-12);
  return (
    <div className="ptable-wrap">
      <table className="ptable ly-cost" data-testid="layer-cost">
        <thead>
          <tr>
            <th>Op type</th>
            <th className="r">Energy / inference</th>
            <th className="bar-cell" />
            <th className="r">Area</th>
            <th className="r">LUT</th>
            <th className="r">Lowest SQNR dB</th>
            {sweep ? <th className="r">Δ ppl @ {sweep.spec}</th> : null}
          </tr>
        </thead>
        <tbody>
          {kinds.map((k) => {
            const pts = g.points.filter((p) => p.kind === k.kind);
            const sq = pts.map((p) => current?.result.points[p.id]?.sqnrDb).filter((x): x is number => x !== undefined);
            const d = sweep ? Math.max(...pts.map((p) => sweep.delta[p.id] ?? 0)) : 0;
            const grp = groups.find((x) => x.kind === k.kind && x.role === 'w') ?? groups.find((x) => x.kind === k.kind);
            const label = g.ops.find((o) => o.kind === k.kind)?.label ?? k.kind;
            return (
              <tr key={k.kind} data-testid={`layer-cost-${k.kind}`} data-energy={k.energyPj} data-area={k.areaUm2} onClick={() => grp && setModelView({ scope: { kind: 'type', pattern: grp.pattern } })}>
                <td>
                  <code className="rule-pattern">{k.ops.length > 1 ? `*.${k.kind}` : k.kind}</code> <span className="muted">{label}</span>
                  {k.ops.length > 1 ? <span className="count">×{k.ops.length}</span> : null}
                </td>
                <td className="r num">
                  {formatEnergy(k.energyPj)} <span className="muted">{fmtPct(k.energyPj / r.energyPj.total)}</span>
                </td>
                <td className="bar-cell">
                  <span className="mini-bar" style={{ width: `${Math.max(1, (k.energyPj / maxE) * 100)}%` }} />
                </td>
                <td className="r num">{formatArea(k.areaUm2)}</td>
                <td className="r num">{formatCount(k.luts)}</td>
                <td className="r num">{sq.length ? fmtDb(Math.min(...sq)) : '—'}</td>
                {sweep ? <td className="r num">{deltaPct(d)}</td> : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="hint-text">
        Cost model at {r.nodeNm} nm, {r.tokens} tokens, weights {r.energyPj.offChip > 0 ? 'in DRAM' : 'on chip'}: total <b>{formatEnergy(r.energyPj.total)}</b>, <b>{formatArea(r.areaUm2)}</b>. The Cost pane splits it per layer and edits the assumptions.
      </p>
    </div>
  );
}

/**
 * The graph's cost colouring: a paint function (point id → colour of its op's energy or area)
 * when the user chose it, else null (the graph keeps its own colouring).
 */
export function useCostPaint(g: Graph | null): ((pointId: string) => string | null) | null {
  const by = useSlice(costViewStore, (s) => s.graphColor);
  const cost = useCostReport();
  return useMemo(() => {
    if (!by || !g || !cost?.ok) return null;
    const { color } = opColorScale(cost.report, by);
    return (id: string) => {
      const p = g.pointById.get(id);
      return p ? color(p.op) : null;
    };
  }, [by, g, cost]);
}

/** Legend of the graph's cost colouring (render when useCostPaint is active). */
export function CostLegend() {
  const by = useSlice(costViewStore, (s) => s.graphColor);
  const cost = useCostReport();
  if (!by || !cost?.ok) return null;
  const { min, max } = opColorScale(cost.report, by);
  const fmt = by === 'energy' ? formatEnergy : formatArea;
  return (
    <div className="legend cost-graph-legend" data-testid="legend">
      <span className="legend-title">{by === 'energy' ? 'Energy per inference of the op (log scale)' : 'Area of the op (log scale)'}</span>
      <div className="legend-bar" style={{ backgroundImage: costGradient() }} />
      <div className="legend-ticks">
        <span>{fmt(min)}</span>
        <span>{fmt(Math.sqrt(min * max))}</span>
        <span>{fmt(max)}</span>
      </div>
      <span className="legend-fp32">
        <i /> not a GEMM (not priced)
      </span>
    </div>
  );
}
