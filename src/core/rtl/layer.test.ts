// The per-layer generator on the default model: GEMM layers of sotu-llama-1m with stimulus from a
// real integer-mode emulator run over the test text, simulated bit-exactly under Verilator and
// Icarus for all-MXINT8, all-MXFP4 and a mixed config (the expected outputs are the datapath twin's
// and equal the emulator's); and every invalid request refused with an RtlError before any file.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, resolveConfig, uniformConfig, parseConfig, type Graph, type QuantConfig } from '../graph';
import type { LoadedModel } from '../model';
import { haveTools, lint, simulate, type SimResult } from '../../../tools/rtl/sim';
import { hwTrace, loadDefaultModel } from '../../../tools/rtl/model';
import { RtlError } from './errors';
import { generateLayer, type LayerLanes, type LayerResult } from './layer';
import { wrapperTop } from './tbgen';

// 8 tokens: every layer shape of the model at a simulation cost Icarus finishes in seconds per layer
const T = 8;
const tools = haveTools();

let model: LoadedModel;
let ids: number[];
let graph: Graph;

beforeAll(async () => {
  ({ model, ids } = await loadDefaultModel());
  graph = buildGraph(model.config);
});

const LANES: Record<string, LayerLanes> = {
  'L0.q': { lanesK: 16, lanesN: 8 },
  'L1.down': { lanesK: 32, lanesN: 4 },
  'L2.qk': { lanesK: 8, lanesN: 4 },
  'L3.pv': { lanesK: 8, lanesN: 8 },
  head: { lanesK: 32, lanesN: 32 },
};

const CONFIGS: Record<string, QuantConfig> = {
  mxint8: uniformConfig('mxint8'),
  mxfp4: uniformConfig('mxfp4'),
  mixed: parseConfig({
    version: 1,
    rules: [
      ['*', 'mxint8'],
      ['*.down.*', 'mxfp4'],
      ['*.q.w', 'mxfp6_e2m3'],
      ['*.qk.*', 'mxfp8_e4m3'],
      ['*.pv.a', 'mxfp8_e5m2'],
      ['*.pv.b', 'mxfp6_e3m2'],
      ['head.*', 'mxint:m=6,block=32'],
    ],
  }),
};

/** Every layer of LANES for one config, with its stimulus from the emulator. */
function layers(config: QuantConfig): LayerResult[] {
  const formats = resolveConfig(graph, config).formats;
  const trace = hwTrace(model, ids.slice(0, T), config);
  return Object.entries(LANES).map(([op, lanes], i) => {
    const st = trace.ops.get(op)!;
    return generateLayer({ graph, op, formats, lanes, model, stimulus: { inputs: st.inputs, output: st.output }, seed: 11 + i });
  });
}

/** One simulator build running every layer's testbench (the `_run` modules) side by side. */
async function simLayers(tool: 'verilator' | 'icarus', res: LayerResult[], top: string): Promise<SimResult> {
  const sources: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const r of res) {
    for (const [p, text] of Object.entries(r.files)) {
      if (p.endsWith('.sv')) sources[p.split('/').pop()!] = text;
      else files[p] = text;
    }
  }
  const insts = res.map((r) => ({ module: `${r.testbench!.name}_run`, params: {} }));
  sources[`${top}.sv`] = wrapperTop(top, insts).replace(/ #\(\s*\)/g, '');
  return simulate(tool, { top, sources, files, timeoutMs: 600_000 });
}

describe('layer.ts on the default model (real activations, bit-exact)', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    describe(name, () => {
      let res: LayerResult[];
      beforeAll(() => {
        res = layers(config);
      }, 120_000);

      it('emits unique modules, weight images, a testbench and the manifest per layer', () => {
        const mods = res.map((r) => r.module);
        expect(new Set(mods).size).toBe(mods.length);
        const q = res[0];
        expect(q.module).toBe('layer_L0_q');
        expect(Object.keys(q.files).sort()).toEqual(
          expect.arrayContaining(['rtl/layer_L0_q.sv', 'rtl/mx_linear.sv', 'mem/L0_q.codes.hex', 'mem/L0_q.exps.hex', 'tb/tb_layer_L0_q.sv', 'tb/tb_hs_stream.sv', 'vectors/tb_layer_L0_q.in.hex', 'vectors/tb_layer_L0_q.out.hex']),
        );
        // codes: (N/lanesN)·(K/lanesK) words of lanesN·lanesK codes
        expect(q.files['mem/L0_q.codes.hex'].trim().split('\n').length).toBe((128 / 8) * (128 / 16));
        expect(q.manifest.accumulator.width).toBeGreaterThan(16);
        expect(q.testbench!.top).toBe('tb_layer_L0_q');
        const qk = res.find((r) => r.manifest.kind === 'qk')!;
        expect(qk.files['rtl/layer_L2_qk.sv']).toContain('mx_matmul_heads');
        expect(qk.manifest.T).toBe(T);
      });

      it('every generated layer module is clean under verilator --lint-only -Wall', async () => {
        if (!tools.verilator) throw new Error('verilator is needed: apt-get install verilator');
        for (const r of res) {
          const sources = Object.fromEntries(Object.entries(r.files).filter(([p]) => p.startsWith('rtl/')).map(([p, t]) => [p.slice(4), t]));
          const l = await lint({ top: r.module, sources });
          expect(l.ok, `${r.module}:\n${l.log}`).toBe(true);
        }
      }, 300_000);

      for (const tool of ['verilator', 'icarus'] as const) {
        it(`${tool}: every layer's testbench passes`, async () => {
          if (!tools.verilator || !tools.icarus) throw new Error('verilator and iverilog are needed: apt-get install verilator iverilog');
          const r = await simLayers(tool, res, `tb_layers_${name}`);
          expect(r.ok, r.log.slice(-3000)).toBe(true);
          expect(r.results.map((x) => x.tb).sort()).toEqual(res.map((x) => x.testbench!.name).sort());
          for (const x of r.results) expect(x.mismatches).toBe(0);
        }, 1_200_000);
      }
    });
  }
});

describe('invalid requests throw RtlError naming the layer, before any file', () => {
  const formats = () => resolveConfig(graph, uniformConfig('mxint8')).formats;
  const req = (op: string, lanes: LayerLanes, f = formats(), extra = {}) => () => generateLayer({ graph, op, formats: f, lanes, model, T, ...extra });
  const expectRtl = (fn: () => unknown, target: string, re: RegExp) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RtlError);
    expect((err as RtlError).target).toBe(target);
    expect((err as RtlError).message).toMatch(re);
  };

  it('parallelism that does not divide the tensor', () => {
    expectRtl(req('L0.q', { lanesK: 24, lanesN: 8 }), 'L0.q', /lanesK = 24 does not divide K = 128/);
    expectRtl(req('L0.q', { lanesK: 16, lanesN: 3 }), 'L0.q', /lanesN = 3 does not divide N = 128/);
    expectRtl(req('L0.down', { lanesK: 96, lanesN: 4 }), 'L0.down', /lanesK = 96 does not divide K = 320/);
    expectRtl(req('L0.qk', { lanesK: 8, lanesN: 5 }), 'L0.qk', /lanesN = 5 does not divide the output row length 8/);
    expectRtl(req('L0.pv', { lanesK: 16, lanesN: 8 }), 'L0.pv', /lanesK = 16 does not divide the reduction length 8/);
    expectRtl(req('L0.down', { lanesK: 40, lanesN: 4 }), 'L0.down', /lanesK = 40 must divide or be a multiple of the MX block 32/);
    expectRtl(req('L0.q', { lanesK: 0, lanesN: 8 }), 'L0.q', /positive integers/);
  });

  it('unsupported formats (fp32, nvfp4, fixed, 2-D activation tiles, a scale range the ACT range overflows)', () => {
    const cfg = (rules: [string, string][]) => resolveConfig(graph, parseConfig({ version: 1, rules: [['*', 'mxint8'], ...rules] })).formats;
    expectRtl(req('L0.q', { lanesK: 16, lanesN: 8 }, cfg([['L0.q.x', 'fp32']])), 'L0.q', /input x: fp32 has no integer codes/);
    expectRtl(req('L0.k', { lanesK: 16, lanesN: 8 }, cfg([['L0.k.w', 'nvfp4']])), 'L0.k', /weight: nvfp4 is not supported/);
    expectRtl(req('L0.v', { lanesK: 16, lanesN: 8 }, cfg([['L0.v.w', 'fixed:w=8,f=4']])), 'L0.v', /fixed-point operands are not in the MX component library/);
    expectRtl(req('L0.o', { lanesK: 16, lanesN: 8 }, cfg([['L0.o.x', 'mxint8:block=2x16']])), 'L0.o', /2-D tiles/);
    expectRtl(req('L0.up', { lanesK: 16, lanesN: 8 }, cfg([['L0.up.x', 'mxint8:sbits=4']])), 'L0.up', /beyond the 4-bit scale's range/);
    expectRtl(req('L0.qk', { lanesK: 8, lanesN: 4 }, cfg([['L0.qk.b', 'fp32']])), 'L0.qk', /operand K: fp32/);
  });

  it('mismatched blocking along K', () => {
    const f = resolveConfig(graph, parseConfig({ version: 1, rules: [['*', 'mxint8'], ['L0.q.w', 'mxint8:block=16']] })).formats;
    expectRtl(req('L0.q', { lanesK: 16, lanesN: 8 }, f), 'L0.q', /share their blocking along K \(x blocks of 32, W blocks of 16\)/);
    const g = resolveConfig(graph, parseConfig({ version: 1, rules: [['*', 'mxint8'], ['L0.qk.a', 'mxint:m=8']] })).formats;
    expectRtl(req('L0.qk', { lanesK: 8, lanesN: 4 }, g), 'L0.qk', /Q and K must share their blocking/);
    expectRtl(req('L0.q', { lanesK: 48, lanesN: 8 }, formats(), {}), 'L0.q', /does not divide K = 128/);
  });

  it('not a GEMM op, an unknown op, a missing T, stimulus of the wrong shape', () => {
    expectRtl(req('L0.softmax', { lanesK: 8, lanesN: 4 }), 'L0.softmax', /softmax op is not a GEMM/);
    expectRtl(req('L9.q', { lanesK: 8, lanesN: 4 }), 'L9.q', /no op with this id/);
    expectRtl(() => generateLayer({ graph, op: 'L0.qk', formats: formats(), lanes: { lanesK: 8, lanesN: 4 }, model }), 'L0.qk', /need T/);
    expectRtl(req('L0.q', { lanesK: 16, lanesN: 8 }, formats(), { T: undefined, stimulus: { inputs: [new Int32Array(100)] } }), 'L0.q', /stimulus must be one ACT tensor \[T, 128\]/);
  });
});
