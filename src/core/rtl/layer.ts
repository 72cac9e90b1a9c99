/**
 * The per-layer RTL generator for GEMM ops: one graph op (a linear, or an attention matmul Q·Kᵀ /
 * P·V), its resolved formats, its parallelism and the model's weights → a uniquely named layer
 * module over the MX component library, its weight memory images, and (given stimulus from an
 * integer-mode emulator run) a self-checking testbench with its vectors.
 *
 * Every check runs before any file text is made; a request that cannot be built throws RtlError
 * naming the layer and the reason (not a GEMM op, an unsupported format such as fp32/nvfp4/fixed,
 * blocks along K that differ, parallelism that does not divide the tensor, stimulus of the wrong
 * shape, …).
 *
 * Layer interface (all layers, so a top level can chain them with the fx_* modules):
 *   clk, rst_n; ACT stream(s) in → ACT stream out (src/core/rtl/README.md "Stream interfaces").
 *   linear  in  [T, K] rows, IN lanes per beat          → out [T, N] rows, lanesN per beat
 *   qk      a = Q [T, H·hd], b = K [T, Hk·hd]           → scores in (t, head, key) order [T, H, T]
 *                                                          (masked entries 0), lanesN per beat
 *   pv      a = P in (t, head, key) order [T, H, T],    → out [T, H·hd] rows, lanesN per beat
 *           b = V [T, Hk·hd]
 * The emulator's attention tensors are head-major [H, T, T]; the streams are token-major, which is
 * what a causal pipeline produces. T (tokens per sequence) is a parameter of the attention layers.
 *
 * Ring 1: no DOM, no Node built-ins. Returns file texts; tools/rtl/sim.ts runs them.
 */
import { FP32, formatToString, type FormatSpec } from '../formats';
import { DEFAULT_ACT, type ActFormat } from '../datapath';
import type { Graph, Op } from '../graph';
import type { LoadedModel } from '../model/types';
import { RtlError } from './errors';
import { hexFile } from './hex';
import { MX_LIBRARY } from './mxLibrary';
import { biasValues, linearReference, planLinear, type LinearPlan } from './mxLinear';
import { matmulReference, planMatmul, type MatmulPlan } from './mxMatmul';
import { actBeats, svParams, type SvValue } from './tbgen';

/** Parallelism of one GEMM layer (per head for attention). */
export interface LayerLanes {
  /** Products along the reduction axis per clock and output column. */
  lanesK: number;
  /** Output columns per clock (the output stream's lanes). */
  lanesN: number;
  /** Input lanes (linear x; attention a = Q or P). Default gcd(lanesK, block). */
  lanesIn?: number;
  /** Attention b (K or V) input lanes. Default: qk gcd(lanesK, block), pv gcd(lanesK, hd). */
  lanesInB?: number;
}

/** The op's tensors from an integer-mode emulator run (src/core/emulate HwTrace `op`). */
export interface LayerStimulus {
  /** ACT inputs in `op.inputs` order, shaped as the graph's tensors (attention P: [H, T, T]). */
  inputs: readonly Int32Array[];
  /** The emulator's ACT output, if known: checked against the twin (they must agree bit for bit). */
  output?: Int32Array;
}

export interface LayerRequest {
  graph: Graph;
  /** The op id (`L0.q`, `L2.qk`, `head`). */
  op: string;
  /** Resolved format of every quant point (graph `resolveConfig(graph, config).formats`). */
  formats: ReadonlyMap<string, FormatSpec>;
  lanes: LayerLanes;
  /** Weights (linears); attention layers read none. */
  model: Pick<LoadedModel, 'weights'>;
  /** Tokens per sequence: the attention layers' T; for linears, the stimulus rows (optional). */
  T?: number;
  /** With stimulus the result includes a testbench and its vectors. */
  stimulus?: LayerStimulus;
  act?: ActFormat;
  /** Seed of the testbench's random stalls. */
  seed?: number;
}

export interface LayerResult {
  /** path → text: rtl/*.sv (the layer module + the library modules it needs), mem/*.hex, tb/*.sv, vectors/*.hex. */
  files: Record<string, string>;
  /** The layer module's name (unique per op: `layer_<op id>`). */
  module: string;
  /** Its ports' stream lanes. */
  ports: { inLanes: number; inLanesB?: number; outLanes: number };
  /** The self-checking testbench (when stimulus was given): its top module and sources, in compile order. */
  testbench?: { name: string; top: string; sources: string[] };
  manifest: {
    op: string;
    kind: 'linear' | 'qk' | 'pv';
    formats: Record<string, string>;
    lanes: LayerLanes;
    T?: number;
    accumulator: { lsb: number; width: number };
    params: Record<string, SvValue>;
  };
}

/** The module-name stem of an op id: `L0.q` → `L0_q`. */
export function layerStem(op: string): string {
  return op.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Whether layer.ts builds this op (linears and attention matmuls). */
export function isGemmOp(op: Op): boolean {
  return op.type === 'linear' || op.type === 'matmul';
}

function fmt(formats: ReadonlyMap<string, FormatSpec>, point: string): FormatSpec {
  return formats.get(point) ?? FP32;
}

function libFiles(...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const all = new Set<string>();
  for (const n of names) {
    all.add(n);
    for (const d of MX_LIBRARY[n].deps) all.add(d);
  }
  for (const n of [...all].sort()) out[(MX_LIBRARY[n].kind === 'tb' ? 'tb/' : 'rtl/') + MX_LIBRARY[n].file] = MX_LIBRARY[n].text;
  return out;
}

function streamPorts(prefix: string, lanes: number, dir: 'in' | 'out', actW: number): string[] {
  return dir === 'in'
    ? [`input  logic [${lanes * actW - 1}:0] ${prefix}_data`, `input  logic ${prefix}_valid`, `output logic ${prefix}_ready`]
    : [`output logic [${lanes * actW - 1}:0] ${prefix}_data`, `output logic ${prefix}_valid`, `input  logic ${prefix}_ready`];
}

/** [H, T, R] head-major → (t, h, r) token-major stream order. */
function tokenMajor(x: Int32Array, H: number, T: number, R: number): Int32Array {
  const out = new Int32Array(x.length);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) out.set(x.subarray((h * T + t) * R, (h * T + t + 1) * R), (t * H + h) * R);
  return out;
}

/** Columns [c0, c0 + w) of a row-major [R, C] tensor. */
function cols(x: Int32Array, R: number, C: number, c0: number, w: number): Int32Array {
  const out = new Int32Array(R * w);
  for (let r = 0; r < R; r++) out.set(x.subarray(r * C + c0, r * C + c0 + w), r * w);
  return out;
}

/**
 * Generate one GEMM layer. Throws RtlError (naming the layer and the reason) before producing any
 * file when the request cannot be built; an Error when the stimulus's emulator output disagrees
 * with the twin (that would be a bug in one of them).
 */
export function generateLayer(req: LayerRequest): LayerResult {
  const { graph, formats, lanes } = req;
  const act = req.act ?? DEFAULT_ACT;
  const op = graph.opById.get(req.op);
  if (!op) throw new RtlError(String(req.op), `no op with this id in the graph (ops with GEMMs: ${graph.ops.filter(isGemmOp).map((o) => o.id).slice(0, 8).join(', ')}, …)`);
  if (!isGemmOp(op)) throw new RtlError(op.id, `a ${op.type} op is not a GEMM: layer.ts builds linear and matmul ops (the fixed-point components cover the rest)`);
  const stem = layerStem(op.id);
  const module = `layer_${stem}`;
  const tbName = `tb_layer_${stem}`;
  const c = graph.config;
  const fail = (why: string): never => {
    throw new RtlError(op.id, why);
  };

  if (op.type === 'linear') {
    // ---------------------------------------------------------------- linear
    const wName = op.weight!;
    const w = wName === 'head.w' && !req.model.weights.has('head.w') && c.tiedEmbeddings ? req.model.weights.get('embed') : req.model.weights.get(wName);
    const [N, K] = w.shape;
    const xSpec = fmt(formats, `${op.id}.x`);
    const wSpec = fmt(formats, `${op.id}.w`);
    let bias: Float32Array | null = null;
    if (op.bias) bias = biasValues(req.model.weights.get(op.bias).f32(), fmt(formats, `${op.id}.bias`));
    let T = req.T;
    let x: Int32Array | undefined;
    if (req.stimulus) {
      const ins = req.stimulus.inputs;
      if (ins.length !== 1 || ins[0].length % K !== 0) fail(`stimulus must be one ACT tensor [T, ${K}] (got ${ins.length} input(s) of ${ins.map((a) => a.length).join(', ')} values)`);
      x = ins[0];
      const rows = x.length / K;
      if (T !== undefined && T !== rows) fail(`T = ${T} but the stimulus holds ${rows} rows`);
      T = rows;
      if (T < 1) fail('stimulus has no rows');
    }
    const plan: LinearPlan = planLinear({ target: op.id, K, N, xSpec, wSpec, weights: w.f32(), bias, lanes, act });
    const mem = (kind: string) => `mem/${stem}.${kind}.hex`;
    const params: Record<string, SvValue> = { ...plan.params, W_CODES_FILE: mem('codes'), W_EXPS_FILE: mem('exps'), BIAS_FILE: mem('bias') };
    const lanesN = lanes.lanesN;
    const text = [
      `// Generated by src/core/rtl/layer.ts: ${op.id} (${op.label}), y = x·Wᵀ${bias ? ' + b' : ''} with W [${N}, ${K}].`,
      `// x: ${formatToString(xSpec)}; W: ${formatToString(wSpec)}${bias ? `; bias: ${formatToString(fmt(formats, `${op.id}.bias`))}` : ''}.`,
      `// Lanes: ${plan.lanesIn} in, lanesK ${lanes.lanesK}, lanesN ${lanesN} (= out lanes). Exact accumulator: ${plan.acc.width} bits, LSB 2^${plan.acc.lsb}.`,
      `// Weight images: ${mem('codes')}, ${mem('exps')}${bias ? `, ${mem('bias')}` : ''} ($readmemh, relative to the simulation's working directory).`,
      `module ${module} (`,
      '  ' + ['input  logic clk', 'input  logic rst_n', ...streamPorts('in', plan.lanesIn, 'in', act.w), ...streamPorts('out', lanesN, 'out', act.w)].join(',\n  '),
      ');',
      `  mx_linear ${svParams(params)} u_gemm (`,
      '    .clk, .rst_n, .in_data, .in_valid, .in_ready, .out_data, .out_valid, .out_ready',
      '  );',
      'endmodule',
      '',
    ].join('\n');
    const files: Record<string, string> = { [`rtl/${module}.sv`]: text, ...libFiles('mx_linear'), [mem('codes')]: plan.roms.codes, [mem('exps')]: plan.roms.exps };
    if (plan.roms.bias) files[mem('bias')] = plan.roms.bias;
    const result: LayerResult = {
      files,
      module,
      ports: { inLanes: plan.lanesIn, outLanes: lanesN },
      manifest: {
        op: op.id,
        kind: 'linear',
        formats: { x: formatToString(xSpec), w: formatToString(wSpec), ...(op.bias ? { bias: formatToString(fmt(formats, `${op.id}.bias`)) } : {}) },
        lanes,
        T,
        accumulator: { lsb: plan.acc.lsb, width: plan.acc.width },
        params,
      },
    };
    if (x && T !== undefined) {
      const y = linearReference(x, T, K, xSpec, plan.wEnc, bias, act);
      checkAgainstEmulator(op.id, y, req.stimulus!.output);
      addTestbench(result, tbName, module, plan.lanesIn, undefined, lanesN, actBeats(x, plan.lanesIn, act), undefined, actBeats(y, lanesN, act), req.seed ?? 1, act);
    }
    return result;
  }

  // ---------------------------------------------------------------- attention matmul
  const mode = op.kind === 'qk' ? 'qk' : op.kind === 'pv' ? 'pv' : fail(`matmul kind ${op.kind} is not an attention GEMM (qk or pv)`);
  const H = c.numHeads;
  const Hk = c.numKvHeads;
  const hd = c.headDim;
  if (H % Hk !== 0) fail(`${H} heads are not a multiple of ${Hk} kv heads`);
  const aSpec = fmt(formats, `${op.id}.a`);
  const bSpec = fmt(formats, `${op.id}.b`);
  let T = req.T;
  let a: Int32Array | undefined;
  let b: Int32Array | undefined;
  if (req.stimulus) {
    const ins = req.stimulus.inputs;
    if (ins.length !== 2) fail(`stimulus must be two ACT tensors (${mode === 'qk' ? 'Q and K' : 'P and V'}), got ${ins.length}`);
    const rows = ins[1].length / (Hk * hd);
    if (!Number.isInteger(rows) || rows < 1) fail(`stimulus ${mode === 'qk' ? 'K' : 'V'} must be [T, ${Hk * hd}] (got ${ins[1].length} values)`);
    const wantA = mode === 'qk' ? rows * H * hd : H * rows * rows;
    if (ins[0].length !== wantA) fail(`stimulus ${mode === 'qk' ? `Q must be [${rows}, ${H * hd}]` : `P must be [${H}, ${rows}, ${rows}]`} (got ${ins[0].length} values)`);
    if (T !== undefined && T !== rows) fail(`T = ${T} but the stimulus holds ${rows} tokens`);
    T = rows;
    a = ins[0];
    b = ins[1];
  }
  if (T === undefined) fail('attention layers need T (tokens per sequence) or stimulus');
  const plan: MatmulPlan = planMatmul({ target: op.id, mode, T: T!, D: hd, aSpec, bSpec, lanes, act });
  const params: Record<string, SvValue> = { H, HK: Hk, ...plan.params };
  const text = [
    `// Generated by src/core/rtl/layer.ts: ${op.id} (${op.label}) over ${H} heads (${Hk} kv heads), head_dim ${hd}, T = ${T}.`,
    `// ${mode === 'qk' ? 'a = Q' : 'a = P'}: ${formatToString(aSpec)}; ${mode === 'qk' ? 'b = K' : 'b = V'}: ${formatToString(bSpec)}.`,
    `// Per head: lanesK ${lanes.lanesK}, lanesN ${lanes.lanesN}; a ${plan.lanesIn} lanes, b ${plan.lanesInB} lanes. Exact accumulator: ${plan.acc.width} bits, LSB 2^${plan.acc.lsb}.`,
    mode === 'qk'
      ? '// Streams: a = Q [T, H·hd], b = K [T, Hk·hd] → scores in (t, head, key) order [T, H, T], masked entries 0.'
      : '// Streams: a = P in (t, head, key) order [T, H, T], b = V [T, Hk·hd] → out [T, H·hd].',
    `module ${module} (`,
    '  ' + ['input  logic clk', 'input  logic rst_n', ...streamPorts('a', plan.lanesIn, 'in', act.w), ...streamPorts('b', plan.lanesInB, 'in', act.w), ...streamPorts('out', lanes.lanesN, 'out', act.w)].join(',\n  '),
    ');',
    `  mx_matmul_heads ${svParams(params)} u_heads (`,
    '    .clk, .rst_n, .a_data, .a_valid, .a_ready, .b_data, .b_valid, .b_ready, .out_data, .out_valid, .out_ready',
    '  );',
    'endmodule',
    '',
  ].join('\n');
  const result: LayerResult = {
    files: { [`rtl/${module}.sv`]: text, ...libFiles('mx_matmul_heads') },
    module,
    ports: { inLanes: plan.lanesIn, inLanesB: plan.lanesInB, outLanes: lanes.lanesN },
    manifest: { op: op.id, kind: mode, formats: { a: formatToString(aSpec), b: formatToString(bSpec) }, lanes, T, accumulator: { lsb: plan.acc.lsb, width: plan.acc.width }, params },
  };
  if (a && b) {
    const Tn = T!;
    const rep = H / Hk;
    const NOUT = mode === 'qk' ? Tn : hd;
    const y = new Int32Array(H * Tn * NOUT); // head-major, as the emulator reports it
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / rep);
      const ah = mode === 'qk' ? cols(a, Tn, H * hd, h * hd, hd) : a.subarray(h * Tn * Tn, (h + 1) * Tn * Tn);
      const bg = cols(b, Tn, Hk * hd, g * hd, hd);
      const yh = matmulReference(mode, Tn, hd, ah, bg, aSpec, bSpec, act);
      if (mode === 'qk') y.set(yh, h * Tn * Tn);
      else for (let t = 0; t < Tn; t++) y.set(yh.subarray(t * hd, (t + 1) * hd), t * H * hd + h * hd);
    }
    checkAgainstEmulator(op.id, y, req.stimulus!.output);
    // streams are token-major: P and the scores as (t, head, key)
    const aStream = mode === 'qk' ? a : tokenMajor(a, H, Tn, Tn);
    const yStream = mode === 'qk' ? tokenMajor(y, H, Tn, Tn) : y;
    addTestbench(result, tbName, module, plan.lanesIn, plan.lanesInB, lanes.lanesN, actBeats(aStream, plan.lanesIn, act), actBeats(b, plan.lanesInB, act), actBeats(yStream, lanes.lanesN, act), req.seed ?? 1, act);
  }
  return result;
}

function checkAgainstEmulator(op: string, twin: Int32Array, emu: Int32Array | undefined): void {
  if (!emu) return;
  if (emu.length !== twin.length) throw new Error(`${op}: the emulator's output has ${emu.length} values, the twin's ${twin.length}`);
  for (let i = 0; i < twin.length; i++) {
    if (emu[i] !== twin[i]) throw new Error(`${op}: the emulator's ACT output differs from the datapath twin at [${i}] (${emu[i]} vs ${twin[i]}): the integer mode and the RTL reference disagree`);
  }
}

/**
 * The layer's self-checking testbench: `<name>_run` (sources, DUT, sink; ports done/errors, so a
 * wrapper can run several layers in one simulator build) and `<name>`, the standalone top that runs
 * it and ends with $finish, or $fatal on any mismatch.
 */
function addTestbench(res: LayerResult, name: string, module: string, inA: number, inB: number | undefined, outL: number, aBeats: string[], bBeats: string[] | undefined, yBeats: string[], seed: number, act: ActFormat): void {
  const W = act.w;
  const two = bBeats !== undefined;
  const lines = [
    `// Generated by src/core/rtl/layer.ts: self-checking testbench of ${module} (README "Testbench convention").`,
    `// Stimulus: vectors/${name}.in.hex${two ? ` and .in_b.hex` : ''} (an integer-mode emulator run); expected: vectors/${name}.out.hex`,
    '// (the datapath twin: encode + blockGemm + fix). Random stalls on every stream.',
    `module ${name}_run (`,
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
    `  logic [${inA * W - 1}:0] a_data;`,
    `  logic [${outL * W - 1}:0] out_data;`,
    '  logic a_valid, a_ready, a_done, out_valid, out_ready;',
    `  tb_hs_source #(.W(${inA * W}), .N(${aBeats.length}), .FILE("vectors/${name}.in.hex"), .SEED(${seed})) u_src (`,
    '    .clk, .rst_n, .data(a_data), .valid(a_valid), .ready(a_ready), .done(a_done));',
  ];
  if (two) {
    lines.push(
      `  logic [${inB! * W - 1}:0] b_data;`,
      '  logic b_valid, b_ready, b_done;',
      `  tb_hs_source #(.W(${inB! * W}), .N(${bBeats!.length}), .FILE("vectors/${name}.in_b.hex"), .SEED(${seed + 3})) u_srcb (`,
      '    .clk, .rst_n, .data(b_data), .valid(b_valid), .ready(b_ready), .done(b_done));',
      `  ${module} dut (.clk, .rst_n, .a_data, .a_valid, .a_ready, .b_data, .b_valid, .b_ready, .out_data, .out_valid, .out_ready);`,
    );
  } else {
    lines.push(`  ${module} dut (.clk, .rst_n, .in_data(a_data), .in_valid(a_valid), .in_ready(a_ready), .out_data, .out_valid, .out_ready);`);
  }
  lines.push(
    `  tb_hs_sink #(.W(${outL * W}), .N(${yBeats.length}), .FILE("vectors/${name}.out.hex"), .NAME("${name}"), .SEED(${seed + 7}),`,
    `    .ELEM_W(${W}), .ELEMS(${outL}), .FIELD("y"), .MAX_CYCLES(${Math.max(1_000_000, yBeats.length * 4000)})) u_sink (`,
    '    .clk, .rst_n, .data(out_data), .valid(out_valid), .ready(out_ready), .done, .errors);',
    'endmodule',
    '',
    `module ${name};`,
    '  logic done;',
    '  logic [31:0] errors;',
    `  ${name}_run u_run (.done, .errors);`,
    '  initial begin',
    '    wait (done);',
    `    if (errors != 0) $fatal(1, "${name}: %0d mismatches", errors);`,
    '    $finish;',
    '  end',
    'endmodule',
    '',
  );
  res.files[`tb/${name}.sv`] = lines.join('\n');
  Object.assign(res.files, libFiles('tb_hs_stream'));
  res.files[`vectors/${name}.in.hex`] = hexFile(aBeats);
  if (two) res.files[`vectors/${name}.in_b.hex`] = hexFile(bBeats!);
  res.files[`vectors/${name}.out.hex`] = hexFile(yBeats);
  const sources = Object.keys(res.files).filter((p) => p.endsWith('.sv')).sort();
  res.testbench = { name, top: name, sources };
}
