/**
 * Format controls shared by the Format Explorer and the Layers pane: the editable spec string and
 * the knobs of the chosen family (both produce a canonical spec string). An invalid spec string
 * shows core's FormatError inline (which parameter, what is allowed) and keeps the last valid
 * format. The caller decides where the spec goes (`onChange`).
 *
 * `testIdPrefix` keeps test ids and element ids unique when a pane shows more than one of these.
 */
import { useEffect, useState } from 'react';
import { ELEMENTS, ELEM_NAMES, FormatError, ROUNDINGS, SCALE_RULES, formatToString, parseFormat, MAX_BLOCK, type FormatSpec } from '../core/formats';
import { Check, Chips, Field, IntInput, Segmented, Select } from './controls';
import { fmtNum } from './format';
import { BLOCK_PRESETS, ELEM_LABELS, FAMILIES, TILE_PRESETS, patchSpec, switchFamily, type Family } from './formatModel';

export function FormatErrorView({ error, testId = 'spec-error' }: { error: unknown; testId?: string }) {
  if (error instanceof FormatError) {
    return (
      <div className="spec-error" role="alert" data-testid={testId}>
        <b>{error.param}</b> = {JSON.stringify(error.given)} is not allowed — expected {error.allowed}.
      </div>
    );
  }
  return (
    <div className="spec-error" role="alert" data-testid={testId}>
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

/** The editable canonical spec string. */
export function SpecString({ spec, onChange, testIdPrefix = '', label = 'Format spec string' }: { spec: string; onChange: (spec: string) => void; testIdPrefix?: string; label?: string }) {
  const [text, setText] = useState(spec);
  const [error, setError] = useState<unknown>(null);
  const [focused, setFocused] = useState(false);
  // Follow outside changes (knobs, undo, a link) unless the user is mid-edit.
  useEffect(() => {
    if (!focused) {
      setText(spec);
      setError(null);
    }
  }, [spec, focused]);
  const commit = (t: string) => {
    try {
      const canon = formatToString(parseFormat(t));
      setError(null);
      onChange(canon);
      return canon;
    } catch (e) {
      setError(e);
      return null;
    }
  };
  return (
    <div className="spec-string">
      <input
        className={'input mono spec-input' + (error ? ' invalid' : '')}
        data-testid={`${testIdPrefix}spec-input`}
        aria-label={label}
        aria-invalid={!!error}
        spellCheck={false}
        autoComplete="off"
        value={text}
        onFocus={() => setFocused(true)}
        onBlur={() => {
          setFocused(false);
          if (!error) setText(spec);
        }}
        onChange={(e) => {
          setText(e.target.value);
          commit(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setText(spec);
            setError(null);
            (e.target as HTMLInputElement).blur();
          } else if (e.key === 'Enter') {
            const c = commit(text);
            if (c) setText(c);
          }
        }}
      />
      {error ? <FormatErrorView error={error} testId={`${testIdPrefix}spec-error`} /> : null}
      {error ? <div className="spec-kept">Still showing the last valid format: <code>{spec}</code> (Esc restores it)</div> : null}
    </div>
  );
}

/**
 * The family selector and that family's knobs. `tiles` says whether 2-D tiles make sense for the
 * tensor (rank ≥ 2); `tilesHint` explains why not.
 */
export function FormatKnobs({
  spec,
  onChange,
  tiles,
  tilesHint = '1-D blocks (2-D tiles need a 2-D tensor)',
  testIdPrefix = '',
  families = FAMILIES,
}: {
  spec: FormatSpec;
  onChange: (spec: string) => void;
  tiles: boolean;
  tilesHint?: string;
  testIdPrefix?: string;
  families?: typeof FAMILIES;
}) {
  const specString = formatToString(spec);
  const [knobError, setKnobError] = useState<string | null>(null);
  useEffect(() => setKnobError(null), [specString]);
  const apply = (next: () => FormatSpec) => {
    try {
      onChange(formatToString(next()));
      setKnobError(null);
    } catch (e) {
      setKnobError(e instanceof FormatError ? `${e.param}: expected ${e.allowed}` : String(e));
    }
  };
  const patch = (p: Record<string, unknown>) => apply(() => patchSpec(spec, p));
  const roundOpts = ROUNDINGS.map((r) => ({ id: r, label: r }));
  const id = (s: string) => `${testIdPrefix}k-${s}`;
  const tid = (s: string) => `${testIdPrefix}${s}`;

  const blockKnobs = (s: FormatSpec & { block: number }, withTiles: boolean) => (
    <>
      <Field label="Block size" htmlFor={id('block')} title="Elements per block along the blocking axis">
        <IntInput id={id('block')} testId={tid('knob-block')} value={s.block} min={1} max={MAX_BLOCK} width={64} onCommit={(v) => patch({ block: v })} />
        <Chips label="Block presets" values={BLOCK_PRESETS} value={s.block as (typeof BLOCK_PRESETS)[number]} onPick={(v) => patch({ block: v })} />
      </Field>
      {withTiles && 'tileRows' in s ? (
        <Field label="Tile rows" title={tiles ? '2-D tiles: this many rows share one scale (R × block)' : tilesHint}>
          {tiles || s.tileRows > 1 ? (
            <Chips label="Tile rows" values={TILE_PRESETS} value={s.tileRows as (typeof TILE_PRESETS)[number]} onPick={(v) => patch({ tileRows: v })} format={(v) => (v === 1 ? '1-D' : `${v}×`)} />
          ) : (
            <span className="hint">{tilesHint}</span>
          )}
        </Field>
      ) : null}
    </>
  );

  return (
    <>
      <Segmented<Family> label="Format family" testId={tid('family')} full value={spec.kind} options={families} onChange={(f) => apply(() => switchFamily(spec, f))} />

      {spec.kind === 'mx' ? (
        <>
          <Field label="Element" htmlFor={id('elem')}>
            <Select id={id('elem')} testId={tid('knob-elem')} value={spec.elem} options={ELEM_NAMES.map((e) => ({ id: e, label: `${ELEM_LABELS[e]}  ·  max ${fmtNum(ELEMENTS[e].maxNorm)}` }))} onChange={(v) => patch({ elem: v })} />
          </Field>
          {blockKnobs(spec, true)}
          <Field label="Scale rule" title="floor: OCP / microxcaling. ceil, even: torchao. rceil: NVIDIA — never saturates the block max">
            <Segmented label="Scale rule" full value={spec.scale} options={SCALE_RULES.map((r) => ({ id: r, label: r }))} onChange={(v) => patch({ scale: v })} />
          </Field>
          <Field label="Rounding">
            <Segmented label="Rounding" full value={spec.round} options={roundOpts} onChange={(v) => patch({ round: v })} />
          </Field>
          <Field label="Scale bits" title="8 = E8M0 (OCP). Fewer bits narrow the exponent range ±(2^(s−1)−1)">
            <IntInput value={spec.scaleBits} min={2} max={8} width={64} onCommit={(v) => patch({ scaleBits: v })} label="Scale bits" />
            <Check checked={spec.flush} onChange={(v) => patch({ flush: v })} title="Zero blocks whose max is a float32 subnormal (microxcaling mx_flush_fp32_subnorms)">
              flush subnormal blocks
            </Check>
          </Field>
        </>
      ) : null}

      {spec.kind === 'mxint' || spec.kind === 'bfp' ? (
        <>
          <Field label="Mantissa m" title={spec.kind === 'mxint' ? "Bits per element incl. sign (two's complement), 2–16" : 'Bits per element: sign + (m−1) magnitude bits, 2–16'}>
            <input type="range" min={2} max={16} value={spec.m} aria-label="Mantissa width" data-testid={tid('knob-m')} onChange={(e) => patch({ m: Number(e.target.value) })} />
            <IntInput value={spec.m} min={2} max={16} width={52} onCommit={(v) => patch({ m: v })} label="Mantissa bits" />
          </Field>
          <Field label="Exponent e" title="Shared exponent width, 2–8 bits">
            <IntInput value={spec.e} min={2} max={8} width={52} onCommit={(v) => patch({ e: v })} label="Exponent bits" />
            <span className="label-inline">bias</span>
            <IntInput value={spec.bias} min={0} max={2 ** spec.e - 2} width={60} onCommit={(v) => patch({ bias: v })} label="Exponent bias" />
          </Field>
          {blockKnobs(spec, true)}
          {spec.kind === 'mxint' ? (
            <Field label="Scale rule" title="ceil: E = ceil(log2 amax) (MASE). floor: E = floor(log2 amax) + 1, never clips a power-of-two max">
              <Segmented label="Scale rule" full value={spec.scale} options={[{ id: 'ceil', label: 'ceil' }, { id: 'floor', label: 'floor' }] as const} onChange={(v) => patch({ scale: v })} />
            </Field>
          ) : null}
          <Field label="Rounding">
            <Segmented label="Rounding" full value={spec.round} options={roundOpts} onChange={(v) => patch({ round: v })} />
          </Field>
        </>
      ) : null}

      {spec.kind === 'fixed' ? (
        <>
          <Field label="Width w" title="Total bits, two's complement">
            <IntInput value={spec.w} min={2} max={32} width={60} onCommit={(v) => patch({ w: v })} label="Width" />
            <span className="label-inline">frac f</span>
            <IntInput value={spec.f} min={-64} max={64} width={60} onCommit={(v) => patch({ f: v })} label="Fractional bits" />
          </Field>
          <Field label="Rounding">
            <Segmented label="Rounding" full value={spec.round} options={roundOpts} onChange={(v) => patch({ round: v })} />
          </Field>
          <Field label="Overflow">
            <Segmented label="Overflow" full value={spec.saturate ? 'sat' : 'wrap'} options={[{ id: 'sat', label: 'saturate' }, { id: 'wrap', label: 'wrap' }] as const} onChange={(v) => patch({ saturate: v === 'sat' })} />
          </Field>
        </>
      ) : null}

      {spec.kind === 'nvfp4' ? (
        <>
          {blockKnobs(spec, false)}
          <Field label="Rounding">
            <Segmented label="Rounding" full value={spec.round} options={roundOpts} onChange={(v) => patch({ round: v })} />
          </Field>
        </>
      ) : null}

      {knobError ? <div className="spec-error">{knobError}</div> : null}
    </>
  );
}
