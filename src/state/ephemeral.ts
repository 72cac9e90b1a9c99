/**
 * Ephemeral store: what exists only while the page is open and is recomputed from the document
 * (results), or is pure interaction (hover, progress). Never saved, never shared, never undone.
 */
import { createStore } from 'zustand/vanilla';
import type { FormatSpec } from '../core/formats';
import type { KernelInfo, QuantizeResult } from '../../workers/api/quantize.api';
import type { ExplorerDoc } from './document';

/** One explorer run: the result and the input it was computed from. */
export interface ExplorerRun {
  id: number;
  /** The document this run was computed from (newer edits make it stale). */
  doc: ExplorerDoc;
  spec: FormatSpec;
  input: Float32Array;
  shape: number[];
  result: QuantizeResult;
  /** Where the input came from, for the run log and labels. */
  inputLabel: string;
}

export type RunStatus =
  | { state: 'idle' }
  | { state: 'running'; startedAt: number; label: string }
  | { state: 'error'; kind: 'input' | 'run' | 'crash'; message: string };

export interface LogEntry {
  at: number;
  level: 'info' | 'warn' | 'error';
  text: string;
}

export interface EphemeralState {
  /** null while the worker starts. */
  kernel: KernelInfo | null;
  status: RunStatus;
  run: ExplorerRun | null;
  /** Hovered block (chart or table), to cross-highlight. */
  hoverBlock: number | null;
  /** Block picked in the chart: the element table lists its elements. */
  pickedBlock: number | null;
  /** Problems found in the URL hash on load, shown once until dismissed. */
  linkProblems: string[];
  /** Worker run log (bottom dock), newest last, bounded. */
  log: LogEntry[];
}

export const ephemeralStore = createStore<EphemeralState>()(() => ({
  kernel: null,
  status: { state: 'idle' },
  run: null,
  hoverBlock: null,
  pickedBlock: null,
  linkProblems: [],
  log: [],
}));

const LOG_LIMIT = 500;

export function appendLog(level: LogEntry['level'], text: string): void {
  const log = ephemeralStore.getState().log;
  ephemeralStore.setState({ log: [...log.slice(-(LOG_LIMIT - 1)), { at: Date.now(), level, text }] });
}
