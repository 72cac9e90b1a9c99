/**
 * The Format Explorer's URL-hash codec: `#f=mxfp4:block=16&gen=outliers&n=4096&seed=1`.
 * Only decisions go in (spec, generator settings, short pasted data), never results.
 * Decoding is forgiving field by field: a bad field falls back to its default with a message
 * naming it, and every other field of the link is kept.
 *
 * When src/core/session (the versioned session codec) lands, this becomes its explorer section.
 */
import { FormatError, formatToString, parseFormat } from '../core/formats';
import { GEN_LIMITS, TENSOR_DISTS, type TensorDist } from '../core/tensors';
import { DEFAULT_EXPLORER, type ExplorerDoc, type TensorDoc } from './document';
import { MODEL_HASH_KEYS } from './modelHash';
import { SEARCH_HASH_KEYS } from './searchHash';
import { HARDWARE_HASH_KEYS } from './hardware';

/** Pasted data longer than this stays out of the link (it would make links unwieldy). */
export const MAX_HASH_PASTE = 4000;

// Characters safe and readable in a fragment: keep spec strings like `mxint:m=4,block=16` legible.
function enc(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%3D/gi, '=').replace(/%20/g, '+');
}

export function encodeExplorerHash(doc: ExplorerDoc): string {
  const t = doc.tensor;
  const d = DEFAULT_EXPLORER.tensor;
  const parts: string[] = [`f=${enc(doc.spec)}`];
  if (t.source === 'paste' && t.paste.length <= MAX_HASH_PASTE) {
    parts.push('gen=paste', `data=${enc(t.paste.trim().replace(/\s*[\s,;]\s*/g, ','))}`);
    if (t.cols !== d.cols) parts.push(`cols=${t.cols}`);
  } else {
    parts.push(`gen=${t.dist}`, `n=${t.n}`);
    if (t.cols !== d.cols) parts.push(`cols=${t.cols}`);
    if (t.dist === 'student') parts.push(`df=${t.df}`);
    parts.push(`seed=${t.seed}`);
  }
  return '#' + parts.join('&');
}

/** True when a link made from this document would drop the pasted data. */
export function pasteTooLongForLink(doc: ExplorerDoc): boolean {
  return doc.tensor.source === 'paste' && doc.tensor.paste.length > MAX_HASH_PASTE;
}

export interface DecodedHash {
  doc: ExplorerDoc;
  /** One sentence per field that was malformed and replaced by its default. */
  problems: string[];
  /** False for an empty hash: keep whatever the page has. */
  present: boolean;
}

function intField(params: Map<string, string>, key: string, lo: number, hi: number, def: number, problems: string[], label = key): number {
  const raw = params.get(key);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < lo || Number(raw) > hi) {
    problems.push(`${label}=${JSON.stringify(raw)} is not an integer from ${lo} to ${hi}; using ${def}.`);
    return def;
  }
  return Number(raw);
}

export function decodeExplorerHash(hash: string, base: ExplorerDoc = DEFAULT_EXPLORER): DecodedHash {
  const body = hash.replace(/^#/, '');
  if (!body.trim()) return { doc: base, problems: [], present: false };
  const problems: string[] = [];
  const params = new Map<string, string>();
  for (const part of body.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    let value = eq < 0 ? '' : part.slice(eq + 1);
    try {
      value = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      problems.push(`${key} has a broken %-escape; ignored.`);
      continue;
    }
    params.set(key, value);
  }

  let spec = base.spec;
  const f = params.get('f');
  if (f !== undefined) {
    try {
      spec = formatToString(parseFormat(f));
    } catch (e) {
      const why = e instanceof FormatError ? `${e.param} ${JSON.stringify(e.given)} — allowed ${e.allowed}` : String(e);
      problems.push(`The format "${f}" is not valid (${why}); using ${base.spec}.`);
    }
  }

  const d = base.tensor;
  const t: TensorDoc = { ...d };
  const gen = params.get('gen');
  if (gen === 'paste') {
    t.source = 'paste';
    t.paste = (params.get('data') ?? '').replace(/,/g, ', ');
    if (!t.paste) problems.push('gen=paste without data=…; the paste box is empty.');
  } else if (gen !== undefined) {
    if ((TENSOR_DISTS as readonly string[]).includes(gen)) {
      t.source = 'generate';
      t.dist = gen as TensorDist;
    } else {
      problems.push(`gen=${JSON.stringify(gen)} is not one of ${[...TENSOR_DISTS, 'paste'].join(', ')}; using ${d.dist}.`);
    }
  }
  t.n = intField(params, 'n', GEN_LIMITS.minN, GEN_LIMITS.maxN, d.n, problems);
  t.cols = intField(params, 'cols', 1, GEN_LIMITS.maxN, d.cols, problems, 'cols (row length)');
  t.seed = intField(params, 'seed', 0, GEN_LIMITS.maxSeed, d.seed, problems);
  t.df = intField(params, 'df', GEN_LIMITS.minDf, GEN_LIMITS.maxDf, d.df, problems);

  // The model's fields (m, q, mode, tok) are read by modelHash.ts, the search settings (s) by
  // searchHash.ts, the hardware assumptions (hw) by hardware.ts.
  const known = new Set(['f', 'gen', 'data', 'n', 'cols', 'seed', 'df', ...MODEL_HASH_KEYS, ...SEARCH_HASH_KEYS, ...HARDWARE_HASH_KEYS]);
  const unknown = [...params.keys()].filter((k) => !known.has(k));
  if (unknown.length) problems.push(`Unknown link field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ignored.`);

  return { doc: { spec, tensor: t }, problems, present: true };
}
