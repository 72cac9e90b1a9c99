/**
 * Colour scales of the model panes (d3): storage bits per element (few bits: warm, many: cool,
 * fp32: neutral) and Δ loss from a sensitivity sweep (none: neutral, large: red). Saturated enough
 * to read on both themes; the chrome around them follows the theme's CSS variables.
 */
import { interpolateHcl, interpolateYlOrRd, scaleLinear, scaleSqrt } from 'd3';

/** Stops of the bits scale, also the legend's ticks. */
export const BITS_STOPS = [2, 4, 6, 8, 16] as const;
const BITS_COLORS = ['#ff4d6d', '#ff9f43', '#f2cf3a', '#3ecf8e', '#4cc2ff'];

const bitsScale = scaleLinear<string>().domain([...BITS_STOPS]).range(BITS_COLORS).interpolate(interpolateHcl).clamp(true);

/** Colour of a format by its bits per element; null for fp32 (not quantized). */
export function bitsColor(bits: number): string | null {
  return bits >= 32 ? null : bitsScale(bits);
}

/** CSS gradient of the bits legend, stops placed on a linear 2..16 axis. */
export function bitsGradient(): string {
  const lo = BITS_STOPS[0];
  const hi = BITS_STOPS[BITS_STOPS.length - 1];
  const stops: string[] = [];
  for (let b = lo; b <= hi; b += 0.5) stops.push(`${bitsScale(b)} ${(((b - lo) / (hi - lo)) * 100).toFixed(1)}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}

/** Δ loss colour for a sweep whose largest Δ is `max` (nats / token); null for no measurable loss. */
export function deltaScale(max: number): (d: number) => string | null {
  const top = Math.max(max, 1e-6);
  const s = scaleSqrt().domain([0, top]).range([0.18, 1]).clamp(true);
  return (d: number) => (!(d > top * 1e-3) ? null : interpolateYlOrRd(s(d)));
}

export function deltaGradient(): string {
  const stops: string[] = [];
  for (let i = 0; i <= 10; i++) stops.push(`${interpolateYlOrRd(0.18 + (0.82 * i) / 10)} ${i * 10}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}

/** Δ loss as a readable percent of perplexity: exp(Δ) − 1. */
export function deltaPct(d: number): string {
  const p = (Math.exp(d) - 1) * 100;
  if (!Number.isFinite(p)) return '—';
  const a = Math.abs(p);
  return `${p >= 0 ? '+' : '−'}${a < 0.01 ? a.toFixed(3) : a < 10 ? a.toFixed(2) : a.toFixed(1)}%`;
}
