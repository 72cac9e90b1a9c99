/**
 * Runs synthesis for the cost pane: one run at a time through the page-wide synthesis client,
 * status and results in synthStore, the Yosys log into synthLog (the terminal views follow it),
 * and one summary line per run in the run log (the Terminal pane shows it today).
 */
import { appendLog } from '../../state/ephemeral';
import { synthStore, type SynthTarget } from '../../state/hardware';
import { SynthCancelledError, synthClient, synthLog } from '../../services/synthClient';
import type { SynthFlowId } from '../../core/hdl';

/** Both flows, always: LUT/FF/DSP from synth_xilinx, gate equivalents from the CMOS flow. */
export const FLOWS: SynthFlowId[] = ['fpga', 'gates'];

let runId = 0;

/** Synthesise a target. A run already going is cancelled first (its worker is terminated). */
export async function synthesizeTarget(target: SynthTarget): Promise<void> {
  const client = synthClient();
  if (synthStore.getState().status.state === 'running') client.cancel();
  const id = ++runId;
  synthLog.clear();
  synthStore.setState({ status: { state: 'running', key: target.key, label: target.label, startedAt: performance.now(), progress: null } });
  appendLog('info', `synthesis: ${target.design.top} (${Object.keys(target.design.files).length} file${Object.keys(target.design.files).length === 1 ? '' : 's'}) — Yosys in the synthesis worker`);
  try {
    const out = await client.run(target.design, FLOWS, {
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
    if (id !== runId) return;
    if (e instanceof SynthCancelledError) {
      synthStore.setState({ status: { state: 'idle' } });
      synthLog.append('\n[cancelled: the synthesis worker was terminated]\n');
      appendLog('warn', `synthesis: ${target.design.top}: cancelled`);
    } else throw e;
  }
}

/** Stop the running synthesis (terminates the worker; the next run starts a fresh one). */
export function cancelSynthesis(): void {
  if (synthStore.getState().status.state === 'running') synthClient().cancel();
}
