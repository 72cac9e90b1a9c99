/**
 * Per-block shared exponents: block index vs the exponent its stored scale code means (MX: X of
 * the E8M0 scale 2^X; MXInt/BFP: E; NVFP4: log2 of the effective scale). Outlier blocks stand out
 * as tall bars; NaN blocks are red. Hovering a block highlights its rows in the element table.
 */
import { useMemo } from 'react';
import { scaleLinear } from 'd3';
import { forEachBlock } from '../../core/formats';
import type { ExplorerRun } from '../../state/ephemeral';
import { ephemeralStore } from '../../state/ephemeral';
import { Axis } from '../../ui/chart';
import { fmtInt, fmtNum } from '../../ui/format';
import { useSlice, useWidth } from '../../ui/hooks';
import { blockScaleView } from './scales';

const H = 150;
const M = { l: 44, r: 12, t: 10, b: 24 };

export function BlockChart({ run }: { run: ExplorerRun }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const hoverBlock = useSlice(ephemeralStore, (s) => s.hoverBlock);
  const { result, spec, input } = run;
  const view = useMemo(() => blockScaleView(spec, result.tensorScale), [spec, result.tensorScale]);
  const N = result.layout.numBlocks;
  const data = useMemo(() => {
    if (!view) return null;
    const exps = new Float64Array(N);
    let lo = Infinity;
    let hi = -Infinity;
    let nan = 0;
    for (let b = 0; b < N; b++) {
      const e = view.exp(result.scales[b]);
      exps[b] = e;
      if (Number.isNaN(e)) nan++;
      else {
        if (e < lo) lo = e;
        if (e > hi) hi = e;
      }
    }
    // per-block amax and first element, for the hover read-out
    const amax = new Float64Array(N);
    const first = new Int32Array(N);
    forEachBlock(result.layout, (b, idx, len) => {
      let m = 0;
      for (let i = 0; i < len; i++) {
        const a = Math.abs(input[idx[i]]);
        if (!(a <= m)) m = a;
      }
      amax[b] = m;
      first[b] = idx[0];
    });
    if (!(lo <= hi)) {
      lo = 0;
      hi = 0;
    }
    return { exps, lo, hi, nan, amax, first };
  }, [view, N, result, input]);

  const w = Math.max(0, width - M.l - M.r);
  const h = H - M.t - M.b;
  const x = useMemo(() => scaleLinear().domain([0, Math.max(1, N)]).range([0, w]), [N, w]);
  const y = useMemo(() => scaleLinear().domain([(data?.lo ?? 0) - 1, (data?.hi ?? 0) + 1]).range([h, 0]).nice(), [data, h]);
  const paths = useMemo(() => {
    if (!data) return { ok: '', nan: '', dense: false };
    const base = y.range()[0];
    let ok = '';
    let nan = '';
    if (N > w / 2) {
      // More blocks than half-pixels: draw, per pixel column, the band from the lowest to the
      // highest exponent of its blocks (overdrawn thin bars would only show noise).
      const cols = Math.max(1, Math.floor(w));
      for (let c = 0; c < cols; c++) {
        const b0 = Math.floor((c / cols) * N);
        const b1 = Math.max(b0 + 1, Math.floor(((c + 1) / cols) * N));
        let lo = Infinity;
        let hi = -Infinity;
        let hasNaN = false;
        for (let b = b0; b < b1; b++) {
          const e = data.exps[b];
          if (Number.isNaN(e)) hasNaN = true;
          else {
            if (e < lo) lo = e;
            if (e > hi) hi = e;
          }
        }
        if (hasNaN) nan += `M${c},0h1V${base}h-1Z`;
        if (lo <= hi) ok += `M${c},${base}V${(y(hi) - 1).toFixed(1)}h1V${base}Z`;
      }
      return { ok, nan, dense: true };
    }
    const bw = w / Math.max(1, N);
    for (let b = 0; b < N; b++) {
      const x0 = (b * bw).toFixed(2);
      const bwS = Math.max(0.6, bw - (bw > 3 ? 1 : 0)).toFixed(2);
      const e = data.exps[b];
      if (Number.isNaN(e)) nan += `M${x0},0h${bwS}V${base}h-${bwS}Z`;
      else ok += `M${x0},${base}V${y(e).toFixed(1)}h${bwS}V${base}Z`;
    }
    return { ok, nan, dense: false };
  }, [data, N, w, y]);

  const hb = hoverBlock !== null && hoverBlock < N ? hoverBlock : null;
  const setHover = (b: number | null) => ephemeralStore.setState({ hoverBlock: b });
  const xTicks = useMemo(() => {
    const t = x.ticks(Math.max(2, Math.floor(w / 80))).filter((v) => Number.isInteger(v) && v < N);
    return t;
  }, [x, w, N]);

  return (
    <section className="panel" aria-label="Per-block shared exponents">
      <div className="panel-head">
        <h3>Per-block scale</h3>
        <span className="sub" data-testid="block-count">
          {fmtInt(N)} block{N === 1 ? '' : 's'}
          {data && view ? ` · ${view.title} ${data.lo === data.hi ? `= ${fmtNum(data.lo, 4)}` : `from ${fmtNum(data.lo, 4)} to ${fmtNum(data.hi, 4)}`}` : ''}
          {data?.nan ? ` · ${data.nan} NaN` : ''}
        </span>
        <span className="spacer" />
        {hb === null ? <span className="sub">{paths.dense ? 'max per pixel column · ' : ''}hover a bar to read it, click to list its elements</span> : null}
        {hb !== null && data && view ? (
          <span className="sub num" data-testid="block-hover">
            block {hb} · {view.describe(result.scales[hb])} · amax {fmtNum(data.amax[hb])}
          </span>
        ) : null}
      </div>
      <div ref={ref} style={{ paddingTop: 4 }}>
        {!view ? (
          <p style={{ margin: '10px 12px 14px', color: 'var(--muted)' }}>
            {spec.kind === 'fixed' ? 'Fixed point has no per-block scale: every element uses the same 2^−f step.' : 'FP32 has no scale: nothing is quantized.'}
          </p>
        ) : width > 0 ? (
          <svg className="chart" width={width} height={H} data-testid="block-chart" data-blocks={N}>
            <g transform={`translate(${M.l},${M.t})`}>
              <Axis scale={y} orient="left" ticks={4} format={(d: number) => (Number.isInteger(d) ? String(d).replace('-', '−') : '')} grid={w} />
              <path className="blocks" d={paths.ok} opacity={hb !== null ? 0.55 : 0.9} />
              <path className="blocks-nan" d={paths.nan} />
              {hb !== null && data ? (
                <rect className="hover-mark" x={x(hb)} width={Math.max(1.5, w / N)} y={Number.isNaN(data.exps[hb]) ? 0 : y(data.exps[hb])} height={Number.isNaN(data.exps[hb]) ? h : h - y(data.exps[hb])} />
              ) : null}
              <Axis scale={x} orient="bottom" transform={`translate(0,${h})`} tickValues={xTicks} format={(d: number) => fmtInt(d)} />
              <rect
                width={w}
                height={h}
                fill="transparent"
                onMouseMove={(e) => {
                  const r = (e.currentTarget as SVGRectElement).getBoundingClientRect();
                  setHover(Math.min(N - 1, Math.max(0, Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * N))));
                }}
                onMouseLeave={() => setHover(null)}
                onClick={() => ephemeralStore.setState((s) => ({ pickedBlock: s.hoverBlock }))}
                style={{ cursor: 'pointer' }}
              />
            </g>
          </svg>
        ) : null}
      </div>
    </section>
  );
}
