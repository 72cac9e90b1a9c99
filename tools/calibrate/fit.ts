/**
 * Least-squares fits of the cost model's FPGA coefficients to the sweep's Yosys measurements
 * (measurements.json). Each fit is linear in coefficients over features computed with the cost
 * model's own format parameters (src/core/cost `formatParams`) and structure (`fpgaFeatures`), so
 * the model evaluates exactly the polynomial that was fitted.
 *
 * Pure (no I/O): `fitAll(file)` → the fitted entries; `applyFit(table, fit)` → constants.json with
 * the values, R², max residuals and sources replaced (version bumped by the caller).
 */
import { parseFormat, type FormatSpec } from '../../src/core/formats';
import { DEFAULT_CONSTANTS, type CostConstants, type CostConstantsTable } from '../../src/core/cost/constants';
import type { AccumulatorRecord } from './accumulators';
import { fpgaFeatures, formatParams, lutCast, lutOut, peLut, type FormatParams } from '../../src/core/cost/model';
import type { Measurement, MeasurementFile } from './sweep';

export interface FitResult {
  /** Coefficient name → value (rounded as stored). */
  readonly coef: Readonly<Record<string, number>>;
  /** null for an intercept-only fit (R² is 0 by definition there; the residuals say how well it holds). */
  readonly r2: number | null;
  /** max |measured − fitted| over the fitted points (LUT or FF). */
  readonly maxResidual: number;
  readonly points: number;
  readonly ids: readonly string[];
}

/** Stored precision: 4 significant digits for coefficients, 4 decimals for R², 1 decimal for residuals. */
export const roundSig = (x: number, d = 4): number => (x === 0 ? 0 : Number(x.toPrecision(d)));
const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/** Solve min ‖X·c − y‖² by the normal equations (Gauss–Jordan with partial pivoting). */
export function leastSquares(X: readonly (readonly number[])[], y: readonly number[]): number[] {
  const n = X[0].length;
  if (X.length < n) throw new Error(`least squares: ${X.length} points for ${n} coefficients`);
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j < n ? X.reduce((s, r) => s + r[i] * r[j], 0) : X.reduce((s, r, k) => s + r[i] * y[k], 0))));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (Math.abs(A[p][c]) < 1e-12) throw new Error(`least squares: feature ${c} is degenerate on these points`);
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= n; j++) A[r][j] -= f * A[c][j];
    }
  }
  return A.map((r, i) => r[n] / r[i]);
}

/** Fit y ≈ Σ c_i·x_i; R² and max residual evaluated with the rounded coefficients. */
export function fitLinear(names: readonly string[], rows: readonly { id: string; x: readonly number[]; y: number }[]): FitResult {
  const c = leastSquares(
    rows.map((r) => r.x),
    rows.map((r) => r.y),
  ).map((v) => roundSig(v));
  const pred = rows.map((r) => r.x.reduce((s, xi, i) => s + xi * c[i], 0));
  const mean = rows.reduce((s, r) => s + r.y, 0) / rows.length;
  const ssTot = rows.reduce((s, r) => s + (r.y - mean) ** 2, 0);
  const ssRes = rows.reduce((s, r, i) => s + (r.y - pred[i]) ** 2, 0);
  const maxResidual = Math.max(...rows.map((r, i) => Math.abs(r.y - pred[i])));
  const interceptOnly = rows.every((r) => r.x.length === 1 && r.x[0] === 1);
  return { coef: Object.fromEntries(names.map((n, i) => [n, c[i]])), r2: interceptOnly || ssTot === 0 ? null : round(1 - ssRes / ssTot, 4), maxResidual: round(maxResidual, 1), points: rows.length, ids: rows.map((r) => r.id) };
}

/** The format of a measurement's id (`dot.mxfp8e4m3.l4` → the sweep's spec string). */
const FORMAT_OF: Record<string, string> = { mxint8: 'mxint8', mxintm4: 'mxint:m=4', mxfp4: 'mxfp4', mxfp8e4m3: 'mxfp8_e4m3', mxfp6e2m3: 'mxfp6_e2m3' };

export function specOf(m: Measurement): FormatSpec {
  const slug = m.id.split('.')[m.id.startsWith('layer.') ? 3 : 1];
  const f = FORMAT_OF[slug];
  if (!f) throw new Error(`${m.id}: unknown sweep format ${slug}`);
  const s = parseFormat(f);
  const block = Number(m.params.BLOCK ?? 32);
  return s.kind === 'mx' || s.kind === 'mxint' ? { ...s, block } : s;
}

const fpga = (file: MeasurementFile, kind: string) => file.measurements.filter((m) => m.flow === 'fpga' && m.id.startsWith(kind + '.'));

export interface CalibrationFit {
  /** mx_dot: LUT = L·(sq·sA·sB + shift·[float]·t·⌈log2(spanA + spanB + 1)⌉ + add·w), w = the psum width (model fpgaFeatures.pe). */
  readonly pe: FitResult;
  /** mx_cast: LUT = B·(e + f·b), b = stored element bits (null: no cast measured yet). */
  readonly cast: FitResult | null;
  /** mx_out: LUT = o0 + o1·w_acc·⌈log2 w_acc⌉. */
  readonly out: FitResult;
  /** mx_linear: the rest after PE, cast, out and the alignment units = glue LUTs (null: no mx_linear / fit layer measured yet). */
  readonly linear: FitResult | null;
  /** mx_linear FFs: measured − the structural register count = glue FFs. */
  readonly ff: FitResult | null;
}

export function fitAll(file: MeasurementFile): CalibrationFit {
  const pe = fitLinear(
    ['sq', 'shift', 'add'],
    fpga(file, 'dot').map((m) => {
      const f = formatParams(specOf(m));
      const L = Number(m.params.LANES);
      const t = fpgaFeatures.pe(f, f, L);
      return { id: m.id, x: [L * t.sq, L * t.shift, L * t.add], y: m.luts! };
    }),
  );
  // with fewer than 3 cast points only the per-element term is fitted (per_elem_bit = 0)
  const castPts = fpga(file, 'cast');
  const castBoth = castPts.length >= 3;
  const castFit = castPts.length === 0 ? null : fitLinear(
    castBoth ? ['per_elem', 'per_elem_bit'] : ['per_elem'],
    castPts.map((m) => {
      const f = formatParams(specOf(m));
      const B = Number(m.params.BLOCK);
      return { id: m.id, x: castBoth ? [B, B * f.storeBits] : [B], y: m.luts! };
    }),
  );
  const cast: FitResult | null = castFit === null || castBoth ? castFit : { ...castFit, coef: { ...castFit.coef, per_elem_bit: 0 } };
  const out = fitLinear(
    ['base', 'per_bit_level'],
    fpga(file, 'out').map((m) => ({ id: m.id, x: [1, fpgaFeatures.out(Number(m.params.ACC_W))], y: m.luts! })),
  );
  const k: CostConstants = {
    ...DEFAULT_CONSTANTS,
    peSq: pe.coef.sq,
    peShift: pe.coef.shift,
    peAdd: pe.coef.add,
    ...(cast ? { castPerElem: cast.coef.per_elem, castPerElemBit: cast.coef.per_elem_bit } : {}),
    outBase: out.coef.base,
    outPerBitLevel: out.coef.per_bit_level,
  };
  // glue: the whole module minus the fitted pieces and the structural alignment units, on the mx_linear
  // points and the designated fit layer(s); the other layers are the out-of-sample check (layers.ts)
  const glueRows = [...fpga(file, 'lin'), ...fpga(file, 'layer').filter((m) => GLUE_FIT_LAYERS.includes(m.id))].map((m) => {
    const f = formatParams(specOf(m));
    const s = linearStructure(k, f, f, linearShape(m));
    return { id: m.id, x: [1], y: m.luts! - s.luts - k.alignLut * s.align, ff: m.ffs! - s.ffs };
  });
  // the glue needs the cast fitted (it is the rest after every fitted piece)
  const linear = cast && glueRows.length > 0 ? fitLinear(['glue'], glueRows) : null;
  // FF glue is clamped at 0: a negative mean residual means the structural register count already
  // covers every register (Yosys merged or removed a few), and constants.json requires glue ≥ 0
  const ffFit = glueRows.length > 0 ? fitLinear(['glue'], glueRows.map((r) => ({ id: r.id, x: [1], y: r.ff }))) : null;
  const ff = ffFit && ffFit.coef.glue < 0 ? { ...ffFit, coef: { ...ffFit.coef, glue: 0 }, maxResidual: Math.round(Math.max(...glueRows.map((r) => Math.abs(r.ff))) * 10) / 10 } : ffFit;
  return { pe, cast, out, linear, ff };
}

/** Whole layers whose residual sets the glue terms (the others are checked, not fitted). */
export const GLUE_FIT_LAYERS: readonly string[] = ['layer.L0.q.mxint8.k8n1'];

export interface LinearShape {
  readonly K: number;
  readonly N: number;
  readonly Pk: number;
  readonly Pn: number;
  readonly B: number;
  readonly wAcc: number;
}

/**
 * The cost model's FPGA structure of one mx_linear at the RTL's own accumulator width (evalOp with
 * P_m = 1, weights as the B operand): `luts` = lanes + output stages + the activation cast (no glue,
 * no alignment), `align` = the alignment feature summed over columns and block groups, `ffs` = the
 * structural register count without the glue FFs.
 */
export function linearStructure(k: CostConstants, fa: FormatParams, fb: FormatParams, s: LinearShape): { luts: number; align: number; ffs: number } {
  const G = Math.ceil(s.Pk / s.B);
  const nKb = Math.ceil(s.K / s.B);
  const luts = s.Pk * s.Pn * peLut(k, fa, fb, Math.min(s.Pk, s.B), false) + s.Pn * lutOut(k, s.wAcc) + lutCast(k, fa);
  const align = s.Pn * G * fpgaFeatures.align(s.wAcc);
  const castFf = s.B * (k.actBits + fa.storeBits) + fa.scaleExpBits;
  const rowBuf = 2 * (s.K * fa.storeBits + nKb * fa.scaleExpBits);
  const ffs = s.Pk * s.Pn * fb.storeBits + s.Pn * G * fb.scaleExpBits + s.Pn * (2 * s.wAcc + k.outFifoDepth * k.actBits) + s.Pk * fa.storeBits + G * fa.scaleExpBits + castFf + rowBuf;
  return { luts, align, ffs };
}

/** The linear shape of a measured mx_linear / layer (its parameters). */
export function linearShape(m: Measurement): LinearShape {
  const n = (k: string) => Number(m.params[k]);
  return { K: n('K'), N: n('N'), Pk: n('LANES_K'), Pn: n('LANES_N'), B: n('BLOCK'), wAcc: n('ACC_W') };
}

/** ACC_W ≈ w_loc + ⌈log2 ⌈K/B⌉⌉ + guard · (activation operands): the model's accumulator (evalOp), guard fitted. */
export function fitGuard(records: readonly AccumulatorRecord[]): FitResult {
  const rows = records.map((a) => {
    const f = formatParams(parseFormat(a.format));
    const wProd = 2 * f.p + 2 * f.span;
    const B = Math.min(f.blockK, a.K);
    const base = wProd + clog2(B) + clog2(Math.ceil(a.K / f.blockK));
    return { id: `${a.op}/${a.format}`, base, nAct: a.nAct, width: a.width };
  });
  // least squares for the one coefficient, rounded to whole bits (an accumulator has whole bits)
  const guard = Math.round(rows.reduce((s, r) => s + r.nAct * (r.width - r.base), 0) / rows.reduce((s, r) => s + r.nAct * r.nAct, 0));
  const pred = rows.map((r) => r.base + guard * r.nAct);
  const mean = rows.reduce((s, r) => s + r.width, 0) / rows.length;
  const ssTot = rows.reduce((s, r) => s + (r.width - mean) ** 2, 0);
  const ssRes = rows.reduce((s, r, i) => s + (r.width - pred[i]) ** 2, 0);
  return { coef: { guard }, r2: round(1 - ssRes / ssTot, 4), maxResidual: round(Math.max(...rows.map((r, i) => Math.abs(r.width - pred[i]))), 1), points: rows.length, ids: rows.map((r) => r.id) };
}

const clog2 = (x: number): number => (x <= 1 ? 0 : Math.ceil(Math.log2(x)));

/** The Yosys flow every fitted FPGA value comes from. */
export const FPGA_FLOW = 'Yosys 0.23 synth_xilinx -flatten -nodsp';

const src = (fit: FitResult, what: string) => `fit to tools/calibrate/measurements.json (${fit.points} points: ${what}, ${FPGA_FLOW})`;

/** constants.json with the fitted values (and their R², max residual, source) in place; `version` set to 2 or above. */
export function applyFit(table: CostConstantsTable, fit: CalibrationFit, guard: FitResult): CostConstantsTable {
  const t = JSON.parse(JSON.stringify(table)) as Record<string, Record<string, Record<string, unknown>>> & { version: number };
  const set = (group: string, key: string, value: unknown, f: FitResult, source: string) => {
    t[group][key] = { ...t[group][key], value, source, verified: true, r2: f.r2, max_residual: f.maxResidual };
  };
  set('fpga', 'pe_lut_fit', fit.pe.coef, fit.pe, src(fit.pe, 'mx_dot at 2/4/8 lanes over the sweep formats'));
  if (fit.cast) set('fpga', 'cast_lut_fit', fit.cast.coef, fit.cast, src(fit.cast, fit.cast.points >= 3 ? 'mx_cast at blocks 16/32' : `${fit.cast.ids.join(', ')}; per_elem_bit not fitted (needs 3 cast points), 0`));
  set('fpga', 'out_lut_fit', fit.out.coef, fit.out, src(fit.out, "mx_out at each sweep format's accumulator"));
  if (fit.linear) set('fpga', 'glue_lut_per_op', fit.linear.coef.glue, fit.linear, src(fit.linear, `${fit.linear.ids.join(', ')}: measured LUTs minus the fitted lanes, output stages, cast and the alignment units`));
  if (fit.ff) set('fpga', 'glue_ff_per_op', fit.ff.coef.glue, fit.ff, src(fit.ff, `${fit.ff.ids.join(', ')}: measured FFs minus the structural register count`));
  t.design.acc_guard_bits = {
    ...t.design.acc_guard_bits,
    value: guard.coef.guard,
    unit: 'bits of the exact accumulator per activation operand beyond the exact block sums (w_acc = w_loc + ceil(log2 nBlocks) + guard * operands from the ACT stream)',
    source: `fit to the accumulator widths (ACC_W) the RTL generator gives the default model's GEMMs (${guard.points} op x format pairs in tools/calibrate/measurements.json, src/core/rtl layer.ts), rounded to whole bits`,
    verified: true,
    r2: guard.r2,
    max_residual: guard.maxResidual,
  };
  t.version = Math.max(2, t.version);
  return t as unknown as CostConstantsTable;
}
