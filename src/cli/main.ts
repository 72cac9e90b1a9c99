/**
 * `mx-studio` command line: the same core as the studio, in Node.
 * Files are raw little-endian float32, C order, no header. Bad arguments or wrong file sizes
 * exit non-zero with a one-line error naming the problem.
 */
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  FormatError,
  describeFormat,
  errorStats,
  formatToString,
  parseFormat,
  quantizeWithCounts,
  validate,
  bitsPerElement,
  type FormatSpec,
  type QuantCounts,
  encode,
} from '../core/formats';
import { blockGemm } from '../core/datapath';
import { EVAL_HELP, EVAL_OPTS, cmdEval } from './eval';
import { COST_HELP, COST_OPTS, cmdCost } from './cost';
import { OBJECTIVE_OPTS, SEARCH_HELP, SEARCH_OPTS, cmdObjective, cmdSearch } from './search';

export const VERSION = '0.1.0';

class UsageError extends Error {}

const HELP = `mx-studio ${VERSION} — exact Microscaling (MX) formats in the terminal

Usage:
  mx-studio quantize --format F --shape d0,d1,... --in IN --out OUT [options]
  mx-studio matmul   --format F --a A --a-shape M,K --b B --b-shape K,N --out OUT [options]
  mx-studio linear   --format F --x X --x-shape M,K --weight W --weight-shape N,K [--bias BIAS] --out OUT [options]
  mx-studio formats  [--format F]          list the formats, or describe one
  mx-studio eval     --model DIR [--config CONFIG.json] [--uniform SPEC] ...   evaluate a model (below)
  mx-studio cost     --model DIR (--config CONFIG.json | --uniform SPEC) --json  hardware cost (below)
  mx-studio search   --model DIR [--space SPACE.json] --objectives perplexity,energy_pj --strategy nsga2 ...
                                           mixed-precision search for a Pareto front (below)
  mx-studio objective --model DIR ...      the search problem as JSON lines on stdin/stdout (below)
  mx-studio rtl      --model DIR (--config CONFIG.json | --uniform SPEC) --out DIR|FILE.zip
                                           SystemVerilog + testbenches + Makefile (mx-studio rtl --help)
  mx-studio --help | --version

Files are raw little-endian float32 in C order, without a header.

Commands:
  quantize   Quantize→dequantize a tensor (fake quantization) along one axis.
  matmul     C = A_q · B_q: A [M,K] blocked along its last axis, B [K,N] blocked along its
             first axis (microxcaling mx.matmul); the product of the dequantized operands is
             summed exactly in float64 and rounded once to float32.
  linear     y = x_q · W_qᵀ + bias: x [M,K] and weight [N,K] both blocked along in_features (K);
             bias is added in float32 and is not quantized (microxcaling mx.linear).

Format options:
  --format F            A spec string or one of microxcaling's element names (MX with an E8M0 scale):
                          fp8_e5m2 fp8_e4m3 fp6_e3m2 fp6_e2m3 fp4_e2m1 int8 int4 int2
                        Spec strings: mxfp8_e4m3 mxfp8_e5m2 mxfp6_e3m2 mxfp6_e2m3 mxfp4 mxint8 (OCP MX)
                          mxint:m=4,e=8,block=16,scale=ceil   MASE MXInt (m incl. sign, 2..16)
                          bfp:m=4,block=16                     block floating point (MSFP-style)
                          fixed:w=8,f=5                        fixed point (the 8-bit baseline)
                          nvfp4                                NVIDIA NVFP4 (E2M1 + E4M3 per 16 + fp32)
                          fp32                                 no quantization
                        Parameters after a colon: block=N (or RxC tile), round=, scale=, flush=1, sbits=.
  --block-size B        Elements per block (overrides the spec's block; positive integer).
  --round R             nearest (ties away from zero; MX default) | even | floor (toward zero).
  --scale-rule S        MX: floor (OCP) | ceil | even | rceil.  MXInt: ceil | floor.
  --flush-subnormals    MX: zero blocks whose max is a float32 subnormal (microxcaling option).
  --b-format F          matmul: a different format for B (default: --format).
  --weight-format F     linear: a different format for the weight (default: --format).
  --datapath D          matmul/linear: fake (default: quantize→dequantize, then the float product) or
                        integer (what MX hardware computes: mantissa codes × mantissa codes, exact
                        integer accumulation with shared-exponent alignment, one rounding to float32;
                        MX, MXInt, BFP and fixed formats; the exact reference, meant for small shapes).

quantize options:
  --shape d0,d1,...     Tensor shape; the product must match the input file's float count.
  --axis A              Blocking axis, negative counts from the end (default -1).
  --in IN --out OUT     Input and output files.
  --stats               Print one JSON line with the format, bits/element, MSE, SQNR and counts.

matmul options:  --a A --a-shape M,K --b B --b-shape K,N --out OUT
linear options:  --x X --x-shape M,K --weight W --weight-shape N,K [--bias BIAS (N floats)] --out OUT

${EVAL_HELP}

${COST_HELP}
${SEARCH_HELP}
Exit status: 0 on success, 2 on a usage or input error (one line on stderr).
`;

const FORMAT_OPTS = {
  format: { type: 'string' },
  'block-size': { type: 'string' },
  round: { type: 'string' },
  'scale-rule': { type: 'string' },
  'flush-subnormals': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const COMMAND_OPTS = {
  quantize: { ...FORMAT_OPTS, shape: { type: 'string' }, axis: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, stats: { type: 'boolean' } },
  matmul: { ...FORMAT_OPTS, datapath: { type: 'string' }, 'b-format': { type: 'string' }, a: { type: 'string' }, 'a-shape': { type: 'string' }, b: { type: 'string' }, 'b-shape': { type: 'string' }, out: { type: 'string' } },
  linear: {
    ...FORMAT_OPTS,
    datapath: { type: 'string' },
    'weight-format': { type: 'string' },
    x: { type: 'string' },
    'x-shape': { type: 'string' },
    weight: { type: 'string' },
    'weight-shape': { type: 'string' },
    bias: { type: 'string' },
    out: { type: 'string' },
  },
  formats: { format: { type: 'string' } },
  eval: EVAL_OPTS,
  cost: COST_OPTS,
  search: SEARCH_OPTS,
  objective: OBJECTIVE_OPTS,
} as const satisfies Record<string, ParseArgsConfig['options']>;

type Values = Record<string, string | boolean | undefined>;
/** search/objective also take a repeatable --constraint. */
type SearchValues = Record<string, string | boolean | string[] | undefined>;

function need(v: Values, key: string): string {
  const s = v[key];
  if (typeof s !== 'string' || s === '') throw new UsageError(`missing --${key}`);
  return s;
}

function parseIntArg(key: string, s: string, min: number): number {
  if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`--${key} must be an integer, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (n < min) throw new UsageError(`--${key} must be ≥ ${min}, got ${n}`);
  return n;
}

function parseShape(key: string, s: string, rank?: number): number[] {
  const parts = s.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new UsageError(`--${key} must be positive integers separated by commas, got ${JSON.stringify(s)}`);
  const shape = parts.map(Number);
  if (rank !== undefined && shape.length !== rank) throw new UsageError(`--${key} must have ${rank} dimensions, got ${shape.length} (${s})`);
  return shape;
}

/** The format from --format plus the override flags, validated. */
function formatFrom(v: Values, key = 'format'): FormatSpec {
  const text = need(v, key);
  let spec: FormatSpec = parseFormat(text);
  const bs = v['block-size'];
  const round = v.round;
  const rule = v['scale-rule'];
  const flush = v['flush-subnormals'];
  const name = formatToString(spec);
  if (typeof bs === 'string') {
    if (spec.kind === 'fixed' || spec.kind === 'fp32') throw new UsageError(`--block-size does not apply to ${name} (it has no blocks)`);
    const m = /^(\d+)(?:x(\d+))?$/.exec(bs.trim());
    if (!m) throw new UsageError(`--block-size must be a positive integer (or RxC for a 2-D tile), got ${JSON.stringify(bs)}`);
    const block = Number(m[2] ?? m[1]);
    const tileRows = m[2] ? Number(m[1]) : 1;
    if (block < 1) throw new UsageError(`--block-size must be ≥ 1, got ${block}`);
    spec = spec.kind === 'nvfp4' ? { ...spec, block } : { ...spec, block, tileRows };
  }
  if (typeof round === 'string') {
    if (spec.kind === 'fp32') throw new UsageError('--round does not apply to fp32');
    spec = { ...spec, round: round as never };
  }
  if (typeof rule === 'string') {
    if (spec.kind !== 'mx' && spec.kind !== 'mxint') throw new UsageError(`--scale-rule applies to MX and MXInt formats, not ${name}`);
    spec = { ...spec, scale: rule as never };
  }
  if (flush) {
    if (spec.kind !== 'mx') throw new UsageError(`--flush-subnormals applies to MX formats, not ${name}`);
    spec = { ...spec, flush: true };
  }
  return validate(spec);
}

function readF32(key: string, path: string, count?: number, shapeText?: string): Float32Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`--${key}: cannot read ${path}`);
  }
  if (size % 4 !== 0) throw new UsageError(`--${key}: ${path} has ${size} bytes, not a whole number of float32 values`);
  if (count !== undefined && size !== count * 4) {
    throw new UsageError(`--${key}: ${path} has ${size} bytes (${size / 4} float32) but ${shapeText ?? 'the shape'} needs ${count * 4} bytes (${count} float32)`);
  }
  const buf = readFileSync(path);
  const out = new Float32Array(size / 4);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

function writeF32(path: string, data: Float32Array): void {
  const buf = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i], i * 4);
  try {
    writeFileSync(path, buf);
  } catch (e) {
    throw new UsageError(`--out: cannot write ${path}: ${(e as Error).message}`);
  }
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function cmdQuantize(v: Values, out: (s: string) => void): void {
  const spec = formatFrom(v);
  const shape = parseShape('shape', need(v, 'shape'));
  const axis = v.axis === undefined ? -1 : parseIntArg('axis', v.axis as string, -Infinity);
  const x = readF32('in', need(v, 'in'), prod(shape), `--shape ${shape.join(',')}`);
  const outPath = need(v, 'out');
  const r = quantizeWithCounts(spec, x, shape, axis);
  writeF32(outPath, r.values);
  if (v.stats) out(JSON.stringify(statsLine(spec, x, r.values, r.counts)));
}

function statsLine(spec: FormatSpec, x: Float32Array, q: Float32Array, counts: QuantCounts) {
  const e = errorStats(x, q);
  return {
    format: formatToString(spec),
    bits_per_element: bitsPerElement(spec, x.length),
    mse: e.mse,
    sqnr_db: Number.isFinite(e.sqnrDb) ? e.sqnrDb : e.sqnrDb > 0 ? 'inf' : '-inf',
    ...counts,
  };
}

/** Σ_k a[i,k]·b[k,j] in float64 (products of float32 values are exact there), rounded once to float32. */
function matmulF32(a: Float32Array, b: Float32Array, M: number, K: number, N: number, bIsNK: boolean): Float32Array {
  const c = new Float32Array(M * N);
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      if (bIsNK) for (let j = 0; j < N; j++) acc[j] += av * b[j * K + k];
      else {
        const row = k * N;
        for (let j = 0; j < N; j++) acc[j] += av * b[row + j];
      }
    }
    for (let j = 0; j < N; j++) c[i * N + j] = acc[j];
  }
  return c;
}

function datapath(v: Values): 'fake' | 'integer' {
  const d = v.datapath ?? 'fake';
  if (d !== 'fake' && d !== 'integer') throw new UsageError(`--datapath must be fake or integer, got ${JSON.stringify(d)}`);
  return d;
}

function cmdMatmul(v: Values): void {
  const fa = formatFrom(v);
  const fb = v['b-format'] ? formatFrom(v, 'b-format') : fa;
  const [M, K] = parseShape('a-shape', need(v, 'a-shape'), 2);
  const [K2, N] = parseShape('b-shape', need(v, 'b-shape'), 2);
  if (K !== K2) throw new UsageError(`--a-shape ${M},${K} and --b-shape ${K2},${N} disagree on K (${K} vs ${K2})`);
  const a = readF32('a', need(v, 'a'), M * K, `--a-shape ${M},${K}`);
  const b = readF32('b', need(v, 'b'), K * N, `--b-shape ${K},${N}`);
  const outPath = need(v, 'out');
  if (datapath(v) === 'integer') {
    writeF32(outPath, blockGemm(encode(fa, a, [M, K], 1), encode(fb, b, [K, N], 0), { b: 'KN' }));
    return;
  }
  const aq = quantizeWithCounts(fa, a, [M, K], 1).values;
  const bq = quantizeWithCounts(fb, b, [K, N], 0).values;
  writeF32(outPath, matmulF32(aq, bq, M, K, N, false));
}

function cmdLinear(v: Values): void {
  const fx = formatFrom(v);
  const fw = v['weight-format'] ? formatFrom(v, 'weight-format') : fx;
  const [M, K] = parseShape('x-shape', need(v, 'x-shape'), 2);
  const [N, K2] = parseShape('weight-shape', need(v, 'weight-shape'), 2);
  if (K !== K2) throw new UsageError(`--x-shape ${M},${K} and --weight-shape ${N},${K2} disagree on in_features (${K} vs ${K2})`);
  const x = readF32('x', need(v, 'x'), M * K, `--x-shape ${M},${K}`);
  const w = readF32('weight', need(v, 'weight'), N * K, `--weight-shape ${N},${K}`);
  const bias = typeof v.bias === 'string' ? readF32('bias', v.bias, N, `--weight-shape ${N},${K} (bias of ${N})`) : null;
  const outPath = need(v, 'out');
  let y: Float32Array;
  if (datapath(v) === 'integer') y = blockGemm(encode(fx, x, [M, K], 1), encode(fw, w, [N, K], 1), { b: 'NK' });
  else {
    const xq = quantizeWithCounts(fx, x, [M, K], 1).values;
    const wq = quantizeWithCounts(fw, w, [N, K], 1).values;
    y = matmulF32(xq, wq, M, K, N, true);
  }
  if (bias) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i * N + j] = Math.fround(y[i * N + j] + bias[j]);
  writeF32(outPath, y);
}

function cmdFormats(v: Values, out: (s: string) => void): void {
  if (typeof v.format === 'string') {
    const s = parseFormat(v.format);
    out(`${formatToString(s)}\n  ${describeFormat(s)}\n  bits/element incl. metadata: ${bitsPerElement(s)}\n  spec: ${JSON.stringify(s)}`);
    return;
  }
  const rows = ['mxfp8_e4m3', 'mxfp8_e5m2', 'mxfp6_e3m2', 'mxfp6_e2m3', 'mxfp4', 'mxint8', 'mxint4', 'mxint2', 'mxint:m=4', 'bfp:m=4', 'fixed:w=8,f=5', 'nvfp4', 'fp32'];
  for (const r of rows) {
    const s = parseFormat(r);
    out(`${formatToString(s).padEnd(16)} ${String(bitsPerElement(s)).padEnd(7)} ${describeFormat(s)}`);
  }
}

/** `--axis -1` → `--axis=-1`: node's parseArgs would read a value starting with '-' as an option. */
function joinNegativeValues(args: string[], opts: ParseArgsConfig['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const key = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (key && opts?.[key]?.type === 'string' && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      out.push(`${a}=${args[++i]}`);
    } else out.push(a);
  }
  return out;
}

/**
 * Run the CLI. Returns the exit code instead of exiting, so tests can call it in-process.
 * @param argv arguments after the program name
 * @param io out/err line writers (default stdout/stderr) and, for `objective`, the input lines (default stdin)
 */
export async function main(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void; input?: AsyncIterable<string> } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s + '\n'));
  const err = io.err ?? ((s: string) => process.stderr.write(s + '\n'));
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    out(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    out(VERSION);
    return 0;
  }
  // rtl parses its own flags (src/cli/rtl.ts) and is loaded only when asked for: it pulls in the generator and the component library.
  if (cmd === 'rtl') return (await import('./rtl')).rtlCommand(rest, { out, err });
  if (!(cmd in COMMAND_OPTS)) {
    err(`mx-studio: error: unknown command ${JSON.stringify(cmd)} (commands: ${Object.keys(COMMAND_OPTS).join(', ')}; see --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(HELP);
    return 0;
  }
  try {
    const opts = COMMAND_OPTS[cmd as keyof typeof COMMAND_OPTS];
    const { values, positionals } = parseArgs({ args: joinNegativeValues(rest, opts), options: opts, strict: true, allowPositionals: true });
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const v = values as Values;
    if (cmd === 'quantize') cmdQuantize(v, out);
    else if (cmd === 'matmul') cmdMatmul(v);
    else if (cmd === 'linear') cmdLinear(v);
    else if (cmd === 'eval') return await cmdEval(v, { out, err });
    else if (cmd === 'cost') return await cmdCost(v, { out, err });
    else if (cmd === 'search') return await cmdSearch(values as SearchValues, { out, err });
    else if (cmd === 'objective') return await cmdObjective(values as SearchValues, { out, err, input: io.input });
    else cmdFormats(v, out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof FormatError) {
      err(`mx-studio ${cmd}: error: ${e.message}`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      err(`mx-studio ${cmd}: error: ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
    err(`mx-studio ${cmd}: internal error: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

