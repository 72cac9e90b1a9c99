/**
 * What the HDL flows take: a design as file texts plus a top module name — exactly the shape the
 * RTL generator (src/core/rtl) returns — and the checks that keep it safe to hand to Yosys.
 *
 * Ring 1: plain TypeScript, no DOM, no Node built-ins. The checks run before any tool is loaded,
 * so a malformed request fails in microseconds with a message that names the culprit, instead of
 * after the 30 MB Yosys WASM has been compiled.
 */

/** A synthesisable design: SystemVerilog sources by file name, and the module to synthesise. */
export interface HdlDesign {
  /**
   * File name → text. `.sv` and `.v` files are read (in insertion order, so packages the
   * generator emits first are known to the files after them); `.svh`/`.vh` are only placed next to
   * them for `` `include ``, and `.hex`/`.mem` data files for `$readmemh` (a generated layer's
   * weights). Names are plain relative paths (letters, digits, `_ . - /`); `a/b.hex` is file `b.hex`
   * in folder `a` of the working directory.
   */
  readonly files: Readonly<Record<string, string>>;
  /** The top module's name (a plain Verilog identifier). */
  readonly top: string;
  /**
   * Parameter overrides of the top (Yosys `chparam -set`, e.g. the memory-file prefix of a
   * generated layer): an integer, or a string of letters, digits and `_ . / + -`. With overrides
   * the sources are read with `-defer`, so the defaults (which may name missing files) are never
   * elaborated.
   */
  readonly params?: Readonly<Record<string, string | number>>;
}

/** A problem with a design or with a tool run, in words a user can act on. */
export class HdlError extends Error {
  override readonly name = 'HdlError';
  constructor(
    /** What went wrong: the request itself, the Verilog (parse/elaboration), or the tool. */
    readonly kind: 'request' | 'verilog' | 'tool',
    message: string,
    /** Where, when the tool said so. */
    readonly where?: { readonly file: string; readonly line: number },
  ) {
    super(message);
  }
}

/** File names go into a Yosys script unquoted: allow only characters that need no quoting. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const SOURCE_EXT = /\.(sv|v)$/;
const HEADER_EXT = /\.(svh|vh)$/;
const DATA_EXT = /\.(hex|mem)$/;
const PARAM_STRING = /^[A-Za-z0-9_./+-]+$/;

/** Largest design accepted (all files together): far above any generated layer, far below what hangs a tab. */
export const MAX_DESIGN_BYTES = 8 * 1024 * 1024;

/** The files Yosys reads (`read_verilog -sv`), in order; headers are left for `` `include ``. */
export function sourceFiles(design: HdlDesign): string[] {
  return Object.keys(design.files).filter((f) => SOURCE_EXT.test(f));
}

/**
 * Check a design before any tool sees it. Throws HdlError('request') naming the first problem:
 * no sources, a file name that is not a plain relative path, a top that is not an identifier, or
 * a design that is too big. Whether the top module exists is Yosys's to say (it parses the code).
 */
export function checkDesign(design: HdlDesign): void {
  if (!design || typeof design !== 'object' || !design.files || typeof design.files !== 'object') {
    throw new HdlError('request', 'The design must be { files: { name: text }, top: name }.');
  }
  if (typeof design.top !== 'string' || !IDENT.test(design.top)) {
    throw new HdlError('request', `Top module ${JSON.stringify(design.top)} is not a Verilog identifier (letters, digits, _ and $, not starting with a digit).`);
  }
  let bytes = 0;
  for (const [name, text] of Object.entries(design.files)) {
    if (!FILE_NAME.test(name) || name.split('/').includes('..')) {
      throw new HdlError('request', `File name ${JSON.stringify(name)} is not a plain relative path (letters, digits, _ . - /; no spaces or "..").`);
    }
    if (!SOURCE_EXT.test(name) && !HEADER_EXT.test(name) && !DATA_EXT.test(name)) {
      throw new HdlError('request', `File ${name}: only .sv, .v (read), .svh, .vh (included) and .hex, .mem (data) files are accepted.`);
    }
    if (typeof text !== 'string') throw new HdlError('request', `File ${name}: its content must be text.`);
    bytes += text.length;
  }
  for (const [k, v] of Object.entries(design.params ?? {})) {
    if (!IDENT.test(k)) throw new HdlError('request', `Parameter name ${JSON.stringify(k)} is not a Verilog identifier.`);
    const ok = typeof v === 'number' ? Number.isSafeInteger(v) : typeof v === 'string' && PARAM_STRING.test(v);
    if (!ok) throw new HdlError('request', `Parameter ${k} = ${JSON.stringify(v)}: a value is an integer or a string of letters, digits and _ . / + -.`);
  }
  if (bytes > MAX_DESIGN_BYTES) {
    throw new HdlError('request', `The design is ${(bytes / 1048576).toFixed(1)} MiB of source; at most ${MAX_DESIGN_BYTES / 1048576} MiB is accepted.`);
  }
  if (sourceFiles(design).length === 0) {
    throw new HdlError('request', 'The design has no .sv or .v file to read.');
  }
}
