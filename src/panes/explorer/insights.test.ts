import { describe, expect, it } from 'vitest';
import { parseFormat, quantizeWithCounts } from '../../core/formats';
import { explain } from './insights';

function run(specString: string, xs: number[]) {
  const spec = parseFormat(specString);
  const input = Float32Array.from(xs);
  const r = quantizeWithCounts(spec, input);
  return explain({ spec, specString, input, values: r.values, counts: r.counts, numBlocks: 1 });
}

describe('explorer insights', () => {
  it("explains microxcaling #4: 957 → 896 under OCP's floor rule, and offers scale=rceil", () => {
    const notes = run('mxfp8_e4m3:round=even', [957, 960, 902.4, -959.56, 1.0]);
    const sat = notes.find((n) => n.id === 'mx-saturate')!;
    expect(sat.text).toMatch(/960 became 896/);
    expect(sat.text).toMatch(/OCP's floor rule/);
    expect(sat.tryString).toBe('mxfp8_e4m3:round=even,scale=rceil');
    // and rceil indeed removes the saturation
    expect(run('mxfp8_e4m3:round=even,scale=rceil', [957, 960, 902.4, -959.56, 1.0]).some((n) => n.id === 'mx-saturate')).toBe(false);
  });

  it('flags underflow next to an outlier and suggests a smaller block', () => {
    const notes = run('mxfp4:block=32', [1000, ...Array(31).fill(0.5)]);
    const u = notes.find((n) => n.id === 'underflow')!;
    expect(u.text).toMatch(/96\.9% of non-zero inputs became 0/);
    expect(u.tryString).toBe('mxfp4:block=16');
  });

  it('explains NaN blocks', () => {
    expect(run('mxfp4', [1, NaN, 2]).find((n) => n.id === 'nan')!.text).toMatch(/1 block became NaN/);
  });

  it('explains the MXInt ceil clip of a power-of-two max', () => {
    expect(run('mxint:m=8', [1, 0.5]).find((n) => n.id === 'mxint-ceil')?.tryString).toBe('mxint:m=8,scale=floor');
  });

  it('says FP32 is exact', () => {
    expect(run('fp32', [1, 2]).map((n) => n.id)).toEqual(['fp32']);
  });
});
