// The MX component library, bit-exact under Verilator and Icarus: every testbench's vectors come
// from src/core/formats `encode` and src/core/datapath (blockGemm, bigToFloat32, fixInt), on random
// data and on real activations/weights of the default model. Every component is lint-clean under
// verilator -Wall, and a corrupted expected vector makes a testbench fail.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFormat } from '../formats';
import type { ActFormat } from '../datapath';
import { uniformConfig } from '../graph';
import { hwTrace, loadDefaultModel } from '../../../tools/rtl/model';
import { haveTools, lint, simulate, type SimResult } from '../../../tools/rtl/sim';
import { MX_LIBRARY, RTL_COMPONENTS, sourcesFor } from './mxLibrary';
import { castTestbench, decTestbench, dotTestbench, outTestbench, streamTestbench, wrapperTop, type TbInstance } from './tbgen';
import { linearTestbench, type LinearRequest } from './mxLinear';
import { matmulTestbench, type MatmulRequest } from './mxMatmul';
import { randomAct, rng } from './testdata';

const tools = haveTools();
const SIMS = ['verilator', 'icarus'] as const;

function need(): void {
  if (!tools.verilator) throw new Error('verilator not found on PATH: install the Debian package verilator (apt-get install verilator)');
  if (!tools.icarus) throw new Error('iverilog not found on PATH: install the Debian package iverilog (apt-get install iverilog)');
}

interface Suite {
  top: string;
  modules: string[];
  insts: TbInstance[];
  files: Record<string, string>;
}

function suite(top: string, modules: string[], parts: { files: Record<string, string>; inst: TbInstance }[]): Suite {
  const files: Record<string, string> = {};
  for (const p of parts) Object.assign(files, p.files);
  return { top, modules, insts: parts.map((p) => p.inst), files };
}

async function run(tool: (typeof SIMS)[number], s: Suite, files = s.files): Promise<SimResult> {
  return simulate(tool, { top: s.top, sources: { ...sourcesFor(...s.modules), [`${s.top}.sv`]: wrapperTop(s.top, s.insts) }, files, timeoutMs: 300_000 });
}

function expectPass(r: SimResult, n: number): void {
  expect(r.ok, r.log.slice(-3000)).toBe(true);
  expect(r.results.length).toBe(n);
  for (const x of r.results) {
    expect(x.mismatches).toBe(0);
    expect(x.beats).toBeGreaterThan(0);
  }
}

// ------------------------------------------------------------------ real data of the default model

/** Real tensors: an integer-mode run (all MXINT8) over 8 tokens of the test text, and the model's weights. */
interface RealData {
  T: number;
  /** L0.q's input (the norm1 output) [T, 128], L3.down's input [T, 320], RoPE'd Q and K of L1 [T, 128], L1's P [H, T, T] and V [T, 128]. */
  x: Int32Array;
  xDown: Int32Array;
  q: Int32Array;
  k: Int32Array;
  p: Int32Array;
  v: Int32Array;
  wK: Float32Array;
  wDown: Float32Array;
}

let real: RealData;
beforeAll(async () => {
  const { model, ids } = await loadDefaultModel();
  const T = 8;
  const { ops } = hwTrace(model, ids.slice(0, T), uniformConfig('mxint8'));
  real = {
    T,
    x: ops.get('L0.q')!.inputs[0],
    xDown: ops.get('L3.down')!.inputs[0],
    q: ops.get('L1.qk')!.inputs[0],
    k: ops.get('L1.qk')!.inputs[1],
    p: ops.get('L1.pv')!.inputs[0],
    v: ops.get('L1.pv')!.inputs[1],
    wK: model.weights.get('L0.k.w').f32(),
    wDown: model.weights.get('L3.down.w').f32(),
  };
}, 120_000);

/** Head h's columns [T, 32] of a [T, heads·32] tensor. */
function head(x: Int32Array, T: number, heads: number, h: number): Int32Array {
  const out = new Int32Array(T * 32);
  for (let t = 0; t < T; t++) out.set(x.subarray((t * heads + h) * 32, (t * heads + h + 1) * 32), t * 32);
  return out;
}

// ------------------------------------------------------------------ mx_cast

const CAST_CASES: { spec: string; row: number; lanes: number; act?: ActFormat }[] = [
  { spec: 'mxint8', row: 64, lanes: 8 },
  { spec: 'mxfp8_e4m3', row: 64, lanes: 16 },
  { spec: 'mxfp8_e5m2', row: 32, lanes: 32 },
  { spec: 'mxfp6_e2m3', row: 64, lanes: 4 },
  { spec: 'mxfp6_e3m2', row: 64, lanes: 8 },
  { spec: 'mxfp4', row: 64, lanes: 8 },
  { spec: 'mxfp4:round=even', row: 40, lanes: 8 },
  { spec: 'mxfp4:round=floor,block=16', row: 40, lanes: 8 },
  { spec: 'mxfp8_e4m3:scale=ceil,round=even', row: 32, lanes: 8 },
  { spec: 'mxfp6_e2m3:scale=even', row: 32, lanes: 8 },
  { spec: 'mxint8:scale=rceil,round=floor', row: 32, lanes: 8 },
  { spec: 'mxfp4:scale=rceil', row: 32, lanes: 8 },
  { spec: 'mxint8:scale=even,round=even', row: 32, lanes: 8 },
  { spec: 'mxfp8_e5m2:sbits=5', row: 32, lanes: 8 },
  { spec: 'mxint4', row: 48, lanes: 16 },
  { spec: 'mxint2:block=8', row: 24, lanes: 4 },
  { spec: 'mxint:m=8', row: 48, lanes: 8 },
  { spec: 'mxint:m=4,e=4,scale=floor,round=nearest', row: 32, lanes: 8 },
  { spec: 'mxint:m=6,e=3,round=floor', row: 32, lanes: 8 },
  { spec: 'bfp:m=8', row: 32, lanes: 8 },
  { spec: 'bfp:m=4,e=5,block=8', row: 20, lanes: 4 },
  // other ACT formats: mx_quant's working widths (magnitudes, shifts, exponents) derive from ACT_W/ACT_F
  { spec: 'mxfp4', row: 32, lanes: 8, act: { w: 16, f: 8 } },
  { spec: 'mxint:m=4,e=4,round=floor', row: 32, lanes: 8, act: { w: 16, f: 8 } },
  { spec: 'mxfp8_e4m3:scale=rceil', row: 32, lanes: 8, act: { w: 20, f: 18 } },
  { spec: 'bfp:m=6,e=4', row: 32, lanes: 8, act: { w: 20, f: 18 } },
  { spec: 'mxfp6_e3m2:scale=even,round=even', row: 32, lanes: 4, act: { w: 12, f: 4 } },
  { spec: 'mxfp8_e5m2:round=floor', row: 32, lanes: 8, act: { w: 12, f: 4 } },
];

function castSuite(): Suite {
  const parts = CAST_CASES.map((c, i) => {
    const rows = 24;
    const x = randomAct(rows, c.row, 1000 + i, c.act);
    return castTestbench(`cast${i}`, parseFormat(c.spec), x, rows, c.row, c.lanes, i + 1, c.act);
  });
  // real activations: L0.q's input and L3.down's input (K = 320)
  parts.push(castTestbench('cast_real0', parseFormat('mxint8'), real.x, real.T, 128, 16, 40));
  parts.push(castTestbench('cast_real1', parseFormat('mxfp4'), real.xDown, real.T, 320, 8, 41));
  parts.push(castTestbench('cast_real2', parseFormat('mxfp6_e3m2:round=even'), real.x, real.T, 128, 32, 42));
  return suite('tb_top_cast', ['tb_mx_cast'], parts);
}

describe('mx_cast: ACT → MX blocks exactly as encode', () => {
  let s: Suite;
  beforeAll(() => {
    s = castSuite();
  });
  for (const tool of SIMS) {
    it(`${tool}: ${CAST_CASES.length} formats / scale rules / roundings on random data, 3 on real activations`, async () => {
      need();
      expectPass(await run(tool, s), CAST_CASES.length + 3);
    }, 900_000);
  }
});

// ------------------------------------------------------------------ handshake primitives, decoders, dot products, output stage

function unitSuite(): Suite {
  const parts = [
    streamTestbench('tb_hs_fifo', 'fifo4', 16, 300, 1, { DEPTH: 4 }),
    streamTestbench('tb_hs_fifo', 'fifo1', 8, 200, 2, { DEPTH: 1, RATE_IN: 16, RATE_OUT: 3 }),
    streamTestbench('tb_hs_fifo', 'fifo5', 40, 300, 3, { DEPTH: 5, RATE_IN: 4, RATE_OUT: 16 }),
    streamTestbench('tb_hs_skid', 'skid', 24, 400, 4),
    streamTestbench('tb_hs_skid', 'skid_full', 12, 300, 5, { RATE_IN: 16, RATE_OUT: 16 }),
    ...['mxfp8_e5m2', 'mxfp8_e4m3', 'mxfp6_e3m2', 'mxfp6_e2m3', 'mxfp4', 'mxint8', 'mxint4', 'mxint2', 'mxint:m=8', 'mxint:m=5', 'bfp:m=8', 'bfp:m=5'].map((f, i) =>
      decTestbench(`dec${i}`, parseFormat(f), 10 + i),
    ),
    ...(
      [
        ['mxint8', 'mxint8', 8],
        ['mxfp8_e4m3', 'mxfp8_e5m2', 16],
        ['mxfp8_e5m2', 'mxfp8_e5m2', 4],
        ['mxfp4', 'mxfp4', 32],
        ['mxfp6_e3m2', 'mxint8', 8],
        ['mxfp6_e2m3', 'mxfp4', 2],
        ['mxint:m=8', 'bfp:m=4', 16],
        ['bfp:m=8', 'mxint:m=3', 1],
      ] as const
    ).map(([a, b, lanes], i) => dotTestbench(`dot${i}`, parseFormat(a), parseFormat(b), lanes, 60, 30 + i)),
    ...(
      [
        [48, -30],
        [64, -50],
        [40, -10],
        [36, -14],
        [120, -190],
        [90, -60],
      ] as const
    ).map(([w, lsb], i) => outTestbench(`out${i}`, w, lsb, 400, 50 + i)),
  ];
  return suite('tb_top_unit', ['tb_hs_fifo', 'tb_hs_skid', 'tb_mx_dec', 'tb_mx_dot', 'tb_mx_out'], parts);
}

describe('handshake buffers, element decoders, block dot products, the output stage', () => {
  const s = unitSuite();
  for (const tool of SIMS) {
    it(`${tool}: ${s.insts.length} testbench instances`, async () => {
      need();
      expectPass(await run(tool, s), s.insts.length);
    }, 900_000);
  }
});

// ------------------------------------------------------------------ mx_linear (random weights)

function randomWeights(n: number, seed: number, scale = 0.05): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    // mostly small Gaussian-ish values, a few outliers and exact zeros (whole zero blocks too)
    w[i] = u < 0.05 ? 0 : Math.fround((r() + r() + r() - 1.5) * scale * (u > 0.97 ? 40 : 1));
  }
  for (let i = 0; i < Math.min(32, n); i++) w[i] = 0;
  return w;
}

const LINEAR_CASES: (Omit<LinearRequest, 'weights' | 'bias' | 'target'> & { T: number; bias?: boolean })[] = [
  { K: 64, N: 16, T: 6, xSpec: parseFormat('mxint8'), wSpec: parseFormat('mxint8'), lanes: { lanesK: 8, lanesN: 4 } },
  { K: 64, N: 8, T: 5, xSpec: parseFormat('mxfp4'), wSpec: parseFormat('mxfp4'), lanes: { lanesK: 64, lanesN: 2 } },
  { K: 48, N: 6, T: 5, xSpec: parseFormat('mxfp8_e4m3'), wSpec: parseFormat('mxfp6_e2m3'), lanes: { lanesK: 16, lanesN: 3, lanesIn: 16 } },
  { K: 32, N: 8, T: 4, xSpec: parseFormat('mxint:m=8'), wSpec: parseFormat('bfp:m=6'), lanes: { lanesK: 4, lanesN: 8 }, bias: true },
  { K: 32, N: 4, T: 4, xSpec: parseFormat('mxfp8_e5m2'), wSpec: parseFormat('mxfp8_e5m2'), lanes: { lanesK: 32, lanesN: 1 }, bias: true },
  { K: 40, N: 4, T: 3, xSpec: parseFormat('mxfp6_e3m2:block=8,scale=ceil'), wSpec: parseFormat('mxint8:block=8'), lanes: { lanesK: 40, lanesN: 2, lanesIn: 4 } },
];

function linearSuite(corrupt = false): Suite {
  const parts = LINEAR_CASES.map((c, i) => {
    const r = rng(700 + i);
    const bias = c.bias ? Float32Array.from({ length: c.N }, () => Math.fround((r() - 0.5) * 4)) : null;
    const tb = linearTestbench(`lin${i}`, { ...c, target: `lin${i}`, weights: randomWeights(c.N * c.K, 500 + i), bias }, randomAct(c.T, c.K, 600 + i), c.T, 70 + i);
    return tb;
  });
  // real weights and activations: L0.k on L0's input (MXFP4), L3.down on its input (MXINT8, K = 320)
  parts.push(linearTestbench('lin_real0', { target: 'L0.k', K: 128, N: 128, xSpec: parseFormat('mxfp4'), wSpec: parseFormat('mxfp4'), weights: real.wK, bias: null, lanes: { lanesK: 32, lanesN: 16 } }, real.x, real.T, 80));
  parts.push(linearTestbench('lin_real1', { target: 'L3.down', K: 320, N: 128, xSpec: parseFormat('mxint8'), wSpec: parseFormat('mxint8'), weights: real.wDown, bias: null, lanes: { lanesK: 16, lanesN: 8 } }, real.xDown, real.T, 81));
  const s = suite('tb_top_linear', ['tb_mx_linear'], parts);
  if (corrupt) {
    // flip one bit of one expected output element: the testbench must report it and fail
    const f = 'vectors/lin0.out.hex';
    const lines = s.files[f].trim().split('\n');
    const v = BigInt('0x' + lines[3]) ^ (1n << 30n);
    lines[3] = v.toString(16).padStart(lines[3].length, '0');
    s.files[f] = lines.join('\n') + '\n';
  }
  return s;
}

describe('mx_linear: y = fix(f32(x·Wᵀ)) (+ bias) on random data and real weights', () => {
  let s: Suite;
  beforeAll(() => {
    s = linearSuite();
  });
  for (const tool of SIMS) {
    it(`${tool}: ${LINEAR_CASES.length} random format/parallelism configurations, 2 real layers`, async () => {
      need();
      expectPass(await run(tool, s), LINEAR_CASES.length + 2);
    }, 900_000);
    it(`${tool}: a corrupted expected vector fails with the first mismatch`, async () => {
      need();
      const bad = linearSuite(true);
      const r = await simulate(tool, { top: bad.top, sources: { ...sourcesFor(...bad.modules), [`${bad.top}.sv`]: wrapperTop(bad.top, bad.insts) }, files: bad.files, timeoutMs: 300_000, keep: 'never' });
      expect(r.ok).toBe(false);
      expect(r.exitCode).not.toBe(0);
      expect(r.firstMismatch).toMatch(/^MISMATCH lin0 beat=3 elem=1 field=y got=[0-9a-f]+ exp=[0-9a-f]+$/);
      expect(r.results.find((x) => x.tb === 'lin0')?.mismatches).toBe(1);
      expect(r.results.filter((x) => x.tb !== 'lin0').every((x) => x.mismatches === 0)).toBe(true);
    }, 900_000);
  }
});

// ------------------------------------------------------------------ mx_matmul (random operands)

const MATMUL_CASES: Omit<MatmulRequest, 'target'>[] = [
  { mode: 'qk', T: 12, D: 32, aSpec: parseFormat('mxint8'), bSpec: parseFormat('mxint8'), lanes: { lanesK: 8, lanesN: 4 } },
  { mode: 'qk', T: 10, D: 32, aSpec: parseFormat('mxfp8_e4m3'), bSpec: parseFormat('mxfp4'), lanes: { lanesK: 32, lanesN: 5 } },
  { mode: 'qk', T: 6, D: 64, aSpec: parseFormat('mxfp6_e2m3'), bSpec: parseFormat('mxfp6_e2m3'), lanes: { lanesK: 64, lanesN: 2, lanesIn: 16, lanesInB: 8 } },
  { mode: 'pv', T: 12, D: 32, aSpec: parseFormat('mxint8'), bSpec: parseFormat('mxint8'), lanes: { lanesK: 4, lanesN: 8 } },
  { mode: 'pv', T: 40, D: 16, aSpec: parseFormat('mxfp4:block=16'), bSpec: parseFormat('mxfp8_e4m3:block=16'), lanes: { lanesK: 8, lanesN: 4 } },
  { mode: 'pv', T: 20, D: 16, aSpec: parseFormat('mxint:m=8'), bSpec: parseFormat('bfp:m=8'), lanes: { lanesK: 4, lanesN: 16, lanesInB: 16 } },
];

/** Softmax-like rows: non-negative ACT values ≤ 1, with garbage (non-zero) in the masked part that the hardware must ignore. */
function randomProbs(T: number, seed: number): Int32Array {
  const r = rng(seed);
  const p = new Int32Array(T * T);
  for (let i = 0; i < p.length; i++) p[i] = r() < 0.1 ? 0 : Math.floor(2 ** (14 - r() * 14));
  return p;
}

function matmulSuite(): Suite {
  const parts = MATMUL_CASES.map((c, i) => {
    const a = c.mode === 'qk' ? randomAct(c.T, c.D, 800 + i) : randomProbs(c.T, 800 + i);
    const b = randomAct(c.T, c.D, 900 + i);
    return matmulTestbench(`mm${i}`, { ...c, target: `mm${i}` }, a, b, 90 + i);
  });
  // real attention operands of L1, head 2: Q·Kᵀ in MXFP8 E4M3, P·V with P in MXINT8 and V in MXFP6 E2M3
  const T = real.T;
  const p2 = real.p.subarray(2 * T * T, 3 * T * T);
  parts.push(matmulTestbench('mm_real0', { target: 'L1.qk', mode: 'qk', T, D: 32, aSpec: parseFormat('mxfp8_e4m3'), bSpec: parseFormat('mxfp8_e4m3'), lanes: { lanesK: 16, lanesN: 4 } }, head(real.q, T, 4, 2), head(real.k, T, 4, 2), 98));
  parts.push(matmulTestbench('mm_real1', { target: 'L1.pv', mode: 'pv', T, D: 32, aSpec: parseFormat('mxint8'), bSpec: parseFormat('mxfp6_e2m3'), lanes: { lanesK: 4, lanesN: 8 } }, p2, head(real.v, T, 4, 2), 99));
  return suite('tb_top_matmul', ['tb_mx_matmul'], parts);
}

describe('mx_matmul: causal Q·Kᵀ and P·V with both operands streamed', () => {
  let s: Suite;
  beforeAll(() => {
    s = matmulSuite();
  });
  for (const tool of SIMS) {
    it(`${tool}: ${MATMUL_CASES.length} random configurations, 2 on real attention operands`, async () => {
      need();
      expectPass(await run(tool, s), MATMUL_CASES.length + 2);
    }, 900_000);
  }
});

describe('lint', () => {
  it('every component is clean under verilator --lint-only -Wall', async () => {
    need();
    for (const name of RTL_COMPONENTS) {
      const r = await lint({ top: name, sources: sourcesFor(name) });
      expect(r.ok, `${name}:\n${r.log}`).toBe(true);
    }
    expect(MX_LIBRARY.mx_linear.params).toContain('LANES_K');
  });
});
