/**
 * The synthesis log in an xterm.js terminal, following `synthLog` (src/services/synthClient.ts).
 * Writes are flow-controlled as ux-conventions §5.6 asks: queued text is merged into chunks of at
 * most 64 KiB and at most 4 chunks are in flight (`write(data, callback)` acknowledges each), so a
 * burst of Yosys output never floods xterm's write buffer. Themed from the page's CSS variables.
 * The Terminal pane can mount this component as is.
 */
import { useEffect, useRef } from 'react';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { synthLog, type LogFeed } from '../../services/synthClient';
import { sessionStore } from '../../state/session';

const CHUNK = 64 * 1024;
const IN_FLIGHT = 4;

function themeFromCss(el: Element): ITheme {
  const css = getComputedStyle(el);
  const v = (name: string) => css.getPropertyValue(name).trim() || undefined;
  return { background: v('--input-bg'), foreground: v('--text'), cursor: v('--input-bg'), selectionBackground: v('--accent-soft'), red: v('--danger'), yellow: v('--warn'), green: v('--ok'), blue: v('--accent') };
}

export function SynthTerminal({ feed = synthLog, rows = 14, testId = 'synth-terminal' }: { feed?: LogFeed; rows?: number; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({ rows, cols: 100, convertEol: true, disableStdin: true, scrollback: 20000, fontSize: 11.5, fontFamily: getComputedStyle(el).getPropertyValue('--mono') || 'monospace', theme: themeFromCss(el) });
    term.open(el);

    // Size the columns to the panel: measure one character in the terminal's font.
    const fit = () => {
      const ctx = document.createElement('canvas').getContext('2d');
      if (!ctx) return;
      ctx.font = `${term.options.fontSize}px ${term.options.fontFamily}`;
      const cw = ctx.measureText('M').width || 7;
      const cols = Math.max(40, Math.floor((el.clientWidth - 14) / cw));
      if (cols !== term.cols) term.resize(cols, rows);
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);

    let queue = '';
    let inFlight = 0;
    const pump = () => {
      while (queue && inFlight < IN_FLIGHT) {
        const chunk = queue.slice(0, CHUNK);
        queue = queue.slice(CHUNK);
        inFlight++;
        term.write(chunk, () => {
          inFlight--;
          pump();
        });
      }
    };
    const push = (text: string) => {
      if (text === '') {
        // The feed was cleared: a new run.
        queue = '';
        term.reset();
        return;
      }
      queue += text;
      pump();
    };
    push(feed.text());
    const off = feed.subscribe(push);
    const offTheme = sessionStore.subscribe(() => requestAnimationFrame(() => (term.options.theme = themeFromCss(el))));
    return () => {
      off();
      offTheme();
      ro.disconnect();
      term.dispose();
    };
  }, [feed, rows]);

  return <div className="synth-terminal" ref={host} data-testid={testId} role="log" aria-label="Yosys log" />;
}
