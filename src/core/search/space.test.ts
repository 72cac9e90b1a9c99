import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../graph';
import { buildSpace, configHash, configKey, DEFAULT_SPACE_SPEC, SpaceError } from './space';
import { tinyGraph } from './testSpace';

const graph = tinyGraph();

function err(f: () => unknown): SpaceError {
  try {
    f();
  } catch (e) {
    if (e instanceof SpaceError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('search space', () => {
  it('default: MASE menu on every point, tied across blocks', () => {
    const s = buildSpace(graph);
    // per block: q,k,v,o x/w (8) + qk a/b, pv a/b (4) + gate, up, down x/w (6) = 18; head x/w = 2
    expect(s.genes.length).toBe(20);
    expect(s.genes[0]).toEqual({ pattern: 'L*.q.x', points: ['L0.q.x', 'L1.q.x'], choices: ['fp32', ...[8, 7, 6, 5, 4, 3, 2].map((m) => `mxint:m=${m},block=32`)] });
    expect(s.genes.at(-1)!.pattern).toBe('head.w');
    expect(s.cardinality.every((c) => c === 8)).toBe(true);
    expect(s.size).toBe(8 ** 20);
  });
  it('tie point and opType', () => {
    expect(buildSpace(graph, { ...DEFAULT_SPACE_SPEC, tie: 'point' }).genes.length).toBe(graph.points.length);
    const op = buildSpace(graph, { ...DEFAULT_SPACE_SPEC, tie: 'opType' });
    expect(op.genes.map((g) => g.pattern)).toEqual(['L*.q.*', 'L*.k.*', 'L*.v.*', 'L*.qk.*', 'L*.pv.*', 'L*.o.*', 'L*.gate.*', 'L*.up.*', 'L*.down.*', 'head.*']);
    expect(op.genes[0].points).toEqual(['L0.q.x', 'L0.q.w', 'L1.q.x', 'L1.q.w']);
  });
  it('genome ↔ config round-trips and resolves on the graph', () => {
    const s = buildSpace(graph, { version: 1, tie: 'block', menus: [{ match: '*', choices: ['fp32', 'mxint8'] }, { match: '*.w', choices: ['mxint:m=4', 'mxfp4', 'mxint:m=4,block=8'] }] });
    const g = s.genes.map((x, i) => (i % x.choices.length));
    const c = s.toConfig(g);
    expect(s.fromConfig(c)).toEqual(g);
    const f = resolveConfig(graph, c).formats;
    const wGene = s.genes.findIndex((x) => x.pattern === 'L*.down.w');
    expect(f.get('L1.down.w')!.kind).toBe(s.genes[wGene].choices[g[wGene]].startsWith('mxfp') ? 'mx' : 'mxint');
    // points outside every menu stay out of the space
    const partial = buildSpace(graph, { version: 1, tie: 'point', menus: [{ match: 'L1.*.w', choices: ['mxint8', 'mxint4'] }] });
    expect(partial.genes.map((x) => x.pattern)).toEqual(['L1.q.w', 'L1.k.w', 'L1.v.w', 'L1.o.w', 'L1.gate.w', 'L1.up.w', 'L1.down.w']);
    expect(() => s.toConfig([1])).toThrow(/genome/);
    expect(err(() => s.toConfig(g.map(() => 5))).path).toBe('genome[0]');
    expect(err(() => s.fromConfig({ version: 1, rules: [['*', 'mxint:m=9']] })).path).toBe('config L*.q.x');
  });
  it('validation errors name the path', () => {
    expect(err(() => buildSpace(graph, { version: 2 })).path).toBe('version');
    expect(err(() => buildSpace(graph, { version: 1, tie: 'layer', menus: [] })).path).toBe('tie');
    expect(err(() => buildSpace(graph, { version: 1, menus: [] })).path).toBe('menus');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8', 'nope'] }] })).path).toBe('menus[0].choices[1]');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8', 'mxint8:block=32'] }] })).path).toBe('menus[0].choices[1]');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: 'a b', choices: ['mxint8'] }] })).path).toBe('menus[0].match');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: '*', choices: ['mxint8'], x: 1 }] })).path).toBe('menus[0].x');
    expect(err(() => buildSpace(graph, { version: 1, menus: [{ match: 'nothing', choices: ['mxint8'] }] })).path).toBe('menus[0].match');
    // tied points with different menus
    const e = err(() => buildSpace(graph, { version: 1, tie: 'block', menus: [{ match: '*', choices: ['mxint8'] }, { match: 'L1.*', choices: ['mxint4'] }] }));
    expect(e.path).toBe('menus[1].match');
    expect(e.message).toMatch(/tied/);
  });
  it('config hash is stable and canonical', () => {
    const a = { version: 1 as const, rules: [['*', 'mxint8:block=32']] as [string, string][] };
    const b = { version: 1 as const, rules: [['*', 'mxint8']] as [string, string][] };
    expect(configKey(a)).toBe(configKey(b));
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash({ version: 1, rules: [['*', 'mxint4']] })).not.toBe(configHash(a));
    expect(configHash(b)).toBe(configHash(b));
  });
});
