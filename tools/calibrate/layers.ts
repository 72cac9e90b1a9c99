/**
 * The end-to-end check (cost-model.md §6 step 4): whole generated layers of the default model,
 * synthesised (measurements `layer.*`), against the cost model's LUT / FF prediction for the same
 * op, formats and lanes — with the constant table on disk (read fresh, so a just-written fit counts).
 */
import { readFileSync } from 'node:fs';
import { loadConstants, type CostConstants } from '../../src/core/cost/constants';
import { prepareCost } from '../../src/core/cost/model';
import { resolveConfig, uniformConfig } from '../../src/core/graph';
import { loadDefault } from './points';
import type { MeasurementFile } from './sweep';

export const CONSTANTS_JSON = new URL('../../src/core/cost/constants.json', import.meta.url);

export interface LayerCheck {
  readonly id: string;
  readonly op: string;
  readonly format: string;
  readonly lanesK: number;
  readonly lanesN: number;
  readonly predicted: number;
  readonly measured: number;
  /** (predicted − measured) / measured, %. */
  readonly errorPct: number;
  readonly predictedFf: number;
  readonly measuredFf: number;
  readonly brams: number;
  readonly predictedBrams: number;
}

const FORMAT: Record<string, string> = { mxint8: 'mxint8', mxfp4: 'mxfp4', mxintm4: 'mxint:m=4', mxfp8e4m3: 'mxfp8_e4m3', mxfp6e2m3: 'mxfp6_e2m3' };

export async function layerCheck(file: MeasurementFile, constants: CostConstants = loadConstants(JSON.parse(readFileSync(CONSTANTS_JSON, 'utf8')))): Promise<LayerCheck[]> {
  const { graph } = await loadDefault();
  const out: LayerCheck[] = [];
  for (const m of file.measurements) {
    if (m.flow !== 'fpga' || !m.id.startsWith('layer.')) continue;
    // layer.<op with dots>.<format>.k<K>n<N>
    const parts = m.id.split('.');
    const lanes = /^k(\d+)n(\d+)$/.exec(parts[parts.length - 1])!;
    const format = FORMAT[parts[parts.length - 2]];
    const op = parts.slice(1, parts.length - 2).join('.');
    const lanesK = Number(lanes[1]);
    const lanesN = Number(lanes[2]);
    const cost = prepareCost(graph, { parallelism: { [op]: { lanesK, lanesN } }, constants });
    const l = cost(resolveConfig(graph, uniformConfig(format)).formats).layers.find((x) => x.op === op)!;
    out.push({
      id: m.id,
      op,
      format,
      lanesK,
      lanesN,
      predicted: l.fpga.luts,
      measured: m.luts!,
      errorPct: (100 * (l.fpga.luts - m.luts!)) / m.luts!,
      predictedFf: l.fpga.ffs,
      measuredFf: m.ffs!,
      brams: m.brams!,
      predictedBrams: l.fpga.brams,
    });
  }
  return out;
}
