/**
 * Testbench plumbing shared by the component tests and the layer generator: SystemVerilog
 * parameter/instance text, the wrapper top that runs several self-checking testbenches in one
 * simulator build, and the vector files of each component testbench, computed from
 * src/core/formats `encode` and src/core/datapath (never hand-written expectations).
 *
 * Ring 1: no DOM, no Node built-ins.
 */
import { ELEMENTS, decode, decodeElemBits, encode, makeLayout, type FormatSpec } from '../formats';
import { DEFAULT_ACT, bigToFloat32, fixInt, type ActFormat } from '../datapath';
import { hexFile, hexWord, packEqual, packWord } from './hex';
import { castParams, decodeParams, type CastParams } from './mxParams';
import { randomAct, rng } from './testdata';

/** A parameter value: numbers become decimal (64-bit literals beyond int32), strings are quoted. */
export type SvValue = number | bigint | string;

export function svValue(v: SvValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  const b = BigInt(v);
  if (b >= -(2n ** 31n) && b < 2n ** 31n) return b.toString();
  return b < 0n ? `-64'sd${-b}` : `64'sd${b}`;
}

/** `#(.A(1), .B("x"))` */
export function svParams(p: Record<string, SvValue>, indent = '    '): string {
  const keys = Object.keys(p);
  if (!keys.length) return '';
  return '#(\n' + keys.map((k) => `${indent}.${k}(${svValue(p[k])})`).join(',\n') + '\n  )';
}

/** One testbench instance inside a wrapper top. */
export interface TbInstance {
  module: string;
  params: Record<string, SvValue>;
}

/**
 * A top module running testbenches side by side (each prints its RESULT line), then ending the
 * simulation: `$fatal` when any reported errors, `$finish` otherwise. Every testbench module has
 * ports `output logic done, output logic [31:0] errors`.
 */
export function wrapperTop(top: string, insts: readonly TbInstance[]): string {
  const n = insts.length;
  const lines = [`// Generated: runs ${n} testbench instance(s) in one build.`, `module ${top};`, `  logic [${n - 1}:0] done;`, `  logic [31:0] errors [${n}];`];
  insts.forEach((t, i) => {
    lines.push(`  ${t.module} ${svParams(t.params)} u${i} (.done(done[${i}]), .errors(errors[${i}]));`);
  });
  lines.push(
    '  initial begin',
    `    int total;`,
    `    wait (&done);`,
    '    total = 0;',
    `    for (int i = 0; i < ${n}; i++) total += errors[i];`,
    `    if (total != 0) $fatal(1, "${top}: %0d mismatches", total);`,
    '    $finish;',
    '  end',
    'endmodule',
    '',
  );
  return lines.join('\n');
}

/** ACT integers → their values (exact float32: |v| < 2^24 · 2^−f). */
export function actValues(ints: ArrayLike<number>, act: ActFormat = DEFAULT_ACT): Float32Array {
  const out = new Float32Array(ints.length);
  for (let i = 0; i < ints.length; i++) out[i] = ints[i] * 2 ** -act.f;
  return out;
}

/** ACT stream beats of a row-major [rows, row] tensor of ACT integers, `lanes` per beat. */
export function actBeats(ints: ArrayLike<number>, lanes: number, act: ActFormat = DEFAULT_ACT): string[] {
  const out: string[] = [];
  for (let i = 0; i < ints.length; i += lanes) {
    const f: [number, number][] = [];
    for (let j = 0; j < lanes; j++) f.push([ints[i + j], act.w]);
    out.push(packWord(f));
  }
  return out;
}

/**
 * Block beats ({exp[7:0], codes}) of an ACT tensor [rows, row] cast to `spec` along its rows, exactly
 * as `encode` stores it: blocks of `block` = min(spec block, row) codes, a short last block padded
 * with code 0 (what a zero element encodes to).
 */
export function castBeats(spec: FormatSpec, ints: ArrayLike<number>, rows: number, row: number, act: ActFormat = DEFAULT_ACT): { beats: string[]; block: number; params: CastParams } {
  const params = castParams(spec, act);
  const enc = encode(spec, actValues(ints, act), [rows, row], 1);
  const block = Math.min(enc.layout.block, row);
  const nb = Math.ceil(row / block);
  const beats: string[] = [];
  for (let t = 0; t < rows; t++) {
    for (let b = 0; b < nb; b++) {
      const codes: number[] = [];
      for (let i = 0; i < block; i++) {
        const k = b * block + i;
        codes.push(k < row ? enc.elements[t * row + k] : 0);
      }
      beats.push(packWord([[packEqual(codes, params.CODE_W), block * params.CODE_W], [enc.scales[t * nb + b], 8]]));
    }
  }
  return { beats, block, params };
}

/** The files and tb parameters of one tb_mx_cast configuration. */
export function castTestbench(name: string, spec: FormatSpec, ints: ArrayLike<number>, rows: number, row: number, inLanes: number, seed: number, act: ActFormat = DEFAULT_ACT): { files: Record<string, string>; inst: TbInstance } {
  const { beats, block, params } = castBeats(spec, ints, rows, row, act);
  const inBeats = actBeats(ints, inLanes, act);
  return {
    files: { [`vectors/${name}.in.hex`]: hexFile(inBeats), [`vectors/${name}.out.hex`]: hexFile(beats) },
    inst: {
      module: 'tb_mx_cast',
      params: { NAME: name, N_IN: inBeats.length, N_OUT: beats.length, SEED: seed, ACT_W: act.w, ACT_F: act.f, ROW: row, IN_LANES: inLanes, BLOCK: block, ...params },
    },
  };
}

// ------------------------------------------------------------------ handshake primitives

/** tb_hs_fifo / tb_hs_skid: n random words of w bits through the buffer, unchanged and in order. */
export function streamTestbench(module: 'tb_hs_fifo' | 'tb_hs_skid', name: string, w: number, n: number, seed: number, extra: Record<string, SvValue> = {}): { files: Record<string, string>; inst: TbInstance } {
  const r = rng(seed);
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let b = 0; b < w; b += 16) v |= BigInt(Math.floor(r() * 65536)) << BigInt(b);
    words.push(hexWord(v & ((1n << BigInt(w)) - 1n), w));
  }
  const text = hexFile(words);
  return { files: { [`vectors/${name}.in.hex`]: text, [`vectors/${name}.out.hex`]: text }, inst: { module, params: { NAME: name, N: n, SEED: seed, W: w, ...extra } } };
}

// ------------------------------------------------------------------ mx_dec

/**
 * tb_mx_dec over every code of a block format: the expected datapath integer m of each code comes
 * from the codec (`decodeElemBits` / `decode` at unit scale), split as sig · 2^eoff with eoff the
 * exponent field minus one (0 for subnormals and integer kinds), so sig = m / 2^eoff.
 * E5M2/E4M3 Inf/NaN codes are skipped (MX conversion never produces them).
 */
export function decTestbench(name: string, spec: FormatSpec, seed: number): { files: Record<string, string>; inst: TbInstance } {
  const d = decodeParams(spec);
  const sigW = d.KIND === 0 ? d.MBITS + 2 : d.CODE_W;
  const eoffW = d.KIND === 0 ? d.CODE_W - 1 - d.MBITS : 1;
  const codes: number[] = [];
  const ints: number[] = [];
  if (spec.kind === 'mx') {
    const e = ELEMENTS[spec.elem];
    for (let c = 0; c < 2 ** e.bits; c++) {
      const v = decodeElemBits(c, e);
      if (!Number.isFinite(v) || Math.abs(v) > e.maxNorm) continue;
      codes.push(c);
      ints.push(v * 2 ** -e.unitExp);
    }
  } else {
    const all = Uint32Array.from({ length: 2 ** d.CODE_W }, (_, i) => i);
    const bits = d.CODE_W;
    const enc = encode(spec, new Float32Array(all.length), [all.length], 0);
    // unit scale: E = 0, so the decoded value is k · 2^−(m−1)
    const vals = decode({ spec: enc.spec, layout: makeLayout([all.length], all.length, 0, all.length), elements: all, scales: new Uint32Array([d.EXP_BIAS]) });
    for (let c = 0; c < all.length; c++) {
      codes.push(c);
      ints.push(vals[c] * 2 ** (bits - 1) + 0);
    }
  }
  const inLines: string[] = [];
  const outLines: string[] = [];
  codes.forEach((c, i) => {
    const m = ints[i];
    const ef = d.KIND === 0 ? (c >> d.MBITS) & ((1 << eoffW) - 1) : 0;
    const eoff = ef === 0 ? 0 : ef - 1;
    const sig = m / 2 ** eoff;
    if (!Number.isInteger(sig) || sig < -(2 ** (sigW - 1)) || sig >= 2 ** (sigW - 1)) throw new Error(`code ${c}: datapath integer ${m} is not a ${sigW}-bit significand × 2^${eoff}`);
    inLines.push(hexWord(BigInt(c), d.CODE_W));
    outLines.push(packWord([[sig, sigW], [eoff, eoffW]]));
  });
  return {
    files: { [`vectors/${name}.in.hex`]: hexFile(inLines), [`vectors/${name}.out.hex`]: hexFile(outLines) },
    inst: { module: 'tb_mx_dec', params: { NAME: name, N: codes.length, SEED: seed, KIND: d.KIND, CODE_W: d.CODE_W, MBITS: d.MBITS } },
  };
}

// ------------------------------------------------------------------ mx_dot

/** mx_dot's PSUM_W (the same formula as the module). */
export function dotPsumWidth(a: FormatSpec, b: FormatSpec, lanes: number): number {
  const da = decodeParams(a);
  const db = decodeParams(b);
  const sig = (d: typeof da) => (d.KIND === 0 ? d.MBITS + 2 : d.CODE_W);
  const eoffMax = (d: typeof da) => (d.KIND === 0 ? 2 ** (d.CODE_W - 1 - d.MBITS) - 2 : 0);
  return sig(da) + sig(db) + eoffMax(da) + eoffMax(db) + Math.ceil(Math.log2(lanes)) + 1;
}

/**
 * tb_mx_dot: n beats of `lanes` element pairs, the codes of real `encode` output of random ACT data
 * (so every code class appears: zeros, subnormals, saturated maxima), expected psum = Σ ma·mb over
 * the codec's datapath integers (Encoded.mantissas), exact in BigInt.
 */
export function dotTestbench(name: string, a: FormatSpec, b: FormatSpec, lanes: number, n: number, seed: number, act: ActFormat = DEFAULT_ACT): { files: Record<string, string>; inst: TbInstance } {
  const da = decodeParams(a);
  const db = decodeParams(b);
  const ea = encode(a, actValues(randomAct(n, lanes, seed, act), act), [n, lanes], 1);
  const eb = encode(b, actValues(randomAct(n, lanes, seed + 1, act), act), [n, lanes], 1);
  const pw = dotPsumWidth(a, b, lanes);
  const inLines: string[] = [];
  const outLines: string[] = [];
  for (let t = 0; t < n; t++) {
    const f: [number, number][] = [];
    let s = 0n;
    for (let i = 0; i < lanes; i++) f.push([ea.elements[t * lanes + i], da.CODE_W]);
    for (let i = 0; i < lanes; i++) f.push([eb.elements[t * lanes + i], db.CODE_W]);
    for (let i = 0; i < lanes; i++) s += BigInt(ea.mantissas[t * lanes + i]) * BigInt(eb.mantissas[t * lanes + i]);
    inLines.push(packWord(f));
    outLines.push(packWord([[s, pw]]));
  }
  return {
    files: { [`vectors/${name}.in.hex`]: hexFile(inLines), [`vectors/${name}.out.hex`]: hexFile(outLines) },
    inst: {
      module: 'tb_mx_dot',
      params: { NAME: name, N: n, SEED: seed, LANES: lanes, A_KIND: da.KIND, A_CODE_W: da.CODE_W, A_MBITS: da.MBITS, B_KIND: db.KIND, B_CODE_W: db.CODE_W, B_MBITS: db.MBITS },
    },
  };
}

// ------------------------------------------------------------------ mx_out

/**
 * tb_mx_out: accumulator values S = acc · 2^lsb built to hit every rounding case — random widths,
 * float32 ties (25 significant bits ending in 1 followed by zeros), ACT ties, values just around the
 * ACT saturation point and the float32 subnormal range (when lsb reaches it) — with expected
 * fixInt(bigToFloat32(acc, lsb)) from src/core/datapath.
 */
export function outTestbench(name: string, accW: number, lsb: number, n: number, seed: number, act: ActFormat = DEFAULT_ACT): { files: Record<string, string>; inst: TbInstance } {
  const r = rng(seed);
  const maxMag = (1n << BigInt(accW - 1)) - 1n;
  const big = (bits: number): bigint => {
    let v = 0n;
    for (let b = 0; b < bits; b += 16) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
    return v & ((1n << BigInt(Math.max(bits, 0))) - 1n);
  };
  const values: bigint[] = [0n, 1n, -1n, maxMag, -maxMag];
  // the ACT saturation threshold in acc units, and the ACT LSB
  const satUnits = -lsb - act.f >= 0 ? BigInt(2 ** (act.w - 1) - 1) << BigInt(-lsb - act.f) : 0n;
  if (satUnits > 0n && satUnits < maxMag) values.push(satUnits, satUnits + 1n, satUnits - 1n, -satUnits, -(satUnits + 1n));
  while (values.length < n) {
    const kind = r();
    const bits = 1 + Math.floor(r() * (accW - 1));
    let v: bigint;
    if (kind < 0.3) {
      v = big(bits);
    } else if (kind < 0.55) {
      // a float32 tie: 24 kept bits, then 1, then zeros (or a sticky bit)
      const sh = Math.max(0, bits - 25);
      v = ((big(24) | (1n << 23n)) * 2n + 1n) << BigInt(sh);
      if (r() < 0.3 && sh > 0) v += 1n;
    } else if (kind < 0.8 && -lsb - act.f > 0) {
      // an ACT tie: an integer number of ACT LSBs plus exactly half of one
      const d = BigInt(-lsb - act.f);
      v = (big(Math.min(23, bits)) << d) + (1n << (d - 1n));
    } else {
      v = big(Math.min(bits, 30));
    }
    if (v > maxMag) v = v & maxMag;
    values.push(r() < 0.5 ? -v : v);
  }
  const inLines = values.map((v) => packWord([[v, accW]]));
  const outLines = values.map((v) => packWord([[fixInt(bigToFloat32(v, lsb), act), act.w]]));
  return {
    files: { [`vectors/${name}.in.hex`]: hexFile(inLines), [`vectors/${name}.out.hex`]: hexFile(outLines) },
    inst: { module: 'tb_mx_out', params: { NAME: name, N: values.length, SEED: seed, ACC_W: accW, ACC_LSB: lsb, ACT_W: act.w, ACT_F: act.f } },
  };
}
