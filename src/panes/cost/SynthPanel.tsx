/**
 * "Synthesize layer": run real Yosys (WebAssembly, in the synthesis worker) on RTL and show the
 * LUT/FF/DSP/BRAM and gate equivalents it reports beside the cost model's estimate of the same
 * hardware. Targets: the selected layer's generated RTL (once the generator lands: rtlSource.ts's
 * hook), a component-library module, the test design, or pasted Verilog. Progress with the pass
 * Yosys is in, Cancel after 2 s (terminates the worker), errors as Yosys located them, and the
 * whole log in a terminal (and as a file).
 */
import { useMemo, useState } from 'react';
import type { Graph } from '../../core/graph';
import type { CostReport } from '../../core/cost';
import { SYNTH_FLOWS, type FlowResult } from '../../core/hdl';
import { documentStore } from '../../state/document';
import { hardwareStore, synthStore, type SynthResultView, type SynthTarget } from '../../state/hardware';
import { modelStore } from '../../state/model';
import { synthLog } from '../../services/synthClient';
import { Spinner } from '../../ui/controls';
import { fmtInt } from '../../ui/format';
import { useDelayed, useSlice } from '../../ui/hooks';
import { designPoint } from '../rtl/rtlRunner';
import { TEST_TARGET, libraryTargets, pastedTarget } from './rtlSource';
import { SynthTerminal } from './SynthTerminal';
import { cancelSynthesis, synthesizeLayer, synthesizeTarget } from './synthRunner';

/** Stimulus tokens of a layer generated for synthesis (vectors are not synthesised: the fewest). */
const LAYER_TOKENS = 4;

const PASTE = 'pasted';
const EXAMPLE = `module mac8 (\n  input  logic        clk,\n  input  logic [7:0]  a, b,\n  output logic [19:0] acc\n);\n  always_ff @(posedge clk) acc <= acc + a * b;\nendmodule\n`;

const KIND_TITLE = { verilog: 'The Verilog does not parse or elaborate', request: 'The design was not accepted', tool: 'Yosys failed' } as const;

export function SynthPanel({ g, report, selectedOp }: { g: Graph | null; report: CostReport | null; selectedOp: string | null }) {
  const hw = useSlice(hardwareStore, (s) => s);
  const doc = useSlice(documentStore, (s) => s.model);
  const loaded = useSlice(modelStore, (s) => s.model);
  const status = useSlice(synthStore, (s) => s.status);
  const results = useSlice(synthStore, (s) => s.results);
  const lastKey = useSlice(synthStore, (s) => s.lastKey);
  const library = useMemo(() => [TEST_TARGET, ...libraryTargets()], []);
  const [choice, setChoice] = useState<string>(TEST_TARGET.key);
  const [text, setText] = useState(EXAMPLE);
  const [top, setTop] = useState('');
  // Which result to show: the last one asked for (a run started here, or a module picked).
  const [focus, setFocus] = useState<string | null>(null);

  const op = (g && selectedOp && report?.layers.find((l) => l.op === selectedOp)) || null;
  // The layer's RTL comes from the Verilog pane's generator: the same design point (document
  // formats, the lanes set here) with this op selected.
  const point = useMemo(() => (op ? designPoint(doc, loaded, hw, { scope: 'selected', tokens: LAYER_TOKENS }, op.op) : null), [op, doc, loaded, hw]);
  const pasted = choice === PASTE ? pastedTarget(text, top) : null;
  const target: SynthTarget | null = choice === PASTE ? (pasted && 'key' in pasted ? pasted : null) : (library.find((t) => t.key === choice) ?? null);

  const running = status.state === 'running';
  const run = (t: SynthTarget) => {
    setFocus(t.key);
    void synthesizeTarget(t);
  };
  const late = useDelayed(running, 2000);
  // The latest run's error stays until the next run, naming its target. The result shown is the
  // selected target's, else the latest one (labelled with its module), so a run's numbers never
  // vanish because the selection or the text changed meanwhile; a failed run keeps the others'.
  const error = status.state === 'error' ? status : null;
  const shown = running ? undefined : ((focus && results[focus]) ?? (lastKey ? results[lastKey] : undefined));
  const result = shown && shown.target.key !== error?.key ? shown : undefined;

  return (
    <section
      className="panel synth-panel"
      aria-label="Synthesis"
      data-testid="synth-panel"
      onKeyDown={(e) => {
        // Ctrl+Enter runs the focused pane's primary action (ux-conventions §5.2), also from the source box.
        if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && target && !running) {
          e.preventDefault();
          run(target);
        }
      }}
    >
      <div className="panel-head">
        <h2>Synthesis</h2>
        <span className="sub">Yosys 0.55 in WebAssembly, in a worker · {SYNTH_FLOWS.fpga.label} + {SYNTH_FLOWS.gates.label}</span>
      </div>
      <div className="panel-body stack">
        <div className="row synth-layer">
          <button
            className="btn small primary"
            data-testid="synth-layer"
            disabled={!op || !point?.ok || running}
            onClick={() => {
              if (!op || !point?.ok) return;
              setFocus(`op:${op.op}`);
              void synthesizeLayer(point, op);
            }}
            title={op ? `Generate ${op.op}'s RTL (the Verilog pane's generator) and synthesise it` : 'Select a layer first'}
          >
            Synthesize layer{op ? ` ${op.op}` : ''}
          </button>
          <span className="muted" data-testid="synth-layer-note">
            {!op
              ? 'Select a layer (click a bar) to generate and synthesise its RTL.'
              : point && !point.ok
                ? point.reason
                : `Generates ${op.op} with ${op.lanes.k}×${op.lanes.n} lanes in the document's formats, then runs both flows; the cost model's estimate of the same layer is shown beside.`}
          </span>
        </div>
        <div className="row">
          <select className="select grow" aria-label="Module to synthesise" data-testid="synth-target" value={choice} onChange={(e) => (setChoice(e.target.value), setFocus(e.target.value))}>
            {library.map((t) => (
              <option key={t.key} value={t.key}>
                {t.label}
              </option>
            ))}
            <option value={PASTE}>Your Verilog…</option>
          </select>
          <button className="btn small primary" data-testid="synth-run" disabled={!target || running} onClick={() => target && run(target)} title="Run both flows on this module (Ctrl+Enter)">
            Synthesize
          </button>
        </div>
        {library.length === 1 ? <p className="hint-text">The component library (src/core/rtl/components) has no modules yet; its modules appear here as they land.</p> : null}
        {choice === PASTE ? (
          <div className="stack">
            <textarea className="textarea" rows={8} spellCheck={false} aria-label="Verilog to synthesise" data-testid="synth-source" value={text} onChange={(e) => setText(e.target.value)} />
            <div className="row">
              <span className="label-inline">Top</span>
              <input className="input" style={{ width: 160 }} placeholder={pasted && 'key' in pasted ? pasted.design.top : 'module name'} aria-label="Top module" data-testid="synth-top" value={top} onChange={(e) => setTop(e.target.value)} />
              {pasted && 'error' in pasted ? (
                <span className="spec-error" role="alert">
                  {pasted.error}
                </span>
              ) : (
                <span className="muted">runs only inside the synthesis worker</span>
              )}
            </div>
          </div>
        ) : null}

        {running ? (
          <div className="synth-progress" data-testid="synth-running">
            <Spinner />
            <span className="grow">
              {status.note && !status.progress ? (
                <>
                  <b className="mono">{status.label.split(' — ')[0]}</b> · {status.note}
                </>
              ) : status.progress ? (
                <>
                  <b className="mono">{status.label.split(' — ')[0]}</b> · {SYNTH_FLOWS[status.progress.flow].label} ({status.progress.flowIndex + 1}/{status.progress.flows}): <span className="mono">{status.progress.pass}</span>
                </>
              ) : (
                'Starting Yosys (the first run fetches and compiles 31 MB of WebAssembly)…'
              )}
            </span>
            <progress className="bar" max={1} value={status.progress?.fraction ?? 0} data-testid="synth-progress" />
            {late ? (
              <button className="btn small" data-testid="synth-cancel" onClick={cancelSynthesis}>
                Cancel
              </button>
            ) : null}
          </div>
        ) : null}

        {error ? (
          <div className="synth-error" role="alert" data-testid="synth-error" data-kind={error.error.kind}>
            <b>{KIND_TITLE[error.error.kind]}</b> <span className="muted">({error.label})</span>
            <pre>{error.error.message}</pre>
          </div>
        ) : null}

        {result ? <SynthResult view={result} /> : null}

        <div className="synth-log-head row">
          <span className="label-inline">Yosys log</span>
          <span className="spacer" />
          <button className="btn small ghost" data-testid="synth-save-log" onClick={saveLog} title="Save the whole log as a text file">
            Save log
          </button>
        </div>
        <SynthTerminal />
      </div>
    </section>
  );
}

function saveLog(): void {
  const blob = new Blob([synthLog.text()], { type: 'text/plain' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'yosys.log.txt';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function SynthResult({ view }: { view: SynthResultView }) {
  const fpga = view.flows.find((f) => f.fpga);
  const gates = view.flows.find((f) => f.gates);
  const est = view.target.estimate;
  const rows: { label: string; id: string; real: number | null; model: number | null; note?: string }[] = [
    { label: 'LUT', id: 'luts', real: fpga?.fpga?.luts ?? null, model: est?.luts ?? null },
    { label: 'FF', id: 'ffs', real: fpga?.fpga?.ffs ?? null, model: est?.ffs ?? null },
    { label: 'DSP48', id: 'dsps', real: fpga?.fpga?.dsps ?? null, model: est?.dsps ?? null, note: '-nodsp: multipliers in LUTs' },
    { label: 'BRAM36', id: 'brams', real: fpga?.fpga?.brams ?? null, model: est?.brams ?? null },
    { label: 'CARRY4', id: 'carries', real: fpga?.fpga?.carries ?? null, model: null },
    { label: 'MUXF7/8', id: 'muxes', real: fpga?.fpga?.muxes ?? null, model: null },
    { label: 'Gate equivalents', id: 'ge', real: gates?.gates?.gateEquivalents ?? null, model: est?.gateEquivalents ?? null, note: gates?.gates?.lowerBound ? 'lower bound' : 'transistors / 4' },
  ];
  return (
    <div className="synth-result" data-testid="synth-result" data-key={view.target.key}>
      <div className="row">
        <b className="mono">{view.target.design.top}</b>
        <span className="muted">{view.target.label.split(' — ')[1] ?? ''}</span>
        <span className="muted">
          Yosys {fpga?.version ?? gates?.version ?? '?'} · {(view.ms / 1000).toFixed(1)} s · {new Date(view.at).toLocaleTimeString()}
        </span>
      </div>
      <table className="grid-table synth-table">
        <thead>
          <tr>
            <th>resource</th>
            <th>Yosys</th>
            <th>cost model</th>
            <th>model ÷ Yosys</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid={`synth-${r.id}`} data-value={r.real ?? ''}>
              <td title={r.note}>{r.label}</td>
              <td className="real">{r.real === null ? '—' : fmtInt(r.real)}</td>
              <td>{r.model === null ? '—' : fmtInt(Math.round(r.model))}</td>
              <td>{r.real && r.model !== null ? (r.model / r.real).toFixed(2) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint-text">
        {est ? 'Cost model: the same layer as priced in the breakdown above.' : 'No cost-model estimate for a lone module: the model prices whole layers (select a layer once its RTL is generated).'}{' '}
        Scripts: {view.flows.map((f: FlowResult) => (
          <code key={f.flow} title={f.script}>
            {f.flow}
          </code>
        ))}
        .
      </p>
    </div>
  );
}
