/**
 * What one block costs in storage, drawn as bit fields: the element's sign / exponent / mantissa
 * (from core's ELEMENTS), the shared scale, and the block total. Hardware people read formats as
 * bit fields first; this makes "4.25 bits per element" concrete.
 */
import { ELEMENTS, type FormatSpec } from '../../core/formats';

interface Seg {
  label: string;
  bits: number;
  kind: 'sign' | 'exp' | 'man' | 'int' | 'scale';
}

function elementSegs(spec: FormatSpec): Seg[] {
  switch (spec.kind) {
    case 'mx': {
      const e = ELEMENTS[spec.elem];
      if (e.kind === 'int') return [{ label: `int${e.bits}`, bits: e.bits, kind: 'int' }];
      return [
        { label: 'S', bits: 1, kind: 'sign' },
        { label: `E${e.ebits}`, bits: e.ebits, kind: 'exp' },
        { label: `M${e.m}`, bits: e.m, kind: 'man' },
      ];
    }
    case 'nvfp4':
      return [
        { label: 'S', bits: 1, kind: 'sign' },
        { label: 'E2', bits: 2, kind: 'exp' },
        { label: 'M1', bits: 1, kind: 'man' },
      ];
    case 'mxint':
      return [{ label: `int${spec.m}`, bits: spec.m, kind: 'int' }];
    case 'bfp':
      return [
        { label: 'S', bits: 1, kind: 'sign' },
        { label: `mag ${spec.m - 1}`, bits: spec.m - 1, kind: 'man' },
      ];
    case 'fixed': {
      const ib = spec.w - Math.max(0, Math.min(spec.w, spec.f));
      const fb = spec.w - ib;
      return [
        ...(ib ? [{ label: `int ${ib}`, bits: ib, kind: 'int' as const }] : []),
        ...(fb ? [{ label: `frac ${fb}`, bits: fb, kind: 'man' as const }] : []),
      ];
    }
    case 'fp32':
      return [
        { label: 'S', bits: 1, kind: 'sign' },
        { label: 'E8', bits: 8, kind: 'exp' },
        { label: 'M23', bits: 23, kind: 'man' },
      ];
  }
}

function scaleSeg(spec: FormatSpec): { seg: Seg; per: number; note: string } | null {
  switch (spec.kind) {
    case 'mx':
      return { seg: { label: spec.scaleBits === 8 ? 'E8M0' : `E${spec.scaleBits}M0`, bits: spec.scaleBits, kind: 'scale' }, per: spec.block * spec.tileRows, note: 'power of two' };
    case 'mxint':
    case 'bfp':
      return { seg: { label: `exp ${spec.e}`, bits: spec.e, kind: 'scale' }, per: spec.block * spec.tileRows, note: `bias ${spec.bias}` };
    case 'nvfp4':
      return { seg: { label: 'E4M3', bits: 8, kind: 'scale' }, per: spec.block, note: 'scale, + FP32 per tensor' };
    default:
      return null;
  }
}

function Fields({ segs, unit }: { segs: Seg[]; unit: number }) {
  return (
    <span className="bitfields">
      {segs.map((s, i) => (
        <span key={i} className={`bf ${s.kind}`} style={{ width: Math.max(18, s.bits * unit) }} title={`${s.label}: ${s.bits} bit${s.bits > 1 ? 's' : ''}`}>
          {s.label}
        </span>
      ))}
    </span>
  );
}

export function BitLayout({ spec }: { spec: FormatSpec }) {
  const el = elementSegs(spec);
  const elBits = el.reduce((a, s) => a + s.bits, 0);
  const sc = scaleSeg(spec);
  const unit = elBits > 16 ? 6 : 11;
  return (
    <div className="bitlayout" data-testid="bit-layout">
      <div className="bl-row">
        <span className="bl-label">element</span>
        <Fields segs={el} unit={unit} />
        <span className="bl-bits num">{elBits} b</span>
        <span className="bl-bits muted">{spec.kind === 'mxint' || (spec.kind === 'mx' && ELEMENTS[spec.elem].kind === 'int') || spec.kind === 'fixed' ? "two's complement" : spec.kind === 'bfp' ? 'sign-magnitude' : ''}</span>
      </div>
      {sc ? (
        <>
          <div className="bl-row">
            <span className="bl-label">scale</span>
            <Fields segs={[sc.seg]} unit={unit} />
            <span className="bl-bits num">
              {sc.seg.bits} b
            </span>
            <span className="bl-bits muted" style={{ overflow: 'hidden', textOverflow: 'ellipsis' }} title={sc.note}>
              {sc.note}
            </span>
          </div>
          <div className="bl-total num">
            1 block = {sc.seg.bits} + {sc.per.toLocaleString('en-US')} × {elBits} = {(sc.seg.bits + sc.per * elBits).toLocaleString('en-US')} bits
          </div>
        </>
      ) : (
        <div className="bl-total">{spec.kind === 'fixed' ? 'no shared scale: the binary point is fixed at design time' : 'no scale'}</div>
      )}
    </div>
  );
}
