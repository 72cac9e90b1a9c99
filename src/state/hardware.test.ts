// Hardware settings: validation, the cost options they become, the `hw=` link codec (round trip,
// defaults omitted, bad parts named and replaced one by one) and the sanitiser of stored JSON.
import { describe, expect, it } from 'vitest';
import { prepareCost } from '../core/cost';
import { buildGraph, resolveConfig, uniformConfig } from '../core/graph';
import { DEFAULT_HARDWARE, costOptions, decodeHardwareHash, encodeHardwareHash, hardwareStore, resetHardware, sanitizeHardware, setHardware, type HardwareSettings } from './hardware';

describe('hw= link codec', () => {
  it('writes nothing for the defaults and only what differs otherwise', () => {
    expect(encodeHardwareHash(DEFAULT_HARDWARE)).toBe('');
    expect(encodeHardwareHash({ ...DEFAULT_HARDWARE, nodeNm: 16 })).toBe('hw=1.n16');
    const all: HardwareSettings = { nodeNm: 7, weightsOnChip: false, sramBytes: 32768, tokens: 256, lanesK: 64, lanesN: 2, dsp: true };
    expect(encodeHardwareHash(all)).toBe('hw=1.n7.dram.s32768.t256.l64x2.dsp');
  });

  it('round-trips every setting', () => {
    const all: HardwareSettings = { nodeNm: 28, weightsOnChip: false, sramBytes: 131072, tokens: 1024, lanesK: 16, lanesN: 4, dsp: true };
    const d = decodeHardwareHash('#f=mxfp4&' + encodeHardwareHash(all) + '&tok=2048');
    expect(d).toEqual({ settings: all, problems: [], present: true });
    expect(decodeHardwareHash('#f=mxfp4')).toEqual({ settings: DEFAULT_HARDWARE, problems: [], present: false });
  });

  it('replaces each bad part by its default, names it, and keeps the good parts', () => {
    const d = decodeHardwareHash('#hw=1.n3.dram.t0.l0x2.bogus.s256');
    expect(d.settings).toEqual({ ...DEFAULT_HARDWARE, weightsOnChip: false, sramBytes: 256 });
    expect(d.problems).toEqual([
      'hw part "n3": the technology node must be an integer from 7 to 45 nm; using the default 45 nm node.',
      'hw part "t0": tokens per inference must be 1 to 65536; using the default token count.',
      'hw part "l0x2": lanes must be 1 to 4096; using the default 32×1.',
      'hw part "bogus" is not one of n<nm>, dram, s<bytes>, t<tokens>, l<K>x<N>, dsp; ignored.',
    ]);
  });

  it('an unknown schema version keeps the defaults and says why', () => {
    const d = decodeHardwareHash('#hw=9.n7');
    expect(d.settings).toEqual(DEFAULT_HARDWARE);
    expect(d.problems[0]).toMatch(/version "9"; this studio reads version 1/);
  });
});

describe('settings', () => {
  it('setHardware rejects a bad value with the setting and its range, and keeps the state', () => {
    resetHardware();
    expect(() => setHardware({ nodeNm: 5 })).toThrow('nodeNm: the technology node must be an integer from 7 to 45 nm (got 5)');
    expect(() => setHardware({ lanesK: 1.5 })).toThrow(/lanesK: lanes must be 1 to 4096/);
    expect(hardwareStore.getState().nodeNm).toBe(45);
    setHardware({ nodeNm: 16, sramBytes: null });
    expect(hardwareStore.getState().nodeNm).toBe(16);
    resetHardware();
  });

  it('sanitizes stored JSON field by field', () => {
    expect(sanitizeHardware({ nodeNm: 16, weightsOnChip: 'yes', lanesK: 8, extra: 1 })).toEqual({ ...DEFAULT_HARDWARE, nodeNm: 16, lanesK: 8 });
    expect(sanitizeHardware(null)).toEqual(DEFAULT_HARDWARE);
  });

  it('become cost options the cost model accepts and that move its numbers the right way', () => {
    const g = buildGraph({ arch: 'llama', vocabSize: 64, hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 2, headDim: 16, intermediateSize: 64, maxPositions: 16, norm: 'rms', normEps: 1e-5, ropeTheta: 10000, activation: 'silu', bias: false, tiedEmbeddings: false, bosTokenId: null, eosTokenId: null, raw: {} });
    const formats = resolveConfig(g, uniformConfig('mxint8')).formats;
    const base = prepareCost(g, costOptions(DEFAULT_HARDWARE))(formats);
    const small = prepareCost(g, costOptions({ ...DEFAULT_HARDWARE, nodeNm: 7 }))(formats);
    const dram = prepareCost(g, costOptions({ ...DEFAULT_HARDWARE, weightsOnChip: false }))(formats);
    expect(base.tokens).toBe(16);
    expect(small.energyPj.mac).toBeLessThan(base.energyPj.mac);
    expect(small.areaUm2).toBeLessThan(base.areaUm2);
    expect(base.energyPj.offChip).toBe(0);
    expect(dram.energyPj.offChip).toBeGreaterThan(0);
    expect(prepareCost(g, costOptions({ ...DEFAULT_HARDWARE, tokens: 4 }))(formats).tokens).toBe(4);
  });
});
