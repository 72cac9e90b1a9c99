import { describe, expect, it } from 'vitest';
import { buildGraph, parseConfig, resolveConfig, uniformConfig, withRule, matchPoints, ConfigError } from './index';
import { formatToString } from '../formats';
import type { ModelConfig } from '../model/types';

/** The default model's normalised config (public/models/sotu-llama-1m/config.json). */
const LLAMA: ModelConfig = {
  arch: 'llama', vocabSize: 2048, hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 32, intermediateSize: 320,
  maxPositions: 256, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: true,
  bosTokenId: 2047, eosTokenId: 2047, raw: {},
};
const GPT2: ModelConfig = { ...LLAMA, arch: 'gpt2', norm: 'layer', ropeTheta: null, activation: 'gelu_new', bias: true, intermediateSize: 512, numLayers: 2 };

describe('graph IR', () => {
  it('LLaMA: MASE quant points per block (7 linears × x,w + Q·Kᵀ and P·V × a,b) and the head', () => {
    const g = buildGraph(LLAMA);
    expect(g.points.length).toBe(4 * 18 + 2);
    expect(g.points.filter((p) => p.layer === 0).map((p) => p.id)).toEqual([
      'L0.q.x', 'L0.q.w', 'L0.k.x', 'L0.k.w', 'L0.v.x', 'L0.v.w', 'L0.qk.a', 'L0.qk.b', 'L0.pv.a', 'L0.pv.b',
      'L0.o.x', 'L0.o.w', 'L0.gate.x', 'L0.gate.w', 'L0.up.x', 'L0.up.w', 'L0.down.x', 'L0.down.w',
    ]);
    expect(g.pointById.get('L1.down.w')).toMatchObject({ tensor: 'L1.down.w', isWeight: true, shape: [128, 320], axis: 1 });
    expect(g.pointById.get('L1.down.x')).toMatchObject({ tensor: 'L1.mul.out', isWeight: false, shape: ['T', 320], axis: 1 });
    expect(g.pointById.get('L2.qk.b')).toMatchObject({ tensor: 'L2.rope_k.out', shape: [32, 'T'], axis: 0 });
    expect(g.pointById.get('L2.pv.b')).toMatchObject({ tensor: 'L2.v.out', shape: ['T', 32], axis: 0 });
    expect(g.pointById.get('head.w')).toMatchObject({ tensor: 'head.w', shape: [2048, 128] });
    expect(g.blocks).toEqual({ count: 4, template: g.ops.filter((o) => o.layer === 0).map((o) => o.kind), identical: true });
    expect(g.quantKinds).toEqual(['q', 'k', 'v', 'qk', 'pv', 'o', 'gate', 'up', 'down', 'head']);
  });

  it('MACs per token match perf-baselines.md §4 (0.75 M linear, 0.26 M head, 0.26 M attention at T = 256)', () => {
    const g = buildGraph(LLAMA);
    const t = 256;
    const sum = (pred: (type: string, kind: string) => boolean) => g.ops.filter((o) => pred(o.type, o.kind)).reduce((s, o) => s + o.macs(t), 0) / t;
    expect(sum((ty, k) => ty === 'linear' && k !== 'head')).toBe(753664);
    expect(sum((_, k) => k === 'head')).toBe(262144);
    expect(sum((ty) => ty === 'matmul')).toBe(262144);
  });

  it('GPT-2 layout: learned positions, biases as their own points, fc1/fc2, LayerNorm weights and biases', () => {
    const g = buildGraph(GPT2);
    expect(g.ops[1]).toMatchObject({ id: 'pos', weight: 'pos' });
    expect(g.points.filter((p) => p.layer === 0).length).toBe(6 * 3 + 4);
    expect(g.pointById.get('L0.fc1.bias')).toMatchObject({ tensor: 'L0.fc1.b', shape: [512], axis: 0 });
    expect(g.opById.get('L1.norm2')).toMatchObject({ weight: 'L1.norm2.w', bias: 'L1.norm2.b' });
    expect(g.ops.some((o) => o.type === 'rope')).toBe(false);
  });
});

describe('quant configs', () => {
  const g = buildGraph(LLAMA);
  it('later rules win; unmatched points are fp32; tied across blocks by pattern', () => {
    const c = parseConfig({ version: 1, rules: [['*', 'mxint8'], ['*.w', 'mxfp4'], ['L0.down.*', 'fp32'], ['*.qk.*', 'mxfp8_e4m3']] });
    const r = resolveConfig(g, c);
    const f = (id: string) => formatToString(r.formats.get(id)!);
    expect(f('L1.q.x')).toBe('mxint8');
    expect(f('L3.up.w')).toBe('mxfp4');
    expect(f('L0.down.w')).toBe('fp32');
    expect(f('L1.down.w')).toBe('mxfp4');
    expect(f('L2.qk.a')).toBe('mxfp8_e4m3');
    expect(resolveConfig(g, { version: 1, rules: [] }).formats.get('head.x')).toEqual({ kind: 'fp32' });
    expect(resolveConfig(g, parseConfig({ version: 1, rules: [['*.fc1.*', 'mxfp4']] })).unmatched).toEqual(['*.fc1.*']);
    expect(matchPoints(g, '*.down.w').map((p) => p.id)).toEqual(['L0.down.w', 'L1.down.w', 'L2.down.w', 'L3.down.w']);
  });
  it('withRule replaces a pattern and moves it last; uniformConfig applies one spec everywhere', () => {
    let c = uniformConfig('mxint8');
    c = withRule(c, 'L1.*', 'mxfp4');
    c = withRule(c, '*', 'mxfp6_e2m3');
    expect(c.rules).toEqual([['L1.*', 'mxfp4'], ['*', 'mxfp6_e2m3']]);
    expect(formatToString(resolveConfig(g, c).formats.get('L1.q.w')!)).toBe('mxfp6_e2m3');
  });
  it('bad configs name the path and the problem', () => {
    const bad: [unknown, RegExp][] = [
      [[], /config : must be an object/],
      [{ version: 2, rules: [] }, /config version: must be 1/],
      [{ version: 1 }, /config rules: must be a list/],
      [{ version: 1, rules: [['*']] }, /config rules\[0\]: must be a \[pattern, format\] pair/],
      [{ version: 1, rules: [['L0/q', 'mxfp4']] }, /rules\[0\]\[0\]: pattern "L0\/q"/],
      [{ version: 1, rules: [['*', 'mxint8'], ['*', 'mxint:m=1']] }, /rules\[1\]\[1\]: invalid m "1".*2 to 16/],
      [{ version: 1, rules: [], extra: 1 }, /config extra: unknown key/],
    ];
    for (const [json, re] of bad) {
      expect(() => parseConfig(json)).toThrow(ConfigError);
      expect(() => parseConfig(json)).toThrow(re);
    }
  });
});
