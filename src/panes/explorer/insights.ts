/**
 * Plain-language notes on what a run shows, for the cases where MX surprises people
 * (mx-formats.md §A7, §A8, §A15; microxcaling issue #4 "957 is quantized as 896").
 * Pure: computed from the spec, the input and the result, so it is unit-tested in Node.
 */
import { ELEMENTS, type FormatSpec, type QuantCounts } from '../../core/formats';
import { fmtNum, fmtPct } from '../../ui/format';
import { ELEM_LABELS } from '../../ui/formatModel';

export interface Insight {
  level: 'info' | 'warn';
  /** Stable id for tests and keys. */
  id: string;
  text: string;
  /** A spec string worth trying, offered as a one-click fix. */
  tryString?: string;
  tryLabel?: string;
}

export interface InsightInput {
  spec: FormatSpec;
  specString: string;
  input: ArrayLike<number>;
  values: ArrayLike<number>;
  counts: QuantCounts;
  numBlocks: number;
  tensorScale?: number;
}

/** The element whose magnitude shrank most (a saturation example), or -1. */
function worstClip(x: ArrayLike<number>, q: ArrayLike<number>): number {
  let best = -1;
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    const b = Math.abs(q[i]);
    if (!(a <= 3.4e38) || !(b > 0)) continue;
    const d = a - b;
    if (d > loss) {
      loss = d;
      best = i;
    }
  }
  return best;
}

function withParam(specString: string, key: string, value: string): string {
  const [name, rest = ''] = specString.split(':');
  const kept = rest ? rest.split(',').filter((p) => !p.startsWith(`${key}=`)) : [];
  return `${name}:${[...kept, `${key}=${value}`].join(',')}`;
}

export function explain(r: InsightInput): Insight[] {
  const out: Insight[] = [];
  const { spec, counts, input, values } = r;
  const n = input.length;
  let nonzero = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = input[i];
    if (Number.isFinite(v)) {
      finite++;
      if (v !== 0) nonzero++;
    }
  }

  if (spec.kind === 'fp32') {
    out.push({ level: 'info', id: 'fp32', text: 'FP32 is the reference: nothing is quantized, so the error is zero.' });
    return out;
  }

  if (counts.nanBlocks > 0) {
    out.push(
      spec.kind === 'fixed'
        ? { level: 'warn', id: 'nan', text: `${counts.nanBlocks} NaN input${counts.nanBlocks > 1 ? 's were' : ' was'} stored as 0: fixed point has no NaN encoding.` }
        : {
            level: 'warn',
            id: 'nan',
            text: `${counts.nanBlocks} block${counts.nanBlocks > 1 ? 's' : ''} became NaN: one NaN or ±Inf anywhere in a block makes its shared scale NaN, so every element of that block decodes to NaN (OCP §6.3, mx-formats §A8).`,
          },
    );
  }

  if (counts.saturated > 0) {
    const i = worstClip(input, values);
    const ex = i >= 0 ? `${fmtNum(input[i])} became ${fmtNum(values[i])}` : '';
    const share = `${counts.saturated.toLocaleString('en-US')} element${counts.saturated > 1 ? 's' : ''} (${fmtPct(counts.saturated / Math.max(1, finite))})`;
    if (spec.kind === 'mx') {
      const e = ELEMENTS[spec.elem];
      const ratio = e.maxNorm / 2 ** e.emax;
      if (spec.scale === 'floor' || spec.scale === 'even') {
        out.push({
          level: 'warn',
          id: 'mx-saturate',
          text:
            `The block max saturates: ${share} clipped${ex ? `, e.g. ${ex}` : ''}. ${spec.scale === 'floor' ? "OCP's floor rule sets X = floor(log2 amax) − emax" : 'The even rule (torchao) sets X = floor(log2 round(amax)) − emax'}, ` +
            `which puts the block max in [1, 2)·2^(emax+X), but ${ELEM_LABELS[spec.elem]} stops at ${fmtNum(ratio)}·2^emax (= ${fmtNum(e.maxNorm)}). ` +
            `This is microxcaling's "957 is quantized as 896" (E4M3): expected, not a bug.`,
          tryString: withParam(r.specString, 'scale', 'rceil'),
          tryLabel: 'try scale=rceil',
        });
      } else {
        out.push({ level: 'warn', id: 'mx-saturate', text: `${share} saturated${ex ? `, e.g. ${ex}` : ''}.` });
      }
    } else if (spec.kind === 'mxint' && spec.scale === 'ceil') {
      out.push({
        level: 'warn',
        id: 'mxint-ceil',
        text: `${share} clipped by one step${ex ? `, e.g. ${ex}` : ''}: the ceil rule picks E = ceil(log2 amax), so a block max at (or just below) 2^E sits above the top code (2^(m−1)−1)·2^(E−m+1). scale=floor never clips the max, at one bit of resolution.`,
        tryString: withParam(r.specString, 'scale', 'floor'),
        tryLabel: 'try scale=floor',
      });
    } else if (spec.kind === 'fixed') {
      const hi = (2 ** (spec.w - 1) - 1) * 2 ** -spec.f;
      out.push({
        level: 'warn',
        id: 'fixed-range',
        text: `${share} fell outside [${fmtNum(-(2 ** (spec.w - 1)) * 2 ** -spec.f)}, ${fmtNum(hi)}] and ${spec.saturate ? 'saturated' : 'wrapped around (sat=0): a large positive value turns negative'}${ex ? `, e.g. ${ex}` : ''}. Fewer fractional bits (f) widen the range.`,
        tryString: spec.f > 0 ? withParam(r.specString, 'f', String(spec.f - 1)) : undefined,
        tryLabel: spec.f > 0 ? `try f=${spec.f - 1}` : undefined,
      });
    } else {
      out.push({ level: 'warn', id: 'saturate', text: `${share} saturated${ex ? `, e.g. ${ex}` : ''}.` });
    }
  }

  if (nonzero > 0 && counts.underflow / nonzero > 0.01) {
    const frac = fmtPct(counts.underflow / nonzero);
    if (spec.kind === 'fixed') {
      out.push({ level: 'warn', id: 'underflow', text: `${frac} of non-zero inputs are below half an LSB (2^−${spec.f + 1}) and became 0. More fractional bits (f) keep them.` });
    } else {
      const block = 'block' in spec ? spec.block * ('tileRows' in spec ? spec.tileRows : 1) : 0;
      const smaller = 'block' in spec && spec.block > 8 ? Math.max(8, spec.block / 2) : 0;
      out.push({
        level: 'warn',
        id: 'underflow',
        text: `${frac} of non-zero inputs became 0: the ${block} elements of a block share one scale set by the block max, so values far below it (next to an outlier) fall under the smallest step. Smaller blocks isolate outliers.`,
        tryString: smaller && spec.kind !== 'nvfp4' ? withParam(r.specString, 'block', 'tileRows' in spec && spec.tileRows > 1 ? `${spec.tileRows}x${smaller}` : String(smaller)) : undefined,
        tryLabel: smaller && spec.kind !== 'nvfp4' ? `try block=${smaller}` : undefined,
      });
    }
  }

  if (spec.kind === 'nvfp4') {
    out.push({
      level: 'info',
      id: 'nvfp4',
      text: `NVFP4 scales each block by an E4M3 number (not a power of two) and the whole tensor by S_enc = 2688 / amax${r.tensorScale !== undefined ? ` = ${fmtNum(r.tensorScale)}` : ''} in FP32; the chart shows log2 of the effective block scale.`,
    });
  }

  if ('round' in spec && spec.round === 'floor' && finite > 0) {
    let bias = 0;
    let cnt = 0;
    for (let i = 0; i < n; i++) {
      const a = input[i];
      const b = values[i];
      if (Number.isFinite(a) && Number.isFinite(b) && a !== 0) {
        bias += (Math.abs(a) - Math.abs(b)) / Math.abs(a);
        cnt++;
      }
    }
    out.push({ level: 'info', id: 'floor', text: `round=floor truncates toward zero, so every magnitude shrinks: on average by ${fmtPct(cnt ? bias / cnt : 0)} here. nearest/even are unbiased.` });
  }

  return out;
}
