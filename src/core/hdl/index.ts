/**
 * src/core/hdl — the studio's HDL tool flows (ring 1): the fixed Yosys synthesis scripts, the
 * `stat` report parser, Yosys error messages, and `synthesize` over an injected Yosys. The
 * Verilator-WASM simulation flow and co-simulation compare will live here too (architecture.md).
 */
export { HdlError, MAX_DESIGN_BYTES, checkDesign, sourceFiles, type HdlDesign } from './design';
export { sourceLine, yosysError } from './errors';
export { toTree, utf8Stream, yowaspRun, type YosysRun, type YowaspRunYosys, type YowaspTree } from './runner';
export { fpgaCounts, gateCounts, parseStat, yosysVersion, type FpgaCounts, type GateCounts, type StatModule, type YosysStat } from './stat';
export { synthesize, type FlowResult, type SynthHooks, type SynthProgress, type SynthReport } from './synth';
export { SYNTH_FLOWS, flowCommands, yosysArgs, yosysScript, type ScriptOptions, type SynthFlow, type SynthFlowId } from './yosysScript';
