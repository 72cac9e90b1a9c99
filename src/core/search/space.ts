/**
 * The search space: a categorical gene per group of quant points, each with a menu of format specs.
 * Built from the graph IR and a JSON spec
 *   { "version": 1, "tie": "point" | "block" | "opType", "menus": [{ "match": glob, "choices": [spec, …] }] }
 * - tie "point":  one gene per quant point (`L0.q.w`);
 * - tie "block":  one gene per point of the repeated decoder block, tied across blocks (`L*.q.w`:
 *                 the layers pane's op-type granularity, `*.down.w`); points outside blocks (`head.x`)
 *                 keep their own gene;
 * - tie "opType": one gene per op kind, every role and every block (`L*.q.*`, `head.*`).
 * A point's menu is the last menu whose glob matches its id; points no menu matches are not searched
 * (they stay fp32). All points of a tied gene must share a menu. Menus list choices from highest to
 * lowest precision: the greedy strategy starts at choice 0 and lowers a gene one step at a time.
 * A trial's genome (one choice index per gene) maps to a QuantConfig with one rule per gene.
 */
import { FormatError, formatToString, parseFormat } from '../formats';
import { ConfigError, resolveConfig, type Graph, type QuantConfig } from '../graph';

export type Tie = 'point' | 'block' | 'opType';
export const TIES: readonly Tie[] = ['point', 'block', 'opType'];

export interface SpaceSpec {
  readonly version: 1;
  readonly tie: Tie;
  readonly menus: readonly { readonly match: string; readonly choices: readonly string[] }[];
}

/** MASE's default: every quant point chooses among MASE MXInt mantissa widths 8…2 (`mxint:m=N`, m including the sign; block 32, 8-bit shared exponent) or fp32, tied across blocks. */
export const DEFAULT_SPACE_SPEC: SpaceSpec = {
  version: 1,
  tie: 'block',
  menus: [{ match: '*', choices: ['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},e=8,block=32`)] }],
};

export type Genome = readonly number[];

export interface Gene {
  /** The config rule pattern this gene sets (`L*.q.w`, `L0.q.w`, `head.*`). */
  readonly pattern: string;
  /** The quant points it covers. */
  readonly points: readonly string[];
  /** Canonical format specs. */
  readonly choices: readonly string[];
}

export interface SearchSpace {
  readonly spec: SpaceSpec;
  readonly genes: readonly Gene[];
  /** Menu size of every gene. */
  readonly cardinality: readonly number[];
  /** Number of distinct genomes (may be Infinity when it overflows a double). */
  readonly size: number;
  toConfig(g: Genome): QuantConfig;
  /** The genome of a config: every gene's points must resolve to one menu choice. */
  fromConfig(c: QuantConfig): number[];
}

/** A space spec that fails validation: `path` says where (`menus[1].choices[2]`). */
export class SpaceError extends Error {
  override readonly name = 'SpaceError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`space ${path}: ${message}`);
  }
}

const PATTERN = /^[A-Za-z0-9_.*?]+$/;
const globRegex = (p: string) => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');

/** Validate untrusted JSON into a SpaceSpec (every choice parsed and canonicalised). */
export function parseSpaceSpec(json: unknown): SpaceSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SpaceError('', 'must be an object {"version": 1, "tie": …, "menus": [{"match", "choices"}, …]}');
  const o = json as Record<string, unknown>;
  if (o.version !== 1) throw new SpaceError('version', `must be 1 (got ${JSON.stringify(o.version)})`);
  const tie = o.tie ?? 'block';
  if (typeof tie !== 'string' || !TIES.includes(tie as Tie)) throw new SpaceError('tie', `must be one of ${TIES.join(', ')} (got ${JSON.stringify(o.tie)})`);
  if (!Array.isArray(o.menus) || o.menus.length === 0) throw new SpaceError('menus', 'must be a non-empty list of {"match": glob, "choices": [spec, …]}');
  const menus = o.menus.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SpaceError(`menus[${i}]`, 'must be an object {"match", "choices"}');
    const r = m as Record<string, unknown>;
    const extra = Object.keys(r).filter((k) => k !== 'match' && k !== 'choices');
    if (extra.length) throw new SpaceError(`menus[${i}].${extra[0]}`, 'unknown key (allowed: match, choices)');
    if (typeof r.match !== 'string' || !PATTERN.test(r.match)) throw new SpaceError(`menus[${i}].match`, 'must be a glob over point ids (letters, digits, _ . * ?)');
    if (!Array.isArray(r.choices) || r.choices.length === 0) throw new SpaceError(`menus[${i}].choices`, 'must be a non-empty list of format specs');
    const choices = r.choices.map((c: unknown, j) => {
      if (typeof c !== 'string') throw new SpaceError(`menus[${i}].choices[${j}]`, 'must be a format spec string');
      try {
        return formatToString(parseFormat(c));
      } catch (e) {
        if (e instanceof FormatError) throw new SpaceError(`menus[${i}].choices[${j}]`, e.message);
        throw e;
      }
    });
    const dup = choices.findIndex((c, j) => choices.indexOf(c) !== j);
    if (dup >= 0) throw new SpaceError(`menus[${i}].choices[${dup}]`, `${choices[dup]} is listed twice`);
    return { match: r.match, choices };
  });
  const extra = Object.keys(o).filter((k) => k !== 'version' && k !== 'tie' && k !== 'menus');
  if (extra.length) throw new SpaceError(extra[0], 'unknown key (allowed: version, tie, menus)');
  return { version: 1, tie: tie as Tie, menus };
}

/** Build the space of a graph. */
export function buildSpace(graph: Graph, specJson: unknown = DEFAULT_SPACE_SPEC): SearchSpace {
  const spec = parseSpaceSpec(specJson);
  const res = spec.menus.map((m) => globRegex(m.match));
  const groups = new Map<string, { points: string[]; menu: number }>();
  const used = new Set<number>();
  for (const p of graph.points) {
    let menu = -1;
    res.forEach((re, i) => {
      if (re.test(p.id)) menu = i;
    });
    if (menu < 0) continue;
    used.add(menu);
    const inBlock = p.layer !== null;
    const pattern =
      spec.tie === 'point' ? p.id : spec.tie === 'block' ? (inBlock ? `L*.${p.kind}.${p.role}` : p.id) : inBlock ? `L*.${p.kind}.*` : `${p.op}.*`;
    const g = groups.get(pattern);
    if (!g) groups.set(pattern, { points: [p.id], menu });
    else {
      if (g.menu !== menu) throw new SpaceError(`menus[${menu}].match`, `${p.id} and ${g.points[0]} are tied (${pattern}, tie "${spec.tie}") but get different menus (menus[${menu}] and menus[${g.menu}])`);
      g.points.push(p.id);
    }
  }
  const unused = spec.menus.findIndex((_, i) => !used.has(i));
  if (unused >= 0) throw new SpaceError(`menus[${unused}].match`, `${JSON.stringify(spec.menus[unused].match)} is the final menu of no quant point of this model`);
  const genes: Gene[] = [...groups].map(([pattern, g]) => ({ pattern, points: g.points, choices: spec.menus[g.menu].choices }));
  const cardinality = genes.map((g) => g.choices.length);
  return {
    spec,
    genes,
    cardinality,
    size: cardinality.reduce((a, b) => a * b, 1),
    toConfig(genome) {
      checkGenome(genome, cardinality);
      return { version: 1, rules: genes.map((g, i) => [g.pattern, g.choices[genome[i]]] as const) };
    },
    fromConfig(c) {
      let formats;
      try {
        formats = resolveConfig(graph, c).formats;
      } catch (e) {
        if (e instanceof ConfigError || e instanceof FormatError) throw new SpaceError('config', e.message);
        throw e;
      }
      return genes.map((g) => {
        const f = g.points.map((p) => formatToString(formats.get(p)!));
        if (f.some((x) => x !== f[0])) throw new SpaceError(`config ${g.pattern}`, `tied points resolve to different formats (${[...new Set(f)].join(', ')})`);
        const k = g.choices.indexOf(f[0]);
        if (k < 0) throw new SpaceError(`config ${g.pattern}`, `${f[0]} is not on this gene's menu (${g.choices.join(', ')})`);
        return k;
      });
    },
  };
}

export function checkGenome(genome: Genome, cardinality: readonly number[]): void {
  if (genome.length !== cardinality.length) throw new SpaceError('genome', `has ${genome.length} genes, the space ${cardinality.length}`);
  genome.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= cardinality[i]) throw new SpaceError(`genome[${i}]`, `choice ${v} is outside 0..${cardinality[i] - 1}`);
  });
}

/** A canonical text of a config (rules as given, specs canonicalised): equal configs give equal keys. */
export function configKey(c: QuantConfig): string {
  return JSON.stringify(c.rules.map(([p, s]) => [p, formatToString(parseFormat(s))]));
}

/** A stable 64-bit hash (two FNV-1a 32 lanes, hex) of a config's canonical key. */
export function configHash(c: QuantConfig): string {
  const s = configKey(c);
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193) >>> 0;
    b = Math.imul(b ^ ch, 0x01000193) >>> 0;
    b = (b ^ (b >>> 13)) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
