// The model-level generator on the default model: a corrupted expected vector fails with its
// MISMATCH line under both simulators, and invalid requests throw RtlError, naming the layer, before
// anything is produced. The co-simulation of every layer, block and the whole model is in
// model.{mxint8,mxfp4,mixed}.test.ts (one file per config, so vitest spreads them over its workers);
// the shared machinery is tools/testing/rtlModel.ts.
import { describe, expect, it } from 'vitest';
import { parseConfig, uniformConfig } from '../graph';
import { RtlError } from './errors';
import { generateModel } from './model';
import { makeBundle, type RtlGenerateRequest } from './bundle';
import { SIMS, graph, model, need, request, runGroup, setup } from '../../../tools/testing/rtlModel';

describe('model-level RTL generator (default model): failures', () => {
  it('a corrupted expected beat fails with its MISMATCH line', async () => {
    need();
    await setup();
    const d = await generateModel(request(uniformConfig('mxint8')));
    const l = d.layers.find((x) => x.op === 'L0.softmax')!;
    const path = `vectors/${l.name}.out.hex`;
    const lines = (d.design.files[path] as string).split('\n');
    lines[3] = (BigInt('0x' + lines[3]) ^ 1n).toString(16).padStart(lines[3].length, '0');
    for (const tool of SIMS) {
      const r = await runGroup(tool, d, [l], { [path]: lines.join('\n') });
      expect(r.ok).toBe(false);
      expect(r.exitCode).not.toBe(0);
      expect(r.firstMismatch).toMatch(new RegExp(`^MISMATCH ${l.name} beat=3 elem=0 field=y got=\\w+ exp=\\w+$`));
    }
  }, 1_800_000);

  it('refuses what it cannot build, naming the layer, before producing anything', async () => {
    await setup();
    const bad = async (req: RtlGenerateRequest, target: string, why: RegExp) => {
      const e = await generateModel(req).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(RtlError);
      expect((e as RtlError).target).toBe(target);
      expect((e as RtlError).reason).toMatch(why);
    };
    await bad(request(parseConfig({ version: 1, rules: [['*', 'mxint8'], ['L2.up.w', 'fp32']] })), 'L2.up', /fp32/);
    await bad(request(uniformConfig('nvfp4')), 'L0.q', /nvfp4/);
    await bad(request(uniformConfig('mxint8'), { lanes: { perOp: { 'L1.q': { lanesK: 24, lanesN: 2 } } } }), 'L1.q', /does not divide K = 128/);
    await bad(request(uniformConfig('mxint8'), { lanes: { perOp: { 'L0.o': { lanesK: 16, lanesN: 3 } } } }), 'L0.o', /does not divide N = 128/);
    await bad(request(uniformConfig('mxint8'), { lanes: { default: { lanesK: 16, lanesN: 2, lanesM: 2 }, perOp: {} } }), 'L0.q', /lanesM/);
    await bad(request(uniformConfig('mxint8'), { ids: [model.config.vocabSize] }), 'tokens', /not in the vocabulary/);
    await bad({ ...request(uniformConfig('mxint8')), graph: { ...graph, arch: 'gpt2' } }, 'model', /gpt2 family is not supported/);
  }, 120_000);

  it("make synth synthesises each layer module once, with its first layer's weights (a deferred read, then chparam MEM)", async () => {
    await setup();
    const d = await generateModel(request(uniformConfig('mxint8'), { ops: ['L0.q', 'L1.q', 'L0.norm1', 'L0.softmax'] }));
    const mods = new Map(d.layers.map((l) => [l.op, l.module]));
    expect(mods.get('L0.q')).toBe(mods.get('L1.q'));
    const want = [{ top: mods.get('L0.q'), params: { MEM: 'mem/L0_q' } }, { top: mods.get('L0.norm1'), params: { MEM: 'mem/L0_norm1' } }, { top: mods.get('L0.softmax') }];
    expect(d.design.synthTops).toHaveLength(3);
    expect(d.design.synthTops).toEqual(expect.arrayContaining(want));
    const ys = makeBundle(d.design)['synth.ys'] as string;
    expect(ys).toContain(`read_verilog -sv -defer `);
    expect(ys).toContain(`chparam -set MEM "mem/L0_q" ${mods.get('L0.q')}`);
    for (const f of ['mem/L0_q.codes.hex', 'mem/L0_q.exps.hex', 'mem/L0_norm1.w.hex']) expect(Object.keys(d.design.files)).toContain(f);
  }, 120_000);
});
