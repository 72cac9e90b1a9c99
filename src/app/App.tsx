/**
 * The studio shell: header (product, kernel flavor, link, undo, theme, help), pane rail, the active
 * pane inside an error boundary, an optional run-log dock and a status bar.
 */
import { useCallback, useEffect, useState } from 'react';
import { documentStore, redo, undo } from '../state/document';
import { ephemeralStore } from '../state/ephemeral';
import { pasteTooLongForLink } from '../state/explorerHash';
import { modelStore } from '../state/model';
import { LONG_LINK, encodeModelHash } from '../state/modelHash';
import { PANES, sessionStore, setSession, type PaneId } from '../state/session';
import { useSlice } from '../ui/hooks';
import { Logo, icons } from '../ui/icons';
import { resolveTheme, toggleTheme } from '../ui/theme';
import { ComingPane } from '../panes/coming/ComingPane';
import { ExplorerPane } from '../panes/explorer/ExplorerPane';
import { startExplorerRunner } from '../panes/explorer/runner';
import { GraphPane } from '../panes/graph/GraphPane';
import { LayersPane } from '../panes/layers/LayersPane';
import { CostPane } from '../panes/cost/CostPane';
import { startModelRunner } from '../panes/layers/modelRunner';
import { ModelStatusLine } from '../panes/layers/ModelSource';
import { RunLog } from '../panes/terminal/RunLog';
import { SearchPane } from '../panes/search/SearchPane';
import { startSearchRunner } from '../panes/search/searchRunner';
import { searchStore } from '../state/search';
import { RtlPane } from '../panes/rtl/RtlPane';
import { ErrorBoundary } from './ErrorBoundary';
import { HelpPopover } from './HelpPopover';
import { startShortcuts } from './shortcuts';

const PANE_LABEL: Record<PaneId, string> = { explorer: 'Explorer', graph: 'Graph', layers: 'Layers', cost: 'Cost', search: 'Search', verilog: 'Verilog', terminal: 'Terminal' };
const PANE_TITLE: Record<PaneId, string> = {
  explorer: 'Format Explorer',
  graph: 'Graph',
  layers: 'Layers',
  cost: 'Hardware cost',
  search: 'Search / Pareto',
  verilog: 'Verilog',
  terminal: 'Terminal (coming)',
};

function KernelBadge() {
  const kernel = useSlice(ephemeralStore, (s) => s.kernel);
  if (!kernel) {
    return (
      <span className="kernel-badge" data-testid="kernel-flavor" data-flavor="">
        <span className="dot busy" /> loading kernels…
      </span>
    );
  }
  const label = kernel.flavor === 'relaxed' ? 'WASM relaxed-SIMD' : kernel.flavor === 'simd' ? 'WASM SIMD' : 'TypeScript only';
  return (
    <span className="kernel-badge" data-testid="kernel-flavor" data-flavor={kernel.flavor ?? 'ts'} title={kernel.message ?? 'Block formats (MX, MXInt, BFP) quantize on this WASM kernel build in a worker'}>
      <span className={kernel.flavor ? 'dot ok' : 'dot warn'} />
      kernels <b>{label}</b>
    </span>
  );
}

function LinkProblems() {
  const problems = useSlice(ephemeralStore, (s) => s.linkProblems);
  if (!problems.length) return null;
  return (
    <div className="banner" role="alert" data-testid="link-problems">
      <span className="grow">
        <b>Parts of this link could not be read;</b> they were replaced by defaults and everything else in the link was kept:
        <ul>
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      </span>
      <button className="btn small" onClick={() => ephemeralStore.setState({ linkProblems: [] })}>
        Dismiss
      </button>
    </div>
  );
}

function CopyLink() {
  const [copied, setCopied] = useState<string | null>(null);
  const tooLong = useSlice(documentStore, (s) => pasteTooLongForLink(s.explorer));
  const longModel = useSlice(documentStore, (s) => encodeModelHash(s.model).length > LONG_LINK);
  return (
    <button
      className="btn ghost"
      data-testid="copy-link"
      title={
        tooLong
          ? 'Pasted data is too long for a link; the link carries the format only'
          : longModel
            ? `This link is over ${LONG_LINK.toLocaleString('en-US')} characters (many per-point rules): some chat tools and browsers cut long links`
            : 'Copy a link to exactly this view'
      }
      onClick={() => {
        navigator.clipboard
          ?.writeText(location.href)
          .then(() => setCopied('Link copied'))
          .catch(() => setCopied('Copy failed: use the address bar'));
        setTimeout(() => setCopied(null), 1800);
      }}
    >
      {icons.link} {copied ?? 'Copy link'}
    </button>
  );
}

/** The Cost pane's rail icon (icons.tsx is keyed by the older panes): stacked cost bars. */
const COST_ICON = (
  <svg width={18} height={18} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
    <path d="M2 14h12" />
    <rect x="3" y="8" width="2.6" height="6" rx="0.5" />
    <rect x="6.7" y="4" width="2.6" height="10" rx="0.5" />
    <rect x="10.4" y="6" width="2.6" height="8" rx="0.5" />
    <path d="M3 10.5h2.6M6.7 8h2.6M10.4 9.5h2.6" />
  </svg>
);

/** A pulsing dot on the rail while a search runs in the background (any pane). */
function SearchRailDot() {
  const status = useSlice(searchStore, (s) => s.run?.status);
  if (status !== 'running' && status !== 'paused') return null;
  return <span className={'rail-run ' + status} aria-label={`search ${status}`} title={`A search is ${status}`} />;
}

function SearchStatusLine() {
  const run = useSlice(searchStore, (s) => s.run);
  const model = useSlice(modelStore, (s) => s.model);
  if (!run) return <>{model ? <span className="mono">{model.info.name}</span> : 'no model loaded'} · no search yet</>;
  return (
    <>
      <span className="mono">{run.model.name}</span> · search {run.status} · {run.trials.length.toLocaleString('en-US')} / {run.settings.budget.toLocaleString('en-US')} trials · front {run.summary?.front.length ?? 0}
    </>
  );
}

export function App() {
  const pane = useSlice(sessionStore, (s) => s.pane);
  const logOpen = useSlice(sessionStore, (s) => s.logOpen);
  const theme = useSlice(sessionStore, (s) => s.theme);
  const canUndo = useSlice(documentStore, (s) => s.past.length > 0);
  const canRedo = useSlice(documentStore, (s) => s.future.length > 0);
  const lastRun = useSlice(ephemeralStore, (s) => s.run);
  const lastEval = useSlice(modelStore, (s) => s.current);
  const searchRun = useSlice(searchStore, (s) => s.run);
  const [help, setHelp] = useState(false);
  const toggleHelp = useCallback((open?: boolean) => setHelp((h) => (open === undefined ? !h : open)), []);

  useEffect(() => startShortcuts(toggleHelp), [toggleHelp]);
  useEffect(() => startExplorerRunner(), []);
  useEffect(() => startModelRunner(), []);
  useEffect(() => startSearchRunner(), []);

  const resolved = resolveTheme(theme);

  return (
    <div className="app">
      <header className="header">
        <div className="brand">
          <Logo />
          MX Studio
        </div>
        <span className="crumb">
          / <b>{PANE_TITLE[pane]}</b>
        </span>
        <span className="spacer" />
        <KernelBadge />
        <CopyLink />
        <button className="btn ghost icon" title="Undo (Ctrl+Z)" aria-label="Undo" disabled={!canUndo} onClick={undo}>
          {icons.undo}
        </button>
        <button className="btn ghost icon" title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled={!canRedo} onClick={redo}>
          {icons.redo}
        </button>
        <button className="btn ghost icon" data-testid="theme-toggle" title={`Switch to ${resolved === 'dark' ? 'light' : 'dark'} theme (Alt+T)`} aria-label="Toggle theme" onClick={toggleTheme}>
          {resolved === 'dark' ? icons.sun : icons.moon}
        </button>
        <button className="btn ghost icon" data-testid="help-button" title="Help and shortcuts (?)" aria-label="Help and shortcuts" aria-expanded={help} onClick={() => toggleHelp()}>
          {icons.help}
        </button>
        {help ? <HelpPopover onClose={() => setHelp(false)} /> : null}
      </header>

      <div className="body">
        <nav className="rail" aria-label="Panes">
          {PANES.map((p, i) => (
            <button key={p} aria-current={pane === p ? 'page' : undefined} title={`${PANE_TITLE[p]} (Alt+${i + 1})`} data-testid={`rail-${p}`} onClick={() => setSession({ pane: p })}>
              {p === 'cost' ? COST_ICON : icons[p]}
              {PANE_LABEL[p]}
              {p === 'terminal' ? <span className="soon" aria-label="coming" /> : null}
              {p === 'search' ? <SearchRailDot /> : null}
            </button>
          ))}
        </nav>
        <main className="main">
          <LinkProblems />
          <ErrorBoundary key={pane} name={PANE_TITLE[pane]} resetKey={pane === 'graph' || pane === 'layers' || pane === 'cost' ? lastEval : pane === 'search' ? searchRun : lastRun}>
            {pane === 'explorer' ? (
              <ExplorerPane />
            ) : pane === 'graph' ? (
              <GraphPane />
            ) : pane === 'layers' ? (
              <LayersPane />
            ) : pane === 'cost' ? (
              <CostPane />
            ) : pane === 'search' ? (
              <SearchPane />
            ) : pane === 'verilog' ? (
              <RtlPane />
            ) : pane === 'terminal' ? (
              <ComingPane pane="terminal" wide>
                <p style={{ marginTop: 14 }}>Until then it shows the worker run log:</p>
                <div className="panel inline-log">
                  <RunLog />
                </div>
              </ComingPane>
            ) : (
              <ComingPane pane={pane} />
            )}
          </ErrorBoundary>
        </main>
      </div>

      {logOpen ? (
        <div className="dock">
          <div className="panel-head">
            <h3>Run log</h3>
            <span className="sub">quantize and emulate workers</span>
            <span className="spacer" />
            <button className="btn small ghost" onClick={() => ephemeralStore.setState({ log: [] })}>
              Clear
            </button>
            <button className="btn small ghost" aria-label="Close run log" onClick={() => setSession({ logOpen: false })}>
              {icons.close}
            </button>
          </div>
          <RunLog />
        </div>
      ) : (
        <div />
      )}

      <footer className="statusbar">
        <span>
          {pane === 'graph' || pane === 'layers' || pane === 'cost' ? (
            <ModelStatusLine />
          ) : pane === 'search' ? (
            <SearchStatusLine />
          ) : lastRun ? (
            <>
              <span className="mono">{lastRun.result.spec}</span> · {lastRun.input.length.toLocaleString('en-US')} elements · {lastRun.result.layout.numBlocks.toLocaleString('en-US')} block{lastRun.result.layout.numBlocks === 1 ? '' : 's'}
            </>
          ) : (
            'ready'
          )}
        </span>
        <span className="sep" />
        <button onClick={() => setSession({ logOpen: !logOpen })} title="Toggle the run log (Ctrl+`)">
          {logOpen ? '▾' : '▸'} Run log
        </button>
        <span>MX Studio 0.1</span>
      </footer>
    </div>
  );
}
