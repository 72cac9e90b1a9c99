/** Run status, headline metrics and the plain-language notes of the explorer. */
import { parseFormat, formatToString, bitsPerElement } from '../../core/formats';
import { setSpec } from '../../state/document';
import type { ExplorerRun, RunStatus } from '../../state/ephemeral';
import { Spinner } from '../../ui/controls';
import { fmtDb, fmtInt, fmtMs, fmtNum, fmtPct } from '../../ui/format';
import { useDelayed } from '../../ui/hooks';
import type { Engine } from '../../../workers/api/quantize.api';
import { cancelRun, runNow } from './runner';
import type { Insight } from './insights';

export const ENGINE_LABEL: Record<Engine, string> = {
  'wasm-relaxed': 'WASM relaxed-SIMD',
  'wasm-simd': 'WASM SIMD',
  ts: 'TypeScript (core)',
};

export function RunStatusBar({ status, run, stale }: { status: RunStatus; run: ExplorerRun | null; stale: boolean }) {
  const running = status.state === 'running';
  const showSpinner = useDelayed(running, 250);
  const showCancel = useDelayed(running, 2000);
  return (
    <>
      <div className="runbar">
        {run ? (
          <>
            <span className="runbar-spec mono" data-testid="run-spec">
              {run.result.spec}
            </span>
            <span className="muted">on</span>
            <span className="num">{run.shape.map(fmtInt).join(' × ')}</span>
            <span className="muted">{run.inputLabel}</span>
            <span className="runbar-sep" />
            <span className={'engine-tag ' + (run.result.engine === 'ts' ? 'ts' : 'wasm')} data-testid="engine" title={run.result.engine === 'ts' ? 'The WASM kernels cover MX, MXInt and BFP; this format runs on core’s TypeScript codec (same bits).' : 'Quantized by the WASM kernel; core’s TypeScript twin gives the same bits.'}>
              {ENGINE_LABEL[run.result.engine]}
            </span>
            <span className="num muted" title="Quantize pass in the worker">
              {fmtMs(run.result.ms)}
            </span>
          </>
        ) : status.state === 'error' && status.kind === 'input' ? (
          <span style={{ color: 'var(--danger)' }}>Fix the pasted numbers (see the Tensor panel) to see results.</span>
        ) : (
          <span className="muted">No result yet</span>
        )}
        <span className="spacer" />
        {showSpinner ? (
          <span className="running" data-testid="running">
            <Spinner /> computing…
          </span>
        ) : stale && !running ? (
          <span className="muted">result is from the previous settings</span>
        ) : null}
        <button className="btn small ghost" title="Run now (Ctrl+Enter)" onClick={runNow}>
          Run <kbd className="kbd">Ctrl ↵</kbd>
        </button>
      </div>
      {showCancel ? (
        <div className="banner" role="status">
          <Spinner />
          <span className="grow">This run is taking a while (large tensor). It runs in a worker, so the page stays responsive.</span>
          <button className="btn small" onClick={cancelRun} data-testid="cancel">
            Cancel
          </button>
        </div>
      ) : null}
      {status.state === 'error' && status.kind !== 'input' ? (
        <div className="banner error" role="alert" data-testid="run-error">
          <span className="grow">
            <b>{status.kind === 'crash' ? 'Worker crashed. ' : 'Could not quantize. '}</b>
            {status.message}
          </span>
          <button className="btn small" onClick={runNow}>
            Retry
          </button>
        </div>
      ) : null}
    </>
  );
}

function Metric(props: { label: string; value: string; sub?: string; testId?: string; raw?: number; tone?: 'warn' | 'bad' | 'good'; title?: string; big?: boolean }) {
  return (
    <div className={'metric' + (props.tone ? ` ${props.tone}` : '') + (props.big ? ' big' : '')} data-testid={props.testId} data-value={props.raw} title={props.title}>
      <div className="metric-label">{props.label}</div>
      <div className="metric-value num">{props.value}</div>
      {props.sub ? <div className="metric-sub num">{props.sub}</div> : null}
    </div>
  );
}

export function Metrics({ run }: { run: ExplorerRun }) {
  const { result } = run;
  const c = result.counts;
  const n = run.input.length;
  const s = result.stats;
  const bpe = bitsPerElement(run.spec, n);
  const rms = Math.sqrt(s.mse);
  return (
    <div className="metrics">
      <Metric big label="SQNR" value={`${fmtDb(s.sqnrDb)} dB`} raw={s.sqnrDb} testId="metric-sqnr" title="10·log10(Σx² / Σ(x−q)²) over finite pairs" sub={`${fmtNum(bpe, 4)} bits/elem`} />
      <Metric label="MSE" value={fmtNum(s.mse, 4)} raw={s.mse} testId="metric-mse" sub={`RMS ${fmtNum(rms, 3)}`} />
      <Metric label="Max |error|" value={fmtNum(s.maxAbsErr, 4)} raw={s.maxAbsErr} testId="metric-maxerr" />
      <Metric label="Saturated" value={fmtInt(c.saturated)} raw={c.saturated} testId="metric-saturated" sub={fmtPct(c.saturated / n)} tone={c.saturated ? 'warn' : undefined} title="Elements clamped to the largest representable magnitude" />
      <Metric label="Underflow" value={fmtInt(c.underflow)} raw={c.underflow} testId="metric-underflow" sub={`${fmtPct(c.underflow / n)} → 0`} tone={c.underflow / n > 0.01 ? 'warn' : undefined} title="Non-zero inputs that became zero" />
      <Metric label="NaN blocks" value={fmtInt(c.nanBlocks)} raw={c.nanBlocks} testId="metric-nan" sub={c.flushedBlocks ? `${c.flushedBlocks} flushed` : `of ${fmtInt(result.layout.numBlocks)}`} tone={c.nanBlocks ? 'bad' : undefined} />
    </div>
  );
}

export function InsightList({ insights }: { insights: Insight[] }) {
  if (!insights.length) return null;
  return (
    <div className="insights" data-testid="insights">
      {insights.map((i) => (
        <div key={i.id} className={'insight ' + i.level} data-id={i.id}>
          <span className="insight-icon" aria-hidden="true">
            {i.level === 'warn' ? '!' : 'i'}
          </span>
          <span className="grow">{i.text}</span>
          {i.tryString ? (
            <button
              className="btn small"
              onClick={() => {
                try {
                  setSpec(formatToString(parseFormat(i.tryString!)));
                } catch {
                  /* a suggestion that does not parse is simply not applied */
                }
              }}
            >
              {i.tryLabel ?? 'try it'}
            </button>
          ) : null}
        </div>
      ))}
    </div>
  );
}
