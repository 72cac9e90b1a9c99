/**
 * The fixed-point (non-GEMM) component library as text: every fx_*.sv of components/ and its
 * testbench in tb/, with parameter lists and dependencies (the same SvComponent shape as
 * mxLibrary.ts), plus the parameter values and ROM images the generator needs for one op of a model,
 * computed from the TypeScript twin (src/core/datapath/fixed.ts) so RTL and twin share one source.
 *
 * | module | op (fixed.ts) | ports |
 * |---|---|---|
 * | fx_add | residual add, learned positions (fxAdd) | a, b → out (ACT streams) |
 * | fx_mul | SwiGLU gate·up (fxMul) | a, b → out |
 * | fx_silu, fx_gelu (ERF 0/1), fx_act (KIND 0–3: SiLU, gelu_new, gelu erf, ReLU) | fxSilu, fxGeluNew, fxGelu, fxRelu | in → out |
 * | fx_softmax | causal softmax of unscaled scores, scale inside (fxSoftmaxRow) | in → out, rows of SEQ |
 * | fx_rmsnorm, fx_layernorm (fx_norm LAYER 0/1) | fxRmsNorm, fxLayerNorm | in → out, rows of D |
 * | fx_rope | rotate-half RoPE (fxRope) | in → out, rows of HEADS·HD |
 * | fx_cdf_rom, fx_exp2_rom (generated), fx_divu, fx_isqrt | tables, per-row division / square root | internal |
 *
 * Every stream port is `<p>_data [LANES*ACT_W-1:0]`, `<p>_valid`, `<p>_ready` (README "Stream
 * interfaces"), plus `clk` and synchronous active-low `rst_n`. Self-contained: the testbenches use
 * their own stream source/sink (tb_fx_stream.sv), the same protocol as the MX library's.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { attentionScaleConst, checkAct, DEFAULT_ACT, fxRopeTables, type ActFormat, type FxNormParams } from '../../datapath';
import { normBiasImage, normWeightImage, ropeRomImage } from './fxRoms';
import fxAdd from './fx_add.sv';
import fxMul from './fx_mul.sv';
import fxAct from './fx_act.sv';
import fxSilu from './fx_silu.sv';
import fxGelu from './fx_gelu.sv';
import fxCdfRom from './fx_cdf_rom.sv';
import fxExp2Rom from './fx_exp2_rom.sv';
import fxDivu from './fx_divu.sv';
import fxIsqrt from './fx_isqrt.sv';
import fxSoftmax from './fx_softmax.sv';
import fxNorm from './fx_norm.sv';
import fxRmsnorm from './fx_rmsnorm.sv';
import fxLayernorm from './fx_layernorm.sv';
import fxRope from './fx_rope.sv';
import tbFxAdd from './tb/tb_fx_add.sv';
import tbFxMul from './tb/tb_fx_mul.sv';
import tbFxSilu from './tb/tb_fx_silu.sv';
import tbFxGelu from './tb/tb_fx_gelu.sv';
import tbFxSoftmax from './tb/tb_fx_softmax.sv';
import tbFxRmsnorm from './tb/tb_fx_rmsnorm.sv';
import tbFxLayernorm from './tb/tb_fx_layernorm.sv';
import tbFxRope from './tb/tb_fx_rope.sv';
import tbFxStream from './tb/tb_fx_stream.sv';

export { actBeatsImage, cdfRomText, exp2RomText, hexFile, normBiasImage, normWeightImage, ropeRomImage, ROPE_ROM_W } from './fxRoms';

/** One SystemVerilog file of the library (the same shape as mxLibrary.ts's SvComponent). */
export interface FxComponent {
  /** Module name (= file name without .sv); tb_fx_stream.sv holds tb_fx_source and tb_fx_sink. */
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** Parameter names of the module, in declaration order, parsed from the text. */
  readonly params: readonly string[];
  /** Library modules it instantiates, directly or not. */
  readonly deps: readonly string[];
  /** Synthesizable component or testbench. */
  readonly kind: 'rtl' | 'tb';
}

/** Parameter names of the first module in `text` (its `#( … )` header), localparams excluded. */
export function parseParams(text: string): string[] {
  const m = /\bmodule\s+\w+\s*#\s*\(([\s\S]*?)\)\s*\(/.exec(text);
  if (!m) return [];
  const out: string[] = [];
  const re = /\bparameter\s+(?:(?:int|longint|integer|logic(?:\s*\[[^\]]*\])?)\s+)?(\w+)\s*=/g;
  for (let r = re.exec(m[1]); r; r = re.exec(m[1])) out.push(r[1]);
  return out;
}

const DIRECT: Record<string, readonly string[]> = {
  fx_add: [],
  fx_mul: [],
  fx_cdf_rom: [],
  fx_exp2_rom: [],
  fx_divu: [],
  fx_isqrt: [],
  fx_act: ['fx_cdf_rom'],
  fx_silu: ['fx_act'],
  fx_gelu: ['fx_act'],
  fx_softmax: ['fx_exp2_rom', 'fx_divu'],
  fx_norm: ['fx_divu', 'fx_isqrt'],
  fx_rmsnorm: ['fx_norm'],
  fx_layernorm: ['fx_norm'],
  fx_rope: [],
  tb_fx_stream: [],
  tb_fx_add: ['fx_add', 'tb_fx_stream'],
  tb_fx_mul: ['fx_mul', 'tb_fx_stream'],
  tb_fx_silu: ['fx_silu', 'tb_fx_stream'],
  tb_fx_gelu: ['fx_gelu', 'tb_fx_stream'],
  tb_fx_softmax: ['fx_softmax', 'tb_fx_stream'],
  tb_fx_rmsnorm: ['fx_rmsnorm', 'tb_fx_stream'],
  tb_fx_layernorm: ['fx_layernorm', 'tb_fx_stream'],
  tb_fx_rope: ['fx_rope', 'tb_fx_stream'],
};

const TEXT: Record<string, string> = {
  fx_add: fxAdd,
  fx_mul: fxMul,
  fx_cdf_rom: fxCdfRom,
  fx_exp2_rom: fxExp2Rom,
  fx_divu: fxDivu,
  fx_isqrt: fxIsqrt,
  fx_act: fxAct,
  fx_silu: fxSilu,
  fx_gelu: fxGelu,
  fx_softmax: fxSoftmax,
  fx_norm: fxNorm,
  fx_rmsnorm: fxRmsnorm,
  fx_layernorm: fxLayernorm,
  fx_rope: fxRope,
  tb_fx_add: tbFxAdd,
  tb_fx_mul: tbFxMul,
  tb_fx_silu: tbFxSilu,
  tb_fx_gelu: tbFxGelu,
  tb_fx_softmax: tbFxSoftmax,
  tb_fx_rmsnorm: tbFxRmsnorm,
  tb_fx_layernorm: tbFxLayernorm,
  tb_fx_rope: tbFxRope,
  tb_fx_stream: tbFxStream,
};

function closure(name: string, seen = new Set<string>()): string[] {
  for (const d of DIRECT[name]) {
    if (!seen.has(d)) {
      seen.add(d);
      closure(d, seen);
    }
  }
  return [...seen];
}

/** Every fx library file, by module name. */
export const FX_LIBRARY: Readonly<Record<string, FxComponent>> = Object.fromEntries(
  Object.keys(DIRECT).map((name) => [
    name,
    { name, file: `${name}.sv`, text: TEXT[name], params: parseParams(TEXT[name]), deps: closure(name), kind: name.startsWith('tb_') ? 'tb' : 'rtl' } satisfies FxComponent,
  ]),
);

/** Synthesizable fx components (the lint set). */
export const FX_COMPONENTS: readonly string[] = Object.keys(DIRECT).filter((n) => !n.startsWith('tb_'));

/** `{ file name: text }` of the given fx modules and everything they instantiate. */
export function fxSourcesFor(...names: string[]): Record<string, string> {
  const all = new Set<string>();
  for (const n of names) {
    const c = FX_LIBRARY[n];
    if (!c) throw new Error(`unknown fx library module ${n}`);
    all.add(n);
    for (const d of c.deps) all.add(d);
  }
  return Object.fromEntries([...all].sort().map((n) => [FX_LIBRARY[n].file, FX_LIBRARY[n].text]));
}

// ------------------------------------------------------------------------------------------------
// Parameter values (and ROM images) of one op, from the twin. Keys are the module's parameter names.

function actParams(act: ActFormat, lanes: number): { ACT_W: number; ACT_F: number; LANES: number } {
  checkAct(act);
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`LANES must be a positive integer (got ${lanes})`);
  return { ACT_W: act.w, ACT_F: act.f, LANES: lanes };
}

function divides(what: string, n: number, lanes: number): void {
  if (n % lanes) throw new RangeError(`${what} (${n}) must be a multiple of LANES (${lanes})`);
}

/** fx_softmax: rows of `seq` keys (the window length), attention over heads of `headDim`. */
export function fxSoftmaxParams(o: { seq: number; headDim: number; lanes: number; act?: ActFormat }): Record<string, number> {
  divides('SEQ', o.seq, o.lanes);
  return { ...actParams(o.act ?? DEFAULT_ACT, o.lanes), SEQ: o.seq, C: attentionScaleConst(o.headDim) };
}

/**
 * fx_rmsnorm / fx_layernorm: parameters from fxNormParams (W_F, EPS) and the ROM images to write
 * under the names passed as W_FILE (and B_FILE for LayerNorm).
 */
export function fxNormModule(p: FxNormParams, o: { d: number; lanes: number; act?: ActFormat }): { params: Record<string, number>; weights: string; bias?: string } {
  const act = o.act ?? DEFAULT_ACT;
  divides('D', o.d, o.lanes);
  if (p.w.length !== o.d) throw new RangeError(`norm weight has ${p.w.length} elements, D is ${o.d}`);
  return {
    params: { ...actParams(act, o.lanes), D: o.d, W_F: p.wf, EPS: p.eps },
    weights: normWeightImage(p),
    bias: p.b ? normBiasImage(p, act.w) : undefined,
  };
}

/** fx_rope: parameters and the cos/sin ROM image (positions 0..seq−1) to write under ROM_FILE. */
export function fxRopeModule(o: { heads: number; headDim: number; seq: number; theta: number; lanes: number; act?: ActFormat }): { params: Record<string, number>; rom: string } {
  const a = actParams(o.act ?? DEFAULT_ACT, o.lanes);
  divides('HD/2', o.headDim / 2, o.lanes);
  return {
    params: { ACT_W: a.ACT_W, LANES: a.LANES, HEADS: o.heads, HD: o.headDim, SEQ: o.seq },
    rom: ropeRomImage(fxRopeTables(o.seq, o.headDim, o.theta)),
  };
}

/** The activation module of a model config and its parameters. */
export function fxActivationModule(kind: 'silu' | 'gelu_new' | 'gelu' | 'relu', o: { lanes: number; act?: ActFormat }): { module: string; params: Record<string, number> } {
  const a = actParams(o.act ?? DEFAULT_ACT, o.lanes);
  switch (kind) {
    case 'silu':
      return { module: 'fx_silu', params: a };
    case 'gelu_new':
    case 'gelu':
      return { module: 'fx_gelu', params: { ...a, ERF: kind === 'gelu' ? 1 : 0 } };
    case 'relu':
      return { module: 'fx_act', params: { ...a, KIND: 3 } };
  }
}
