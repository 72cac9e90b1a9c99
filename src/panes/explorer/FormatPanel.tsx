/**
 * Format controls: the spec string (typed or built from the knobs: both edit the same document
 * field) and the knobs of the chosen family (src/ui/FormatControls.tsx, shared with the Layers
 * pane), then the storage cost and bit layout of the chosen format.
 */
import { bitsPerElement, describeFormat, elementBits, formatToString, scaleBitsOf, type FormatSpec } from '../../core/formats';
import { setSpec } from '../../state/document';
import { FormatKnobs, SpecString } from '../../ui/FormatControls';
import { tilesAllowed } from '../../ui/formatModel';
import { BitLayout } from './BitLayout';

export function FormatPanel({ spec, shape }: { spec: FormatSpec; shape: readonly number[] }) {
  return (
    <section className="panel" aria-label="Format">
      <div className="panel-head">
        <h2>Format</h2>
      </div>
      <div className="panel-body stack">
        <SpecString spec={formatToString(spec)} onChange={setSpec} />
        <FormatKnobs spec={spec} onChange={setSpec} tiles={tilesAllowed(shape)} />
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
