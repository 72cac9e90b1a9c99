/**
 * Format controls: the spec string (typed or built from the knobs: both edit the same document
 * field) and the knobs of the chosen family. An invalid spec string shows core's FormatError inline
 * (which parameter, what is allowed) and leaves the last valid format in place.
 */
import { useEffect, useMemo, useState } from 'react';
import {
  ELEMENTS,
  ELEM_NAMES,
  FormatError,
  ROUNDINGS,
  SCALE_RULES,
  bitsPerElement,
  describeFormat,
  elementBits,
  formatToString,
  parseFormat,
  scaleBitsOf,
  MAX_BLOCK,
  type FormatSpec,
} from '../../core/formats';
import { setSpec } from '../../state/document';

import { Check, Chips, Field, IntInput, Segmented, Select } from '../../ui/controls';
import { fmtNum } from '../../ui/format';
import { BitLayout } from './BitLayout';
import { BLOCK_PRESETS, ELEM_LABELS, FAMILIES, TILE_PRESETS, patchSpec, switchFamily, tilesAllowed, type Family } from './formatModel';

function FormatErrorView({ error }: { error: unknown }) {
  if (error instanceof FormatError) {
    return (
      <div className="spec-error" role="alert" data-testid="spec-error">
        <b>{error.param}</b> = {JSON.stringify(error.given)} is not allowed — expected {error.allowed}.
      </div>
    );
  }
  return (
    <div className="spec-error" role="alert" data-testid="spec-error">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

/** The editable canonical spec string. */
function SpecString({ spec }: { spec: string }) {
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
      setSpec(canon);
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
        data-testid="spec-input"
        aria-label="Format spec string"
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
      {error ? <FormatErrorView error={error} /> : null}
      {error ? <div className="spec-kept">Still showing the last valid format: <code>{spec}</code> (Esc restores it)</div> : null}
    </div>
  );
}

export function FormatPanel({ spec, shape }: { spec: FormatSpec; shape: readonly number[] }) {
  const specString = useMemo(() => formatToString(spec), [spec]);
  const [knobError, setKnobError] = useState<string | null>(null);
  useEffect(() => setKnobError(null), [specString]);
  const apply = (next: () => FormatSpec) => {
    try {
      setSpec(formatToString(next()));
      setKnobError(null);
    } catch (e) {
      setKnobError(e instanceof FormatError ? `${e.param}: expected ${e.allowed}` : String(e));
    }
  };
  const patch = (p: Record<string, unknown>) => apply(() => patchSpec(spec, p));
  const tiles = tilesAllowed(shape);
  const roundOpts = ROUNDINGS.map((r) => ({ id: r, label: r }));

  const blockKnobs = (s: FormatSpec & { block: number }, withTiles: boolean) => (
    <>
      <Field label="Block size" htmlFor="k-block" title="Elements per block along the blocking axis (the last axis)">
        <IntInput id="k-block" testId="knob-block" value={s.block} min={1} max={MAX_BLOCK} width={64} onCommit={(v) => patch({ block: v })} />
        <Chips label="Block presets" values={BLOCK_PRESETS} value={s.block as (typeof BLOCK_PRESETS)[number]} onPick={(v) => patch({ block: v })} />
      </Field>
      {withTiles && 'tileRows' in s ? (
        <Field label="Tile rows" title={tiles ? '2-D tiles: this many rows share one scale (R × block)' : '2-D tiles need a 2-D tensor: pick a row length that divides n'}>
          {tiles || s.tileRows > 1 ? (
            <Chips label="Tile rows" values={TILE_PRESETS} value={s.tileRows as (typeof TILE_PRESETS)[number]} onPick={(v) => patch({ tileRows: v })} format={(v) => (v === 1 ? '1-D' : `${v}×`)} />
          ) : (
            <span className="hint">1-D blocks (2-D tiles need a 2-D tensor)</span>
          )}
        </Field>
      ) : null}
    </>
  );

  return (
    <section className="panel" aria-label="Format">
      <div className="panel-head">
        <h2>Format</h2>
      </div>
      <div className="panel-body stack">
        <SpecString spec={specString} />
        <Segmented<Family> label="Format family" testId="family" full value={spec.kind} options={FAMILIES} onChange={(f) => apply(() => switchFamily(spec, f))} />

        {spec.kind === 'mx' ? (
          <>
            <Field label="Element" htmlFor="k-elem">
              <Select id="k-elem" testId="knob-elem" value={spec.elem} options={ELEM_NAMES.map((e) => ({ id: e, label: `${ELEM_LABELS[e]}  ·  max ${fmtNum(ELEMENTS[e].maxNorm)}` }))} onChange={(v) => patch({ elem: v })} />
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
              <input type="range" min={2} max={16} value={spec.m} aria-label="Mantissa width" data-testid="knob-m" onChange={(e) => patch({ m: Number(e.target.value) })} />
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

        <div className="describe" data-testid="describe">
          {describeFormat(spec)}
        </div>
        <BitsLine spec={spec} numel={shape.reduce((a, b) => a * b, 1)} />
        <BitLayout spec={spec} />
      </div>
    </section>
  );
}

function BitsLine({ spec, numel }: { spec: FormatSpec; numel: number }) {
  const total = bitsPerElement(spec, numel);
  const eb = elementBits(spec);
  const sb = scaleBitsOf(spec);
  const per = spec.kind === 'mx' || spec.kind === 'mxint' || spec.kind === 'bfp' ? spec.block * spec.tileRows : spec.kind === 'nvfp4' ? spec.block : 0;
  return (
    <div className="bits-line" data-testid="bits-per-element">
      <span className="big num">{+total.toFixed(4)}</span>
      <span className="unit">bits / element</span>
      <span className="parts num">
        = {eb} element{sb ? ` + ${sb}/${per} scale` : ''}
        {spec.kind === 'nvfp4' ? ` + 32/${numel.toLocaleString('en-US')} tensor` : ''}
      </span>
    </div>
  );
}
