/**
 * Synthesis of a design with the project's fixed flows: run each flow's Yosys script through an
 * injected YosysRun, stream the log (batched), report progress (at most ~10 times a second), and
 * turn each run into numbers — FPGA resources for `fpga`, gate counts and gate equivalents for
 * `gates` — or into one clear HdlError when the Verilog does not parse or elaborate.
 *
 * Where it runs: workers/synth.worker.ts (YoWASP in the browser), Node tests (the same YoWASP
 * build), and the native calibration tool (a `yosys` child process behind the same YosysRun).
 * The Yosys run blocks its thread until it ends, so batching is driven by the clock at each line
 * of output, not by timers.
 *
 * Ring 1: plain TypeScript.
 */
import { HdlError, checkDesign, type HdlDesign } from './design';
import { yosysError } from './errors';
import { fpgaCounts, gateCounts, parseStat, type FpgaCounts, type GateCounts, type YosysStat } from './stat';
import { yosysArgs, type ScriptOptions, type SynthFlowId } from './yosysScript';
import type { YosysRun } from './runner';

export interface SynthProgress {
  readonly flow: SynthFlowId;
  /** 0-based index of the flow in the request, and how many flows there are. */
  readonly flowIndex: number;
  readonly flows: number;
  /** The Yosys pass running now ("ABC pass", "Verilog-2005 frontend"), as its log names it. */
  readonly pass: string;
  /** Passes seen so far in this flow. */
  readonly step: number;
  /** Overall fraction done, 0…1: by passes seen against a flow's typical count (an estimate; 1 only at the end). */
  readonly fraction: number;
}

export interface SynthHooks {
  /** Log text, in order, batched (each batch ends at a line end, except possibly the last). */
  onLog?(text: string): void;
  onProgress?(p: SynthProgress): void;
  /** Milliseconds clock (default Date.now); tests inject one. */
  now?(): number;
  /** Minimum time between two onLog / onProgress calls, ms (default 100: ≤ 10 updates a second). */
  intervalMs?: number;
}

export interface FlowResult {
  readonly flow: SynthFlowId;
  /** The exact Yosys script that ran. */
  readonly script: string;
  readonly stat: YosysStat;
  /** `fpga` flow: the Xilinx resources. */
  readonly fpga: FpgaCounts | null;
  /** `gates` flow: gates, flip-flops, transistors, GE. */
  readonly gates: GateCounts | null;
  /** Yosys's version as its log states it ("0.55"). */
  readonly version: string | null;
  /** Wall time of the run, ms. */
  readonly ms: number;
}

export interface SynthReport {
  readonly top: string;
  readonly flows: readonly FlowResult[];
  readonly ms: number;
}

/**
 * Passes a flow's log typically announces (numbered "N." and "N.M." headers), from the Yosys 0.55
 * and 0.23 logs in fixtures/logs (synth_xilinx: 3 + 46, synth + legalise + abc: 6 + 28); only for
 * the progress estimate.
 */
const TYPICAL_PASSES: Record<SynthFlowId, number> = { fpga: 49, gates: 34 };

const PASS_LINE = /^(\d+(?:\.\d+)?)\. (?:Executing )?(.+?)(?: \(.*\))?\.?$/;

/**
 * Synthesise `design` with each flow in turn. Resolves with every flow's numbers; rejects with
 * HdlError — 'request' (bad design, before Yosys runs), 'verilog' (does not parse/elaborate, with
 * the location when Yosys gave one) or 'tool' (Yosys failed otherwise, or printed no report).
 */
export async function synthesize(run: YosysRun, design: HdlDesign, flows: readonly SynthFlowId[], hooks: SynthHooks = {}, opts: ScriptOptions = {}): Promise<SynthReport> {
  checkDesign(design);
  if (flows.length === 0) throw new HdlError('request', 'No synthesis flow was asked for.');
  const now = hooks.now ?? (() => Date.now());
  const interval = hooks.intervalMs ?? 100;
  const t0 = now();
  const results: FlowResult[] = [];

  for (let fi = 0; fi < flows.length; fi++) {
    const flow = flows[fi];
    const args = yosysArgs(flow, design, opts);
    const script = args[1];
    const chunks: string[] = [];
    let batch = '';
    let partial = '';
    let step = 0;
    let pass = 'starting Yosys';
    let lastEmit = -Infinity;
    let progressDirty = true;

    const progress = (final: boolean): SynthProgress => ({
      flow,
      flowIndex: fi,
      flows: flows.length,
      pass,
      step,
      fraction: (fi + (final ? 1 : Math.min(0.97, step / TYPICAL_PASSES[flow]))) / flows.length,
    });
    const emit = (force: boolean) => {
      const t = now();
      if (!force && t - lastEmit < interval) return;
      lastEmit = t;
      if (batch) {
        hooks.onLog?.(batch);
        batch = '';
      }
      if (progressDirty) {
        hooks.onProgress?.(progress(false));
        progressDirty = false;
      }
    };

    const header = `$ yosys -p '${script}'\n`;
    batch += header;
    emit(true);
    const t1 = now();
    const status = await run(args, { ...design.files }, (text) => {
      chunks.push(text);
      batch += text;
      // Track pass headers on whole lines only (a chunk may end mid-line).
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = PASS_LINE.exec(l);
        if (m && !l.startsWith(' ')) {
          step++;
          pass = m[2];
          progressDirty = true;
        }
      }
      emit(false);
    });
    const ms = now() - t1;
    const log = chunks.join('');
    batch += `\n[yosys exited with status ${status} after ${(ms / 1000).toFixed(1)} s]\n`;
    emit(true);

    if (status !== 0) {
      throw yosysError(log, design) ?? new HdlError('tool', `Yosys exited with status ${status} without an ERROR line; the end of its log: ${log.slice(-400)}`);
    }
    // A zero exit can still hide an error line in odd cases: the report is what counts.
    let stat: YosysStat;
    try {
      stat = parseStat(log, design.top);
    } catch (e) {
      throw yosysError(log, design) ?? e;
    }
    results.push({
      flow,
      script,
      stat,
      fpga: flow === 'fpga' ? fpgaCounts(stat.design) : null,
      gates: flow === 'gates' ? gateCounts(stat.design) : null,
      version: stat.version,
      ms,
    });
    hooks.onProgress?.(progress(true));
  }
  return { top: design.top, flows: results, ms: now() - t0 };
}
