// Differential tests: the WASM float32 GEMM kernel (both builds) against its TypeScript twin
// f32gemm (src/core/datapath/f32gemm.ts), bit for bit on Uint32 views: random shapes that are not
// multiples of the 4×8 tile, K = 1, K across the kernel's 512-step cache blocks, both B layouts,
// normal / wide-range / subnormal / special (±0, NaN, ±Inf, FLT_MAX) / raw-bit data and exact
// cancellation; prepared handles (reuse, many alive, dispose, memory reuse and growth); errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../formats/index';
import { F32_CANONICAL_NAN, f32gemm, f32gemmTwin, type F32GemmLayout } from '../datapath/f32gemm';
import { loadF32GemmKernel, type F32GemmKernel } from './f32gemm';
import { KernelError } from './loader';
import { kernelBytes } from '../../../tools/testing/kernels';
import { makeRng, type Rng } from '../tensors';

const FLAVORS = ['simd', 'relaxed'] as const;
const KERNELS = {} as Record<(typeof FLAVORS)[number], F32GemmKernel>;

beforeAll(async () => {
  for (const fl of FLAVORS) KERNELS[fl] = await loadF32GemmKernel(kernelBytes, fl);
});

const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

type Kind = 'normal' | 'wide' | 'tiny' | 'special' | 'raw' | 'cancel';
const KINDS: Kind[] = ['normal', 'wide', 'tiny', 'special', 'raw', 'cancel'];

/** Random data: the same kinds as the twin's tests ('cancel' is normal; B gets paired rows). */
function data(n: number, rnd: Rng, kind: Kind): Float32Array {
  const out = new Float32Array(n);
  const u = u32(out);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
    if (kind === 'normal' || kind === 'cancel') out[i] = g;
    else if (kind === 'wide') out[i] = g * 2 ** Math.round((rnd() * 2 - 1) * 64);
    else if (kind === 'tiny') out[i] = rnd() < 0.2 ? g * 2 ** -135 : g * 2 ** Math.round(-60 - rnd() * 30);
    else if (kind === 'raw') u[i] = (rnd() * 2 ** 32) >>> 0;
    else {
      const r = rnd();
      const sp = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.1754942e-38];
      out[i] = r < 0.08 ? sp[Math.floor(rnd() * sp.length)] : g;
    }
  }
  return out;
}

/** B [K, N] for 'cancel': row k+1 = −row k with A's columns equal, so many sums cancel exactly to ±0. */
function cancelling(a: Float32Array, b: Float32Array, M: number, K: number, N: number): void {
  for (let k = 0; k + 1 < K; k += 2) {
    for (let j = 0; j < N; j++) b[(k + 1) * N + j] = -b[k * N + j];
    for (let i = 0; i < M; i++) if ((i + k) % 3 !== 0) a[i * K + k + 1] = a[i * K + k];
  }
}

function transpose(b: Float32Array, K: number, N: number): Float32Array {
  const t = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) t[j * K + k] = b[k * N + j];
  return t;
}

/** Index of the first differing element, or −1. */
function firstDiff(x: Float32Array, y: Float32Array): number {
  const a = u32(x);
  const b = u32(y);
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Kernel (both builds, both layouts, one-shot and prepared) equals the twin bit for bit. */
function check(a: Float32Array, b: Float32Array, M: number, K: number, N: number, label: string): void {
  const want = f32gemm(a, b, M, K, N, 'KN');
  const bt = transpose(b, K, N);
  for (const fl of FLAVORS) {
    const k = KERNELS[fl];
    for (const [layout, bb] of [['KN', b], ['NK', bt]] as const) {
      const got = k.gemm(a, bb, M, K, N, layout);
      const d = firstDiff(got, want);
      expect(d, `${label} ${fl} ${layout}: element ${d} = 0x${u32(got)[d]?.toString(16)} vs 0x${u32(want)[d]?.toString(16)}`).toBe(-1);
    }
  }
}

// ------------------------------------------------------------------------------ random

describe('kernel = twin on random operands', () => {
  it('ragged shapes (M, N not multiples of 4×8, K = 1 … 200), every data kind', () => {
    const rnd = makeRng(201);
    let n = 0;
    for (const kind of KINDS) {
      for (let t = 0; t < 12; t++) {
        const M = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17][Math.floor(rnd() * 10)];
        const N = [1, 3, 7, 8, 9, 15, 16, 17, 25, 33][Math.floor(rnd() * 10)];
        const K = t === 0 ? 1 : [1, 2, 3, 4, 5, 8, 31, 64, 127, 200][Math.floor(rnd() * 10)];
        const a = data(M * K, rnd, kind);
        const b = data(K * N, rnd, kind);
        if (kind === 'cancel') cancelling(a, b, M, K, N);
        check(a, b, M, K, N, `${kind} ${M}×${K}×${N}`);
        n++;
      }
    }
    expect(n).toBe(72);
  });

  it('K across the kernel cache blocks (512, 1024, 1537, 4100) and many tiles and panels', () => {
    const rnd = makeRng(202);
    for (const [M, K, N, kind] of [
      [5, 512, 9, 'normal'],
      [6, 513, 11, 'special'],
      [3, 1024, 17, 'wide'],
      [9, 1537, 8, 'tiny'],
      [2, 4100, 5, 'normal'],
      [70, 300, 90, 'special'],
      [257, 64, 130, 'raw'],
    ] as const) {
      check(data(M * K, rnd, kind), data(K * N, rnd, kind), M, K, N, `${kind} ${M}×${K}×${N}`);
    }
  });

  it('the row-block path (packed A beyond 256 KiB per K block) on a tall A', () => {
    const rnd = makeRng(203);
    const [M, K, N] = [1100, 130, 12]; // 275 tiles × 130 × 16 B > 256 KiB: two row blocks
    check(data(M * K, rnd, 'normal'), data(K * N, rnd, 'special'), M, K, N, `${M}×${K}×${N}`);
  });
});

// ------------------------------------------------------------------------------ edge cases

describe('edge cases', () => {
  it('every special value against every other, K = 1 (one product) and K = 2 (one sum)', () => {
    const sp = [0, -0, 1, -1, 1e-45, -1e-45, 2 ** -75, -(2 ** -75), 1.1754942e-38, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 0.1, -3];
    const n = sp.length;
    const a = Float32Array.from(sp);
    check(a, Float32Array.from(sp), n, 1, n, 'outer product');
    // K = 2: a[i] = [x_i, y_i], b = [[1…], [1…]]: every pairwise sum in both orders
    const a2 = new Float32Array(n * n * 2);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a2.set([sp[i], sp[j]], (i * n + j) * 2);
    check(a2, new Float32Array(2 * 3).fill(1), n * n, 2, 3, 'pairwise sums');
  });

  it('NaN outputs are canonical in the kernel too, whatever the NaN inputs were', () => {
    const a = new Float32Array(new Uint32Array([0xffc00001, 0x7f800001, 0x7fffffff, 0xfff00000]).buffer);
    for (const fl of FLAVORS) {
      const c = KERNELS[fl].gemm(a, Float32Array.of(1, -2, Infinity), 4, 1, 3, 'KN');
      expect(Array.from(u32(c))).toEqual(new Array(12).fill(F32_CANONICAL_NAN));
    }
  });

  it('empty dimensions: M = 0, N = 0, K = 0 (+0 outputs)', () => {
    for (const fl of FLAVORS) {
      const k = KERNELS[fl];
      expect(k.gemm(new Float32Array(0), new Float32Array(12), 0, 3, 4, 'KN').length).toBe(0);
      expect(k.gemm(new Float32Array(6), new Float32Array(0), 2, 3, 0, 'NK').length).toBe(0);
      const z = k.gemm(new Float32Array(0), new Float32Array(0), 3, 0, 5, 'NK');
      expect(Array.from(u32(z))).toEqual(new Array(15).fill(0));
    }
  });

  it('input arrays that are views with an offset, and are left untouched', () => {
    const rnd = makeRng(204);
    const [M, K, N] = [7, 13, 10];
    const abuf = data(M * K + 3, rnd, 'normal');
    const bbuf = data(K * N + 5, rnd, 'normal');
    const a = abuf.subarray(3);
    const b = bbuf.subarray(5);
    const before = [Array.from(u32(abuf)), Array.from(u32(bbuf))];
    check(a, b, M, K, N, 'views');
    expect([Array.from(u32(abuf)), Array.from(u32(bbuf))]).toEqual(before);
  });
});

// ------------------------------------------------------------------------------ out

describe('out: a caller-owned result array', () => {
  it('is filled, returned and reusable; a view with an offset works; K = 0 clears it', () => {
    const rnd = makeRng(208);
    const [M, K, N] = [9, 21, 14];
    const buf = new Float32Array(M * N + 7).fill(NaN);
    const out = buf.subarray(7);
    for (const fl of FLAVORS) {
      const k = KERNELS[fl];
      const h = k.prepareB(data(K * N, rnd, 'special'), K, N, 'KN');
      const t = f32gemmTwin.prepareB(new Float32Array(0), 0, 0, 'KN');
      t.dispose();
      for (let r = 0; r < 3; r++) {
        const a = data(M * K, rnd, 'special');
        const b = data(K * N, rnd, 'special');
        const want = f32gemm(a, b, M, K, N, 'NK');
        expect(k.gemm(a, b, M, K, N, 'NK', out)).toBe(out);
        expect(firstDiff(out, want)).toBe(-1);
        const twinOut = new Float32Array(M * N).fill(7);
        expect(f32gemmTwin.gemm(a, b, M, K, N, 'NK', twinOut)).toBe(twinOut);
        expect(firstDiff(twinOut, want)).toBe(-1);
        expect(k.gemmPrepared(a, M, h, out)).toBe(out);
      }
      expect(Number.isNaN(buf[6])).toBe(true); // nothing written before the view
      h.dispose();
      expect(Array.from(u32(k.gemm(new Float32Array(0), new Float32Array(0), M, 0, N, 'KN', out)))).toEqual(new Array(M * N).fill(0));
    }
  });
});

// ------------------------------------------------------------------------------ prepared B

describe('prepared B', () => {
  it('reused across calls with different A and M, several handles alive, both layouts', () => {
    const rnd = makeRng(205);
    for (const fl of FLAVORS) {
      const k = KERNELS[fl];
      const shapes = [
        [19, 33, 'KN'],
        [64, 40, 'NK'],
        [7, 3, 'NK'],
      ] as const;
      const bs = shapes.map(([K, N]) => data(K * N, rnd, 'special'));
      const hs = shapes.map(([K, N, layout], s) => k.prepareB(bs[s], K, N, layout));
      const ts = shapes.map(([K, N, layout], s) => f32gemmTwin.prepareB(bs[s], K, N, layout));
      for (let r = 0; r < 12; r++) {
        const s = r % 3;
        const K = shapes[s][0];
        const M = 1 + Math.floor(rnd() * 40);
        const a = data(M * K, rnd, r % 2 ? 'special' : 'wide');
        const got = k.gemmPrepared(a, M, hs[s]);
        expect(firstDiff(got, f32gemmTwin.gemmPrepared(a, M, ts[s])), `${fl} handle ${s} M=${M}`).toBe(-1);
      }
      for (const h of hs) h.dispose();
    }
  });

  it('dispose frees the kernel memory for reuse; a disposed or foreign handle is refused', () => {
    const rnd = makeRng(206);
    const k = KERNELS.simd;
    const heap = (k as unknown as { heap: { inUse: number } }).heap;
    const base = heap.inUse;
    const b = data(50 * 60, rnd, 'normal');
    const h = k.prepareB(b, 50, 60, 'KN');
    expect(heap.inUse).toBeGreaterThan(base);
    const mem = (k as unknown as { e: { memory: { buffer: ArrayBuffer } } }).e.memory;
    const size0 = mem.buffer.byteLength;
    for (let r = 0; r < 20; r++) k.gemmPrepared(data(30 * 50, rnd, 'normal'), 30, h); // per-call buffers are reused
    expect(mem.buffer.byteLength).toBe(size0);
    h.dispose();
    h.dispose(); // idempotent
    expect(heap.inUse).toBe(base);
    expect(() => k.gemmPrepared(new Float32Array(50), 1, h)).toThrow(FormatError);
    expect(() => k.gemmPrepared(new Float32Array(50), 1, f32gemmTwin.prepareB(b, 50, 60, 'KN'))).toThrow(FormatError);
    const other = KERNELS.relaxed.prepareB(b, 50, 60, 'KN');
    expect(() => k.gemmPrepared(new Float32Array(50), 1, other)).toThrow(/this kernel's prepareB/);
    other.dispose();
  });

  it('handles stay valid when the kernel memory grows (the buffer is replaced)', () => {
    const rnd = makeRng(207);
    const k = KERNELS.relaxed;
    const [K, N] = [37, 21];
    const b = data(K * N, rnd, 'special');
    const h = k.prepareB(b, K, N, 'NK');
    const a = data(5 * K, rnd, 'normal');
    const want = f32gemm(a, b, 5, K, N, 'NK');
    // a big problem forces memory.grow
    const [M2, K2, N2] = [300, 700, 260];
    const a2 = data(M2 * K2, rnd, 'normal');
    const b2 = data(K2 * N2, rnd, 'normal');
    expect(firstDiff(k.gemm(a2, b2, M2, K2, N2, 'KN'), f32gemm(a2, b2, M2, K2, N2, 'KN'))).toBe(-1);
    expect(firstDiff(k.gemmPrepared(a, 5, h), want)).toBe(-1);
    h.dispose();
  });
});

// ------------------------------------------------------------------------------ errors and loading

describe('errors and loading', () => {
  const a = new Float32Array(6);
  const b = new Float32Array(12);
  const shared = new Float32Array(20);
  const cases: [string, (g: typeof f32gemmTwin) => unknown][] = [
    ['M', (g) => g.gemm(a, b, 1.5, 3, 4, 'KN')],
    ['K', (g) => g.gemm(a, b, 2, -1, 4, 'KN')],
    ['N', (g) => g.gemm(a, b, 2, 3, Infinity, 'KN')],
    ['layout', (g) => g.gemm(a, b, 2, 3, 4, 'T' as F32GemmLayout)],
    ['a length', (g) => g.gemm(a, b, 3, 3, 4, 'KN')],
    ['b length', (g) => g.gemm(a, b, 2, 3, 5, 'NK')],
    ['a', (g) => g.gemm(new Int32Array(6) as unknown as Float32Array, b, 2, 3, 4, 'KN')],
    ['b length', (g) => g.prepareB(b, 4, 4, 'KN')],
    ['a length', (g) => g.gemmPrepared(a, 3, g.prepareB(b, 3, 4, 'KN'))],
    ['M', (g) => g.gemmPrepared(a, -1, g.prepareB(b, 3, 4, 'KN'))],
    ['out length', (g) => g.gemm(a, b, 2, 3, 4, 'KN', new Float32Array(9))],
    ['out', (g) => g.gemm(a, b, 2, 3, 4, 'KN', [] as unknown as Float32Array)],
    ['out', (g) => g.gemm(a, b, 2, 3, 4, 'NK', new Float32Array(b.buffer, 8, 8))], // overlaps b
    ['out', (g) => g.gemmPrepared(shared.subarray(0, 6), 2, g.prepareB(b, 3, 4, 'KN'), shared.subarray(5, 13))], // overlaps a
  ];
  it.each(cases.map(([p, fn], i) => [i, p, fn] as const))('case %i: the same FormatError (%s) as the twin', (_, param, fn) => {
    const grab = (g: typeof f32gemmTwin) => {
      try {
        fn(g);
      } catch (e) {
        return e instanceof FormatError ? `${e.param}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    const want = grab(f32gemmTwin);
    expect(want.startsWith(`${param}:`), want).toBe(true);
    for (const fl of FLAVORS) expect(grab(KERNELS[fl])).toBe(want);
  });

  it('reports its flavor; unknown flavors and missing files are KernelErrors', async () => {
    expect(KERNELS.simd.flavor).toBe('simd');
    expect(KERNELS.relaxed.flavor).toBe('relaxed');
    await expect(loadF32GemmKernel(kernelBytes, 'fast' as 'simd')).rejects.toThrow(KernelError);
    await expect(loadF32GemmKernel(() => Promise.reject(new Error('404')), 'simd')).rejects.toThrow(/could not read kernel f32gemm.simd.wasm/);
  });
});
