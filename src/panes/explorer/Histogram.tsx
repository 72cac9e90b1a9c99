/**
 * Input distribution (bars) with the quantized values overlaid (step line) on the same bins: where
 * the overlay spikes, many inputs collapsed onto one representable level; gaps show dead zones.
 * Binning is done by hand in one pass (1M values in a few ms), in pixel space so the symlog axis
 * gets equal-width bins.
 */
import { useMemo, useState } from 'react';
import { scaleLinear, scaleSymlog } from 'd3';
import { Axis, symlogTicks, tickLabel } from '../../ui/chart';
import { Check } from '../../ui/controls';
import { fmtInt, fmtNum } from '../../ui/format';
import { useSlice, useWidth } from '../../ui/hooks';
import { sessionStore, setSession } from '../../state/session';

const H = 210;
const M = { l: 44, r: 12, t: 10, b: 24 };

interface Binned {
  lo: number;
  hi: number;
  cin: Uint32Array;
  cq: Uint32Array;
  maxCount: number;
  distinct: number;
  meanAbs: number;
}

function finiteRange(a: Float32Array, b: Float32Array): { lo: number; hi: number; meanAbs: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let s = 0;
  let n = 0;
  for (const arr of [a, b]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (!(Math.abs(v) <= 3.4028234663852886e38)) continue; // NaN and ±Inf are counted elsewhere, not binned
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v <= 3.4e38) {
      s += v;
      n++;
    }
  }
  if (!(lo <= hi)) return { lo: -1, hi: 1, meanAbs: 1 };
  if (lo === hi) return { lo: lo - 1, hi: hi + 1, meanAbs: 1 };
  return { lo, hi, meanAbs: n ? s / n || 1 : 1 };
}

export function Histogram({ input, values }: { input: Float32Array; values: Float32Array }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const logCounts = useSlice(sessionStore, (s) => s.logCounts);
  const symlog = useSlice(sessionStore, (s) => s.histSymlog);
  const [hover, setHover] = useState<number | null>(null);
  const w = Math.max(0, width - M.l - M.r);
  const h = H - M.t - M.b;
  const range = useMemo(() => finiteRange(input, values), [input, values]);
  const x = useMemo(() => {
    const s = symlog ? scaleSymlog().constant(range.meanAbs) : scaleLinear();
    return s.domain([range.lo, range.hi]).range([0, w]);
  }, [symlog, range, w]);
  const nb = Math.max(30, Math.min(240, Math.floor(w / 4)));
  const binned: Binned | null = useMemo(() => {
    if (w <= 0) return null;
    const cin = new Uint32Array(nb);
    const cq = new Uint32Array(nb);
    const k = nb / w;
    const bin = (v: number) => Math.min(nb - 1, Math.max(0, Math.floor(x(v) * k)));
    const levels = new Set<number>();
    for (let i = 0; i < input.length; i++) {
      const a = input[i];
      const b = values[i];
      if (a === a && Math.abs(a) !== Infinity) cin[bin(a)]++;
      if (b === b && Math.abs(b) !== Infinity) {
        cq[bin(b)]++;
        if (levels.size <= 100000) levels.add(b);
      }
    }
    let maxCount = 1;
    for (let i = 0; i < nb; i++) maxCount = Math.max(maxCount, cin[i], cq[i]);
    return { lo: range.lo, hi: range.hi, cin, cq, maxCount, distinct: levels.size, meanAbs: range.meanAbs };
  }, [input, values, x, nb, w, range]);

  const y = useMemo(() => {
    const top = binned?.maxCount ?? 1;
    return (logCounts ? scaleSymlog().constant(1) : scaleLinear()).domain([0, top]).range([h, 0]);
  }, [binned, logCounts, h]);
  const yTicks = useMemo(() => {
    if (!logCounts) return undefined;
    const out: number[] = [];
    for (let p = 1; p <= (binned?.maxCount ?? 1); p *= 10) out.push(p);
    return out;
  }, [logCounts, binned]);
  const xTicks = useMemo(
    () => (symlog ? symlogTicks(range.meanAbs / 2, Math.max(Math.abs(range.lo), Math.abs(range.hi)), Math.max(2, Math.floor(w / 110))).filter((t) => t >= range.lo && t <= range.hi) : undefined),
    [symlog, range, w],
  );

  const paths = useMemo(() => {
    if (!binned) return { bars: '', step: '', area: '' };
    const bw = w / nb;
    let bars = '';
    let step = `M0,${h}`;
    for (let i = 0; i < nb; i++) {
      const x0 = i * bw;
      if (binned.cin[i]) bars += `M${(x0 + 0.5).toFixed(1)},${h}V${y(binned.cin[i]).toFixed(1)}h${Math.max(0.5, bw - 1).toFixed(1)}V${h}Z`;
      const yq = y(binned.cq[i]).toFixed(1);
      step += `V${yq}H${(x0 + bw).toFixed(1)}`;
    }
    step += `V${h}`;
    return { bars, step, area: step + 'Z' };
  }, [binned, w, nb, h, y]);

  const bw = w / nb;
  const hoverText = (() => {
    if (hover === null || !binned) return null;
    const a = x.invert(hover * bw);
    const b = x.invert((hover + 1) * bw);
    return `[${fmtNum(a, 4)}, ${fmtNum(b, 4)}): ${fmtInt(binned.cin[hover])} in · ${fmtInt(binned.cq[hover])} quantized`;
  })();

  return (
    <section className="panel" aria-label="Histogram">
      <div className="panel-head">
        <h3>Distribution</h3>
        <span className="sub">
          <span style={{ color: 'var(--muted)' }}>■</span> input&nbsp;&nbsp;<span style={{ color: 'var(--quant)' }}>▬</span> quantized
          {binned ? ` · ${fmtInt(binned.distinct)}${binned.distinct > 100000 ? '+' : ''} distinct levels` : ''}
        </span>
        <span className="spacer" />
        {hoverText ? <span className="sub num">{hoverText}</span> : null}
        <Check checked={logCounts} onChange={(c) => setSession({ logCounts: c })} testId="log-counts" title="Logarithmic count axis: tails and outliers stay visible">
          log count
        </Check>
        <Check checked={symlog} onChange={(c) => setSession({ histSymlog: c })} title="Symmetric-log value axis">
          symlog x
        </Check>
      </div>
      <div ref={ref} style={{ paddingTop: 4 }}>
        {width > 0 ? (
          <svg className="chart" width={width} height={H} data-testid="histogram">
            <g transform={`translate(${M.l},${M.t})`}>
              <Axis scale={y} orient="left" tickValues={yTicks} ticks={4} format={(d: number) => (d >= 1e4 ? `${d / 1e3}k` : String(d))} grid={w} />
              <path className="bar-in" d={paths.bars} />
              <path className="area-q" d={paths.area} />
              <path className="step-q" d={paths.step} />
              {hover !== null ? <rect className="hover-band" x={hover * bw} width={bw} y={0} height={h} /> : null}
              <Axis scale={x} orient="bottom" transform={`translate(0,${h})`} ticks={Math.max(2, Math.floor(w / 80))} tickValues={xTicks} format={tickLabel} />
              <rect
                width={w}
                height={h}
                fill="transparent"
                onMouseMove={(e) => {
                  const r = (e.currentTarget as SVGRectElement).getBoundingClientRect();
                  setHover(Math.min(nb - 1, Math.max(0, Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * nb))));
                }}
                onMouseLeave={() => setHover(null)}
              />
            </g>
          </svg>
        ) : null}
      </div>
    </section>
  );
}
