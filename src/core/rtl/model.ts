/**
 * The model-level RTL generator: a design point (model + quant config + ops + parallelism + stimulus
 * tokens) → one RtlDesign holding
 *
 *   - per layer (every op of the graph that was asked for): a layer module `rtl/lyr_*.sv` wrapping
 *     the library component with its parameters (mx_linear, mx_matmul_heads, fx_rmsnorm, fx_rope,
 *     fx_softmax, fx_silu, fx_mul, fx_add, top_embed), weight memories `mem/<layer>.*.hex` from the
 *     codec (the same `encode` the emulator ran; checked against the emulator's encodings), and a
 *     self-checking testbench whose stimulus is the op's ACT input(s) and whose expected output is
 *     its ACT output from one integer-mode emulator run over `ids` (HwTrace);
 *   - when every op of the model is asked for, the top level for one token: `top_block*` (one decoder
 *     block's dataflow: forks, residual FIFOs, lane regrouping) and `top_model` (embedding ROM →
 *     blocks → final norm → LM head), checked on the first token: per block (block input row →
 *     block output row) and the whole model (token id → logits row), from a second emulator run
 *     over that one token (the attention blocks V along T, so row 0 of a longer run differs).
 *
 * Layer modules are shared by text: every op whose instance has the same parameters uses one module
 * (q, k, v, o of a block and of every block, when formats and lanes agree; their exact accumulators
 * are widened to cover every weight set that shares them), and the weights are a module parameter
 * (`MEM`, a file prefix). So blocks differ only in memory files and one simulator build serves all.
 *
 * Everything is checked before any file text is produced: model family, ops, token ids, formats,
 * parallelism — an RtlError names the layer and the reason.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { Emulator, EmulatorError, type HwTrace } from '../emulate';
import { formatToString, type Encoded, type FormatSpec } from '../formats';
import { resolveConfig, type Graph, type Op } from '../graph';
import { DEFAULT_ACT, fxNormParams, fxTable, type ActFormat } from '../datapath';
import type { Lanes } from '../cost';
import type { LoadedModel } from '../model';
import type { RtlDesign, RtlGenerateRequest, RtlGenerator, RtlSynthTop, RtlTestbench } from './bundle';
import { RtlError } from './errors';
import { hexFile, hexWord } from './hex';
import { actBeats, svParams, wrapperTop, type SvValue, type TbInstance } from './tbgen';
import { linearReference, planLinear, type LinearPlan } from './mxLinear';
import { matmulReference, planMatmul, type MatmulPlan } from './mxMatmul';
import { MX_LIBRARY } from './mxLibrary';
import { FX_LIBRARY, fxActivationModule, fxNormModule, fxRopeModule, fxSoftmaxParams } from './components/fxLibrary';
import mxMatmulHeads from './components/mx_matmul_heads.sv';
import topFork from './components/top_fork.sv';
import topRegroup from './components/top_regroup.sv';
import topEmbed from './components/top_embed.sv';

/** Parallelism when the request gives none: 16 products along K, 2 output columns (capped per op). */
export const DEFAULT_GEMM_LANES: Readonly<Lanes> = Object.freeze({ lanesK: 16, lanesN: 2 });
/** ACT lanes of the fixed-point ops (norm, RoPE, softmax, SiLU, products, residual adds), capped per op by gcd. */
export const FX_LANES = 4;
/** Bits of a token id on the embedding's input stream. */
export const ID_W = 32;

/** Op types this generator builds (LLaMA family). GPT-2/OPT's learned positions are not wired. */
const BUILT: ReadonlySet<Op['type']> = new Set(['embedding', 'norm', 'linear', 'rope', 'matmul', 'softmax', 'activation', 'mul', 'add']);

// ------------------------------------------------------------------------------ the library as files

interface LibFile {
  path: string;
  text: string;
  /** Library modules it instantiates directly or not. */
  deps: readonly string[];
}

function library(): Map<string, LibFile> {
  const lib = new Map<string, LibFile>();
  for (const c of Object.values(MX_LIBRARY)) if (c.kind === 'rtl' || c.name === 'tb_hs_stream') lib.set(c.name, { path: `${c.kind === 'rtl' ? 'rtl' : 'tb'}/${c.file}`, text: c.text, deps: c.deps });
  for (const c of Object.values(FX_LIBRARY)) if (c.kind === 'rtl') lib.set(c.name, { path: `rtl/${c.file}`, text: c.text, deps: c.deps });
  lib.set('mx_matmul_heads', { path: 'rtl/mx_matmul_heads.sv', text: mxMatmulHeads, deps: ['mx_matmul', ...MX_LIBRARY.mx_matmul.deps] });
  lib.set('top_fork', { path: 'rtl/top_fork.sv', text: topFork, deps: [] });
  lib.set('top_regroup', { path: 'rtl/top_regroup.sv', text: topRegroup, deps: [] });
  lib.set('top_embed', { path: 'rtl/top_embed.sv', text: topEmbed, deps: [] });
  return lib;
}

// ------------------------------------------------------------------------------ small helpers

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `L0.q` → `L0_q` (a file name, a testbench name and a vector prefix). */
export function layerName(opId: string): string {
  return opId.replace(/\./g, '_');
}

function actHex(ints: ArrayLike<number>, lanes: number, act: ActFormat): string {
  if (ints.length % lanes) throw new Error(`internal: ${ints.length} values do not fill beats of ${lanes} lanes`);
  return hexFile(actBeats(ints, lanes, act));
}

function idHex(ids: readonly number[]): string {
  return hexFile(ids.map((t) => hexWord(BigInt(t), ID_W)));
}

/** [H, T, T] (the emulator's layout) → [T, H, T] (mx_matmul_heads' stream order: row, head, key). */
function headsToRows(x: ArrayLike<number>, H: number, T: number): Int32Array {
  const y = new Int32Array(H * T * T);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let j = 0; j < T; j++) y[(t * H + h) * T + j] = x[(h * T + t) * T + j];
  return y;
}

function sameInts(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ------------------------------------------------------------------------------ layer hardware plans

/** Ports of a layer module: one or two ACT inputs (or a token-id input) and one ACT output. */
interface Ports {
  /** Lanes of each input (`in`, or `a` and `b`); 0 = the token-id stream of the embedding. */
  ins: number[];
  out: number;
}

/** A layer module before naming: its body (with `__NAME__`), ports, dependencies and whether it takes MEM. */
interface LayerHw {
  op: Op;
  /** Sequence length the module is built for (only attention, RoPE and softmax depend on it). */
  T: number;
  body: string;
  ports: Ports;
  deps: string[];
  usesMem: boolean;
  /** mem/<layer><suffix> files (weights), by suffix. */
  mem: Record<string, string>;
  /** Files shared by every layer (the RoPE ROM, the embedding ROM). */
  shared: Record<string, string>;
}

function portDecls(p: Ports, act: ActFormat): string {
  const w = (l: number) => (l === 0 ? ID_W : l * act.w);
  const lines = ['  input  logic clk,', '  input  logic rst_n,'];
  const names = p.ins.length === 1 ? ['in'] : ['a', 'b'];
  p.ins.forEach((l, i) => lines.push(`  input  logic [${w(l) - 1}:0] ${names[i]}_data,`, `  input  logic ${names[i]}_valid,`, `  output logic ${names[i]}_ready,`));
  lines.push(`  output logic [${w(p.out) - 1}:0] out_data,`, '  output logic out_valid,', '  input  logic out_ready');
  return lines.join('\n');
}

function conns(p: Ports): string {
  const names = p.ins.length === 1 ? ['in'] : ['a', 'b'];
  return ['.clk', '.rst_n', ...names.flatMap((n) => [`.${n}_data`, `.${n}_valid`, `.${n}_ready`]), '.out_data', '.out_valid', '.out_ready'].join(', ');
}

function moduleText(comment: string, p: Ports, act: ActFormat, usesMem: boolean, inner: string, innerParams: Record<string, SvValue>, extra: string[] = []): string {
  const params = svParams(innerParams).replace(/\n {2}\)$/, extra.length ? `,\n${extra.map((e) => `    ${e}`).join(',\n')}\n  )` : '\n  )');
  return [
    `// Generated by src/core/rtl/model.ts: ${comment}`,
    `module __NAME__ ${usesMem ? '#(\n  parameter MEM = "mem/layer"\n) ' : ''}(`,
    portDecls(p, act),
    ');',
    `  ${inner} ${params} u (${conns(p)});`,
    'endmodule',
    '',
  ].join('\n');
}

// ------------------------------------------------------------------------------ the plan (no files)

interface Ctx {
  model: LoadedModel;
  graph: Graph;
  formats: ReadonlyMap<string, FormatSpec>;
  act: ActFormat;
  lanes: RtlGenerateRequest['lanes'];
}

/** GEMM lanes of an op: per-op exactly as given; the request's default capped at the op's dims; the built-in default capped by gcd. */
function gemmLanes(ctx: Ctx, op: Op, dims: { K: number; N: number; block: number }, strictT1 = false): Lanes {
  const given = ctx.lanes.perOp[op.id];
  const fail = (why: string): never => {
    throw new RtlError(op.id, why);
  };
  const check = (l: Lanes, what: string) => {
    if (l.lanesM !== undefined && l.lanesM !== 1) fail(`${what} asks for ${l.lanesM} token rows in parallel (lanesM): the generated hardware processes one row at a time`);
  };
  if (given && !strictT1) {
    check(given, 'the per-op parallelism');
    return given;
  }
  const d = ctx.lanes.default;
  if (d) check(d, 'the default parallelism');
  if (d && !strictT1) return { lanesK: Math.min(d.lanesK, dims.K), lanesN: Math.min(d.lanesN, dims.N) };
  const base = d ?? given ?? DEFAULT_GEMM_LANES;
  return { lanesK: gcd(gcd(base.lanesK, dims.K), dims.block), lanesN: gcd(base.lanesN, dims.N) };
}

function spec(ctx: Ctx, point: string): FormatSpec {
  const f = ctx.formats.get(point);
  if (!f) throw new Error(`internal: no format for ${point}`);
  return f;
}

function blockOf(s: FormatSpec, n: number): number {
  return 'block' in s ? Math.min(s.block, n) : n;
}

interface LinearPart {
  op: Op;
  plan: LinearPlan;
  lanes: Lanes;
}

/** Plan every linear; the ones whose instances differ only in the accumulator share one (widened) accumulator. */
function planLinears(ctx: Ctx, ops: readonly Op[]): Map<string, LinearPart> {
  const out = new Map<string, LinearPart>();
  for (const op of ops) {
    if (op.type !== 'linear') continue;
    const [x, w] = [spec(ctx, `${op.id}.x`), spec(ctx, `${op.id}.w`)];
    if (op.bias) throw new RtlError(op.id, 'linear biases are not wired (the LLaMA family has none)');
    const wt = ctx.model.weights.get(op.weight!);
    const [N, K] = [wt.shape[0], wt.shape[1]];
    const lanes = gemmLanes(ctx, op, { K, N, block: 'block' in x ? blockOf(x, K) : K });
    const plan = planLinear({ target: op.id, K, N, xSpec: x, wSpec: w, weights: wt.f32(), bias: null, lanes, act: ctx.act });
    out.set(op.id, { op, plan, lanes });
  }
  const groups = new Map<string, LinearPart[]>();
  for (const p of out.values()) {
    const { ACC_W: _w, ACC_LSB: _l, ...rest } = p.plan.params;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const g of groups.values()) {
    // a lower LSB and a width grown by the same amount is still exact and still never overflows
    const lsb = Math.min(...g.map((p) => p.plan.acc.lsb));
    const width = Math.max(...g.map((p) => p.plan.acc.width + (p.plan.acc.lsb - lsb)));
    for (const p of g) p.plan = { ...p.plan, params: { ...p.plan.params, ACC_W: width, ACC_LSB: lsb } };
  }
  return out;
}

/** The hardware of one op for a sequence of T tokens (T = 1 for the top level). */
function layerHw(ctx: Ctx, op: Op, T: number, linears: Map<string, LinearPart>): LayerHw {
  const c = ctx.model.config;
  const act = ctx.act;
  const D = c.hiddenSize;
  const H = c.numHeads;
  const HK = c.numKvHeads;
  const hd = c.headDim;
  const fxl = (n: number) => gcd(FX_LANES, n);
  const base = { op, T, mem: {} as Record<string, string>, shared: {} as Record<string, string> };
  switch (op.type) {
    case 'embedding': {
      const L = fxl(D);
      const table = fxTable(ctx.model.weights.get(op.weight!).f32(), act);
      return {
        ...base,
        ports: { ins: [0], out: L },
        usesMem: false,
        deps: ['top_embed'],
        shared: { 'mem/embed.rom.hex': actHex(table, L, act) },
        body: moduleText(`${op.id} (${op.label}): token id → fix(weight) row of ${D}`, { ins: [0], out: L }, act, false, 'top_embed', { ACT_W: act.w, LANES: L, D, V: c.vocabSize, ID_W, ROM_FILE: 'mem/embed.rom.hex' }),
      };
    }
    case 'norm': {
      if (c.norm !== 'rms') throw new RtlError(op.id, 'only RMSNorm is wired (LayerNorm models are not supported by the model-level generator)');
      const L = fxl(D);
      let m;
      try {
        m = fxNormModule(fxNormParams(ctx.model.weights.get(op.weight!).f32(), undefined, c.normEps, act), { d: D, lanes: L, act });
      } catch (e) {
        throw new RtlError(op.id, (e as Error).message);
      }
      const p = { ins: [L], out: L };
      return { ...base, ports: p, usesMem: true, deps: ['fx_rmsnorm'], mem: { '.w.hex': m.weights }, body: moduleText(`${op.id}-shaped RMSNorm over rows of ${D}`, p, act, true, 'fx_rmsnorm', m.params, ['.W_FILE({MEM, ".w.hex"})']) };
    }
    case 'rope': {
      const heads = op.kind === 'rope' && op.id.endsWith('rope_k') ? HK : H;
      const L = gcd(FX_LANES, hd / 2);
      if (c.ropeTheta === null) throw new RtlError(op.id, 'RoPE without rope_theta');
      const m = fxRopeModule({ heads, headDim: hd, seq: T, theta: c.ropeTheta, lanes: L, act });
      const rom = `mem/rope_T${T}.rom.hex`;
      const p = { ins: [L], out: L };
      return { ...base, ports: p, usesMem: false, deps: ['fx_rope'], shared: { [rom]: m.rom }, body: moduleText(`rotate-half RoPE, ${heads} heads of ${hd}, positions 0..${T - 1}`, p, act, false, 'fx_rope', { ...m.params, ROM_FILE: rom }) };
    }
    case 'softmax': {
      const L = fxl(T);
      const p = { ins: [L], out: L };
      return { ...base, ports: p, usesMem: false, deps: ['fx_softmax'], body: moduleText(`causal softmax, rows of ${T} keys, head_dim ${hd}`, p, act, false, 'fx_softmax', fxSoftmaxParams({ seq: T, headDim: hd, lanes: L, act })) };
    }
    case 'activation': {
      if (c.activation !== 'silu') throw new RtlError(op.id, `activation ${c.activation}: only SiLU (the LLaMA family) is wired`);
      const L = fxl(c.intermediateSize);
      const m = fxActivationModule('silu', { lanes: L, act });
      const p = { ins: [L], out: L };
      return { ...base, ports: p, usesMem: false, deps: [m.module], body: moduleText(`SiLU over rows of ${c.intermediateSize}`, p, act, false, m.module, m.params) };
    }
    case 'mul':
    case 'add': {
      const n = op.type === 'mul' ? c.intermediateSize : D;
      const L = fxl(n);
      const p = { ins: [L, L], out: L };
      const mod = op.type === 'mul' ? 'fx_mul' : 'fx_add';
      const params: Record<string, SvValue> = op.type === 'mul' ? { ACT_W: act.w, ACT_F: act.f, LANES: L } : { ACT_W: act.w, LANES: L };
      return { ...base, ports: p, usesMem: false, deps: [mod], body: moduleText(`${op.type === 'mul' ? 'SwiGLU product' : 'residual add'} over rows of ${n}`, p, act, false, mod, params) };
    }
    case 'linear': {
      const lp = linears.get(op.id)!;
      const p = { ins: [lp.plan.lanesIn], out: lp.lanes.lanesN };
      const mem: Record<string, string> = { '.codes.hex': lp.plan.roms.codes, '.exps.hex': lp.plan.roms.exps };
      return {
        ...base,
        ports: p,
        usesMem: true,
        deps: ['mx_linear'],
        mem,
        body: moduleText(`linear ${lp.plan.params.K} → ${lp.plan.params.N} (weights: MEM.codes.hex / MEM.exps.hex)`, p, act, true, 'mx_linear', lp.plan.params, [
          '.W_CODES_FILE({MEM, ".codes.hex"})',
          '.W_EXPS_FILE({MEM, ".exps.hex"})',
          '.BIAS_FILE({MEM, ".bias.hex"})',
        ]),
      };
    }
    case 'matmul': {
      const mode = op.kind === 'qk' ? 'qk' : 'pv';
      const [a, b] = [spec(ctx, `${op.id}.a`), spec(ctx, `${op.id}.b`)];
      const KRED = mode === 'qk' ? hd : T;
      const NOUT = mode === 'qk' ? T : hd;
      const blk = 'block' in a ? blockOf(a, KRED) : KRED;
      const lanes = gemmLanes(ctx, op, { K: KRED, N: NOUT, block: blk }, T === 1);
      if (lanes.lanesM !== undefined && lanes.lanesM !== 1) throw new RtlError(op.id, 'lanesM > 1 is not built');
      const plan: MatmulPlan = planMatmul({ target: op.id, mode, T, D: hd, aSpec: a, bSpec: b, lanes: { lanesK: lanes.lanesK, lanesN: lanes.lanesN }, act });
      if (H % HK) throw new RtlError(op.id, `${H} heads are not a multiple of ${HK} kv heads`);
      const p = { ins: [plan.lanesIn, plan.lanesInB], out: lanes.lanesN };
      return { ...base, ports: p, usesMem: false, deps: ['mx_matmul_heads'], body: moduleText(`${mode === 'qk' ? 'Q·Kᵀ' : 'P·V'} over ${H} heads (${HK} kv heads) of ${hd}, T = ${T}`, p, act, false, 'mx_matmul_heads', { H, HK, ...plan.params }) };
    }
    default:
      throw new RtlError(op.id, `op type ${op.type} is not built by the model-level generator`);
  }
}

// ------------------------------------------------------------------------------ testbench text

/** A self-checking testbench module around one unit (layer, block or model), vectors by NAME. */
function unitTb(mod: string, p: Ports, usesMem: boolean, act: ActFormat): string {
  const w = (l: number) => (l === 0 ? ID_W : l * act.w);
  const names = p.ins.length === 1 ? ['in'] : ['a', 'b'];
  const files = p.ins.length === 1 ? ['in'] : ['in', 'in_b'];
  const L = [
    `// Generated by src/core/rtl/model.ts: self-checking testbench of ${mod} (README "Testbench convention"):`,
    `// stimulus vectors/<NAME>.${files.join('/')}.hex, expected vectors/<NAME>.out.hex, random stalls on every side.`,
    `module tb_${mod} #(`,
    '  parameter NAME = "unit",',
    ...(usesMem ? ['  parameter MEM = "mem/unit",'] : []),
    ...files.map((f) => `  parameter int N_${f.toUpperCase()} = 1,`),
    '  parameter int N_OUT = 1,',
    '  parameter int SEED = 1',
    ') (',
    '  output logic        done,',
    '  output logic [31:0] errors',
    ');',
    '  logic clk = 1\'b0;',
    '  logic rst_n = 1\'b0;',
    '  always #5 clk = ~clk;',
    '  initial begin',
    '    repeat (3) @(posedge clk);',
    '    rst_n = 1\'b1;',
    '  end',
  ];
  p.ins.forEach((l, i) => {
    const n = names[i];
    L.push(`  logic [${w(l) - 1}:0] ${n}_data;`, `  logic ${n}_valid, ${n}_ready;`);
    L.push(`  tb_hs_source #(.W(${w(l)}), .N(N_${files[i].toUpperCase()}), .FILE({"vectors/", NAME, ".${files[i]}.hex"}), .SEED(SEED + ${3 * i})) u_src_${n} (`);
    L.push(`    .clk, .rst_n, .data(${n}_data), .valid(${n}_valid), .ready(${n}_ready), .done());`);
  });
  L.push(`  logic [${w(p.out) - 1}:0] out_data;`, '  logic out_valid, out_ready;');
  L.push(`  ${mod} ${usesMem ? '#(.MEM(MEM)) ' : ''}dut (${conns(p)});`);
  L.push(`  tb_hs_sink #(.W(${w(p.out)}), .N(N_OUT), .FILE({"vectors/", NAME, ".out.hex"}), .NAME(NAME), .SEED(SEED + 7), .ELEM_W(${act.w}), .ELEMS(${p.out}), .FIELD("y"), .MAX_CYCLES(4000000)) u_sink (`);
  L.push('    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);', 'endmodule', '');
  return L.join('\n');
}

// ------------------------------------------------------------------------------ top level text

interface Stream {
  name: string;
  lanes: number;
}

/** A small netlist writer for the top level: ACT streams, regrouping, forks, FIFOs and unit instances. */
class Netlist {
  decls: string[] = [];
  body: string[] = [];
  private n = 0;
  constructor(readonly act: ActFormat) {}

  stream(lanes: number, hint: string): Stream {
    const name = `s${this.n++}_${hint}`;
    this.decls.push(`  logic [${(lanes === 0 ? ID_W : lanes * this.act.w) - 1}:0] ${name}_data;`, `  logic ${name}_valid, ${name}_ready;`);
    return { name, lanes };
  }

  /** `src` at `lanes` lanes (through a top_regroup when they differ). */
  conn(src: Stream, lanes: number): Stream {
    if (src.lanes === lanes) return src;
    const d = this.stream(lanes, 'rg');
    this.body.push(
      `  top_regroup #(.EW(${this.act.w}), .I(${src.lanes}), .O(${lanes})) u_${d.name} (.clk, .rst_n, .in_data(${src.name}_data), .in_valid(${src.name}_valid), .in_ready(${src.name}_ready), .out_data(${d.name}_data), .out_valid(${d.name}_valid), .out_ready(${d.name}_ready));`,
    );
    return d;
  }

  fork(src: Stream, n: number, hint: string): Stream[] {
    const outs = Array.from({ length: n }, (_, i) => this.stream(src.lanes, `${hint}${i}`));
    const w = src.lanes * this.act.w;
    this.decls.push(`  logic [${w - 1}:0] ${src.name}_fk;`);
    const rev = [...outs].reverse();
    this.body.push(
      `  top_fork #(.W(${w}), .N(${n})) u_fk_${src.name} (.clk, .rst_n, .in_data(${src.name}_data), .in_valid(${src.name}_valid), .in_ready(${src.name}_ready), .out_data(${src.name}_fk), .out_valid({${rev.map((s) => `${s.name}_valid`).join(', ')}}), .out_ready({${rev.map((s) => `${s.name}_ready`).join(', ')}}));`,
    );
    for (const s of outs) this.body.push(`  assign ${s.name}_data = ${src.name}_fk;`);
    return outs;
  }

  fifo(src: Stream, depth: number, hint: string): Stream {
    const d = this.stream(src.lanes, hint);
    this.body.push(
      `  hs_fifo #(.W(${src.lanes * this.act.w}), .DEPTH(${depth})) u_${d.name} (.clk, .rst_n, .in_data(${src.name}_data), .in_valid(${src.name}_valid), .in_ready(${src.name}_ready), .out_data(${d.name}_data), .out_valid(${d.name}_valid), .out_ready(${d.name}_ready));`,
    );
    return d;
  }

  /** One unit instance: inputs regrouped to its ports, returns its output stream. */
  unit(mod: string, p: Ports, mem: string | null, ins: Stream[], hint: string): Stream {
    const names = p.ins.length === 1 ? ['in'] : ['a', 'b'];
    const ss = ins.map((s, i) => this.conn(s, p.ins[i]));
    const o = this.stream(p.out, hint);
    const c = ['.clk', '.rst_n', ...names.flatMap((n, i) => [`.${n}_data(${ss[i].name}_data)`, `.${n}_valid(${ss[i].name}_valid)`, `.${n}_ready(${ss[i].name}_ready)`]), `.out_data(${o.name}_data)`, `.out_valid(${o.name}_valid)`, `.out_ready(${o.name}_ready)`];
    this.body.push(`  ${mod} ${mem !== null ? `#(.MEM(${mem})) ` : ''}u_${hint} (${c.join(', ')});`);
    return o;
  }

  text(comment: string[], name: string, header: string, p: Ports, inS: Stream[], outS: Stream): string {
    const names = p.ins.length === 1 ? ['in'] : ['a', 'b'];
    const glue = [...names.map((n, i) => `  assign ${inS[i].name}_data = ${n}_data;\n  assign ${inS[i].name}_valid = ${n}_valid;\n  assign ${n}_ready = ${inS[i].name}_ready;`), `  assign out_data = ${outS.name}_data;\n  assign out_valid = ${outS.name}_valid;\n  assign ${outS.name}_ready = out_ready;`];
    return [...comment.map((l) => `// ${l}`), `module ${name} ${header}(`, portDecls(p, this.act), ');', ...this.decls, ...glue, ...this.body, 'endmodule', ''].join('\n');
  }
}

// ------------------------------------------------------------------------------ the generator

/** One generated layer (for tests and reports): its testbench instance and its files. */
export interface LayerInfo {
  /** Graph op id (`L0.q`, `embed`, `head`) or `block:L0` / `model` for the top level. */
  readonly op: string;
  /** Decoder block, or null outside the blocks and for the model. */
  readonly block: number | null;
  /** Testbench name (the NAME of its vectors: `vectors/<name>.*.hex`, `mem/<name>.*.hex`). */
  readonly name: string;
  /** The unit module it tests and its testbench module (`tb_<module>`) with parameters. */
  readonly module: string;
  readonly inst: TbInstance;
  /** Output beats compared. */
  readonly beats: number;
}

/** What `generateModel` returns: the design and, per layer, what its testbench runs. */
export interface ModelDesign {
  readonly design: RtlDesign;
  readonly layers: readonly LayerInfo[];
  /** Whether the top level (blocks + model) was generated (every op asked for). */
  readonly top: boolean;
}

function checkRequest(req: RtlGenerateRequest): { T: number } {
  const { model, graph, ids } = req;
  if (graph.arch !== 'llama') {
    throw new RtlError('model', `the ${graph.arch} family is not supported by the model-level RTL generator: only LLaMA (RMSNorm, RoPE, SwiGLU, no biases) is wired; GPT-2/OPT need learned positions, LayerNorm, GELU and biases in the top level`);
  }
  if (!ids.length) throw new RtlError('tokens', 'no stimulus token ids');
  for (const t of ids) if (!Number.isInteger(t) || t < 0 || t >= model.config.vocabSize) throw new RtlError('tokens', `token id ${t} is not in the vocabulary 0..${model.config.vocabSize - 1}`);
  if (ids.length > model.config.maxPositions) throw new RtlError('tokens', `${ids.length} tokens exceed the context of ${model.config.maxPositions}`);
  if (!req.ops.length) throw new RtlError('rtl', 'no ops to generate');
  const seen = new Set<string>();
  for (const id of req.ops) {
    const op = graph.opById.get(id);
    if (!op) throw new RtlError(id, 'no such op in the graph');
    if (seen.has(id)) throw new RtlError(id, 'listed twice');
    seen.add(id);
    if (!BUILT.has(op.type)) throw new RtlError(id, `op type ${op.type} is not built by the model-level generator`);
  }
  for (const id of Object.keys(req.lanes.perOp)) {
    const op = graph.opById.get(id);
    if (!op) throw new RtlError(id, 'parallelism given for an op the graph does not have');
    if (op.type !== 'linear' && op.type !== 'matmul') throw new RtlError(id, 'parallelism is only for GEMMs (linears, Q·Kᵀ, P·V)');
  }
  return { T: ids.length };
}

type Trace = Map<string, { inputs: readonly Int32Array[]; output: Int32Array }>;

function runTrace(req: RtlGenerateRequest, ids: readonly number[]): { ops: Trace; operands: Map<string, Encoded>; act: ActFormat } {
  const em = new Emulator(req.model, req.kernels ?? {});
  const ops: Trace = new Map();
  const operands = new Map<string, Encoded>();
  const hw: HwTrace = {
    op: (op, inputs, output) => ops.set(op.id, { inputs, output }),
    operand: (point, index, enc) => operands.set(`${point.id}#${index}`, enc),
  };
  try {
    em.logits(ids, req.quant, 'integer', { hw });
  } catch (e) {
    if (e instanceof EmulatorError) throw new RtlError('emulator', `the integer-mode run for the test vectors failed: ${e.message}`);
    throw e;
  }
  return { ops, operands, act: em.act };
}

/**
 * Generate the design (files, testbenches, manifest) and the per-layer testbench map. Throws
 * RtlError naming the layer before anything is produced.
 */
export async function generateModel(req: RtlGenerateRequest): Promise<ModelDesign> {
  const { T } = checkRequest(req);
  const { model, graph } = req;
  const formats = resolveConfig(graph, req.quant).formats;
  // every GEMM operand must be on the integer datapath: an fp32 / nvfp4 point is refused here, by name
  const ctx: Ctx = { model, graph, formats, act: DEFAULT_ACT, lanes: req.lanes };
  const wanted = req.ops.map((id) => graph.opById.get(id)!);
  const top = graph.ops.every((o) => req.ops.includes(o.id));

  // ---- plan every layer (all checks; no file text yet)
  const linears = planLinears(ctx, top ? graph.ops : wanted);
  const hw = wanted.map((op) => layerHw(ctx, op, T, linears));
  const hw1 = top ? graph.ops.map((op) => layerHw(ctx, op, 1, linears)) : [];

  // ---- the emulator runs: every op's ACT input/output (and the top level's single token)
  let done = 0;
  const total = wanted.length + (top ? graph.blocks.count + 1 : 0);
  const tr = runTrace(req, req.ids);
  ctx.act = tr.act;
  const tr1 = top ? runTrace(req, req.ids.slice(0, 1)) : undefined;

  const lib = library();
  const files: Record<string, string> = {};
  const modules = new Map<string, { path: string; deps: string[] }>();
  const byBody = new Map<string, string>();
  const usedNames = new Set<string>();
  const put = (path: string, text: string) => {
    if (path in files && files[path] !== text) throw new Error(`internal: two different texts for ${path}`);
    files[path] = text;
  };
  /** Register a unit module text; identical texts share one module. */
  const unitModule = (base: string, body: string, deps: string[]): string => {
    const hit = byBody.get(body);
    if (hit) return hit;
    let name = base;
    for (let i = 1; usedNames.has(name); i++) name = `${base}_${i}`;
    usedNames.add(name);
    byBody.set(body, name);
    modules.set(name, { path: `rtl/${name}.sv`, deps });
    put(`rtl/${name}.sv`, body.replace('__NAME__', name));
    return name;
  };
  const tbModules = new Set<string>();
  const tbModule = (mod: string, p: Ports, usesMem: boolean): string => {
    const name = `tb_${mod}`;
    if (!tbModules.has(name)) {
      tbModules.add(name);
      modules.set(name, { path: `tb/${name}.sv`, deps: [mod, 'tb_hs_stream'] });
      put(`tb/${name}.sv`, unitTb(mod, p, usesMem, ctx.act));
    }
    return name;
  };
  /** Files of a set of modules, closed over their dependencies. */
  const sources = (roots: string[]): string[] => {
    const seen = new Set<string>();
    const out: string[] = [];
    const visit = (m: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      const g = modules.get(m);
      if (g) {
        out.push(g.path);
        g.deps.forEach(visit);
        return;
      }
      const l = lib.get(m);
      if (!l) throw new Error(`internal: unknown module ${m}`);
      put(l.path, l.text);
      out.push(l.path);
      l.deps.forEach(visit);
    };
    roots.forEach(visit);
    return [...new Set(out)].sort();
  };
  const moduleOf = (h: LayerHw) => unitModule(`lyr_${h.op.kind}`, h.body, h.deps);

  // ---- per layer: module, memories, vectors, testbench
  const layers: LayerInfo[] = [];
  const act = ctx.act;
  const c = model.config;
  let seed = 1;
  for (const h of hw) {
    const op = h.op;
    const name = layerName(op.id);
    const t = tr.ops.get(op.id);
    if (!t) throw new Error(`internal: the emulator reported no ${op.id}`);
    const mod = moduleOf(h);
    const tbm = tbModule(mod, h.ports, h.usesMem);
    for (const [sfx, text] of Object.entries(h.mem)) put(`mem/${name}${sfx}`, text);
    for (const [p, text] of Object.entries(h.shared)) put(p, text);
    let ins: Int32Array[] | null = null;
    let out = t.output;
    let idsIn: number[] | null = null;
    if (op.type === 'embedding') idsIn = [...req.ids];
    else if (op.type === 'matmul') {
      const [a, b] = t.inputs;
      if (op.kind === 'qk') {
        ins = [a, b];
        out = headsToRows(t.output, c.numHeads, T);
      } else {
        ins = [headsToRows(a, c.numHeads, T), b];
      }
      checkMatmul(ctx, op, T, t.inputs, t.output);
    } else {
      ins = [...t.inputs];
      if (op.type === 'linear') checkLinear(ctx, op, linears.get(op.id)!, t.inputs[0], T, t.output, tr.operands);
    }
    const params: Record<string, SvValue> = { NAME: name, ...(h.usesMem ? { MEM: `mem/${name}` } : {}) };
    const inFiles = h.ports.ins.length === 1 ? ['in'] : ['in', 'in_b'];
    if (idsIn) {
      put(`vectors/${name}.in.hex`, idHex(idsIn));
      params.N_IN = idsIn.length;
    } else {
      ins!.forEach((x, i) => {
        put(`vectors/${name}.${inFiles[i]}.hex`, actHex(x, h.ports.ins[i], act));
        params[`N_${inFiles[i].toUpperCase()}`] = x.length / h.ports.ins[i];
      });
    }
    put(`vectors/${name}.out.hex`, actHex(out, h.ports.out, act));
    params.N_OUT = out.length / h.ports.out;
    params.SEED = seed++;
    layers.push({ op: op.id, block: op.layer, name, module: mod, inst: { module: tbm, params }, beats: out.length / h.ports.out });
    req.onProgress?.(++done, total, op.id);
  }

  // ---- top level: one decoder block, the model
  if (top && tr1) {
    const mod1 = new Map(hw1.map((h) => [h.op.id, { h, mod: moduleOf(h) }]));
    for (const h of hw1) for (const [p, text] of Object.entries(h.shared)) put(p, text);
    const D = c.hiddenSize;
    const L = gcd(FX_LANES, D);
    const blockMods: string[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const u = (kind: string) => mod1.get(`L${i}.${kind}`)!;
      const n = new Netlist(act);
      const p: Ports = { ins: [L], out: L };
      const inS = n.stream(L, 'in');
      const [h1, h2] = n.fork(inS, 2, 'h');
      const res = n.fifo(h2, D / L, 'res1');
      const run = (kind: string, ins: Stream[]) => {
        const x = u(kind);
        return n.unit(x.mod, x.h.ports, x.h.usesMem ? `{MEM, "${kind}"}` : null, ins, kind);
      };
      const n1 = run('norm1', [h1]);
      const [nq, nk, nv] = n.fork(n1, 3, 'n1_');
      const q = run('rope_q', [run('q', [nq])]);
      const k = run('rope_k', [run('k', [nk])]);
      const v = run('v', [nv]);
      const pr = run('softmax', [run('qk', [q, k])]);
      const o = run('o', [run('pv', [pr, v])]);
      const r1 = run('res1', [res, o]);
      const [x1, x2] = n.fork(r1, 2, 'r1_');
      const res2 = n.fifo(x2, D / L, 'res2');
      const [ng, nu] = n.fork(run('norm2', [x1]), 2, 'n2_');
      const m = run('mul', [run('act', [run('gate', [ng])]), run('up', [nu])]);
      const outS = run('res2', [res2, run('down', [m])]);
      const used = new Set(['fx_add', 'hs_fifo', 'top_fork', 'top_regroup', ...[...mod1.entries()].filter(([id]) => id.startsWith(`L${i}.`)).map(([, x]) => x.mod)]);
      const body = n.text(
        [
          'Generated by src/core/rtl/model.ts: one LLaMA decoder block for one token (T = 1), as a dataflow',
          'pipeline of the layer modules: norm1 → q/k/v → RoPE → Q·Kᵀ → softmax → P·V → o → residual add →',
          'norm2 → gate/up → SiLU·up → down → residual add. Forks hand every beat to every consumer; each',
          'residual path is a FIFO holding a whole row (the add waits for o/down, which need the full row),',
          'so the fork never blocks; lane counts are matched by top_regroup. Weights: MEM + layer name.',
        ],
        '__NAME__',
        '#(\n  parameter MEM = "mem/L0_"\n) ',
        p,
        [inS],
        outS,
      );
      blockMods.push(unitModule('top_block', body, [...used]));
    }
    // the model: embedding → blocks → final norm → head
    const n = new Netlist(act);
    const e = mod1.get('embed')!;
    const inS = n.stream(0, 'tok');
    let hS = n.unit(e.mod, e.h.ports, null, [inS], 'embed');
    blockMods.forEach((bm, i) => {
      hS = n.unit(bm, { ins: [L], out: L }, `"mem/L${i}_"`, [hS], `blk${i}`);
    });
    const nf = mod1.get('normf')!;
    hS = n.unit(nf.mod, nf.h.ports, '"mem/normf"', [hS], 'normf');
    const hd = mod1.get('head')!;
    const outS = n.unit(hd.mod, hd.h.ports, '"mem/head"', [hS], 'head');
    const mp: Ports = { ins: [0], out: hd.h.ports.out };
    const modelText = n.text(
      ['Generated by src/core/rtl/model.ts: the whole model for one token: token id → embedding ROM →', `${c.numLayers} decoder blocks → final RMSNorm → LM head → logits row (${c.vocabSize} ACT values).`],
      'top_model',
      '',
      mp,
      [inS],
      outS,
    );
    usedNames.add('top_model');
    modules.set('top_model', { path: 'rtl/top_model.sv', deps: [e.mod, ...blockMods, nf.mod, hd.mod, 'top_regroup'] });
    put('rtl/top_model.sv', modelText);

    // block testbenches (block input row → block output row) and the model testbench (token → logits)
    for (let i = 0; i < c.numLayers; i++) {
      const name = `blk_L${i}`;
      const x = tr1.ops.get(`L${i}.norm1`)!.inputs[0];
      const y = tr1.ops.get(`L${i}.res2`)!.output;
      const tbm = tbModule(blockMods[i], { ins: [L], out: L }, true);
      put(`vectors/${name}.in.hex`, actHex(x, L, act));
      put(`vectors/${name}.out.hex`, actHex(y, L, act));
      layers.push({ op: `block:L${i}`, block: i, name, module: blockMods[i], inst: { module: tbm, params: { NAME: name, MEM: `mem/L${i}_`, N_IN: x.length / L, N_OUT: y.length / L, SEED: seed++ } }, beats: y.length / L });
      req.onProgress?.(++done, total, `L${i} (block)`);
    }
    const logits = tr1.ops.get('head')!.output;
    const tbm = tbModule('top_model', mp, false);
    put('vectors/model.in.hex', idHex([req.ids[0]]));
    put('vectors/model.out.hex', actHex(logits, mp.out, act));
    layers.push({ op: 'model', block: null, name: 'model', module: 'top_model', inst: { module: tbm, params: { NAME: 'model', N_IN: 1, N_OUT: logits.length / mp.out, SEED: seed } }, beats: logits.length / mp.out });
    req.onProgress?.(done + 1, total, 'model');
  }

  // ---- testbench runs: one per layer, block and the model (a wrapper top that ends the simulation)
  const testbenches: RtlTestbench[] = [];
  for (const l of layers) {
    const top = `tb_${l.name}`;
    const path = `tb/${top}.sv`;
    put(path, wrapperTop(top, [l.inst]));
    testbenches.push({ name: l.name, top, sources: [...sources([l.inst.module]), path].sort() });
  }

  const manifest = {
    generator: 'src/core/rtl/model.ts',
    model: { name: model.name, family: graph.arch, layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, kv_heads: c.numKvHeads, head_dim: c.headDim, vocab: c.vocabSize },
    act: { w: act.w, f: act.f },
    emulator: { mode: 'integer', act: { w: act.w, f: act.f }, quant: req.quant },
    stimulus: { token_ids: [...req.ids], tokens: T, top_level_tokens: top ? [req.ids[0]] : [] },
    top_level: top ? { model: 'top_model', blocks: [...new Set(layers.filter((l) => l.op.startsWith('block:')).map((l) => l.module))], tokens: 1 } : null,
    layers: layers.map((l) => {
      const op = graph.opById.get(l.op);
      const lp = linears.get(l.op);
      return {
        op: l.op,
        testbench: l.name,
        module: l.module,
        beats: l.beats,
        formats: op ? Object.fromEntries(op.points.map((p) => [p, formatToString(formats.get(p)!)])) : undefined,
        lanes: lp ? { lanesK: lp.lanes.lanesK, lanesN: lp.lanes.lanesN, lanesIn: lp.plan.lanesIn } : undefined,
        accumulator: lp ? { width: lp.plan.params.ACC_W, lsb: lp.plan.params.ACC_LSB } : undefined,
      };
    }),
    fx_lanes: FX_LANES,
    tools: { verilator: '>= 5.006 (--binary --timing)', icarus: '>= 11 (-g2012)' },
  };
  // ---- `make synth`: each layer module once, with the weights of the first layer that uses it (the
  // block and model tops would put every weight of the model into LUT ROMs: not a useful synthesis)
  const synthTops: RtlSynthTop[] = [];
  const synthSeen = new Set<string>();
  for (const l of layers) {
    if (l.op === 'model' || l.op.startsWith('block:') || synthSeen.has(l.module)) continue;
    synthSeen.add(l.module);
    const mem = l.inst.params.MEM;
    synthTops.push(typeof mem === 'string' ? { top: l.module, params: { MEM: mem } } : { top: l.module });
  }
  return { design: { files, testbenches, manifest, synthTops }, layers, top };
}

/** The linear's vectors agree with the contract: the emulator's weight encoding is the ROM's, and the reference reproduces its output. */
function checkLinear(ctx: Ctx, op: Op, lp: LinearPart, x: Int32Array, T: number, y: Int32Array, operands: Map<string, Encoded>): void {
  const w = operands.get(`${op.id}.w#0`);
  if (!w || !sameInts(w.elements, lp.plan.wEnc.elements) || !sameInts(w.scales, lp.plan.wEnc.scales)) throw new Error(`internal: ${op.id}: the emulator's weight encoding differs from the ROM's`);
  const ref = linearReference(x, T, lp.plan.params.K as number, spec(ctx, `${op.id}.x`), lp.plan.wEnc, null, ctx.act);
  if (!sameInts(ref, y)) throw new Error(`internal: ${op.id}: the emulator's output differs from the linear reference`);
}

function checkMatmul(ctx: Ctx, op: Op, T: number, ins: readonly Int32Array[], y: Int32Array): void {
  const c = ctx.model.config;
  const [H, HK, hd] = [c.numHeads, c.numKvHeads, c.headDim];
  const mode = op.kind === 'qk' ? 'qk' : 'pv';
  const [a, b] = ins;
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / HK));
    const bh = new Int32Array(T * hd);
    for (let t = 0; t < T; t++) bh.set(b.subarray(t * HK * hd + g * hd, t * HK * hd + (g + 1) * hd), t * hd);
    let ah: Int32Array;
    if (mode === 'qk') {
      ah = new Int32Array(T * hd);
      for (let t = 0; t < T; t++) ah.set(a.subarray(t * H * hd + h * hd, t * H * hd + (h + 1) * hd), t * hd);
    } else ah = a.subarray(h * T * T, (h + 1) * T * T);
    const r = matmulReference(mode, T, hd, ah, bh, spec(ctx, `${op.id}.a`), spec(ctx, `${op.id}.b`), ctx.act);
    let want: Int32Array;
    if (mode === 'qk') want = y.subarray(h * T * T, (h + 1) * T * T);
    else {
      want = new Int32Array(T * hd);
      for (let t = 0; t < T; t++) want.set(y.subarray(t * H * hd + h * hd, t * H * hd + (h + 1) * hd), t * hd);
    }
    if (!sameInts(r, want)) throw new Error(`internal: ${op.id} head ${h}: the emulator's output differs from the matmul reference`);
  }
}

/** The model-level generator (MODEL_GENERATOR in bundle.ts). */
export const modelGenerator: RtlGenerator = {
  supports: (op) => BUILT.has(op.type),
  generate: async (req) => (await generateModel(req)).design,
};
