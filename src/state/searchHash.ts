/**
 * The search section of the URL hash: `&s=<version>.<base64url(JSON)>` (`<version>z.` when deflating
 * makes it shorter), present only when the settings differ from the defaults. The JSON holds only
 * the fields that differ, so a link that changed the seed says `{"seed":7}`.
 *
 * Versioned with migrations: version 1 is the SearchDoc of state/searchDoc.ts. A later schema adds
 * `MIGRATIONS[1] = (v1) => v2` and bumps SEARCH_HASH_VERSION; old links then still open. A link
 * from a newer studio is refused with a message (its fields may mean something this one cannot do).
 *
 * Decoding is forgiving like the other sections: a broken payload falls back to the defaults with a
 * message; a bad field falls back alone (parseSearchDoc). Only decisions go in, never trials.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { b64url, unb64url } from './modelHash';
import { DEFAULT_SEARCH, parseSearchDoc, type SearchDoc } from './searchDoc';

export const SEARCH_HASH_KEYS: readonly string[] = ['s'];
export const SEARCH_HASH_VERSION = 1;

/** Upgrades of the JSON payload: MIGRATIONS[n] turns version n into version n + 1. */
const MIGRATIONS: Readonly<Record<number, (o: Record<string, unknown>) => Record<string, unknown>>> = {};

/** The fields of `doc` that differ from the defaults. */
export function searchDiff(doc: SearchDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_SEARCH) as (keyof SearchDoc)[]) if (JSON.stringify(doc[k]) !== JSON.stringify(DEFAULT_SEARCH[k])) out[k] = doc[k];
  return out;
}

/** `s=…` for the hash (no leading &), or '' for the default settings. */
export function encodeSearchHash(doc: SearchDoc): string {
  const diff = searchDiff(doc);
  if (!Object.keys(diff).length) return '';
  const json = strToU8(JSON.stringify(diff));
  const plain = `${SEARCH_HASH_VERSION}.${b64url(json)}`;
  if (json.length < 120) return `s=${plain}`;
  const packed = `${SEARCH_HASH_VERSION}z.${b64url(deflateSync(json, { level: 9 }))}`;
  return `s=${packed.length < plain.length ? packed : plain}`;
}

export interface DecodedSearchHash {
  doc: SearchDoc;
  problems: string[];
  /** False when the hash has no search field: keep whatever the page has. */
  present: boolean;
}

/** Decode `s` from a whole hash. */
export function decodeSearchHash(hash: string): DecodedSearchHash {
  let raw: string | undefined;
  for (const part of hash.replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 's') raw = part.slice(eq + 1);
  }
  if (raw === undefined) return { doc: DEFAULT_SEARCH, problems: [], present: false };
  const fail = (why: string): DecodedSearchHash => ({ doc: DEFAULT_SEARCH, problems: [`The search settings s= could not be read (${why}); using the default search settings.`], present: true });
  const m = /^(\d+)(z?)\.(.*)$/.exec(raw);
  if (!m) return fail('expected <version>.<base64url JSON>');
  const version = Number(m[1]);
  if (version > SEARCH_HASH_VERSION || version < 1) return fail(`version ${m[1]} is not known (this studio reads versions 1 to ${SEARCH_HASH_VERSION})`);
  let obj: unknown;
  try {
    const bytes = unb64url(m[3]);
    obj = JSON.parse(strFromU8(m[2] ? inflateSync(bytes) : bytes));
  } catch {
    return fail('not valid base64url JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return fail('not a JSON object');
  let o = obj as Record<string, unknown>;
  for (let v = version; v < SEARCH_HASH_VERSION; v++) o = MIGRATIONS[v](o);
  const r = parseSearchDoc(o);
  return { doc: r.doc, problems: r.problems.map((p) => p.charAt(0).toUpperCase() + p.slice(1)), present: true };
}
