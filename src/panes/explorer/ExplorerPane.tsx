/**
 * Format Explorer: pick a format and its knobs, feed it a tensor, and see what the format does to
 * it — the representable grid, the distribution before/after, per-block scales, error metrics and
 * the elements themselves. Everything shown is recomputed from the document (shareable by link).
 */
import { useMemo } from 'react';
import { parseFormat, type FormatSpec } from '../../core/formats';
import { documentStore } from '../../state/document';
import { ephemeralStore } from '../../state/ephemeral';
import { useSlice } from '../../ui/hooks';
import { BlockChart } from './BlockChart';
import { ElementTable } from './ElementTable';
import { FormatPanel } from './FormatPanel';
import { GridStrip } from './GridStrip';
import { Histogram } from './Histogram';
import { explain } from './insights';
import { InsightList, Metrics, RunStatusBar } from './Results';
import { shapeFor } from './runner';
import { TensorPanel } from './TensorPanel';

export function ExplorerPane() {
  const doc = useSlice(documentStore, (s) => s.explorer);
  const status = useSlice(ephemeralStore, (s) => s.status);
  const run = useSlice(ephemeralStore, (s) => s.run);
  const spec: FormatSpec = useMemo(() => parseFormat(doc.spec), [doc.spec]);
  const length = doc.tensor.source === 'paste' ? (run && run.inputLabel.startsWith('pasted') ? run.input.length : null) : doc.tensor.n;
  const shape = shapeFor(length ?? doc.tensor.n, doc.tensor.cols);
  const insights = useMemo(
    () =>
      run
        ? explain({ spec: run.spec, specString: run.result.spec, input: run.input, values: run.result.values, counts: run.result.counts, numBlocks: run.result.layout.numBlocks, tensorScale: run.result.tensorScale })
        : [],
    [run],
  );
  const stale = !!run && run.doc !== doc;

  return (
    <div className="explorer" data-testid="explorer">
      <aside className="ex-side">
        <FormatPanel spec={spec} shape={shape} />
        <TensorPanel t={doc.tensor} status={status} length={length} />
      </aside>
      <section className="ex-main" aria-label="Results">
        <RunStatusBar status={status} run={run} stale={stale} />
        <div className="ex-results">
          <GridStrip spec={spec} />
          {run ? (
            <>
              <Metrics run={run} />
              <InsightList insights={insights} />
              <Histogram input={run.input} values={run.result.values} />
              <BlockChart run={run} />
              <ElementTable run={run} />
            </>
          ) : status.state === 'error' ? null : (
            <div className="placeholder">Quantizing…</div>
          )}
        </div>
      </section>
    </div>
  );
}
