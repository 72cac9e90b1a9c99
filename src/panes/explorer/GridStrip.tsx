/**
 * The representable grid of one block at unit scale (core's grid()): a rug of every value the
 * element format can hold. On a symmetric-log axis the float formats' dense-near-zero, sparse-at-
 * the-top structure is visible at a glance; the linear axis shows the fixed-point formats' even grid.
 */
import { useMemo } from 'react';
import { scaleLinear, scaleSymlog } from 'd3';
import { grid, type FormatSpec } from '../../core/formats';
import { Axis, symlogTicks, tickLabel } from '../../ui/chart';
import { Check } from '../../ui/controls';
import { useSlice, useWidth } from '../../ui/hooks';
import { fmtInt, fmtNum } from '../../ui/format';
import { sessionStore, setSession } from '../../state/session';

const H = 64;
const M = { l: 12, r: 12, t: 8, b: 22 };

export function GridStrip({ spec }: { spec: FormatSpec }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const symlog = useSlice(sessionStore, (s) => s.gridSymlog);
  const points = useMemo(() => {
    try {
      return { values: grid(spec), error: null as string | null };
    } catch (e) {
      return { values: [] as number[], error: e instanceof Error ? e.message : String(e) };
    }
  }, [spec]);
  const v = points.values;
  const minPos = v.find((x) => x > 0) ?? 1;
  const max = v.length ? v[v.length - 1] : 1;
  const min = v.length ? v[0] : -1;
  const w = Math.max(0, width - M.l - M.r);
  const x = useMemo(
    () => (symlog ? scaleSymlog().constant(minPos).domain([min, max]).range([0, w]) : scaleLinear().domain([min, max]).range([0, w])),
    [symlog, minPos, min, max, w],
  );
  const ticks = useMemo(() => {
    if (!symlog) return undefined;
    const t = symlogTicks(minPos, Math.max(max, -min), Math.max(2, Math.floor(w / 150)));
    // label the ends too (E2M1's 6, E4M3's 448 are not powers of two)
    const ends = [min, max].filter((e) => !t.some((v) => Math.abs(v - e) <= Math.abs(e) * 0.2));
    return [...t, ...ends].sort((a, b) => a - b);
  }, [symlog, minPos, max, min, w]);
  const path = useMemo(() => {
    let d = '';
    for (const p of v) if (p !== 0) d += `M${x(p).toFixed(2)},4v${H - M.t - M.b - 8}`;
    return d;
  }, [v, x]);
  const unit = spec.kind === 'fixed' ? 'absolute grid (no shared scale)' : spec.kind === 'mx' ? 'one block at scale 2^X = 1' : spec.kind === 'nvfp4' ? 'E2M1 at block scale 1' : 'one block at E = 0';
  return (
    <section className="panel" aria-label="Representable grid">
      <div className="panel-head">
        <h3>Representable grid</h3>
        <span className="sub">{unit}</span>
        <span className="spacer" />
        {v.length ? (
          <span className="sub num" data-testid="grid-summary">
            {fmtInt(v.length)} values · ±{fmtNum(max)} · min step {fmtNum(minPos)}
          </span>
        ) : null}
        <Check checked={symlog} onChange={(c) => setSession({ gridSymlog: c })} title="Symmetric-log axis: linear near zero, logarithmic beyond">
          symlog
        </Check>
      </div>
      <div ref={ref} className="panel-body" style={{ padding: '4px 0 0' }}>
        {points.error ? (
          <p className="muted" style={{ margin: '8px 12px 12px', color: 'var(--muted)' }}>
            {spec.kind === 'fp32' ? 'FP32 is the reference: its grid is every float32, nothing to show.' : points.error}
          </p>
        ) : width > 0 ? (
          <svg className="chart" width={width} height={H} role="img" aria-label={`Grid of ${v.length} representable values`}>
            <g transform={`translate(${M.l},${M.t})`}>
              <path className="tick-grid" d={path} strokeOpacity={v.length > 2000 ? 0.35 : 0.9} />
              <line className="tick-grid zero" x1={x(0)} x2={x(0)} y1={0} y2={H - M.t - M.b} strokeWidth={1.5} />
              <Axis scale={x} orient="bottom" transform={`translate(0,${H - M.t - M.b})`} ticks={Math.max(2, Math.floor(w / 70))} tickValues={ticks} format={tickLabel} />
            </g>
          </svg>
        ) : null}
      </div>
    </section>
  );
}
