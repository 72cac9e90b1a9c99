/**
 * Shared by the model-level co-simulation tests (src/core/rtl/model*.test.ts): the default model
 * (public/models/sotu-llama-1m, stimulus from its test.txt), groups of generated layers run in one
 * wrapper build each (a Verilator build is cached by source hash; vectors and memories are read at
 * run time), per-layer RESULT reporting, and `coSimSuite`, the per-config suite. One file per config
 * so that vitest runs the configs on both workers.
 *
 * What `npm test` simulates, per config: every layer of every decoder block, the embedding / final
 * norm / LM head, each block top and the whole model on one token under Verilator (the four blocks'
 * layers in one build: they share their modules); under Icarus, which interprets (the whole-model top
 * alone takes ~13 min on the loaded 2-core machine), one block's layers. The whole generated model is
 * lint-clean (-Wall) and compiles under Icarus without a message. MX_RTL_FULL=1 runs every group
 * under both simulators.
 */
import { expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { haveTools, icarusCompile, lint, simulate, type SimResult } from '../rtl/sim';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../../src/core/model';
import { buildGraph, type Graph, type QuantConfig } from '../../src/core/graph';
import { generateModel, type LayerInfo, type ModelDesign } from '../../src/core/rtl/model';
import { wrapperTop } from '../../src/core/rtl/tbgen';
import type { RtlGenerateRequest } from '../../src/core/rtl/bundle';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = ROOT + 'public/models/sotu-llama-1m';
export const FULL = !!process.env.MX_RTL_FULL;
const TOKENS = 8;
export const SIMS = ['verilator', 'icarus'] as const;

export let model: LoadedModel;
export let graph: Graph;
export let ids: number[];
export async function setup(): Promise<void> {
  if (model) return;
  model = await loadModel(modelSourceFromFiles(new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(`${DIR}/${f}`))])), 'sotu-llama-1m'));
  graph = buildGraph(model.config);
  ids = model.tokenizer.encode(readFileSync(DIR + '/test.txt', 'utf8')).slice(0, TOKENS);
}

export function request(quant: QuantConfig, over: Partial<RtlGenerateRequest> = {}): RtlGenerateRequest {
  return { model, graph, quant, ops: graph.ops.map((o) => o.id), lanes: { perOp: {} }, ids, ...over };
}

export function need(): void {
  const t = haveTools();
  if (!t.verilator || !t.icarus) throw new Error('the model RTL tests need Verilator 5 and Icarus Verilog on PATH (apt-get install verilator iverilog)');
}

/**
 * Groups of layers that run in one wrapper build. `together` puts the layers of all the wanted blocks
 * in one group: the blocks share their layer modules, so one Verilator build runs them all.
 */
export function groups(d: ModelDesign, blocks: readonly number[] | 'all', tops: boolean, together = false): { name: string; layers: LayerInfo[] }[] {
  const nb = model.config.numLayers;
  const want = blocks === 'all' ? [...Array(nb).keys()] : blocks;
  const inBlock = (b: number) => d.layers.filter((l) => l.block === b && !l.op.startsWith('block:'));
  const out = together ? [{ name: want.map((b) => `L${b}`).join('+'), layers: want.flatMap(inBlock) }] : want.map((b) => ({ name: `L${b}`, layers: inBlock(b) }));
  if (tops) {
    out.push({ name: 'outside', layers: d.layers.filter((l) => l.block === null && l.op !== 'model') });
    out.push({ name: 'blocks', layers: d.layers.filter((l) => l.op.startsWith('block:') && want.includes(l.block!)) });
    out.push({ name: 'model', layers: d.layers.filter((l) => l.op === 'model') });
  }
  return out.filter((g) => g.layers.length);
}

export async function runGroup(tool: (typeof SIMS)[number], d: ModelDesign, layers: LayerInfo[], override: Record<string, string> = {}): Promise<SimResult> {
  const files = d.design.files as Record<string, string>;
  const srcs = new Set<string>();
  for (const l of layers) for (const s of d.design.testbenches.find((t) => t.name === l.name)!.sources) if (s !== `tb/tb_${l.name}.sv`) srcs.add(s);
  const sources: Record<string, string> = {};
  for (const s of srcs) sources[s.split('/').pop()!] = files[s];
  sources['tb_run.sv'] = wrapperTop('tb_run', layers.map((l) => l.inst));
  const run: Record<string, string> = {};
  for (const [p, t] of Object.entries(files)) if (p.startsWith('vectors/') || p.startsWith('mem/')) run[p] = t;
  return simulate(tool, { top: 'tb_run', sources, files: { ...run, ...override }, timeoutMs: 1_800_000 });
}

export function report(cfg: string, tool: string, group: string, r: SimResult, layers: LayerInfo[]): void {
  const rows = layers.map((l) => {
    const x = r.results.find((y) => y.tb === l.name);
    return `${l.op}: ${x ? `${x.beats} beats, ${x.mismatches} mismatches` : 'no RESULT'}`;
  });
  console.log(`[${cfg} ${tool} ${group}] ${r.ok ? 'PASS' : 'FAIL'}${r.firstMismatch ? ` first ${r.firstMismatch}` : ''}\n  ${rows.join('\n  ')}`);
}

export async function checkGroups(cfg: string, d: ModelDesign, tool: (typeof SIMS)[number], gs: { name: string; layers: LayerInfo[] }[]): Promise<void> {
  for (const g of gs) {
    const r = await runGroup(tool, d, g.layers);
    report(cfg, tool, g.name, r, g.layers);
    expect(r.ok, r.log.slice(-3000)).toBe(true);
    expect(r.results.map((x) => x.tb).sort()).toEqual(g.layers.map((l) => l.name).sort());
    for (const l of g.layers) {
      const x = r.results.find((y) => y.tb === l.name)!;
      expect(x.mismatches, l.op).toBe(0);
      expect(x.beats, l.op).toBe(l.beats);
    }
  }
}

/** The whole generated design (every layer module, the block and model tops) as lint/compile sources. */
export function rtlSources(d: ModelDesign): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const [p, t] of Object.entries(d.design.files)) if (p.startsWith('rtl/')) sources[p.slice(4)] = t as string;
  return sources;
}

/** The co-simulation and lint/compile tests of one config (call inside a describe). */
export function coSimSuite(name: string, quant: () => QuantConfig, icarusBlocks: number[]): void {
  it(`${name}: every layer of every block, the layers outside the blocks, each block and the whole model on one token, bit-exact under Verilator; block ${icarusBlocks.join(',')}${FULL ? ' and everything else' : ''} under Icarus`, async () => {
    need();
    await setup();
    const d = await generateModel(request(quant()));
    expect(d.top).toBe(true);
    await checkGroups(name, d, 'verilator', groups(d, 'all', true, !FULL));
    await checkGroups(name, d, 'icarus', groups(d, FULL ? 'all' : icarusBlocks, FULL));
  }, 3_600_000);

  it(`${name}: the whole generated model is clean under verilator --lint-only -Wall and compiles under iverilog -g2012 without a message`, async () => {
    need();
    await setup();
    const sources = rtlSources(await generateModel(request(quant())));
    const l = await lint({ top: 'top_model', sources });
    expect(l.ok, l.log).toBe(true);
    const i = await icarusCompile({ top: 'top_model', sources });
    expect(i.ok, i.log).toBe(true);
  }, 600_000);
}
