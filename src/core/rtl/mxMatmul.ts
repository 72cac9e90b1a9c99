/**
 * One mx_matmul instance (one attention head), planned: parameters and the exact reference, with
 * validation by RtlError before anything is produced.
 *
 *   qk: A = Q [T, D] and B = K [T, D], both blocked along D; out [T, T] = fix(f32(Q·Kᵀ)) for j ≤ t, 0
 *       for j > t (the emulator's qk output; the softmax applies 1/√hd).
 *   pv: A = P [T, T] blocked along the keys (entries j > t are the causal mask's zeros — the
 *       hardware forces them), B = V [T, D] blocked along T from position 0; out [T, D].
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { encode, type FormatSpec } from '../formats';
import { DEFAULT_ACT, blockGemm, fixInt, type ActFormat } from '../datapath';
import { RtlError } from './errors';
import { hexFile } from './hex';
import { actBeats, actValues, type SvValue, type TbInstance } from './tbgen';
import { blockAlongK, castParams, matmulAccumulator, unsupportedReason, type Accumulator } from './mxParams';

export type MatmulMode = 'qk' | 'pv';

export interface MatmulLanes {
  /** Products along the reduction axis per clock per output column (qk: along D; pv: along T). */
  lanesK: number;
  /** Output columns per clock (= output ACT lanes). */
  lanesN: number;
  /** A (Q or P) input lanes; default gcd(lanesK, block). */
  lanesIn?: number;
  /** B (K or V) input lanes; default: qk gcd(lanesK, block), pv gcd(lanesK, D). */
  lanesInB?: number;
}

export interface MatmulRequest {
  target: string;
  mode: MatmulMode;
  /** Sequence length of one run. */
  T: number;
  /** Head dimension. */
  D: number;
  aSpec: FormatSpec;
  bSpec: FormatSpec;
  lanes: MatmulLanes;
  act?: ActFormat;
}

export interface MatmulPlan {
  params: Record<string, SvValue>;
  acc: Accumulator;
  block: number;
  lanesIn: number;
  lanesInB: number;
  /** Reduction length and output row length. */
  KRED: number;
  NOUT: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function prefixed(p: string, o: object): Record<string, SvValue> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}_${k}`, v as SvValue]));
}

/** Check a matmul request and plan its instance. Throws RtlError naming the target and the reason. */
export function planMatmul(r: MatmulRequest): MatmulPlan {
  const { target, mode, T, D, aSpec, bSpec, lanes } = r;
  const act = r.act ?? DEFAULT_ACT;
  const fail = (why: string): never => {
    throw new RtlError(target, why);
  };
  if (mode !== 'qk' && mode !== 'pv') fail(`mode must be 'qk' or 'pv', got ${JSON.stringify(mode)}`);
  if (!isPosInt(T) || !isPosInt(D)) fail(`T and D must be positive integers (T = ${T}, D = ${D})`);
  const [na, nb] = mode === 'qk' ? ['Q', 'K'] : ['P', 'V'];
  const ua = unsupportedReason(aSpec, 'activation');
  if (ua) fail(`operand ${na}: ${ua}`);
  const ub = unsupportedReason(bSpec, 'activation');
  if (ub) fail(`operand ${nb}: ${ub}`);
  const KRED = mode === 'qk' ? D : T;
  const NOUT = mode === 'qk' ? T : D;
  const ba = blockAlongK(aSpec, KRED);
  const bb = blockAlongK(bSpec, KRED);
  if (ba !== bb) fail(`${na} and ${nb} must share their blocking along the reduction axis (${na} blocks of ${ba}, ${nb} blocks of ${bb}, reduction length ${KRED})`);
  const block = ba;
  if (!lanes || !isPosInt(lanes.lanesK) || !isPosInt(lanes.lanesN)) fail(`parallelism must be positive integers { lanesK, lanesN }, got ${JSON.stringify(lanes)}`);
  const { lanesK, lanesN } = lanes;
  if (KRED % lanesK !== 0) fail(`lanesK = ${lanesK} does not divide the reduction length ${KRED} (${mode === 'qk' ? 'head_dim' : 'T'})`);
  if (NOUT % lanesN !== 0) fail(`lanesN = ${lanesN} does not divide the output row length ${NOUT} (${mode === 'qk' ? 'T' : 'head_dim'})`);
  if (block % lanesK !== 0 && lanesK % block !== 0) fail(`lanesK = ${lanesK} must divide or be a multiple of the MX block ${block}`);
  if (mode === 'pv' && block % lanesK !== 0) fail(`P·V needs lanesK (${lanesK}) to divide the block ${block}: row t waits only for the V block holding t`);
  const lanesIn = lanes.lanesIn ?? gcd(lanesK, block);
  if (!isPosInt(lanesIn) || KRED % lanesIn !== 0 || block % lanesIn !== 0) fail(`${na} input lanes ${lanesIn} must divide ${KRED} and the block ${block}`);
  const lanesInB = lanes.lanesInB ?? (mode === 'qk' ? gcd(lanesK, block) : gcd(lanesK, D));
  if (!isPosInt(lanesInB) || D % lanesInB !== 0 || (mode === 'qk' && block % lanesInB !== 0)) {
    fail(`${nb} input lanes ${lanesInB} must divide head_dim ${D}${mode === 'qk' ? ` and the block ${block}` : ''}`);
  }
  let ap, bp;
  try {
    ap = castParams(aSpec, act, target);
    bp = castParams(bSpec, act, target);
  } catch (e) {
    if (e instanceof RtlError) throw e;
    throw new RtlError(target, String((e as Error).message));
  }
  const acc = matmulAccumulator(aSpec, bSpec, KRED, act, target);
  const params: Record<string, SvValue> = {
    ACT_W: act.w,
    ACT_F: act.f,
    MODE: mode === 'qk' ? 0 : 1,
    T,
    D,
    BLOCK: block,
    IN_LANES_A: lanesIn,
    IN_LANES_B: lanesInB,
    LANES_K: lanesK,
    LANES_N: lanesN,
    ...prefixed('A', ap),
    ...prefixed('B', bp),
    ACC_W: acc.width,
    ACC_LSB: acc.lsb,
  };
  return { params, acc, block, lanesIn, lanesInB, KRED, NOUT };
}

/**
 * The exact reference of one head as ACT integers: qk → [T, T] (masked entries 0), pv → [T, D].
 * `a` and `b` are ACT integers: qk Q [T, D], K [T, D]; pv P [T, T] (entries j > t are ignored, as
 * the hardware masks them), V [T, D]. blockGemm (exact sum, one float32 rounding), then fixInt.
 */
export function matmulReference(mode: MatmulMode, T: number, D: number, a: ArrayLike<number>, b: ArrayLike<number>, aSpec: FormatSpec, bSpec: FormatSpec, act: ActFormat = DEFAULT_ACT): Int32Array {
  if (mode === 'qk') {
    const s = blockGemm(encode(aSpec, actValues(a, act), [T, D], 1), encode(bSpec, actValues(b, act), [T, D], 1), { b: 'NK' });
    const out = new Int32Array(T * T);
    for (let t = 0; t < T; t++) for (let j = 0; j <= t; j++) out[t * T + j] = fixInt(s[t * T + j], act);
    return out;
  }
  const p = Int32Array.from(a);
  for (let t = 0; t < T; t++) for (let j = t + 1; j < T; j++) p[t * T + j] = 0;
  const o = blockGemm(encode(aSpec, actValues(p, act), [T, T], 1), encode(bSpec, actValues(b, act), [T, D], 0), { b: 'KN' });
  return Int32Array.from(o, (v) => fixInt(v, act));
}

/** Files and the tb_mx_matmul instance of one head on ACT inputs a, b (see matmulReference). */
export function matmulTestbench(name: string, r: MatmulRequest, a: ArrayLike<number>, b: ArrayLike<number>, seed: number): { files: Record<string, string>; inst: TbInstance; plan: MatmulPlan; expected: Int32Array } {
  const act = r.act ?? DEFAULT_ACT;
  const plan = planMatmul(r);
  const y = matmulReference(r.mode, r.T, r.D, a, b, r.aSpec, r.bSpec, act);
  const aBeats = actBeats(a, plan.lanesIn, act);
  const bBeats = actBeats(b, plan.lanesInB, act);
  const outBeats = actBeats(y, r.lanes.lanesN, act);
  return {
    plan,
    expected: y,
    files: {
      [`vectors/${name}.in.hex`]: hexFile(aBeats),
      [`vectors/${name}.in_b.hex`]: hexFile(bBeats),
      [`vectors/${name}.out.hex`]: hexFile(outBeats),
    },
    inst: { module: 'tb_mx_matmul', params: { NAME: name, N_A: aBeats.length, N_B: bBeats.length, N_OUT: outBeats.length, SEED: seed, ...plan.params } },
  };
}
