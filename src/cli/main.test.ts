// The CLI in-process: exit codes, one-line errors naming the problem, and file handling.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';
import { quantize } from '../core/formats';

let dir = '';
const f32file = (name: string, v: number[]) => {
  const p = join(dir, name);
  writeFileSync(p, Buffer.from(Float32Array.from(v).buffer));
  return p;
};
const readF32 = (p: string) => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mx-cli-'));
});

describe('mx-studio CLI', () => {
  it('--help documents every flag of every command', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--format', '--block-size', '--round', '--axis', '--shape', '--scale-rule', '--flush-subnormals', '--in', '--out', '--a', '--a-shape', '--b', '--b-shape', '--x', '--x-shape', '--weight', '--weight-shape', '--bias', '--stats', '--b-format', '--weight-format']) {
      expect(r.out).toContain(flag);
    }
  });

  it('quantize writes the core result, with overrides applied', async () => {
    const x = [485, 475, 400, -485, -475, -450, 2 ** -6, -(2 ** -6), 0.3, 7];
    const inp = f32file('q.in', x);
    const out = join(dir, 'q.out');
    let r = await run(['quantize', '--format', 'fp8_e4m3', '--shape', '10', '--in', inp, '--out', out]);
    expect(r.code).toBe(0);
    expect(Array.from(readF32(out))).toEqual(Array.from(quantize('mxfp8_e4m3', Float32Array.from(x))));
    expect(readF32(out)[2]).toBe(416);
    r = await run(['quantize', '--format', 'mxfp8_e4m3', '--block-size', '4', '--shape', '2,5', '--axis', '-2', '--in', inp, '--out', out]);
    expect(r.code, r.err).toBe(0); // a negative axis as a separate argument
    expect(Array.from(readF32(out))).toEqual(Array.from(quantize('mxfp8_e4m3:block=4', Float32Array.from(x), [2, 5], 0)));
    r = await run(['quantize', '--format', 'mxfp8_e4m3', '--round', 'even', '--block-size', '4', '--shape', '2,5', '--axis', '0', '--in', inp, '--out', out, '--stats']);
    expect(r.code).toBe(0);
    expect(Array.from(readF32(out))).toEqual(Array.from(quantize('mxfp8_e4m3:block=4,round=even', Float32Array.from(x), [2, 5], 0)));
    const stats = JSON.parse(r.out);
    expect(stats.format).toBe('mxfp8_e4m3:block=4,round=even');
    expect(stats.bits_per_element).toBe(10);
  });

  it('bad arguments and wrong file sizes exit 2 with one line naming the problem', async () => {
    const inp = f32file('bad.in', [1, 2, 3, 4, 5, 6, 7, 8]);
    const out = join(dir, 'bad.out');
    const cases: [string[], RegExp][] = [
      [['quantize', '--format', 'mxint:m=1', '--shape', '8', '--in', inp, '--out', out], /invalid m "1".*2 to 16/],
      [['quantize', '--format', 'mxfp4', '--block-size', '0', '--shape', '8', '--in', inp, '--out', out], /--block-size must be ≥ 1/],
      [['quantize', '--format', 'mxfp9', '--shape', '8', '--in', inp, '--out', out], /invalid format "mxfp9"/],
      [['quantize', '--format', 'mxfp4', '--shape', '3,3', '--in', inp, '--out', out], /32 bytes \(8 float32\) but --shape 3,3 needs 36 bytes/],
      [['quantize', '--format', 'mxfp4', '--shape', '8', '--in', join(dir, 'nope'), '--out', out], /cannot read/],
      [['quantize', '--format', 'mxfp4', '--shape', '8', '--in', inp], /missing --out/],
      [['quantize', '--format', 'mxfp4', '--shape', '8', '--axis', '3', '--in', inp, '--out', out], /invalid axis "3".*-1 to 0/],
      [['quantize', '--format', 'fixed:w=8,f=5', '--block-size', '4', '--shape', '8', '--in', inp, '--out', out], /does not apply to fixed/],
      [['quantize', '--format', 'mxfp4', '--round', 'up', '--shape', '8', '--in', inp, '--out', out], /invalid round "up"/],
      [['quantize', '--format', 'mxfp4', '--shape', 'a,b', '--in', inp, '--out', out], /--shape must be positive integers/],
      [['quantize', '--fromat', 'mxfp4'], /Unknown option '--fromat'/],
      [['transpose'], /unknown command "transpose"/],
      [['matmul', '--format', 'int8', '--datapath', 'analog', '--a', inp, '--a-shape', '2,4', '--b', inp, '--b-shape', '4,2', '--out', out], /--datapath must be fake or integer/],
      [['matmul', '--format', 'nvfp4', '--datapath', 'integer', '--a', inp, '--a-shape', '2,4', '--b', inp, '--b-shape', '4,2', '--out', out], /invalid .*nvfp4/],
      [['matmul', '--format', 'int8', '--a', inp, '--a-shape', '2,4', '--b', inp, '--b-shape', '2,4', '--out', out], /disagree on K \(4 vs 2\)/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.split('\n').length).toBe(1);
    }
  });

  it('matmul blocks A along K (last axis) and B along K (first axis); linear adds bias in fp32', async () => {
    // A [2,4], B [4,2]: with int8 the scaled values are exact, so C is the exact product of the quantized operands
    const A = [1, 2, 3, 4, -1, 0.5, 0.25, 8];
    const B = [1, 0, 0, 1, 2, 0, 0, 3];
    const a = f32file('a', A);
    const b = f32file('b', B);
    const out = join(dir, 'c');
    expect((await run(['matmul', '--format', 'int8', '--a', a, '--a-shape', '2,4', '--b', b, '--b-shape', '4,2', '--out', out])).code).toBe(0);
    const aq = quantize('mxint8', Float32Array.from(A), [2, 4], 1);
    const bq = quantize('mxint8', Float32Array.from(B), [4, 2], 0);
    const want = [0, 1, 2, 3].map((t) => {
      const i = t >> 1;
      const j = t & 1;
      let s = 0;
      for (let k = 0; k < 4; k++) s += aq[i * 4 + k] * bq[k * 2 + j];
      return Math.fround(s);
    });
    expect(Array.from(readF32(out))).toEqual(want);
    // linear: weight [N=2, K=4] = Bᵀ, bias
    const w = f32file('w', [1, 0, 2, 0, 0, 1, 0, 3]);
    const bias = f32file('bias', [0.5, -1]);
    expect((await run(['linear', '--format', 'int8', '--x', a, '--x-shape', '2,4', '--weight', w, '--weight-shape', '2,4', '--bias', bias, '--out', out])).code).toBe(0);
    expect(Array.from(readF32(out))).toEqual(want.map((v, t) => Math.fround(v + [0.5, -1][t & 1])));
    const badBias = f32file('bias3', [1, 2, 3]);
    const r = await run(['linear', '--format', 'int8', '--x', a, '--x-shape', '2,4', '--weight', w, '--weight-shape', '2,4', '--bias', badBias, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--bias: .* 12 bytes \(3 float32\) but .* needs 8 bytes/);
  });

  it('--datapath integer computes the exact integer GEMM; on sums a float64 holds exactly it equals the fake path', async () => {
    // random MXINT8 / MXFP4 operands with K = 96 (3 blocks): every partial sum fits a double exactly
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 4;
    const A = Array.from({ length: 5 * 96 }, rnd);
    const W = Array.from({ length: 7 * 96 }, rnd);
    const a = f32file('ia', A);
    const w = f32file('iw', W);
    const bias = f32file('ib', [1, 2, 3, 4, 5, 6, 7]);
    for (const f of ['int8', 'mxfp4', 'mxint:m=6,block=32']) {
      const o1 = join(dir, 'o1');
      const o2 = join(dir, 'o2');
      const base = ['linear', '--format', f, '--x', a, '--x-shape', '5,96', '--weight', w, '--weight-shape', '7,96', '--bias', bias];
      expect((await run([...base, '--out', o1])).code).toBe(0);
      expect((await run([...base, '--out', o2, '--datapath', 'integer'])).code).toBe(0);
      expect(Array.from(readF32(o2))).toEqual(Array.from(readF32(o1)));
    }
  });
});
