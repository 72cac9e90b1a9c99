/**
 * Uniform baselines of a space and the hypervolume reference point fixed from them, so that every
 * strategy's run on the same problem (the studio's and Optuna's) is measured against one point that
 * does not depend on what the run happened to find.
 */
import type { Genome, SearchSpace } from './space';

/**
 * The uniform designs of a space: U_k puts every gene at choice min(k, |menu| − 1), for
 * k = 0 … max |menu| − 1. Menus list choices from highest to lowest precision, so U_0 is the most
 * precise design (fp32 in the default space) and the last one the least (MXInt m = 2).
 */
export function uniformGenomes(space: SearchSpace): Genome[] {
  const k = Math.max(...space.cardinality);
  return Array.from({ length: k }, (_, j) => space.cardinality.map((c) => Math.min(j, c - 1)));
}

/**
 * The reference point rule (every objective minimised): per objective, the worst value over the
 * *quantized* uniform baselines U_1 … U_{K−1} (U_0, the top of every menu, is left out: in the
 * default space it is the unquantized fp32 model, whose hardware cost is ~8× MXInt8's and would
 * squash every cost axis), plus `margin` (default 10 %) of the baselines' range on that objective
 * (of |worst| when the range is 0), so the baselines themselves add volume.
 * With a single-column space, U_0 is used.
 */
export function referenceFromBaselines(baselines: readonly (readonly number[])[], margin = 0.1): number[] {
  if (!baselines.length) throw new RangeError('referenceFromBaselines: no baselines');
  const use = baselines.length > 1 ? baselines.slice(1) : baselines;
  const m = use[0].length;
  return Array.from({ length: m }, (_, i) => {
    const xs = use.map((b) => b[i]).filter(Number.isFinite);
    if (!xs.length) throw new RangeError(`referenceFromBaselines: objective ${i} is not finite on any baseline`);
    const hi = Math.max(...xs);
    const lo = Math.min(...xs);
    return hi + margin * (hi > lo ? hi - lo : Math.max(Math.abs(hi), 1e-12));
  });
}
