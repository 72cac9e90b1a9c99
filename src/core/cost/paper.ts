/**
 * The MASE paper's comparison (arXiv 2307.15517 v2, abstract: "an average precision of 4-bits",
 * "+24% Δ accuracy and 3% energy-efficiency overhead vs 8-bit fixed point") as three quantization
 * configs for the studio's default model: uniform 8-bit fixed point, uniform MXINT8, and a ~4-bit
 * mixed MXInt config. Costs come from the cost model; accuracy from `mx-studio eval` (src/cli/eval).
 *
 * The mixed config was chosen on sotu-llama-1m with the emulator (4096 tokens of test.txt): 4-bit
 * weights and attention probabilities, 5-bit other activations, the LM head at 6 bits — the
 * per-kind sensitivities were similar, the head and P·V's P dominate the storage.
 */
import type { QuantConfig } from '../graph';

export interface PaperConfig {
  readonly name: string;
  readonly description: string;
  readonly config: QuantConfig;
}

export const PAPER_COMPARISON: readonly PaperConfig[] = [
  {
    name: 'fixed8',
    description: '8-bit fixed point (weights Q0.7, activations Q3.4): the MASE baseline',
    config: { version: 1, rules: [['*', 'fixed:w=8,f=4'], ['*.w', 'fixed:w=8,f=7']] },
  },
  {
    name: 'mxint8',
    description: 'MXINT8 (MASE MXInt: 8-bit mantissas, 8-bit shared exponent per 16)',
    config: { version: 1, rules: [['*', 'mxint:m=8']] },
  },
  {
    name: 'mxint-mixed4',
    description: 'mixed MXInt, ~4.6-bit elements (+0.5 bit of exponents): weights and P at m = 4, other activations m = 5, LM head m = 6',
    config: {
      version: 1,
      rules: [
        ['*', 'mxint:m=5'],
        ['*.w', 'mxint:m=4'],
        ['*.pv.a', 'mxint:m=4'],
        ['head.*', 'mxint:m=6'],
      ],
    },
  },
];
