/**
 * Panes that are planned but not built yet. Each says what it will do and which milestone brings
 * it — no mock content, so nobody mistakes a placeholder for a result.
 */
import type { ReactNode } from 'react';
import type { PaneId } from '../../state/session';

export interface PaneInfo {
  title: string;
  milestone: string;
  what: string;
  bullets: string[];
}

export const COMING: Readonly<Record<Exclude<PaneId, 'explorer' | 'cost'>, PaneInfo>> = {
  graph: {
    title: 'Graph',
    milestone: 'Milestone: Real language models',
    what: 'The model’s layer graph, with repeated decoder blocks folded into “block × N”, coloured by each layer’s format and its sensitivity.',
    bullets: ['Load ONNX, safetensors header + config, or the studio’s JSON graph IR', 'Layout in a worker with a delayed progress notice and Cancel', 'Find (Ctrl+F), Netron-style zoom keys, PNG/SVG export'],
  },
  layers: {
    title: 'Layers',
    milestone: 'Milestone: Real language models',
    what: 'Per-layer format controls at model, type and layer granularity, with numeric profiling of weights and activations against each format’s representable range.',
    bullets: ['Clipping and underflow shares per layer, including the input layer', 'Overflow / saturation counters per block', 'Undoable edits, shared by URL'],
  },
  search: {
    title: 'Search / Pareto',
    milestone: 'Milestone: Automatic search',
    what: 'Automatic per-layer format search in workers (random, NSGA-II-style, greedy bit-drop) with a Pareto plot of accuracy proxy against energy and area.',
    bullets: ['Seeded, reproducible, pause / resume / cancel', 'Hypervolume progress and a stall detector', 'Trial table with CSV/JSON export including trial id and seed'],
  },
  verilog: {
    title: 'Verilog',
    milestone: 'Milestone: Hardware',
    what: 'Generated SystemVerilog for the chosen formats in a read-only editor, linted by Verilator in the browser, exportable as a ZIP with testbench and golden vectors.',
    bullets: ['Golden vectors come from the emulator, never hand-written', 'Wide MX buses (32 × 8-bit = 256 bits) simulate natively', 'Bit-exact HW/SW co-simulation with a per-layer pass/fail badge'],
  },
  terminal: {
    title: 'Terminal',
    milestone: 'Milestone: Hardware',
    what: 'Simulation and compiler output (Verilator, $display) streamed with flow control, next to the waveform view.',
    bullets: ['Batched, back-pressured output so long simulations never freeze the page', 'First mismatching block / element / bit field reported by co-simulation'],
  },
};

export function ComingPane({ pane, children, wide }: { pane: Exclude<PaneId, 'explorer' | 'cost'>; children?: ReactNode; wide?: boolean }) {
  const info = COMING[pane];
  return (
    <div className="coming" data-testid={`pane-${pane}`}>
      <div className={wide ? 'panel card wide' : 'panel card'}>
        <h2>{info.title}</h2>
        <span className="milestone">{info.milestone} · not built yet</span>
        <p>{info.what}</p>
        <ul>
          {info.bullets.map((b) => (
            <li key={b}>{b}</li>
          ))}
        </ul>
        {children}
      </div>
    </div>
  );
}
