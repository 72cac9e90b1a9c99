import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FormatError, formatToString, parseFormat, validate, bitsPerElement, quantize, encode, grid, ELEMENTS, type FormatSpec } from './index';

function err(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('spec strings', () => {
  it('parses the issue list and prints canonical names', () => {
    const cases: [string, string][] = [
      ['mxfp8_e4m3', 'mxfp8_e4m3'],
      ['mxfp8_e5m2', 'mxfp8_e5m2'],
      ['mxfp6_e3m2', 'mxfp6_e3m2'],
      ['mxfp6_e2m3', 'mxfp6_e2m3'],
      ['mxfp4', 'mxfp4'],
      ['mxint8', 'mxint8'],
      ['mxint:m=4,e=8,block=16,scale=ceil', 'mxint:m=4'],
      ['fixed:w=8,f=5', 'fixed:w=8,f=5'],
      ['nvfp4', 'nvfp4'],
      ['bfp:m=4,block=16', 'bfp:m=4'],
      ['fp32', 'fp32'],
      ['mxfp4:block=16,round=even', 'mxfp4:block=16,round=even'],
      ['fp4_e2m1', 'mxfp4'],
      ['int8', 'mxint8'],
      ['FP8_E4M3', 'mxfp8_e4m3'],
      ['mxint:m=6,block=2x16,scale=floor,round=floor', 'mxint:m=6,block=2x16,scale=floor,round=floor'],
      ['mxfp8_e4m3:scale=rceil,flush=1,sbits=6', 'mxfp8_e4m3:scale=rceil,sbits=6,flush=1'],
    ];
    for (const [input, canon] of cases) expect(formatToString(parseFormat(input))).toBe(canon);
  });

  it('round-trips every valid spec object through its string', () => {
    const specArb: fc.Arbitrary<FormatSpec> = fc.oneof(
      fc.record({
        kind: fc.constant('mx' as const),
        elem: fc.constantFrom(...(Object.keys(ELEMENTS) as (keyof typeof ELEMENTS)[])),
        block: fc.integer({ min: 1, max: 256 }),
        tileRows: fc.integer({ min: 1, max: 4 }),
        round: fc.constantFrom('nearest' as const, 'even' as const, 'floor' as const),
        scale: fc.constantFrom('floor' as const, 'ceil' as const, 'even' as const, 'rceil' as const),
        scaleBits: fc.integer({ min: 2, max: 8 }),
        flush: fc.boolean(),
      }),
      fc.integer({ min: 2, max: 8 }).chain((e) =>
        fc.record({
          kind: fc.constantFrom('mxint' as const, 'bfp' as const),
          m: fc.integer({ min: 2, max: 16 }),
          e: fc.constant(e),
          bias: fc.integer({ min: 0, max: 2 ** e - 2 }),
          block: fc.integer({ min: 1, max: 256 }),
          tileRows: fc.integer({ min: 1, max: 4 }),
          scale: fc.constantFrom('ceil' as const, 'floor' as const),
          round: fc.constantFrom('nearest' as const, 'even' as const, 'floor' as const),
        }),
      ) as fc.Arbitrary<FormatSpec>,
      fc.record({ kind: fc.constant('fixed' as const), w: fc.integer({ min: 2, max: 32 }), f: fc.integer({ min: -64, max: 64 }), round: fc.constantFrom('nearest' as const, 'even' as const, 'floor' as const), saturate: fc.boolean() }),
      fc.record({ kind: fc.constant('nvfp4' as const), block: fc.integer({ min: 1, max: 64 }), round: fc.constantFrom('nearest' as const, 'even' as const, 'floor' as const) }),
    );
    fc.assert(
      fc.property(specArb, (s) => {
        const v = validate(s);
        expect(parseFormat(formatToString(v))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('names the parameter and its range in every error', () => {
    let e = err(() => parseFormat('mxfp4:block=0'));
    expect(e.param).toBe('block');
    expect(e.message).toContain('1 to 1048576');
    e = err(() => parseFormat('mxint:m=1'));
    expect(e.param).toBe('m');
    expect(e.message).toMatch(/from 2 to 16/);
    e = err(() => parseFormat('mxfp5'));
    expect(e.param).toBe('format');
    expect(e.message).toContain('mxfp4');
    e = err(() => parseFormat('mxfp4:rounding=even'));
    expect(e.param).toBe('parameter');
    expect(e.allowed).toContain('block, round, scale, sbits, flush');
    e = err(() => parseFormat('mxfp4:round=up'));
    expect(e.param).toBe('round');
    e = err(() => parseFormat('mxint:scale=rceil'));
    expect(e.param).toBe('scale');
    e = err(() => parseFormat('fixed:w=40'));
    expect(e.param).toBe('w');
    e = err(() => parseFormat('bfp:m=4,e=3,bias=7'));
    expect(e.param).toBe('bias');
    expect(e.allowed).toContain('0 to 6');
    e = err(() => quantize('mxfp4', new Float32Array(10), [3, 3]));
    expect(e.param).toBe('shape');
    expect(e.message).toContain('10');
    e = err(() => quantize('mxfp4', new Float32Array(9), [3, 3], 2));
    expect(e.param).toBe('axis');
    e = err(() => validate({ kind: 'mx', elem: 'fp3' } as never));
    expect(e.param).toBe('elem');
    e = err(() => quantize('mxint:m=4,block=2x4', new Float32Array(8)));
    expect(e.param).toBe('block');
  });
});

describe('bits per element (mx-formats.md §C1)', () => {
  it('matches the table', () => {
    expect(bitsPerElement('mxfp8_e4m3')).toBe(8.25);
    expect(bitsPerElement('mxint8')).toBe(8.25);
    expect(bitsPerElement('mxfp6_e2m3')).toBe(6.25);
    expect(bitsPerElement('mxfp4')).toBe(4.25);
    expect(bitsPerElement('mxfp4:block=16')).toBe(4.5);
    expect(bitsPerElement('nvfp4')).toBe(4.5);
    expect(bitsPerElement('nvfp4', 1024)).toBe(4.5 + 32 / 1024);
    expect(bitsPerElement('bfp:m=4')).toBe(4.5);
    expect(bitsPerElement('mxint:m=6,block=16')).toBe(6.5);
    expect(bitsPerElement('mxint:m=4,block=2x16')).toBe(4.25);
    expect(bitsPerElement('fixed:w=8,f=5')).toBe(8);
    expect(bitsPerElement('fp32')).toBe(32);
  });
});

describe('grids', () => {
  it('E2M1 is {0, .5, 1, 1.5, 2, 3, 4, 6} and symmetric', () => {
    expect(grid('mxfp4').filter((v) => v >= 0)).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(grid('mxfp4').length).toBe(15);
  });
  it('E4M3 has 127 non-negative values up to 448; E5M2 up to 57344', () => {
    const g = grid('mxfp8_e4m3').filter((v) => v >= 0);
    expect(g.length).toBe(127);
    expect(g[g.length - 1]).toBe(448);
    expect(g[1]).toBe(2 ** -9);
    const g5 = grid('mxfp8_e5m2').filter((v) => v >= 0);
    expect(g5[g5.length - 1]).toBe(57344);
    expect(g5.length).toBe(124);
  });
  it('MXINT8 is k/64 with |k| ≤ 127; MXInt m=4 is two’s complement; fixed spans its range', () => {
    const g = grid('mxint8');
    expect(g[0]).toBe(-127 / 64);
    expect(g.length).toBe(255);
    expect(grid('mxint:m=4')).toEqual([-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((k) => k / 8));
    expect(grid('bfp:m=3')).toEqual([-3, -2, -1, 0, 1, 2, 3].map((k) => k / 4));
    const f = grid('fixed:w=4,f=1');
    expect([f[0], f[f.length - 1]]).toEqual([-4, 3.5]);
  });
  it('every quantized value lies on the grid scaled by its block exponent', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 3 ** (i % 5));
    for (const f of ['mxfp4', 'mxfp6_e3m2', 'mxfp8_e4m3', 'mxint8', 'mxint:m=5,block=8', 'bfp:m=4,block=8']) {
      const e = encode(f, x);
      const g = new Set(grid(f));
      const q = quantize(f, x);
      for (let i = 0; i < x.length; i++) {
        const b = Math.floor(i / e.layout.block);
        const unitScale = 2 ** (e.scales[b] - 127); // MX: 2^X; MXInt/BFP: 2^E (both biased by 127 here)
        expect(g.has(q[i] / unitScale + 0)).toBe(true);
      }
    }
  });
});

describe('blockScale: the meaning of a stored scale code', () => {
  it('MX E8M0, MXInt/BFP biased exponent, NVFP4 E4M3 over S_enc, NaN codes', async () => {
    const { blockScale } = await import('./index');
    expect(blockScale('mxfp4', 127)).toEqual({ nan: false, log2: 0, scale: 1 });
    expect(blockScale('mxfp4', 0)!.log2).toBe(-127);
    expect(blockScale('mxfp4', 255)!.nan).toBe(true);
    expect(blockScale('mxfp4:sbits=5', 31)!.nan).toBe(true);
    expect(blockScale('mxfp4:sbits=5', 15)!.log2).toBe(0);
    expect(blockScale('mxint:m=4,e=4,bias=7', 9)!.log2).toBe(2);
    expect(blockScale('mxint:m=4,e=4,bias=7', 15)!.nan).toBe(true);
    expect(blockScale('nvfp4', 0x38, 2)).toEqual({ nan: false, log2: -1, scale: 0.5 }); // E4M3 0x38 = 1.0
    expect(blockScale('nvfp4', 0x7f)!.nan).toBe(true);
    expect(blockScale('fixed:w=8,f=4', 0)).toBeNull();
  });
});
