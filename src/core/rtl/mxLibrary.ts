/**
 * The MX GEMM-path component library as text: every module of components/ (hs_*.sv, mx_*.sv) and
 * the testbenches of tb/ (tb_hs_*.sv, tb_mx_*.sv), with their parameter lists and the modules each
 * instantiates, so the generator can emit exactly the files a design needs. `.sv` files import as
 * text in vite, vitest and the esbuild CLI bundle (sv.d.ts).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import hsFifo from './components/hs_fifo.sv';
import hsSkid from './components/hs_skid.sv';
import mxQuant from './components/mx_quant.sv';
import mxCast from './components/mx_cast.sv';
import mxDec from './components/mx_dec.sv';
import mxDot from './components/mx_dot.sv';
import mxOut from './components/mx_out.sv';
import mxLinear from './components/mx_linear.sv';
import mxMatmul from './components/mx_matmul.sv';
import mxMatmulHeads from './components/mx_matmul_heads.sv';
import tbHsStream from './components/tb/tb_hs_stream.sv';
import tbHsFifo from './components/tb/tb_hs_fifo.sv';
import tbHsSkid from './components/tb/tb_hs_skid.sv';
import tbMxCast from './components/tb/tb_mx_cast.sv';
import tbMxDec from './components/tb/tb_mx_dec.sv';
import tbMxDot from './components/tb/tb_mx_dot.sv';
import tbMxOut from './components/tb/tb_mx_out.sv';
import tbMxLinear from './components/tb/tb_mx_linear.sv';
import tbMxMatmul from './components/tb/tb_mx_matmul.sv';

/** One SystemVerilog file of the library. */
export interface SvComponent {
  /** Module name (= file name without .sv); tb_hs_stream.sv holds tb_hs_source and tb_hs_sink. */
  readonly name: string;
  /** File name to write it under. */
  readonly file: string;
  readonly text: string;
  /** Parameter names of the module (in declaration order), parsed from the text. */
  readonly params: readonly string[];
  /** Library modules it instantiates, directly or not (the files a build needs besides this one). */
  readonly deps: readonly string[];
  /** Synthesizable (components) or testbench-only. */
  readonly kind: 'rtl' | 'tb';
}

const DIRECT: Record<string, readonly string[]> = {
  hs_fifo: [],
  hs_skid: [],
  mx_quant: [],
  mx_cast: ['mx_quant'],
  mx_dec: [],
  mx_dot: [],
  mx_out: [],
  mx_linear: ['mx_cast', 'mx_dot', 'mx_out', 'hs_fifo'],
  mx_matmul: ['mx_cast', 'mx_quant', 'mx_dot', 'mx_out', 'hs_fifo'],
  mx_matmul_heads: ['mx_matmul'],
  tb_hs_stream: [],
  tb_hs_fifo: ['hs_fifo', 'tb_hs_stream'],
  tb_hs_skid: ['hs_skid', 'tb_hs_stream'],
  tb_mx_cast: ['mx_cast', 'tb_hs_stream'],
  tb_mx_dec: ['mx_dec', 'tb_hs_stream'],
  tb_mx_dot: ['mx_dot', 'tb_hs_stream'],
  tb_mx_out: ['mx_out', 'tb_hs_stream'],
  tb_mx_linear: ['mx_linear', 'tb_hs_stream'],
  tb_mx_matmul: ['mx_matmul', 'tb_hs_stream'],
};

const TEXT: Record<string, string> = {
  hs_fifo: hsFifo,
  hs_skid: hsSkid,
  mx_quant: mxQuant,
  mx_cast: mxCast,
  mx_dec: mxDec,
  mx_dot: mxDot,
  mx_out: mxOut,
  mx_linear: mxLinear,
  mx_matmul: mxMatmul,
  mx_matmul_heads: mxMatmulHeads,
  tb_hs_stream: tbHsStream,
  tb_hs_fifo: tbHsFifo,
  tb_hs_skid: tbHsSkid,
  tb_mx_cast: tbMxCast,
  tb_mx_dec: tbMxDec,
  tb_mx_dot: tbMxDot,
  tb_mx_out: tbMxOut,
  tb_mx_linear: tbMxLinear,
  tb_mx_matmul: tbMxMatmul,
};

/** Parameter names of the first module in `text` (its `#( … )` header). */
export function parseParams(text: string): string[] {
  const m = /\bmodule\s+\w+\s*#\s*\(([\s\S]*?)\)\s*\(/.exec(text);
  if (!m) return [];
  const out: string[] = [];
  const re = /\b(?:parameter|localparam)\s+(?:(?:int|longint|integer|logic(?:\s*\[[^\]]*\])?)\s+)?(\w+)\s*=/g;
  for (let r = re.exec(m[1]); r; r = re.exec(m[1])) if (!/\blocalparam\b/.test(r[0])) out.push(r[1]);
  return out;
}

function closure(name: string, seen = new Set<string>()): string[] {
  for (const d of DIRECT[name]) {
    if (!seen.has(d)) {
      seen.add(d);
      closure(d, seen);
    }
  }
  return [...seen];
}

/** Every library file, by module name. */
export const MX_LIBRARY: Readonly<Record<string, SvComponent>> = Object.fromEntries(
  Object.keys(DIRECT).map((name) => [
    name,
    { name, file: `${name}.sv`, text: TEXT[name], params: parseParams(TEXT[name]), deps: closure(name), kind: name.startsWith('tb_') ? 'tb' : 'rtl' } satisfies SvComponent,
  ]),
);

/** Synthesizable components (the lint set). */
export const RTL_COMPONENTS: readonly string[] = Object.keys(DIRECT).filter((n) => !n.startsWith('tb_'));

/** `{ file name: text }` of the given modules and everything they instantiate. */
export function sourcesFor(...names: string[]): Record<string, string> {
  const all = new Set<string>();
  for (const n of names) {
    const c = MX_LIBRARY[n];
    if (!c) throw new Error(`unknown library module ${n}`);
    all.add(n);
    for (const d of c.deps) all.add(d);
  }
  return Object.fromEntries([...all].sort().map((n) => [MX_LIBRARY[n].file, MX_LIBRARY[n].text]));
}
