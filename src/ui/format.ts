/** Number formatting shared by every pane: compact, honest about −0, NaN and ±Inf. */

/** A value with `digits` significant digits; exponent notation outside [1e-4, 1e6). */
export function fmtNum(v: number, digits = 5): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '−Inf';
  if (v === 0) return Object.is(v, -0) ? '−0' : '0';
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e6 || a < 1e-4) s = v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
  else {
    s = v.toPrecision(digits);
    if (s.includes('.') && !s.includes('e')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s.replace('-', '−');
}

/** dB with one decimal; ∞ for exact. */
export function fmtDb(v: number): string {
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (Number.isNaN(v)) return '—';
  return v.toFixed(2).replace('-', '−');
}

export function fmtPct(f: number): string {
  if (!Number.isFinite(f)) return '—';
  const p = f * 100;
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  return `${p < 10 ? p.toFixed(2) : p.toFixed(1)}%`;
}

export function fmtInt(v: number): string {
  return v.toLocaleString('en-US');
}

export function fmtMs(ms: number): string {
  // Workers without cross-origin isolation get a coarse clock (~0.1 ms): do not print "0 µs".
  if (ms < 0.1) return '<0.1 ms';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(0)} ms`;
}

/** Bit pattern as hex, zero-padded to `bits`. */
export function fmtBits(v: number, bits: number): string {
  return '0x' + (v >>> 0).toString(16).toUpperCase().padStart(Math.ceil(bits / 4), '0');
}

/** Bit pattern as binary, grouped from the right in nibbles for widths above 8. */
export function fmtBinary(v: number, bits: number): string {
  const s = (v >>> 0).toString(2).padStart(bits, '0').slice(-bits);
  return bits <= 8 ? s : s.replace(/(?=(\d{4})+$)/g, ' ').trim();
}
