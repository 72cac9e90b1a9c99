/**
 * `mx-studio cost`: energy, area, FPGA resources, memory bits, cycles and average bits of a model
 * under a quantization config, from the cost model of src/core/cost. Only the model folder's
 * config.json is read (costs do not depend on the weights' values).
 *
 * Node ring: reads files with node:fs. main.ts wires it: `cost: COST_OPTS` in its parseArgs table,
 * `COST_HELP` in the usage text, and `cmdCost(values, { out, err })` as the command.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, formatToString } from '../core/formats';
import { buildGraph, ConfigError, resolveConfig, type QuantConfig } from '../core/graph';
import { quantConfigFromFlags } from './quantConfigFlags';
import { CostConstantsError, CostError, prepareCost, type CostFigures, type Lanes } from '../core/cost';
import { ModelError, parseConfig as parseModelConfig } from '../core/model';

/** parseArgs options of `cost`. */
export const COST_OPTS = {
  model: { type: 'string' },
  config: { type: 'string' },
  uniform: { type: 'string' },
  tokens: { type: 'string' },
  node: { type: 'string' },
  lanes: { type: 'string' },
  weights: { type: 'string' },
  dsp: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const COST_HELP = `  mx-studio cost     --model DIR (--config CONFIG.json | --uniform SPEC) [--tokens N] [--node NM]
                     [--lanes K[xN[xM]]] [--weights onchip|offchip] [--dsp] [--json]

cost: energy per inference, area (µm², gate equivalents, FPGA LUT/FF/DSP/BRAM), memory bits, cycles and
average bits per element of the model as a streaming dataflow design, per layer and in total
(src/core/cost; constants with sources in src/core/cost/constants.json). Reads only DIR/config.json.
  --model DIR           A Hugging Face model folder (its config.json).
  --config CONFIG.json  {"version": 1, "rules": [[glob, spec], ...]} over quant-point ids; unmatched points fp32.
  --uniform SPEC        One format for every quant point (applied before --config's rules).
  --tokens N            Sequence length of one inference (default: the model's context length).
  --node NM             Technology node, 7–45 nm (Stillmaker–Baas scaling; default 45).
  --lanes K[xN[xM]]     Multiplier lanes of every GEMM along K, output columns N and token rows M
                        (default: min(32, K) x 1 x 1).
  --weights W           onchip (default: weights in on-chip SRAM/BRAM) or offchip (DRAM once per inference).
  --dsp                 Map multipliers to DSP48s by Yosys's rule (default: soft multipliers, -nodsp).
  --json                One JSON object: energy_pj, area_um2, luts, memory_bits, avg_bits, ... and layers[].
`;

/** A bad argument or input (one line). */
export class CostInputError extends Error {
  override readonly name = 'CostInputError';
}

type Values = Record<string, string | boolean | undefined>;

function positiveInt(key: string, s: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) throw new CostInputError(`--${key} must be a positive integer, got ${JSON.stringify(s)}`);
  return Number(s);
}

function parseLanes(s: string): Lanes {
  const m = /^(\d+)(?:x(\d+))?(?:x(\d+))?$/.exec(s.trim());
  if (!m) throw new CostInputError(`--lanes must be K, KxN or KxNxM (positive integers), got ${JSON.stringify(s)}`);
  const [k, n, mm] = [m[1], m[2] ?? '1', m[3] ?? '1'].map(Number);
  if (k < 1 || n < 1 || mm < 1) throw new CostInputError(`--lanes must be positive, got ${JSON.stringify(s)}`);
  return { lanesK: k, lanesN: n, lanesM: mm };
}

function readQuantConfig(v: Values): QuantConfig {
  const c = quantConfigFromFlags(v, (m) => new CostInputError(m));
  if (!c) throw new CostInputError('missing --config CONFIG.json or --uniform SPEC (the formats to price)');
  return c;
}

async function readModelConfig(dir: string) {
  let text: string;
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8');
  } catch {
    throw new CostInputError(`--model: cannot read ${join(dir, 'config.json')} (a Hugging Face model folder is expected)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CostInputError(`--model: ${join(dir, 'config.json')} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseModelConfig(json);
}

/** The shared per-layer / total fields of the JSON output (snake_case, as the CLI prints them). */
function figuresJson(f: CostFigures) {
  return {
    energy_pj: f.energyPj.total,
    energy_breakdown_pj: { mac: f.energyPj.mac, block: f.energyPj.block, quant: f.energyPj.quant, on_chip: f.energyPj.onChip, off_chip: f.energyPj.offChip },
    area_um2: f.areaUm2,
    logic_area_um2: f.logicAreaUm2,
    sram_area_um2: f.sramAreaUm2,
    gate_equivalents: f.gateEquivalents,
    luts: f.fpga.luts,
    ffs: f.fpga.ffs,
    dsps: f.fpga.dsps,
    brams: f.fpga.brams,
    memory_bits: f.memoryBits.total,
    memory_breakdown_bits: { weights: f.memoryBits.weights, activations: f.memoryBits.activations, metadata: f.memoryBits.metadata },
    avg_bits: f.avgBits,
    elements: f.elements,
    macs: f.macs,
    cycles: f.cycles,
  };
}

const PREFIXES: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
  [1e-12, 'p'],
];

/** 4 significant digits with an SI prefix: eng(1.3e-3, 'J') = "1.300 mJ". */
const eng = (x: number, unit: string): string => {
  const a = Math.abs(x);
  if (a === 0) return `0 ${unit}`;
  const [d, p] = PREFIXES.find(([d]) => a >= d) ?? PREFIXES[PREFIXES.length - 1];
  return `${(x / d).toPrecision(4)} ${p}${unit}`;
};

/** Options the core refuses, renamed to the flags that set them. */
const FLAG_OF: Record<string, string> = { nodeNm: '--node', tokens: '--tokens', parallelism: '--lanes' };

/** Run `cost`: prints the report (a table, or one JSON object with --json). Throws Error subclasses with one-line messages on bad input. */
export async function runCost(v: Values, out: (s: string) => void): Promise<void> {
  const dir = v.model;
  if (typeof dir !== 'string' || dir === '') throw new CostInputError('missing --model DIR (a Hugging Face model folder)');
  const quant = readQuantConfig(v);
  const modelConfig = await readModelConfig(dir);
  const tokens = typeof v.tokens === 'string' ? positiveInt('tokens', v.tokens) : undefined;
  let nodeNm: number | undefined;
  if (typeof v.node === 'string') {
    nodeNm = Number(v.node.trim().replace(/nm$/i, ''));
    if (!Number.isFinite(nodeNm) || v.node.trim() === '') throw new CostInputError(`--node must be a number of nm (7–45), got ${JSON.stringify(v.node)}`);
  }
  const defaultLanes = typeof v.lanes === 'string' ? parseLanes(v.lanes) : undefined;
  if (v.weights !== undefined && v.weights !== 'onchip' && v.weights !== 'offchip') throw new CostInputError(`--weights must be onchip or offchip, got ${JSON.stringify(v.weights)}`);

  const graph = buildGraph(modelConfig);
  const resolved = resolveConfig(graph, quant);
  let report;
  try {
    report = prepareCost(graph, { tokens, nodeNm, defaultLanes, memory: { weightsOnChip: v.weights !== 'offchip' }, fpga: { dsp: v.dsp === true } })(resolved.formats);
  } catch (e) {
    if (e instanceof CostError && FLAG_OF[e.param]) throw new CostInputError(`${FLAG_OF[e.param]}: ${e.message.slice(`cost ${e.param}: `.length)}`);
    throw e;
  }
  const spec = (id: string) => formatToString(resolved.formats.get(id)!);

  if (v.json === true) {
    out(
      JSON.stringify({
        model: dir,
        tokens: report.tokens,
        node_nm: report.nodeNm,
        weights: v.weights === 'offchip' ? 'offchip' : 'onchip',
        dsp: v.dsp === true,
        constants: report.constants,
        ...figuresJson(report),
        latency_cycles: report.latencyCycles,
        bottleneck: report.bottleneck,
        clock_hz: report.clockHz,
        fpga_clock_hz: report.fpgaClockHz,
        throughput_tokens_per_s: report.throughputTokensPerS,
        fpga_throughput_tokens_per_s: report.fpgaThroughputTokensPerS,
        unmatched_rules: resolved.unmatched,
        layers: report.layers.map((l) => ({
          op: l.op,
          kind: l.kind,
          layer: l.layer,
          formats: Object.fromEntries(graph.opById.get(l.op)!.points.map((id) => [graph.pointById.get(id)!.role, spec(id)])),
          lanes: l.lanes,
          gemm: l.gemm,
          ...figuresJson(l),
        })),
      }) + '\n',
    );
    return;
  }

  const lines: string[] = [];
  lines.push(`cost of ${dir} (${modelConfig.arch}, ${graph.points.length} quant points) at T = ${report.tokens} tokens, ${report.nodeNm} nm, weights ${v.weights === 'offchip' ? 'off' : 'on'} chip`);
  lines.push(`constants ${report.constants.name} v${report.constants.version} (${report.constants.hash})`);
  if (resolved.unmatched.length) lines.push(`rules matching no point: ${resolved.unmatched.join(', ')}`);
  lines.push('');
  const head = ['op', 'formats (A × B)', 'lanes', 'energy', 'area', 'LUTs', 'mem', 'avg b', 'cycles'];
  const rows = report.layers.map((l) => {
    const op = graph.opById.get(l.op)!;
    const fa = spec(op.points[0]);
    const fb = spec(op.points[1]);
    return [l.op, fa === fb ? fa : `${fa} × ${fb}`, `${l.lanes.k}x${l.lanes.n}${l.lanes.m > 1 ? `x${l.lanes.m}` : ''}`, eng(l.energyPj.total * 1e-12, 'J'), eng(l.areaUm2, 'µm²'), eng(l.fpga.luts, ''), eng(l.memoryBits.total, 'b'), l.avgBits.toFixed(3), String(l.cycles)];
  });
  const e = report.energyPj;
  rows.push(['total', '', '', eng(e.total * 1e-12, 'J'), eng(report.areaUm2, 'µm²'), eng(report.fpga.luts, ''), eng(report.memoryBits.total, 'b'), report.avgBits.toFixed(3), `${report.cycles} (II)`]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  lines.push(fmt(head), ...rows.map(fmt), '');
  lines.push(`energy per inference: ${eng(e.total * 1e-12, 'J')} = MAC ${eng(e.mac * 1e-12, 'J')} + block/scale ${eng(e.block * 1e-12, 'J')} + quantisation ${eng(e.quant * 1e-12, 'J')} + on-chip memory ${eng(e.onChip * 1e-12, 'J')} + off-chip ${eng(e.offChip * 1e-12, 'J')}`);
  lines.push(`area: ${eng(report.areaUm2, 'µm²')} (logic ${eng(report.logicAreaUm2, 'µm²')} = ${eng(report.gateEquivalents, 'GE')}, SRAM ${eng(report.sramAreaUm2, 'µm²')}); FPGA: ${Math.round(report.fpga.luts)} LUT, ${Math.round(report.fpga.ffs)} FF, ${report.fpga.dsps} DSP, ${report.fpga.brams} BRAM36`);
  lines.push(`memory: ${eng(report.memoryBits.total, 'b')} (weights ${eng(report.memoryBits.weights, 'b')}, activations ${eng(report.memoryBits.activations, 'b')}, metadata ${eng(report.memoryBits.metadata, 'b')}); average ${report.avgBits.toFixed(3)} bits per element`);
  lines.push(`pipeline: II ${report.cycles} cycles (bottleneck ${report.bottleneck}), latency ${report.latencyCycles} cycles; ${eng(report.throughputTokensPerS, 'tokens/s')} at ${eng(report.clockHz, 'Hz')}, ${eng(report.fpgaThroughputTokensPerS, 'tokens/s')} at ${eng(report.fpgaClockHz, 'Hz')} (FPGA)`);
  out(lines.join('\n') + '\n');
}

/** Run `cost`; returns the exit code (0, or 2 with one line on stderr for bad input). */
export async function cmdCost(v: Values, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    await runCost(v, io.out);
    return 0;
  } catch (e) {
    if (e instanceof CostInputError || e instanceof ModelError || e instanceof ConfigError || e instanceof CostError || e instanceof CostConstantsError || e instanceof FormatError) {
      io.err(`mx-studio cost: error: ${e.message.split('\n')[0]}`);
      return 2;
    }
    throw e;
  }
}
