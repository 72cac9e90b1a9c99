import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cmdCost, CostInputError, runCost } from './cost';
import { DEFAULT_CONSTANTS_TABLE } from '../core/cost/constants';

const MODEL = fileURLToPath(new URL('../../public/models/sotu-llama-1m', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mx-cost-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function json(v: Record<string, string | boolean | undefined>) {
  let out = '';
  await runCost({ model: MODEL, json: true, ...v }, (s) => (out += s));
  expect(out.endsWith('\n')).toBe(true);
  expect(out.trim().split('\n')).toHaveLength(1);
  return JSON.parse(out);
}

describe('mx-studio cost', () => {
  it('--uniform mxint8 --json: one object with the totals and the same fields per layer', async () => {
    const r = await json({ uniform: 'mxint8' });
    for (const key of ['energy_pj', 'area_um2', 'luts', 'memory_bits', 'avg_bits', 'ffs', 'dsps', 'brams', 'gate_equivalents', 'cycles', 'macs']) {
      expect(typeof r[key], key).toBe('number');
      expect(r[key], key).toBeGreaterThanOrEqual(0);
    }
    expect(r.tokens).toBe(256);
    expect(r.node_nm).toBe(45);
    expect(r.avg_bits).toBe(8.25);
    expect(r.constants).toMatchObject({ version: DEFAULT_CONSTANTS_TABLE.version });
    expect(DEFAULT_CONSTANTS_TABLE.version).toBe(3);
    expect(r.constants.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(r.layers).toHaveLength(37);
    const b = r.energy_breakdown_pj;
    expect(b.mac + b.block + b.quant + b.on_chip + b.off_chip).toBeCloseTo(r.energy_pj, 3);
    for (const l of r.layers) {
      for (const key of ['energy_pj', 'area_um2', 'luts', 'memory_bits', 'avg_bits']) expect(l[key], `${l.op}.${key}`).toBeGreaterThan(0);
    }
    expect(r.layers[0]).toMatchObject({ op: 'L0.q', kind: 'q', layer: 0, formats: { x: 'mxint8', w: 'mxint8' }, lanes: { k: 32, n: 1, m: 1 }, gemm: { M: 256, K: 128, N: 128, instances: 1 } });
    expect(r.layers.at(-1).op).toBe('head');
    const sum = r.layers.reduce((s: number, l: { energy_pj: number }) => s + l.energy_pj, 0);
    expect(sum).toBeCloseTo(r.energy_pj, 2);
  });

  it('--config with --tokens, --node, --lanes, --weights offchip, --dsp', async () => {
    const file = join(tmp, 'mixed.json');
    writeFileSync(file, JSON.stringify({ version: 1, rules: [['*', 'mxint:m=5'], ['*.w', 'mxint:m=4'], ['nope.*', 'fp32']] }));
    const r = await json({ config: file, tokens: '32', node: '16', lanes: '16x2', weights: 'offchip', dsp: true });
    expect(r.tokens).toBe(32);
    expect(r.node_nm).toBe(16);
    expect(r.weights).toBe('offchip');
    expect(r.unmatched_rules).toEqual(['nope.*']);
    expect(r.energy_breakdown_pj.off_chip).toBeGreaterThan(0);
    // 5×4 products: both widths ≥ 2 and p + q = 9, so Yosys puts each on a DSP48: 37 ops × 16·2 lanes
    expect(r.dsps).toBe(37 * 32);
    expect(r.layers[0].formats).toEqual({ x: 'mxint:m=5', w: 'mxint:m=4' });
    expect(r.layers[0].lanes).toEqual({ k: 16, n: 2, m: 1 });
    // --uniform is applied first, --config's rules after it
    const both = await json({ uniform: 'mxint8', config: file, tokens: '32' });
    expect(both.layers[0].formats).toEqual({ x: 'mxint:m=5', w: 'mxint:m=4' });
  });

  it('prints a table without --json', async () => {
    let out = '';
    await runCost({ model: MODEL, uniform: 'fixed:w=8,f=4', tokens: '8' }, (s) => (out += s));
    expect(out).toMatch(/^cost of .* at T = 8 tokens, 45 nm/);
    expect(out).toMatch(/\nL0\.q\s+fixed:w=8,f=4\s+32x1 /);
    expect(out).toMatch(/\ntotal\s/);
    expect(out).toMatch(/energy per inference: .*J = MAC/);
    expect(out).toMatch(/average 8\.000 bits per element/);
  });

  it('bad input: Error subclasses with one-line messages; cmdCost exits 2 with one line on stderr', async () => {
    const bad: [Record<string, string | boolean>, RegExp][] = [
      [{ uniform: 'mxint8', model: '' }, /missing --model/],
      [{}, /missing --config CONFIG\.json or --uniform SPEC/],
      [{ uniform: 'mxint9' }, /--uniform: /],
      [{ uniform: 'mxint8', tokens: '0' }, /--tokens must be a positive integer/],
      [{ uniform: 'mxint8', tokens: 'many' }, /--tokens must be a positive integer/],
      [{ uniform: 'mxint8', node: '3' }, /--node: node 3 nm is outside the table/],
      [{ uniform: 'mxint8', node: 'small' }, /--node must be a number/],
      [{ uniform: 'mxint8', lanes: '4x' }, /--lanes must be K, KxN or KxNxM/],
      [{ uniform: 'mxint8', weights: 'cloud' }, /--weights must be onchip or offchip/],
      [{ config: join(tmp, 'missing.json') }, /--config: cannot read/],
      [{ uniform: 'mxint8', model: join(tmp, 'no-model') }, /--model: cannot read .*config\.json/],
    ];
    writeFileSync(join(tmp, 'bad.json'), '{"version": 1, "rules": [["*", "mxint:m=99"]]}');
    bad.push([{ config: join(tmp, 'bad.json') }, /--config .*bad\.json: config rules\[0\]\[1\]/]);
    writeFileSync(join(tmp, 'broken.json'), '{"version": 1,');
    bad.push([{ config: join(tmp, 'broken.json') }, /is not valid JSON/]);
    for (const [v, re] of bad) {
      const args = { model: MODEL, ...v };
      await expect(runCost(args, () => {}), JSON.stringify(v)).rejects.toThrow(re);
      const err: string[] = [];
      const code = await cmdCost(args, { out: () => {}, err: (s) => err.push(s) });
      expect(code).toBe(2);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^mx-studio cost: error: /);
      expect(err[0]).not.toContain('\n');
    }
    await expect(runCost({ model: MODEL }, () => {})).rejects.toBeInstanceOf(CostInputError);
  });

  it('an unsupported model config is a one-line ModelError', async () => {
    const dir = join(tmp, 'bert');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    const err: string[] = [];
    expect(await cmdCost({ model: dir, uniform: 'mxint8' }, { out: () => {}, err: (s) => err.push(s) })).toBe(2);
    expect(err[0]).toMatch(/model_type "bert" is not supported/);
  });
});
