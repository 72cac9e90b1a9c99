/**
 * Quantization configs: ordered glob rules over quant-point ids, later rules winning. This is the
 * JSON the studio saves, the CLI reads (`--config`) and the share URL carries. The three
 * granularities of the layers pane are just patterns:
 *   whole model   ["*", "mxint8"]
 *   op type       ["*.down.w", "mxfp4"]        (every block: tied across repeated decoder blocks)
 *   single point  ["L2.q.x", "fp32"]
 * Unmatched points are fp32.
 */
import { FP32, FormatError, formatToString, parseFormat, type FormatSpec } from '../formats';
import type { Graph, QuantPoint } from './graph';

export interface QuantConfig {
  readonly version: 1;
  /** [glob pattern over point ids, format spec string]; `*` matches any run of characters, `?` one. */
  readonly rules: readonly (readonly [string, string])[];
}

export const EMPTY_CONFIG: QuantConfig = { version: 1, rules: [] };

/** A config that fails validation: `path` says where (e.g. `rules[2][1]`). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`config ${path}: ${message}`);
  }
}

const PATTERN = /^[A-Za-z0-9_.*?]+$/;

function globRegex(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** Validate untrusted JSON (a file, a URL) into a QuantConfig; every spec string is parsed. */
export function parseConfig(json: unknown): QuantConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('', 'must be an object {"version": 1, "rules": [[pattern, format], …]}');
  const o = json as Record<string, unknown>;
  if (o.version !== 1) throw new ConfigError('version', `must be 1 (got ${JSON.stringify(o.version)})`);
  if (!Array.isArray(o.rules)) throw new ConfigError('rules', 'must be a list of [pattern, format] pairs');
  const rules = o.rules.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'string' || typeof r[1] !== 'string') {
      throw new ConfigError(`rules[${i}]`, 'must be a [pattern, format] pair of strings');
    }
    if (!PATTERN.test(r[0])) throw new ConfigError(`rules[${i}][0]`, `pattern ${JSON.stringify(r[0])} may use letters, digits, _ . and the wildcards * ?`);
    try {
      return [r[0], formatToString(parseFormat(r[1]))] as const;
    } catch (e) {
      if (e instanceof FormatError) throw new ConfigError(`rules[${i}][1]`, e.message);
      throw e;
    }
  });
  const extra = Object.keys(o).filter((k) => k !== 'version' && k !== 'rules');
  if (extra.length) throw new ConfigError(extra[0], 'unknown key (allowed: version, rules)');
  return { version: 1, rules };
}

/** One format for every point: `--uniform SPEC`. */
export function uniformConfig(spec: string): QuantConfig {
  return parseConfig({ version: 1, rules: [['*', spec]] });
}

/** Set a rule: drop an earlier rule with the same pattern, append this one (so it wins). */
export function withRule(c: QuantConfig, pattern: string, spec: string): QuantConfig {
  const next = parseConfig({ version: 1, rules: [...c.rules.filter(([p]) => p !== pattern), [pattern, spec]] });
  return next;
}

export interface ResolvedConfig {
  /** The format of every quant point (fp32 where no rule matches). */
  readonly formats: ReadonlyMap<string, FormatSpec>;
  /** Patterns that match no point of this graph (kept, reported: configs travel between models). */
  readonly unmatched: readonly string[];
}

/** Resolve a config against a graph: the last matching rule wins. */
export function resolveConfig(graph: Graph, config: QuantConfig): ResolvedConfig {
  const compiled = config.rules.map(([p, s]) => ({ p, re: globRegex(p), spec: parseFormat(s), hits: 0 }));
  const formats = new Map<string, FormatSpec>();
  for (const pt of graph.points) {
    let f: FormatSpec = FP32;
    for (const r of compiled) {
      if (r.re.test(pt.id)) {
        f = r.spec;
        r.hits++;
      }
    }
    formats.set(pt.id, f);
  }
  return { formats, unmatched: compiled.filter((r) => r.hits === 0).map((r) => r.p) };
}

/** Points a pattern addresses (for the UI's "this rule applies to N points"). */
export function matchPoints(graph: Graph, pattern: string): QuantPoint[] {
  const re = globRegex(pattern);
  return graph.points.filter((p) => re.test(p.id));
}
