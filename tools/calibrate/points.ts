/**
 * The calibration sweep: mx_linear instances of the studio's component library (the module every
 * generated linear layer wraps), over element formats, MX block sizes and lanes, each a small
 * synthesisable design (wrapper top + library sources rewritten for Yosys 0.23 + ROM images).
 *
 * K = 64, N = 4 keeps the weight ROMs tiny (the weights are BRAM/ROM, priced separately from
 * logic) while every lane setting of the sweep divides them. Weights: a fixed-seed Gaussian
 * (σ = 0.05, like a trained model's linear weights), so the accumulator is sized by
 * `linearAccumulator` on realistic magnitudes.
 */
import { parseFormat, type FormatSpec } from '../../src/core/formats';
import { sourcesFor } from '../../src/core/rtl/mxLibrary';
import { planLinear } from '../../src/core/rtl/mxLinear';
import { decodeParams } from '../../src/core/rtl/mxParams';
import { svParams } from '../../src/core/rtl/tbgen';
import type { HdlDesign } from '../../src/core/hdl';
import { yosys023Compat } from './yosysCompat';

export interface SweepPoint {
  /** Stable id: `dot.<format>.l<lanes>` or `lin.<format>.b<block>.k<lanesK>n<lanesN>`. */
  readonly id: string;
  /** `dot`: one mx_dot block dot product with registered operands and result (the PE micro-kernel); `linear`: a whole mx_linear. */
  readonly kind: 'dot' | 'linear';
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

/**
 * The sweep, sized for a heavily loaded 2-core machine (Yosys 0.23 takes ~3 CPU-minutes for the
 * smallest mx_linear, dominated by the 32-element mx_quant; `abc -g cmos2` takes > 6 CPU-minutes on
 * an 8-lane int8 dot product):
 * - PE micro-kernels: every format × mx_dot lanes 2, 4, 8 (fpga); GE (gates) on the 2-lane points;
 * - whole mx_linear modules (K = 64, N = 4): lanes 4×1 … 32×4, blocks 32 and 16 (G = 2 blocks per step).
 */
export function sweepPoints(): SweepPoint[] {
  const out: SweepPoint[] = [];
  for (const f of SWEEP_FORMATS) for (const l of [2, 4, 8]) out.push(dotPoint(f, l, l === 2 ? ['fpga', 'gates'] : ['fpga']));
  out.push(
    linearPoint('mxint8', 32, 4, 1),
    linearPoint('mxint8', 32, 8, 2),
    linearPoint('mxint8', 32, 16, 1),
    linearPoint('mxint:m=4', 32, 8, 2),
    linearPoint('mxfp4', 32, 8, 2),
    linearPoint('mxfp8_e4m3', 32, 8, 2),
    linearPoint('mxfp6_e2m3', 32, 8, 2),
    linearPoint('mxint8', 16, 16, 1),
    linearPoint('mxfp4', 16, 32, 2),
    linearPoint('mxint:m=4', 32, 32, 4),
    linearPoint('mxfp8_e4m3', 16, 16, 1),
  );
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

/** Sources of library modules, rewritten for Yosys 0.23. */
export function compatSources(...modules: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(sourcesFor(...modules)).map(([f, t]) => [f, yosys023Compat(t, f)]));
}

/** The synthesisable design of a sweep point. */
export function pointDesign(p: SweepPoint): PointDesign {
  return p.kind === 'dot' ? dotDesign(p) : linearDesign(p);
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
  return { design: { files: { ...compatSources('mx_dot'), 'cal_top.sv': top }, top: 'cal_top' }, extra: {}, params: { ...params, PSUM_W: psumW } };
}

/** `cal_top` wrapping one mx_linear. */
function linearDesign(p: SweepPoint): PointDesign {
  const spec = pointSpec(p);
  const K = SWEEP_K;
  const N = SWEEP_N;
  const plan = planLinear({ target: p.id, K, N, xSpec: spec, wSpec: spec, weights: gaussianWeights(N * K, 0.05, 12345), bias: null, lanes: { lanesK: p.lanesK, lanesN: p.lanesN } });
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
    design: { files: { ...compatSources('mx_linear'), 'cal_top.sv': top }, top: 'cal_top' },
    extra: { 'w.codes.hex': plan.roms.codes, 'w.exps.hex': plan.roms.exps, ...DEFAULT_ROMS },
    params: params as Record<string, number | string>,
  };
}
