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
import type { Lanes } from '../cost';
import { ConfigError, resolveConfig, type Graph, type QuantConfig } from '../graph';

export type Tie = 'point' | 'block' | 'opType';
export const TIES: readonly Tie[] = ['point', 'block', 'opType'];

export interface SpaceSpec {
  readonly version: 1;
  readonly tie: Tie;
  readonly menus: readonly { readonly match: string; readonly choices: readonly string[] }[];
  /** Optional per-op parallelism menus over GEMM op ids (`L*.down`, `head`), tied like the formats. */
  readonly lanes?: readonly { readonly match: string; readonly choices: readonly Lanes[] }[];
}

/** MASE's default: every quant point chooses among MASE MXInt mantissa widths 8…2 (`mxint:m=N`, m including the sign; block 32, 8-bit shared exponent) or fp32, tied across blocks. */
export const DEFAULT_SPACE_SPEC: SpaceSpec = {
  version: 1,
  tie: 'block',
  menus: [{ match: '*', choices: ['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},e=8,block=32`)] }],
};

export type Genome = readonly number[];

export interface Gene {
  /** 'format': a config rule; 'lanes': the parallelism of some GEMM ops. */
  readonly kind: 'format' | 'lanes';
  /** The config rule pattern this gene sets (`L*.q.w`, `L0.q.w`, `head.*`), or the op pattern of a lanes gene (`L*.q`). */
  readonly pattern: string;
  /** The quant points it covers (empty for a lanes gene). */
  readonly points: readonly string[];
  /** A lanes gene: the op ids it sets. */
  readonly ops?: readonly string[];
  /** Canonical format specs; for a lanes gene, labels `k32,n1` (`,m2` when lanesM > 1). */
  readonly choices: readonly string[];
  /** A lanes gene: the lanes of each choice. */
  readonly lanes?: readonly Lanes[];
}

/** A design point: the quantization config and the per-op parallelism (ops not listed use the cost model's default). */
export interface Design {
  readonly config: QuantConfig;
  readonly parallelism: Readonly<Record<string, Lanes>>;
}

export interface SearchSpace {
  readonly spec: SpaceSpec;
  readonly genes: readonly Gene[];
  /** Menu size of every gene. */
  readonly cardinality: readonly number[];
  /** Number of distinct genomes (may be Infinity when it overflows a double). */
  readonly size: number;
  /** The config of a genome (format genes only). */
  toConfig(g: Genome): QuantConfig;
  /** Config and parallelism of a genome. */
  toDesign(g: Genome): Design;
  /** The genome of a config: every gene's points must resolve to one menu choice; lanes genes take choice 0. */
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
  let lanes: { match: string; choices: Lanes[] }[] | undefined;
  if (o.lanes !== undefined) {
    if (!Array.isArray(o.lanes)) throw new SpaceError('lanes', 'must be a list of {"match": op glob, "choices": [{"lanesK", "lanesN", "lanesM"?}, …]}');
    lanes = o.lanes.map((m: unknown, i) => {
      if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SpaceError(`lanes[${i}]`, 'must be an object {"match", "choices"}');
      const r = m as Record<string, unknown>;
      const extra = Object.keys(r).filter((k) => k !== 'match' && k !== 'choices');
      if (extra.length) throw new SpaceError(`lanes[${i}].${extra[0]}`, 'unknown key (allowed: match, choices)');
      if (typeof r.match !== 'string' || !PATTERN.test(r.match)) throw new SpaceError(`lanes[${i}].match`, 'must be a glob over op ids (letters, digits, _ . * ?)');
      if (!Array.isArray(r.choices) || r.choices.length === 0) throw new SpaceError(`lanes[${i}].choices`, 'must be a non-empty list of {"lanesK", "lanesN", "lanesM"?}');
      const choices = r.choices.map((c: unknown, j) => {
        const path = `lanes[${i}].choices[${j}]`;
        if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new SpaceError(path, 'must be an object {"lanesK", "lanesN", "lanesM"?}');
        const l = c as Record<string, unknown>;
        const bad = Object.keys(l).find((k) => k !== 'lanesK' && k !== 'lanesN' && k !== 'lanesM');
        if (bad) throw new SpaceError(`${path}.${bad}`, 'unknown key (allowed: lanesK, lanesN, lanesM)');
        for (const k of ['lanesK', 'lanesN', 'lanesM']) {
          const v = l[k];
          if (v === undefined && k === 'lanesM') continue;
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1 << 20) throw new SpaceError(`${path}.${k}`, `must be an integer in 1..${1 << 20} (got ${JSON.stringify(v)})`);
        }
        return { lanesK: l.lanesK as number, lanesN: l.lanesN as number, ...(l.lanesM !== undefined && l.lanesM !== 1 ? { lanesM: l.lanesM as number } : {}) };
      });
      const labels = choices.map(lanesLabel);
      const dup = labels.findIndex((c, j) => labels.indexOf(c) !== j);
      if (dup >= 0) throw new SpaceError(`lanes[${i}].choices[${dup}]`, `${labels[dup]} is listed twice`);
      return { match: r.match, choices };
    });
  }
  const extra = Object.keys(o).filter((k) => k !== 'version' && k !== 'tie' && k !== 'menus' && k !== 'lanes');
  if (extra.length) throw new SpaceError(extra[0], 'unknown key (allowed: version, tie, menus, lanes)');
  return lanes ? { version: 1, tie: tie as Tie, menus, lanes } : { version: 1, tie: tie as Tie, menus };
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
  const genes: Gene[] = [...groups].map(([pattern, g]) => ({ kind: 'format', pattern, points: g.points, choices: spec.menus[g.menu].choices }));
  const nFormat = genes.length;
  if (spec.lanes) {
    const lres = spec.lanes.map((m) => globRegex(m.match));
    const lgroups = new Map<string, { ops: string[]; menu: number }>();
    const lused = new Set<number>();
    for (const op of graph.ops) {
      if (op.type !== 'linear' && op.type !== 'matmul') continue;
      let menu = -1;
      lres.forEach((re, i) => {
        if (re.test(op.id)) menu = i;
      });
      if (menu < 0) continue;
      lused.add(menu);
      const pattern = spec.tie === 'point' || op.layer === null ? op.id : `L*.${op.kind}`;
      const g = lgroups.get(pattern);
      if (!g) lgroups.set(pattern, { ops: [op.id], menu });
      else {
        if (g.menu !== menu) throw new SpaceError(`lanes[${menu}].match`, `${op.id} and ${g.ops[0]} are tied (${pattern}, tie "${spec.tie}") but get different lanes menus (lanes[${menu}] and lanes[${g.menu}])`);
        g.ops.push(op.id);
      }
    }
    const lunused = spec.lanes.findIndex((_, i) => !lused.has(i));
    if (lunused >= 0) throw new SpaceError(`lanes[${lunused}].match`, `${JSON.stringify(spec.lanes[lunused].match)} is the final lanes menu of no GEMM op of this model`);
    for (const [pattern, g] of lgroups) {
      const lanes = spec.lanes[g.menu].choices;
      genes.push({ kind: 'lanes', pattern, points: [], ops: g.ops, choices: lanes.map(lanesLabel), lanes });
    }
  }
  const cardinality = genes.map((g) => g.choices.length);
  const toConfig = (genome: Genome): QuantConfig => {
    checkGenome(genome, cardinality);
    return { version: 1, rules: genes.slice(0, nFormat).map((g, i) => [g.pattern, g.choices[genome[i]]] as const) };
  };
  return {
    spec,
    genes,
    cardinality,
    size: cardinality.reduce((a, b) => a * b, 1),
    toConfig,
    toDesign(genome) {
      const config = toConfig(genome);
      const parallelism: Record<string, Lanes> = {};
      for (let i = nFormat; i < genes.length; i++) for (const op of genes[i].ops!) parallelism[op] = genes[i].lanes![genome[i]];
      return { config, parallelism };
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
        if (g.kind === 'lanes') return 0;
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

const lanesLabel = (l: Lanes): string => `k${l.lanesK},n${l.lanesN}` + (l.lanesM !== undefined && l.lanesM !== 1 ? `,m${l.lanesM}` : '');

/** A stable 64-bit hash (two FNV-1a 32 lanes, hex) of a config's canonical key. */
export function configHash(c: QuantConfig): string {
  return fnv(configKey(c));
}

/** The hash of a design: its config's hash when no parallelism is set, else config key + sorted lanes. */
export function designHash(d: Design): string {
  const ids = Object.keys(d.parallelism).sort();
  if (!ids.length) return configHash(d.config);
  return fnv(configKey(d.config) + '|' + ids.map((id) => `${id}:${lanesLabel(d.parallelism[id])}`).join(';'));
}

function fnv(s: string): string {
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
