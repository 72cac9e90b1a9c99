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

/** Source without comments and string contents (so names inside them are not taken for code). */
function codeOf(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, ' ')
    .replace(/"(?:\\.|[^"\\])*"/g, '""');
}

function declared(text: string, keyword: 'module' | 'package'): string[] {
  const re = keyword === 'module' ? /(?:^|[\s;])(?:module|macromodule)\s+(?:automatic\s+|static\s+)?([A-Za-z_][A-Za-z0-9_$]*)/g : /(?:^|[\s;])package\s+(?:automatic\s+|static\s+)?([A-Za-z_][A-Za-z0-9_$]*)/g;
  return [...codeOf(text).matchAll(re)].map((m) => m[1]);
}

/** Module names declared in SystemVerilog source (comments and strings ignored), in order. */
export function moduleNames(text: string): string[] {
  return declared(text, 'module');
}

/**
 * The library files a module needs: its own file, the files of every module and package its code
 * names, transitively — packages first, then in name order. Only those go to Yosys, so a library
 * file that cannot be read on its own (a ROM loading a memory file, a half-written module) does
 * not break the synthesis of modules that do not use it.
 */
export function filesFor(library: Record<string, string>, top: string): string[] {
  const owner = new Map<string, string>();
  const packages = new Set<string>();
  for (const [f, text] of Object.entries(library)) {
    for (const m of declared(text, 'module')) if (!owner.has(m)) owner.set(m, f);
    for (const p of declared(text, 'package')) {
      if (!owner.has(p)) owner.set(p, f);
      packages.add(f);
    }
  }
  const start = owner.get(top);
  if (!start) return [];
  const need = new Set([start]);
  const todo = [start];
  while (todo.length) {
    const f = todo.pop()!;
    for (const tok of codeOf(library[f]).match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []) {
      const g = owner.get(tok);
      if (g && !need.has(g)) {
        need.add(g);
        todo.push(g);
      }
    }
  }
  return [...need].sort((a, b) => Number(packages.has(b)) - Number(packages.has(a)) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The test design every flow is checked on (tests/e2e compare its LUTs against native Yosys). */
export const TEST_TARGET: SynthTarget = {
  key: 'module:fixtures/dot4.sv#dot4',
  label: 'dot4 — test design: 4-lane int4 dot product (src/core/hdl/fixtures)',
  design: { files: { 'dot4.sv': dot4 }, top: 'dot4' },
  estimate: null,
};

/**
 * One target per module of the component library (empty until the library has modules), each
 * with the files it needs (filesFor). Testbenches (tb_*.sv) are simulation-only: left out.
 */
export function libraryTargets(library: Record<string, string> = LIBRARY): SynthTarget[] {
  const lib = Object.fromEntries(
    Object.keys(library)
      .filter((f) => !f.startsWith('tb_'))
      .sort()
      .map((f) => [f, library[f]]),
  );
  return Object.keys(lib).flatMap((f) =>
    moduleNames(lib[f]).map((top) => ({
      key: `module:${f}#${top}`,
      label: `${top} — component library (${f})`,
      design: { files: Object.fromEntries(filesFor(lib, top).map((x) => [x, lib[x]])), top },
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
