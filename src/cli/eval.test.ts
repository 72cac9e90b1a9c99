// `mx-studio eval` in-process: JSON and text output, kernels vs the TS core, and bad inputs (one
// line, exit 2).
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODEL = join(ROOT, 'public/models/sotu-llama-1m');
let dir = '';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mx-eval-'));
});

describe('mx-studio eval', () => {
  it('--json: perplexity, accuracy, tokens, kl and per-point stats (WASM kernels)', async () => {
    const r = await run(['eval', '--model', MODEL, '--uniform', 'mxint8', '--tokens', '512', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.mode).toBe('fake');
    expect(j.tokens).toBe(510);
    expect(j.windows).toBe(2);
    expect(j.perplexity).toBeGreaterThan(20);
    expect(j.perplexity).toBeLessThan(40);
    expect(j.accuracy).toBeGreaterThan(0.2);
    expect(j.kl).toBeGreaterThan(0);
    expect(j.top1_agreement).toBeGreaterThan(0.9);
    expect(j.kernels).toMatch(/^wasm-/);
    expect(Object.keys(j.points)).toHaveLength(74);
    expect(j.points['L0.q.x']).toMatchObject({ saturated: expect.any(Number), underflow: expect.any(Number), nan_blocks: 0, elements: 512 * 128 });
    expect(j.points['L0.q.x'].sqnr_db).toBeGreaterThan(30);
    expect(typeof j.ms).toBe('number');
  });

  it('fp32 by default, matching reference.json; text output says which kernels ran', async () => {
    const ref = JSON.parse(readFileSync(join(MODEL, 'reference.json'), 'utf8'));
    let r = await run(['eval', '--model', MODEL, '--tokens', '256', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.mode).toBe('fp32');
    expect(j.kl).toBeNull();
    expect(j.points).toEqual({});
    expect(Math.abs(j.mean_nll - ref.mean_nll) / ref.mean_nll).toBeLessThan(1e-6);
    r = await run(['eval', '--model', MODEL, '--uniform', 'mxfp4', '--mode', 'integer', '--tokens', '64', '--window', '32', '--kernels', 'off']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/kernels\s+TypeScript core \(--kernels off\)/);
    expect(r.out).toMatch(/perplexity \d+\.\d{4}/);
    expect(r.out).toMatch(/L3\.pv\.a/);
    r = await run(['eval', '--model', MODEL, '--uniform', 'mxfp4', '--tokens', '64', '--window', '64']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/kernels\s+WASM (simd|relaxed)/);
  });

  it('--config with --uniform: config rules win; fallback ops listed; --text', async () => {
    const cfgPath = join(dir, 'c.json');
    writeFileSync(cfgPath, JSON.stringify({ version: 1, rules: [['L1.*', 'fp32'], ['nope.*', 'mxfp4']] }));
    const txt = join(dir, 't.txt');
    writeFileSync(txt, readFileSync(join(MODEL, 'test.txt'), 'utf8').slice(0, 3000));
    const r = await run(['eval', '--model', MODEL, '--uniform', 'mxint8', '--config', cfgPath, '--text', txt, '--mode', 'integer', '--window', '64', '--tokens', '128', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.fallback_ops).toEqual(['L1.q', 'L1.k', 'L1.v', 'L1.qk', 'L1.pv', 'L1.o', 'L1.gate', 'L1.up', 'L1.down']);
    expect(j.unmatched_rules).toEqual(['nope.*']);
    expect(Object.keys(j.points).some((p) => p.startsWith('L1.'))).toBe(false);
  });

  it('--rounding gptq: GPTQ weights calibrated on held-out text beat round-to-nearest at 4 bits', async () => {
    const text = readFileSync(join(MODEL, 'test.txt'), 'utf8');
    const cal = join(dir, 'cal.txt');
    writeFileSync(cal, text.slice(text.length - 30000)); // the end of the file: far from the evaluated tokens
    const cfg = join(dir, 'w4.json');
    writeFileSync(cfg, JSON.stringify({ version: 1, rules: [['*', 'mxint:m=8,block=32'], ['*.w', 'mxint:m=4,block=32']] }));
    const args = ['eval', '--model', MODEL, '--config', cfg, '--tokens', '1024', '--json'];
    const rn = await run(args);
    expect(rn.code, rn.err).toBe(0);
    const n = JSON.parse(rn.out);
    const rg = await run([...args, '--rounding', 'gptq', '--calib-tokens', '1024', '--calib-text', cal]);
    expect(rg.code, rg.err).toBe(0);
    const g = JSON.parse(rg.out);
    expect(n.rounding).toEqual({ method: 'nearest' });
    expect(g.rounding).toMatchObject({ method: 'gptq', calibration_tokens: 1024, calibration_text: cal });
    expect(g.rounding.points).toHaveLength(29); // 4 blocks × 7 linears + the LM head
    expect(g.rounding.points[0]).toBe('L0.q.w');
    // the activations' statistics of the first layer are the same (its input does not depend on any weight rounding)
    expect(g.points['L0.q.x']).toEqual(n.points['L0.q.x']);
    // GPTQ gives up per-weight error for output error: weight SQNR (against the model's weights) drops, the model gets better
    expect(g.points['L1.down.w'].sqnr_db).toBeLessThan(n.points['L1.down.w'].sqnr_db);
    expect(g.perplexity).toBeLessThan(n.perplexity * 0.995);
    expect(g.kl).toBeLessThan(n.kl * 0.8); // measured 0.0449 → 0.0260 nats/token
    expect(g.tokens).toBe(n.tokens);
  }, 120_000);

  it('bad inputs: one line naming the problem, exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, rules: [['*', 'mxint8'], ['L0.q.w', 'mxfp9']] }));
    const notJson = join(dir, 'notjson.json');
    writeFileSync(notJson, '{"version": 1, rules');
    // a folder with everything but the weights
    const noWeights = join(dir, 'no-weights');
    mkdirSync(noWeights);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'test.txt']) copyFileSync(join(MODEL, f), join(noWeights, f));
    const noText = join(dir, 'no-text');
    mkdirSync(noText);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) copyFileSync(join(MODEL, f), join(noText, f));
    const cases: [string[], RegExp][] = [
      [['--config', bad], /config rules\[1\]\[1\]: .*mxfp9/],
      [['--config', notJson], /is not valid JSON/],
      [['--config', join(dir, 'missing.json')], /--config: cannot read/],
      [['--uniform', 'mxfp9'], /--uniform: /],
      [['--tokens', '999999'], /--tokens 999999 exceeds the 134252 tokens of test\.txt/],
      [['--tokens', 'x'], /--tokens must be a positive integer/],
      [['--window', '512'], /--window 512 exceeds the model's context of 256 tokens/],
      [['--mode', 'int'], /--mode must be fake, integer or fp32/],
      [['--mode', 'integer'], /--mode integer needs --config or --uniform/],
      [['--uniform', 'mxint8', '--rounding', 'best'], /--rounding must be nearest or gptq, got "best"/],
      [['--uniform', 'mxint8', '--calib-tokens', '64'], /--calib-tokens applies only with --rounding gptq/],
      [['--uniform', 'mxint8', '--rounding', 'gptq', '--calib-tokens', '1'], /--calib-tokens must be an integer ≥ 2/],
      [['--uniform', 'mxint8', '--rounding', 'gptq', '--calib-text', join(dir, 'missing.txt')], /--calib-text: .*missing\.txt is not a file/],
      [['--uniform', 'mxfp4', '--rounding', 'gptq'], /--rounding gptq: no linear weight of this config has an MXInt format/],
      [['--rounding', 'gptq'], /--rounding gptq needs --config or --uniform/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(['eval', '--model', MODEL, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^mx-studio eval: error: /);
    }
    for (const [args, msg] of [
      [['eval', '--model', noWeights], /model\.safetensors/],
      [['eval', '--model', noText], /no test\.txt; pass --text FILE/],
      [['eval', '--model', join(dir, 'nowhere')], /is not a folder/],
      [['eval'], /missing --model/],
    ] as [string[], RegExp][]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.split('\n')).toHaveLength(1);
    }
  });

  it('--help documents eval and its flags', async () => {
    const r = await run(['eval', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--config', '--uniform', '--text', '--window', '--tokens', '--mode', '--kernels', '--json', '--rounding', '--calib-tokens', '--calib-text']) expect(r.out).toContain(flag);
  });
});
