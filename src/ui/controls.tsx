/** Shared form primitives: dense, keyboard-friendly, themed by theme.css. */
import { useEffect, useId, useState, type ReactNode } from 'react';

export function Field(props: { label: string; htmlFor?: string; children: ReactNode; error?: string | null; title?: string }) {
  return (
    <div className="field" title={props.title}>
      {props.htmlFor ? <label htmlFor={props.htmlFor}>{props.label}</label> : <span className="label">{props.label}</span>}
      <div className="ctl">{props.children}</div>
      {props.error ? (
        <div className="field-error" role="alert">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

export function Segmented<T extends string>(props: {
  value: T;
  options: readonly { id: T; label: string; hint?: string }[];
  onChange: (v: T) => void;
  label: string;
  full?: boolean;
  testId?: string;
}) {
  return (
    <div className={props.full ? 'seg full' : 'seg'} role="group" aria-label={props.label} data-testid={props.testId}>
      {props.options.map((o) => (
        <button key={o.id} type="button" aria-pressed={o.id === props.value} title={o.hint} onClick={() => props.onChange(o.id)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Select<T extends string | number>(props: {
  id?: string;
  value: T;
  options: readonly { id: T; label: string }[];
  onChange: (v: T) => void;
  label?: string;
  testId?: string;
}) {
  return (
    <select
      id={props.id}
      className="select"
      aria-label={props.label}
      data-testid={props.testId}
      value={String(props.value)}
      onChange={(e) => {
        const o = props.options.find((x) => String(x.id) === e.target.value);
        if (o) props.onChange(o.id);
      }}
    >
      {props.options.map((o) => (
        <option key={String(o.id)} value={String(o.id)}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/**
 * An integer input that keeps the user's text while it is being typed (so "1" on the way to "16"
 * is not rejected), commits valid values, and shows out-of-range input as invalid.
 */
export function IntInput(props: {
  id?: string;
  value: number;
  min: number;
  max: number;
  onCommit: (v: number) => void;
  label?: string;
  width?: number;
  testId?: string;
}) {
  const [text, setText] = useState(String(props.value));
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setText(String(props.value));
  }, [props.value, focused]);
  const parsed = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  const ok = Number.isInteger(parsed) && parsed >= props.min && parsed <= props.max;
  return (
    <input
      id={props.id}
      className={'input num' + (ok ? '' : ' invalid')}
      style={props.width ? { width: props.width, flex: 'none' } : undefined}
      inputMode="numeric"
      aria-label={props.label}
      aria-invalid={!ok}
      title={`${props.min} to ${props.max}`}
      data-testid={props.testId}
      value={text}
      onFocus={() => setFocused(true)}
      onBlur={() => {
        setFocused(false);
        setText(String(props.value));
      }}
      onChange={(e) => {
        setText(e.target.value);
        const v = /^-?\d+$/.test(e.target.value.trim()) ? Number(e.target.value) : NaN;
        if (Number.isInteger(v) && v >= props.min && v <= props.max) props.onCommit(v);
      }}
      onKeyDown={(e) => {
        if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
          e.preventDefault();
          const v = Math.min(props.max, Math.max(props.min, props.value + (e.key === 'ArrowUp' ? 1 : -1) * (e.shiftKey ? 10 : 1)));
          setText(String(v));
          props.onCommit(v);
        }
      }}
    />
  );
}

export function Chips<T extends number | string>(props: { values: readonly T[]; value: T; onPick: (v: T) => void; label: string; format?: (v: T) => string }) {
  return (
    <div className="chips" role="group" aria-label={props.label}>
      {props.values.map((v) => (
        <button key={String(v)} type="button" className="chip" aria-pressed={v === props.value} onClick={() => props.onPick(v)}>
          {props.format ? props.format(v) : String(v)}
        </button>
      ))}
    </div>
  );
}

export function Check(props: { checked: boolean; onChange: (v: boolean) => void; children: ReactNode; title?: string; testId?: string }) {
  const id = useId();
  return (
    <label className="check" htmlFor={id} title={props.title}>
      <input id={id} type="checkbox" checked={props.checked} data-testid={props.testId} onChange={(e) => props.onChange(e.target.checked)} />
      {props.children}
    </label>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}

export function Spinner({ label = 'Working' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}
