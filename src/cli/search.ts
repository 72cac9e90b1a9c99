/**
 * `mx-studio search` and `mx-studio objective`: the mixed-precision search of src/core/search over a
 * model folder, with the emulator (accuracy, fake or integer mode) and the cost model (energy, area,
 * LUTs…) joined by `makeEvaluator`.
 *
 * - `search` runs a studio strategy (nsga2, tpe, random, greedy) for N trials and writes results.json.
 * - `objective` is the same problem as a JSON-lines service on stdin/stdout, for outside optimisers
 *   (tools/optuna): one header line describing the space, then one result line per genome asked.
 *   The model is loaded once; at end of input it writes the same results.json as `search`.
 *
 * Both share `prepareProblem` (model, kernels, tokens, space, objectives, constraints, evaluator,
 * uniform baselines, reference point) and `resultsJson`, so the two files differ only in who chose
 * the genomes. Node ring: node:fs, node:readline.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Emulator, EmulatorError } from '../core/emulate';
import { FormatError } from '../core/formats';
import { ConfigError, parseConfig, type QuantConfig } from '../core/graph';
import { CostConstantsError, CostError } from '../core/cost';
import { loadModel, ModelError } from '../core/model';
import {
  buildSpace,
  designHash,
  makeEvaluator,
  parseSpaceSpec,
  referenceFromBaselines,
  runSearch,
  SearchError,
  makeCostMetrics,
  sensitivityTable,
  SpaceError,
  summarise,
  uniformGenomes,
  violation,
  DEFAULT_SPACE_SPEC,
  type ConstraintSpec,
  type Evaluate,
  type Genome,
  type Metrics,
  type SearchSpace,
  type SpaceSpec,
  type StrategySpec,
} from '../core/search';
import { folderSource } from './eval';
import { loadNodeKernels } from './kernels';
import { calibrate, calibrationIds, gptqPoints, parseRounding, ROUNDING_HELP, ROUNDING_OPTS } from './rounding';

/** A bad argument or input: one line on stderr, exit 2. */
export class SearchInputError extends Error {
  override readonly name = 'SearchInputError';
}

/**
 * Objective and constraint names on the command line (snake_case, like `cost --json`) → the
 * evaluator's metric and its direction. Maximised metrics are negated inside the search only;
 * results.json reports every value in its own units and sign.
 */
export const METRICS: Readonly<Record<string, { readonly metric: string; readonly direction: 'min' | 'max'; readonly kind: 'accuracy' | 'cost'; readonly what: string }>> = {
  perplexity: { metric: 'perplexity', direction: 'min', kind: 'accuracy', what: 'exp(mean NLL) on the evaluation tokens' },
  mean_nll: { metric: 'meanNll', direction: 'min', kind: 'accuracy', what: 'mean negative log-likelihood (nats)' },
  kl: { metric: 'kl', direction: 'min', kind: 'accuracy', what: 'KL to the fp32 model (nats/token)' },
  accuracy: { metric: 'accuracy', direction: 'max', kind: 'accuracy', what: 'next-token top-1 accuracy' },
  top1_agreement: { metric: 'top1Agreement', direction: 'max', kind: 'accuracy', what: 'top-1 agreement with fp32' },
  delta_perplexity_pct: { metric: 'deltaPerplexityPct', direction: 'min', kind: 'accuracy', what: '100·(ppl/ppl_fp32 − 1) on the same tokens' },
  delta_accuracy: { metric: 'deltaAccuracy', direction: 'min', kind: 'accuracy', what: 'acc_fp32 − acc' },
  energy_pj: { metric: 'energyPj', direction: 'min', kind: 'cost', what: 'energy per inference (pJ)' },
  area_um2: { metric: 'areaUm2', direction: 'min', kind: 'cost', what: 'ASIC area (µm²)' },
  luts: { metric: 'luts', direction: 'min', kind: 'cost', what: 'FPGA LUTs' },
  memory_bits: { metric: 'memoryBits', direction: 'min', kind: 'cost', what: 'weights + activations + metadata bits' },
  avg_bits: { metric: 'avgBits', direction: 'min', kind: 'cost', what: 'average bits per element (incl. shared exponents)' },
  cycles: { metric: 'cycles', direction: 'min', kind: 'cost', what: 'pipeline initiation interval (cycles)' },
  throughput: { metric: 'throughput', direction: 'max', kind: 'cost', what: 'tokens/s at the ASIC clock' },
  fpga_throughput: { metric: 'fpgaThroughput', direction: 'max', kind: 'cost', what: 'tokens/s at the FPGA clock' },
};
const NAME_OF = new Map(Object.entries(METRICS).map(([name, m]) => [m.metric, name]));

/** Evaluation tokens of a search trial by default: 4 windows of the default model's 256, ≈ 0.4 s per trial with the WASM kernels on one core. */
export const DEFAULT_SEARCH_TOKENS = 1024;
const STRATEGIES = ['nsga2', 'tpe', 'random', 'greedy'] as const;

const COMMON_OPTS = {
  model: { type: 'string' },
  space: { type: 'string' },
  objectives: { type: 'string' },
  constraint: { type: 'string', multiple: true },
  tokens: { type: 'string' },
  window: { type: 'string' },
  text: { type: 'string' },
  mode: { type: 'string' },
  'cost-tokens': { type: 'string' },
  kernels: { type: 'string' },
  reference: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  ...ROUNDING_OPTS,
} as const;

/** parseArgs options of `search`. */
export const SEARCH_OPTS = {
  ...COMMON_OPTS,
  strategy: { type: 'string' },
  trials: { type: 'string' },
  batch: { type: 'string' },
  population: { type: 'string' },
  'sensitivity-tokens': { type: 'string' },
  plain: { type: 'boolean' },
} as const;

/** parseArgs options of `objective`. */
export const OBJECTIVE_OPTS = { ...COMMON_OPTS, label: { type: 'string' } } as const;

/** Words of `text` in lines of at most `width` characters, each indented by `indent` spaces. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && indent + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

export const SEARCH_HELP = `  mx-studio search    --model DIR [--space SPACE.json] [--objectives perplexity,energy_pj]
                      [--strategy nsga2|tpe|random|greedy] [--trials N] [--seed S] [--out results.json]
                      [--constraint NAME<=X ...] [--tokens N] [--window N] [--text FILE] [--mode fake|integer]
                      [--cost-tokens T] [--reference R1,R2] [--batch B] [--population P]
                      [--sensitivity-tokens N] [--plain] [--kernels DIR|off]
                      [--rounding nearest|gptq [--calib-tokens N] [--calib-text FILE]]
  mx-studio objective --model DIR [same problem flags] [--out results.json] [--label NAME]

search: mixed-precision search of the model's quant-point formats (src/core/search), every trial
scored by the emulator (accuracy) and the cost model (hardware), for a Pareto front.
  --space SPACE.json    {"version": 1, "tie": "block"|"point"|"opType", "menus": [{"match": glob,
                        "choices": [spec, …]}]} (choices from highest to lowest precision). Default:
                        MASE's space — every point fp32 or MXInt m = 8…2 (block 32, 8-bit shared
                        exponent), tied across the decoder blocks.
  --objectives LIST     Comma-separated (default perplexity,energy_pj), from:
${wrap(Object.keys(METRICS).join(', '), 24, 100)}
                        All are minimised except accuracy, top1_agreement, throughput and
                        fpga_throughput (maximised).
  --constraint C        A budget NAME<=X or NAME>=X (repeatable), e.g. delta_perplexity_pct<=1.
                        Infeasible trials rank after feasible ones and are left off the front.
  --strategy S          nsga2 (default), tpe, random or greedy (greedy walks the menus down by the
                        emulator's per-point sensitivity; it may stop before --trials).
  --trials N            Trials (genomes asked; default 200). --seed S (default 0) fixes the run.
  --tokens N            Evaluation tokens per trial (default ${DEFAULT_SEARCH_TOKENS}: the first N of the text, in
                        windows of --window, default the model's context). --mode fake (default) or integer.
  --cost-tokens T       Sequence length the cost model prices (default the model's context).
  --reference R1,R2     Hypervolume reference point in the objectives' units. Default: per objective
                        the worst of the quantized uniform baselines (every gene at menu choice k,
                        k ≥ 1) plus 10 % of their range.
  --batch B             Genomes per round (default 8; greedy 1). --population P: NSGA-II population (16).
  --sensitivity-tokens N  greedy: tokens of the sensitivity pass (default 256).
  --plain               The strategies as published, without the studio's knowledge of the space:
                        by default nsga2's first population and tpe's startup begin with the uniform
                        baselines, half of nsga2's mutations move one menu step, and greedy starts at
                        the first all-quantized uniform design, stepping by sensitivity per cost saved.
  --out FILE            results.json: trials (id, genome, config, objectives, metrics, feasible),
                        front (ids), hypervolume {value, reference_point, history}, baselines, and a
                        "timing" section (the only part that differs between runs with the same seed).
${ROUNDING_HELP}
                        gptq: calibrated once before the search (on the first N tokens of the search
                        text, or --calib-text); every trial, baseline and sensitivity uses GPTQ weights.
objective: the same problem as JSON lines: prints a header {"type":"header", objectives, genes,
  reference_point, baselines, fidelity}, then answers each stdin line {"genome": [i, …]} |
  {"params": {pattern: spec}} | {"config": QuantConfig} with {"type":"result", id, values,
  objectives, feasible, violation, metrics}. At end of input writes --out like search.
`;

type Values = Record<string, string | boolean | string[] | undefined>;

function str(v: Values, key: string): string | undefined {
  const s = v[key];
  return typeof s === 'string' ? s : undefined;
}

function positiveInt(key: string, s: string, min = 1): number {
  if (!/^\d+$/.test(s.trim())) throw new SearchInputError(`--${key} must be a positive integer, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (n < min) throw new SearchInputError(`--${key} must be ≥ ${min}, got ${n}`);
  return n;
}

export interface ObjectiveDef {
  readonly name: string;
  readonly metric: string;
  readonly direction: 'min' | 'max';
  /** accuracy (emulator) or cost (cost model) */
  readonly kind: 'accuracy' | 'cost';
}

/** `--objectives a,b`: known names, no repeats. */
export function parseObjectives(s: string | undefined): ObjectiveDef[] {
  const names = (s ?? 'perplexity,energy_pj')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (!names.length) throw new SearchInputError('--objectives is empty (e.g. perplexity,energy_pj)');
  const seen = new Set<string>();
  return names.map((n) => {
    const m = METRICS[n];
    if (!m) throw new SearchInputError(`--objectives: unknown objective ${JSON.stringify(n)} (known: ${Object.keys(METRICS).join(', ')})`);
    if (seen.has(n)) throw new SearchInputError(`--objectives: ${n} is listed twice`);
    seen.add(n);
    return { name: n, metric: m.metric, direction: m.direction, kind: m.kind };
  });
}

/** `--constraint NAME<=X` / `NAME>=X`. */
export function parseConstraint(s: string): ConstraintSpec & { name: string } {
  const m = /^\s*([a-z0-9_]+)\s*(<=|>=)\s*(-?[0-9.]+(?:e[-+]?\d+)?)\s*$/i.exec(s);
  if (!m) throw new SearchInputError(`--constraint must be NAME<=X or NAME>=X (e.g. delta_perplexity_pct<=1), got ${JSON.stringify(s)}`);
  const def = METRICS[m[1]];
  if (!def) throw new SearchInputError(`--constraint: unknown metric ${JSON.stringify(m[1])} (known: ${Object.keys(METRICS).join(', ')})`);
  const x = Number(m[3]);
  if (!Number.isFinite(x)) throw new SearchInputError(`--constraint: ${JSON.stringify(m[3])} is not a number`);
  return m[2] === '<=' ? { name: m[1], metric: def.metric, max: x } : { name: m[1], metric: def.metric, min: x };
}

function readSpace(path: string | undefined): SpaceSpec {
  if (path === undefined) return DEFAULT_SPACE_SPEC;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SearchInputError(`--space: cannot read ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SearchInputError(`--space: ${path} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return parseSpaceSpec(json);
  } catch (e) {
    if (e instanceof SpaceError) throw new SearchInputError(`--space ${path}: ${e.message}`);
    throw e;
  }
}

/** Metrics with snake_case names (the CLI's), in the METRICS table's order. */
function metricsJson(m: Metrics): Record<string, number | null> {
  const o: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(m)) o[NAME_OF.get(k) ?? k] = Number.isFinite(x) ? x : null;
  return o;
}

/** Everything a search run or an objective session needs, built once. */
export interface Problem {
  readonly modelArg: string;
  readonly space: SearchSpace;
  readonly objectives: readonly ObjectiveDef[];
  readonly constraints: readonly (ConstraintSpec & { name: string })[];
  readonly evaluate: Evaluate;
  readonly emulator: Emulator;
  readonly tokens: readonly number[];
  readonly fidelity: { mode: 'fake' | 'integer'; text: string; tokens: number; window: number; predictions: number; cost_tokens: number; kernels: string; rounding: Record<string, unknown> };
  readonly kernelsNote: string;
  /** Uniform baselines U_k (every gene at choice k) with their metrics. */
  readonly baselines: { name: string; genome: Genome; config: QuantConfig; metrics: Metrics }[];
  /** Hypervolume reference, minimised form, and how it was chosen. */
  readonly reference: { point: number[]; rule: string } | null;
  readonly timing: { load_ms: number; baselines_ms: number };
  /** Minimised objective vector of metrics. */
  minimised(m: Metrics): number[];
}

/** Parse the problem flags shared by search and objective, load the model, build the evaluator, score the baselines. */
export async function prepareProblem(v: Values): Promise<Problem> {
  const modelArg = str(v, 'model');
  if (!modelArg) throw new SearchInputError('missing --model DIR (a Hugging Face model folder)');
  const objectives = parseObjectives(str(v, 'objectives'));
  const constraints = ((v.constraint as string[] | undefined) ?? []).map(parseConstraint);
  const spec = readSpace(str(v, 'space'));
  const modeText = str(v, 'mode') ?? 'fake';
  if (modeText !== 'fake' && modeText !== 'integer') throw new SearchInputError(`--mode must be fake or integer, got ${JSON.stringify(modeText)}`);
  const nTokens = str(v, 'tokens') !== undefined ? positiveInt('tokens', str(v, 'tokens')!, 2) : DEFAULT_SEARCH_TOKENS;
  const windowArg = str(v, 'window') !== undefined ? positiveInt('window', str(v, 'window')!, 2) : undefined;
  const costTokensArg = str(v, 'cost-tokens') !== undefined ? positiveInt('cost-tokens', str(v, 'cost-tokens')!) : undefined;
  const rounding = parseRounding(v, (m) => new SearchInputError(m));
  let refArg: number[] | undefined;
  if (str(v, 'reference') !== undefined) {
    refArg = str(v, 'reference')!.split(',').map((x) => Number(x.trim()));
    if (refArg.length !== objectives.length || refArg.some((x) => !Number.isFinite(x))) {
      throw new SearchInputError(`--reference needs ${objectives.length} numbers (one per objective: ${objectives.map((o) => o.name).join(', ')}), got ${JSON.stringify(str(v, 'reference'))}`);
    }
  }

  let isDir = false;
  try {
    isDir = statSync(modelArg).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new SearchInputError(`--model: ${modelArg} is not a folder`);
  const textArg = str(v, 'text');
  const textPath = textArg ?? join(modelArg, 'test.txt');
  if (textArg === undefined && !existsSync(textPath)) throw new SearchInputError(`no text to evaluate: ${modelArg} has no test.txt; pass --text FILE`);
  let text: string;
  try {
    text = readFileSync(textPath, 'utf8');
  } catch {
    throw new SearchInputError(`--text: cannot read ${textPath}`);
  }

  const t0 = performance.now();
  const model = await loadModel(folderSource(modelArg));
  const { kernels, note, tag } = await loadNodeKernels(str(v, 'kernels'));
  const tokens = model.tokenizer.encode(text);
  if (nTokens > tokens.length) throw new SearchInputError(`--tokens ${nTokens} exceeds the ${tokens.length} tokens of ${textArg ?? 'test.txt'}`);
  const window = windowArg ?? model.config.maxPositions;
  if (window > model.config.maxPositions) throw new SearchInputError(`--window ${window} exceeds the model's context of ${model.config.maxPositions} tokens`);
  const costTokens = costTokensArg ?? model.config.maxPositions;
  let emulator = new Emulator(model, kernels);
  let space: SearchSpace;
  try {
    space = buildSpace(emulator.graph, spec);
  } catch (e) {
    if (e instanceof SpaceError) throw new SearchInputError(`--space ${str(v, 'space') ?? '(default)'}: ${e.message}`);
    throw e;
  }
  let roundingJson: Record<string, unknown> = { method: 'nearest' };
  if (rounding.method === 'gptq') {
    const graph = emulator.graph;
    if (!uniformGenomes(space).some((g) => gptqPoints(graph, space.toDesign(g).config).length > 0)) {
      throw new SearchInputError('--rounding gptq: no linear weight of this search space has an MXInt choice (GPTQ rounds MXInt weights)');
    }
    // calibration on the search text (or --calib-text); every trial, the sensitivities and the baselines then see GPTQ weights
    const ci = calibrationIds(rounding, (t) => model.tokenizer.encode(t), tokens, textArg ?? 'test.txt', (m) => new SearchInputError(m));
    const cal = calibrate(emulator, ci.ids, window, rounding);
    const rounder = cal.rounder;
    emulator = new Emulator(model, kernels, { weightSource: (p, s) => rounder.rounded(p, s) });
    roundingJson = { method: 'gptq', calibration_tokens: cal.tokens, calibration_text: ci.name, calibration_ms: Math.round(cal.ms) };
  }
  const load_ms = performance.now() - t0;

  const evaluate = makeEvaluator({ emulator, tokens, mode: modeText, fullTokens: nTokens, window, cost: { tokens: costTokens } });
  const minimised = (m: Metrics) =>
    objectives.map((o) => {
      const x = m[o.metric];
      const y = o.direction === 'max' ? -x : x;
      return Number.isNaN(y) ? Infinity : y;
    });

  // the uniform baselines: the reference point's source, and a yardstick printed with the front
  const t1 = performance.now();
  const baselines: Problem['baselines'] = [];
  for (const genome of uniformGenomes(space)) {
    const d = space.toDesign(genome);
    const metrics = await evaluate(d.config, 'full', d.parallelism);
    const specs = [...new Set(genome.map((c, i) => space.genes[i].choices[c]))];
    baselines.push({ name: `uniform ${specs.length === 1 ? specs[0] : `choice ${genome[0]}`}`, genome, config: d.config, metrics });
  }
  const baselines_ms = performance.now() - t1;
  let reference: Problem['reference'] = null;
  if (objectives.length <= 3) {
    reference = refArg
      ? { point: refArg.map((r, i) => (objectives[i].direction === 'max' ? -r : r)), rule: '--reference' }
      : {
          point: referenceFromBaselines(baselines.map((b) => minimised(b.metrics))),
          rule: 'per objective: worst of the quantized uniform baselines (every gene at menu choice k ≥ 1) + 10 % of their range',
        };
  }
  const nWin = Math.ceil(nTokens / window);
  const lastLen = nTokens - (nWin - 1) * window;
  const predictions = (nWin - 1) * (window - 1) + (lastLen >= 2 ? lastLen - 1 : 0);
  return {
    modelArg,
    space,
    objectives,
    constraints,
    evaluate,
    emulator,
    tokens,
    fidelity: { mode: modeText, text: textArg ?? 'test.txt', tokens: nTokens, window, predictions, cost_tokens: costTokens, kernels: tag, rounding: roundingJson },
    kernelsNote: note,
    baselines,
    reference,
    timing: { load_ms, baselines_ms },
    minimised,
  };
}

/** One trial as results.json holds it. */
export interface TrialRecord {
  readonly id: number;
  readonly genome: readonly number[];
  readonly config: QuantConfig;
  readonly objectives: Record<string, number | null>;
  readonly metrics: Record<string, number | null>;
  readonly feasible: boolean;
  readonly violation: number;
  /** An earlier trial had the same design: its evaluation was reused. */
  readonly cached: boolean;
}

function trialRecord(p: Problem, id: number, genome: readonly number[], config: QuantConfig, m: Metrics, cached: boolean): TrialRecord {
  const vio = violation(m, p.constraints);
  return {
    id,
    genome: [...genome],
    config,
    objectives: Object.fromEntries(p.objectives.map((o) => [o.name, Number.isFinite(m[o.metric]) ? m[o.metric] : null])),
    metrics: metricsJson(m),
    feasible: vio === 0,
    violation: vio,
    cached,
  };
}

const own = (p: Problem, ref: readonly number[]) => Object.fromEntries(p.objectives.map((o, i) => [o.name, o.direction === 'max' ? -ref[i] : ref[i]]));

/** The results.json object. Everything but `timing` is a function of the flags, the seed and the model. */
export function resultsJson(p: Problem, strategy: { name: string; options?: object }, seed: number, requested: number, trials: readonly TrialRecord[], timing: Record<string, unknown>) {
  const vecs = trials.map((t) => (t.feasible ? p.objectives.map((o) => (t.objectives[o.name] === null ? Infinity : o.direction === 'max' ? -t.objectives[o.name]! : t.objectives[o.name]!)) : null));
  const s = summarise(vecs, p.reference?.point ?? null);
  return {
    format: 'mx-studio-search',
    version: 1,
    model: p.modelArg,
    strategy: strategy.name,
    strategy_options: strategy.options ?? {},
    seed,
    trials_requested: requested,
    objectives: p.objectives.map((o) => ({ name: o.name, direction: o.direction })),
    constraints: p.constraints.map((c) => ({ name: c.name, ...(c.max !== undefined ? { max: c.max } : {}), ...(c.min !== undefined ? { min: c.min } : {}) })),
    fidelity: p.fidelity,
    space: { tie: p.space.spec.tie, size: p.space.size, genes: p.space.genes.map((g) => ({ pattern: g.pattern, choices: g.choices })) },
    baselines: p.baselines.map((b) => ({ name: b.name, genome: b.genome, config: b.config, objectives: Object.fromEntries(p.objectives.map((o) => [o.name, b.metrics[o.metric]])), metrics: metricsJson(b.metrics) })),
    trials,
    front: s.front.map((i) => trials[i].id),
    hypervolume: p.reference && s.hypervolume ? { value: s.hypervolume.value, reference_point: own(p, p.reference.point), rule: p.reference.rule, history: s.hypervolume.history } : null,
    evaluations: trials.filter((t) => !t.cached).length,
    timing,
  };
}

export type ResultsJson = ReturnType<typeof resultsJson>;

/** CPU time of this process since `from` (user + system, all threads), in ms. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function writeOut(path: string, obj: unknown): void {
  try {
    writeFileSync(path, JSON.stringify(obj, null, 1) + '\n');
  } catch (e) {
    throw new SearchInputError(`--out: cannot write ${path}: ${(e as Error).message}`);
  }
}

const fmt = (x: number | null) => (x === null ? 'n/a' : Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(4) : x.toPrecision(6));

function summaryLines(r: ResultsJson): string[] {
  const lines: string[] = [];
  const names = r.objectives.map((o) => o.name);
  const extra = names.includes('avg_bits') ? [] : ['avg_bits'];
  const cols = [...names, ...extra];
  if (r.hypervolume) {
    const h = r.hypervolume.history;
    const at = [50, 100, 200].filter((n) => n <= h.length).map((n) => `${n}: ${fmt(h[n - 1])}`);
    lines.push(`hypervolume ${fmt(r.hypervolume.value)}${at.length ? ` (after ${at.join(', ')})` : ''}; reference ${names.map((n) => `${n} ${fmt(r.hypervolume!.reference_point[n])}`).join(', ')}`);
  }
  lines.push(`front      ${r.front.length} non-dominated of ${r.trials.length} trials (${r.evaluations} distinct evaluations)`);
  const w = cols.map((c) => Math.max(c.length, 11));
  lines.push(`           ${'id'.padStart(5)}  ${cols.map((c, i) => c.padStart(w[i])).join('  ')}  config`);
  for (const id of r.front) {
    const t = r.trials[id];
    const vals = cols.map((c, i) => fmt(t.objectives[c] ?? t.metrics[c] ?? null).padStart(w[i]));
    lines.push(`           ${String(id).padStart(5)}  ${vals.join('  ')}  ${t.config.rules.map(([p, s]) => `${p}=${s}`).join(' ')}`);
  }
  return lines;
}

/**
 * The studio's strategy for a problem, with what the studio knows beyond a generic optimiser
 * (unless `plain`): menus are ordered from highest to lowest precision and the uniform designs are
 * the natural anchors of the front.
 *  - nsga2: the first population starts with the uniform baselines U_0…U_{K−1}; half the mutations
 *    move one menu step.
 *  - tpe: the startup trials start with the uniform baselines.
 *  - greedy: starts at the most precise uniform design without fp32 (U_1 in the default space;
 *    fp32 → MXInt8 costs ~nothing in accuracy), and takes the step with the least sensitivity per
 *    unit of the first cost objective saved (cost model only).
 *  - random: always plain (it is the baseline).
 */
export async function studioStrategy(
  p: Problem,
  name: string,
  o: { plain?: boolean; population?: number; sensTokens?: number },
): Promise<{ strategy: StrategySpec; options: Record<string, unknown>; sensitivity_ms: number }> {
  const U = uniformGenomes(p.space);
  const options: Record<string, unknown> = {};
  if (o.plain) options.plain = true;
  if (name === 'nsga2') {
    const opts = { ...(o.population !== undefined ? { population: o.population } : {}), ...(o.plain ? {} : { initial: U, stepMutation: 0.5 }) };
    if (o.population !== undefined) options.population = o.population;
    if (!o.plain) Object.assign(options, { initial: 'uniform baselines', step_mutation: 0.5 });
    return { strategy: { name: 'nsga2', options: opts }, options, sensitivity_ms: 0 };
  }
  if (name === 'tpe') {
    if (!o.plain) options.initial = 'uniform baselines';
    return { strategy: { name: 'tpe', options: o.plain ? {} : { initial: U } }, options, sensitivity_ms: 0 };
  }
  if (name === 'random') return { strategy: 'random', options, sensitivity_ms: 0 };
  const sensTokens = o.sensTokens ?? 256;
  const t = performance.now();
  const sensitivity = await sensitivityTable(p.space, p.emulator, p.tokens, { mode: p.fidelity.mode, window: p.fidelity.window, maxTokens: sensTokens });
  const sensitivity_ms = performance.now() - t;
  options.sensitivity_tokens = sensTokens;
  if (o.plain) return { strategy: { name: 'greedy', options: { sensitivity } }, options, sensitivity_ms };
  const start = U.find((g) => g.every((c, i) => p.space.genes[i].choices[c] !== 'fp32')) ?? U[0];
  const costObj = p.objectives.find((ob) => ob.kind === 'cost');
  let gain: ((gene: number, choice: number) => number) | undefined;
  if (costObj) {
    const costOf = makeCostMetrics(p.emulator.graph, { tokens: p.fidelity.cost_tokens });
    const sign = costObj.direction === 'max' ? -1 : 1;
    const at = (gene: number, choice: number) => {
      const g = [...start];
      g[gene] = choice;
      const d = p.space.toDesign(g);
      return sign * costOf(d.config, d.parallelism)[costObj.metric];
    };
    const table = p.space.genes.map((gene, i) => gene.choices.map((_, c) => (c + 1 < gene.choices.length ? at(i, c) - at(i, c + 1) : 0)));
    gain = (gene, choice) => table[gene][choice];
    options.gain = costObj.name;
  }
  options.start = start;
  return { strategy: { name: 'greedy', options: { sensitivity, start, gain } }, options, sensitivity_ms };
}

/** Run `search`. */
async function runSearchCmd(v: Values, out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const strategyName = str(v, 'strategy') ?? 'nsga2';
  if (!(STRATEGIES as readonly string[]).includes(strategyName)) throw new SearchInputError(`--strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategyName)}`);
  const trials = str(v, 'trials') !== undefined ? positiveInt('trials', str(v, 'trials')!) : 200;
  const seed = str(v, 'seed') !== undefined ? positiveInt('seed', str(v, 'seed')!, 0) : 0;
  // greedy walks one chain: a step is only worth asking once the one before it is known to be feasible
  const batch = str(v, 'batch') !== undefined ? positiveInt('batch', str(v, 'batch')!) : strategyName === 'greedy' ? 1 : 8;
  const population = str(v, 'population') !== undefined ? positiveInt('population', str(v, 'population')!, 2) : undefined;
  if (population !== undefined && strategyName !== 'nsga2') throw new SearchInputError('--population applies to --strategy nsga2 only');
  const sensTokensArg = str(v, 'sensitivity-tokens');
  if (sensTokensArg !== undefined && strategyName !== 'greedy') throw new SearchInputError('--sensitivity-tokens applies to --strategy greedy only');
  const sensTokens = sensTokensArg !== undefined ? positiveInt('sensitivity-tokens', sensTokensArg, 2) : 256;

  const tStart = performance.now();
  const cpu0 = process.cpuUsage();
  const p = await prepareProblem(v);
  if (sensTokens > p.tokens.length) throw new SearchInputError(`--sensitivity-tokens ${sensTokens} exceeds the ${p.tokens.length} tokens of the text`);
  const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;

  const { strategy, options, sensitivity_ms } = await studioStrategy(p, strategyName, { plain: v.plain === true, population, sensTokens });

  // time every evaluation (by design hash) so each trial gets its own wall time
  const evalMs = new Map<string, number>();
  const timed: Evaluate = async (config, fidelity, parallelism) => {
    const t = performance.now();
    const m = await p.evaluate(config, fidelity, parallelism);
    evalMs.set(designHash({ config, parallelism }), performance.now() - t);
    return m;
  };
  const tSearch = performance.now();
  const r = await runSearch({
    space: p.space,
    objectives: p.objectives.map((o) => ({ metric: o.metric, direction: o.direction })),
    constraints: p.constraints,
    strategy,
    budget: trials,
    seed,
    batch,
    evaluate: timed,
    reference: p.reference ? p.reference.point.map((x, i) => (p.objectives[i].direction === 'max' ? -x : x)) : undefined,
    onProgress: tty ? (ts) => process.stderr.write(`\r  trial ${ts.length}/${trials}`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const search_ms = performance.now() - tSearch;

  const records = r.trials.map((t) => trialRecord(p, t.id, t.genome, t.config, t.metrics, t.cached));
  const timing = {
    note: 'wall-clock times: the only part of this file that differs between runs with the same flags and seed',
    load_ms: p.timing.load_ms,
    baselines_ms: p.timing.baselines_ms,
    sensitivity_ms,
    search_ms,
    total_ms: performance.now() - tStart,
    cpu_ms: cpuMs(cpu0),
    trial_ms: r.trials.map((t) => (t.cached ? 0 : (evalMs.get(t.hash) ?? 0))),
  };
  const res = resultsJson(p, { name: strategyName, options }, seed, trials, records, timing);
  // the driver's own front/hypervolume and the file's must agree (one ranking function, one reference)
  if (res.hypervolume && r.hypervolume && Math.abs(res.hypervolume.value - r.hypervolume.value) > 1e-9 * Math.max(1, Math.abs(r.hypervolume.value))) {
    throw new Error(`internal: hypervolume ${res.hypervolume.value} ≠ driver's ${r.hypervolume.value}`);
  }
  const outPath = str(v, 'out');
  if (outPath) writeOut(outPath, res);

  out(`search     ${strategyName}, seed ${seed}: ${records.length} trials on ${p.modelArg} in ${(search_ms / 1000).toFixed(1)} s (+ load ${(p.timing.load_ms / 1000).toFixed(1)} s, baselines ${(p.timing.baselines_ms / 1000).toFixed(1)} s${sensitivity_ms ? `, sensitivity ${(sensitivity_ms / 1000).toFixed(1)} s` : ''})`);
  out(`fidelity   ${p.fidelity.mode}, first ${p.fidelity.tokens} tokens of ${p.fidelity.text} in windows of ${p.fidelity.window} (${p.fidelity.predictions} predictions); cost at T = ${p.fidelity.cost_tokens}; ${p.kernelsNote}`);
  out(`space      ${p.space.genes.length} genes (tie ${p.space.spec.tie}), ${p.space.size.toExponential(3)} designs`);
  for (const l of summaryLines(res)) out(l);
  if (outPath) out(`wrote      ${outPath}`);
  void err;
}

/** The `objective` session: JSON lines in, JSON lines out. */
async function runObjectiveCmd(v: Values, out: (s: string) => void, input: AsyncIterable<string>): Promise<void> {
  const seed = str(v, 'seed') !== undefined ? positiveInt('seed', str(v, 'seed')!, 0) : 0;
  const label = str(v, 'label') ?? 'external';
  const tStart = performance.now();
  const cpu0 = process.cpuUsage();
  const p = await prepareProblem(v);
  out(
    JSON.stringify({
      type: 'header',
      version: 1,
      objectives: p.objectives.map((o) => ({ name: o.name, direction: o.direction })),
      constraints: p.constraints.map((c) => ({ name: c.name, max: c.max, min: c.min })),
      genes: p.space.genes.map((g) => ({ pattern: g.pattern, choices: g.choices })),
      reference_point: p.reference ? own(p, p.reference.point) : null,
      fidelity: p.fidelity,
      baselines: p.baselines.map((b) => ({ name: b.name, genome: b.genome, objectives: Object.fromEntries(p.objectives.map((o) => [o.name, b.metrics[o.metric]])) })),
    }),
  );
  const records: TrialRecord[] = [];
  const trialMs: number[] = [];
  const seen = new Set<string>();
  let line = 0;
  for await (const raw of input) {
    line++;
    const text = raw.trim();
    if (text === '') continue;
    const t0 = performance.now();
    let genome: number[];
    let tag: unknown;
    try {
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        throw new SearchInputError('not JSON');
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new SearchInputError('expected an object {"genome": […]} | {"params": {…}} | {"config": {…}}');
      const o = msg as Record<string, unknown>;
      tag = o.tag;
      if (Array.isArray(o.genome)) genome = o.genome as number[];
      else if (typeof o.params === 'object' && o.params !== null) {
        const params = o.params as Record<string, unknown>;
        genome = p.space.genes.map((g) => {
          const c = params[g.pattern];
          const k = typeof c === 'number' ? c : g.choices.indexOf(String(c));
          if (k < 0 || c === undefined) throw new SearchInputError(`params[${JSON.stringify(g.pattern)}]: ${c === undefined ? 'missing' : `${JSON.stringify(c)} is not on the menu (${g.choices.join(', ')})`}`);
          return k;
        });
      } else if (typeof o.config === 'object' && o.config !== null) genome = p.space.fromConfig(parseConfig(o.config));
      else throw new SearchInputError('expected "genome", "params" or "config"');
      const d = p.space.toDesign(genome); // validates the genome
      const hash = designHash(d);
      const m = await p.evaluate(d.config, 'full', d.parallelism);
      const rec = trialRecord(p, records.length, genome, d.config, m, seen.has(hash));
      trialMs.push(rec.cached ? 0 : performance.now() - t0);
      seen.add(hash);
      records.push(rec);
      out(JSON.stringify({ type: 'result', id: rec.id, ...(tag !== undefined ? { tag } : {}), values: p.objectives.map((ob) => rec.objectives[ob.name]), objectives: rec.objectives, feasible: rec.feasible, violation: rec.violation, metrics: rec.metrics, genome: rec.genome }));
    } catch (e) {
      if (e instanceof SearchInputError || e instanceof SpaceError || e instanceof ConfigError || e instanceof FormatError) {
        out(JSON.stringify({ type: 'error', line, ...(tag !== undefined ? { tag } : {}), error: e.message.split('\n')[0] }));
        continue;
      }
      throw e;
    }
  }
  const outPath = str(v, 'out');
  if (outPath) {
    const timing = {
      note: 'wall-clock times: the only part of this file that differs between runs with the same inputs',
      load_ms: p.timing.load_ms,
      baselines_ms: p.timing.baselines_ms,
      total_ms: performance.now() - tStart,
      cpu_ms: cpuMs(cpu0),
      trial_ms: trialMs,
    };
    writeOut(outPath, resultsJson(p, { name: label }, seed, records.length, records, timing));
  }
}

const INPUT_ERRORS = [SearchInputError, ModelError, ConfigError, EmulatorError, FormatError, SpaceError, SearchError, CostError, CostConstantsError];

function stdinLines(): AsyncIterable<string> {
  return createInterface({ input: process.stdin, crlfDelay: Infinity });
}

/** `search`: returns the exit code (0, or 2 with one line on stderr for bad input). */
export async function cmdSearch(v: Values, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    await runSearchCmd(v, io.out, io.err);
    return 0;
  } catch (e) {
    if (INPUT_ERRORS.some((c) => e instanceof c)) {
      io.err(`mx-studio search: error: ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
    throw e;
  }
}

/** `objective`: reads `io.input` (default stdin) to its end; exit code 0, or 2 for bad flags (per-line errors are answered on stdout). */
export async function cmdObjective(v: Values, io: { out: (s: string) => void; err: (s: string) => void; input?: AsyncIterable<string> }): Promise<number> {
  try {
    await runObjectiveCmd(v, io.out, io.input ?? stdinLines());
    return 0;
  } catch (e) {
    if (INPUT_ERRORS.some((c) => e instanceof c)) {
      io.err(`mx-studio objective: error: ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
    throw e;
  }
}
