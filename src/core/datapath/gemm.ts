/**
 * The integer block GEMM: the function the generated MX hardware computes, written for reading.
 * This is the TypeScript twin (the specification) of the WASM kernel in
 * workers/kernels/assembly/gemm.ts, which src/core/kernels/gemm.ts wraps and tests bit for bit
 * against this file.
 *
 * Semantics (README.md in this folder):
 *   C[i,j] = RNE_float32( Σ_k ma[i,k]·mb[k,j]·2^(ua(i,k) + ub(k,j)) )
 * where ma, mb are the integer mantissa codes of the encoded operands and ua, ub the unit exponents
 * of the blocks that hold them (Encoded.mantissas / Encoded.unitExp). The sum is exact — integer
 * products, exact alignment of every block's partial sum — and is rounded once, to nearest-even
 * float32 (subnormals included, overflow to ±Inf, an exact zero is +0, a negative sum that rounds
 * to zero is −0). If any block feeding C[i,j] is a NaN block, C[i,j] is NaN.
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { FormatError } from '../formats/errors';
import type { Encoded } from '../formats/codec';

/** How B is laid out: [K, N] blocked along axis 0 (a matmul operand, microxcaling), or [N, K] blocked along axis 1 (an nn.Linear weight). */
export type GemmBLayout = 'KN' | 'NK';

export interface GemmOptions {
  b: GemmBLayout;
}

/**
 * One operand seen as `rows` vectors along K: A's rows (rows = M) or B's columns (rows = N).
 * Element (r, k) is mantissas[r·rowStride + k·kStride]; its block's unit exponent is
 * unitExp[⌊r / tileRows⌋·expRowStride + ⌊k / block⌋·expKStride].
 */
export interface GemmOperand {
  /** 'a' or 'b', for error messages. */
  readonly name: 'a' | 'b';
  readonly rows: number;
  readonly K: number;
  readonly mantissas: Float64Array;
  readonly rowStride: number;
  readonly kStride: number;
  /** False for fixed point: one exponent for the whole tensor. */
  readonly blocked: boolean;
  /** Elements per block along K (K for an unblocked operand). */
  readonly block: number;
  readonly nBlocks: number;
  readonly unitExp: Float64Array;
  /** Rows (along the non-K axis) sharing one exponent: the 2-D tile depth (1 for OCP blocks). */
  readonly tileRows: number;
  readonly expRowStride: number;
  readonly expKStride: number;
  /** 1 for every row that holds a NaN block (every output of that row/column is NaN). */
  readonly nanRows: Uint8Array;
}

/** A validated GEMM: A is M×K, B is K×N (whatever its storage), and both share one K-blocking. */
export interface GemmProblem {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  /** The common block length along K (K when neither operand is blocked). */
  readonly block: number;
  readonly nBlocks: number;
}

const SUPPORTED = 'a power-of-two block format (mx, mxint, bfp) or fixed point';

/** Unit exponent of the block holding element (r, k) of an operand. */
export function blockExp(op: GemmOperand, r: number, k: number): number {
  return op.unitExp[Math.floor(r / op.tileRows) * op.expRowStride + Math.floor(k / op.block) * op.expKStride];
}

/** Mantissa code of element (r, k) of an operand (an integer; NaN inside a NaN block). */
export function codeAt(op: GemmOperand, r: number, k: number): number {
  return op.mantissas[r * op.rowStride + k * op.kStride];
}

function operand(e: Encoded, name: 'a' | 'b', kAxis: 0 | 1): GemmOperand {
  if (!e || typeof e !== 'object' || !e.spec || !e.layout || !(e.mantissas instanceof Float64Array) || !(e.unitExp instanceof Float64Array)) {
    throw new FormatError(name, String(e), 'an Encoded tensor from encode()');
  }
  const spec = e.spec;
  if (spec.kind !== 'mx' && spec.kind !== 'mxint' && spec.kind !== 'bfp' && spec.kind !== 'fixed') {
    const why = spec.kind === 'nvfp4' ? ' (nvfp4 block scales are E4M3 values, not powers of two)' : spec.kind === 'fp32' ? ' (fp32 has no integer codes)' : '';
    throw new FormatError(`${name} format`, spec.kind, SUPPORTED + why);
  }
  const L = e.layout;
  if (L.shape.length !== 2) throw new FormatError(`${name} shape`, L.shape.join('×'), 'a 2-D tensor');
  if (e.mantissas.length !== L.numel || e.unitExp.length !== L.numBlocks) {
    throw new FormatError(name, `${e.mantissas.length} codes / ${e.unitExp.length} exponents`, `${L.numel} codes and ${L.numBlocks} exponents (an Encoded tensor from encode())`);
  }
  const [d0, d1] = L.shape;
  const rows = kAxis === 1 ? d0 : d1;
  const K = kAxis === 1 ? d1 : d0;
  const rowStride = kAxis === 1 ? d1 : 1;
  const kStride = kAxis === 1 ? 1 : d1;
  let nanRows = new Uint8Array(rows);
  if (spec.kind === 'fixed') {
    // One exponent for the whole tensor; fixed point has no NaN (the codec stores 0 for a NaN input).
    if (Number.isNaN(e.unitExp[0])) nanRows = nanRows.fill(1);
    return { name, rows, K, mantissas: e.mantissas, rowStride, kStride, blocked: false, block: K, nBlocks: 1, unitExp: e.unitExp, tileRows: 1, expRowStride: 0, expKStride: 0, nanRows };
  }
  if (L.axis !== kAxis) {
    const want = name === 'a' ? 'A [M, K] blocked along axis 1 (K)' : kAxis === 0 ? "B [K, N] blocked along axis 0 (K) for b: 'KN'" : "B [N, K] blocked along axis 1 (K) for b: 'NK'";
    throw new FormatError(`${name} axis`, String(L.axis), want);
  }
  const block = L.block;
  const nBlocks = Math.ceil(K / block);
  const tileRows = L.tileRows;
  const tileGrid = Math.ceil(rows / tileRows);
  // Block grid in C order: kAxis 1 → [row tiles, K blocks]; kAxis 0 → [K blocks, row tiles].
  const expRowStride = kAxis === 1 ? nBlocks : 1;
  const expKStride = kAxis === 1 ? 1 : tileGrid;
  const ue = e.unitExp;
  for (let t = 0; t < tileGrid; t++) {
    for (let kb = 0; kb < nBlocks; kb++) {
      if (!Number.isNaN(ue[t * expRowStride + kb * expKStride])) continue;
      for (let r = t * tileRows; r < Math.min(rows, (t + 1) * tileRows); r++) nanRows[r] = 1;
    }
  }
  return { name, rows, K, mantissas: e.mantissas, rowStride, kStride, blocked: true, block, nBlocks, unitExp: e.unitExp, tileRows, expRowStride, expKStride, nanRows };
}

/**
 * Validate a GEMM request and view both operands along K. Throws FormatError naming the parameter
 * (format, shape, axis, block, b layout) and what is allowed.
 */
export function gemmProblem(a: Encoded, b: Encoded, opts: GemmOptions): GemmProblem {
  const layout = opts?.b;
  if (layout !== 'KN' && layout !== 'NK') throw new FormatError('b layout', String(layout), "'KN' (B is [K, N]) or 'NK' (B is [N, K], a Linear weight)");
  const A = operand(a, 'a', 1);
  const B = operand(b, 'b', layout === 'KN' ? 0 : 1);
  if (A.K !== B.K) {
    const bs = layout === 'KN' ? `[${B.K}, ${B.rows}]` : `[${B.rows}, ${B.K}]`;
    throw new FormatError('shape', `A [${A.rows}, ${A.K}] × B ${bs}`, `the same K in A [M, K] and in B ${layout === 'KN' ? '[K, N]' : '[N, K]'}`);
  }
  const K = A.K;
  // Blocks coincide when their lengths along K agree (a block longer than K is one block of K).
  const ba = Math.min(A.block, K);
  const bb = Math.min(B.block, K);
  if (A.blocked && B.blocked && ba !== bb) {
    throw new FormatError('block', `${A.block} (A) vs ${B.block} (B)`, 'the same block size along K for A and B, or one operand unblocked (fixed point)');
  }
  const block = A.blocked ? ba : B.blocked ? bb : K;
  return { M: A.rows, N: B.rows, K, a: A, b: B, block, nBlocks: Math.ceil(K / block) };
}

// ------------------------------------------------------------------------------ exact rounding

const F32_MIN_QUANTUM = -149; // exponent of the smallest float32 subnormal
const F32_PRECISION = 24;

function bitLength(x: bigint): number {
  // x > 0. toString(2) is plain and exact; this is the readable twin, not the fast path.
  return x.toString(2).length;
}

/**
 * The float32 nearest to sig·2^exp (sig an exact integer), ties to even, in one rounding:
 * subnormal results keep the 2^−149 quantum, results ≥ 2^128 after rounding are ±Inf, an exact zero
 * is +0 and a non-zero value that rounds to zero keeps its sign (−0).
 */
export function bigToFloat32(sig: bigint, exp: number): number {
  if (sig === 0n) return 0;
  const neg = sig < 0n;
  const mag = neg ? -sig : sig;
  const top = bitLength(mag) - 1 + exp; // floor(log2 |value|)
  // The quantum (weight of the last kept bit): 24 significant bits, but never below 2^−149.
  const q = Math.max(top - (F32_PRECISION - 1), F32_MIN_QUANTUM);
  let r: bigint;
  if (exp >= q) {
    r = mag << BigInt(exp - q); // exact, nothing to round
  } else {
    const drop = BigInt(q - exp);
    r = mag >> drop;
    const rest = mag - (r << drop); // the dropped bits
    const half = 1n << (drop - 1n);
    if (rest > half || (rest === half && (r & 1n) === 1n)) r += 1n; // round to nearest, ties to even
  }
  // r ≤ 2^24, so Number(r) and the power of two are exact; ≥ 2^128 overflows to Inf.
  const v = Number(r) * 2 ** q;
  const f = v >= 2 ** 128 ? Infinity : v;
  return neg ? -f : f;
}

// ------------------------------------------------------------------------------ the GEMM

/** Largest |code| of an operand (NaN codes ignored), to know when Number products stay exact. */
function maxAbsCode(op: GemmOperand): number {
  let m = 0;
  for (const v of op.mantissas) {
    const a = Math.abs(v);
    if (a > m) m = a;
  }
  return m;
}

/**
 * The exact dot product of row i of A and column j of B, rounded once to float32.
 * Block by block: the integer partial sum P_b = Σ_{k in b} ma·mb (exact), then
 * Σ_b P_b·2^(ua_b + ub_b) aligned exactly on the smallest exponent seen so far.
 */
function exactDot(p: GemmProblem, i: number, j: number, numberSafe: boolean): number {
  const { a: A, b: B } = p;
  if (A.nanRows[i] || B.nanRows[j]) return NaN;
  let acc = 0n; // the running sum is acc·2^accExp
  let accExp = 0;
  let any = false;
  for (let kb = 0; kb < p.nBlocks; kb++) {
    const k0 = kb * p.block;
    const k1 = Math.min(k0 + p.block, p.K);
    // The block's integer partial sum. Plain numbers when every product and partial sum stays
    // below 2^53 (then they are exact), BigInt otherwise (E5M2 codes need 33 bits).
    let sum: bigint;
    if (numberSafe) {
      let s = 0;
      for (let k = k0; k < k1; k++) s += codeAt(A, i, k) * codeAt(B, j, k);
      sum = BigInt(s);
    } else {
      sum = 0n;
      for (let k = k0; k < k1; k++) sum += BigInt(codeAt(A, i, k)) * BigInt(codeAt(B, j, k));
    }
    if (sum === 0n) continue;
    // Both exponents are constant over the block (and over the tile's rows).
    const e = blockExp(A, i, k0) + blockExp(B, j, k0);
    if (!any) {
      acc = sum;
      accExp = e;
      any = true;
    } else if (e >= accExp) {
      acc += sum << BigInt(e - accExp);
    } else {
      acc = (acc << BigInt(accExp - e)) + sum;
      accExp = e;
    }
  }
  return bigToFloat32(acc, accExp);
}

/**
 * The integer block GEMM C = A·B of two encoded operands, computed exactly and rounded once to
 * float32 (see the file comment). A is [M, K] blocked along axis 1; B is [K, N] blocked along
 * axis 0 (`{ b: 'KN' }`) or [N, K] blocked along axis 1 (`{ b: 'NK' }`). Formats may differ as long
 * as their K-blocking coincides (or one is unblocked fixed point). Returns C as [M, N], row-major.
 * Throws FormatError for unsupported formats (nvfp4, fp32), shape, axis or block mismatches.
 */
export function blockGemm(a: Encoded, b: Encoded, opts: GemmOptions): Float32Array {
  const p = gemmProblem(a, b, opts);
  const out = new Float32Array(p.M * p.N);
  const numberSafe = p.block * maxAbsCode(p.a) * maxAbsCode(p.b) <= 2 ** 53;
  for (let i = 0; i < p.M; i++) {
    for (let j = 0; j < p.N; j++) out[i * p.N + j] = exactDot(p, i, j, numberSafe);
  }
  return out;
}
