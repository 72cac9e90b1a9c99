/**
 * Reading Yosys's `stat` report out of a log: cell counts per module, the design-hierarchy total,
 * Yosys's transistor estimate (`stat -tech cmos`), and the summaries the studio shows — FPGA
 * resources (LUT/FF/CARRY/MUXF/DSP/BRAM) for the `fpga` flow and gate counts / gate equivalents
 * for the `gates` flow.
 *
 * Tested on real logs of both Yosys builds the project runs (fixtures/logs: Debian's Yosys 0.23,
 * the calibration tool's, and YoWASP's 0.55, the browser's). The two print the same layout except
 * that 0.55 adds "Number of ports" lines and `$scopeinfo` cells (kept by -flatten; not hardware,
 * so not counted). The parser is strict: a log without a recognisable report is an error, never
 * zeros.
 *
 * Ring 1: plain TypeScript.
 */
import { HdlError } from './design';

/** One `=== name ===` block of a stat report. */
export interface StatModule {
  /** Module name, or `design hierarchy` for the hierarchy total. */
  readonly name: string;
  /** The "Number of …" lines by their text: `wires`, `wire bits`, `cells`, `memory bits`, `ports` (0.55+), … */
  readonly numbers: Readonly<Record<string, number>>;
  /** Cell type → count (Xilinx primitives, `$_NAND_`, sub-module instances, …). */
  readonly cells: Readonly<Record<string, number>>;
  /** `stat -tech cmos`: Yosys's transistor estimate; `lowerBound` when it printed "N+" (cells it has no count for). */
  readonly transistors: { readonly count: number; readonly lowerBound: boolean } | null;
  /** `synth_xilinx`'s own stat: "Estimated number of LCs" (absent from a plain `stat`). */
  readonly estimatedLCs: number | null;
  /** Hierarchy block only: module → instance count (the top counts 1). */
  readonly instances: Readonly<Record<string, number>>;
}

export interface YosysStat {
  /** Per-module blocks, in the report's order. */
  readonly modules: readonly StatModule[];
  /** The `=== design hierarchy ===` total, present when the design was not flattened. */
  readonly hierarchy: StatModule | null;
  /** What the whole design costs: the hierarchy total, else the named top, else the only module. */
  readonly design: StatModule;
  /** "0.55" / "0.23", from the log's banner or footer; null when the text has none (a bare stat report). */
  readonly version: string | null;
}

/** Cells that are bookkeeping, not hardware (Yosys ≥ 0.40 keeps `$scopeinfo` after -flatten). */
const NOT_HARDWARE = new Set(['$scopeinfo']);

const TOP_LEVEL_STAT = /^\d+\. Printing statistics\.\s*$/;
const ANY_STAT = /^\d+(?:\.\d+)*\. Printing statistics\.\s*$/;
const PASS_HEADER = /^\d+(?:\.\d+)*\. \S/;
const MODULE_HEADER = /^=== (.+) ===\s*$/;
const NUMBER_LINE = /^\s+Number of (.+?):\s+(\d+)\s*$/;
const TRANSISTORS = /^\s+Estimated number of transistors:\s+(\d+)(\+?)\s*$/;
const LCS = /^\s+Estimated number of LCs:\s+(\d+)\s*$/;
const COUNT_LINE = /^\s+(\S+)\s+(\d+)\s*$/;
const VERSION = /\bYosys (\d+\.\d+)(?:\+\d+)? \(git sha1/;

/** The Yosys version a log was written by ("0.55"), or null. */
export function yosysVersion(log: string): string | null {
  return VERSION.exec(log)?.[1] ?? null;
}

/**
 * Parse the last `stat` report of a Yosys log (the script's own `stat`, not the ones `synth`
 * prints along the way), or a bare report (e.g. written with `tee -o`). `top` picks the module
 * when several are listed without a hierarchy total. Throws HdlError('tool') when there is no
 * report, or when the module asked for is not in it.
 */
export function parseStat(log: string, top?: string): YosysStat {
  const lines = log.split(/\r?\n/);
  // The script's stat is the last top-level "N. Printing statistics." (synth's internal ones are
  // numbered N.M.); a bare report has no header at all.
  let start = findLast(lines, (l) => TOP_LEVEL_STAT.test(l));
  if (start < 0) start = findLast(lines, (l) => ANY_STAT.test(l));
  start = start < 0 ? 0 : start + 1;

  const blocks: StatModule[] = [];
  let cur: MutableModule | null = null;
  let inCells = false;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    const header = MODULE_HEADER.exec(line);
    if (header) {
      if (cur) blocks.push(cur);
      cur = { name: header[1].trim(), numbers: {}, cells: {}, transistors: null, estimatedLCs: null, instances: {} };
      inCells = false;
      continue;
    }
    // The report ends at the next pass, the footer or the warnings summary.
    if (PASS_HEADER.test(line) || line.startsWith('End of script') || line.startsWith('Warnings:')) break;
    if (!cur || !line.trim()) continue;
    const num = NUMBER_LINE.exec(line);
    if (num) {
      cur.numbers[num[1]] = Number(num[2]);
      inCells = num[1] === 'cells';
      continue;
    }
    const tr = TRANSISTORS.exec(line);
    if (tr) {
      cur.transistors = { count: Number(tr[1]), lowerBound: tr[2] === '+' };
      inCells = false;
      continue;
    }
    const lc = LCS.exec(line);
    if (lc) {
      cur.estimatedLCs = Number(lc[1]);
      inCells = false;
      continue;
    }
    const cnt = COUNT_LINE.exec(line);
    if (cnt) {
      // Before any "Number of" line only the hierarchy block lists names with counts: instances.
      if (inCells) cur.cells[cnt[1]] = (cur.cells[cnt[1]] ?? 0) + Number(cnt[2]);
      else if (Object.keys(cur.numbers).length === 0) cur.instances[cnt[1]] = Number(cnt[2]);
    }
  }
  if (cur) blocks.push(cur);

  const valid = blocks.filter((b) => b.numbers.cells !== undefined);
  if (valid.length === 0) {
    throw new HdlError('tool', 'No `stat` report in the Yosys output (the run stopped before `stat`, or this Yosys prints a report layout the parser does not know).');
  }
  const hierarchy = valid.find((b) => b.name === 'design hierarchy') ?? null;
  const modules = valid.filter((b) => b !== hierarchy);
  let design: StatModule | undefined;
  if (hierarchy) design = hierarchy;
  else if (top !== undefined) design = modules.find((m) => m.name === top || m.name === `\\${top}`);
  else if (modules.length === 1) design = modules[0];
  if (!design) {
    const names = modules.map((m) => m.name).join(', ');
    throw new HdlError('tool', top !== undefined ? `The stat report has no module ${top} (it lists ${names}).` : `The stat report lists several modules (${names}) and no hierarchy total: name the top module.`);
  }
  return { modules, hierarchy, design, version: yosysVersion(log) };
}

interface MutableModule {
  name: string;
  numbers: Record<string, number>;
  cells: Record<string, number>;
  transistors: { count: number; lowerBound: boolean } | null;
  estimatedLCs: number | null;
  instances: Record<string, number>;
}

function findLast(lines: string[], pred: (l: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (pred(lines[i])) return i;
  return -1;
}

// ----------------------------------------------------------------------------------- summaries

/** Xilinx 7-series resources of a `synth_xilinx` netlist, in the units Vivado's utilisation report uses. */
export interface FpgaCounts {
  /** Logic LUTs: LUT1…LUT6, LUT6_2 and INV (Vivado implements an INV in a LUT1). */
  readonly luts: number;
  /** LUTs by input count (1–6; INV counted as 1). */
  readonly lutsBySize: Readonly<Record<number, number>>;
  /** Flip-flops (FDRE, FDSE, FDCE, FDPE and their inverted-clock variants). */
  readonly ffs: number;
  /** Latches (LDCE, LDPE): counted apart, a synchronous design has none. */
  readonly latches: number;
  /** Carry chains (CARRY4 / CARRY8). */
  readonly carries: number;
  /** Wide-function muxes (MUXF7/8/9): they sit beside the LUTs in a slice. */
  readonly muxes: number;
  /** DSP48 slices (0 under the fixed `-nodsp` flow). */
  readonly dsps: number;
  /** Block RAM in RAMB36 equivalents (a RAMB18 counts ½). */
  readonly brams: number;
  /** LUTs used as memory or shift registers (RAM32M, RAM64X1D, SRL16E, SRLC32E, …). */
  readonly lutram: number;
  /** I/O and clock buffers (IBUF, OBUF, BUFG, …): top-level ports, not datapath. */
  readonly io: number;
  /** Every hardware cell (`$scopeinfo` excluded). */
  readonly cells: number;
  /** Cell types none of the above took, so nothing is silently dropped. */
  readonly other: Readonly<Record<string, number>>;
}

const LUT = /^LUT([1-6])(?:_2)?$/;
const FF = /^FD(?:RE|SE|CE|PE)(?:_1)?$/;
const LATCH = /^LD(?:CE|PE)(?:_1)?$/;
const CARRY = /^CARRY(?:4|8)$/;
const MUXF = /^MUXF[789]$/;
const DSP = /^DSP48/;
const BRAM36 = /^RAMB36/;
const BRAM18 = /^RAMB18/;
const LUTRAM = /^(?:RAM(?:16|32|64|128|256|512)X\d+[SD]?|RAM32M(?:16)?|RAM64M(?:8)?|SRL16E|SRLC16E|SRLC32E|CFGLUT5)$/;
const IO = /^(?:IBUF|OBUF|OBUFT|IOBUF|IBUFG|BUFG|BUFGCTRL|BUFH|BUFR|BUFIO|IBUFDS|OBUFDS)$/;

/** Sum a stat block's Xilinx primitives into FPGA resources. */
export function fpgaCounts(m: StatModule): FpgaCounts {
  let luts = 0;
  let ffs = 0;
  let latches = 0;
  let carries = 0;
  let muxes = 0;
  let dsps = 0;
  let brams = 0;
  let lutram = 0;
  let io = 0;
  let cells = 0;
  const lutsBySize: Record<number, number> = {};
  const other: Record<string, number> = {};
  for (const [type, n] of Object.entries(m.cells)) {
    if (NOT_HARDWARE.has(type)) continue;
    cells += n;
    const lut = LUT.exec(type);
    if (lut || type === 'INV') {
      const k = lut ? Number(lut[1]) : 1;
      luts += n;
      lutsBySize[k] = (lutsBySize[k] ?? 0) + n;
    } else if (FF.test(type)) ffs += n;
    else if (LATCH.test(type)) latches += n;
    else if (CARRY.test(type)) carries += n;
    else if (MUXF.test(type)) muxes += n;
    else if (DSP.test(type)) dsps += n;
    else if (BRAM36.test(type)) brams += n;
    else if (BRAM18.test(type)) brams += n / 2;
    else if (LUTRAM.test(type)) lutram += n;
    else if (IO.test(type)) io += n;
    else other[type] = n;
  }
  return { luts, lutsBySize, ffs, latches, carries, muxes, dsps, brams, lutram, io, cells, other };
}

/** The `gates` flow's netlist: generic gates, flip-flops and Yosys's transistor estimate. */
export interface GateCounts {
  /** Every gate and flip-flop (`$scopeinfo` excluded). */
  readonly cells: number;
  /** Flip-flop cells (`$_DFF…`, `$_SDFF…`, `$_DFFE…`, `$_ALDFF…`, `$_DLATCH…`). */
  readonly flipFlops: number;
  /** Yosys's transistor estimate (`stat -tech cmos`); null when the report has none. */
  readonly transistors: number | null;
  /** True when Yosys printed "N+": some cells had no transistor count, so this is a lower bound. */
  readonly lowerBound: boolean;
  /** Gate equivalents = transistors / 4 (a NAND2 has 4), cost-model.md §6. */
  readonly gateEquivalents: number | null;
  readonly byType: Readonly<Record<string, number>>;
}

const GATE_FF = /^\$_(?:S?DFF|DFFE|SDFFE|SDFFCE|ALDFF|ALDFFE|DFFSR|DFFSRE|DLATCH|SR)/;

/** Sum a stat block's generic gates and read its transistor estimate. */
export function gateCounts(m: StatModule): GateCounts {
  let cells = 0;
  let flipFlops = 0;
  const byType: Record<string, number> = {};
  for (const [type, n] of Object.entries(m.cells)) {
    if (NOT_HARDWARE.has(type)) continue;
    cells += n;
    byType[type] = n;
    if (GATE_FF.test(type)) flipFlops += n;
  }
  const t = m.transistors;
  return { cells, flipFlops, transistors: t ? t.count : null, lowerBound: t ? t.lowerBound : false, gateEquivalents: t ? t.count / 4 : null, byType };
}
