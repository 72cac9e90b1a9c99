/**
 * `mx-studio eval`: perplexity, accuracy, KL to fp32 and per-point statistics of a Hugging Face
 * model folder under a quantization config, on the emulator of src/core/emulate.
 *
 * Node ring: the model folder is read with node:fs (a ModelFileSource), and the WASM kernels are
 * loaded from workers/kernels/build when present (the TypeScript core otherwise — same results).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Emulator, EmulatorError, type EmulatorKernels, type EvalMode, type EvalResult } from '../core/emulate';
import { FormatError } from '../core/formats';
import { ConfigError, type QuantConfig } from '../core/graph';
import { quantConfigFromFlags } from './quantConfigFlags';
import { calibrate, calibrationIds, gptqPoints, parseRounding, ROUNDING_HELP, ROUNDING_OPTS, type Calibration } from './rounding';
import { RoundingError } from '../core/rounding';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../core/kernels';
import { loadModel, ModelError, type ModelFileSource } from '../core/model';

/** parseArgs options of `eval`. */
export const EVAL_OPTS = {
  model: { type: 'string' },
  config: { type: 'string' },
  uniform: { type: 'string' },
  text: { type: 'string' },
  window: { type: 'string' },
  tokens: { type: 'string' },
  mode: { type: 'string' },
  kernels: { type: 'string' },
  json: { type: 'boolean' },
  ...ROUNDING_OPTS,
} as const;

export const EVAL_HELP = `  mx-studio eval     --model DIR [--config CONFIG.json] [--uniform SPEC] [--text FILE] [--window N]
                     [--tokens N] [--mode fake|integer|fp32] [--kernels DIR|off] [--json]
                     [--rounding nearest|gptq [--calib-tokens N] [--calib-text FILE]]

eval: perplexity, next-token accuracy, KL to fp32 and per-quant-point SQNR of a model under a
quantization config (the emulator of src/core/emulate; protocol: non-overlapping windows).
  --model DIR           A Hugging Face model folder (config.json, model.safetensors or shards, tokenizer.json).
  --config CONFIG.json  {"version": 1, "rules": [[glob, spec], ...]} over quant-point ids (L0.q.x, *.w,
                        head.*); later rules win, unmatched points stay fp32.
  --uniform SPEC        One format for every quant point (applied before --config's rules).
  --text FILE           UTF-8 text, tokenized with the model's tokenizer (default: DIR/test.txt).
  --window N            Tokens per window (default: the model's context length).
  --tokens N            Evaluate the first N tokens (default: min(all, 32768)).
  --mode M              fake (quantize→dequantize at every point, float GEMMs; default with a config),
                        integer (the exact integer block GEMM where both operands are block formats or
                        fixed point, fake elsewhere), fp32 (no quantization; default without a config).
  --kernels DIR|off     Where the WASM kernels are (default: workers/kernels/build); off = TypeScript core.
  --json                One JSON object on stdout: perplexity, accuracy, tokens, mode, kl,
                        top1_agreement, ms, rounding, points{id: {sqnr_db, saturated, underflow, nan_blocks, elements}}.
${ROUNDING_HELP}
`;

/** A bad argument or input: one line, exit 2. */
class EvalInputError extends Error {}

type Values = Record<string, string | boolean | undefined>;

function positiveInt(key: string, s: string, min: number): number {
  if (!/^\d+$/.test(s.trim())) throw new EvalInputError(`--${key} must be a positive integer, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (n < min) throw new EvalInputError(`--${key} must be ≥ ${min}, got ${n}`);
  return n;
}

/** A model folder on disk as a ModelFileSource. File names are plain names inside the folder (no paths). */
export function folderSource(dir: string): ModelFileSource {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new EvalInputError(`--model: ${dir} is not a folder`);
  return {
    name: dir,
    async read(file: string): Promise<Uint8Array | null> {
      // names come from config files (shard lists): never let one leave the folder
      if (isAbsolute(file) || file.split(/[\\/]/).some((p) => p === '..')) throw new ModelError(file, 'missing-file', 'is not a file name inside the model folder');
      try {
        const b = await readFile(join(dir, file));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return null;
        throw new ModelError(file, 'missing-file', `cannot be read: ${(e as Error).message}`);
      }
    },
  };
}

/** The kernels folder: --kernels, else workers/kernels/build beside the sources or the bundle. */
function kernelDir(opt: string | undefined): string | null {
  if (opt === 'off') return null;
  if (opt) return resolve(opt);
  for (const rel of ['../../workers/kernels/build/', '../workers/kernels/build/']) {
    const d = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(d, 'quantize.simd.wasm'))) return d;
  }
  return null;
}

/** Load the quantize, integer GEMM and float32 GEMM kernels; on any failure say why and use the TypeScript core (same results). */
async function loadKernels(opt: string | undefined): Promise<{ kernels: EmulatorKernels; note: string; tag: string }> {
  const dir = kernelDir(opt);
  if (!dir) return { kernels: {}, note: opt === 'off' ? 'TypeScript core (--kernels off)' : 'TypeScript core (no WASM build found; npm run build:kernels)', tag: 'ts' };
  const flavor = detectFlavor();
  const bytes = async (file: string) => new Uint8Array(await readFile(join(dir, file)));
  try {
    const [quant, gemm, f32gemm] = await Promise.all([loadQuantKernels(bytes, flavor), loadGemmKernel(bytes, flavor), loadF32GemmKernel(bytes, flavor)]);
    return { kernels: { quant, gemm, f32gemm }, note: `WASM ${flavor} (quantize, integer GEMM, float32 GEMM) from ${dir}`, tag: `wasm-${flavor}` };
  } catch (e) {
    return { kernels: {}, note: `TypeScript core (WASM kernels failed to load: ${(e as Error).message.split('\n')[0]})`, tag: 'ts' };
  }
}

function readConfig(v: Values): QuantConfig | null {
  return quantConfigFromFlags(v, (m) => new EvalInputError(m));
}

const num = (x: number | null, digits: number) => (x === null ? 'n/a' : x.toFixed(digits));
const sqnrJson = (x: number): number | string => (Number.isFinite(x) ? x : x > 0 ? 'inf' : '-inf');

function jsonResult(model: string, r: EvalResult, kernels: string, rounding: Record<string, unknown>) {
  const points: Record<string, unknown> = {};
  for (const [id, p] of Object.entries(r.points)) {
    points[id] = { sqnr_db: sqnrJson(p.sqnrDb), saturated: p.saturated, underflow: p.underflow, nan_blocks: p.nanBlocks, elements: p.elements };
  }
  return {
    model,
    mode: r.mode,
    perplexity: r.perplexity,
    accuracy: r.accuracy,
    mean_nll: r.meanNll,
    tokens: r.tokens,
    windows: r.windows,
    window: r.window,
    kl: r.kl,
    top1_agreement: r.top1Agreement,
    ms: r.ms,
    kernels,
    fallback_ops: r.fallbackOps,
    unmatched_rules: r.unmatchedRules,
    rounding,
    points,
  };
}

/** Run `eval`; returns the exit code (0, or 2 with one line on stderr for bad input). */
export async function cmdEval(v: Values, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    await runEval(v, io.out);
    return 0;
  } catch (e) {
    if (e instanceof EvalInputError || e instanceof ModelError || e instanceof ConfigError || e instanceof EmulatorError || e instanceof FormatError || e instanceof RoundingError) {
      io.err(`mx-studio eval: error: ${e.message.split('\n')[0]}`);
      return 2;
    }
    throw e;
  }
}

async function runEval(v: Values, out: (s: string) => void): Promise<void> {
  const dir = v.model;
  if (typeof dir !== 'string' || dir === '') throw new EvalInputError('missing --model DIR (a Hugging Face model folder)');
  const config = readConfig(v);
  const modeText = v.mode ?? (config ? 'fake' : 'fp32');
  if (modeText !== 'fake' && modeText !== 'integer' && modeText !== 'fp32') throw new EvalInputError(`--mode must be fake, integer or fp32, got ${JSON.stringify(modeText)}`);
  const mode = modeText as EvalMode;
  if (mode !== 'fp32' && !config) throw new EvalInputError(`--mode ${mode} needs --config or --uniform (without them every point is fp32)`);
  const window = typeof v.window === 'string' ? positiveInt('window', v.window, 2) : undefined;
  const maxTokens = typeof v.tokens === 'string' ? positiveInt('tokens', v.tokens, 2) : undefined;
  const rounding = parseRounding(v, (m) => new EvalInputError(m));
  if (rounding.method === 'gptq' && mode === 'fp32') throw new EvalInputError('--rounding gptq needs --config or --uniform with MXInt weights (fp32 has nothing to round)');

  const source = folderSource(dir);
  let textPath = typeof v.text === 'string' ? v.text : join(dir, 'test.txt');
  if (typeof v.text !== 'string' && !existsSync(textPath)) throw new EvalInputError(`no text to evaluate: ${dir} has no test.txt; pass --text FILE`);
  let text: string;
  try {
    text = readFileSync(textPath, 'utf8');
  } catch {
    throw new EvalInputError(`--text: cannot read ${textPath}`);
  }
  textPath = typeof v.text === 'string' ? textPath : 'test.txt';

  const t0 = Date.now();
  const model = await loadModel(source);
  const { kernels, note, tag } = await loadKernels(typeof v.kernels === 'string' ? v.kernels : undefined);
  const loadMs = Date.now() - t0;
  const ids = model.tokenizer.encode(text);
  if (maxTokens !== undefined && maxTokens > ids.length) throw new EvalInputError(`--tokens ${maxTokens} exceeds the ${ids.length} tokens of ${textPath}`);
  const n = maxTokens ?? Math.min(ids.length, 32768);
  let em = new Emulator(model, kernels);
  const win = window ?? model.config.maxPositions;
  if (win > model.config.maxPositions) throw new EvalInputError(`--window ${win} exceeds the model's context of ${model.config.maxPositions} tokens`);
  let cal: Calibration | null = null;
  let rounded: string[] = [];
  let calName = '';
  let calHeld = false;
  if (rounding.method === 'gptq') {
    rounded = gptqPoints(em.graph, config!);
    if (!rounded.length) throw new EvalInputError('--rounding gptq: no linear weight of this config has an MXInt format (GPTQ rounds MXInt weights; other formats keep round-to-nearest)');
    const ci = calibrationIds(rounding, (t) => model.tokenizer.encode(t), ids, textPath, (m) => new EvalInputError(m));
    calName = ci.name;
    calHeld = ci.held;
    if (!v.json) process.stderr.write(`  GPTQ calibration on ${Math.min(rounding.calibTokens, ci.ids.length)} tokens of ${ci.name}…\n`);
    cal = calibrate(em, ci.ids, win, rounding);
    const rounder = cal.rounder;
    // the fp32 reference (KL, top-1 agreement) keeps the model's own weights
    em = new Emulator(model, kernels, { weightSource: (p, spec) => rounder.rounded(p, spec) });
  }
  const roundingJson = cal
    ? { method: 'gptq', calibration_tokens: cal.tokens, calibration_text: calName, calibration_ms: Math.round(cal.ms), points: rounded }
    : { method: 'nearest' };

  const tty = !v.json && (process.stderr as { isTTY?: boolean }).isTTY === true;
  const r = await em.evaluate(ids, config ?? { version: 1, rules: [] }, {
    mode,
    window: win,
    maxTokens: n,
    onProgress: tty ? (d, t) => process.stderr.write(`\r  window ${d}/${t}`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');

  if (v.json) {
    out(JSON.stringify(jsonResult(model.name, r, tag, roundingJson)));
    return;
  }
  const c = model.config;
  out(`model      ${model.name} (${c.arch}, ${c.numLayers} layers, d ${c.hiddenSize}, vocab ${c.vocabSize}, ${(model.numParams / 1e6).toFixed(2)} M params; loaded in ${loadMs} ms)`);
  out(`text       ${textPath}: ${ids.length} tokens; evaluating ${n} in ${r.windows} windows of ${r.window} (${r.tokens} predictions)`);
  out(`kernels    ${note}`);
  out(`mode       ${r.mode}${config ? `, ${config.rules.length} rule${config.rules.length === 1 ? '' : 's'}` : ''}${r.unmatchedRules.length ? ` (matching no point: ${r.unmatchedRules.join(', ')})` : ''}`);
  out(`perplexity ${r.perplexity.toFixed(4)}   accuracy ${r.accuracy.toFixed(4)}   mean NLL ${r.meanNll.toFixed(5)} nats`);
  if (cal) out(`rounding   GPTQ on ${rounded.length} MXInt weight point${rounded.length === 1 ? '' : 's'}; calibrated on the first ${cal.tokens} tokens of ${calName}${calHeld ? '' : ' (the evaluated text: pass --calib-text for held-out calibration)'} in ${(cal.ms / 1000).toFixed(1)} s`);
  if (r.kl !== null) out(`vs fp32    KL ${num(r.kl, 6)} nats/token   top-1 agreement ${num(r.top1Agreement, 4)}`);
  if (r.fallbackOps.length) out(`fallback   ${r.fallbackOps.length} ops ran fake quantization (an operand in fp32/nvfp4 or mismatched blocks): ${r.fallbackOps.join(', ')}`);
  const pts = Object.entries(r.points);
  if (pts.length) {
    out(`points     ${'id'.padEnd(12)} ${'SQNR dB'.padStart(8)} ${'saturated'.padStart(10)} ${'underflow'.padStart(10)} ${'NaN blk'.padStart(8)} ${'elements'.padStart(11)}`);
    for (const [id, p] of pts) {
      const s = Number.isFinite(p.sqnrDb) ? p.sqnrDb.toFixed(2) : p.sqnrDb > 0 ? 'inf' : '-inf';
      out(`           ${id.padEnd(12)} ${s.padStart(8)} ${String(p.saturated).padStart(10)} ${String(p.underflow).padStart(10)} ${String(p.nanBlocks).padStart(8)} ${String(p.elements).padStart(11)}`);
    }
  }
  out(`time       ${(r.ms / 1000).toFixed(2)} s (${(r.ms / r.windows).toFixed(0)} ms per window)`);
}
