/**
 * The Layers pane's view of a QuantConfig: the three granularities as rule patterns, rules kept in
 * specificity order (whole model, then op types, then points) so editing the whole model never
 * overrides a more specific choice, and "which rule set this point".
 */
import { FP32, bitsPerElement, formatToString, parseFormat, type FormatSpec } from '../../core/formats';
import { matchPoints, parseConfig, type Graph, type QuantConfig, type QuantPoint } from '../../core/graph';

export const MODEL_PATTERN = '*';

/** The op-type pattern of a point: `*.down.w` inside blocks, the point id itself outside (`head.w`). */
export function typePattern(p: Pick<QuantPoint, 'kind' | 'role' | 'layer'>): string {
  return p.layer === null ? `${p.kind}.${p.role}` : `*.${p.kind}.${p.role}`;
}

export interface TypeGroup {
  pattern: string;
  kind: string;
  role: string;
  points: QuantPoint[];
}

/** Op-type groups in graph order (quantKinds × roles). */
export function typeGroups(g: Graph): TypeGroup[] {
  const groups = new Map<string, TypeGroup>();
  for (const kind of g.quantKinds) {
    for (const p of g.points) {
      if (p.kind !== kind) continue;
      const pattern = typePattern(p);
      let grp = groups.get(pattern);
      if (!grp) groups.set(pattern, (grp = { pattern, kind, role: p.role, points: [] }));
      grp.points.push(p);
    }
  }
  return [...groups.values()];
}

/** 0: whole model, 1: op type or other globs, 2: a single point id. */
export function specificity(pattern: string, g: Graph | null): number {
  if (pattern === MODEL_PATTERN) return 0;
  if (g?.pointById.has(pattern) && !/[*?]/.test(pattern)) return 2;
  return 1;
}

/**
 * Set (or, with spec null, remove) the rule for `pattern`. An existing rule keeps its place; a new
 * one goes after the rules of its specificity and before more specific ones.
 */
export function setRule(c: QuantConfig, pattern: string, spec: string | null, g: Graph | null): QuantConfig {
  const rules = c.rules.map(([p, s]) => [p, s] as [string, string]);
  const i = rules.findIndex(([p]) => p === pattern);
  if (spec === null) {
    if (i >= 0) rules.splice(i, 1);
  } else if (i >= 0) {
    rules[i] = [pattern, spec];
  } else {
    const level = specificity(pattern, g);
    let at = rules.length;
    for (let k = 0; k < rules.length; k++) {
      if (specificity(rules[k][0], g) > level) {
        at = k;
        break;
      }
    }
    rules.splice(at, 0, [pattern, spec]);
  }
  return parseConfig({ version: 1, rules });
}

export interface Resolved {
  spec: FormatSpec;
  specString: string;
  /** The rule that set it (the last match), or null: no rule matches, fp32. */
  rule: string | null;
}

/** Every point's format and the rule that set it (last match wins, as in core's resolveConfig). */
export function resolveWithRules(g: Graph, c: QuantConfig): Map<string, Resolved> {
  const out = new Map<string, Resolved>();
  for (const p of g.points) out.set(p.id, { spec: FP32, specString: 'fp32', rule: null });
  for (const [pattern, s] of c.rules) {
    const spec = parseFormat(s);
    const str = formatToString(spec);
    for (const p of matchPoints(g, pattern)) out.set(p.id, { spec, specString: str, rule: pattern });
  }
  return out;
}

/** Element count of a point for bits-per-element (activations: one window of `t` tokens). */
export function pointNumel(p: QuantPoint, t: number): number {
  return p.shape.reduce<number>((a, d) => a * (d === 'T' ? t : d), 1);
}

/** Storage bits per element of a point's format. */
export function pointBits(spec: FormatSpec, p: QuantPoint, t = 256): number {
  return bitsPerElement(spec, pointNumel(p, t));
}

/** Average bits per weight element over every weight point (what the weights cost in memory). */
export function weightBits(g: Graph, resolved: ReadonlyMap<string, Resolved>): number {
  let bits = 0;
  let n = 0;
  for (const p of g.points) {
    if (!p.isWeight) continue;
    const e = pointNumel(p, 1);
    const r = resolved.get(p.id);
    bits += (r ? pointBits(r.spec, p) : 32) * e;
    n += e;
  }
  return n ? bits / n : 32;
}

/** The common format of a set of points, or null when they differ. */
export function commonSpec(points: readonly QuantPoint[], resolved: ReadonlyMap<string, Resolved>): string | null {
  let s: string | null = null;
  for (const p of points) {
    const r = resolved.get(p.id)?.specString ?? 'fp32';
    if (s === null) s = r;
    else if (s !== r) return null;
  }
  return s;
}
