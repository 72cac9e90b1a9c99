// Differential tests: the WASM quantize kernel (both builds) against its TypeScript twin, core's
// quantizeWithCounts / encode (src/core/formats/codec.ts), bit for bit: Float32 output bits (so
// −0 ≠ +0 and NaN payloads count), element bits, scale codes, the datapath view and the counts.
import { beforeAll, describe, expect, it } from 'vitest';
import { ELEMENTS, ELEM_NAMES, ROUNDINGS, SCALE_RULES, elemGridMagnitudes, encode, quantizeWithCounts, type ElemName, type FormatSpec, type Rounding } from '../formats/index';
import { FormatError } from '../formats/errors';
import { KernelError, RELAXED_PROBE, SIMD_PROBE, detectFlavor } from './loader';
import { loadQuantKernels, type QuantKernels } from './index';
import { execFileSync } from 'node:child_process';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng } from '../tensors';

const getBytes = kernelBytes;
const FLAVORS = ['simd', 'relaxed'] as const;
const K: Record<string, QuantKernels> = {};
/** Tiny chunks, so every streaming path (row groups, split rows, gather flushes) runs many times. */
const KC: Record<string, QuantKernels> = {};

beforeAll(async () => {
  for (const fl of FLAVORS) {
    K[fl] = await loadQuantKernels(getBytes, fl);
    KC[fl] = await loadQuantKernels(getBytes, fl, { chunkElems: 37 });
  }
});

// ------------------------------------------------------------------ data

const rng = makeRng;
const f32u = new Uint32Array(1);
const f32f = new Float32Array(f32u.buffer);
function fromBits(b: number): number {
  f32u[0] = b >>> 0;
  return f32f[0];
}
function bitsOf(v: number): number {
  f32f[0] = v;
  return f32u[0];
}
/** The neighbouring float32 values of v (toward +∞ and toward −∞ in magnitude terms: up/down). */
function nextUp(v: number): number {
  const b = bitsOf(Math.abs(v));
  return fromBits(b + 1) * Math.sign(v || 1);
}
function nextDown(v: number): number {
  const b = bitsOf(Math.abs(v));
  return b === 0 ? 0 : fromBits(b - 1) * Math.sign(v || 1);
}

/**
 * Random rows: normal and heavy-tailed values with per-row magnitudes 2^−140 … 2^120, rows of raw
 * random finite bit patterns, small-integer grids (exact ties), and sprinkled specials (zero
 * blocks, NaN, ±Inf, −0, float32 subnormals, FLT_MAX).
 */
function mixedData(rows: number, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(rows * n);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  for (let i = 0; i < rows; i++) {
    const kind = i % 6;
    const mag = 2 ** Math.floor(-140 + r() * 261);
    for (let j = 0; j < n; j++) {
      let v: number;
      switch (kind) {
        case 0:
          v = normal() * mag;
          break;
        case 1:
          v = (normal() / Math.max(1e-3, Math.abs(normal()))) * mag; // Cauchy-like tails
          break;
        case 2: {
          const b = Math.floor(r() * 0xff000000); // any finite pattern (exponent < 255)
          v = fromBits(b >= 0x7f800000 ? b + 0x00800000 * 2 : b);
          if (!Number.isFinite(v)) v = 0;
          break;
        }
        case 3:
          v = (Math.floor(r() * 64) - 32) * 0.25 * 2 ** Math.floor(r() * 8 - 4); // exact ties on many grids
          break;
        case 4:
          v = fromBits(Math.floor(r() * 0x00800000)) * (r() < 0.5 ? -1 : 1); // float32 subnormals
          break;
        default:
          v = normal() * 2 ** Math.floor(r() * 40 - 20);
      }
      x[i * n + j] = v;
    }
  }
  // specials at random places
  const specials = [NaN, Infinity, -Infinity, -0, 0, fromBits(0x7f7fffff), -fromBits(0x7f7fffff), fromBits(1), -fromBits(1), fromBits(0x007fffff), fromBits(0x00800000)];
  for (let s = 0; s < Math.max(4, x.length >> 6); s++) x[Math.floor(r() * x.length)] = specials[s % specials.length];
  // a zeroed stretch and a −0 stretch
  const z = Math.floor(r() * (x.length - 70));
  x.fill(0, z, z + 35);
  const nz = Math.floor(r() * (x.length - 70));
  x.fill(-0, nz, nz + 35);
  return x;
}

/**
 * Blocks of 32 built on one element format's grid at several scales: the block maximum 2^emax
 * (so the floor rule gives X = s), then every grid point, every tie between neighbours, the
 * float32 neighbours of each tie, negatives, and saturating maxima in (maxNorm, 2^(emax+1)).
 */
function edgeData(elem: ElemName): Float32Array {
  const e = ELEMENTS[elem];
  const g = elemGridMagnitudes(e);
  const vals: number[] = [];
  for (let i = 0; i + 1 < g.length; i++) {
    const t = (g[i] + g[i + 1]) / 2;
    vals.push(g[i], t, nextUp(t), nextDown(t), -t, -nextUp(t), -g[i + 1]);
  }
  const top = 2 ** (e.emax + 1);
  const sat = [e.maxNorm, nextUp(e.maxNorm), (e.maxNorm + top) / 2, nextDown(top), -nextDown(top), 2 ** e.emax * 1.5];
  const out: number[] = [];
  for (const s of [0, 7, -9, 100, -120, -126 - e.emax, -133, 126 - e.emax]) {
    const sc = 2 ** s;
    for (let i = 0; i < vals.length; i += 31) {
      out.push(2 ** e.emax * sc, ...vals.slice(i, i + 31).map((v) => v * sc));
      while (out.length % 32) out.push(0);
    }
    for (const m of sat) {
      out.push(m * sc, ...vals.slice(0, 31).map((v) => v * sc));
      while (out.length % 32) out.push(0);
    }
  }
  return Float32Array.from(out);
}

/** MXInt/BFP: per block a power-of-two or just-below maximum 2^s, then ties k + ½ on the block's grid and their neighbours. */
function intEdgeData(m: number): Float32Array {
  const out: number[] = [];
  const r = rng(m * 977);
  for (const s of [0, 5, -3, -20, 60, -100, 120, -126, -135]) {
    for (const top of [2 ** s, nextDown(2 ** s), nextUp(2 ** s), 1.5 * 2 ** s]) {
      const unit = 2 ** (s - (m - 1));
      out.push(top);
      for (let i = 1; i < 16; i++) {
        const k = Math.floor(r() * 2 ** (m - 1));
        const t = (k + 0.5) * unit;
        const v = [t, nextUp(t), nextDown(t), k * unit][i % 4];
        out.push(r() < 0.5 ? -v : v);
      }
    }
  }
  return Float32Array.from(out);
}

// ------------------------------------------------------------------ comparison

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>, same: (u: number, v: number) => boolean): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return i;
  return -1;
}
const eq = (u: number, v: number) => u === v;

type Args = [fmt: FormatSpec | string, x: Float32Array, shape?: number[], axis?: number];
const tagOf = (k: QuantKernels, [fmt, , shape, axis]: Args) => `${k.flavor} ${JSON.stringify(fmt)} shape ${shape} axis ${axis}`;

function checkQuant(k: QuantKernels, args: Args, want = quantizeWithCounts(...args)): void {
  const x = args[1];
  const got = k.quantize(...args);
  const wb = new Uint32Array(want.values.buffer);
  const gb = new Uint32Array(got.values.buffer);
  const d = firstDiff(gb, wb, eq);
  if (d !== -1) {
    const at = d >= 0 ? ` at ${d}: input 0x${bitsOf(x[d]).toString(16)} (${x[d]}) → kernel 0x${gb[d].toString(16)} (${got.values[d]}), core 0x${wb[d].toString(16)} (${want.values[d]})` : ' (length)';
    expect.fail(`${tagOf(k, args)}: values differ${at}`);
  }
  expect(got.counts, `${tagOf(k, args)} counts`).toEqual(want.counts);
  // quantizeWithSums: the same values and counts, and (blocks along the last axis) the sums of measure()
  const ws = k.quantizeWithSums!(...args);
  expect(firstDiff(new Uint32Array(ws.values.buffer), wb, eq), `${tagOf(k, args)} quantizeWithSums values`).toBe(-1);
  expect(ws.counts, `${tagOf(k, args)} quantizeWithSums counts`).toEqual(want.counts);
  const [fmt, , shape, axis] = args;
  const rank = (shape ?? [x.length]).length;
  const direct = (axis === undefined || axis === -1 || axis === rank - 1) && (typeof fmt !== 'string' || !/x\d/.test(fmt.split('block=')[1] ?? ''));
  const lineRows = direct && k.encode(...args).layout.tileRows === 1;
  expect(ws.sums !== undefined, `${tagOf(k, args)} quantizeWithSums makes sums exactly for blocks along the last axis`).toBe(lineRows);
  if (!ws.sums) return;
  let sig = 0;
  let err = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const q = want.values[i];
    if (a - a !== 0 || q - q !== 0) continue;
    const d = a - q;
    sig += a * a;
    err += d * d;
  }
  expect([Object.is(ws.sums.sig, sig), Object.is(ws.sums.err, err)], `${tagOf(k, args)} quantizeWithSums sums ${ws.sums.sig}/${ws.sums.err} vs ${sig}/${err}`).toEqual([true, true]);
}

function checkEncode(k: QuantKernels, args: Args, want = encode(...args)): void {
  const got = k.encode(...args);
  const tag = tagOf(k, args);
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  for (const f of ['elements', 'scales', 'mantissas', 'unitExp'] as const) {
    const d = firstDiff(got[f], want[f], Object.is);
    if (d !== -1) expect.fail(`${tag}: ${f} differ at ${d}: kernel ${show(got[f][d])}, core ${show(want[f][d])} (input ${args[1][d]})`);
  }
  expect(got.counts, `${tag} counts`).toEqual(want.counts);
  expect(got.spec).toEqual(want.spec);
  expect(got.layout).toEqual(want.layout);
  expect([got.elemBits, got.scaleBits, got.tensorScale]).toEqual([want.elemBits, want.scaleBits, want.tensorScale]);
  // the statistics' sums made as the chunks stream (blocks along the last axis): the emulator's
  // measure() loop over x and the decoded values, bit for bit; other layouts report none
  const [fmt, x, shape, axis] = args;
  const r = k.encodeWithValues!(fmt, x, shape, axis, { sums: true });
  const rank = (shape ?? [x.length]).length;
  const direct = (axis === undefined || axis === -1 || axis === rank - 1) && (typeof fmt !== 'string' || !/x\d/.test(fmt.split('block=')[1] ?? ''));
  const lean = k.encodeWithValues!(fmt, x, shape, axis, { sums: true, valuesIfNoSums: true });
  expect(lean.values.length, `${tag} values kept only without sums`).toBe(lean.sums ? 0 : x.length);
  expect(lean.sums).toEqual(r.sums);
  if (!direct || r.enc.layout.tileRows !== 1) return;
  let sig = 0;
  let err = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const q = r.values[i];
    if (a - a !== 0 || q - q !== 0) continue;
    const d = a - q;
    sig += a * a;
    err += d * d;
  }
  expect(r.sums, `${tag} sums`).toBeDefined();
  expect([Object.is(r.sums!.sig, sig), Object.is(r.sums!.err, err)], `${tag} sums ${r.sums!.sig}/${r.sums!.err} vs ${sig}/${err}`).toEqual([true, true]);
}

/** Both builds against core (computed once), quantize and encode. */
function both(fmt: FormatSpec | string, x: Float32Array, shape?: number[], axis?: number, kernels = K): void {
  const args: Args = [fmt, x, shape, axis];
  const wantQ = quantizeWithCounts(...args);
  const wantE = encode(...args);
  for (const fl of FLAVORS) {
    checkQuant(kernels[fl], args, wantQ);
    checkEncode(kernels[fl], args, wantE);
  }
}

// ------------------------------------------------------------------ tests

describe('flavor detection', () => {
  it('validates the relaxed probe only with --experimental-wasm-relaxed-simd', () => {
    const code = `process.stdout.write(String(WebAssembly.validate(new Uint8Array(${JSON.stringify(Array.from(RELAXED_PROBE))}))) + ' ' + String(WebAssembly.validate(new Uint8Array(${JSON.stringify(Array.from(SIMD_PROBE))}))))`;
    const withFlag = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', code], { encoding: 'utf8' });
    const without = execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(withFlag).toBe('true true');
    // Node 20 ships relaxed SIMD behind the flag; newer engines may validate it by default.
    if (process.versions.node.startsWith('20.')) expect(without).toBe('false true');
    // vitest runs the workers with the flag (vitest.config.ts)
    expect(detectFlavor()).toBe('relaxed');
  });
  it('loads the requested build and reports it', () => {
    expect(K.simd.flavor).toBe('simd');
    expect(K.relaxed.flavor).toBe('relaxed');
  });
  it('reports a missing kernel file as KernelError', async () => {
    await expect(loadQuantKernels(() => Promise.reject(new Error('ENOENT')), 'simd')).rejects.toBeInstanceOf(KernelError);
  });
});

describe('OCP MX: every element format × rounding × scale rule × scale bits × flush', () => {
  const mixed = mixedData(24, 100, 1);
  const blocks = [32, 7, 33, 1];
  for (const elem of ELEM_NAMES) {
    it(elem, () => {
      const edge = edgeData(elem);
      let c = 0;
      for (const round of ROUNDINGS) {
        for (const scale of SCALE_RULES) {
          for (const scaleBits of [8, 5]) {
            for (const flush of [false, true]) {
              const block = blocks[c++ % blocks.length];
              both({ kind: 'mx', elem, block, tileRows: 1, round, scale, scaleBits, flush }, mixed, [24, 100]);
              both({ kind: 'mx', elem, block: 32, tileRows: 1, round, scale, scaleBits, flush }, edge);
            }
          }
        }
      }
    });
  }
});

describe('OCP MX edge cases', () => {
  it('block sizes 1, 7, 32, 33 with partial last blocks, every element format', () => {
    const x = mixedData(12, 70, 2);
    for (const elem of ELEM_NAMES) for (const block of [1, 7, 32, 33]) both({ kind: 'mx', elem, block, tileRows: 1, round: 'nearest', scale: 'floor', scaleBits: 8, flush: false }, x, [12, 70]);
  });
  it('NaN and ±Inf poison only their block; all-zero, −0 and subnormal blocks', () => {
    const x = new Float32Array(32 * 8);
    x.set([1, NaN, 3], 0);
    x.set([Infinity, 2], 32);
    x.set([-Infinity, -0, 5], 64);
    // 96..127 all zero
    x.fill(-0, 128, 160);
    for (let i = 160; i < 192; i++) x[i] = fromBits(i * 977) * (i % 2 ? -1 : 1); // subnormals
    for (let i = 192; i < 224; i++) x[i] = fromBits(0x007fffff - i);
    x.set([fromBits(0x7f7fffff), -fromBits(0x7f7fffff), 1e38], 224);
    for (const f of ['mxfp8_e5m2', 'mxfp8_e4m3', 'mxfp4', 'mxint8', 'mxint2', 'mxfp6_e2m3:flush=1', 'mxint4:flush=1,scale=ceil', 'mxfp4:scale=even,sbits=5', 'mxint8:scale=rceil']) both(f, x, [8, 32]);
  });
  it('the worked examples of mx-formats.md §A13 through the kernel', () => {
    const cases: [string, number[]][] = [
      ['mxfp8_e4m3', [485, 475, 400, -485, -475, -450, 2 ** -6, -(2 ** -6)]],
      ['mxfp8_e4m3:round=even', [957, 960, 902.4, -959.56, 1.0]],
      ['mxfp8_e5m2:round=even', [1, 2, 31, fromBits(0x42ffffff)]],
      ['mxfp4:round=floor', [0.75, 1.25, 1.75, 2.5, 3.5, 5.0]],
      ['mxfp4', [1000, -3, 0.5, 17]],
      ['mxint8', [6.0, -2.5, 0.1]],
      ['mxfp8_e4m3', [2 ** -140, 2 ** -141]],
    ];
    for (const [f, v] of cases) both(f, Float32Array.from(v));
  });
  it('streams big tensors in chunks (default chunk size, 256×768)', () => {
    const x = mixedData(256, 768, 3);
    for (const fl of FLAVORS) {
      checkQuant(K[fl], ['mxfp4', x, [256, 768]]);
      checkQuant(K[fl], ['mxint8:round=even', x, [256, 768]]);
    }
    checkEncode(K.relaxed, ['mxfp8_e4m3', x, [256, 768]]);
  });
  it('counts past 2^16 per lane within one kernel call (packed counters are drained)', async () => {
    const big = await loadQuantKernels(getBytes, 'simd', { chunkElems: 1 << 20 });
    // every block: lanes 0, 2 saturate (1.999 → 128/64 > 127/64), lanes 1, 3 underflow
    const x = new Float32Array(600_000).map((_, i) => (i % 2 ? 1e-5 : -1.999));
    checkQuant(big, ['mxint8', x, [600, 1000]]);
    checkQuant(big, ['mxint:m=4,block=32', x, [600, 1000]]);
  });
  it('tiny chunks: row groups, rows split into pieces, gather flushes', () => {
    const x = mixedData(6, 150, 4);
    for (const f of ['mxfp4:block=7', 'mxfp8_e5m2:block=32', 'mxint8:block=64', 'mxint:m=5,block=9', 'bfp:m=3,block=4x5']) {
      both(f, x, [6, 150], -1, KC);
      if (!f.includes('x')) both(f, x, [900], -1, KC);
      both(f, x, [6, 150], 0, KC);
      both(f, x, [3, 2, 150], 1, KC);
    }
  });
});

describe('MXInt and BFP', () => {
  const mixed = mixedData(12, 80, 5);
  for (const m of [2, 4, 8, 12, 16]) {
    it(`m = ${m}`, () => {
      const edge = intEdgeData(m);
      for (const e of [8, 5]) {
        for (const bias of [2 ** (e - 1) - 1, 0, 2 ** e - 2, 3]) {
          for (const round of ROUNDINGS as readonly Rounding[]) {
            const common = { m, e, bias, tileRows: 1, round };
            both({ kind: 'mxint', ...common, block: 16, scale: 'ceil' }, mixed, [12, 80]);
            both({ kind: 'mxint', ...common, block: 7, scale: 'floor' }, mixed, [12, 80]);
            both({ kind: 'bfp', ...common, block: 33 }, mixed, [12, 80]);
            both({ kind: 'mxint', ...common, block: 16, scale: 'ceil' }, edge);
            both({ kind: 'mxint', ...common, block: 16, scale: 'floor' }, edge);
            both({ kind: 'bfp', ...common, block: 16 }, edge);
          }
        }
      }
    });
  }
});

describe('non-last axis and 2-D tiles on 3-D tensors', () => {
  const shape = [5, 37, 19];
  const x = mixedData(5 * 37, 19, 6);
  const fmts = ['mxfp4:block=8', 'mxfp8_e4m3:block=16,round=even', 'mxint8:block=4x8,scale=ceil', 'mxfp6_e3m2:block=3x5,flush=1', 'mxint:m=4,block=16', 'mxint:m=6,block=2x8,scale=floor', 'bfp:m=5,block=4x4,round=floor'];
  for (const axis of [0, 1, 2, -1, -2]) {
    it(`axis ${axis}`, () => {
      for (const f of fmts) both(f, x, shape, axis);
    });
  }
  it('rank 1 and rank 2 tiles along axis 0', () => {
    const y = mixedData(33, 10, 7);
    both('mxfp4:block=4x8', y, [33, 10], 0);
    both('mxfp4:block=1000', y, [330]);
  });
});

describe('contract: validation and fallbacks', () => {
  const x = Float32Array.from([1, 2, 3, 4]);
  function sameError(run: () => unknown, core: () => unknown): void {
    let want: unknown;
    try {
      core();
    } catch (e) {
      want = e;
    }
    expect(want).toBeInstanceOf(FormatError);
    expect(run).toThrow(FormatError);
    expect(run).toThrow((want as Error).message);
  }
  it('encodeAct: ACT integers encode exactly as their float32 values, on every path, with the same sums', () => {
    const rnd = rng(77);
    for (const f of [14, 5, 22]) {
      const ints = Int32Array.from({ length: 64 * 96 }, (_, i) => (i % 97 === 0 ? 0 : Math.round((rnd() - 0.5) * 2 ** (8 + (i % 15)))));
      ints[5] = 2 ** 23 - 1;
      ints[6] = -(2 ** 23 - 1);
      const vals = Float32Array.from(ints, (v) => v * 2 ** -f);
      for (const [fmt, shape, axis] of [['mxint8', [64, 96], 1], ['mxfp4', [64, 96], 1], ['mxint8', [64, 96], 0], ['bfp:m=6,block=16', [64, 96], 1], ['mxfp8_e4m3:block=4x4', [64, 96], 1]] as const) {
        for (const kk of [K.simd, K.relaxed, KC.relaxed]) {
          const want = kk.encodeWithValues!(fmt, vals, [...shape], axis, { sums: true });
          const got = kk.encodeAct!(fmt, ints, f, [...shape], axis, { sums: true });
          for (const fld of ['elements', 'scales', 'mantissas', 'unitExp'] as const) expect(firstDiff(got.enc[fld], want.enc[fld], Object.is), `${fmt} axis ${axis} f ${f} ${fld}`).toBe(-1);
          expect(got.enc.counts).toEqual(want.enc.counts);
          expect(firstDiff(got.values, want.values, Object.is)).toBe(-1);
          expect(got.sums === undefined).toBe(want.sums === undefined);
          if (!got.sums) continue;
          expect([Object.is(got.sums.sig, want.sums!.sig), Object.is(got.sums.err, want.sums!.err)], `${fmt} axis ${axis} f ${f} sums`).toEqual([true, true]);
          if (got.sums.exact) {
            // exact sums: the same two numbers in any order (here: backwards)
            let sig = 0;
            let err = 0;
            for (let i = vals.length - 1; i >= 0; i--) {
              const d = vals[i] - want.values[i];
              sig += vals[i] * vals[i];
              err += d * d;
            }
            expect([sig, err]).toEqual([got.sums.sig, got.sums.err]);
          }
        }
      }
    }
    expect(() => K.simd.encodeAct!('mxint8', new Float32Array(4) as unknown as Int32Array, 14)).toThrow(KernelError);
  });

  it('encodeAct sums: exact integer sums where they equal the sequential loop, the loop from there on otherwise', () => {
    // measure_sums_act: small values stay exact throughout; large ones cross 2^53 units of 2^−2f in
    // some chunk (the chunk and the rest of the tensor then run the sequential loop); f = 0 with
    // fine formats and odd lengths; every case against encodeWithValues' sequential sums, bit for bit
    const rnd = rng(78);
    const cases: [string, number, number, (i: number) => number][] = [
      ['mxint8', 14, 4099, () => Math.round((rnd() - 0.5) * 2 ** 12)],
      ['mxfp4', 14, 4099, (i) => Math.round((rnd() - 0.5) * 2 ** (i % 24))],
      ['mxint8', 14, 70000, () => Math.round((rnd() - 0.5) * 2 ** 23)],
      ['mxint8', 14, 70000, (i) => (i < 40000 ? Math.round((rnd() - 0.5) * 2 ** 6) : Math.round((rnd() - 0.5) * 2 ** 23))],
      ['mxfp4:block=16', 0, 1001, () => Math.round((rnd() - 0.5) * 7)],
      ['mxfp8_e5m2', 30, 999, (i) => (i % 3 ? 0 : Math.round((rnd() - 0.5) * 2 ** 23))],
    ];
    const seen = new Set<boolean>();
    for (const [fmt, f, n, gen] of cases) {
      const ints = Int32Array.from({ length: n }, (_, i) => gen(i));
      const vals = Float32Array.from(ints, (v) => v * 2 ** -f);
      for (const kk of [K.simd, K.relaxed, KC.relaxed]) {
        const want = kk.encodeWithValues!(fmt, vals, [n], -1, { sums: true });
        const got = kk.encodeAct!(fmt, ints, f, [n], -1, { sums: true });
        expect([Object.is(got.sums!.sig, want.sums!.sig), Object.is(got.sums!.err, want.sums!.err)], `${fmt} f ${f} n ${n}: ${got.sums!.sig}/${got.sums!.err} vs ${want.sums!.sig}/${want.sums!.err}`).toEqual([true, true]);
        seen.add(got.sums!.exact!);
      }
    }
    expect([...seen].sort(), 'both the exact path and the fallback ran').toEqual([false, true]);
  });

  it('throws the same FormatErrors as core', () => {
    for (const fl of FLAVORS) {
      const k = K[fl];
      sameError(() => k.quantize('mxfp4:block=0', x), () => quantizeWithCounts('mxfp4:block=0', x));
      sameError(() => k.encode('nope', x), () => encode('nope', x));
      sameError(() => k.quantize('mxfp4', x, [3]), () => quantizeWithCounts('mxfp4', x, [3]));
      sameError(() => k.quantize('mxfp4', x, [2, 2], 2), () => quantizeWithCounts('mxfp4', x, [2, 2], 2));
      sameError(() => k.quantize('mxfp4:block=2x2', x), () => quantizeWithCounts('mxfp4:block=2x2', x));
      sameError(() => k.quantize('mxfp4', null as unknown as Float32Array, [1]), () => quantizeWithCounts('mxfp4', null as unknown as Float32Array, [1]));
    }
  });
  it('refuses formats it does not cover with KernelError (callers fall back to core)', () => {
    for (const f of ['fixed:w=8', 'nvfp4', 'fp32']) {
      expect(() => K.simd.quantize(f, x)).toThrow(KernelError);
      expect(() => K.relaxed.encode(f, x)).toThrow(KernelError);
    }
    expect(() => K.simd.quantize('mxfp4', [1, 2] as unknown as Float32Array)).toThrow(KernelError);
    expect(K.simd.supports({ kind: 'fp32' })).toBe(false);
    expect(K.simd.supports({ kind: 'mx', elem: 'int8', block: 32, tileRows: 1, round: 'even', scale: 'floor', scaleBits: 8, flush: false })).toBe(true);
  });
});
