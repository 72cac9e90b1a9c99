/**
 * Format specs: the one parser and printer of the short spec strings used by the CLI,
 * configs and share URLs (`mxfp4:block=16,round=even`, `mxint:m=4,e=8,block=16,scale=ceil`,
 * `fixed:w=8,f=5`, `nvfp4`, `bfp:m=4,block=16`, `fp32`), and their validation.
 */
import { FormatError, checkInt } from './errors';
import { ELEMENTS, ELEM_NAMES, isElemName, type ElemName } from './element';
import { ROUNDINGS, type Rounding } from './rounding';

/** Shared-exponent rules for OCP-style MX (mx-formats.md §A4, §A15). */
export type ScaleRule = 'floor' | 'ceil' | 'even' | 'rceil';
export const SCALE_RULES: readonly ScaleRule[] = ['floor', 'ceil', 'even', 'rceil'];
/** Ids shared with the WASM kernels. Do not renumber. */
export const SCALE_RULE_ID: Readonly<Record<ScaleRule, number>> = { floor: 0, ceil: 1, even: 2, rceil: 3 };

/** OCP MX (microxcaling semantics): element format + power-of-two shared scale (E8M0 when scaleBits = 8). */
export interface MxSpec {
  kind: 'mx';
  elem: ElemName;
  /** Elements per block along the blocking axis. */
  block: number;
  /** Rows of a 2-D tile (1 = the OCP 1-D block). */
  tileRows: number;
  round: Rounding;
  scale: ScaleRule;
  /** Shared-scale width; 8 is E8M0. Range ±(2^(s−1)−1), code 2^s−1 is NaN. */
  scaleBits: number;
  /** Zero blocks whose max is a float32 subnormal (microxcaling mx_flush_fp32_subnorms). */
  flush: boolean;
}

/** MASE's MXInt family: m-bit two's-complement mantissas (incl. sign) sharing an e-bit exponent. */
export interface MxIntSpec {
  kind: 'mxint';
  m: number;
  e: number;
  bias: number;
  block: number;
  tileRows: number;
  /** ceil: E = ceil(log2 amax) (MASE); floor: E = floor(log2 amax) + 1 (never clips an exact power of two). */
  scale: 'ceil' | 'floor';
  round: Rounding;
}

/** Block floating point (MSFP-style, MASE block_fp): sign + (m−1)-bit magnitude, shared e-bit exponent. */
export interface BfpSpec {
  kind: 'bfp';
  m: number;
  e: number;
  bias: number;
  block: number;
  tileRows: number;
  round: Rounding;
}

/** Signed two's-complement fixed point, w bits of which f are fractional (the paper's 8-bit baseline). */
export interface FixedSpec {
  kind: 'fixed';
  w: number;
  f: number;
  round: Rounding;
  /** Saturate on overflow (true) or wrap modulo 2^w (false). */
  saturate: boolean;
}

/** NVIDIA NVFP4: E2M1 elements, an E4M3 scale per block of 16, one fp32 scale per tensor. */
export interface NvFp4Spec {
  kind: 'nvfp4';
  block: number;
  round: Rounding;
}

/** No quantization. */
export interface Fp32Spec {
  kind: 'fp32';
}

export type FormatSpec = MxSpec | MxIntSpec | BfpSpec | FixedSpec | NvFp4Spec | Fp32Spec;
export type FormatKind = FormatSpec['kind'];

/** Formats with a power-of-two scale per block (what the integer datapath handles). */
export type BlockSpec = MxSpec | MxIntSpec | BfpSpec;
export function isBlockSpec(s: FormatSpec): s is BlockSpec {
  return s.kind === 'mx' || s.kind === 'mxint' || s.kind === 'bfp';
}

export const MAX_BLOCK = 1 << 20;

const MX_SHORT: Record<string, ElemName> = {
  mxfp8_e5m2: 'fp8_e5m2',
  mxfp8_e4m3: 'fp8_e4m3',
  mxfp6_e3m2: 'fp6_e3m2',
  mxfp6_e2m3: 'fp6_e2m3',
  mxfp4: 'fp4_e2m1',
  mxfp4_e2m1: 'fp4_e2m1',
  mxint8: 'int8',
  mxint4: 'int4',
  mxint2: 'int2',
};
const MX_CANONICAL: Record<ElemName, string> = {
  fp8_e5m2: 'mxfp8_e5m2',
  fp8_e4m3: 'mxfp8_e4m3',
  fp6_e3m2: 'mxfp6_e3m2',
  fp6_e2m3: 'mxfp6_e2m3',
  fp4_e2m1: 'mxfp4',
  int8: 'mxint8',
  int4: 'mxint4',
  int2: 'mxint2',
};

/** Every name the parser accepts before the colon. */
export const FORMAT_NAMES: readonly string[] = [...Object.keys(MX_SHORT), ...ELEM_NAMES, 'mxint', 'bfp', 'fixed', 'nvfp4', 'fp32'];

/** Defaults, so specs can be built from partial objects (configs, URLs, UI). */
export function mxSpec(elem: ElemName, o: Partial<Omit<MxSpec, 'kind' | 'elem'>> = {}): MxSpec {
  return validate({ kind: 'mx', elem, block: 32, tileRows: 1, round: 'nearest', scale: 'floor', scaleBits: 8, flush: false, ...o }) as MxSpec;
}
export function mxIntSpec(o: Partial<Omit<MxIntSpec, 'kind'>> = {}): MxIntSpec {
  const e = o.e ?? 8;
  return validate({ kind: 'mxint', m: 8, e, bias: 2 ** (e - 1) - 1, block: 16, tileRows: 1, scale: 'ceil', round: 'even', ...o }) as MxIntSpec;
}
export function bfpSpec(o: Partial<Omit<BfpSpec, 'kind'>> = {}): BfpSpec {
  const e = o.e ?? 8;
  return validate({ kind: 'bfp', m: 8, e, bias: 2 ** (e - 1) - 1, block: 16, tileRows: 1, round: 'even', ...o }) as BfpSpec;
}
export function fixedSpec(o: Partial<Omit<FixedSpec, 'kind'>> = {}): FixedSpec {
  const w = o.w ?? 8;
  return validate({ kind: 'fixed', w, f: Math.floor(w / 2), round: 'even', saturate: true, ...o }) as FixedSpec;
}
export function nvfp4Spec(o: Partial<Omit<NvFp4Spec, 'kind'>> = {}): NvFp4Spec {
  return validate({ kind: 'nvfp4', block: 16, round: 'even', ...o }) as NvFp4Spec;
}
export const FP32: Fp32Spec = { kind: 'fp32' };

function oneOf<T extends string>(param: string, v: string, allowed: readonly T[], ctx?: string): T {
  if (!(allowed as readonly string[]).includes(v)) throw new FormatError(param, v, `one of ${allowed.join(', ')}`, ctx);
  return v as T;
}

/**
 * Check every parameter of a spec object (from JSON, a URL or code) and return a clean copy.
 * Throws FormatError naming the parameter and its allowed range.
 */
export function validate(s: FormatSpec, ctx?: string): FormatSpec {
  if (!s || typeof s !== 'object') throw new FormatError('format', String(s), 'a format spec object or string', ctx);
  switch (s.kind) {
    case 'fp32':
      return { kind: 'fp32' };
    case 'mx':
      if (!isElemName(s.elem)) throw new FormatError('elem', String(s.elem), `one of ${ELEM_NAMES.join(', ')}`, ctx);
      return {
        kind: 'mx',
        elem: s.elem,
        block: checkInt('block', s.block, 1, MAX_BLOCK, ctx),
        tileRows: checkInt('tile rows', s.tileRows, 1, 4096, ctx),
        round: oneOf('round', s.round, ROUNDINGS, ctx),
        scale: oneOf('scale', s.scale, SCALE_RULES, ctx),
        scaleBits: checkInt('sbits', s.scaleBits, 2, 8, ctx),
        flush: !!s.flush,
      };
    case 'mxint':
    case 'bfp': {
      const e = checkInt('e', s.e, 2, 8, ctx);
      const out = {
        m: checkInt('m', s.m, 2, 16, ctx),
        e,
        bias: checkInt('bias', s.bias, 0, 2 ** e - 2, ctx),
        block: checkInt('block', s.block, 1, MAX_BLOCK, ctx),
        tileRows: checkInt('tile rows', s.tileRows, 1, 4096, ctx),
        round: oneOf('round', s.round, ROUNDINGS, ctx),
      };
      if (s.kind === 'bfp') return { kind: 'bfp', ...out };
      return { kind: 'mxint', ...out, scale: oneOf('scale', s.scale, ['ceil', 'floor'] as const, ctx) };
    }
    case 'fixed':
      return {
        kind: 'fixed',
        w: checkInt('w', s.w, 2, 32, ctx),
        f: checkInt('f', s.f, -64, 64, ctx),
        round: oneOf('round', s.round, ROUNDINGS, ctx),
        saturate: s.saturate !== false,
      };
    case 'nvfp4':
      return { kind: 'nvfp4', block: checkInt('block', s.block, 1, MAX_BLOCK, ctx), round: oneOf('round', s.round, ROUNDINGS, ctx) };
    default:
      throw new FormatError('format', String((s as { kind?: unknown }).kind), 'one of mx, mxint, bfp, fixed, nvfp4, fp32', ctx);
  }
}

function parseIntParam(key: string, v: string, ctx: string): number {
  if (!/^-?\d+$/.test(v)) throw new FormatError(key, v, 'an integer', ctx);
  return Number(v);
}

function parseBool(key: string, v: string, ctx: string): boolean {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new FormatError(key, v, '0, 1, true or false', ctx);
}

function parseBlock(v: string, ctx: string): { block: number; tileRows: number } {
  const m = /^(\d+)(?:x(\d+))?$/.exec(v);
  if (!m) throw new FormatError('block', v, 'a positive integer N, or RxC for a 2-D tile (R rows × C along the axis)', ctx);
  return m[2] === undefined ? { block: Number(m[1]), tileRows: 1 } : { block: Number(m[2]), tileRows: Number(m[1]) };
}

const KEYS: Record<string, readonly string[]> = {
  mx: ['block', 'round', 'scale', 'sbits', 'flush'],
  mxint: ['m', 'e', 'bias', 'block', 'scale', 'round'],
  bfp: ['m', 'e', 'bias', 'block', 'round'],
  fixed: ['w', 'f', 'round', 'sat'],
  nvfp4: ['block', 'round'],
  fp32: [],
};

/**
 * Parse a spec string. Accepts the canonical names, microxcaling's element names (`fp8_e4m3`,
 * `int8`, …, meaning MX with an E8M0 scale) and `key=value` parameters after a colon.
 */
export function parseFormat(text: string): FormatSpec {
  if (typeof text !== 'string') throw new FormatError('format', String(text), 'a spec string such as mxfp4 or mxint:m=4');
  const ctx = text.trim();
  const colon = ctx.indexOf(':');
  const name = (colon < 0 ? ctx : ctx.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : ctx.slice(colon + 1).trim();
  let kind: FormatKind;
  let elem: ElemName | undefined;
  if (name in MX_SHORT) {
    kind = 'mx';
    elem = MX_SHORT[name];
  } else if (isElemName(name)) {
    kind = 'mx';
    elem = name;
  } else if (name === 'mxint' || name === 'bfp' || name === 'fixed' || name === 'nvfp4' || name === 'fp32') {
    kind = name;
  } else {
    throw new FormatError('format', name, `one of ${FORMAT_NAMES.join(', ')}`, ctx);
  }
  const params = new Map<string, string>();
  if (rest) {
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) throw new FormatError('parameter', part.trim(), 'key=value', ctx);
      const k = part.slice(0, eq).trim().toLowerCase();
      const v = part.slice(eq + 1).trim().toLowerCase();
      if (!KEYS[kind].includes(k)) {
        throw new FormatError('parameter', k, KEYS[kind].length ? `one of ${KEYS[kind].join(', ')} for ${name}` : `none for ${name}`, ctx);
      }
      if (params.has(k)) throw new FormatError('parameter', k, 'each key once', ctx);
      params.set(k, v);
    }
  }
  const num = (k: string) => (params.has(k) ? parseIntParam(k, params.get(k)!, ctx) : undefined);
  const blk = params.has('block') ? parseBlock(params.get('block')!, ctx) : undefined;
  const round = params.get('round') as Rounding | undefined;
  const def = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
  try {
    switch (kind) {
      case 'fp32':
        return FP32;
      case 'mx':
        return validate(
          {
            kind: 'mx',
            elem: elem!,
            block: def(blk?.block, 32),
            tileRows: def(blk?.tileRows, 1),
            round: def(round, 'nearest'),
            scale: def(params.get('scale') as ScaleRule | undefined, 'floor'),
            scaleBits: def(num('sbits'), 8),
            flush: params.has('flush') ? parseBool('flush', params.get('flush')!, ctx) : false,
          },
          ctx,
        );
      case 'mxint':
      case 'bfp': {
        const e = def(num('e'), 8);
        const base = {
          m: def(num('m'), 8),
          e,
          bias: def(num('bias'), 2 ** (e - 1) - 1),
          block: def(blk?.block, 16),
          tileRows: def(blk?.tileRows, 1),
          round: def(round, 'even'),
        };
        if (kind === 'bfp') return validate({ kind: 'bfp', ...base }, ctx);
        return validate({ kind: 'mxint', ...base, scale: def(params.get('scale') as 'ceil' | 'floor' | undefined, 'ceil') }, ctx);
      }
      case 'fixed': {
        const w = def(num('w'), 8);
        return validate(
          { kind: 'fixed', w, f: def(num('f'), Math.floor(w / 2)), round: def(round, 'even'), saturate: params.has('sat') ? parseBool('sat', params.get('sat')!, ctx) : true },
          ctx,
        );
      }
      case 'nvfp4':
        return validate({ kind: 'nvfp4', block: def(blk?.block, 16), round: def(round, 'even') }, ctx);
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError('format', ctx, 'a valid spec string', ctx);
  }
}

/** Canonical spec string: defaults omitted, keys in a fixed order. parseFormat(formatToString(s)) deep-equals s. */
export function formatToString(spec: FormatSpec): string {
  const s = validate(spec);
  const parts: string[] = [];
  const blockStr = (b: number, t: number) => (t === 1 ? String(b) : `${t}x${b}`);
  switch (s.kind) {
    case 'fp32':
      return 'fp32';
    case 'mx':
      if (s.block !== 32 || s.tileRows !== 1) parts.push(`block=${blockStr(s.block, s.tileRows)}`);
      if (s.round !== 'nearest') parts.push(`round=${s.round}`);
      if (s.scale !== 'floor') parts.push(`scale=${s.scale}`);
      if (s.scaleBits !== 8) parts.push(`sbits=${s.scaleBits}`);
      if (s.flush) parts.push('flush=1');
      return MX_CANONICAL[s.elem] + (parts.length ? ':' + parts.join(',') : '');
    case 'mxint':
    case 'bfp':
      parts.push(`m=${s.m}`);
      if (s.e !== 8) parts.push(`e=${s.e}`);
      if (s.bias !== 2 ** (s.e - 1) - 1) parts.push(`bias=${s.bias}`);
      if (s.block !== 16 || s.tileRows !== 1) parts.push(`block=${blockStr(s.block, s.tileRows)}`);
      if (s.kind === 'mxint' && s.scale !== 'ceil') parts.push(`scale=${s.scale}`);
      if (s.round !== 'even') parts.push(`round=${s.round}`);
      return `${s.kind}:${parts.join(',')}`;
    case 'fixed':
      parts.push(`w=${s.w}`, `f=${s.f}`);
      if (s.round !== 'even') parts.push(`round=${s.round}`);
      if (!s.saturate) parts.push('sat=0');
      return `fixed:${parts.join(',')}`;
    case 'nvfp4':
      if (s.block !== 16) parts.push(`block=${s.block}`);
      if (s.round !== 'even') parts.push(`round=${s.round}`);
      return 'nvfp4' + (parts.length ? ':' + parts.join(',') : '');
  }
}

/** Accept a spec string or object; return a validated spec object. */
export function toSpec(f: FormatSpec | string): FormatSpec {
  return typeof f === 'string' ? parseFormat(f) : validate(f);
}

/** A human-readable one-liner for tooltips and reports. */
export function describeFormat(spec: FormatSpec): string {
  const s = validate(spec);
  switch (s.kind) {
    case 'fp32':
      return 'FP32 (no quantization)';
    case 'mx': {
      const e = ELEMENTS[s.elem];
      const blk = s.tileRows === 1 ? `${s.block}` : `${s.tileRows}×${s.block}`;
      return `MX ${s.elem.toUpperCase()} elements (${e.bits} b), ${s.scaleBits === 8 ? 'E8M0' : `${s.scaleBits}-bit`} scale per ${blk}, ${s.scale} rule, round ${s.round}`;
    }
    case 'mxint':
      return `MXInt ${s.m}-bit mantissas, ${s.e}-bit exponent (bias ${s.bias}) per ${s.tileRows === 1 ? s.block : `${s.tileRows}×${s.block}`}, ${s.scale}, round ${s.round}`;
    case 'bfp':
      return `BFP sign+${s.m - 1}-bit magnitudes, ${s.e}-bit exponent per ${s.tileRows === 1 ? s.block : `${s.tileRows}×${s.block}`}, round ${s.round}`;
    case 'fixed':
      return `Fixed point Q${s.w - s.f}.${s.f} (${s.w} b), round ${s.round}, ${s.saturate ? 'saturating' : 'wrapping'}`;
    case 'nvfp4':
      return `NVFP4: E2M1 elements, E4M3 scale per ${s.block}, FP32 tensor scale, round ${s.round}`;
  }
}
