/**
 * The search settings as a document section: objectives, budgets (constraints), format menus, the
 * strategy, its budget and seed, and how trials are scored. They are the user's decisions, so they
 * live in the document (undoable) and in the share link (state/searchHash.ts, versioned); the
 * trials are results and live in this browser only (state/searchPersist.ts).
 *
 * Also the metric catalogue every search view uses: names as the search core's evaluator reports
 * them (src/core/search/evaluator.ts), labels, units, directions and number formats.
 */
import { bitsPerElement, formatToString, parseFormat } from '../core/formats';
import type { Lanes } from '../core/cost';
import { DEFAULT_SPACE_SPEC, TIES, type SpaceSpec, type Tie } from '../core/search';
import type { EvalMode, WeightRounding } from './document';

export type MetricId = 'perplexity' | 'deltaPerplexityPct' | 'deltaAccuracy' | 'kl' | 'energyPj' | 'areaUm2' | 'luts' | 'memoryBits' | 'avgBits' | 'throughput';

export interface MetricInfo {
  label: string;
  /** Axis / column label (the unit is added by axisUnit). */
  axis: string;
  direction: 'min' | 'max';
  /** Accuracy metrics depend on the token budget (proxy vs full); cost metrics do not. */
  accuracy: boolean;
  /** Display units as [factor, name] in ascending factor (raw value / factor is shown); empty: unitless. */
  units: readonly (readonly [number, string])[];
  fmt: (v: number) => string;
}

function sig(v: number, d = 4): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e6 || a < 1e-3 ? v.toExponential(d - 1).replace(/\.?0+e/, 'e') : String(+v.toPrecision(d));
  return s.replace('-', '−');
}

/** The display unit for values up to `maxAbs`: the largest unit whose factor it reaches. */
export function unitFor(units: MetricInfo['units'], maxAbs: number): readonly [number, string] {
  let u = units[0] ?? ([1, ''] as const);
  for (const x of units) if (maxAbs >= x[0]) u = x;
  return u;
}

function scaled(units: MetricInfo['units']) {
  return (v: number): string => {
    if (!Number.isFinite(v)) return sig(v);
    const [f, name] = unitFor(units, Math.abs(v));
    return `${sig(v / f)} ${name}`;
  };
}

const ENERGY = [[1, 'pJ'], [1e3, 'nJ'], [1e6, 'µJ'], [1e9, 'mJ'], [1e12, 'J']] as const;
const AREA = [[1, 'µm²'], [1e6, 'mm²']] as const;
const LUTS = [[1, 'LUT'], [1e3, 'k LUT'], [1e6, 'M LUT']] as const;
const MEMORY = [[8, 'B'], [8 * 1024, 'KiB'], [8 * 1024 ** 2, 'MiB'], [8 * 1024 ** 3, 'GiB']] as const;
const TPUT = [[1, 'tok/s'], [1e3, 'k tok/s'], [1e6, 'M tok/s']] as const;

export const METRICS: Readonly<Record<MetricId, MetricInfo>> = {
  perplexity: { label: 'Perplexity', axis: 'perplexity', direction: 'min', accuracy: true, units: [], fmt: (v) => sig(v, 5) },
  deltaPerplexityPct: { label: 'Δ perplexity', axis: 'Δ perplexity vs fp32', direction: 'min', accuracy: true, units: [[1, '%']], fmt: (v) => `${v >= 0 ? '+' : ''}${sig(v, 3)}%` },
  deltaAccuracy: { label: 'Δ accuracy', axis: 'top-1 accuracy drop vs fp32', direction: 'min', accuracy: true, units: [[0.01, 'pt']], fmt: (v) => `${sig(v * 100, 3)} pt` },
  kl: { label: 'KL to fp32', axis: 'KL to fp32', direction: 'min', accuracy: true, units: [[1, 'nats/token']], fmt: (v) => sig(v, 3) },
  energyPj: { label: 'Energy', axis: 'energy / inference', direction: 'min', accuracy: false, units: ENERGY, fmt: scaled(ENERGY) },
  areaUm2: { label: 'Area', axis: 'area, 45 nm', direction: 'min', accuracy: false, units: AREA, fmt: scaled(AREA) },
  luts: { label: 'Area (LUTs)', axis: 'FPGA LUTs', direction: 'min', accuracy: false, units: LUTS, fmt: scaled(LUTS) },
  memoryBits: { label: 'Memory', axis: 'memory', direction: 'min', accuracy: false, units: MEMORY, fmt: scaled(MEMORY) },
  avgBits: { label: 'Avg bits', axis: 'average bits / element', direction: 'min', accuracy: false, units: [], fmt: (v) => sig(v, 4) },
  throughput: { label: 'Throughput', axis: 'throughput, ASIC', direction: 'max', accuracy: false, units: TPUT, fmt: scaled(TPUT) },
};

/** An axis's unit for a domain: `energy / inference (mJ)` and ticks as plain numbers in that unit. */
export function axisUnit(id: MetricId, maxAbs: number): { label: string; tick: (v: number) => string } {
  const m = METRICS[id];
  const [f, name] = unitFor(m.units, maxAbs);
  return { label: name ? `${m.axis} (${name})` : m.axis, tick: (v) => sig(v / f, 3) };
}

export const METRIC_IDS = Object.keys(METRICS) as MetricId[];
/** What the search can minimise (or maximise). Δ perplexity is offered as a budget only: it ranks like perplexity. */
export const OBJECTIVE_IDS: readonly MetricId[] = ['perplexity', 'deltaAccuracy', 'kl', 'energyPj', 'areaUm2', 'luts', 'memoryBits', 'avgBits', 'throughput'];

export type StrategyName = 'nsga2' | 'tpe' | 'random' | 'greedy';
export const STRATEGIES: readonly { id: StrategyName; label: string; hint: string }[] = [
  { id: 'nsga2', label: 'NSGA-II', hint: 'Genetic: tournament, uniform crossover, mutation, elitist survival by rank and crowding (population 16)' },
  { id: 'tpe', label: 'TPE', hint: 'Multi-objective TPE (Optuna-style): 10 random trials, then sample from the good trials’ per-gene estimators' },
  { id: 'random', label: 'Random', hint: 'Every gene uniformly at random: the baseline every strategy must beat' },
  { id: 'greedy', label: 'Greedy', hint: 'Sensitivity-guided bit drop: start at the top of every menu, lower the least sensitive gene one step at a time (may stop before the budget)' },
];

export interface SearchConstraint {
  metric: MetricId;
  bound: 'max' | 'min';
  value: number;
}

export interface SearchMenu {
  /** Glob over quant point ids (`*`, `*.down.w`, `head.*`, `L2.q.x`); the last matching menu wins. */
  match: string;
  /** Canonical format specs, highest precision first. */
  choices: string[];
}

export interface SearchDoc {
  /** 1–3 objectives (exact hypervolume is implemented up to 3). */
  objectives: MetricId[];
  constraints: SearchConstraint[];
  tie: Tie;
  menus: SearchMenu[];
  /**
   * Parallelism choices for every GEMM op (tied like the formats), fewest lanes first; empty: not
   * searched (the cost model's default lanes). Throughput and area trade against lanes, not formats.
   */
  lanes: Lanes[];
  strategy: StrategyName;
  /** Trials. */
  budget: number;
  seed: number;
  /** Genomes asked per round. */
  batch: number;
  /** Successive halving: the fraction of each batch re-scored on the full budget; 0 = every trial full. */
  promote: number;
  /** Tokens of the proxy (first) and the full evaluation. */
  proxyTokens: number;
  fullTokens: number;
  mode: EvalMode;
  /** Weight rounding of every trial's MXInt linear weights (GPTQ: the emulate pool's calibration, made first if missing). */
  rounding: WeightRounding;
}

export const SEARCH_LIMITS = { budget: [1, 5000], seed: [0, 2 ** 31 - 1], batch: [1, 64] } as const;
export const PROXY_TOKENS = [128, 256, 512, 1024] as const;
export const FULL_TOKENS = [1024, 2048, 4096, 8192, 16384] as const;
export const PROMOTE = [0, 0.25, 0.5] as const;

/** Canonical specs, highest precision first (bits per element descending, then as given). */
export function sortChoices(specs: readonly string[]): string[] {
  const uniq = [...new Set(specs.map((s) => formatToString(parseFormat(s))))];
  return uniq
    .map((s, i) => ({ s, i, b: bitsPerElement(parseFormat(s)) }))
    .sort((a, b) => b.b - a.b || a.i - b.i)
    .map((x) => x.s);
}

/** MASE's default menu (core's DEFAULT_SPACE_SPEC): fp32 or MXInt m = 8…2, block 32. */
export const MASE_MENU: readonly string[] = sortChoices(DEFAULT_SPACE_SPEC.menus[0].choices);

/** Formats offered as one-click chips in the menu editor (any spec can be typed too). */
export const MENU_PALETTE: readonly string[] = [...MASE_MENU, 'mxint8', 'mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4', 'fixed:w=8,f=4'].map((s) => formatToString(parseFormat(s)));

export const DEFAULT_SEARCH: SearchDoc = {
  objectives: ['perplexity', 'energyPj'],
  constraints: [],
  tie: 'block',
  menus: [{ match: '*', choices: [...MASE_MENU] }],
  lanes: [],
  strategy: 'nsga2',
  budget: 64,
  seed: 1,
  batch: 8,
  promote: 0,
  proxyTokens: 256,
  fullTokens: 2048,
  mode: 'fake',
  rounding: 'nearest',
};

/** Lanes offered as chips (k: along the reduction, n: output columns in parallel); k32·n1 is the cost model's default. */
export const LANES_PALETTE: readonly Lanes[] = [
  { lanesK: 8, lanesN: 1 },
  { lanesK: 16, lanesN: 1 },
  { lanesK: 32, lanesN: 1 },
  { lanesK: 32, lanesN: 4 },
  { lanesK: 64, lanesN: 8 },
];

export const lanesKey = (l: Lanes): string => `k${l.lanesK}·n${l.lanesN}${l.lanesM && l.lanesM !== 1 ? `·m${l.lanesM}` : ''}`;

/** Fewest multipliers first (greedy walks menus in order). */
export function sortLanes(ls: readonly Lanes[]): Lanes[] {
  const seen = new Map(ls.map((l) => [lanesKey(l), l]));
  return [...seen.values()].sort((a, b) => a.lanesK * a.lanesN * (a.lanesM ?? 1) - b.lanesK * b.lanesN * (b.lanesM ?? 1) || a.lanesK - b.lanesK);
}

/** The core's space spec of these settings. */
export function spaceSpecOf(d: SearchDoc): SpaceSpec {
  const menus = d.menus.map((m) => ({ match: m.match, choices: [...m.choices] }));
  return d.lanes.length ? { version: 1, tie: d.tie, menus, lanes: [{ match: '*', choices: d.lanes.map((l) => ({ ...l })) }] } : { version: 1, tie: d.tie, menus };
}

export function sameSearch(a: SearchDoc, b: SearchDoc): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

const PATTERN = /^[A-Za-z0-9_.*?]+$/;

/**
 * Read untrusted settings (a link, a stored run) field by field: a bad field falls back to its
 * default with a sentence naming it; everything else is kept.
 */
export function parseSearchDoc(json: unknown): { doc: SearchDoc; problems: string[] } {
  const d = DEFAULT_SEARCH;
  const problems: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { doc: d, problems: ['the search settings are not an object; using the defaults.'] };
  const o = json as Record<string, unknown>;
  const out: SearchDoc = { ...d, menus: d.menus.map((m) => ({ ...m, choices: [...m.choices] })) };
  const bad = (k: string, why: string, def: unknown) => problems.push(`search ${k} ${why}; using ${typeof def === 'string' ? def : JSON.stringify(def)}.`);

  if (o.objectives !== undefined) {
    const v = o.objectives;
    if (Array.isArray(v) && v.length >= 1 && v.length <= 3 && v.every((x) => typeof x === 'string' && (OBJECTIVE_IDS as readonly string[]).includes(x)) && new Set(v).size === v.length) out.objectives = v as MetricId[];
    else bad('objectives', `must be 1 to 3 distinct of ${OBJECTIVE_IDS.join(', ')} (got ${JSON.stringify(v)})`, d.objectives);
  }
  if (o.constraints !== undefined) {
    const v = o.constraints;
    const ok = (c: unknown): c is SearchConstraint => {
      if (typeof c !== 'object' || c === null) return false;
      const r = c as Record<string, unknown>;
      return typeof r.metric === 'string' && (METRIC_IDS as string[]).includes(r.metric) && (r.bound === 'max' || r.bound === 'min') && typeof r.value === 'number' && Number.isFinite(r.value);
    };
    if (Array.isArray(v) && v.length <= 12 && v.every(ok)) out.constraints = v.map((c) => ({ metric: c.metric, bound: c.bound, value: c.value }));
    else bad('constraints', 'must be a list of {metric, bound: "max"|"min", value}', d.constraints);
  }
  if (o.tie !== undefined) {
    if (typeof o.tie === 'string' && (TIES as readonly string[]).includes(o.tie)) out.tie = o.tie as Tie;
    else bad('tie', `must be one of ${TIES.join(', ')} (got ${JSON.stringify(o.tie)})`, d.tie);
  }
  if (o.menus !== undefined) {
    const v = o.menus;
    try {
      if (!Array.isArray(v) || v.length < 1 || v.length > 200) throw new Error('must be a non-empty list of {match, choices}');
      out.menus = v.map((m: unknown, i) => {
        if (typeof m !== 'object' || m === null) throw new Error(`[${i}] is not {match, choices}`);
        const r = m as Record<string, unknown>;
        if (typeof r.match !== 'string' || !PATTERN.test(r.match)) throw new Error(`[${i}].match ${JSON.stringify(r.match)} is not a glob over point ids`);
        if (!Array.isArray(r.choices) || !r.choices.length || !r.choices.every((c) => typeof c === 'string')) throw new Error(`[${i}].choices must be a non-empty list of format specs`);
        try {
          return { match: r.match, choices: sortChoices(r.choices as string[]) };
        } catch (e) {
          throw new Error(`[${i}].choices: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      });
    } catch (e) {
      bad('menus', e instanceof Error ? e.message : String(e), 'MASE’s default menu');
    }
  }
  if (o.lanes !== undefined) {
    const v = o.lanes;
    const ok = (l: unknown): l is Lanes => {
      if (typeof l !== 'object' || l === null) return false;
      const r = l as Record<string, unknown>;
      const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 4096;
      return int(r.lanesK) && int(r.lanesN) && (r.lanesM === undefined || int(r.lanesM)) && Object.keys(r).every((k) => k === 'lanesK' || k === 'lanesN' || k === 'lanesM');
    };
    if (Array.isArray(v) && v.length <= 16 && v.every(ok)) out.lanes = sortLanes(v.map((l) => (l.lanesM && l.lanesM !== 1 ? { lanesK: l.lanesK, lanesN: l.lanesN, lanesM: l.lanesM } : { lanesK: l.lanesK, lanesN: l.lanesN })));
    else bad('lanes', 'must be a list of {lanesK, lanesN, lanesM?} with integers 1 to 4096', d.lanes);
  }
  if (o.strategy !== undefined) {
    if (typeof o.strategy === 'string' && STRATEGIES.some((s) => s.id === o.strategy)) out.strategy = o.strategy as StrategyName;
    else bad('strategy', `must be one of ${STRATEGIES.map((s) => s.id).join(', ')} (got ${JSON.stringify(o.strategy)})`, d.strategy);
  }
  const int = (k: 'budget' | 'seed' | 'batch') => {
    const v = o[k];
    if (v === undefined) return;
    const [lo, hi] = SEARCH_LIMITS[k];
    if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) out[k] = v;
    else bad(k, `must be an integer from ${lo} to ${hi} (got ${JSON.stringify(v)})`, d[k]);
  };
  int('budget');
  int('seed');
  int('batch');
  if (o.promote !== undefined) {
    if (typeof o.promote === 'number' && o.promote >= 0 && o.promote <= 1) out.promote = o.promote;
    else bad('promote', `must be 0 (off) or a fraction in (0, 1] (got ${JSON.stringify(o.promote)})`, d.promote);
  }
  if (o.proxyTokens !== undefined) {
    if ((PROXY_TOKENS as readonly unknown[]).includes(o.proxyTokens)) out.proxyTokens = o.proxyTokens as number;
    else bad('proxyTokens', `must be one of ${PROXY_TOKENS.join(', ')} (got ${JSON.stringify(o.proxyTokens)})`, d.proxyTokens);
  }
  if (o.fullTokens !== undefined) {
    if ((FULL_TOKENS as readonly unknown[]).includes(o.fullTokens)) out.fullTokens = o.fullTokens as number;
    else bad('fullTokens', `must be one of ${FULL_TOKENS.join(', ')} (got ${JSON.stringify(o.fullTokens)})`, d.fullTokens);
  }
  if (o.mode !== undefined) {
    if (o.mode === 'fake' || o.mode === 'integer') out.mode = o.mode;
    else bad('mode', `must be fake or integer (got ${JSON.stringify(o.mode)})`, d.mode);
  }
  if (o.rounding !== undefined) {
    if (o.rounding === 'nearest' || o.rounding === 'gptq') out.rounding = o.rounding;
    else bad('rounding', `must be nearest or gptq (got ${JSON.stringify(o.rounding)})`, d.rounding);
  }
  const known = new Set(Object.keys(d));
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length) problems.push(`Unknown search setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ignored.`);
  return { doc: out, problems };
}
