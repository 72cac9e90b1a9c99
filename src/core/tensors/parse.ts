/**
 * Parse pasted numbers (from a spreadsheet, numpy/PyTorch printouts or a log) defensively:
 * never eval, a specific message for the first bad tokens, and a size cap so a huge paste cannot
 * freeze the page.
 */

/** Largest paste accepted (elements). */
export const MAX_PASTED = 1 << 20;

export interface ParsedNumbers {
  values: Float32Array;
  /** Tokens that were finite in the text but overflowed float32 (they become ±Inf). */
  overflowed: number;
}

export class NumberParseError extends Error {
  override readonly name = 'NumberParseError';
  constructor(
    message: string,
    /** The offending tokens with 1-based line and column, for highlighting. */
    readonly bad: readonly { token: string; line: number; column: number }[] = [],
  ) {
    super(message);
  }
}

// Separators: comma, semicolon, any whitespace. Brackets and parentheses are dropped so
// "[1.0, 2.0]" and "tensor([1., 2.])" paste as they print.
const TOKEN = /[^\s,;[\]()]+/g;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const SPECIAL: Record<string, number> = { nan: NaN, '+nan': NaN, '-nan': NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };
// Wrapper words of common printouts, skipped rather than reported.
const WRAPPERS = new Set(['tensor', 'array', 'np.array', 'torch.tensor', 'dtype=float32', 'dtype=torch.float32', 'dtype=np.float32']);

export function parseNumbers(text: string): ParsedNumbers {
  const out: number[] = [];
  const bad: { token: string; line: number; column: number }[] = [];
  let badCount = 0;
  let overflowed = 0;
  // line starts, to report positions
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const posOf = (index: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - lineStarts[lo] + 1 };
  };
  for (const m of text.matchAll(TOKEN)) {
    const tok = m[0];
    const low = tok.toLowerCase();
    if (WRAPPERS.has(low)) continue;
    let v: number;
    if (NUMBER.test(tok)) {
      v = Number(tok);
      const f = Math.fround(v);
      if (Number.isFinite(v) && !Number.isFinite(f)) overflowed++;
    } else if (low in SPECIAL) {
      v = SPECIAL[low];
    } else {
      badCount++;
      if (bad.length < 3) bad.push({ token: tok, ...posOf(m.index ?? 0) });
      continue;
    }
    if (out.length >= MAX_PASTED) throw new NumberParseError(`too many numbers: at most ${MAX_PASTED.toLocaleString('en-US')} can be pasted`);
    out.push(v);
  }
  if (badCount) {
    const list = bad.map((b) => `"${b.token.length > 24 ? b.token.slice(0, 24) + '…' : b.token}" at line ${b.line}, column ${b.column}`).join('; ');
    const more = badCount > bad.length ? ` and ${badCount - bad.length} more` : '';
    throw new NumberParseError(`${badCount === 1 ? 'not a number' : `${badCount} tokens are not numbers`}: ${list}${more}. Separate numbers with commas, spaces or new lines; nan and inf are accepted.`, bad);
  }
  if (!out.length) throw new NumberParseError('no numbers found: paste values separated by commas, spaces or new lines');
  return { values: Float32Array.from(out), overflowed };
}
