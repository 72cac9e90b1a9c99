/**
 * Yosys 0.23 (Debian's native build, the calibration's synthesiser) rejects `return` inside
 * SystemVerilog functions (src/core/rtl/README.md, "Known limit of make synth"). The component
 * library uses `return` in hs_fifo, mx_quant, mx_dot, mx_out, mx_linear and mx_matmul, and
 * src/core/rtl is not ours to edit, so the calibration rewrites each function the old-Verilog way
 * before Yosys reads it — a purely syntactic, semantics-preserving transform:
 *
 *   return X;                 →  NAME = X;                     (the last statement of the body)
 *   if (C) return X;  REST    →  if (C) NAME = X; else begin REST end
 *
 * Every `return` in the library sits on its own line at the top level of a function body (checked:
 * a `return` anywhere else — inside a loop, or not followed by the end of the body — throws, so a
 * future library change fails loudly here instead of synthesising something else).
 */

const FUNC_HEAD = /^\s*function\s+automatic\s+(?:.*?\s)?(\w+)\s*\(/;
const EARLY = /^(\s*)if\s*\((.*)\)\s*return\s+(.*);\s*(\/\/.*)?$/;
const LAST = /^(\s*)return\s+(.*);\s*(\/\/.*)?$/;

/** Rewrite every function of `text` that uses `return` (see the module comment). */
export function yosys023Compat(text: string, file = 'source'): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let fn: string | null = null;
  let open = 0; // `else begin` blocks opened by early returns in the current function
  let sawFinal = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (fn === null) {
      const m = FUNC_HEAD.exec(l);
      if (m) {
        fn = m[1];
        open = 0;
        sawFinal = false;
      }
      out.push(l);
      continue;
    }
    if (/^\s*endfunction\b/.test(l)) {
      for (; open > 0; open--) out.push('    end');
      fn = null;
      out.push(l);
      continue;
    }
    if (!/\breturn\b/.test(l)) {
      if (sawFinal && l.trim() !== '' && !l.trim().startsWith('//')) throw new Error(`${file}:${i + 1}: statement after the final return of ${fn}: cannot rewrite for Yosys 0.23`);
      out.push(l);
      continue;
    }
    const e = EARLY.exec(l);
    if (e) {
      out.push(`${e[1]}if (${e[2]}) ${fn} = ${e[3]}; else begin`);
      open++;
      continue;
    }
    const f = LAST.exec(l);
    if (f) {
      out.push(`${f[1]}${fn} = ${f[2]};`);
      sawFinal = true;
      continue;
    }
    throw new Error(`${file}:${i + 1}: a return the Yosys 0.23 rewrite does not handle: ${l.trim()}`);
  }
  return out.join('\n');
}
