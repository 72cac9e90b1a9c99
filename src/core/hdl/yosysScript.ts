/**
 * The project's fixed Yosys flows, as scripts. One definition serves the in-browser synthesis
 * worker (YoWASP Yosys) and the native calibration tool (`yosys -p …`), so the browser's numbers
 * and the calibration's are produced by the same commands.
 *
 * The flags are frozen on purpose (cost-model.md §4.5, §6): Yosys LUT counts are a fair *relative*
 * proxy only when every run uses the same flags.
 * - `fpga`: `synth_xilinx -flatten -nodsp` — Xilinx 7-series LUT/FF/CARRY4/MUXF with soft
 *   multipliers (the issue fixes `-nodsp`, so multipliers are priced in LUTs like the cost model's
 *   default `fpga.dsp = false`). `dsp: true` drops `-nodsp` for a DSP48 count (calibration only).
 * - `gates`: `synth -flatten; abc -g cmos2; stat -tech cmos` — a technology-neutral gate netlist
 *   (NAND/NOR/NOT + flip-flops) and Yosys's transistor estimate; GE = transistors / 4. `-flatten`
 *   (as cost-model.md §6 writes it) so cross-module logic is optimised the same way as in the
 *   `fpga` flow and `stat` reports one module. Between synth and abc, `async2sync; dfflegalize`
 *   rewrites every flip-flop as a plain `$_DFF_P_`/`$_DFF_N_` plus gates for its reset/enable:
 *   `stat -tech cmos` knows transistor counts only for those, and prints a lower bound ("5100+")
 *   for a design with sync-reset or enable flops — the generator's components all have them.
 *
 * Ring 1: plain TypeScript.
 */
import { checkDesign, sourceFiles, type HdlDesign } from './design';

export type SynthFlowId = 'fpga' | 'gates';

export interface SynthFlow {
  readonly id: SynthFlowId;
  /** Short label for the UI. */
  readonly label: string;
  /** What it measures, for tooltips and reports. */
  readonly measures: string;
}

export const SYNTH_FLOWS: Readonly<Record<SynthFlowId, SynthFlow>> = {
  fpga: { id: 'fpga', label: 'FPGA (xc7)', measures: 'LUT, FF, CARRY4, MUXF7/8, DSP48, BRAM via synth_xilinx -flatten -nodsp' },
  gates: { id: 'gates', label: 'Gates (CMOS)', measures: 'NAND/NOR/NOT cells and transistors via synth -flatten; dfflegalize; abc -g cmos2; stat -tech cmos (GE = transistors / 4)' },
};

export interface ScriptOptions {
  /** `fpga` only: let Yosys map multipliers to DSP48s (drops `-nodsp`). Default false. */
  readonly dsp?: boolean;
}

/** The synthesis commands of a flow for a top module (after the sources are read). */
export function flowCommands(flow: SynthFlowId, top: string, opts: ScriptOptions = {}): string[] {
  switch (flow) {
    case 'fpga':
      return [`synth_xilinx -flatten${opts.dsp ? '' : ' -nodsp'} -top ${top}`, 'stat'];
    case 'gates':
      return [`synth -flatten -top ${top}`, 'async2sync', 'dfflegalize -cell $_DFF_P_ 01 -cell $_DFF_N_ 01', 'abc -g cmos2', 'stat -tech cmos'];
  }
}

/**
 * The whole Yosys script of a flow, for `yosys -p <script>` (native) or `runYosys(['-p', script])`
 * (WASM), with the design's files in the working directory. Checks the design first (HdlError).
 */
export function yosysScript(flow: SynthFlowId, design: HdlDesign, opts: ScriptOptions = {}): string {
  checkDesign(design);
  const params = Object.entries(design.params ?? {});
  // With overrides, -defer: the sources are elaborated by synth's hierarchy pass, after chparam,
  // so defaults that name missing files (a layer's `MEM = "mem/layer"`) are never elaborated.
  const read = `read_verilog -sv${params.length ? ' -defer' : ''} ${sourceFiles(design).join(' ')}`;
  const chparam = params.map(([k, v]) => `chparam -set ${k} ${typeof v === 'number' ? v : `"${v}"`} ${design.top}`);
  return [read, ...chparam, ...flowCommands(flow, design.top, opts)].join('; ');
}

/** The command line arguments for a flow: the same for native Yosys and YoWASP's runYosys. */
export function yosysArgs(flow: SynthFlowId, design: HdlDesign, opts: ScriptOptions = {}): string[] {
  return ['-p', yosysScript(flow, design, opts)];
}
