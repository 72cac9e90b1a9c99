/**
 * `mx-studio rtl`: generate the SystemVerilog of a design point (a model folder + a quantization
 * config + the layers to build + their parallelism), with self-checking testbenches whose vectors
 * come from the emulator's integer mode, and write it as a bundle (src/core/rtl/bundle.ts: Makefile,
 * synth.ys, manifest.json, README.md) into a new folder or a .zip.
 *
 * Every check happens before anything is written: arguments, the output location, the model, the
 * config, the generator's own refusals (RtlError) and the bundle's path checks. A bad request is one
 * line on stderr and exit status 2, and the output path does not exist afterwards. The folder or
 * zip is written under a temporary name and renamed into place, so it is never half-written.
 *
 * Node ring. main.ts dispatches to `rtlCommand(rest, { out, err })`; it parses its own flags.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FormatError, formatToString } from '../core/formats';
import { buildGraph, ConfigError, resolveConfig, type Graph, type Op } from '../core/graph';
import { loadModel, ModelError, type LoadedModel } from '../core/model';
import type { Lanes } from '../core/cost';
import { MODEL_GENERATOR, byteLength, checkBundlePath, makeBundle, zipBundle, type BundleFiles, type RtlDesign, type RtlGenerator, type RtlLanes } from '../core/rtl/bundle';
import { RtlError } from '../core/rtl/errors';
import { folderSource } from './eval';
import { quantConfigFromFlags } from './quantConfigFlags';
import { loadNodeKernels } from './kernels';
import { calibrate, calibrationIds, gptqPoints, parseRounding, ROUNDING_HELP, ROUNDING_OPTS } from './rounding';
import { Emulator } from '../core/emulate';
import { RoundingError } from '../core/rounding';

export const RTL_HELP = `  mx-studio rtl      --model DIR (--config CONFIG.json | --uniform SPEC) [--layers all|N,..|OP,..]
                     [--lanes K[xN[xM]][,OP=K[xN[xM]],..]] [--tokens N] [--text FILE] --out DIR|FILE.zip [--force]
                     [--rounding nearest|gptq [--calib-tokens N] [--calib-text FILE]]

rtl: SystemVerilog of the design point (one module per layer, weights as .hex memories) with
self-checking testbenches whose expected outputs come from the emulator's integer mode, bundled with
a Makefile (make = Verilator + Icarus co-simulation; make lint; make synth), synth.ys, manifest.json
and a README.
  --model DIR           A Hugging Face model folder (config.json, weights, tokenizer.json).
  --config CONFIG.json  {"version": 1, "rules": [[glob, spec], ...]} over quant-point ids.
  --uniform SPEC        One format for every quant point (applied before --config's rules).
  --layers L            all (default), decoder blocks (0,2: every layer of those blocks) and/or op ids
                        (L0.q,L1.down,head).
  --lanes L             Parallelism of every GEMM: K[xN[xM]] multiplier lanes along K, output columns N
                        and token rows M; OP=K[xN[xM]] sets one op (16x2,L0.q=32x4).
  --tokens N            Tokens of stimulus for the testbench vectors (default 8, at most the context).
  --text FILE           Text the stimulus tokens come from (default: DIR/test.txt).
  --out DIR|FILE.zip    A new (or empty) folder, or a .zip file; its parent folder must exist.
  --force               Overwrite an existing .zip (a folder is never overwritten).
${ROUNDING_HELP}
                        gptq: the weight memories hold the GPTQ-rounded values (same formats, same
                        hardware), and the testbench vectors come from the emulator on them.
`;

/** parseArgs options of `rtl`. */
export const RTL_OPTS = {
  model: { type: 'string' },
  config: { type: 'string' },
  uniform: { type: 'string' },
  layers: { type: 'string' },
  lanes: { type: 'string' },
  tokens: { type: 'string' },
  text: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...ROUNDING_OPTS,
} as const;

/** A bad argument or input (one line, exit 2). */
export class RtlInputError extends Error {
  override readonly name = 'RtlInputError';
}

export type { RtlGenerateRequest, RtlGenerator, RtlLanes } from '../core/rtl/bundle';

type Values = Record<string, string | boolean | undefined>;

function parseOneLanes(s: string, what: string): Lanes {
  const m = /^(\d+)(?:x(\d+))?(?:x(\d+))?$/.exec(s.trim());
  if (!m) throw new RtlInputError(`--lanes: ${what} must be K, KxN or KxNxM (positive integers), got ${JSON.stringify(s)}`);
  const [k, n, mm] = [m[1], m[2] ?? '1', m[3] ?? '1'].map(Number);
  if (k < 1 || n < 1 || mm < 1) throw new RtlInputError(`--lanes: ${what} must be positive, got ${JSON.stringify(s)}`);
  return { lanesK: k, lanesN: n, lanesM: mm };
}

/** `16x2,L0.q=32x4` → default 16x2, L0.q 32x4. Op ids are checked against the graph later. */
export function parseLanes(s: string): RtlLanes {
  let def: Lanes | undefined;
  const perOp: Record<string, Lanes> = {};
  for (const part of s.split(',').map((p) => p.trim())) {
    if (part === '') throw new RtlInputError(`--lanes: empty entry in ${JSON.stringify(s)}`);
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (def) throw new RtlInputError(`--lanes: two defaults in ${JSON.stringify(s)} (per-op values are OP=KxN)`);
      def = parseOneLanes(part, 'the default');
    } else {
      const op = part.slice(0, eq).trim();
      if (op in perOp) throw new RtlInputError(`--lanes: ${op} is set twice`);
      perOp[op] = parseOneLanes(part.slice(eq + 1), op);
    }
  }
  return def ? { default: def, perOp } : { perOp };
}

/** `--layers` → op ids in graph order: `all`, decoder block numbers, op ids. */
export function selectOps(graph: Graph, spec: string, supports: (op: Op) => boolean): string[] {
  const want = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new RtlInputError(`--layers: empty entry in ${JSON.stringify(spec)}`);
  for (const p of parts) {
    if (p === 'all') {
      for (const op of graph.ops) if (supports(op)) want.add(op.id);
    } else if (/^\d+$/.test(p)) {
      const b = Number(p);
      if (b >= graph.blocks.count) throw new RtlInputError(`--layers: block ${b} does not exist (the model has ${graph.blocks.count} decoder blocks, 0–${graph.blocks.count - 1})`);
      for (const op of graph.ops) if (op.layer === b && supports(op)) want.add(op.id);
    } else {
      const op = graph.opById.get(p);
      if (!op) throw new RtlInputError(`--layers: no op ${JSON.stringify(p)} in this model (ops look like L0.q, L3.down, head)`);
      want.add(op.id);
    }
  }
  const ops = graph.ops.filter((o) => want.has(o.id)).map((o) => o.id);
  if (!ops.length) throw new RtlInputError(`--layers ${spec} selects no layer this generator can build`);
  return ops;
}

function positiveInt(key: string, s: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) throw new RtlInputError(`--${key} must be a positive integer, got ${JSON.stringify(s)}`);
  return Number(s);
}

/** Where and how the bundle goes; checked before the model is even read. */
interface OutPlan {
  kind: 'dir' | 'zip';
  path: string;
  /** Zip only: the folder every entry sits under (the zip's name, when it is a safe name). */
  folder?: string;
}

function planOut(v: Values): OutPlan {
  const out = v.out;
  if (typeof out !== 'string' || out === '') throw new RtlInputError('missing --out DIR or --out FILE.zip');
  const path = resolve(out);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new RtlInputError(`--out: the folder ${parent} does not exist (create it first)`);
  if (/\.zip$/i.test(path)) {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new RtlInputError(`--out: ${out} is a folder, not a .zip file`);
      if (v.force !== true) throw new RtlInputError(`--out: ${out} exists (pass --force to overwrite it)`);
    }
    const name = basename(path).replace(/\.zip$/i, '');
    let folder: string | undefined = name;
    try {
      checkBundlePath(name);
    } catch {
      folder = undefined; // an unusual zip name still works; the entries just sit at the top level
    }
    return { kind: 'zip', path, folder };
  }
  if (v.force === true) throw new RtlInputError('--force only overwrites a .zip; a folder is never overwritten (choose a new one)');
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new RtlInputError(`--out: ${out} exists and is not a folder`);
    if (readdirSync(path).length) throw new RtlInputError(`--out: ${out} is not empty (choose a new folder; nothing is overwritten)`);
  }
  return { kind: 'dir', path };
}

/** Write the bundle: into a temporary sibling first, renamed into place at the end. */
function writeOut(plan: OutPlan, files: BundleFiles): void {
  const parent = dirname(plan.path);
  if (plan.kind === 'zip') {
    const tmp = join(parent, `.${basename(plan.path)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, zipBundle(files, plan.folder ? { folder: plan.folder } : {}));
      renameSync(tmp, plan.path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return;
  }
  const tmp = mkdtempSync(join(parent, `.${basename(plan.path)}.tmp-`));
  try {
    for (const [p, data] of Object.entries(files)) {
      const full = join(tmp, p); // paths were checked by makeBundle: relative, no "..", safe alphabet
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, data);
    }
    // rename(2) replaces an empty folder, which planOut allowed
    renameSync(tmp, plan.path);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function readText(v: Values, dir: string): { text: string; name: string } {
  const path = typeof v.text === 'string' ? v.text : join(dir, 'test.txt');
  try {
    return { text: readFileSync(path, 'utf8'), name: typeof v.text === 'string' ? path : 'test.txt' };
  } catch {
    throw new RtlInputError(typeof v.text === 'string' ? `--text: cannot read ${path}` : `no stimulus text: ${dir} has no test.txt; pass --text FILE`);
  }
}

/** Everything up to the bundle, no writes. Exported for tests. */
export async function buildRtlBundle(v: Values, generator: RtlGenerator = MODEL_GENERATOR): Promise<{ files: BundleFiles; design: RtlDesign; ops: string[] }> {
  const dir = v.model;
  if (typeof dir !== 'string' || dir === '') throw new RtlInputError('missing --model DIR (a Hugging Face model folder)');
  const quant = quantConfigFromFlags(v, (m) => new RtlInputError(m));
  if (!quant) throw new RtlInputError('missing --config CONFIG.json or --uniform SPEC (the formats to build)');
  const lanes = typeof v.lanes === 'string' ? parseLanes(v.lanes) : { perOp: {} };
  const tokens = typeof v.tokens === 'string' ? positiveInt('tokens', v.tokens) : 8;
  const layerSpec = typeof v.layers === 'string' ? v.layers : 'all';
  const rounding = parseRounding(v, (m) => new RtlInputError(m));

  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RtlInputError(`--model: ${dir} is not a folder`);

  const base = await loadModel(folderSource(dir));
  const graph = buildGraph(base.config);
  // Rules that match nothing are kept and reported (configs travel between models), as eval and cost do.
  const resolved = resolveConfig(graph, quant);
  const ops = selectOps(graph, layerSpec, (op) => generator.supports(op));
  for (const op of Object.keys(lanes.perOp)) {
    const o = graph.opById.get(op);
    if (!o) throw new RtlInputError(`--lanes: no op ${JSON.stringify(op)} in this model`);
    if (!ops.includes(op)) throw new RtlInputError(`--lanes: ${op} is not among the --layers being generated`);
  }
  if (tokens > base.config.maxPositions) throw new RtlInputError(`--tokens ${tokens} exceeds the model's context of ${base.config.maxPositions} tokens`);
  const { text, name } = readText(v, dir);
  const all = base.tokenizer.encode(text);
  if (all.length < tokens) throw new RtlInputError(`--tokens ${tokens} exceeds the ${all.length} tokens of ${name}`);
  const ids = all.slice(0, tokens);

  // --rounding gptq: the design's weights are the GPTQ-rounded ones (same formats, so same hardware);
  // the testbench vectors then come from the emulator on those weights
  let model: LoadedModel = base;
  let roundingJson: Record<string, unknown> = { method: 'nearest' };
  if (rounding.method === 'gptq') {
    const points = gptqPoints(graph, quant);
    if (!points.length) throw new RtlInputError('--rounding gptq: no linear weight of this config has an MXInt format (GPTQ rounds MXInt weights)');
    const ci = calibrationIds(rounding, (t) => base.tokenizer.encode(t), all, name, (m) => new RtlInputError(m));
    const { kernels } = await loadNodeKernels(undefined);
    const cal = calibrate(new Emulator(base, kernels), ci.ids, base.config.maxPositions, rounding);
    model = cal.rounder.model(quant).model;
    roundingJson = { method: 'gptq', calibration_tokens: cal.tokens, calibration_text: ci.name, points };
  }

  const design = await generator.generate({ model, graph, quant, ops, lanes, ids });
  const formats = Object.fromEntries(ops.flatMap((id) => graph.opById.get(id)!.points.map((p) => [p, formatToString(resolved.formats.get(p)!)])));
  if ('request' in design.manifest) throw new RtlError('rtl', 'the generator manifest must not have a "request" key: the command adds it');
  // The command's own facts go beside the generator's manifest (never over it).
  const manifest = { ...design.manifest, request: { model: model.name, layers: layerSpec, ops, formats, unmatched_rules: resolved.unmatched, lanes, tokens: { count: tokens, text: name }, rounding: roundingJson } };
  const files = makeBundle({ ...design, manifest });
  return { files, design, ops };
}

/**
 * Run `mx-studio rtl` with the arguments after the command name. Returns the exit code: 0, 2 with
 * one line on stderr for a request that cannot be built (nothing is written then), 1 for an
 * unexpected failure. `deps.generate` swaps the generator (tests).
 */
export async function rtlCommand(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void } = {}, deps: { generator?: RtlGenerator } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s + '\n'));
  const err = io.err ?? ((s: string) => process.stderr.write(s + '\n'));
  try {
    const { values, positionals } = parseArgs({ args: argv, options: RTL_OPTS, strict: true, allowPositionals: true });
    if (values.help) {
      out(RTL_HELP);
      return 0;
    }
    if (positionals.length) throw new RtlInputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const v = values as Values;
    const plan = planOut(v);
    const { files, design, ops } = await buildRtlBundle(v, deps.generator);
    writeOut(plan, files);
    const bytes = Object.values(files).reduce((s, f) => s + byteLength(f), 0);
    const tbs = design.testbenches.length;
    out(`wrote ${Object.keys(files).length} files (${bytes.toLocaleString('en-US')} bytes) for ${ops.length} layer(s), ${tbs} testbench${tbs === 1 ? '' : 'es'}, to ${plan.path}`);
    out(plan.kind === 'zip' ? `run: unzip ${basename(plan.path)}${plan.folder ? ` && cd ${plan.folder}` : ''} && make` : `run: cd ${plan.path} && make`);
    return 0;
  } catch (e) {
    if (e instanceof RtlInputError || e instanceof RtlError || e instanceof ModelError || e instanceof ConfigError || e instanceof FormatError || e instanceof RoundingError) {
      err(`mx-studio rtl: error: ${e.message.split('\n')[0]}`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      err(`mx-studio rtl: error: ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
    err(`mx-studio rtl: internal error: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
