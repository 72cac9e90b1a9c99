/**
 * The model section of the URL hash: which model, the per-point formats, the emulation mode and
 * the token budget. Appended to the explorer's fields, and only when it differs from the default,
 * so a link that never touched a model stays as short as before:
 *
 *   #f=mxfp4&gen=outliers&n=4096&seed=1&m=default&q=1.W1siKiIsIm14aW50OCJdXQ&ln=1.L0.q=16x4&mode=integer&tok=8192
 *
 * - `m`     `default` | `url:<folder or HF repo URL>` | `files:<name>` (local files cannot travel in
 *           a link; the receiver is asked to open them)
 * - `q`     the QuantConfig's rules: `<version>.<base64url(JSON rules)>`, or `<version>z.<…>` when
 *           deflating makes it shorter (configs with a rule per point). Version 1 = QuantConfig v1.
 * - `ln`    per-layer lanes of the linears (state/lanes.ts): `<version>.<op>=<K>x<N>,…` in the CLI's
 *           `--lanes` syntax (`1.L0.q=16x4,head=8x8`), or `<version>z.<base64url(deflate(list))>` when
 *           that is shorter. Version 1. Absent = every op at the Cost pane's default lanes, which is
 *           how links made before per-layer lanes existed load (they have no `ln`), unchanged.
 * - `mode`  `integer` (absent = fake quantization)
 * - `tok`   evaluation tokens (absent = 4096)
 * - `wr`    weight rounding: `gptq` (absent = round to nearest)
 *
 * Decoding is forgiving field by field, like the explorer's: a bad field falls back to its default
 * with a message naming it, and every other field of the link is kept — within `ln`, part by part
 * (a malformed `L0.q=3x` is named and dropped, the other ops keep their lanes). Only decisions go
 * in, never results.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { ConfigError, EMPTY_CONFIG, parseConfig, type QuantConfig } from '../core/graph';
import { DEFAULT_MODEL, TOKEN_BUDGETS, type EvalMode, type ModelDoc, type ModelRef, type WeightRounding } from './document';
import { MAX_OP_LANES, NO_LANES, compareOpIds, isPow2, type LanesMap, type OpLanes } from './lanes';

/** Hash fields this codec owns (the explorer's decoder leaves them alone). */
export const MODEL_HASH_KEYS: readonly string[] = ['m', 'q', 'ln', 'mode', 'tok', 'wr'];

/** The version of the `q` payload: the QuantConfig schema version it carries. */
export const QUANT_HASH_VERSION = 1;

/** Links longer than this get a warning in the UI (8bitworkshop warns at 5,120 characters). */
export const LONG_LINK = 5120;

/** base64url without padding (shared by the link codecs). */
export function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `1.<b64url(JSON rules)>`, or `1z.<b64url(deflate(JSON rules))>` when that is shorter. */
export function encodeQuant(c: QuantConfig): string {
  const json = strToU8(JSON.stringify(c.rules));
  const plain = `${QUANT_HASH_VERSION}.${b64url(json)}`;
  if (json.length < 120) return plain;
  const packed = `${QUANT_HASH_VERSION}z.${b64url(deflateSync(json, { level: 9 }))}`;
  return packed.length < plain.length ? packed : plain;
}

/** Inverse of encodeQuant; throws an Error whose message says what is wrong. */
export function decodeQuant(s: string): QuantConfig {
  const m = /^(\d+)(z?)\.(.*)$/.exec(s);
  if (!m) throw new Error('expected <version>.<base64url rules>');
  if (Number(m[1]) !== QUANT_HASH_VERSION) throw new Error(`version ${m[1]} is not known (this studio reads version ${QUANT_HASH_VERSION})`);
  let text: string;
  try {
    const bytes = unb64url(m[3]);
    text = strFromU8(m[2] ? inflateSync(bytes) : bytes);
  } catch {
    throw new Error('the rules are not valid base64url' + (m[2] ? ' deflate data' : ''));
  }
  let rules: unknown;
  try {
    rules = JSON.parse(text);
  } catch {
    throw new Error('the rules are not valid JSON');
  }
  try {
    return parseConfig({ version: 1, rules });
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(e.message, { cause: e });
    throw e;
  }
}

/** The version of the `ln` payload. */
export const LANES_HASH_VERSION = 1;

const OP_ID = /^[A-Za-z0-9_.]+$/;

/** `1.L0.q=16x4,head=8x8` (op ids in order), or `1z.<b64url(deflate(list))>` when that is shorter; '' for no lanes. */
export function encodeLanes(m: LanesMap): string {
  const ids = Object.keys(m).sort(compareOpIds);
  if (!ids.length) return '';
  const list = ids.map((id) => `${id}=${m[id].lanesK}x${m[id].lanesN}`).join(',');
  const plain = `${LANES_HASH_VERSION}.${list}`;
  if (list.length < 120) return plain;
  const packed = `${LANES_HASH_VERSION}z.${b64url(deflateSync(strToU8(list), { level: 9 }))}`;
  return packed.length < plain.length ? packed : plain;
}

/**
 * Inverse of encodeLanes, part by part: a malformed part is named in `problems` and dropped, the
 * others are kept. A payload that cannot be read at all (unknown version, broken deflate data) gives
 * no lanes and one problem.
 */
export function decodeLanes(s: string): { lanes: LanesMap; problems: string[] } {
  const m = /^(\d+)(z?)\.(.*)$/s.exec(s);
  const none = (why: string) => ({ lanes: NO_LANES, problems: [`The per-layer lanes ln= could not be read (${why}); every layer uses the default lanes.`] });
  if (!m) return none('expected <version>.<op>=<K>x<N>,…');
  if (Number(m[1]) !== LANES_HASH_VERSION) return none(`version ${m[1]} is not known (this studio reads version ${LANES_HASH_VERSION})`);
  let list = m[3];
  if (m[2]) {
    try {
      list = strFromU8(inflateSync(unb64url(list)));
    } catch {
      return none('the list is not valid base64url deflate data');
    }
  }
  const out: Record<string, OpLanes> = {};
  const problems: string[] = [];
  for (const part of list.split(',')) {
    if (part === '') continue;
    const bad = (why: string) => problems.push(`ln part ${JSON.stringify(part)}: ${why}; ignored (that layer uses the default lanes).`);
    const eq = part.indexOf('=');
    const id = eq < 0 ? '' : part.slice(0, eq);
    const pm = /^(\d+)x(\d+)$/.exec(part.slice(eq + 1));
    if (eq < 0 || !OP_ID.test(id)) bad('expected <op>=<K>x<N>, e.g. L0.q=16x4');
    else if (!pm) bad(`the lanes ${JSON.stringify(part.slice(eq + 1))} are not <K>x<N>`);
    else if (Object.prototype.hasOwnProperty.call(out, id)) bad(`${id} is set twice (the first is kept)`);
    else {
      const l = { lanesK: Number(pm[1]), lanesN: Number(pm[2]) };
      const off = ([['lanesK', l.lanesK], ['lanesN', l.lanesN]] as const).find(([, v]) => !isPow2(v) || v > MAX_OP_LANES);
      if (off) bad(`${off[0]} = ${off[1]} is not a power of two from 1 to ${MAX_OP_LANES}`);
      else out[id] = l;
    }
  }
  const ids = Object.keys(out).sort(compareOpIds);
  return { lanes: ids.length ? Object.fromEntries(ids.map((id) => [id, out[id]])) : NO_LANES, problems };
}

function enc(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}

export function encodeRef(ref: ModelRef): string {
  return ref.kind === 'default' ? 'default' : ref.kind === 'url' ? `url:${ref.url}` : `files:${ref.name}`;
}

/** True for an http(s) URL the loader may fetch. */
export function isModelUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The model fields for the hash (without a leading & or #), or '' when the model document is the default. */
export function encodeModelHash(doc: ModelDoc): string {
  const d = DEFAULT_MODEL;
  const parts: string[] = [];
  const quant = doc.quant.rules.length > 0;
  const lanes = encodeLanes(doc.lanes);
  if (doc.ref.kind !== 'default' || quant || lanes || doc.mode !== d.mode || doc.tokens !== d.tokens || doc.rounding !== d.rounding) parts.push(`m=${enc(encodeRef(doc.ref))}`);
  if (quant) parts.push(`q=${encodeQuant(doc.quant)}`);
  if (lanes) parts.push(`ln=${lanes}`);
  if (doc.mode !== d.mode) parts.push(`mode=${doc.mode}`);
  if (doc.tokens !== d.tokens) parts.push(`tok=${doc.tokens}`);
  if (doc.rounding !== d.rounding) parts.push(`wr=${doc.rounding}`);
  return parts.join('&');
}

export interface DecodedModelHash {
  doc: ModelDoc;
  problems: string[];
  /** False when the hash has no model field: keep whatever the page has. */
  present: boolean;
}

/** Decode the model fields from already split and %-decoded hash parameters. */
export function decodeModelParams(params: ReadonlyMap<string, string>, base: ModelDoc = DEFAULT_MODEL): DecodedModelHash {
  const present = MODEL_HASH_KEYS.some((k) => params.has(k));
  if (!present) return { doc: base, problems: [], present: false };
  const problems: string[] = [];
  const d = DEFAULT_MODEL;

  let ref: ModelRef = d.ref;
  const m = params.get('m');
  if (m !== undefined) {
    if (m === 'default') ref = { kind: 'default' };
    else if (m.startsWith('url:') && isModelUrl(m.slice(4))) ref = { kind: 'url', url: m.slice(4) };
    else if (m.startsWith('files:') && m.length > 6) ref = { kind: 'files', name: m.slice(6) };
    else problems.push(`The model m=${JSON.stringify(m)} is not "default", "url:<http(s) URL>" or "files:<name>"; using the default model.`);
  }

  let quant: QuantConfig = EMPTY_CONFIG;
  const q = params.get('q');
  if (q !== undefined) {
    try {
      quant = decodeQuant(q);
    } catch (e) {
      problems.push(`The formats q= could not be read (${e instanceof Error ? e.message : String(e)}); every point is fp32.`);
    }
  }

  let lanes: LanesMap = NO_LANES;
  const ln = params.get('ln');
  if (ln !== undefined) {
    const r = decodeLanes(ln);
    lanes = r.lanes;
    problems.push(...r.problems);
  }

  let mode: EvalMode = d.mode;
  const md = params.get('mode');
  if (md !== undefined) {
    if (md === 'fake' || md === 'integer') mode = md;
    else problems.push(`mode=${JSON.stringify(md)} is not fake or integer; using ${d.mode}.`);
  }

  let tokens = d.tokens;
  const tok = params.get('tok');
  if (tok !== undefined) {
    if ((TOKEN_BUDGETS as readonly number[]).includes(Number(tok)) && /^\d+$/.test(tok)) tokens = Number(tok);
    else problems.push(`tok=${JSON.stringify(tok)} is not one of ${TOKEN_BUDGETS.join(', ')}; using ${d.tokens}.`);
  }
  let rounding: WeightRounding = d.rounding;
  const wr = params.get('wr');
  if (wr !== undefined) {
    if (wr === 'nearest' || wr === 'gptq') rounding = wr;
    else problems.push(`wr=${JSON.stringify(wr)} is not nearest or gptq; using ${d.rounding}.`);
  }
  return { doc: { ref, quant, mode, tokens, lanes, rounding }, problems, present: true };
}

/** Decode the model fields of a whole hash (broken %-escapes are skipped here; the explorer's decoder reports them). */
export function decodeModelHash(hash: string, base: ModelDoc = DEFAULT_MODEL): DecodedModelHash {
  const params = new Map<string, string>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    if (!MODEL_HASH_KEYS.includes(key)) continue;
    try {
      params.set(key, decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' ')));
    } catch {
      // reported by decodeExplorerHash
    }
  }
  return decodeModelParams(params, base);
}
