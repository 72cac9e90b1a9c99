/**
 * Session store: this browser's layout and view preferences. Saved in localStorage, never in the
 * share URL (ux-conventions §5.3: a theme choice is personal).
 */
import { createStore } from 'zustand/vanilla';
import { persist, createJSONStorage } from 'zustand/middleware';

export type ThemeChoice = 'system' | 'dark' | 'light';
export type PaneId = 'explorer' | 'graph' | 'layers' | 'cost' | 'search' | 'verilog' | 'terminal';
export const PANES: readonly PaneId[] = ['explorer', 'graph', 'layers', 'cost', 'search', 'verilog', 'terminal'];

export interface SessionState {
  theme: ThemeChoice;
  pane: PaneId;
  /** Bottom run-log dock. */
  logOpen: boolean;
  /** Histogram y axis on a log scale. */
  logCounts: boolean;
  /** Representable-grid strip on a symmetric-log axis (fp grids are dense near zero). */
  gridSymlog: boolean;
  /** Histogram x axis on a symmetric-log scale (heavy tails). */
  histSymlog: boolean;
  /** Rows of the element table. */
  tableRows: number;
}

const DEFAULTS: SessionState = { theme: 'system', pane: 'explorer', logOpen: false, logCounts: true, gridSymlog: true, histSymlog: true, tableRows: 32 };

export const sessionStore = createStore<SessionState>()(
  persist(() => DEFAULTS, {
    name: 'mx-studio.session',
    version: 1,
    // localStorage can be missing (Node tests) or throw (privacy modes): fall back to memory.
    storage: createJSONStorage(() => (typeof localStorage !== 'undefined' ? localStorage : memoryStorage())),
    merge: (persisted, current) => ({ ...current, ...sanitize(persisted) }),
  }),
);

export function setSession(patch: Partial<SessionState>): void {
  sessionStore.setState(patch);
}

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

/** Keep only known keys with valid values: a stale or hand-edited localStorage must not break the app. */
function sanitize(p: unknown): Partial<SessionState> {
  if (!p || typeof p !== 'object') return {};
  const o = p as Record<string, unknown>;
  const out: Partial<SessionState> = {};
  if (o.theme === 'system' || o.theme === 'dark' || o.theme === 'light') out.theme = o.theme;
  if (typeof o.pane === 'string' && (PANES as readonly string[]).includes(o.pane)) out.pane = o.pane as PaneId;
  if (typeof o.logOpen === 'boolean') out.logOpen = o.logOpen;
  if (typeof o.logCounts === 'boolean') out.logCounts = o.logCounts;
  if (typeof o.gridSymlog === 'boolean') out.gridSymlog = o.gridSymlog;
  if (typeof o.histSymlog === 'boolean') out.histSymlog = o.histSymlog;
  if (typeof o.tableRows === 'number' && [16, 32, 64, 128, 256].includes(o.tableRows)) out.tableRows = o.tableRows;
  return out;
}
