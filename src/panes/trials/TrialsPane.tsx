/**
 * The trial table: every trial with its metrics, sortable by any column (click a header; Enter on a
 * focused header), filtered to the front, the feasible trials, the Pareto brush, or by text (a
 * format, a hash, `#12`), exported as CSV or JSON with run id, trial id and seed on every row.
 * A row picks its trial like a click in the Pareto plot (click, or Enter on the focused row).
 */
import { useMemo } from 'react';
import { searchStore, setSearchView, type TableFilter } from '../../state/search';
import { METRICS, type MetricId } from '../../state/searchDoc';
import { Segmented } from '../../ui/controls';
import { useSlice } from '../../ui/hooks';
import { downloadText } from '../../ui/plotExport';
import { selectDesign } from '../search/searchRunner';
import { configLabel, exportName, rulesText, tableRows, trialsCsv, trialsJson } from './trialsModel';

/** Rows rendered at most (the exports hold every trial). */
const MAX_ROWS = 400;

const COLS: MetricId[] = ['perplexity', 'deltaPerplexityPct', 'deltaAccuracy', 'kl', 'energyPj', 'areaUm2', 'luts', 'memoryBits', 'avgBits', 'throughput'];

function setTable(patch: Partial<ReturnType<typeof searchStore.getState>['table']>): void {
  setSearchView({ table: { ...searchStore.getState().table, ...patch } });
}

export function TrialsPane() {
  const run = useSlice(searchStore, (s) => s.run);
  const q = useSlice(searchStore, (s) => s.table);
  const brushIds = useSlice(searchStore, (s) => s.brushed);
  const selected = useSlice(searchStore, (s) => s.selected);
  const hover = useSlice(searchStore, (s) => s.hover);
  const trials = useMemo(() => run?.trials ?? [], [run?.trials]);
  const summary = run?.summary ?? null;
  const rows = useMemo(() => tableRows(trials, summary, brushIds, q), [trials, summary, brushIds, q]);
  const front = new Set(summary?.front ?? []);
  const objectives = new Set(run?.settings.objectives ?? []);
  const sortBy = (key: string) => setTable(q.sort === key ? { desc: !q.desc } : { sort: key, desc: key !== 'id' && METRICS[key as MetricId]?.direction === 'max' });
  const head = (key: string, label: string, title?: string) => (
    <th
      key={key}
      className={(key === 'id' ? '' : 'r') + (objectives.has(key as MetricId) ? ' obj' : '')}
      aria-sort={q.sort === key ? (q.desc ? 'descending' : 'ascending') : 'none'}
      tabIndex={0}
      title={title ?? `Sort by ${label}`}
      onClick={() => sortBy(key)}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), sortBy(key))}
    >
      {label}
      {q.sort === key ? (q.desc ? ' ▾' : ' ▴') : ''}
    </th>
  );
  const exportAs = (kind: 'csv' | 'json') => {
    if (!run) return;
    const stem = exportName(run);
    if (kind === 'csv') downloadText(`${stem}.csv`, trialsCsv(run, trials, summary), 'text/csv');
    else downloadText(`${stem}.json`, trialsJson(run, trials, summary, run.baselines), 'application/json');
  };

  return (
    <section className="panel trials" aria-label="Trials" data-testid="trials-pane">
      <div className="panel-head">
        <h2>Trials</h2>
        <span className="sub" data-testid="trials-count">
          {rows.length === trials.length ? `${trials.length}` : `${rows.length} of ${trials.length}`}
        </span>
        <span className="spacer" />
        <Segmented<TableFilter>
          label="Show"
          testId="trials-filter"
          value={q.filter}
          options={[
            { id: 'all', label: 'all' },
            { id: 'front', label: 'front' },
            { id: 'feasible', label: 'within budgets' },
            { id: 'brushed', label: brushIds ? `brushed (${brushIds.length})` : 'brushed', hint: 'Drag on the Pareto plot to brush trials' },
          ]}
          onChange={(filter) => setTable({ filter })}
        />
        <input className="input" style={{ width: 170 }} placeholder="filter: mxint:m=4, #12, hash" aria-label="Filter trials" data-testid="trials-text" value={q.text} onChange={(e) => setTable({ text: e.target.value })} />
        <button className="btn small" disabled={!trials.length} onClick={() => exportAs('csv')} data-testid="export-csv" title="Every trial with run id, trial id, seed, metrics, rules and genome">
          CSV
        </button>
        <button className="btn small" disabled={!trials.length} onClick={() => exportAs('json')} data-testid="export-json" title="The run: settings, baselines, front, hypervolume and every trial">
          JSON
        </button>
      </div>
      <div className="trials-scroll">
        <table className="ptable trials-table" data-testid="trials-table">
          <thead>
            <tr>
              {head('id', '#', 'Trial id (in the order the strategy asked)')}
              <th title="Tokens scored: full budget, or proxy only">budget</th>
              {COLS.map((c) => head(c, METRICS[c].label + (METRICS[c].direction === 'max' ? ' ↑' : '')))}
              <th>formats (genes per format)</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((t) => {
              const sel = selected && selected.runId === run?.id && selected.trialId === t.id;
              return (
                <tr
                  key={t.id}
                  className={(sel ? 'active' : '') + (hover === t.id ? ' hovered' : '') + (t.feasible ? '' : ' infeasible')}
                  tabIndex={0}
                  data-testid={`trial-row-${t.id}`}
                  aria-selected={!!sel}
                  onClick={() => selectDesign({ trial: t.id })}
                  onKeyDown={(e) => e.key === 'Enter' && selectDesign({ trial: t.id })}
                  onMouseEnter={() => setSearchView({ hover: t.id })}
                  onMouseLeave={() => setSearchView({ hover: null })}
                >
                  <td className="num">
                    {t.id}
                    {front.has(t.id) ? (
                      <span className="front-star" title="On the Pareto front">
                        ★
                      </span>
                    ) : null}
                  </td>
                  <td className="muted">{t.fidelity === 'full' ? 'full' : 'proxy'}</td>
                  {COLS.map((c) => (
                    <td key={c} className={'r num' + (objectives.has(c) ? ' obj' : '')}>
                      {METRICS[c].fmt(t.metrics[c])}
                    </td>
                  ))}
                  <td className="mono muted" title={rulesText(t.config)}>
                    {configLabel(t.config)}
                    {!t.feasible ? <span className="warn-tag">over budget</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {rows.length > MAX_ROWS ? <p className="hint-text">Showing the first {MAX_ROWS} of {rows.length} rows; the exports hold every trial.</p> : null}
        {!trials.length ? <p className="hint-text trials-empty">No trials yet.</p> : null}
      </div>
    </section>
  );
}
