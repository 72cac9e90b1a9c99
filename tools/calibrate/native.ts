/**
 * A native `yosys` behind src/core/hdl's YosysRun, so the calibration runs the studio's own frozen
 * flows (`synthesize`, `flowCommands`) and reads the numbers with the studio's own `stat` parser.
 *
 * `extra` holds files the design reads but checkDesign does not accept as sources — the `$readmemh`
 * ROM images (`*.hex`) of mx_linear — written next to the sources in the same fresh directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { YosysRun } from '../../src/core/hdl';

export const YOSYS = process.env.YOSYS ?? '/usr/bin/yosys';

export function nativeYosysRun(extra: Record<string, string> = {}): YosysRun {
  return (args, files, output) =>
    new Promise((resolve, reject) => {
      const dir = mkdtempSync(join(tmpdir(), 'mx-cal-'));
      for (const [name, text] of Object.entries({ ...extra, ...files })) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const p = spawn(YOSYS, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.setEncoding('utf8');
      p.stderr.setEncoding('utf8');
      p.stdout.on('data', output);
      p.stderr.on('data', output);
      p.on('error', (e) => {
        rmSync(dir, { recursive: true, force: true });
        reject(e);
      });
      p.on('close', (code) => {
        rmSync(dir, { recursive: true, force: true });
        resolve(code ?? 1);
      });
    });
}
