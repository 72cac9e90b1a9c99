/**
 * Runs synthesis for the cost pane: one run at a time through the page-wide synthesis client,
 * status and results in synthStore, the Yosys log into synthLog (the terminal views follow it),
 * and one summary line per run in the run log (the Terminal pane shows it today).
 *
 * "Synthesize layer" first generates the layer's RTL with the Verilog pane's generator — reusing
 * that pane's bundle when it is for the same design point, else in an RTL worker of the cost
 * pane's own (so neither pane cancels the other's work) — then synthesises it.
 */
import type { LayerCost } from '../../core/cost';
import type { SynthFlowId } from '../../core/hdl';
import { appendLog } from '../../state/ephemeral';
import { synthStore, type SynthTarget } from '../../state/hardware';
import { RtlCancelledError, RtlClient } from '../../services/rtlClient';
import { SynthCancelledError, synthClient, synthLog } from '../../services/synthClient';
import { rtlViewStore, type DesignPoint } from '../rtl/rtlRunner';
import { bundleDesign } from './rtlSource';

/** Both flows, always: LUT/FF/DSP from synth_xilinx, gate equivalents from the CMOS flow. */
export const FLOWS: SynthFlowId[] = ['fpga', 'gates'];

let runId = 0;
let rtl: RtlClient | null = null;

function layerRtlClient(): RtlClient {
  rtl ??= new RtlClient();
  return rtl;
}

function running(key: string, label: string, note: string | null): void {
  synthStore.setState({ status: { state: 'running', key, label, startedAt: performance.now(), progress: null, note } });
}

/** Synthesise a target. A run already going is cancelled first (its worker is terminated). */
export async function synthesizeTarget(target: SynthTarget): Promise<void> {
  cancelSynthesis();
  const id = ++runId;
  synthLog.clear();
  running(target.key, target.label, null);
  await runYosys(target, id);
}

/**
 * Generate the RTL of one layer of the design point (`point`, from the Verilog pane's
 * designPoint with that op selected) and synthesise it; the cost model's figures for the op are the
 * estimate shown beside Yosys's.
 */
export async function synthesizeLayer(point: Extract<DesignPoint, { ok: true }>, op: LayerCost): Promise<void> {
  cancelSynthesis();
  const id = ++runId;
  const key = `op:${op.op}`;
  const label = `${op.op} — layer (${op.gemm.M}×${op.gemm.K}×${op.gemm.N}, ${op.lanes.k}×${op.lanes.n} lanes)`;
  synthLog.clear();
  running(key, label, `generating ${op.op}'s RTL (weights encoded, emulator run for the testbench vectors)`);
  appendLog('info', `synthesis: generating the RTL of ${op.op}`);
  const fail = (message: string, kind: 'request' | 'tool' = 'request') => {
    synthStore.setState({ status: { state: 'error', key, label, error: { kind, message } } });
    synthLog.append(`${message}\n`);
    appendLog('error', `synthesis: ${op.op}: ${message.split('\n')[0]}`);
  };
  let files;
  const shown = rtlViewStore.getState().result;
  if (shown?.key === point.key) {
    files = shown.files;
    synthLog.append(`[RTL of ${op.op}: the Verilog pane's bundle for this design point]\n`);
  } else {
    try {
      const out = await layerRtlClient().generate(point.request);
      if (id !== runId) return;
      if (!out.ok) return fail(`The RTL generator could not build ${op.op}: ${out.error.message}`, out.error.kind === 'rtl' ? 'request' : 'tool');
      files = out.result.files;
      synthLog.append(`[RTL of ${op.op} generated in ${(out.result.ms / 1000).toFixed(1)} s]\n`);
    } catch (e) {
      if (e instanceof RtlCancelledError) return;
      throw e;
    }
  }
  const design = bundleDesign(files);
  if ('error' in design) return fail(design.error, 'tool');
  const target: SynthTarget = {
    key,
    label,
    design,
    estimate: { luts: op.fpga.luts, ffs: op.fpga.ffs, dsps: op.fpga.dsps, brams: op.fpga.brams, gateEquivalents: op.gateEquivalents },
  };
  running(key, label, null);
  await runYosys(target, id);
}

async function runYosys(target: SynthTarget, id: number): Promise<void> {
  const n = Object.keys(target.design.files).length;
  appendLog('info', `synthesis: ${target.design.top} (${n} file${n === 1 ? '' : 's'}) — Yosys in the synthesis worker`);
  try {
    const out = await synthClient().run(target.design, FLOWS, {
      onLog: (text) => {
        if (id === runId) synthLog.append(text);
      },
      onProgress: (progress) => {
        const st = synthStore.getState().status;
        if (id === runId && st.state === 'running') synthStore.setState({ status: { ...st, progress } });
      },
    });
    if (id !== runId) return;
    if (out.ok) {
      const { report } = out;
      synthStore.setState((s) => ({ status: { state: 'idle' }, lastKey: target.key, results: { ...s.results, [target.key]: { target, flows: [...report.flows], ms: report.ms, at: Date.now() } } }));
      const f = report.flows.find((x) => x.fpga)?.fpga;
      const g = report.flows.find((x) => x.gates)?.gates;
      appendLog('info', `synthesis: ${target.design.top}: ${f ? `${f.luts} LUT, ${f.ffs} FF, ${f.dsps} DSP, ${f.brams} BRAM` : ''}${g && g.gateEquivalents !== null ? `, ${g.gateEquivalents} GE` : ''} (Yosys ${report.flows[0]?.version ?? '?'}, ${(report.ms / 1000).toFixed(1)} s)`);
    } else {
      synthStore.setState({ status: { state: 'error', key: target.key, label: target.label, error: out.error } });
      synthLog.append(`\n${out.error.message}\n`);
      appendLog('error', `synthesis: ${target.design.top}: ${out.error.message.split('\n')[0]}`);
    }
  } catch (e) {
    if (e instanceof SynthCancelledError) return;
    throw e;
  }
}

/** Stop the running synthesis or layer generation (terminates its worker; the next run starts a fresh one). */
export function cancelSynthesis(): void {
  const st = synthStore.getState().status;
  if (st.state !== 'running') return;
  runId++;
  if (st.note) rtl?.cancel();
  else synthClient().cancel();
  synthStore.setState({ status: { state: 'idle' } });
  synthLog.append(st.note ? '\n[cancelled: the RTL worker was terminated]\n' : '\n[cancelled: the synthesis worker was terminated]\n');
  appendLog('warn', `synthesis: ${st.label.split(' — ')[0]}: cancelled`);
}
