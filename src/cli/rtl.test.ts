// `mx-studio rtl`: argument and request checks (one line, exit 2, nothing written), the folder and
// zip outputs, and what the generator is asked. The generator is injected: a real design of the
// component library (mx_cast + its tb with vectors from src/core/formats `encode`) stands in for
// the model-level generator, so the bundle written is one that runs (bundle.sim.test.ts runs one).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFormat } from '../core/formats';
import { MX_LIBRARY } from '../core/rtl/mxLibrary';
import { RtlError } from '../core/rtl/errors';
import { castTestbench, wrapperTop } from '../core/rtl/tbgen';
import { randomAct } from '../core/rtl/testdata';
import type { RtlDesign } from '../core/rtl/bundle';
import { parseLanes, rtlCommand, type RtlGenerateRequest, type RtlGenerator } from './rtl';

const MODEL = fileURLToPath(new URL('../../public/models/sotu-llama-1m', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mx-rtl-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A real, runnable design: mx_cast under its testbench, vectors from `encode`. */
function castDesign(): RtlDesign {
  const t = castTestbench('cast0', parseFormat('mxint8'), randomAct(4, 32, 7), 4, 32, 8, 1);
  const files: Record<string, string> = { ...t.files };
  for (const m of ['mx_quant', 'mx_cast']) files[`rtl/${m}.sv`] = MX_LIBRARY[m].text;
  for (const m of ['tb_hs_stream', 'tb_mx_cast']) files[`tb/${m}.sv`] = MX_LIBRARY[m].text;
  files['tb/tb_top.sv'] = wrapperTop('tb_top', [t.inst]);
  return {
    files,
    testbenches: [{ name: 'cast0', top: 'tb_top', sources: ['rtl/mx_quant.sv', 'rtl/mx_cast.sv', 'tb/tb_hs_stream.sv', 'tb/tb_mx_cast.sv', 'tb/tb_top.sv'] }],
    manifest: { generator: 'test' },
  };
}

let asked: RtlGenerateRequest | null = null;
const GEN: RtlGenerator = {
  supports: (op) => op.type === 'linear',
  generate: (req) => {
    asked = req;
    return castDesign();
  },
};
beforeEach(() => {
  asked = null;
});

/** `generator: null` runs the command's own (not yet wired) generator. */
async function run(args: string[], generator: RtlGenerator | null = GEN) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rtlCommand(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, generator ? { generator } : {});
  return { code, out, err };
}

let n = 0;
const fresh = (ext = '') => join(tmp, `out${n++}${ext}`);

describe('mx-studio rtl: a valid request', () => {
  it('--out DIR: the bundle in a new folder, the generator asked for the selected layers, lanes and tokens', async () => {
    const dir = fresh();
    const r = await run(['--model', MODEL, '--uniform', 'mxint8', '--layers', 'L0.q,1', '--lanes', '16x2,L0.q=32x4', '--tokens', '5', '--out', dir]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(asked!.ops).toEqual(['L0.q', 'L1.q', 'L1.k', 'L1.v', 'L1.o', 'L1.gate', 'L1.up', 'L1.down']);
    expect(asked!.lanes).toEqual({ default: { lanesK: 16, lanesN: 2, lanesM: 1 }, perOp: { 'L0.q': { lanesK: 32, lanesN: 4, lanesM: 1 } } });
    expect(asked!.ids).toHaveLength(5);
    expect(asked!.quant.rules).toEqual([['*', 'mxint8']]);
    expect(readdirSync(dir).sort()).toEqual(['Makefile', 'README.md', 'manifest.json', 'rtl', 'synth.ys', 'tb', 'vectors']);
    expect(readFileSync(join(dir, 'rtl/mx_cast.sv'), 'utf8')).toBe(MX_LIBRARY.mx_cast.text);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.generator).toBe('test');
    expect(m.request.ops).toHaveLength(8);
    expect(m.request.formats['L0.q.w']).toBe('mxint8');
    expect(m.request.tokens).toEqual({ count: 5, text: 'test.txt' });
    expect(m.bundle.testbenches[0].name).toBe('cast0');
    expect(r.out[0]).toMatch(/^wrote 11 files \([\d,]+ bytes\) for 8 layer\(s\), 1 testbench, to /);
    expect(r.out[1]).toBe(`run: cd ${dir} && make`);
    // no temporary folder left beside it
    expect(readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('--out FILE.zip: one folder named after the zip, byte-identical files; --layers all = every op the generator supports', async () => {
    const zip = fresh('.zip');
    const r = await run(['--model', MODEL, '--uniform', 'mxfp8_e4m3', '--out', zip]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(asked!.ops).toHaveLength(4 * 7 + 1); // 4 blocks × (q k v o gate up down) + head
    const files = unzipSync(readFileSync(zip));
    const name = zip.slice(zip.lastIndexOf('/') + 1, -4);
    expect(Object.keys(files).every((p) => p.startsWith(name + '/'))).toBe(true);
    expect(strFromU8(files[`${name}/rtl/mx_quant.sv`])).toBe(MX_LIBRARY.mx_quant.text);
    expect(strFromU8(files[`${name}/Makefile`])).toContain('sim-verilator-cast0:');
    expect(r.out[1]).toBe(`run: unzip ${name}.zip && cd ${name} && make`);
    // an existing zip is kept unless --force
    const again = await run(['--model', MODEL, '--uniform', 'mxfp8_e4m3', '--out', zip]);
    expect(again.code).toBe(2);
    expect(again.err).toEqual([`mx-studio rtl: error: --out: ${zip} exists (pass --force to overwrite it)`]);
    expect((await run(['--model', MODEL, '--uniform', 'mxfp8_e4m3', '--out', zip, '--force'])).code).toBe(0);
  });

  it('an existing empty folder is used; --help prints the usage', async () => {
    const dir = fresh();
    mkdirSync(dir);
    expect((await run(['--model', MODEL, '--uniform', 'mxint8', '--layers', 'head', '--out', dir])).code).toBe(0);
    expect(existsSync(join(dir, 'Makefile'))).toBe(true);
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out[0]).toContain('mx-studio rtl      --model DIR (--config CONFIG.json | --uniform SPEC)');
  });
});

describe('mx-studio rtl with the model-level generator (src/core/rtl/model.ts through MODEL_GENERATOR)', () => {
  it('one layer: its module, weight memories, testbench and vectors from an integer-mode run, in a bundle', async () => {
    const dir = fresh();
    const r = await run(['--model', MODEL, '--uniform', 'mxint8', '--layers', 'L0.q', '--tokens', '4', '--out', dir], null);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.request.ops).toEqual(['L0.q']);
    expect(m.request.formats).toEqual({ 'L0.q.x': 'mxint8', 'L0.q.w': 'mxint8' });
    expect(m.bundle.testbenches.map((t: { name: string }) => t.name)).toEqual(['L0_q']);
    const files = Object.keys(m.bundle.files);
    expect(files).toContain('mem/L0_q.codes.hex');
    expect(files).toContain('vectors/L0_q.in.hex');
    expect(files).toContain('vectors/L0_q.out.hex');
    expect(files).toContain('rtl/mx_linear.sv');
    // 4 tokens × 128 outputs at the generator's default lanesN = 2 → 256 expected beats
    expect(readFileSync(join(dir, 'vectors/L0_q.out.hex'), 'utf8').trim().split('\n')).toHaveLength(256);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toContain('TESTBENCHES := L0_q\n');
  });
});

describe('mx-studio rtl: invalid requests fail with one line, exit 2, and write nothing', () => {
  const hostile: RtlGenerator = { supports: () => true, generate: () => ({ ...castDesign(), files: { ...castDesign().files, '../evil.sv': 'module evil; endmodule' } }) };
  const refusing: RtlGenerator = {
    supports: () => true,
    generate: () => {
      throw new RtlError('L0.q', 'mxfp4 activations with 3 lanes: lanes must divide the block size 32');
    },
  };
  const cfg = join(tmp, 'bad.json');
  writeFileSync(cfg, '{"version": 1, "rules": [["*", "mxfp9"]]}');
  const cases: [string, string[], string, RtlGenerator?][] = [
    ['no --model', ['--uniform', 'mxint8'], 'missing --model DIR (a Hugging Face model folder)'],
    ['no formats', ['--model', MODEL], 'missing --config CONFIG.json or --uniform SPEC (the formats to build)'],
    ['a bad spec', ['--model', MODEL, '--uniform', 'mxfp9'], '--uniform: '],
    ['a bad config rule', ['--model', MODEL, '--config', cfg], `--config ${cfg}: `],
    ['a model folder that does not exist', ['--model', join(tmp, 'nope'), '--uniform', 'mxint8'], `--model: ${join(tmp, 'nope')} is not a folder`],
    ['a block beyond the model', ['--model', MODEL, '--uniform', 'mxint8', '--layers', '7'], '--layers: block 7 does not exist (the model has 4 decoder blocks, 0–3)'],
    ['an unknown op', ['--model', MODEL, '--uniform', 'mxint8', '--layers', 'L0.qq'], '--layers: no op "L0.qq" in this model (ops look like L0.q, L3.down, head)'],
    ['layers the generator cannot build', ['--model', MODEL, '--uniform', 'mxint8', '--layers', 'all'], '--layers all selects no layer this generator can build', { supports: () => false, generate: GEN.generate }],
    ['bad lanes', ['--model', MODEL, '--uniform', 'mxint8', '--lanes', '16x0'], '--lanes: the default must be positive, got "16x0"'],
    ['lanes for an op not generated', ['--model', MODEL, '--uniform', 'mxint8', '--layers', 'L0.q', '--lanes', 'L0.k=8'], '--lanes: L0.k is not among the --layers being generated'],
    ['too many tokens', ['--model', MODEL, '--uniform', 'mxint8', '--tokens', '100000'], '--tokens 100000 exceeds the model\'s context of 256 tokens'],
    ['an unknown flag', ['--model', MODEL, '--uniform', 'mxint8', '--bogus'], "Unknown option '--bogus'"],
    ['an unknown rounding', ['--model', MODEL, '--uniform', 'mxint8', '--rounding', 'floor'], '--rounding must be nearest or gptq, got "floor"'],
    ['GPTQ with no MXInt weight', ['--model', MODEL, '--uniform', 'mxfp4', '--rounding', 'gptq'], '--rounding gptq: no linear weight of this config has an MXInt format'],
    ['a calibration text that does not exist', ['--model', MODEL, '--uniform', 'mxint8', '--rounding', 'gptq', '--calib-text', join(tmp, 'none.txt')], `--calib-text: ${join(tmp, 'none.txt')} is not a file`],
    ['the generator refuses', ['--model', MODEL, '--uniform', 'mxint8'], 'L0.q: mxfp4 activations with 3 lanes: lanes must divide the block size 32', refusing],
    ['the generator returns a hostile path', ['--model', MODEL, '--uniform', 'mxint8'], 'bundle file "../evil.sv": a file path must not contain "." or ".." segments', hostile],
  ];
  for (const [what, args, msg, gen] of cases) {
    it(what, async () => {
      for (const out of [fresh(), fresh('.zip')]) {
        const r = await run([...args, '--out', out], gen ?? GEN);
        expect(r.code).toBe(2);
        expect(r.err).toHaveLength(1);
        expect(r.err[0].startsWith(`mx-studio rtl: error: ${msg}`), r.err[0]).toBe(true);
        expect(r.out).toEqual([]);
        expect(existsSync(out)).toBe(false);
      }
    });
  }

  it('missing --out, --force for a folder, a missing parent folder, a non-empty folder', async () => {
    const dir = fresh();
    expect((await run(['--model', MODEL, '--uniform', 'mxint8', '--force', '--out', dir])).err).toEqual(['mx-studio rtl: error: --force only overwrites a .zip; a folder is never overwritten (choose a new one)']);
    expect(existsSync(dir)).toBe(false);
    expect((await run(['--model', MODEL, '--uniform', 'mxint8'])).err).toEqual(['mx-studio rtl: error: missing --out DIR or --out FILE.zip']);
    const deep = join(tmp, 'no', 'such', 'dir');
    expect((await run(['--model', MODEL, '--uniform', 'mxint8', '--out', deep])).err).toEqual([`mx-studio rtl: error: --out: the folder ${join(tmp, 'no', 'such')} does not exist (create it first)`]);
    expect(existsSync(join(tmp, 'no'))).toBe(false);
    const full = fresh();
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const r = await run(['--model', MODEL, '--uniform', 'mxint8', '--out', full]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`mx-studio rtl: error: --out: ${full} is not empty (choose a new folder; nothing is overwritten)`]);
    expect(readdirSync(full)).toEqual(['keep.txt']);
    expect(asked).toBeNull(); // the output was checked before the model was read
  });

  it('the real generator refuses what the hardware cannot build, naming the layer, and nothing is written', async () => {
    for (const [args, msg] of [
      [['--uniform', 'fp32'], 'L0.q: input x: fp32 has no integer codes: the MX GEMM hardware needs a power-of-two block format (mx, mxint, bfp) on both operands'],
      [['--uniform', 'mxint8', '--lanes', '3'], 'L0.q: lanesK = 3 does not divide K = 128'],
    ] as const) {
      const out = fresh();
      const r = await run(['--model', MODEL, ...args, '--layers', 'L0.q', '--tokens', '4', '--out', out], null);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([`mx-studio rtl: error: ${msg}`]);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('parseLanes', () => {
    expect(parseLanes('8')).toEqual({ default: { lanesK: 8, lanesN: 1, lanesM: 1 }, perOp: {} });
    expect(parseLanes('L0.q=4x2x2, head=16')).toEqual({ perOp: { 'L0.q': { lanesK: 4, lanesN: 2, lanesM: 2 }, head: { lanesK: 16, lanesN: 1, lanesM: 1 } } });
    expect(() => parseLanes('8,16')).toThrow('--lanes: two defaults in "8,16" (per-op values are OP=KxN)');
    expect(() => parseLanes('L0.q=4,L0.q=8')).toThrow('--lanes: L0.q is set twice');
    expect(() => parseLanes('4,')).toThrow('--lanes: empty entry in "4,"');
  });
});
