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

/** `cpu.seconds` accumulates Yosys's CPU time (user + system) as its `End of script … CPU:` lines report it. */
export function nativeYosysRun(extra: Record<string, string> = {}, cpu?: { seconds: number }): YosysRun {
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
      let tail = '';
      const take = (text: string) => {
        if (cpu) {
          tail = (tail + text).slice(-4096);
          const m = /CPU: user ([\d.]+)s system ([\d.]+)s/.exec(tail);
          if (m) {
            cpu.seconds += Number(m[1]) + Number(m[2]);
            tail = tail.slice(m.index + m[0].length);
          }
        }
        output(text);
      };
      p.stdout.on('data', take);
      p.stderr.on('data', take);
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
