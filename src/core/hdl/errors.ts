/**
 * Turning a failed Yosys run into a message a user can act on: which file and line, what Yosys
 * said, the offending source line, and what the studio was doing (the pass). Yosys prints errors
 * as `file.sv:7: ERROR: syntax error, …` (frontend, with a location) or `ERROR: Module `x' not
 * found!` (later passes); both Yosys builds the project runs print them the same way.
 *
 * Ring 1: plain TypeScript.
 */
import { HdlError, type HdlDesign } from './design';

const LOCATED = /^(.+?):(\d+): ERROR: (.*)$/m;
const PLAIN = /^ERROR: (.*)$/m;
const MODULE_NOT_FOUND = /^Module `\\?(.+?)' not found!?$/;
const PASS = /^\d+(?:\.\d+)*\. Executing (.+?)(?: \(.*\))?\.?$/;

/** The line `line` (1-based) of `file` in the design, trimmed, or null. */
export function sourceLine(design: HdlDesign | undefined, file: string, line: number): string | null {
  const text = design?.files[file];
  if (text === undefined) return null;
  const l = text.split(/\r?\n/)[line - 1];
  return l === undefined ? null : l.trim();
}

/**
 * The HdlError for a Yosys log that ended in an error (or null if it holds none). Verilog errors
 * (kind 'verilog': syntax, elaboration, a missing top module) carry `where` when Yosys gave a
 * location; anything else is kind 'tool'.
 */
export function yosysError(log: string, design?: HdlDesign): HdlError | null {
  const located = LOCATED.exec(log);
  if (located) {
    const [, file, lineText, what] = located;
    const line = Number(lineText);
    const src = sourceLine(design, file, line);
    return new HdlError('verilog', `${file}:${line}: ${what}${src ? `\n  ${line} | ${src}` : ''}`, { file, line });
  }
  const plain = PLAIN.exec(log);
  if (!plain) return null;
  const what = plain[1].trim();
  const missing = MODULE_NOT_FOUND.exec(what);
  if (missing) {
    const where = design ? ` in ${Object.keys(design.files).join(', ')}` : '';
    return new HdlError('verilog', `Top module ${missing[1]} is not defined${where} (Yosys: ${what})`);
  }
  const pass = lastPassBefore(log, plain.index);
  return new HdlError(/referenced in module|is not part of the design|implicitly declared|not declared/.test(what) ? 'verilog' : 'tool', `Yosys${pass ? ` (${pass})` : ''}: ${what}`);
}

function lastPassBefore(log: string, at: number): string | null {
  const lines = log.slice(0, at).split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = PASS.exec(lines[i]);
    if (m) return m[1];
  }
  return null;
}
