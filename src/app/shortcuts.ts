/**
 * Global keyboard shortcuts (ux-conventions §5.2). Bound on window, skipped while typing in a text
 * field so they never fight the field's own editing keys (Ctrl+Z in an input undoes the text).
 */
import { redo, undo } from '../state/document';
import { PANES, sessionStore, setSession } from '../state/session';
import { toggleTheme } from '../ui/theme';
import { runNow } from '../panes/explorer/runner';
import { evaluateNow } from '../panes/layers/modelRunner';
import { startSearch } from '../panes/search/searchRunner';

export interface Shortcut {
  /** Alternatives, each a list of keys pressed together. */
  keys: string[][];
  what: string;
}

/** Shown in the help popover; keep in sync with onKey below. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: [['Ctrl', 'Enter']], what: 'Run the explorer now; in Graph / Layers, evaluate again; in Search, start a search' },
  { keys: [['Ctrl', 'Shift', 'E'], ['Ctrl', 'Alt', 'E']], what: 'Search: export the focused Pareto plot as PNG / SVG' },
  { keys: [['Ctrl', 'Z']], what: 'Undo a document edit (format, tensor, per-layer formats)' },
  { keys: [['Shift', '↑'], ['Shift', '↓'], ['Shift', 'Backspace']], what: 'Graph: zoom in, out, fit (graph focused)' },
  { keys: [['Ctrl', 'Shift', 'Z'], ['Ctrl', 'Y']], what: 'Redo' },
  { keys: [['Alt', '1…7']], what: 'Switch pane: Explorer, Graph, Layers, Cost, Search, Verilog, Terminal' },
  { keys: [['Ctrl', '`']], what: 'Toggle the run log' },
  { keys: [['Alt', 'T']], what: 'Toggle dark / light theme' },
  { keys: [['?']], what: 'Show this help' },
  { keys: [['Esc']], what: 'Close help; in the spec field, restore the last valid spec' },
];

function typing(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  if (t instanceof HTMLTextAreaElement) return true;
  if (t instanceof HTMLInputElement) return !['checkbox', 'radio', 'range', 'button'].includes(t.type);
  return false;
}

export function startShortcuts(toggleHelp: (open?: boolean) => void): () => void {
  const onKey = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key === 'Enter') {
      e.preventDefault();
      const pane = sessionStore.getState().pane;
      if (pane === 'graph' || pane === 'layers' || pane === 'cost') evaluateNow();
      else if (pane === 'search') void startSearch();
      else runNow();
      return;
    }
    if (mod && e.key === '`') {
      e.preventDefault();
      setSession({ logOpen: !sessionStore.getState().logOpen });
      return;
    }
    if (e.key === 'Escape') {
      toggleHelp(false);
      return;
    }
    if (typing(e.target)) return;
    if (mod && !e.shiftKey && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      undo();
    } else if (mod && ((e.shiftKey && e.key.toLowerCase() === 'z') || e.key.toLowerCase() === 'y')) {
      e.preventDefault();
      redo();
    } else if (e.altKey && /^Digit[1-7]$/.test(e.code)) {
      e.preventDefault();
      setSession({ pane: PANES[Number(e.code.slice(5)) - 1] });
    } else if (e.altKey && e.code === 'KeyT') {
      e.preventDefault();
      toggleTheme();
    } else if (e.key === '?' && !mod) {
      e.preventDefault();
      toggleHelp();
    }
  };
  addEventListener('keydown', onKey);
  return () => removeEventListener('keydown', onKey);
}
