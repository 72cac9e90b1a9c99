/**
 * d3 helpers for React: d3 computes scales, bins and paths; React owns the DOM, except axes,
 * which d3-axis draws into a <g> it is handed. Colours come from theme.css classes, so plots follow
 * the theme switch without re-rendering.
 */
import { useLayoutEffect, useRef } from 'react';
import { axisBottom, axisLeft, select, type AxisDomain, type AxisScale } from 'd3';

export function Axis<D extends AxisDomain>(props: {
  scale: AxisScale<D>;
  orient: 'bottom' | 'left';
  transform?: string;
  ticks?: number;
  format?: (d: D) => string;
  tickValues?: D[];
  /** Grid lines across the plot, this long (px). */
  grid?: number;
}) {
  const ref = useRef<SVGGElement>(null);
  const { scale, orient, ticks, format, tickValues, grid } = props;
  useLayoutEffect(() => {
    if (!ref.current) return;
    const a = orient === 'bottom' ? axisBottom(scale) : axisLeft(scale);
    if (ticks !== undefined) a.ticks(ticks);
    if (tickValues) a.tickValues(tickValues);
    if (format) a.tickFormat((d) => format(d as D));
    a.tickSizeOuter(0);
    if (grid) a.tickSize(-grid);
    select(ref.current).call(a);
    if (grid) select(ref.current).selectAll('.tick line').attr('stroke', 'var(--grid-line)');
  }, [scale, orient, ticks, format, tickValues, grid]);
  return <g ref={ref} className={grid ? 'axis gridline' : 'axis'} transform={props.transform} />;
}

/** Compact tick labels for values that span many magnitudes. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('-', '−');
  return String(+v.toPrecision(3)).replace('-', '−');
}

/** Powers-of-two ticks for a symmetric-log axis over [−max, max] (0, ±2^k), thinned to fit. */
export function symlogTicks(minPos: number, max: number, perSide: number, signed = true): number[] {
  if (!(max > 0)) return [0];
  const lo = Math.floor(Math.log2(minPos));
  const hi = Math.ceil(Math.log2(max));
  const span = Math.max(1, hi - lo);
  const stride = Math.max(1, Math.ceil(span / Math.max(1, perSide)));
  const pos: number[] = [];
  for (let k = hi; k >= lo; k -= stride) if (2 ** k <= max * 1.0001) pos.push(2 ** k);
  pos.reverse();
  return signed ? [...pos.map((p) => -p).reverse(), 0, ...pos] : [0, ...pos];
}
