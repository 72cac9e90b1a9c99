/// <reference types="vite/client" />
/**
 * Which RTL "Synthesize" can run, as `{ files, top }` (HdlDesign, the RTL generator's output shape):
 *
 * - a **layer** of the design point — `layerDesign()`, the hook for the per-layer generator
 *   (src/core/rtl/layer.ts, being written). Until it lands it returns null and the pane says so;
 * - a **module of the component library** (src/core/rtl/components/*.sv, bundled as text), with
 *   every library file in the design so a module's sub-modules and packages resolve;
 * - the **test design** `dot4` (src/core/hdl/fixtures/dot4.sv: a 4-lane int4 dot product, the
 *   module whose browser and native Yosys counts the tests compare);
 * - **Verilog the user pastes** (untrusted: it only ever runs inside the synthesis worker).
 */
import type { CostReport, LayerCost } from '../../core/cost';
import type { HdlDesign } from '../../core/hdl';
import type { Graph, QuantConfig } from '../../core/graph';
import type { HardwareSettings, SynthTarget } from '../../state/hardware';
import dot4 from '../../core/hdl/fixtures/dot4.sv';

// Eager: the library is small text; the svText plugin turns each .sv into its source string.
const LIBRARY: Record<string, string> = Object.fromEntries(
  Object.entries(import.meta.glob<string>('../../core/rtl/components/*.sv', { import: 'default', eager: true })).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text] as const),
);

/** Module names declared in SystemVerilog source (comments and strings ignored), in order. */
export function moduleNames(text: string): string[] {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/"(?:\\.|[^"\\])*"/g, '""');
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[\s;])(?:module|macromodule)\s+(?:automatic\s+|static\s+)?([A-Za-z_][A-Za-z0-9_$]*)/g)) out.push(m[1]);
  return out;
}

/** The test design every flow is checked on (tests/e2e compare its LUTs against native Yosys). */
export const TEST_TARGET: SynthTarget = {
  key: 'module:fixtures/dot4.sv#dot4',
  label: 'dot4 — test design: 4-lane int4 dot product (src/core/hdl/fixtures)',
  design: { files: { 'dot4.sv': dot4 }, top: 'dot4' },
  estimate: null,
};

/**
 * One target per module of the component library (empty until the library has modules).
 * Testbenches (tb_*.sv) are simulation-only, not synthesisable: left out.
 */
export function libraryTargets(library: Record<string, string> = LIBRARY): SynthTarget[] {
  const files = Object.keys(library)
    .filter((f) => !f.startsWith('tb_'))
    .sort();
  const design = Object.fromEntries(files.map((f) => [f, library[f]]));
  return files.flatMap((f) =>
    moduleNames(library[f]).map((top) => ({
      key: `module:${f}#${top}`,
      label: `${top} — component library (${f})`,
      design: { files: design, top },
      estimate: null,
    })),
  );
}

/** A target for pasted Verilog: the top is the module named, else the last module in the text. */
export function pastedTarget(text: string, top?: string): SynthTarget | { error: string } {
  const names = moduleNames(text);
  const chosen = top && top.trim() ? top.trim() : names.at(-1);
  if (!chosen) return { error: 'No module declaration found: the text needs "module <name> (...); … endmodule".' };
  return { key: `pasted#${chosen}`, label: `${chosen} — your Verilog`, design: { files: { 'pasted.sv': text }, top: chosen }, estimate: null };
}

/**
 * HOOK for the RTL generator: the SystemVerilog of one layer (GEMM op) of the design point, or
 * null while src/core/rtl/layer.ts has not landed. When it does, call it here with the op, its
 * formats (resolveConfig(graph, quant).formats) and lanes (settings.lanesK/N, capped like the cost
 * model's defaults) and return its `{ files, top }` unchanged.
 */
export function layerDesign(_graph: Graph, _op: LayerCost, _quant: QuantConfig, _settings: HardwareSettings): HdlDesign | null {
  return null;
}

/** The synthesis target of a layer, with the cost model's estimate of the same hardware; null without generated RTL. */
export function layerTarget(graph: Graph, report: CostReport, opId: string, quant: QuantConfig, settings: HardwareSettings): SynthTarget | null {
  const op = report.layers.find((l) => l.op === opId);
  if (!op) return null;
  const design = layerDesign(graph, op, quant, settings);
  if (!design) return null;
  return {
    key: `op:${opId}`,
    label: `${opId} — layer (${op.gemm.M}×${op.gemm.K}×${op.gemm.N}, ${op.lanes.k}×${op.lanes.n} lanes)`,
    design,
    estimate: { luts: op.fpga.luts, ffs: op.fpga.ffs, dsps: op.fpga.dsps, brams: op.fpga.brams, gateEquivalents: op.gateEquivalents },
  };
}
