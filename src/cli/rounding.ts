/**
 * `--rounding nearest|gptq` and `--calib-tokens N`, shared by `eval`, `search`, `objective` and
 * `rtl`: how a design's linear weights are put on their formats' grids. `nearest` is the format's
 * own encoder; `gptq` is src/core/rounding (error-compensated rounding through each linear layer's
 * calibration Hessian, taken from the emulator's integer-mode trace over the first N tokens of the
 * command's text). GPTQ changes which grid values the weights take, never the formats: costs,
 * hardware and RTL are those of the same config.
 *
 * Node ring (reads --calib-text with node:fs).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Emulator } from '../core/emulate';
import { resolveConfig, type Graph, type QuantConfig } from '../core/graph';
import { calibrationHessians, GptqRounder, gptqSupports, type Hessians } from '../core/rounding';

export const ROUNDING_OPTS = {
  rounding: { type: 'string' },
  'calib-tokens': { type: 'string' },
  'calib-text': { type: 'string' },
} as const;

/** Default calibration size: 4096 tokens ≈ 25 s of the WASM emulator for the default model. */
export const DEFAULT_CALIB_TOKENS = 4096;

export const ROUNDING_HELP = `  --rounding M          How linear weights are rounded onto their formats: nearest (the format's encoder,
                        default) or gptq (GPTQ through each layer's calibration Hessian; MXInt weights
                        only, others stay nearest). Formats, costs and RTL are those of the same config.
  --calib-tokens N      GPTQ calibration: the first N tokens (default ${DEFAULT_CALIB_TOKENS}, at most all) of
  --calib-text FILE     this UTF-8 text (default: the command's own text, so calibration and evaluation
                        overlap; pass other text for a held-out measurement).`;

export interface RoundingChoice {
  readonly method: 'nearest' | 'gptq';
  /** Requested calibration tokens (gptq only; clipped to the text's length by calibrate()). */
  readonly calibTokens: number;
  /** --calib-text: a file to calibrate on instead of the command's text. */
  readonly calibText?: string;
}

/** Parse the two flags; `fail` makes the command's own input error (one line, exit 2). */
export function parseRounding(v: { rounding?: unknown; 'calib-tokens'?: unknown; 'calib-text'?: unknown }, fail: (msg: string) => Error): RoundingChoice {
  const m = v.rounding ?? 'nearest';
  if (m !== 'nearest' && m !== 'gptq') throw fail(`--rounding must be nearest or gptq, got ${JSON.stringify(m)}`);
  let calibTokens = DEFAULT_CALIB_TOKENS;
  if (v['calib-tokens'] !== undefined) {
    const s = String(v['calib-tokens']);
    if (m !== 'gptq') throw fail('--calib-tokens applies only with --rounding gptq');
    if (!/^\d+$/.test(s.trim()) || Number(s) < 2) throw fail(`--calib-tokens must be an integer ≥ 2, got ${JSON.stringify(s)}`);
    calibTokens = Number(s);
  }
  let calibText: string | undefined;
  if (v['calib-text'] !== undefined) {
    if (m !== 'gptq') throw fail('--calib-text applies only with --rounding gptq');
    calibText = String(v['calib-text']);
    if (!existsSync(calibText) || !statSync(calibText).isFile()) throw fail(`--calib-text: ${calibText} is not a file`);
  }
  return { method: m, calibTokens, calibText };
}

/** The calibration token ids: --calib-text's, or the command's own (`own`, from `ownName`). */
export function calibrationIds(choice: RoundingChoice, encode: (text: string) => number[], own: readonly number[], ownName: string, fail: (msg: string) => Error): { ids: readonly number[]; name: string; held: boolean } {
  if (!choice.calibText) return { ids: own, name: ownName, held: false };
  let text: string;
  try {
    text = readFileSync(choice.calibText, 'utf8');
  } catch {
    throw fail(`--calib-text: cannot read ${choice.calibText}`);
  }
  const ids = encode(text);
  if (ids.length < 2) throw fail(`--calib-text: ${choice.calibText} has ${ids.length} token${ids.length === 1 ? '' : 's'}; GPTQ calibration needs at least 2`);
  return { ids, name: choice.calibText, held: true };
}

export interface Calibration {
  readonly rounder: GptqRounder;
  readonly hessians: Hessians;
  /** Tokens actually used (min of the request and the text). */
  readonly tokens: number;
  readonly ms: number;
}

/**
 * GPTQ calibration on the first `choice.calibTokens` of `tokens`, in windows of `window`, with the
 * emulator's integer mode (uniform MXINT8 activations: what a quantized design's linears see).
 */
export function calibrate(em: Emulator, tokens: readonly number[], window: number, choice: RoundingChoice): Calibration {
  const t0 = performance.now();
  const n = Math.min(choice.calibTokens, tokens.length);
  const hessians = calibrationHessians(em, tokens.slice(0, n), window);
  return { rounder: new GptqRounder(em.model, em.graph, hessians), hessians, tokens: n, ms: performance.now() - t0 };
}

/** The linear weight points of `config` that GPTQ rounds (MXInt formats), in graph order. */
export function gptqPoints(graph: Graph, config: QuantConfig): string[] {
  const formats = resolveConfig(graph, config).formats;
  const out: string[] = [];
  for (const op of graph.ops) {
    if (op.type !== 'linear' || !op.weight) continue;
    const spec = formats.get(`${op.id}.w`);
    if (spec && gptqSupports(spec)) out.push(`${op.id}.w`);
  }
  return out;
}
