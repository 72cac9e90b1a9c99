// The fixed-point component library (components/fx_*.sv), bit-exact with its TypeScript twin
// (src/core/datapath/fixed.ts) under Verilator 5 and Icarus: vectors are the default model's real
// layer-0 activations from an integer-mode run (HwTrace; tiny-gpt2 for LayerNorm and GELU) plus
// edge cases (zeros, saturation, negative extremes, rounding ties), expected values from the twin
// (and equal to the emulator's own outputs). Every testbench runs in one wrapper build per
// simulator (the Verilator build is cached by tools/rtl/sim.ts); a corrupted expected vector must
// fail with a MISMATCH line and a non-zero exit; every component is lint-clean under -Wall; the
// generated ROMs are what fxRoms.ts generates from the twin's tables.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { haveTools, lint, simulate, type SimResult } from '../../../tools/rtl/sim';
import { kernelBytes } from '../../../tools/testing/kernels';
import { loadModel, modelSourceFromFiles, type LoadedModel } from '../model';
import { detectFlavor, loadF32GemmKernel, loadGemmKernel, loadQuantKernels } from '../kernels';
import { Emulator } from '../emulate';
import {
  actMax, attentionScaleConst, DEFAULT_ACT as A, fxAdd, fxCausalSoftmax, fxGelu, fxGeluNew, fxLayerNorm, fxMul, fxNormParams, fxRmsNorm, fxRope, fxRopeTables, fxSilu,
} from '../datapath';
import { actBeatsImage, cdfRomText, exp2RomText, FX_COMPONENTS, FX_LIBRARY, fxActivationModule, fxNormModule, fxRopeModule, fxSoftmaxParams, fxSourcesFor } from './components/fxLibrary';

const ROOT = new URL('../../../', import.meta.url).pathname;
const COMPONENTS = ROOT + 'src/core/rtl/components/';
const tools = haveTools();
const SIMS = ['verilator', 'icarus'] as const;
const M = actMax(A);

function need(): void {
  if (!tools.verilator) throw new Error('verilator not found on PATH: the fx RTL tests need Verilator 5 (apt-get install verilator)');
  if (!tools.icarus) throw new Error('iverilog/vvp not found on PATH: the fx RTL tests need Icarus Verilog (apt-get install iverilog)');
}

async function load(rel: string): Promise<LoadedModel> {
  const dir = ROOT + rel;
  return loadModel(modelSourceFromFiles(new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(`${dir}/${f}`))])), rel));
}

/** Int32Array of a list, for the edge rows. */
const I = (v: number[]) => Int32Array.from(v);
const cat = (...a: Int32Array[]) => {
  const out = new Int32Array(a.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of a) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
/** n values: the ACT extremes, ±1 LSB, 0, values around the table clamps, then a log-spread sweep. */
function sweep(n: number, seed: number): Int32Array {
  const fixed = [0, 1, -1, M, -M, M - 1, -M + 1, 16 << 14, -(16 << 14), (16 << 14) - 1, 8 << 14, -(8 << 14), 2 ** 13, -(2 ** 13)];
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Int32Array.from({ length: n }, (_, i) => (i < fixed.length ? fixed[i] : Math.round((r() - 0.5) * 2 ** (1 + r() * 23))));
}

/** One testbench instance of the wrapper top. */
interface TbInstance {
  module: string;
  params: Record<string, number | string>;
}

/**
 * The top that runs every testbench instance side by side (each prints its RESULT line) in one
 * build, then ends the run: $fatal (non-zero exit) if any reported errors, $finish otherwise.
 */
function wrapperTop(top: string, insts: readonly TbInstance[]): string {
  const v = (x: number | string) => (typeof x === 'string' ? JSON.stringify(x) : Number.isSafeInteger(x) && Math.abs(x) >= 2 ** 31 ? `64'sd${x}` : String(x));
  const lines = [`module ${top};`, `  logic [${insts.length - 1}:0] done;`, `  logic [31:0] errors [${insts.length}];`];
  insts.forEach((t, i) => lines.push(`  ${t.module} #(${Object.entries(t.params).map(([k, x]) => `.${k}(${v(x)})`).join(', ')}) u${i} (.done(done[${i}]), .errors(errors[${i}]));`));
  lines.push('  initial begin', '    int total;', '    wait (&done);', '    total = 0;', `    for (int i = 0; i < ${insts.length}; i++) total += errors[i];`);
  lines.push(`    if (total != 0) $fatal(1, "${top}: %0d mismatches", total);`, '    $finish;', '  end', 'endmodule', '');
  return lines.join('\n');
}

interface Part {
  inst: TbInstance;
  files: Record<string, string>;
  beats: number;
}

const beatsOf = (x: Int32Array, lanes: number) => actBeatsImage(x, lanes, A);

interface Vectors {
  parts: Part[];
  files: Record<string, string>;
  insts: TbInstance[];
}

let cached: Vectors | undefined;

/** Every testbench's vectors: real activations from integer-mode runs plus edge rows, expected from fixed.ts. */
async function vectors(): Promise<Vectors> {
  if (cached) return cached;
  const parts: Part[] = [];
  // --- the default model (LLaMA): L0's norm, RoPE, softmax, SiLU, gate·up, residual on 16 real tokens
  const llama = await load('public/models/sotu-llama-1m');
  const fl = detectFlavor();
  const em = new Emulator(llama, { quant: await loadQuantKernels(kernelBytes, fl), gemm: await loadGemmKernel(kernelBytes, fl), f32gemm: await loadF32GemmKernel(kernelBytes, fl) });
  const T = 16;
  const ids = llama.tokenizer.encode(readFileSync(ROOT + 'public/models/sotu-llama-1m/test.txt', 'utf8')).slice(0, T);
  const tr = new Map<string, { inputs: readonly Int32Array[]; output: Int32Array }>();
  em.logits(ids, { version: 1, rules: [['*', 'mxint8']] }, 'integer', { hw: { op: (op, inputs, output) => tr.set(op.id, { inputs, output }) } });
  const c = llama.config;
  const D = c.hiddenSize;

  {
    const { inputs, output } = tr.get('L0.norm1')!;
    const p = fxNormParams(llama.weights.get('L0.norm1.w').f32(), undefined, c.normEps, A);
    expect(fxRmsNorm(inputs[0], T, D, p, A)).toEqual(output); // the twin is what the emulator ran
    const edge = cat(new Int32Array(D), I(Array.from({ length: D }, (_, i) => (i === 3 ? -M : 0))), I(Array.from({ length: D }, (_, i) => (i % 2 ? 1 : -1))), new Int32Array(D).fill(M), sweep(D, 5));
    const x = cat(inputs[0], edge);
    const m = fxNormModule(p, { d: D, lanes: 4 });
    parts.push({
      inst: { module: 'tb_fx_rmsnorm', params: { NAME: 'fx_rms', N: x.length / 4, ...m.params } },
      files: { 'vectors/fx_rms.in.hex': beatsOf(x, 4), 'vectors/fx_rms.out.hex': beatsOf(fxRmsNorm(x, x.length / D, D, p, A), 4), 'vectors/fx_rms.w.hex': m.weights },
      beats: x.length / 4,
    });
  }
  {
    const { inputs, output } = tr.get('L0.rope_q')!;
    const tab = fxRopeTables(T, c.headDim, c.ropeTheta!);
    const heads = c.numHeads;
    expect(fxRope(inputs[0], T, heads, tab, A)).toEqual(output);
    // a second sequence (positions 0..15 again) of extremes: ±max pairs saturate after rotation
    const edge = Int32Array.from({ length: T * heads * c.headDim }, (_, i) => [M, -M, M, M, -M, -M, 0, 1][(i * 7 + Math.floor(i / 13)) % 8]);
    const x = cat(inputs[0], edge);
    const y = cat(output, fxRope(edge, T, heads, tab, A));
    const m = fxRopeModule({ heads, headDim: c.headDim, seq: T, theta: c.ropeTheta!, lanes: 4 });
    parts.push({
      inst: { module: 'tb_fx_rope', params: { NAME: 'fx_rope', N: x.length / 4, ...m.params } },
      files: { 'vectors/fx_rope.in.hex': beatsOf(x, 4), 'vectors/fx_rope.out.hex': beatsOf(y, 4), 'vectors/fx_rope.rom.hex': m.rom },
      beats: x.length / 4,
    });
  }
  {
    const { inputs, output } = tr.get('L0.softmax')!;
    const C = attentionScaleConst(c.headDim);
    const H = c.numHeads;
    // an extra head of edge rows: equal scores, zeros, ±max alternating, a huge spread, ties
    const edge = Int32Array.from({ length: T * T }, (_, i) => {
      const row = Math.floor(i / T);
      const j = i % T;
      return [12345, 0, j % 2 ? M : -M, (j - 7) * 2 ** 19, j === 0 ? -M : M, (j % 3) * 2 ** 14][row % 6];
    });
    const x = cat(inputs[0], edge);
    const y = new Int32Array(x.length);
    for (let h = 0; h <= H; h++) y.set(fxCausalSoftmax(x.subarray(h * T * T, (h + 1) * T * T), T, C, A), h * T * T);
    expect(y.subarray(0, H * T * T)).toEqual(output);
    parts.push({
      inst: { module: 'tb_fx_softmax', params: { NAME: 'fx_sm', N: x.length / 4, ...fxSoftmaxParams({ seq: T, headDim: c.headDim, lanes: 4 }) } },
      files: { 'vectors/fx_sm.in.hex': beatsOf(x, 4), 'vectors/fx_sm.out.hex': beatsOf(y, 4) },
      beats: x.length / 4,
    });
  }
  {
    const { inputs, output } = tr.get('L0.act')!;
    expect(fxSilu(inputs[0], A)).toEqual(output);
    const x = cat(inputs[0], sweep(256, 7));
    parts.push({
      inst: { module: 'tb_fx_silu', params: { NAME: 'fx_silu', N: x.length / 8, ...fxActivationModule('silu', { lanes: 8 }).params } },
      files: { 'vectors/fx_silu.in.hex': beatsOf(x, 8), 'vectors/fx_silu.out.hex': beatsOf(fxSilu(x, A), 8) },
      beats: x.length / 8,
    });
  }
  {
    const { inputs, output } = tr.get('L0.mul')!;
    expect(fxMul(inputs[0], inputs[1], A)).toEqual(output);
    // extremes and rounding ties: M·M, −M·M, ½ LSB (2^13 · 1) rounds up, −½ LSB rounds up to 0
    const ea = cat(I([M, -M, M, 2 ** 13, -(2 ** 13), 3 * 2 ** 13, 0, 1]), sweep(120, 9));
    const eb = cat(I([M, M, -M, 1, 1, 1, M, 1]), sweep(120, 10));
    const a = cat(inputs[0], ea);
    const b = cat(inputs[1], eb);
    parts.push({
      inst: { module: 'tb_fx_mul', params: { NAME: 'fx_mul', N: a.length / 4, ACT_W: A.w, ACT_F: A.f, LANES: 4 } },
      files: { 'vectors/fx_mul.in.hex': beatsOf(a, 4), 'vectors/fx_mul.in_b.hex': beatsOf(b, 4), 'vectors/fx_mul.out.hex': beatsOf(fxMul(a, b, A), 4) },
      beats: a.length / 4,
    });
  }
  {
    const { inputs, output } = tr.get('L0.res1')!;
    expect(fxAdd(inputs[0], inputs[1], A)).toEqual(output);
    const ea = cat(I([M, -M, M, -M, 1, -1, M - 1, 0]), sweep(120, 11));
    const eb = cat(I([M, -M, -M, M, -1, -1, 1, -M]), sweep(120, 12));
    const a = cat(inputs[0], ea);
    const b = cat(inputs[1], eb);
    parts.push({
      inst: { module: 'tb_fx_add', params: { NAME: 'fx_add', N: a.length / 8, ACT_W: A.w, LANES: 8 } },
      files: { 'vectors/fx_add.in.hex': beatsOf(a, 8), 'vectors/fx_add.in_b.hex': beatsOf(b, 8), 'vectors/fx_add.out.hex': beatsOf(fxAdd(a, b, A), 8) },
      beats: a.length / 8,
    });
  }

  // --- tiny-gpt2 (LayerNorm with bias, gelu_new): its L0 on the fixture's tokens
  const gpt2 = await load('public/models/fixtures/tiny-gpt2');
  const gids: number[] = JSON.parse(readFileSync(ROOT + 'public/models/fixtures/tiny-gpt2/reference.json', 'utf8')).input_ids;
  const gtr = new Map<string, { inputs: readonly Int32Array[]; output: Int32Array }>();
  new Emulator(gpt2).logits(gids, { version: 1, rules: [['*', 'mxint8:block=8']] }, 'integer', { hw: { op: (op, inputs, output) => gtr.set(op.id, { inputs, output }) } });
  const gc = gpt2.config;
  const GT = gids.length;
  {
    const GD = gc.hiddenSize;
    const { inputs, output } = gtr.get('L0.norm1')!;
    const p = fxNormParams(gpt2.weights.get('L0.norm1.w').f32(), gpt2.weights.get('L0.norm1.b').f32(), gc.normEps, A);
    expect(fxLayerNorm(inputs[0], GT, GD, p, A)).toEqual(output);
    const edge = cat(new Int32Array(GD), new Int32Array(GD).fill(-12345), I(Array.from({ length: GD }, (_, i) => (i === 5 ? -M : 0))), I(Array.from({ length: GD }, (_, i) => (i % 2 ? M : -M))), sweep(GD, 13));
    const x = cat(inputs[0], edge);
    const m = fxNormModule(p, { d: GD, lanes: 4 });
    parts.push({
      inst: { module: 'tb_fx_layernorm', params: { NAME: 'fx_ln', N: x.length / 4, ...m.params } },
      files: { 'vectors/fx_ln.in.hex': beatsOf(x, 4), 'vectors/fx_ln.out.hex': beatsOf(fxLayerNorm(x, x.length / GD, GD, p, A), 4), 'vectors/fx_ln.w.hex': m.weights, 'vectors/fx_ln.b.hex': m.bias! },
      beats: x.length / 4,
    });
  }
  {
    const { inputs, output } = gtr.get('L0.act')!;
    expect(fxGeluNew(inputs[0], A)).toEqual(output);
    const x = cat(inputs[0], sweep(256, 17));
    for (const erf of [0, 1]) {
      const name = erf ? 'fx_gelu_erf' : 'fx_gelu';
      const mod = fxActivationModule(erf ? 'gelu' : 'gelu_new', { lanes: 4 });
      parts.push({
        inst: { module: 'tb_fx_gelu', params: { NAME: name, N: x.length / 4, ...mod.params } },
        files: { [`vectors/${name}.in.hex`]: beatsOf(x, 4), [`vectors/${name}.out.hex`]: beatsOf(erf ? fxGelu(x, A) : fxGeluNew(x, A), 4) },
        beats: x.length / 4,
      });
    }
  }
  const files: Record<string, string> = {};
  for (const p of parts) Object.assign(files, p.files);
  cached = { parts, files, insts: parts.map((p) => p.inst) };
  return cached;
}

const TOP = 'tb_top_fx';
async function run(tool: (typeof SIMS)[number], v: Vectors, files = v.files): Promise<SimResult> {
  const tbs = [...new Set(v.insts.map((i) => i.module))];
  return simulate(tool, { top: TOP, sources: { ...fxSourcesFor(...tbs), [`${TOP}.sv`]: wrapperTop(TOP, v.insts) }, files, timeoutMs: 300_000 });
}

describe('fx components = fixed.ts, bit for bit', () => {
  for (const tool of SIMS) {
    it(`${tool}: every op on real activations and edge cases, under random stalls`, async () => {
      need();
      const v = await vectors();
      const r = await run(tool, v);
      expect(r.ok, r.log.slice(-3000)).toBe(true);
      expect(r.exitCode).toBe(0);
      expect(r.results.map((x) => x.tb).sort()).toEqual(v.parts.map((p) => p.inst.params.NAME).sort());
      for (const x of r.results) {
        expect(x.mismatches, x.tb).toBe(0);
        expect(x.beats).toBe(v.parts.find((p) => p.inst.params.NAME === x.tb)!.beats);
      }
    }, 900_000);

    it(`${tool}: a corrupted expected beat fails with its MISMATCH line and a non-zero exit`, async () => {
      need();
      const v = await vectors();
      const lines = v.files['vectors/fx_sm.out.hex'].split('\n');
      // beat 20 (row 5 of head 0): flip the lowest bit of lane 0
      const w = BigInt('0x' + lines[20]) ^ 1n;
      lines[20] = w.toString(16).padStart(lines[20].length, '0');
      const r = await run(tool, v, { ...v.files, 'vectors/fx_sm.out.hex': lines.join('\n') });
      expect(r.ok).toBe(false);
      expect(r.exitCode).not.toBe(0);
      expect(r.firstMismatch).toMatch(/^MISMATCH fx_sm beat=20 elem=0 field=p got=\w+ exp=\w+$/);
      expect(r.results.find((x) => x.tb === 'fx_sm')!.mismatches).toBe(1);
      for (const x of r.results.filter((x) => x.tb !== 'fx_sm')) expect(x.mismatches).toBe(0);
    }, 900_000);
  }
});

describe('fx library', () => {
  it('the committed ROMs are what fxRoms.ts generates from the twin tables (FX_WRITE_ROMS=1 rewrites them)', () => {
    for (const [file, text] of [
      ['fx_cdf_rom.sv', cdfRomText()],
      ['fx_exp2_rom.sv', exp2RomText()],
    ] as const) {
      if (process.env.FX_WRITE_ROMS) writeFileSync(COMPONENTS + file, text);
      expect(readFileSync(COMPONENTS + file, 'utf8'), `${file} is stale: FX_WRITE_ROMS=1 npx vitest run src/core/rtl/fx.test.ts`).toBe(text);
      expect(FX_LIBRARY[file.replace('.sv', '')].text).toBe(text);
    }
  });

  it('parameter lists and dependencies for the generator', () => {
    expect(FX_LIBRARY.fx_softmax.params).toEqual(['ACT_W', 'ACT_F', 'LANES', 'SEQ', 'C']);
    expect(FX_LIBRARY.fx_rmsnorm.params).toEqual(['ACT_W', 'ACT_F', 'LANES', 'D', 'W_F', 'EPS', 'W_FILE']);
    expect(FX_LIBRARY.fx_layernorm.params).toEqual(['ACT_W', 'ACT_F', 'LANES', 'D', 'W_F', 'EPS', 'W_FILE', 'B_FILE']);
    expect(FX_LIBRARY.fx_rope.params).toEqual(['ACT_W', 'LANES', 'HEADS', 'HD', 'SEQ', 'ROM_FILE']);
    expect(FX_LIBRARY.fx_gelu.params).toEqual(['ACT_W', 'ACT_F', 'LANES', 'ERF']);
    expect(FX_LIBRARY.fx_add.params).toEqual(['ACT_W', 'LANES']);
    expect([...FX_LIBRARY.fx_rmsnorm.deps].sort()).toEqual(['fx_divu', 'fx_isqrt', 'fx_norm']);
    expect(Object.keys(fxSourcesFor('tb_fx_silu')).sort()).toEqual(['fx_act.sv', 'fx_cdf_rom.sv', 'fx_silu.sv', 'tb_fx_silu.sv', 'tb_fx_stream.sv']);
    expect(() => fxSoftmaxParams({ seq: 10, headDim: 32, lanes: 4 })).toThrow(/SEQ \(10\) must be a multiple of LANES/);
    expect(() => fxSourcesFor('fx_nope')).toThrow(/unknown fx library module/);
  });

  it('every component is clean under verilator --lint-only -Wall', async () => {
    need();
    const results = await Promise.all(FX_COMPONENTS.map(async (name) => ({ name, r: await lint({ top: name, sources: fxSourcesFor(name) }) })));
    for (const { name, r } of results) expect(r.ok, `${name}:\n${r.log}`).toBe(true);
  }, 300_000);
});
