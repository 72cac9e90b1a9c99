/**
 * The RTL export bundle: the generated files of a design plus everything needed to check them with
 * native tools — a `Makefile` (Verilator 5 and Icarus co-simulation of every self-checking
 * testbench, `verilator -Wall` lint, Yosys synthesis), `synth.ys` (the project's fixed Yosys flows
 * of src/core/hdl), `manifest.json` and a `README.md` — and the zip the studio downloads.
 *
 * The bundle is meant to run as shipped: `unzip x.zip && cd x && make` runs every testbench under
 * both simulators and exits non-zero on any mismatch. `bundle.sim.test.ts` does exactly that.
 *
 * Paths are the one thing a bundle must get right: they become zip entry names (a hostile name
 * like `../../.bashrc` is the classic zip-slip), Makefile words and command-line arguments. So
 * every path is a plain relative path from a small alphabet, checked before anything is produced,
 * and a bad one is an RtlError naming it.
 *
 * Ring 1: plain TypeScript, no DOM, no Node built-ins (fflate is pure JS).
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { Lanes } from '../cost';
import type { EmulatorKernels } from '../emulate';
import type { Graph, Op, QuantConfig } from '../graph';
import type { SynthFlowId } from '../hdl';
import type { LoadedModel } from '../model';
import { RtlError } from './errors';
import { makefileText, readmeText, synthScriptText, type BundlePlan } from './bundleTemplates';
import { modelGenerator } from './model';

/** One self-checking testbench (src/core/rtl/README.md, "Testbench convention"). */
export interface RtlTestbench {
  /**
   * Name of the run: a Make target suffix (`sim-verilator-<name>`) and the log/binary folder name.
   * A plain identifier (letters, digits, `_`; not starting with a digit).
   */
  readonly name: string;
  /** Top module of the simulation (the testbench or a wrapper running several). */
  readonly top: string;
  /**
   * The `.sv`/`.v` files to compile, in compile order (packages first), as paths of `files`.
   * Run-time files (vectors/, mem/) are not listed: the simulation reads them relative to the
   * bundle's root.
   */
  readonly sources: readonly string[];
}

/** What the generator hands to {@link makeBundle}. */
export interface RtlDesign {
  /**
   * Path → content. Paths are relative (`rtl/x.sv`, `tb/tb_x.sv`, `vectors/tb_x.in.hex`,
   * `mem/w.hex`); see {@link checkBundlePath}. Files under `tb/` or whose name starts with `tb_`
   * are testbench code; every other `.sv`/`.v` file is RTL (linted and synthesised).
   */
  readonly files: Readonly<Record<string, string | Uint8Array>>;
  readonly testbenches: readonly RtlTestbench[];
  /** The generator's description of the design (configuration, formats, seeds, versions): written as manifest.json with a `bundle` section added. */
  readonly manifest: object;
  /**
   * Modules `make synth` synthesises, by name or with parameter values (a shared layer module whose
   * weights are a `MEM` file prefix: `{ top: 'lyr_q', params: { MEM: 'mem/L0_q' } }`). Default: the
   * root modules of the RTL (declared in an RTL file and instantiated by no other RTL module), with
   * their default parameters.
   */
  readonly synthTops?: readonly (string | RtlSynthTop)[];
}

/** A synthesis top with parameter overrides (Yosys `chparam -set` before synthesis). */
export interface RtlSynthTop {
  readonly top: string;
  /** Parameter → value: an integer, or a string of letters, digits and `_ . / + -` (a file prefix). */
  readonly params?: Readonly<Record<string, string | number>>;
}

// ------------------------------------------------------------------------------ the generator contract

/** Parallelism of the design: a default for every GEMM and per-op overrides (op id → lanes). */
export interface RtlLanes {
  readonly default?: Lanes;
  readonly perOp: Readonly<Record<string, Lanes>>;
}

/** What the model-level generator is asked to build (the CLI and the studio's RTL worker ask the same). */
export interface RtlGenerateRequest {
  readonly model: LoadedModel;
  readonly graph: Graph;
  readonly quant: QuantConfig;
  /** Op ids to generate (`L0.q`, `head`), in graph order. */
  readonly ops: readonly string[];
  readonly lanes: RtlLanes;
  /** Stimulus token ids: an integer-mode emulator run over them gives every testbench's vectors. */
  readonly ids: readonly number[];
  /** WASM kernels for that emulator run, when the caller has them (same numbers, faster). */
  readonly kernels?: EmulatorKernels;
  /** Progress: layers done of total, and the layer being generated. */
  readonly onProgress?: (done: number, total: number, op: string) => void;
}

/**
 * The model-level RTL generator. `supports` says which ops "all layers" selects; `generate`
 * returns the design or throws RtlError naming the layer and why it cannot be built.
 */
export interface RtlGenerator {
  supports(op: Op): boolean;
  generate(req: RtlGenerateRequest): RtlDesign | Promise<RtlDesign>;
}

/**
 * The generator the CLI and the studio's RTL worker use: src/core/rtl/model.ts (per layer: the
 * module over the component library, weight memories, a testbench with vectors from one
 * integer-mode emulator run; with every op asked for, the top level too). It refuses with an
 * RtlError naming the layer what the hardware cannot build (fp32 GEMM operands, lanes that do not
 * divide, a model family it does not wire); it never produces placeholder RTL.
 */
export const MODEL_GENERATOR: RtlGenerator = modelGenerator;

/** Bundle contents: path → text or bytes. */
export type BundleFiles = Record<string, string | Uint8Array>;

/** Names the bundle writes itself; a design file may not take them (compared case-insensitively). */
export const BUNDLE_OWN_FILES = ['Makefile', 'README.md', 'manifest.json', 'synth.ys'] as const;
/** Where `make` puts binaries and logs; no design file may live there. */
export const BUILD_DIR = 'build';

/** The synthesis flows `make synth` runs for each top (the fixed scripts of src/core/hdl). */
export const BUNDLE_SYNTH_FLOWS: readonly SynthFlowId[] = ['fpga', 'gates'];

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SOURCE_EXT = /\.(sv|v)$/;
const HEADER_EXT = /\.(svh|vh)$/;
/** Longest path accepted: far above what the generator writes, below every archiver's limit. */
const MAX_PATH = 200;

function bad(path: string, reason: string): RtlError {
  return new RtlError(`bundle file ${JSON.stringify(path)}`, reason);
}

/**
 * Check one bundle path; throws RtlError naming it. Accepted: `seg/seg/…/name` where each segment
 * is letters, digits and `_ . + -`, not starting with `.` or `-` (so no `.`/`..`, no hidden files,
 * nothing a command line would read as an option). Rejected with a specific reason: NUL, a
 * backslash, an absolute path (`/x`, `C:…`), an empty segment (`a//b`, a trailing `/`), `.`/`..`.
 */
export function checkBundlePath(path: unknown): asserts path is string {
  if (typeof path !== 'string') throw new RtlError('bundle', `a file path must be a string, got ${typeof path}`);
  if (path === '') throw bad(path, 'a file path must not be empty');
  if (path.includes('\0')) throw bad(path, 'a file path must not contain a NUL character');
  if (path.includes('\\')) throw bad(path, 'use "/" between folders: a backslash is not a path separator in a zip or a Makefile');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw bad(path, 'a file path must be relative to the bundle (no leading "/" or drive letter)');
  if (path.length > MAX_PATH) throw bad(path, `a file path must be at most ${MAX_PATH} characters`);
  const segs = path.split('/');
  if (segs.some((s) => s === '')) throw bad(path, 'a file path must not have empty segments ("//" or a trailing "/")');
  if (segs.some((s) => s === '.' || s === '..')) throw bad(path, 'a file path must not contain "." or ".." segments');
  for (const s of segs) {
    if (!SEGMENT.test(s)) throw bad(path, `segment ${JSON.stringify(s)} may only hold letters, digits and _ . + - (not starting with . or -)`);
  }
}

function checkPaths(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  const own = new Set(BUNDLE_OWN_FILES.map((f) => f.toLowerCase()));
  for (const p of paths) {
    checkBundlePath(p);
    const key = p.toLowerCase();
    if (own.has(key)) throw bad(p, `the bundle writes its own ${BUNDLE_OWN_FILES.find((f) => f.toLowerCase() === key)}`);
    if (key === BUILD_DIR || key.startsWith(BUILD_DIR + '/')) throw bad(p, `${BUILD_DIR}/ is where make writes binaries and logs`);
    const prev = seen.get(key);
    if (prev !== undefined) throw bad(p, prev === p ? 'listed twice' : `differs from ${JSON.stringify(prev)} only in letter case (they collide on Windows and macOS)`);
    seen.set(key, p);
  }
  // A file and a folder of the same name cannot both exist on disk ("rtl" and "rtl/x.sv").
  for (const p of paths) {
    const segs = p.toLowerCase().split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (seen.has(dir)) throw bad(seen.get(dir)!, `is both a file and the folder of ${JSON.stringify(p)}`);
    }
  }
}

// ------------------------------------------------------------------------------ reading the RTL

/** Code without comments and string literals (so a module name in a comment is not a dependency). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""');
}

/** Module names declared in SystemVerilog source, in order. */
export function declaredModules(text: string): string[] {
  const out: string[] = [];
  for (const m of code(text).matchAll(/(?:^|[^\w$])(?:module|macromodule)\s+(?:automatic\s+|static\s+)?([A-Za-z_][A-Za-z0-9_$]*)/g)) out.push(m[1]);
  return out;
}

function declaresPackage(text: string): boolean {
  return /(?:^|[^\w$])package\s+[A-Za-z_]/.test(code(text));
}

/** True for testbench-only code: under a `tb/` folder or named `tb_*`. */
export function isTestbenchPath(path: string): boolean {
  const segs = path.split('/');
  return segs.slice(0, -1).includes('tb') || segs[segs.length - 1].startsWith('tb_');
}

const asText = (v: string | Uint8Array): string | null => (typeof v === 'string' ? v : null);

interface RtlIndex {
  /** RTL source files in the design's order. */
  sources: string[];
  /** Package files (compiled first in every RTL source set). */
  packages: string[];
  /** module → declaring file. */
  fileOf: Map<string, string>;
  /** file → modules it instantiates (other RTL modules named in its code). */
  uses: Map<string, Set<string>>;
}

function indexRtl(files: Readonly<Record<string, string | Uint8Array>>): RtlIndex {
  const sources = Object.keys(files).filter((p) => SOURCE_EXT.test(p) && !isTestbenchPath(p));
  const fileOf = new Map<string, string>();
  const packages: string[] = [];
  for (const p of sources) {
    const text = asText(files[p]);
    if (text === null) throw bad(p, 'a Verilog source must be text, not bytes');
    for (const m of declaredModules(text)) {
      const prev = fileOf.get(m);
      if (prev !== undefined) throw new RtlError(`module ${m}`, `declared in both ${prev} and ${p}`);
      fileOf.set(m, p);
    }
    if (declaresPackage(text)) packages.push(p);
  }
  const uses = new Map<string, Set<string>>();
  for (const p of sources) {
    const own = new Set(declaredModules(files[p] as string));
    const u = new Set<string>();
    // A module name appearing as a word in another file's code is an instance of it (module names
    // are the generator's own, like mx_cast; instance names are prefixed, like u_cast).
    for (const w of code(files[p] as string).match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []) if (fileOf.has(w) && !own.has(w)) u.add(w);
    uses.set(p, u);
  }
  return { sources, packages, fileOf, uses };
}

/** The RTL files module `top` needs (its file, the files of what it instantiates, packages), in the design's order. */
function closure(ix: RtlIndex, top: string): string[] {
  const need = new Set<string>(ix.packages);
  const seen = new Set<string>();
  const stack = [ix.fileOf.get(top)!];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    need.add(f);
    for (const m of ix.uses.get(f) ?? []) stack.push(ix.fileOf.get(m)!);
  }
  return ix.sources.filter((s) => need.has(s));
}

/** Folders holding `.svh`/`.vh` headers, for `-I` (Verilator, Icarus) and `read_verilog -I` (Yosys). */
function includeDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) if (HEADER_EXT.test(p)) dirs.add(p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');
  return [...dirs].sort();
}

// ------------------------------------------------------------------------------ the bundle

const PARAM_TEXT = /^[A-Za-z0-9_./+-]*$/;

function checkSynthTop(t: string | RtlSynthTop, ix: RtlIndex): RtlSynthTop {
  const top = typeof t === 'string' ? t : t?.top;
  const label = `synthesis top ${JSON.stringify(top)}`;
  if (typeof top !== 'string' || !ix.fileOf.has(top)) throw new RtlError(label, 'no RTL file (outside tb/, not tb_*) declares it');
  if (typeof t === 'string' || t.params === undefined) return { top };
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(t.params)) {
    if (!IDENT.test(k)) throw new RtlError(label, `parameter name ${JSON.stringify(k)} is not an identifier`);
    // Values go into synth.ys unescaped: integers, or strings that need no quoting inside "…".
    if (typeof v === 'number' ? !Number.isSafeInteger(v) : typeof v !== 'string' || !PARAM_TEXT.test(v)) {
      throw new RtlError(label, `parameter ${k} = ${JSON.stringify(v)}: values are integers or strings of letters, digits and _ . / + -`);
    }
    params[k] = v;
  }
  return { top, params };
}

function checkTestbenches(design: RtlDesign): void {
  if (!Array.isArray(design.testbenches)) throw new RtlError('bundle', 'testbenches must be a list of { name, top, sources }');
  const names = new Set<string>();
  for (const tb of design.testbenches) {
    const label = `testbench ${JSON.stringify(tb?.name)}`;
    if (!tb || typeof tb.name !== 'string' || !IDENT.test(tb.name)) throw new RtlError(label, 'its name must be a plain identifier (letters, digits, _), as it becomes a make target');
    if (names.has(tb.name.toLowerCase())) throw new RtlError(label, 'listed twice');
    names.add(tb.name.toLowerCase());
    if (typeof tb.top !== 'string' || !IDENT.test(tb.top)) throw new RtlError(label, `top ${JSON.stringify(tb.top)} is not a module name`);
    if (!Array.isArray(tb.sources) || tb.sources.length === 0) throw new RtlError(label, 'it has no sources');
    const seen = new Set<string>();
    let declared = false;
    for (const s of tb.sources) {
      if (typeof s !== 'string' || !(s in design.files)) throw new RtlError(label, `source ${JSON.stringify(s)} is not a file of the design`);
      if (!SOURCE_EXT.test(s)) throw new RtlError(label, `source ${s} is not a .sv or .v file (headers are found through their folder)`);
      if (seen.has(s)) throw new RtlError(label, `source ${s} is listed twice`);
      seen.add(s);
      const text = asText(design.files[s]);
      if (text === null) throw bad(s, 'a Verilog source must be text, not bytes');
      if (declaredModules(text).includes(tb.top)) declared = true;
    }
    if (!declared) throw new RtlError(label, `no source declares its top module ${tb.top}`);
  }
}

/**
 * The bundle of a design: its files plus `Makefile`, `synth.ys`, `manifest.json` and `README.md`.
 * Throws RtlError (before producing anything) for a bad path, a duplicate (case-insensitive), a
 * file colliding with the bundle's own names or `build/`, a testbench whose sources are missing or
 * whose top no source declares, a module declared twice, or a synthesis top that is not an RTL module.
 *
 * `make` = `make sim sim-icarus`: every testbench under Verilator 5 (`--binary --timing`) and
 * Icarus (`-g2012`); a run fails on a non-zero exit status, on no `RESULT` line, or on any
 * `RESULT … mismatches=<m>` with m ≠ 0. `make lint`: `verilator --lint-only -Wall` per RTL module.
 * `make synth`: Yosys with the fixed flows (`fpga`, `gates`) per synthesis top.
 */
export function makeBundle(design: RtlDesign): BundleFiles {
  if (!design || typeof design !== 'object' || !design.files || typeof design.files !== 'object') throw new RtlError('bundle', 'the design must be { files, testbenches, manifest }');
  const paths = Object.keys(design.files);
  checkPaths(paths);
  for (const p of paths) {
    const v = design.files[p];
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw bad(p, 'content must be text or bytes');
  }
  if (!design.manifest || typeof design.manifest !== 'object' || Array.isArray(design.manifest)) throw new RtlError('bundle', 'the manifest must be a JSON object');
  if ('bundle' in design.manifest) throw new RtlError('bundle', 'the manifest must not have a "bundle" key: the bundle adds it (file list, testbenches, targets)');
  checkTestbenches(design);

  const ix = indexRtl(design.files);
  const lintModules = [...ix.fileOf.keys()];
  let synthTops: RtlSynthTop[];
  if (design.synthTops !== undefined) {
    synthTops = design.synthTops.map((t) => checkSynthTop(t, ix));
  } else {
    const used = new Set<string>();
    for (const u of ix.uses.values()) for (const m of u) used.add(m);
    synthTops = lintModules.filter((m) => !used.has(m)).map((top) => ({ top }));
  }

  const plan: BundlePlan = {
    testbenches: design.testbenches.map((t) => ({ name: t.name, top: t.top, sources: [...t.sources] })),
    lint: lintModules.map((m) => ({ module: m, sources: closure(ix, m) })),
    synth: synthTops.map((t) => ({ top: t.top, params: t.params ?? {}, sources: closure(ix, t.top) })),
    includeDirs: includeDirs(paths),
    flows: [...BUNDLE_SYNTH_FLOWS],
    files: paths.map((p) => ({ path: p, bytes: byteLength(design.files[p]), lines: lineCount(design.files[p]) })),
  };

  let manifestText: string;
  try {
    manifestText =
      JSON.stringify(
        {
          ...design.manifest,
          bundle: {
            format: 'mx-studio-rtl-bundle',
            version: 1,
            testbenches: plan.testbenches,
            lint_modules: lintModules,
            synth_tops: synthTops.map((t) => (t.params ? { top: t.top, params: t.params } : t.top)),
            synth_flows: [...BUNDLE_SYNTH_FLOWS],
            files: Object.fromEntries(plan.files.map((f) => [f.path, f.bytes])),
          },
        },
        null,
        2,
      ) + '\n';
  } catch (e) {
    throw new RtlError('bundle', `the manifest is not JSON-serialisable (${e instanceof Error ? e.message : String(e)})`);
  }

  const out: BundleFiles = {};
  for (const p of paths) out[p] = design.files[p];
  out['Makefile'] = makefileText(plan);
  out['synth.ys'] = synthScriptText(plan);
  out['manifest.json'] = manifestText;
  out['README.md'] = readmeText(plan, design.manifest);
  return out;
}

/** UTF-8 size of a file. */
export function byteLength(v: string | Uint8Array): number {
  if (typeof v !== 'string') return v.length;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < v.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Lines of a text file (a last line without "\n" counts); null for bytes. */
export function lineCount(v: string | Uint8Array): number | null {
  if (typeof v !== 'string') return null;
  if (v === '') return 0;
  let n = 0;
  for (let i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) n++;
  return v.endsWith('\n') ? n : n + 1;
}

/** Options of {@link zipBundle}. */
export interface ZipOptions {
  /** Put every entry under this folder (`mx-rtl/Makefile`), so unzipping makes one folder. A single path segment. */
  readonly folder?: string;
  /** Deflate level 0–9 (default 6). */
  readonly level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * Zip a bundle (fflate, deflate). Paths are checked again (a caller may zip any map), entries are
 * sorted and stamped with one fixed date, so the same bundle gives the same bytes every time.
 */
export function zipBundle(files: BundleFiles, opts: ZipOptions = {}): Uint8Array {
  const paths = Object.keys(files);
  checkPaths(paths.filter((p) => !(BUNDLE_OWN_FILES as readonly string[]).includes(p)));
  for (const p of paths) checkBundlePath(p);
  if (opts.folder !== undefined) {
    checkBundlePath(opts.folder);
    if (opts.folder.includes('/')) throw bad(opts.folder, 'the zip folder must be a single name');
  }
  const prefix = opts.folder ? opts.folder + '/' : '';
  // Local-time constructor + fflate's local-time getters: the same DOS timestamp in every time zone.
  const mtime = new Date(1980, 0, 1, 12, 0, 0);
  const tree: Zippable = {};
  for (const p of [...paths].sort()) {
    const v = files[p];
    tree[prefix + p] = [typeof v === 'string' ? strToU8(v) : v, { mtime }];
  }
  return zipSync(tree, { level: opts.level ?? 6, mtime });
}
