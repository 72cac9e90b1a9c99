// The MASE paper's headline on the studio's default model (sotu-llama-1m): a mixed-precision MXInt
// config at a low average bit width within 1 % perplexity of fp32, next to uniform 8-bit fixed point,
// uniform MXINT8 and uniform MXFP4 — perplexity, Δppl %, average bits, energy, area and LUTs.
//
// How the mixed config is found (nothing hand-picked): `mx-studio search`'s greedy strategy
// (studioStrategy: start at MXInt8 everywhere, lower one gene one menu step at a time, the step with
// the least emulator sensitivity per average bit saved first; a step that breaks the budget is
// undone and that gene frozen) over MASE's default space (every quant point: fp32 or MXInt m = 8…2,
// block 32, 8-bit shared exponent; tied across blocks), objectives perplexity + avg_bits, constraint
// Δppl ≤ 1 % on the search tokens (the first 16,384 of test.txt; sensitivities on the first 1024).
// The feasible trials are then re-evaluated, lowest average bits first, on held-out tokens (the next
// 16,384); the first still within 1 % there is the headline, and every row of the table is measured
// on those held-out tokens. Why so many tokens: a search picks the steps that look cheapest on its
// tokens, so its Δppl reads low — with a 1024- or 4096-token search, configs at 0.8–0.95 % came out
// at 1.2–2 % on 16,384 tokens (uniform designs agree within ~0.1 point from 4096 tokens up).
// Accuracy in fake mode (integer mode is being reworked). Costs from the cost model at T = 256,
// 45 nm, weights on chip.
// Then the same headline in MASE's own metric with GPTQ weights (maseHeadline below).
// Env: PAPER_BENCH_SEARCH_TOKENS (16384), PAPER_BENCH_SENSITIVITY_TOKENS (1024), PAPER_BENCH_VALIDATE_TOKENS (16384),
// PAPER_BENCH_CALIBRATION_TOKENS (8192), PAPER_BENCH_PART=mase (only the MASE-metric part),
// PAPER_BENCH_HEAD=searched|fixed|both (the LM-head protocols of the MASE-metric part; default both).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAPER_COMPARISON } from '../src/core/cost';
import { Emulator } from '../src/core/emulate';
import { elementBits, formatToString, parseFormat } from '../src/core/formats';
import { resolveConfig, type Graph, type QuantConfig } from '../src/core/graph';
import { calibrationHessians, GptqRounder } from '../src/core/rounding';
import { loadNodeKernels } from '../src/cli/kernels';
import { makeEvaluator, runSearch, type Metrics } from '../src/core/search';
import { prepareProblem, studioStrategy } from '../src/cli/search';
import { machineLine } from './machine';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(root, 'public/models/sotu-llama-1m');
const MENU = ['mxint:m=8,block=32', 'mxint:m=7,block=32', 'mxint:m=6,block=32', 'mxint:m=5,block=32', 'mxint:m=4,block=32', 'mxint:m=3,block=32', 'mxint:m=2,block=32'];
const MAX_CANDIDATES = 16;

/**
 * MASE's own average-bitwidth metric (runners/hardware/average_bitwidth, mase-hardware-and-search.md
 * §8): element bits × parameters of the linear layers' weights over their parameters — activations
 * and the shared exponents not counted. The paper's "4-bit average" is in this metric; the studio's
 * avg_bits (weights + activations per inference, metadata included) is the stricter one.
 */
function maseAvgBits(graph: Graph, config: QuantConfig, decoderOnly = false): number {
  const formats = resolveConfig(graph, config).formats;
  let bits = 0;
  let n = 0;
  for (const op of graph.ops) {
    if (op.type !== 'linear' || (decoderOnly && op.layer === null)) continue;
    const p = graph.pointById.get(`${op.id}.w`)!;
    const numel = (p.shape as number[]).reduce((a, d) => a * d, 1);
    bits += elementBits(formats.get(p.id)!) * numel;
    n += numel;
  }
  return bits / n;
}

export async function run(): Promise<void> {
  if (process.env.PAPER_BENCH_PART === 'mase') {
    for (const head of headProtocols()) await maseHeadline(Number(process.env.PAPER_BENCH_SEARCH_TOKENS ?? 16384), Number(process.env.PAPER_BENCH_SENSITIVITY_TOKENS ?? 1024), Number(process.env.PAPER_BENCH_VALIDATE_TOKENS ?? 16384), head);
    console.log(`(${machineLine()})`);
    return;
  }
  const searchTokens = Number(process.env.PAPER_BENCH_SEARCH_TOKENS ?? 16384);
  const sensTokens = Number(process.env.PAPER_BENCH_SENSITIVITY_TOKENS ?? 1024);
  const validateTokens = Number(process.env.PAPER_BENCH_VALIDATE_TOKENS ?? 16384);
  // the search problem, through the CLI's own setup (the flags of `mx-studio search`; default space)
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const p = await prepareProblem({ model: MODEL, objectives: 'perplexity,avg_bits', constraint: ['delta_perplexity_pct<=1'], tokens: String(searchTokens) });
  const { strategy, options, sensitivity_ms } = await studioStrategy(p, 'greedy', { sensTokens });
  const r = await runSearch({
    space: p.space,
    objectives: p.objectives.map((o) => ({ metric: o.metric, direction: o.direction })),
    constraints: p.constraints,
    strategy,
    budget: 1000,
    seed: 0,
    batch: 1,
    evaluate: p.evaluate,
  });
  const searchS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const searchCpuS = (cpu.user + cpu.system) / 1e6;
  const feasible = r.trials.filter((t) => t.feasible).sort((a, b) => a.metrics.avgBits - b.metrics.avgBits || a.id - b.id);

  // held-out validation: the tokens after the search's, on the same emulator
  const heldOut = p.tokens.slice(searchTokens);
  if (heldOut.length < validateTokens) throw new Error(`test.txt has ${p.tokens.length} tokens: too few for ${searchTokens} search + ${validateTokens} held-out`);
  const validate = makeEvaluator({ emulator: p.emulator, tokens: heldOut, fullTokens: validateTokens, window: p.fidelity.window, cost: { tokens: p.fidelity.cost_tokens } });
  const tried: { id: number; searchPct: number; pct: number; bits: number }[] = [];
  let chosen: { config: QuantConfig; m: Metrics; id: number } | null = null;
  for (const t of feasible.slice(0, MAX_CANDIDATES)) {
    const m = await validate(t.config, 'full', {});
    tried.push({ id: t.id, searchPct: t.metrics.deltaPerplexityPct, pct: m.deltaPerplexityPct, bits: m.avgBits });
    if (m.deltaPerplexityPct <= 1) {
      chosen = { config: t.config, m, id: t.id };
      break;
    }
  }

  const rows: [string, QuantConfig][] = [
    ['fp32', { version: 1, rules: [] }],
    ['uniform fixed8 (MASE baseline: acts Q3.4, weights Q0.7)', PAPER_COMPARISON.find((c) => c.name === 'fixed8')!.config],
    ['uniform MXINT8 (OCP: E8M0 per 32, INT8)', { version: 1, rules: [['*', 'mxint8']] }],
    ['uniform MXInt m=8 (MASE: 8-bit exp. per 32)', { version: 1, rules: [['*', MENU[0]]] }],
    ['uniform MXInt m=6 (MASE)', { version: 1, rules: [['*', MENU[2]]] }],
    ['uniform MXInt m=5 (MASE)', { version: 1, rules: [['*', MENU[3]]] }],
    ['uniform MXInt m=4 (MASE)', { version: 1, rules: [['*', MENU[4]]] }],
    ['uniform MXFP4 (OCP: E8M0 per 32, E2M1)', { version: 1, rules: [['*', 'mxfp4']] }],
  ];
  const results: [string, Metrics][] = [];
  for (const [name, c] of rows) results.push([name, await validate(c, 'full', {})]);
  if (chosen) results.push([`mixed MXInt, found by greedy search (trial ${chosen.id})`, chosen.m]);
  const fixed8 = results[1][1];

  console.log(`sotu-llama-1m: accuracy in fake mode on held-out tokens ${searchTokens}…${searchTokens + validateTokens - 1} of test.txt (windows of ${p.fidelity.window}); costs from the cost model at T = ${p.fidelity.cost_tokens}, 45 nm, weights on chip`);
  console.log(`search: greedy (${JSON.stringify({ gain: options.gain, sensitivity_tokens: options.sensitivity_tokens })}) over MASE's default space (${p.space.genes.length} genes tied across blocks × fp32 | MXInt m=8…2, block 32), objectives perplexity + avg_bits, constraint Δppl ≤ 1 % on the first ${searchTokens} tokens: ${r.trials.length} trials (${feasible.length} feasible) in ${searchS.toFixed(0)} s wall, ${searchCpuS.toFixed(0)} s CPU (incl. model load, baselines and the sensitivity pass: ${(sensitivity_ms / 1000).toFixed(0)} s wall)`);
  console.log(`validation on the held-out tokens (lowest avg bits first; Δppl search → held-out): ${tried.map((x) => `trial ${x.id}: ${x.bits.toFixed(3)} b, Δppl ${x.searchPct.toFixed(2)} % → ${x.pct.toFixed(2)} %`).join('; ')}`);
  console.log('');
  console.log('| config | perplexity | Δppl vs fp32 | avg bits | energy (pJ) | vs fixed8 | area (µm²) | LUT |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, m] of results) {
    console.log(`| ${name} | ${m.perplexity.toFixed(3)} | ${m.deltaPerplexityPct >= 0 ? '+' : ''}${m.deltaPerplexityPct.toFixed(2)} % | ${m.avgBits.toFixed(2)} | ${m.energyPj.toExponential(3)} | ${(m.energyPj / fixed8.energyPj).toFixed(2)}× | ${m.areaUm2.toExponential(3)} | ${Math.round(m.luts).toLocaleString('en-US')} |`);
  }
  console.log('');
  if (chosen) {
    const bitsOf = new Map<string, number>();
    for (const [, s] of chosen.config.rules) {
      const k = formatToString(parseFormat(s)).replace(',block=32', '');
      bitsOf.set(k, (bitsOf.get(k) ?? 0) + 1);
    }
    console.log(`mixed config: ${[...bitsOf].sort().map(([k, n]) => `${n} × ${k}`).join(', ')} (over ${chosen.config.rules.length} genes); avg bits include the shared exponent (8 bits per 32 elements = 0.25 b)`);
    const m = chosen.m;
    console.log(
      `headline: ${m.avgBits.toFixed(2)} average bits at ${m.deltaPerplexityPct >= 0 ? '+' : ''}${m.deltaPerplexityPct.toFixed(2)} % perplexity vs fp32 (paper: "an average precision of 4-bits … minimal to no accuracy degradation"); vs uniform fixed8: Δppl ${(fixed8.deltaPerplexityPct - m.deltaPerplexityPct).toFixed(2)} points better, energy ${((m.energyPj / fixed8.energyPj - 1) * 100).toFixed(1)} % (paper: 3 % overhead), area ${((m.areaUm2 / fixed8.areaUm2 - 1) * 100).toFixed(1)} %`,
    );
    const m4 = results.find(([n]) => n.startsWith('uniform MXInt m=4'))![1];
    console.log(
      m.avgBits <= 4.5
        ? `verdict: ≈4-bit mixed MXInt within 1 % of fp32 — reproduced on this model`
        : `verdict: ≈4 bits within 1 % is NOT reached on this 1 M-parameter model: the search's best within 1 % needs ${m.avgBits.toFixed(2)} bits (${(m.avgBits - 0.25).toFixed(2)} without the shared exponent); uniform MXInt4 (${m4.avgBits.toFixed(2)} b) costs +${m4.deltaPerplexityPct.toFixed(1)} %`,
    );
  } else {
    console.log(`headline: no searched config stayed within 1 % of fp32 on the held-out tokens (${tried.length} candidates tried)`);
  }
  for (const head of headProtocols()) await maseHeadline(searchTokens, sensTokens, validateTokens, head);
  console.log(`(${machineLine()})`);
}

/**
 * Which LM-head protocol(s) the MASE-metric part runs (PAPER_BENCH_HEAD=searched|fixed|both, default
 * both). 'searched': the head's weights are a gene like every linear and count in the average.
 * 'fixed': MASE's own search space (llm-mixed-q: q/k/v/o/fc1/fc2/bmm0/bmm1 per decoder layer) has no
 * LM-head gene, and GPTQ-style weight quantization keeps the head at high precision: the head stays
 * at MXInt m=8 and the average is over the decoder blocks' linears (the head's 8 bits are printed
 * beside it, counted).
 */
function headProtocols(): ('searched' | 'fixed')[] {
  const h = process.env.PAPER_BENCH_HEAD ?? 'both';
  if (h === 'searched' || h === 'fixed') return [h];
  if (h !== 'both') throw new Error(`PAPER_BENCH_HEAD must be searched, fixed or both, got ${JSON.stringify(h)}`);
  return ['searched', 'fixed'];
}

/**
 * The headline in MASE's own metric, with GPTQ weights. Activations stay at MXInt m=8 (the metric
 * does not count them); every linear weight has its own gene (MXInt m=8…2, block 32). The greedy
 * searches with GPTQ weights throughout: the emulator takes them as its weight source
 * (src/core/rounding, Hessians from the first calibration tokens of the search text, never the
 * held-out ones), so sensitivities, steps and the Δppl ≤ 1 % constraint all see what the design
 * would compute. The feasible trials, lowest MASE bits first, are then re-evaluated on the held-out
 * tokens; the first within 1 % is the headline. GPTQ changes only which grid values the weights take,
 * so energy, area and LUTs are those of the same config.
 */
async function maseHeadline(searchTokens: number, sensTokens: number, validateTokens: number, head: 'searched' | 'fixed'): Promise<void> {
  const fixed = head === 'fixed';
  const HEAD8 = 'mxint:m=8,e=8,block=32';
  const CAL_TOKENS = Math.min(Number(process.env.PAPER_BENCH_CALIBRATION_TOKENS ?? 8192), searchTokens);
  const dir = mkdtempSync(join(tmpdir(), 'mx-paper-'));
  const spacePath = join(dir, 'space.json');
  const weightsMenu = [8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},e=8,block=32`);
  const menus = [{ match: '*', choices: [HEAD8] }, { match: '*.w', choices: weightsMenu }, ...(fixed ? [{ match: 'head.w', choices: [HEAD8] }] : [])];
  writeFileSync(spacePath, JSON.stringify({ version: 1, tie: 'point', menus }));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const base = await prepareProblem({ model: MODEL, space: spacePath, objectives: 'perplexity,avg_bits', constraint: ['delta_perplexity_pct<=1'], tokens: String(searchTokens) });
  rmSync(dir, { recursive: true, force: true });
  const graph = base.emulator.graph;
  const window = base.fidelity.window;
  const cost = { tokens: base.fidelity.cost_tokens };

  const tc = performance.now();
  const hessians = calibrationHessians(base.emulator, base.tokens.slice(0, CAL_TOKENS), window);
  const calS = (performance.now() - tc) / 1000;
  const rounder = new GptqRounder(base.emulator.model, graph, hessians);
  const { kernels } = await loadNodeKernels(undefined);
  const emulator = new Emulator(base.emulator.model, kernels, { weightSource: (pt, spec) => rounder.rounded(pt, spec) });
  const p = { ...base, emulator, evaluate: makeEvaluator({ emulator, tokens: base.tokens, fullTokens: searchTokens, window, cost }) };
  const { strategy } = await studioStrategy(p, 'greedy', { sensTokens });
  const r = await runSearch({ space: p.space, objectives: p.objectives.map((o) => ({ metric: o.metric, direction: o.direction })), constraints: p.constraints, strategy, budget: 1000, seed: 0, batch: 1, evaluate: p.evaluate });
  const feasible = r.trials.filter((t) => t.feasible).map((t) => ({ t, bits: maseAvgBits(graph, t.config, fixed) })).sort((a, b) => a.bits - b.bits || a.t.id - b.t.id);
  const searchS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);

  const heldOut = base.tokens.slice(searchTokens);
  const vOpts = { tokens: heldOut, fullTokens: validateTokens, window, cost };
  const validateG = makeEvaluator({ emulator, ...vOpts });
  const validateN = makeEvaluator({ emulator: base.emulator, ...vOpts });
  const tried: string[] = [];
  let chosen: { config: QuantConfig; id: number; bits: number; g: Metrics } | null = null;
  for (const { t, bits } of feasible.slice(0, MAX_CANDIDATES)) {
    const g = await validateG(t.config, 'full', {});
    tried.push(`trial ${t.id}: ${bits.toFixed(2)} b, Δppl ${t.metrics.deltaPerplexityPct.toFixed(2)} % → ${g.deltaPerplexityPct.toFixed(2)} %`);
    if (g.deltaPerplexityPct <= 1) {
      chosen = { config: t.config, id: t.id, bits, g };
      break;
    }
  }
  const uniformRows: [string, QuantConfig][] = [4, 5, 6].map((m) => [
    `weights MXInt m=${m}${fixed ? ' (head m=8)' : ''}, activations m=8`,
    { version: 1, rules: [['*', HEAD8], ['*.w', `mxint:m=${m},e=8,block=32`], ...(fixed ? [['head.w', HEAD8] as [string, string]] : [])] },
  ]);
  console.log('');
  const label = fixed ? 'LM head fixed at MXInt m=8 (MASE\'s space has no head gene): average over the decoder blocks\' linears' : 'LM head searched like every linear: average over all linears';
  console.log(`In MASE's own metric (average weight bits; activations and shared exponents not counted), with GPTQ weights — ${label}:`);
  console.log(`GPTQ Hessians from the first ${CAL_TOKENS} tokens (${calS.toFixed(0)} s); greedy over ${graph.ops.filter((o) => o.type === 'linear' && !(fixed && o.layer === null)).length} weight genes (MXInt m=8…2, block 32; activations MXInt m=8), GPTQ weights in every trial, Δppl ≤ 1 % on the first ${searchTokens} tokens: ${r.trials.length} trials (${feasible.length} feasible) in ${searchS.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU (incl. calibration); held-out validation, lowest bits first (Δppl search → held-out): ${tried.join('; ')}`);
  console.log('');
  console.log('| config | MASE avg weight bits, decoder linears | … all linears | studio avg bits | Δppl, nearest | Δppl, GPTQ | energy (pJ) | area (µm²) | LUT |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const row = (name: string, config: QuantConfig, n: Metrics, g: Metrics) =>
    console.log(`| ${name} | ${maseAvgBits(graph, config, true).toFixed(2)} | ${maseAvgBits(graph, config).toFixed(2)} | ${n.avgBits.toFixed(2)} | ${n.deltaPerplexityPct >= 0 ? '+' : ''}${n.deltaPerplexityPct.toFixed(2)} % | ${g.deltaPerplexityPct >= 0 ? '+' : ''}${g.deltaPerplexityPct.toFixed(2)} % | ${n.energyPj.toExponential(3)} | ${n.areaUm2.toExponential(3)} | ${Math.round(n.luts).toLocaleString('en-US')} |`);
  for (const [name, c] of uniformRows) row(name, c, await validateN(c, 'full', {}), await validateG(c, 'full', {}));
  if (chosen) row(`mixed MXInt weights, greedy with GPTQ (trial ${chosen.id})`, chosen.config, await validateN(chosen.config, 'full', {}), chosen.g);
  console.log('');
  if (chosen) {
    const count = new Map<number, number>();
    for (const [g, sp] of chosen.config.rules) {
      // the weight genes only: with the head fixed, its rule is not a searched gene
      if (!g.endsWith('.w') || (fixed && g === 'head.w')) continue;
      const m = (parseFormat(sp) as { m: number }).m;
      count.set(m, (count.get(m) ?? 0) + 1);
    }
    const reenc = rounder.model(chosen.config).report.reduce((a, x) => a + x.reencodeChanged, 0);
    console.log(`mixed config (${fixed ? 'searched weight genes; the LM head fixed at m=8' : 'weights'}): ${[...count].sort((a, b) => a[0] - b[0]).map(([m, n]) => `${n} × m=${m}`).join(', ')}; activations MXInt m=8; ${reenc} weight elements re-encoded by the scale rule after GPTQ`);
    const g = chosen.g;
    console.log(
      chosen.bits <= 4.5
        ? `headline (MASE's metric, ${head === 'fixed' ? 'head fixed at m=8, decoder linears' : 'head searched, all linears'}): ${chosen.bits.toFixed(2)} average weight bits at ${g.deltaPerplexityPct >= 0 ? '+' : ''}${g.deltaPerplexityPct.toFixed(2)} % perplexity vs fp32 on held-out tokens — ≈4-bit mixed MXInt within 1 % reproduced in the paper's metric (the studio's stricter avg bits of the same design: ${g.avgBits.toFixed(2)})`
        : `headline (MASE's metric, ${head === 'fixed' ? 'head fixed at m=8, decoder linears' : 'head searched, all linears'}): the best within 1 % needs ${chosen.bits.toFixed(2)} average weight bits — not ≈4 (the studio's avg bits of the same design: ${g.avgBits.toFixed(2)})`,
    );
  } else {
    console.log(`headline (MASE's metric): no candidate within 1 % on the held-out tokens (${tried.length} tried)`);
  }
}
