import { describe, expect, it } from 'vitest';
import { EMPTY_CONFIG, buildGraph, resolveConfig } from '../../core/graph';
import { formatToString } from '../../core/formats';
import type { ModelConfig } from '../../core/model/types';
import { commonSpec, resolveWithRules, setRule, typeGroups, typePattern, weightBits } from './rules';

const LLAMA: ModelConfig = {
  arch: 'llama', vocabSize: 2048, hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 32, intermediateSize: 320,
  maxPositions: 256, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: true,
  bosTokenId: 2047, eosTokenId: 2047, raw: {},
};
const g = buildGraph(LLAMA);

describe('layers rules', () => {
  it('op-type groups: one pattern per kind and role, the head by its own ids', () => {
    const groups = typeGroups(g);
    expect(groups.map((x) => x.pattern)).toEqual([
      '*.q.x', '*.q.w', '*.k.x', '*.k.w', '*.v.x', '*.v.w', '*.qk.a', '*.qk.b', '*.pv.a', '*.pv.b',
      '*.o.x', '*.o.w', '*.gate.x', '*.gate.w', '*.up.x', '*.up.w', '*.down.x', '*.down.w', 'head.x', 'head.w',
    ]);
    expect(groups.find((x) => x.pattern === '*.down.w')!.points.map((p) => p.id)).toEqual(['L0.down.w', 'L1.down.w', 'L2.down.w', 'L3.down.w']);
    expect(typePattern(g.pointById.get('head.w')!)).toBe('head.w');
  });

  it('keeps rules in specificity order: editing the whole model never overrides a type or point rule', () => {
    let c = setRule(EMPTY_CONFIG, 'L2.q.x', 'fp32', g);
    c = setRule(c, '*.down.w', 'mxfp4', g);
    c = setRule(c, '*', 'mxint8', g);
    expect(c.rules.map(([p]) => p)).toEqual(['*', '*.down.w', 'L2.q.x']);
    c = setRule(c, '*', 'mxfp6_e2m3', g);
    expect(c.rules[0]).toEqual(['*', 'mxfp6_e2m3']);
    const r = resolveWithRules(g, c);
    expect(r.get('L1.down.w')).toMatchObject({ specString: 'mxfp4', rule: '*.down.w' });
    expect(r.get('L2.q.x')).toMatchObject({ specString: 'fp32', rule: 'L2.q.x' });
    expect(r.get('L2.q.w')).toMatchObject({ specString: 'mxfp6_e2m3', rule: '*' });
    // the same answer as core's resolver
    const core = resolveConfig(g, c);
    for (const p of g.points) expect(r.get(p.id)!.specString).toBe(formatToString(core.formats.get(p.id)!));
    // removing a rule lets the points inherit
    c = setRule(c, '*.down.w', null, g);
    expect(resolveWithRules(g, c).get('L1.down.w')).toMatchObject({ specString: 'mxfp6_e2m3', rule: '*' });
  });

  it('unmatched points are fp32 with no rule; weight bits average by element count', () => {
    const r0 = resolveWithRules(g, EMPTY_CONFIG);
    expect(r0.get('L0.q.w')).toMatchObject({ specString: 'fp32', rule: null });
    expect(weightBits(g, r0)).toBe(32);
    const r = resolveWithRules(g, setRule(EMPTY_CONFIG, '*', 'mxint8', g));
    expect(weightBits(g, r)).toBeCloseTo(8.25, 12);
    expect(commonSpec(g.points, r)).toBe('mxint8');
    expect(commonSpec(g.points, resolveWithRules(g, setRule(setRule(EMPTY_CONFIG, '*', 'mxint8', g), 'head.w', 'mxfp4', g)))).toBeNull();
  });
});
