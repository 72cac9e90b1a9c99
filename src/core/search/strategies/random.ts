/** Uniform random search: every gene an independent uniform choice. */
import { randomGenome, type Strategy, type StrategyContext } from './types';

export function randomStrategy(ctx: StrategyContext): Strategy {
  return {
    name: 'random',
    ask: (n) => Array.from({ length: n }, () => randomGenome(ctx)),
    tell: () => {},
  };
}
