/**
 * One mx_linear instance, planned: its parameters, its weight ROM images ($readmemh text) and the
 * exact reference outputs, from the formats, the parallelism and the weights. Validation throws
 * RtlError (naming the target and the reason) before anything is produced.
 *
 * ROM layout (KP = K rounded up to the block, KC = KP/lanesK, NG = N/lanesN, G = max(1, lanesK/block)):
 *   codes  [NG·KC] words: word ng·KC + kc holds, for column j (n = ng·lanesN + j) and lane i
 *          (k = kc·lanesK + i), W's element code at bits [(j·lanesK + i)·CODE_W +: CODE_W]; code 0
 *          past K (the zero padding of a short last block).
 *   exps   [NG·NBLK/G] words: word ng·(NBLK/G) + e holds, for column j and block slot g, the shared
 *          exponent code of W block (n, e·G + g) at bits [(j·G + g)·8 +: 8].
 *   bias   [NG] words: lanesN ACT integers fix(b_n) (ACT_W-bit two's complement), added to the ACT
 *          result with symmetric saturation (the contract's y = sat(fix(f32(S)) + fix(b))).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { encode, quantize, type Encoded, type FormatSpec } from '../formats';
import { DEFAULT_ACT, actMax, blockGemm, fixInt, type ActFormat } from '../datapath';
import { RtlError } from './errors';
import { hexFile, packEqual, packFields, hexWord } from './hex';
import { actBeats, actValues, type SvValue, type TbInstance } from './tbgen';
import { blockAlongK, castParams, decodeParams, linearAccumulator, unsupportedReason, type Accumulator } from './mxParams';

/** Parallelism of one GEMM layer. */
export interface Lanes {
  /** Element products along K per clock per output column. Divides K; divides or is a multiple of the MX block. */
  lanesK: number;
  /** Output columns computed in parallel (= output ACT lanes). Divides N. */
  lanesN: number;
  /** Input ACT lanes (default gcd(lanesK, block)); divides K and the block. */
  lanesIn?: number;
}

export interface LinearRequest {
  /** Who asks (a graph op id such as `L0.q`), for error messages. */
  target: string;
  K: number;
  N: number;
  xSpec: FormatSpec;
  wSpec: FormatSpec;
  /** W [N, K] row-major float32 (nn.Linear layout). */
  weights: Float32Array;
  /** b [N] as the values the bias point decodes to (already quantized if the bias has a format), or null. */
  bias: Float32Array | null;
  lanes: Lanes;
  act?: ActFormat;
}

export interface LinearPlan {
  /** mx_linear parameters except the ROM file names. */
  params: Record<string, SvValue>;
  /** ROM images: codes, exps and (when there is a bias) bias. */
  roms: { codes: string; exps: string; bias: string | null };
  acc: Accumulator;
  wEnc: Encoded;
  /** The effective block along K shared by x and W. */
  block: number;
  lanesIn: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Check a linear request and plan its instance (params, ROMs, accumulator). Throws RtlError. */
export function planLinear(r: LinearRequest): LinearPlan {
  const { target, K, N, xSpec, wSpec, lanes } = r;
  const act = r.act ?? DEFAULT_ACT;
  const fail = (why: string): never => {
    throw new RtlError(target, why);
  };
  const wx = unsupportedReason(xSpec, 'activation');
  if (wx) fail(`input x: ${wx}`);
  const ww = unsupportedReason(wSpec, 'weight');
  if (ww) fail(`weight: ${ww}`);
  const bx = blockAlongK(xSpec, K);
  const bw = blockAlongK(wSpec, K);
  if (bx !== bw) fail(`x and W must share their blocking along K (x blocks of ${bx}, W blocks of ${bw}): the exact sum aligns one exponent pair per block pair`);
  const block = bx;
  if (!lanes || !isPosInt(lanes.lanesK) || !isPosInt(lanes.lanesN)) fail(`parallelism must be positive integers { lanesK, lanesN }, got ${JSON.stringify(lanes)}`);
  const { lanesK, lanesN } = lanes;
  if (K % lanesK !== 0) fail(`lanesK = ${lanesK} does not divide K = ${K}`);
  if (N % lanesN !== 0) fail(`lanesN = ${lanesN} does not divide N = ${N}`);
  if (block % lanesK !== 0 && lanesK % block !== 0) fail(`lanesK = ${lanesK} must divide or be a multiple of the MX block ${block}`);
  const lanesIn = lanes.lanesIn ?? gcd(lanesK, block);
  if (!isPosInt(lanesIn) || K % lanesIn !== 0 || block % lanesIn !== 0) fail(`input lanes ${lanesIn} must divide K = ${K} and the block ${block}`);
  if (r.weights.length !== N * K) fail(`weights hold ${r.weights.length} values, expected N·K = ${N}·${K}`);
  for (let i = 0; i < r.weights.length; i++) if (!Number.isFinite(r.weights[i])) fail(`weight [${Math.floor(i / K)}, ${i % K}] is ${r.weights[i]}: only finite weights can be encoded`);
  if (r.bias) {
    if (r.bias.length !== N) fail(`bias holds ${r.bias.length} values, expected N = ${N}`);
    for (let i = 0; i < N; i++) if (!Number.isFinite(r.bias[i])) fail(`bias [${i}] is ${r.bias[i]}`);
  }
  let xp, wd;
  try {
    xp = castParams(xSpec, act, target);
    wd = decodeParams(wSpec, target);
  } catch (e) {
    if (e instanceof RtlError) throw e;
    throw new RtlError(target, String((e as Error).message));
  }
  const wEnc = encode(wSpec, r.weights, [N, K], 1);
  const acc = linearAccumulator(xSpec, wEnc, act, target);

  const NBLK = Math.ceil(K / block);
  const KP = NBLK * block;
  const KC = KP / lanesK;
  const NG = N / lanesN;
  const G = lanesK > block ? lanesK / block : 1;
  const L = wEnc.layout;
  const nbk = L.gridShape[1];
  const scaleOf = (n: number, kb: number) => wEnc.scales[Math.floor(n / L.tileRows) * nbk + kb];
  const codes: string[] = [];
  for (let ng = 0; ng < NG; ng++) {
    for (let kc = 0; kc < KC; kc++) {
      const v: number[] = [];
      for (let j = 0; j < lanesN; j++) {
        const n = ng * lanesN + j;
        for (let i = 0; i < lanesK; i++) {
          const k = kc * lanesK + i;
          v.push(k < K ? wEnc.elements[n * K + k] : 0);
        }
      }
      codes.push(hexWord(packEqual(v, wd.CODE_W), lanesN * lanesK * wd.CODE_W));
    }
  }
  const exps: string[] = [];
  for (let ng = 0; ng < NG; ng++) {
    for (let e = 0; e < NBLK / G; e++) {
      const v: number[] = [];
      for (let j = 0; j < lanesN; j++) for (let g = 0; g < G; g++) v.push(scaleOf(ng * lanesN + j, e * G + g));
      exps.push(hexWord(packEqual(v, 8), lanesN * G * 8));
    }
  }
  let biasRom: string | null = null;
  if (r.bias) {
    const lines: string[] = [];
    for (let ng = 0; ng < NG; ng++) {
      const f: [number, number][] = [];
      for (let j = 0; j < lanesN; j++) f.push([fixInt(r.bias[ng * lanesN + j], act), act.w]);
      lines.push(hexWord(packFields(f), lanesN * act.w));
    }
    biasRom = hexFile(lines);
  }
  const params: Record<string, SvValue> = {
    ACT_W: act.w,
    ACT_F: act.f,
    K,
    N,
    BLOCK: block,
    IN_LANES: lanesIn,
    LANES_K: lanesK,
    LANES_N: lanesN,
    ...Object.fromEntries(Object.entries(xp).map(([k, v]) => [`X_${k}`, v])),
    W_KIND: wd.KIND,
    W_CODE_W: wd.CODE_W,
    W_MBITS: wd.MBITS,
    W_EXP_BIAS: wd.EXP_BIAS,
    W_UNIT_EXP: wd.UNIT_EXP,
    ACC_W: acc.width,
    ACC_LSB: acc.lsb,
    HAS_BIAS: r.bias ? 1 : 0,
  };
  return { params, roms: { codes: hexFile(codes), exps: hexFile(exps), bias: biasRom }, acc, wEnc, block, lanesIn };
}

/**
 * The reference of a linear layer on ACT inputs, as ACT integers [T, N]: the datapath twin
 * `blockGemm` (exact sum, one float32 rounding) followed by `fixInt`, and with a bias
 * sat(y + fixInt(b)) — the contract's y = sat(fix(f32(S)) + fix(b)), as the emulator's integer mode.
 */
export function linearReference(xInts: ArrayLike<number>, T: number, K: number, xSpec: FormatSpec, wEnc: Encoded, bias: Float32Array | null, act: ActFormat = DEFAULT_ACT): Int32Array {
  const xEnc = encode(xSpec, actValues(xInts, act), [T, K], 1);
  const N = wEnc.layout.shape[0];
  const y = blockGemm(xEnc, wEnc, { b: 'NK' });
  const out = new Int32Array(T * N);
  const m = actMax(act);
  for (let i = 0; i < y.length; i++) {
    let v = fixInt(y[i], act);
    if (bias) v = Math.max(-m, Math.min(m, v + fixInt(bias[i % N], act)));
    out[i] = v;
  }
  return out;
}

/** The bias values a linear's bias point decodes to (fp32 = unchanged). */
export function biasValues(bias: Float32Array, spec: FormatSpec): Float32Array {
  return spec.kind === 'fp32' ? bias : quantize(spec, bias, [bias.length], 0);
}

/** Files and the tb_mx_linear instance for one planned linear on ACT inputs xInts [T, K]. */
export function linearTestbench(name: string, r: LinearRequest, xInts: ArrayLike<number>, T: number, seed: number): { files: Record<string, string>; inst: TbInstance; plan: LinearPlan; expected: Int32Array } {
  const act = r.act ?? DEFAULT_ACT;
  const plan = planLinear(r);
  const y = linearReference(xInts, T, r.K, r.xSpec, plan.wEnc, r.bias, act);
  const inBeats = actBeats(xInts, plan.lanesIn, act);
  const outBeats = actBeats(y, r.lanes.lanesN, act);
  const files: Record<string, string> = {
    [`vectors/${name}.in.hex`]: hexFile(inBeats),
    [`vectors/${name}.out.hex`]: hexFile(outBeats),
    [`weights/${name}.codes.hex`]: plan.roms.codes,
    [`weights/${name}.exps.hex`]: plan.roms.exps,
  };
  if (plan.roms.bias) files[`weights/${name}.bias.hex`] = plan.roms.bias;
  return {
    files,
    plan,
    expected: y,
    inst: {
      module: 'tb_mx_linear',
      params: {
        NAME: name,
        N_IN: inBeats.length,
        N_OUT: outBeats.length,
        SEED: seed,
        ...plan.params,
        W_CODES_FILE: `weights/${name}.codes.hex`,
        W_EXPS_FILE: `weights/${name}.exps.hex`,
        BIAS_FILE: `weights/${name}.bias.hex`,
      },
    },
  };
}
