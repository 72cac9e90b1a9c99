/**
 * The exact accumulator widths the RTL generator gives the default model's GEMMs (layer.ts manifest:
 * `linearAccumulator` / `matmulAccumulator` on the real weights and the ACT range), recorded in
 * measurements.json so `design.acc_guard_bits` can be refitted without the generator.
 */
import { resolveConfig, uniformConfig } from '../../src/core/graph';
import { generateLayer } from '../../src/core/rtl/layer';
import { loadDefault } from './points';

export interface AccumulatorRecord {
  readonly op: string;
  readonly format: string;
  /** GEMM reduction length K of the op (attention at T = ACC_T). */
  readonly K: number;
  /** Activation operands (1: linear, 2: Q·Kᵀ / P·V). */
  readonly nAct: number;
  /** ACC_W of the generated layer. */
  readonly width: number;
}

export const ACC_OPS = ['L0.q', 'L0.down', 'L3.v', 'head', 'L0.qk', 'L0.pv'] as const;
export const ACC_FORMATS = ['mxint8', 'mxint:m=4', 'mxfp4', 'mxfp6_e2m3', 'mxfp8_e4m3', 'mxfp8_e5m2', 'mxint8:block=16', 'mxfp4:block=16'] as const;
/** Tokens of the attention layers (the RTL README's accumulator table). */
export const ACC_T = 64;

export async function accumulatorWidths(): Promise<AccumulatorRecord[]> {
  const { graph, model } = await loadDefault();
  const out: AccumulatorRecord[] = [];
  for (const format of ACC_FORMATS) {
    const formats = resolveConfig(graph, uniformConfig(format)).formats;
    for (const op of ACC_OPS) {
      const r = generateLayer({ graph, op, formats, lanes: { lanesK: 16, lanesN: 2 }, model, T: ACC_T });
      const kind = r.manifest.kind;
      const p = r.manifest.params;
      const K = kind === 'linear' ? Number(p.K) : kind === 'qk' ? Number(p.D) : ACC_T;
      out.push({ op, format, K, nAct: kind === 'linear' ? 1 : 2, width: r.manifest.accumulator.width });
    }
  }
  return out;
}
