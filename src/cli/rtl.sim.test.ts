// End to end, as a user runs it: `mx-studio rtl` on the default model writes a bundle (the model-level
// generator's layer module, weight memories and vectors from an integer-mode emulator run), then
// `make` in that folder simulates it under native Verilator and Icarus. Both pass bit-exactly; one
// corrupted expected beat makes both fail. ≈ 1–2 min on a loaded 2-core machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { haveTools } from '../../tools/rtl/sim';
import { rtlCommand } from './rtl';

const MODEL = fileURLToPath(new URL('../../public/models/sotu-llama-1m', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mx-rtl-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function make(dir: string, ...targets: string[]): { status: number; out: string } {
  const r = spawnSync('make', ['--no-print-directory', ...targets], { cwd: dir, encoding: 'utf8', timeout: 1_200_000 });
  return { status: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

describe('mx-studio rtl → make', () => {
  const dir = join(tmp, 'mx-rtl-L0_q');

  it('the generated L0.q bundle passes make under Verilator and Icarus; a corrupted expected beat fails both', async () => {
    const t = haveTools();
    if (!t.verilator || !t.icarus) throw new Error('needs Verilator 5 and Icarus Verilog on PATH (apt-get install verilator iverilog)');
    const err: string[] = [];
    const code = await rtlCommand(['--model', MODEL, '--uniform', 'mxfp8_e4m3', '--layers', 'L0.q', '--lanes', '32x2', '--tokens', '4', '--out', dir], { out: () => undefined, err: (s) => err.push(s) });
    expect(err).toEqual([]);
    expect(code).toBe(0);

    const ok = make(dir);
    expect(ok.status, ok.out.slice(-4000)).toBe(0);
    expect(ok.out.split('\n').filter((l) => l.startsWith('RESULT '))).toEqual(['RESULT L0_q beats=256 mismatches=0', 'RESULT L0_q beats=256 mismatches=0']);
    expect(ok.out).toContain('PASS build/log/L0_q.verilator.log: 1 RESULT line(s), 0 mismatches');
    expect(ok.out).toContain('PASS build/log/L0_q.icarus.log: 1 RESULT line(s), 0 mismatches');

    const p = join(dir, 'vectors/L0_q.out.hex');
    const lines = readFileSync(p, 'utf8').split('\n');
    const last = lines[100].at(-1)!;
    lines[100] = lines[100].slice(0, -1) + (parseInt(last, 16) ^ 1).toString(16);
    writeFileSync(p, lines.join('\n'));
    for (const target of ['sim', 'sim-icarus']) {
      const bad = make(dir, target);
      expect(bad.status, `${target}:\n${bad.out.slice(-3000)}`).not.toBe(0);
      expect(bad.out).toMatch(/^MISMATCH L0_q beat=100 elem=0 /m);
      expect(bad.out).toContain('RESULT L0_q beats=256 mismatches=1');
    }
  }, 1_500_000);

  it('--rounding gptq: the weight memories hold the GPTQ-rounded weights and the bundle still simulates bit-exactly', async () => {
    const t = haveTools();
    if (!t.verilator) throw new Error('needs Verilator 5 on PATH (apt-get install verilator)');
    const args = ['--model', MODEL, '--uniform', 'mxint:m=4,block=32', '--layers', 'L0.q', '--lanes', '32x2', '--tokens', '4'];
    const gDir = join(tmp, 'gptq');
    const nDir = join(tmp, 'nearest');
    const err: string[] = [];
    const io = { out: () => undefined, err: (s: string) => err.push(s) };
    expect(await rtlCommand([...args, '--rounding', 'gptq', '--calib-tokens', '512', '--out', gDir], io)).toBe(0);
    expect(await rtlCommand([...args, '--out', nDir], io)).toBe(0);
    expect(err).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(gDir, 'manifest.json'), 'utf8'));
    expect(manifest.request.rounding).toMatchObject({ method: 'gptq', calibration_tokens: 512 });
    // the whole model's MXInt weights are rounded: the stimulus of a later layer comes through the earlier ones
    expect(manifest.request.rounding.points).toHaveLength(29);
    expect(manifest.request.rounding.points[0]).toBe('L0.q.w');
    // same formats and hardware, other weights: the codes differ in many places, the RTL sources not at all
    const codes = (d: string) => readFileSync(join(d, 'mem/L0_q.codes.hex'), 'utf8').split('\n');
    const [g, n] = [codes(gDir), codes(nDir)];
    expect(g.length).toBe(n.length);
    expect(g.filter((l, i) => l !== n[i]).length).toBeGreaterThan(g.length / 4);
    for (const f of ['lyr_q.sv', 'mx_dot.sv', 'mx_linear.sv']) expect(readFileSync(join(gDir, 'rtl', f), 'utf8')).toBe(readFileSync(join(nDir, 'rtl', f), 'utf8'));
    const ok = make(gDir, 'sim');
    expect(ok.status, ok.out.slice(-4000)).toBe(0);
    expect(ok.out).toContain('RESULT L0_q beats=256 mismatches=0');
  }, 1_500_000);
});
