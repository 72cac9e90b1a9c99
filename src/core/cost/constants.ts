/**
 * The cost model's constant table: one versioned JSON (constants.json) in which every value carries
 * its unit, its source and whether that source was verified. This module validates a table (the
 * shipped one, or one the user edited in the UI), flattens it into the plain numbers the model's hot
 * loop reads, hashes it (results record `version` + `hash` so numbers can be reproduced) and scales
 * energy and area to a technology node.
 *
 * Ring 1: plain TypeScript, no DOM, no Node built-ins.
 */
import table from './constants.json';

/** One entry of the table. */
export interface ConstantEntry<V = number> {
  readonly value: V;
  readonly unit: string;
  readonly source: string;
  /** false: UNVERIFIED recollection, derivation or design assumption (README lists them). */
  readonly verified: boolean;
  /** Fitted values (tools/calibrate): coefficient of determination and largest |residual| over the fitted points. */
  readonly r2?: number | null;
  readonly max_residual?: number;
}

type Group<K extends string, V = number> = { readonly [k in K]: ConstantEntry<V> };
type NodeTable = Readonly<Record<string, number>>;

/** The JSON's shape. */
export interface CostConstantsTable {
  readonly $comment?: string;
  readonly version: number;
  readonly name: string;
  readonly node_nm: number;
  readonly vdd: number;
  readonly energy: Group<'int_mul_pJ_per_bitproduct' | 'int_add_pJ_per_bit' | 'shift_pJ_per_bit_stage' | 'cmp_pJ_per_bit' | 'reg_pJ_per_bit' | 'fp32_add_pJ' | 'fp32_mul_pJ'>;
  readonly area: Group<
    | 'int_mul_um2_per_bitproduct'
    | 'int_add_um2_per_bit'
    | 'shift_um2_per_bit_stage'
    | 'cmp_um2_per_bit'
    | 'reg_um2_per_bit'
    | 'fp32_add_um2'
    | 'fp32_mul_um2'
    | 'nand2_um2'
    | 'sram_um2_per_bit'
    | 'glue_um2_per_op'
  >;
  readonly memory: Group<'sram_pJ_per_bit_sqrt_byte' | 'reg_floor_pJ_per_bit' | 'dram_pJ_per_bit'>;
  readonly node_scaling: { readonly energy: ConstantEntry<NodeTable>; readonly area: ConstantEntry<NodeTable> };
  readonly fpga: Group<'add_lut_per_bit' | 'cmp_lut_per_bit' | 'shift_stages_per_lut' | 'bram36_bits' | 'bram36_max_width' | 'glue_lut_per_op' | 'glue_ff_per_op' | 'align_lut_fit'> & {
    readonly mul_lut_fit: ConstantEntry<{ readonly a: number; readonly b: number }>;
    readonly pe_lut_fit: ConstantEntry<{ readonly sq: number; readonly shift: number; readonly add: number }>;
    readonly cast_lut_fit: ConstantEntry<{ readonly per_elem: number; readonly per_elem_bit: number }>;
    readonly out_lut_fit: ConstantEntry<{ readonly base: number; readonly per_bit_level: number }>;
    readonly mul_lut_measured: ConstantEntry<NodeTable>;
    readonly dsp_limits: ConstantEntry<{ readonly a_max: number; readonly b_max: number; readonly min_width: number; readonly min_product_width: number }>;
    readonly fpga_asic_gap: ConstantEntry<NodeTable>;
  };
  readonly design: Group<
    | 'acc_guard_bits'
    | 'act_bits'
    | 'out_fifo_depth'
    | 'default_lanes_k'
    | 'default_lanes_n'
    | 'offchip_tile_bytes'
    | 'asic_clock_hz'
    | 'fpga_clock_hz'
    | 'quant_input_exp_bits'
    | 'quant_input_sig_bits'
  >;
}

/** The shipped table. */
export const DEFAULT_CONSTANTS_TABLE: CostConstantsTable = table as CostConstantsTable;

/** A constant table that fails validation; `path` names the entry (`energy.int_add_pJ_per_bit.value`). */
export class CostConstantsError extends Error {
  override readonly name = 'CostConstantsError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`cost constants ${path}: ${message}`);
  }
}

/** The flattened numbers the model reads (all at the table's base node, 45 nm). */
export interface CostConstants {
  readonly version: number;
  readonly name: string;
  /** FNV-1a (32-bit, hex) of the canonical JSON of the table: record it with every exported result. */
  readonly hash: string;
  readonly baseNodeNm: number;
  // energy, pJ
  readonly cMul: number;
  readonly cAdd: number;
  readonly cShift: number;
  readonly cCmp: number;
  readonly cReg: number;
  readonly eFp32Add: number;
  readonly eFp32Mul: number;
  // area, um2
  readonly aMul: number;
  readonly aAdd: number;
  readonly aShift: number;
  readonly aCmp: number;
  readonly aReg: number;
  readonly aFp32Add: number;
  readonly aFp32Mul: number;
  readonly aNand2: number;
  readonly aSramBit: number;
  readonly aGlue: number;
  // memory
  readonly sramCoef: number;
  readonly regFloor: number;
  readonly dramBit: number;
  // node scaling: ascending node sizes and their factors
  readonly nodes: readonly number[];
  readonly energyScale: readonly number[];
  readonly areaScale: readonly number[];
  // fpga
  readonly lutMulA: number;
  readonly lutMulB: number;
  readonly lutAdd: number;
  readonly lutCmp: number;
  readonly shiftStagesPerLut: number;
  readonly dspAMax: number;
  readonly dspBMax: number;
  readonly dspMinWidth: number;
  readonly dspMinProduct: number;
  readonly bramBits: number;
  readonly bramWidth: number;
  readonly glueLut: number;
  readonly glueFf: number;
  // fpga, fitted to Yosys synthesis of the component library (tools/calibrate)
  readonly peSq: number;
  readonly peShift: number;
  readonly peAdd: number;
  readonly castPerElem: number;
  readonly castPerElemBit: number;
  readonly outBase: number;
  readonly outPerBitLevel: number;
  readonly alignLut: number;
  // design
  readonly accGuardBits: number;
  readonly actBits: number;
  readonly outFifoDepth: number;
  readonly defaultLanesK: number;
  readonly defaultLanesN: number;
  readonly offchipTileBytes: number;
  readonly asicClockHz: number;
  readonly fpgaClockHz: number;
  readonly qInExpBits: number;
  readonly qInSigBits: number;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function entry(t: Record<string, unknown>, group: string, key: string): Record<string, unknown> {
  const g = t[group];
  if (!isObj(g)) throw new CostConstantsError(group, 'missing group');
  const e = g[key];
  const path = `${group}.${key}`;
  if (!isObj(e)) throw new CostConstantsError(path, 'missing entry {value, unit, source, verified}');
  if (typeof e.source !== 'string' || e.source.trim() === '') throw new CostConstantsError(`${path}.source`, 'every value needs a source');
  if (typeof e.verified !== 'boolean') throw new CostConstantsError(`${path}.verified`, 'must be true or false');
  if (typeof e.unit !== 'string') throw new CostConstantsError(`${path}.unit`, 'must be a string');
  return e;
}

function num(t: Record<string, unknown>, group: string, key: string, min = 0): number {
  const v = entry(t, group, key).value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new CostConstantsError(`${group}.${key}.value`, `must be a finite number ≥ ${min} (got ${JSON.stringify(v)})`);
  return v;
}

function numField(o: unknown, path: string, key: string, min = 0): number {
  const v = isObj(o) ? o[key] : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new CostConstantsError(`${path}.${key}`, `must be a finite number ≥ ${min} (got ${JSON.stringify(v)})`);
  return v;
}

/** FNV-1a 32-bit over a string, as 8 hex digits. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (isObj(x)) {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(x[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/**
 * Validate a constant table (untrusted JSON: the shipped file or a user edit) and flatten it.
 * Throws CostConstantsError naming the entry.
 */
export function loadConstants(json: unknown = DEFAULT_CONSTANTS_TABLE): CostConstants {
  if (!isObj(json)) throw new CostConstantsError('', 'must be a JSON object');
  const t = json;
  if (typeof t.version !== 'number' || !Number.isInteger(t.version) || t.version < 1) throw new CostConstantsError('version', 'must be a positive integer');
  if (typeof t.name !== 'string') throw new CostConstantsError('name', 'must be a string');
  if (t.node_nm !== 45) throw new CostConstantsError('node_nm', `the node-scaling tables are relative to 45 nm (got ${JSON.stringify(t.node_nm)})`);

  const ns = t.node_scaling;
  if (!isObj(ns)) throw new CostConstantsError('node_scaling', 'missing group');
  const scaleTable = (which: 'energy' | 'area'): Map<number, number> => {
    const v = entry(t, 'node_scaling', which).value;
    if (!isObj(v)) throw new CostConstantsError(`node_scaling.${which}.value`, 'must map node (nm) to a factor');
    const m = new Map<number, number>();
    for (const [k, f] of Object.entries(v)) {
      const nm = Number(k);
      if (!(nm > 0) || typeof f !== 'number' || !(f > 0)) throw new CostConstantsError(`node_scaling.${which}.value.${k}`, 'must be a positive factor for a positive node');
      m.set(nm, f);
    }
    if (m.get(45) !== 1) throw new CostConstantsError(`node_scaling.${which}.value.45`, 'must be 1 (the base node)');
    return m;
  };
  const eT = scaleTable('energy');
  const aT = scaleTable('area');
  const nodes = [...eT.keys()].sort((x, y) => x - y);
  if (nodes.length !== aT.size || nodes.some((n) => !aT.has(n))) throw new CostConstantsError('node_scaling', 'energy and area must list the same nodes');

  const fit = entry(t, 'fpga', 'mul_lut_fit').value;
  const pe = entry(t, 'fpga', 'pe_lut_fit').value;
  const cast = entry(t, 'fpga', 'cast_lut_fit').value;
  const outFit = entry(t, 'fpga', 'out_lut_fit').value;
  const dsp = entry(t, 'fpga', 'dsp_limits').value;
  entry(t, 'fpga', 'mul_lut_measured');
  entry(t, 'fpga', 'fpga_asic_gap');

  return {
    version: t.version,
    name: t.name,
    hash: fnv1a(canonicalJson(t)),
    baseNodeNm: 45,
    cMul: num(t, 'energy', 'int_mul_pJ_per_bitproduct'),
    cAdd: num(t, 'energy', 'int_add_pJ_per_bit'),
    cShift: num(t, 'energy', 'shift_pJ_per_bit_stage'),
    cCmp: num(t, 'energy', 'cmp_pJ_per_bit'),
    cReg: num(t, 'energy', 'reg_pJ_per_bit'),
    eFp32Add: num(t, 'energy', 'fp32_add_pJ'),
    eFp32Mul: num(t, 'energy', 'fp32_mul_pJ'),
    aMul: num(t, 'area', 'int_mul_um2_per_bitproduct'),
    aAdd: num(t, 'area', 'int_add_um2_per_bit'),
    aShift: num(t, 'area', 'shift_um2_per_bit_stage'),
    aCmp: num(t, 'area', 'cmp_um2_per_bit'),
    aReg: num(t, 'area', 'reg_um2_per_bit'),
    aFp32Add: num(t, 'area', 'fp32_add_um2'),
    aFp32Mul: num(t, 'area', 'fp32_mul_um2'),
    aNand2: num(t, 'area', 'nand2_um2', 1e-9),
    aSramBit: num(t, 'area', 'sram_um2_per_bit'),
    aGlue: num(t, 'area', 'glue_um2_per_op'),
    sramCoef: num(t, 'memory', 'sram_pJ_per_bit_sqrt_byte'),
    regFloor: num(t, 'memory', 'reg_floor_pJ_per_bit'),
    dramBit: num(t, 'memory', 'dram_pJ_per_bit'),
    nodes,
    energyScale: nodes.map((n) => eT.get(n)!),
    areaScale: nodes.map((n) => aT.get(n)!),
    lutMulA: numField(fit, 'fpga.mul_lut_fit.value', 'a'),
    lutMulB: numField(fit, 'fpga.mul_lut_fit.value', 'b'),
    lutAdd: num(t, 'fpga', 'add_lut_per_bit'),
    lutCmp: num(t, 'fpga', 'cmp_lut_per_bit'),
    shiftStagesPerLut: num(t, 'fpga', 'shift_stages_per_lut', 1),
    dspAMax: numField(dsp, 'fpga.dsp_limits.value', 'a_max', 1),
    dspBMax: numField(dsp, 'fpga.dsp_limits.value', 'b_max', 1),
    dspMinWidth: numField(dsp, 'fpga.dsp_limits.value', 'min_width'),
    dspMinProduct: numField(dsp, 'fpga.dsp_limits.value', 'min_product_width'),
    bramBits: num(t, 'fpga', 'bram36_bits', 1),
    bramWidth: num(t, 'fpga', 'bram36_max_width', 1),
    glueLut: num(t, 'fpga', 'glue_lut_per_op'),
    glueFf: num(t, 'fpga', 'glue_ff_per_op'),
    peSq: numField(pe, 'fpga.pe_lut_fit.value', 'sq'),
    peShift: numField(pe, 'fpga.pe_lut_fit.value', 'shift'),
    // a fitted polynomial may have a negative linear term (w² dominates for every real width)
    peAdd: numField(pe, 'fpga.pe_lut_fit.value', 'add', -Infinity),
    castPerElem: numField(cast, 'fpga.cast_lut_fit.value', 'per_elem'),
    castPerElemBit: numField(cast, 'fpga.cast_lut_fit.value', 'per_elem_bit'),
    outBase: numField(outFit, 'fpga.out_lut_fit.value', 'base'),
    outPerBitLevel: numField(outFit, 'fpga.out_lut_fit.value', 'per_bit_level'),
    alignLut: num(t, 'fpga', 'align_lut_fit'),
    accGuardBits: num(t, 'design', 'acc_guard_bits'),
    actBits: num(t, 'design', 'act_bits', 1),
    outFifoDepth: num(t, 'design', 'out_fifo_depth'),
    defaultLanesK: num(t, 'design', 'default_lanes_k', 1),
    defaultLanesN: num(t, 'design', 'default_lanes_n', 1),
    offchipTileBytes: num(t, 'design', 'offchip_tile_bytes', 1),
    asicClockHz: num(t, 'design', 'asic_clock_hz', 1),
    fpgaClockHz: num(t, 'design', 'fpga_clock_hz', 1),
    qInExpBits: num(t, 'design', 'quant_input_exp_bits', 1),
    qInSigBits: num(t, 'design', 'quant_input_sig_bits', 1),
  };
}

/** The shipped table, validated and flattened once. */
export const DEFAULT_CONSTANTS: CostConstants = loadConstants(DEFAULT_CONSTANTS_TABLE);

/**
 * Energy and area factors at a technology node relative to 45 nm (Stillmaker–Baas). Between listed
 * nodes the factors are interpolated linearly in log(node) → log(factor); outside the listed range
 * (7–45 nm in the shipped table) the node is refused.
 */
export function nodeScale(k: CostConstants, nodeNm: number): { energy: number; area: number } {
  const n = k.nodes;
  if (!Number.isFinite(nodeNm) || nodeNm < n[0] || nodeNm > n[n.length - 1]) {
    throw new CostConstantsError('node_scaling', `node ${nodeNm} nm is outside the table (${n[0]}–${n[n.length - 1]} nm)`);
  }
  let i = 0;
  while (i < n.length - 1 && n[i + 1] < nodeNm) i++;
  if (n[i] === nodeNm) return { energy: k.energyScale[i], area: k.areaScale[i] };
  const j = Math.min(i + 1, n.length - 1);
  if (n[j] === nodeNm || i === j) return { energy: k.energyScale[j], area: k.areaScale[j] };
  const t = (Math.log(nodeNm) - Math.log(n[i])) / (Math.log(n[j]) - Math.log(n[i]));
  const lerp = (a: number, b: number) => Math.exp(Math.log(a) + t * (Math.log(b) - Math.log(a)));
  return { energy: lerp(k.energyScale[i], k.energyScale[j]), area: lerp(k.areaScale[i], k.areaScale[j]) };
}

/** Every entry of a table as a flat list (for the UI's editable table and the README). */
export function listConstants(json: CostConstantsTable = DEFAULT_CONSTANTS_TABLE): { path: string; value: unknown; unit: string; source: string; verified: boolean }[] {
  const out: { path: string; value: unknown; unit: string; source: string; verified: boolean }[] = [];
  for (const [g, grp] of Object.entries(json)) {
    if (!isObj(grp)) continue;
    for (const [k, e] of Object.entries(grp)) {
      if (isObj(e) && 'value' in e) out.push({ path: `${g}.${k}`, value: e.value, unit: String(e.unit), source: String(e.source), verified: e.verified === true });
    }
  }
  return out;
}
