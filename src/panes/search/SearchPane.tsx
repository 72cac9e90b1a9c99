/**
 * The Search workspace: settings on the left (SearchSettings), and on the right the run bar
 * (start / pause / resume / cancel, progress), the Pareto plot (panes/pareto), the hypervolume
 * chart, the picked design point, and the trial table (panes/trials). The search runs in a worker
 * on the loaded model (searchRunner.ts); every trial is recorded in this browser as it finishes.
 */
import { useEffect, useState } from 'react';
import { setSession } from '../../state/session';
import { modelStore } from '../../state/model';
import { searchStore, setSearchView, type RunView } from '../../state/search';
import { METRICS, STRATEGIES, lanesKey, type MetricId } from '../../state/searchDoc';
import type { Lanes } from '../../core/cost';
import { Spinner } from '../../ui/controls';
import { fmtInt, fmtMs } from '../../ui/format';
import { icons } from '../../ui/icons';
import { useDelayed, useSlice } from '../../ui/hooks';
import { downloadText } from '../../ui/plotExport';
import { ModelBar, ModelDropZone } from '../layers/ModelSource';
import { ensureModel } from '../layers/modelRunner';
import { ParetoPane } from '../pareto/ParetoPane';
import { TrialsPane } from '../trials/TrialsPane';
import { rulesText } from '../trials/trialsModel';
import { HypervolumeChart } from './HypervolumeChart';
import { SearchSettings } from './SearchSettings';
import { baselineLabel, continueSearch, discardRun, pauseSearch, resumeRun, startSearch, stopSearch } from './searchRunner';
import './search.css';
import '../layers/layers.css';

const PHASE: Record<string, string> = {
  starting: 'starting',
  sensitivity: 'measuring per-point sensitivity (greedy)',
  baselines: 'scoring the reference designs',
  trials: 'running trials',
  paused: 'paused',
};

/** Re-render every second while a run runs (elapsed time, ETA). */
function useTick(active: boolean): void {
  const [, set] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => set((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [active]);
}

/** Seconds and minutes for run times (fmtMs is for evaluations). */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return fmtMs(ms);
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `L*.q k32·n4, head k64·n8` from per-op lanes, ops with equal lanes in every block folded. */
function lanesSummary(p: Readonly<Record<string, Lanes>>): string {
  const byKind = new Map<string, string>();
  for (const [op, l] of Object.entries(p)) byKind.set(op.replace(/^L\d+\./, 'L*.'), lanesKey(l));
  return [...byKind].map(([k, v]) => `${k} ${v}`).join(', ');
}

function elapsedOf(r: RunView): number {
  return r.elapsedBefore + (r.runningSince === null ? 0 : performance.now() - r.runningSince);
}

function RunBar() {
  const run = useSlice(searchStore, (s) => s.run);
  const running = run?.status === 'running' || run?.status === 'paused';
  useTick(!!running);
  const late = useDelayed(run?.status === 'running', 2000);
  const n = run?.trials.length ?? 0;
  const budget = run?.settings.budget ?? 0;
  const ms = run ? elapsedOf(run) : 0;
  const replaying = run && run.counts.run === 0 && n > 0 && run.status === 'running';
  const eta = run && run.status === 'running' && n >= 4 && !replaying ? (ms / n) * (budget - n) : null;
  return (
    <div className="runbar search-runbar">
      {running ? (
        <>
          {run.status === 'running' ? <Spinner /> : <span className="dot warn" />}
          <span className="running" data-testid="search-status" data-status={run.status}>
            {run.status === 'paused' ? 'paused' : PHASE[run.phase ?? 'starting']}
          </span>
          <progress className="bar" max={budget} value={n} data-testid="search-progress" />
          <span className="num" data-testid="search-trials" data-value={n}>
            {fmtInt(n)} / {fmtInt(budget)} trials
          </span>
          <span className="muted num" title="Forward passes run in this session (a trial is one, or two with successive halving; repeats come from the cache)">
            {fmtInt(run.counts.run)} evaluation{run.counts.run === 1 ? '' : 's'}
          </span>
          <span className="muted num">
            {fmtDuration(ms)}
            {eta !== null ? ` · ~${fmtDuration(eta)} left` : ''}
            {replaying ? ' · replaying recorded evaluations' : ''}
          </span>
          <span className="spacer" />
          {run.status === 'paused' ? (
            <button className="btn small primary" onClick={continueSearch} data-testid="search-resume">
              {icons.play} Resume
            </button>
          ) : (
            <button className="btn small" onClick={pauseSearch} data-testid="search-pause" title="Hold before the next evaluation">
              Pause
            </button>
          )}
          <button className={'btn small' + (late ? ' attention' : '')} onClick={() => stopSearch()} data-testid="search-cancel" title="Stop now (terminates the search worker); the trials so far stay recorded">
            Cancel
          </button>
        </>
      ) : (
        <>
          <button className="btn primary" onClick={() => void startSearch()} data-testid="search-start" title="Start a new search with these settings (Ctrl+Enter)">
            {icons.play} Start search <kbd className="kbd">Ctrl ↵</kbd>
          </button>
          {run ? (
            <span className="muted" data-testid="search-status" data-status={run.status}>
              {run.status === 'done' ? 'done' : run.status} ·{' '}
              <span className="num" data-testid="search-trials" data-value={n}>
                {fmtInt(n)} / {fmtInt(budget)} trials
              </span>{' '}
              · {STRATEGIES.find((s) => s.id === run.settings.strategy)?.label}, seed {run.settings.seed} · {fmtDuration(ms)}
            </span>
          ) : (
            <span className="muted">Runs in a worker on the loaded model; trials stream in and are kept in this browser.</span>
          )}
          <span className="spacer" />
          {run ? (
            <button className="btn small ghost" onClick={() => void discardRun(run.id)} title="Forget this run (its trials and evaluations in this browser)" data-testid="search-discard">
              Discard run
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}

function Banners() {
  const run = useSlice(searchStore, (s) => s.run);
  const resumable = useSlice(searchStore, (s) => s.resumable);
  const storage = useSlice(searchStore, (s) => s.storage);
  const busy = run?.status === 'running' || run?.status === 'paused';
  return (
    <>
      {resumable && !busy ? (
        <div className="banner" role="status" data-testid="resume-offer">
          <span className="grow">
            <b>A search stopped before its budget</b> ({new Date(resumable.createdAt).toLocaleString()}: {fmtInt(resumable.trials)} of {fmtInt(resumable.settings.budget)} trials, {STRATEGIES.find((s) => s.id === resumable.settings.strategy)?.label}, seed {resumable.settings.seed}, on {resumable.model.name}).{' '}
            {resumable.message ?? ''} Resuming replays its recorded evaluations, so it continues exactly where it stopped.
          </span>
          <button className="btn small primary" onClick={() => void resumeRun(resumable)} data-testid="resume-run">
            Resume run
          </button>
          <button className="btn small" onClick={() => void discardRun(resumable.id)}>
            Discard
          </button>
        </div>
      ) : null}
      {run?.message && run.status === 'error' ? (
        <div className="banner error" role="alert" data-testid="search-error">
          <span className="grow">
            <b>The search stopped.</b> {run.message}
          </span>
        </div>
      ) : run?.message && !resumable ? (
        <div className="banner" role="status" data-testid="search-message">
          <span className="grow">{run.message}</span>
          <button className="btn small ghost" onClick={() => setSearchView({ run: { ...run, message: null } })}>
            Dismiss
          </button>
        </div>
      ) : null}
      {storage.kind === 'memory' ? (
        <div className="banner" role="status">
          <span className="grow">Runs are kept in memory only ({storage.reason}): a reload loses them. Export the trials to keep them.</span>
        </div>
      ) : null}
    </>
  );
}

function DesignCard() {
  const sel = useSlice(searchStore, (s) => s.selected);
  const run = useSlice(searchStore, (s) => s.run);
  const objs: MetricId[] = run?.settings.objectives ?? [];
  const shown: MetricId[] = [...new Set<MetricId>([...objs, 'perplexity', 'deltaPerplexityPct', 'deltaAccuracy', 'kl', 'energyPj', 'areaUm2', 'luts', 'memoryBits', 'avgBits', 'throughput'])];
  const t = sel && run && sel.trialId !== null ? run.trials[sel.trialId] : null;
  return (
    <section className="panel design" aria-label="Selected design" data-testid="design-card">
      <div className="panel-head">
        <h2>Design point</h2>
        <span className="sub">{sel ? sel.label : 'pick one in the plot or the table'}</span>
        <span className="spacer" />
        {sel ? (
          <button className="btn small primary" onClick={() => setSession({ pane: 'layers' })} data-testid="open-in-layers" title="Its formats are already loaded in Layers">
            Open in Layers →
          </button>
        ) : null}
      </div>
      {sel ? (
        <div className="panel-body stack tight">
          <div className="design-metrics">
            {shown.map((m) => (
              <div key={m} className={'dm' + (objs.includes(m) ? ' obj' : '')} data-testid={`dm-${m}`} data-value={sel.metrics[m]}>
                <span className="muted">{METRICS[m].label}</span>
                <span className="num">{METRICS[m].fmt(sel.metrics[m])}</span>
              </div>
            ))}
          </div>
          <div className="design-rules mono" data-testid="design-rules">
            {sel.config.rules.length ? sel.config.rules.map(([p, s]) => <div key={p}>{p} → {s}</div>) : <div>every point fp32</div>}
            {Object.keys(sel.parallelism).length ? <div className="muted">lanes: {lanesSummary(sel.parallelism)}</div> : null}
          </div>
          <div className="row">
            <span className="hint-text">
              {t ? `${t.fidelity === 'full' ? `scored on ${run!.settings.fullTokens} tokens` : `proxy only (${run!.settings.proxyTokens} tokens)`} · hash ${t.hash}` : sel.baseline ? `reference design ${baselineLabel(sel.baseline)}` : ''}
            </span>
            <span className="spacer" />
            <button className="btn small ghost" onClick={() => downloadText(`${sel.label.replace(/[^a-z0-9]+/gi, '-')}-config.json`, JSON.stringify({ version: 1, rules: sel.config.rules }, null, 2), 'application/json')} title="The config as the CLI reads it (mx-studio eval --config)">
              {icons.download} config
            </button>
          </div>
          <p className="hint-text">Loaded into Layers (one undo step). The Verilog pane, when it lands, generates RTL for this design point.</p>
        </div>
      ) : (
        <div className="panel-body">
          <p className="hint-text">Click a trial or a reference mark: its formats load into the Layers pane, which evaluates them with the same token budget and mode, and it becomes the design point later panes (Verilog) work on.</p>
        </div>
      )}
    </section>
  );
}

export function SearchPane() {
  const model = useSlice(modelStore, (s) => s.model);
  const run = useSlice(searchStore, (s) => s.run);
  useEffect(() => ensureModel(), []);
  const sel = useSlice(searchStore, (s) => s.selected);
  return (
    <ModelDropZone className="model-pane search-pane" testId="pane-search">
      <ModelBar />
      <div className="search-layout">
        <aside className="sr-side">
          <div className="sr-title">
            <h1>Automatic search</h1>
            <span className="muted">mixed precision per quant point, against hardware cost</span>
          </div>
          <SearchSettings />
        </aside>
        <section className="sr-main" aria-label="Search results">
          <RunBar />
          <Banners />
          <div className="sr-results">
            {!model && !run ? <div className="placeholder">Loading the model… the search runs on the model loaded in the Layers pane.</div> : null}
            <div className="sr-top">
              <ParetoPane />
              <div className="sr-right">
                <HypervolumeChart />
                <DesignCard />
              </div>
            </div>
            <TrialsPane />
            {sel ? <span hidden data-testid="selected-rules" data-rules={rulesText(sel.config)} /> : null}
          </div>
        </section>
      </div>
    </ModelDropZone>
  );
}
