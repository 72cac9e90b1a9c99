/**
 * The calibration sweep: pieces of the studio's component library (src/core/rtl/components, read
 * by Yosys as they are) over element formats, MX block sizes and lanes, each a small synthesisable
 * design (wrapper top + library sources + ROM images):
 *
 * - `dot`: one mx_dot (the PE: decode, multiply, align, block-local sum) with registered ports;
 * - `cast`: one mx_cast (the activation quantiser: gather register, the combinational BLOCK-wide
 *   mx_quant, output register);
 * - `out`: one mx_out (exact accumulator → float32 → ACT) with registered ports, at the accumulator
 *   width and LSB the format's linear plan gives;
 * - `linear`: a whole mx_linear (K = 64, N = 4: tiny weight ROMs, every lane setting divides them;
 *   weights a fixed-seed Gaussian, σ = 0.05, like a trained model's, so `linearAccumulator` sizes the
 *   accumulator on realistic magnitudes);
 * - `layer`: a whole generated layer of the default model (src/core/rtl/layer.ts `generateLayer`, its
 *   real weights) — the end-to-end check, not fitted.
 */
import { parseFormat, type FormatSpec } from '../../src/core/formats';
import { sourcesFor } from '../../src/core/rtl/mxLibrary';
import { planLinear } from '../../src/core/rtl/mxLinear';
import { decodeParams } from '../../src/core/rtl/mxParams';
import { castParams } from '../../src/core/rtl/mxParams';
import { svParams, type SvValue } from '../../src/core/rtl/tbgen';
import { generateLayer } from '../../src/core/rtl/layer';
import { buildGraph, resolveConfig, uniformConfig, type Graph } from '../../src/core/graph';
import type { LoadedModel } from '../../src/core/model';
import type { HdlDesign } from '../../src/core/hdl';
import { loadDefaultModel } from '../rtl/model';

export interface SweepPoint {
  /** Stable id: `dot.<format>.l<lanes>`, `cast.<format>.b<block>`, `out.<format>`, `lin.<format>.b<block>.k<lanesK>n<lanesN>`, `layer.<op>.<format>.k<lanesK>n<lanesN>`. */
  readonly id: string;
  readonly kind: 'dot' | 'cast' | 'out' | 'linear' | 'layer';
  /** `layer`: the default model's op id (`L0.q`). */
  readonly op?: string;
  /** Format spec string (parseFormat), the same for x and W. */
  readonly format: string;
  readonly block: number;
  readonly lanesK: number;
  readonly lanesN: number;
  /** Flows measured at this point. */
  readonly flows: readonly ('fpga' | 'gates')[];
}

export const SWEEP_K = 64;
export const SWEEP_N = 4;

/** Formats of the sweep (fixed point is not in the MX component library: planLinear refuses it). */
export const SWEEP_FORMATS = ['mxint8', 'mxint:m=4', 'mxfp4', 'mxfp8_e4m3', 'mxfp6_e2m3'] as const;

const slug = (f: string) => f.replace(/[^a-z0-9]/gi, '');

export function dotPoint(format: string, lanes: number, flows: readonly ('fpga' | 'gates')[] = ['fpga']): SweepPoint {
  return { id: `dot.${slug(format)}.l${lanes}`, kind: 'dot', format, block: 32, lanesK: lanes, lanesN: 1, flows };
}

export function linearPoint(format: string, block: number, lanesK: number, lanesN: number): SweepPoint {
  return { id: `lin.${slug(format)}.b${block}.k${lanesK}n${lanesN}`, kind: 'linear', format, block, lanesK, lanesN, flows: ['fpga'] };
}

export function castPoint(format: string, block: number): SweepPoint {
  return { id: `cast.${slug(format)}.b${block}`, kind: 'cast', format, block, lanesK: 8, lanesN: 1, flows: ['fpga'] };
}

export function outPoint(format: string): SweepPoint {
  return { id: `out.${slug(format)}`, kind: 'out', format, block: 32, lanesK: 1, lanesN: 1, flows: ['fpga'] };
}

/** A whole layer of the default model under a uniform format (block as the format's default). */
export function layerPoint(op: string, format: string, lanesK: number, lanesN: number): SweepPoint {
  return { id: `layer.${op}.${slug(format)}.k${lanesK}n${lanesN}`, kind: 'layer', op, format, block: parseBlock(format), lanesK, lanesN, flows: ['fpga'] };
}

function parseBlock(format: string): number {
  const s = parseFormat(format);
  if (s.kind !== 'mx' && s.kind !== 'mxint' && s.kind !== 'bfp') throw new Error(`${format}: not a block format`);
  return s.block;
}

/**
 * The sweep, sized for a heavily loaded 2-core machine (shared with other sessions: a process gets
 * ~0.3–0.5 of a core, so wall time is 2–3× CPU time). Since the library's narrowing (2026-11-21) a
 * cast takes ~40 CPU-s and a dot product ~5–10 (before: ~10 CPU-minutes per cast, the fp8 dot ~5k
 * LUTs); the whole layers are the expensive part:
 * - output stages: mx_out at each format's accumulator (5 points);
 * - PE micro-kernels: every format's mx_dot at 2 and 4 lanes, and MXInt m=4 / MXFP4 at 8 lanes; GE
 *   (`gates`) on the two small 2-lane ones;
 * - activation quantisers: mx_cast at block 32 for MXInt m=4, MXFP4, MXINT8 and block 16 for MXINT8;
 * - whole mx_linear modules (K = 64, N = 4) at three lane / block settings (the glue and alignment terms);
 * - whole layers of the default model: L0.q in MXINT8 and MXFP4 at 8×1 and 16×2 lanes (the
 *   end-to-end check; not fitted).
 * Points are listed cheapest-and-most-needed first: the sweep resumes, so an interrupted run keeps what it measured.
 */
export function sweepPoints(): SweepPoint[] {
  const out: SweepPoint[] = [];
  for (const f of SWEEP_FORMATS) out.push(outPoint(f));
  for (const f of SWEEP_FORMATS) out.push(dotPoint(f, 2, f === 'mxint:m=4' || f === 'mxfp4' ? ['fpga', 'gates'] : ['fpga']));
  out.push(castPoint('mxint:m=4', 32), castPoint('mxfp4', 32), castPoint('mxint8', 32));
  for (const f of SWEEP_FORMATS) out.push(dotPoint(f, 4));
  out.push(linearPoint('mxint8', 32, 4, 1), linearPoint('mxfp4', 32, 8, 2), linearPoint('mxint:m=4', 16, 16, 1));
  out.push(layerPoint('L0.q', 'mxint8', 8, 1), layerPoint('L0.q', 'mxfp4', 8, 1), layerPoint('L0.q', 'mxint8', 16, 2), layerPoint('L0.q', 'mxfp4', 16, 2));
  out.push(castPoint('mxint8', 16), dotPoint('mxint:m=4', 8), dotPoint('mxfp4', 8));
  return out;
}

/** The point's format with its block size. */
export function pointSpec(p: SweepPoint): FormatSpec {
  const s = parseFormat(p.format);
  if (s.kind !== 'mx' && s.kind !== 'mxint' && s.kind !== 'bfp') throw new Error(`${p.id}: not a block format`);
  return { ...s, block: p.block };
}

/** Deterministic N(0, σ²) weights (xorshift32 + Box–Muller). */
export function gaussianWeights(n: number, sigma: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = sigma * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return w;
}

export interface PointDesign {
  readonly design: HdlDesign;
  /** ROM images read by $readmemh (not sources). */
  readonly extra: Record<string, string>;
  /** The planned mx_linear parameters (ACC_W, …) — what the cost model's structure is checked against. */
  readonly params: Record<string, number | string>;
}

/**
 * Yosys elaborates mx_linear with its default parameters while reading it (no `-defer` in the
 * frozen flows), and that reads the default ROM file names: one zero word each lets it pass. The
 * flattened design only contains the wrapper's parameterisation.
 */
export const DEFAULT_ROMS: Record<string, string> = { 'weights/w_codes.hex': '0\n', 'weights/w_exps.hex': '0\n', 'weights/bias.hex': '0\n' };


/** The synthesisable design of a sweep point. */
export async function pointDesign(p: SweepPoint): Promise<PointDesign> {
  switch (p.kind) {
    case 'dot':
      return dotDesign(p);
    case 'cast':
      return castDesign(p);
    case 'out':
      return outDesign(p);
    case 'linear':
      return linearDesign(p);
    case 'layer':
      return layerDesign(p);
  }
}

/** The sweep's linear plan (K = 64, N = 4, Gaussian weights) of a point's format. */
function sweepPlan(p: SweepPoint, lanesK: number, lanesN: number) {
  return planLinear({ target: p.id, K: SWEEP_K, N: SWEEP_N, xSpec: pointSpec(p), wSpec: pointSpec(p), weights: gaussianWeights(SWEEP_N * SWEEP_K, 0.05, 12345), bias: null, lanes: { lanesK, lanesN } });
}

/** `cal_top`: one mx_cast (ROW = 64, 8 input lanes): the activation quantiser of a linear. */
function castDesign(p: SweepPoint): PointDesign {
  const c = castParams(pointSpec(p), undefined, p.id);
  const params: Record<string, SvValue> = { ROW: SWEEP_K, IN_LANES: p.lanesK, BLOCK: p.block, ...c };
  const inW = p.lanesK * 24;
  const top = `module cal_top (
  input  logic clk, input logic rst_n,
  input  logic [${inW - 1}:0] in_data, input logic in_valid, output logic in_ready,
  output logic [${p.block * c.CODE_W - 1}:0] out_codes, output logic [7:0] out_exp, output logic out_valid, input logic out_ready
);
  mx_cast ${svParams(params)} u (.clk, .rst_n, .in_data, .in_valid, .in_ready, .out_codes, .out_exp, .out_valid, .out_ready);
endmodule
`;
  return { design: { files: { ...sourcesFor('mx_cast'), 'cal_top.sv': top }, top: 'cal_top' }, extra: {}, params: params as Record<string, number | string> };
}

/** `cal_top`: one mx_out with registered input and output, at the accumulator of the format's sweep plan. */
function outDesign(p: SweepPoint): PointDesign {
  const plan = sweepPlan(p, 8, 1);
  const accW = Number(plan.params.ACC_W);
  const params = { ACC_W: accW, ACC_LSB: Number(plan.params.ACC_LSB) };
  const top = `module cal_top (
  input  logic clk,
  input  logic [${accW - 1}:0] a,
  output logic [23:0] y
);
  logic [${accW - 1}:0] ar;
  logic [23:0] yo;
  mx_out ${svParams(params)} u (.acc(ar), .act(yo));
  always_ff @(posedge clk) begin
    ar <= a;
    y <= yo;
  end
endmodule
`;
  return { design: { files: { ...sourcesFor('mx_out'), 'cal_top.sv': top }, top: 'cal_top' }, extra: {}, params };
}

let defaultModel: Promise<{ graph: Graph; model: LoadedModel }> | null = null;

/** The default model (sotu-llama-1m) and its graph, loaded once. */
export function loadDefault(): Promise<{ graph: Graph; model: LoadedModel }> {
  defaultModel ??= loadDefaultModel().then(({ model }) => ({ model, graph: buildGraph(model.config) }));
  return defaultModel;
}

/** A whole generated layer of the default model: generateLayer's files, its module the top. */
async function layerDesign(p: SweepPoint): Promise<PointDesign> {
  const { graph, model } = await loadDefault();
  const formats = resolveConfig(graph, uniformConfig(p.format)).formats;
  const r = generateLayer({ graph, op: p.op!, formats, lanes: { lanesK: p.lanesK, lanesN: p.lanesN }, model });
  const sources = Object.fromEntries(Object.entries(r.files).filter(([f]) => f.endsWith('.sv')));
  const data = Object.fromEntries(Object.entries(r.files).filter(([f]) => f.endsWith('.hex')));
  return {
    design: { files: sources, top: r.module },
    extra: { ...data, ...DEFAULT_ROMS },
    params: { ...(r.manifest.params as Record<string, number | string>), ACC_W: r.manifest.accumulator.width, ACC_LSB: r.manifest.accumulator.lsb },
  };
}

/** `cal_top`: one mx_dot with registered operands and result, as mx_linear feeds it (s1_xc / wc_q → psum → accumulator). */
function dotDesign(p: SweepPoint): PointDesign {
  const spec = pointSpec(p);
  const d = decodeParams(spec, p.id);
  const sig = d.KIND === 0 ? d.MBITS + 2 : d.CODE_W;
  const eoffMax = d.KIND === 0 ? 2 ** (d.CODE_W - 1 - d.MBITS) - 2 : 0;
  const psumW = 2 * sig + 2 * eoffMax + Math.ceil(Math.log2(p.lanesK)) + 1;
  const cw = p.lanesK * d.CODE_W;
  const params = { LANES: p.lanesK, A_KIND: d.KIND, A_CODE_W: d.CODE_W, A_MBITS: d.MBITS, B_KIND: d.KIND, B_CODE_W: d.CODE_W, B_MBITS: d.MBITS };
  const top = `module cal_top (
  input  logic clk,
  input  logic [${cw - 1}:0] a, input logic [${cw - 1}:0] b,
  output logic signed [${psumW - 1}:0] y
);
  logic [${cw - 1}:0] ar, br;
  logic signed [${psumW - 1}:0] p;
  mx_dot ${svParams(params)} u (.a_codes(ar), .b_codes(br), .psum(p));
  always_ff @(posedge clk) begin
    ar <= a;
    br <= b;
    y <= p;
  end
endmodule
`;
  return { design: { files: { ...sourcesFor('mx_dot'), 'cal_top.sv': top }, top: 'cal_top' }, extra: {}, params: { ...params, PSUM_W: psumW } };
}

/** `cal_top` wrapping one mx_linear. */
function linearDesign(p: SweepPoint): PointDesign {
  const plan = sweepPlan(p, p.lanesK, p.lanesN);
  const params = { ...plan.params, W_CODES_FILE: 'w.codes.hex', W_EXPS_FILE: 'w.exps.hex', BIAS_FILE: 'w.bias.hex' };
  const inW = plan.lanesIn * 24;
  const outW = p.lanesN * 24;
  const top = `module cal_top (
  input  logic clk, input logic rst_n,
  input  logic [${inW - 1}:0] in_data, input logic in_valid, output logic in_ready,
  output logic [${outW - 1}:0] out_data, output logic out_valid, input logic out_ready
);
  mx_linear ${svParams(params)} u (.clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready);
endmodule
`;
  return {
    design: { files: { ...sourcesFor('mx_linear'), 'cal_top.sv': top }, top: 'cal_top' },
    extra: { 'w.codes.hex': plan.roms.codes, 'w.exps.hex': plan.roms.exps, ...DEFAULT_ROMS },
    params: params as Record<string, number | string>,
  };
}
