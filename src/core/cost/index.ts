/**
 * src/core/cost — the hardware cost model of a design point (graph IR + per-point formats +
 * per-op parallelism): energy, area (µm², GE, FPGA), memory bits, cycles, throughput, average bits.
 */
export type { CostConstants, CostConstantsTable, ConstantEntry } from './constants';
export { CostConstantsError, DEFAULT_CONSTANTS, DEFAULT_CONSTANTS_TABLE, loadConstants, nodeScale, listConstants } from './constants';
export type {
  Lanes,
  CostOptions,
  EnergyBreakdown,
  FpgaResources,
  MemoryBits,
  CostFigures,
  LayerCost,
  CostReport,
  CostTotals,
  PointFormats,
  PreparedCost,
  PreparedOp,
  FormatParams,
} from './model';
export { CostError, prepareCost, costOf, formatParams } from './model';
export type { PaperConfig } from './paper';
export { PAPER_COMPARISON } from './paper';
