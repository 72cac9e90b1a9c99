/**
 * The trial table without the DOM (tested): rows filtered (front, feasible, brushed, text) and
 * sorted, a compact label of a trial's formats, and CSV / JSON exports that carry the run id, the
 * trial id and the seed on every row (ux-conventions §5.4: exports must say where a number came from).
 */
import type { QuantConfig } from '../../core/graph';
import type { BaselineResult, SearchSummary, Trial } from '../../../workers/api/search.api';
import { METRIC_IDS, type MetricId, type SearchDoc } from '../../state/searchDoc';
import type { RunView, TableFilter } from '../../state/search';

/** A spec in a few characters: `mxint:m=4,block=32` → `m4`, `fixed:w=8,f=4` → `fx8.4`; others as they are. */
export function shortSpec(spec: string): string {
  const mx = /^mxint:m=(\d+),block=32$/.exec(spec);
  if (mx) return `m${mx[1]}`;
  const fx = /^fixed:w=(\d+),f=(\d+)$/.exec(spec);
  if (fx) return `fx${fx[1]}.${fx[2]}`;
  return spec;
}

/** How many genes (rules) take each format, most precise first as listed: `fp32×2 m8×3 m4×10`. */
export function configLabel(c: QuantConfig): string {
  const count = new Map<string, number>();
  for (const [, s] of c.rules) count.set(s, (count.get(s) ?? 0) + 1);
  if (!count.size) return 'fp32 (no rules)';
  return [...count].map(([s, n]) => `${shortSpec(s)}×${n}`).join(' ');
}

export function rulesText(c: QuantConfig): string {
  return c.rules.map(([p, s]) => `${p}=${s}`).join(' ');
}

export interface TableQuery {
  filter: TableFilter;
  text: string;
  sort: string;
  desc: boolean;
}

/** The rows to show: filtered, then sorted (by id, or a metric; NaN last). */
export function tableRows(trials: readonly Trial[], summary: SearchSummary | null, brushed: readonly number[] | null, q: TableQuery): Trial[] {
  const front = new Set(summary?.front ?? []);
  const br = brushed ? new Set(brushed) : null;
  const text = q.text.trim().toLowerCase();
  const rows = trials.filter((t) => {
    if (q.filter === 'front' && !front.has(t.id)) return false;
    if (q.filter === 'feasible' && !t.feasible) return false;
    if (q.filter === 'brushed' && br && !br.has(t.id)) return false;
    if (text && !`#${t.id} ${t.hash} ${rulesText(t.config)} ${configLabel(t.config)}`.toLowerCase().includes(text)) return false;
    return true;
  });
  const key = (t: Trial): number => (q.sort === 'id' ? t.id : (t.metrics[q.sort] ?? NaN));
  const dir = q.desc ? -1 : 1;
  return rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const nx = Number.isNaN(x);
    const ny = Number.isNaN(y);
    if (nx || ny) return nx === ny ? a.id - b.id : nx ? 1 : -1;
    return dir * (x - y) || a.id - b.id;
  });
}

/** Provenance written with every export. */
export function runMeta(run: Pick<RunView, 'id' | 'settings' | 'model' | 'createdAt'>): Record<string, unknown> {
  return {
    run_id: run.id,
    created: new Date(run.createdAt).toISOString(),
    model: run.model.name,
    model_parameters: run.model.numParams,
    strategy: run.settings.strategy,
    seed: run.settings.seed,
    budget: run.settings.budget,
    settings: run.settings,
    tool: 'MX Studio 0.1',
  };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const COLUMNS = ['run_id', 'trial_id', 'seed', 'strategy', 'fidelity', 'feasible', 'on_front', 'violation', 'cached', 'hash'] as const;

/** One row per trial: provenance, every metric in its own unit (pJ, µm², bits, tokens/s), the rules and the genome. */
export function trialsCsv(run: Pick<RunView, 'id' | 'settings' | 'model' | 'createdAt'>, trials: readonly Trial[], summary: SearchSummary | null): string {
  const front = new Set(summary?.front ?? []);
  const head = [...COLUMNS, ...METRIC_IDS, 'config_rules', 'parallelism', 'genome'];
  const lines = [head.join(',')];
  for (const t of trials) {
    const row: unknown[] = [run.id, t.id, run.settings.seed, run.settings.strategy, t.fidelity, t.feasible, front.has(t.id), t.violation, t.cached, t.hash];
    for (const m of METRIC_IDS) row.push(t.metrics[m]);
    row.push(JSON.stringify(t.config.rules), Object.keys(t.parallelism).length ? JSON.stringify(t.parallelism) : '', t.genome.join(' '));
    lines.push(row.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** The run as JSON: provenance, the baselines, the front and hypervolume, and every trial (non-finite numbers as strings). */
export function trialsJson(run: Pick<RunView, 'id' | 'settings' | 'model' | 'createdAt'>, trials: readonly Trial[], summary: SearchSummary | null, baselines: readonly BaselineResult[]): string {
  const front = new Set(summary?.front ?? []);
  const doc = {
    ...runMeta(run),
    front: summary?.front ?? [],
    hypervolume: summary?.hypervolume ? { value: summary.hypervolume.value, reference_point: summary.hypervolume.reference_point, history: summary.hypervolume.history } : null,
    baselines: baselines.map((b) => ({ name: b.name, fidelity: b.fidelity, config: b.config, metrics: b.metrics })),
    trials: trials.map((t) => ({ trial_id: t.id, seed: run.settings.seed, fidelity: t.fidelity, feasible: t.feasible, on_front: front.has(t.id), violation: t.violation, cached: t.cached, hash: t.hash, genome: t.genome, config: t.config, parallelism: t.parallelism, objectives: t.objectives, metrics: t.metrics })),
  };
  return JSON.stringify(doc, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

/** File stem for exports: `mx-search-<run>-seed<seed>`. */
export function exportName(run: { id: string; settings: SearchDoc }): string {
  return `mx-search-${run.id}-seed${run.settings.seed}`;
}

export type SortKey = 'id' | MetricId;
