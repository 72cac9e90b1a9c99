/**
 * The worker run log: one line per quantize run (format, shape, engine, time, SQNR) plus kernel
 * loading, cancels and crashes. Real output now; simulation output joins it in the Hardware milestone.
 * Plain DOM (bounded to 500 lines by the store) — xterm.js arrives with the simulator's volume.
 */
import { useLayoutEffect, useRef } from 'react';
import { ephemeralStore } from '../../state/ephemeral';
import { useSlice } from '../../ui/hooks';

function time(at: number): string {
  const d = new Date(at);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function RunLog() {
  const log = useSlice(ephemeralStore, (s) => s.log);
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log]);
  return (
    <div className="log" ref={ref} data-testid="run-log" role="log" aria-live="off">
      {log.length === 0 ? <div className="t">No runs yet.</div> : null}
      {log.map((l, i) => (
        <div key={i} className={l.level}>
          <span className="t">{time(l.at)}</span>
          {l.text}
        </div>
      ))}
    </div>
  );
}
