/**
 * How the flows reach a Yosys: one small function type, so the same `synthesize` drives YoWASP's
 * WASM build in the browser worker, the same build in Node tests, and a native `yosys` in the
 * calibration tool. Ring 1 never imports a Yosys itself: the caller injects it.
 *
 * Ring 1: plain TypeScript (no TextDecoder in the ES lib, hence the small UTF-8 decoder below).
 */

/**
 * Run Yosys with `args` in a fresh working directory holding `files`, streaming everything it
 * prints (stdout and stderr, in order) to `output`. Resolves with the exit status (0 = success;
 * Yosys exits 1 on an ERROR). Rejects only when Yosys could not run at all (load failure, WASM trap).
 */
export type YosysRun = (args: string[], files: Record<string, string>, output: (text: string) => void) => Promise<number>;

/** A YoWASP virtual directory: name → file text/bytes or a sub-directory. */
export type YowaspTree = { [name: string]: YowaspTree | string | Uint8Array };

/** The part of `@yowasp/yosys`'s `runYosys` the adapter uses (see its lib/api.d.ts). */
export type YowaspRunYosys = (
  args?: string[],
  files?: YowaspTree,
  options?: { stdout?: ((bytes: Uint8Array | null) => void) | null; stderr?: ((bytes: Uint8Array | null) => void) | null; decodeASCII?: boolean },
) => unknown;

/**
 * Adapt YoWASP's `runYosys` to YosysRun. YoWASP throws its `Exit` error (an Error with a numeric
 * `code`) for a non-zero exit: that becomes the resolved status; any other throw is a real failure.
 */
export function yowaspRun(runYosys: YowaspRunYosys): YosysRun {
  return async (args, files, output) => {
    const dec = utf8Stream();
    const sink = (bytes: Uint8Array | null) => {
      if (bytes && bytes.length) {
        const s = dec(bytes);
        if (s) output(s);
      }
    };
    try {
      await runYosys(args, toTree(files), { stdout: sink, stderr: sink });
      return 0;
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      if (e instanceof Error && typeof code === 'number') return code === 0 ? 0 : code;
      throw e;
    }
  };
}

/**
 * YoWASP's file tree is nested (a folder is an object): `mem/L0_q.codes.hex` becomes
 * `{ mem: { 'L0_q.codes.hex': … } }`, so `$readmemh("mem/L0_q.codes.hex")` finds it.
 */
export function toTree(files: Record<string, string>): YowaspTree {
  const root: YowaspTree = {};
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/');
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      const next = dir[p];
      if (next === undefined) dir = dir[p] = {};
      else if (typeof next === 'object' && !(next instanceof Uint8Array)) dir = next;
      else throw new Error(`${path}: ${p} is a file, not a folder`);
    }
    dir[parts[parts.length - 1]] = text;
  }
  return root;
}

/**
 * A streaming UTF-8 decoder: bytes in, the complete characters so far out; a sequence split across
 * chunks is held until its last byte arrives. Invalid bytes become U+FFFD.
 */
export function utf8Stream(): (bytes: Uint8Array) => string {
  let pending: number[] = [];
  return (bytes) => {
    let out = '';
    const all = pending.length ? [...pending, ...bytes] : bytes;
    pending = [];
    let i = 0;
    while (i < all.length) {
      const b = all[i];
      const need = b < 0x80 ? 0 : b < 0xc0 ? -1 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : b < 0xf8 ? 3 : -1;
      if (need < 0) {
        out += '\ufffd';
        i++;
        continue;
      }
      if (i + need >= all.length && need > 0) {
        // Incomplete at the end of the chunk: keep for the next one.
        pending = Array.from(all.slice(i) as ArrayLike<number>);
        break;
      }
      let cp = need === 0 ? b : b & (0x3f >> need);
      let ok = true;
      for (let k = 1; k <= need; k++) {
        const c = all[i + k];
        if ((c & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
      if (!ok) {
        out += '\ufffd';
        i++;
        continue;
      }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  };
}
