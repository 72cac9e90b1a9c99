/**
 * The first N elements (or the elements of the block picked in the chart): input, quantized value,
 * error, the stored bit pattern and the block. Rows of the hovered block are highlighted.
 */
import { useMemo } from 'react';
import { blockOfElements, forEachBlock } from '../../core/formats';
import { ephemeralStore, type ExplorerRun } from '../../state/ephemeral';
import { sessionStore, setSession } from '../../state/session';
import { Select } from '../../ui/controls';
import { fmtBinary, fmtBits, fmtNum } from '../../ui/format';
import { useSlice } from '../../ui/hooks';
import { icons } from '../../ui/icons';

const ROW_OPTIONS = [16, 32, 64, 128, 256].map((n) => ({ id: n, label: `${n} rows` }));

export function ElementTable({ run }: { run: ExplorerRun }) {
  const rows = useSlice(sessionStore, (s) => s.tableRows);
  const hover = useSlice(ephemeralStore, (s) => s.hoverBlock);
  const picked = useSlice(ephemeralStore, (s) => s.pickedBlock);
  const { input, result } = run;
  const blockOf = useMemo(() => blockOfElements(result.layout), [result.layout]);
  const pickedValid = picked !== null && picked < result.layout.numBlocks ? picked : null;
  const indices = useMemo(() => {
    if (pickedValid === null) return Array.from({ length: Math.min(rows, input.length) }, (_, i) => i);
    let out: number[] = [];
    forEachBlock(result.layout, (b, idx, len) => {
      if (b === pickedValid) out = Array.from(idx.subarray(0, len));
    });
    return out;
  }, [pickedValid, rows, input.length, result.layout]);
  const binary = result.elemBits <= 16;

  return (
    <section className="panel" aria-label="Elements">
      <div className="panel-head">
        <h3>Elements</h3>
        <span className="sub">
          {pickedValid === null ? `first ${indices.length} of ${input.length.toLocaleString('en-US')}` : `block ${pickedValid}: ${indices.length} elements`}
        </span>
        {pickedValid !== null ? (
          <button className="btn small ghost" onClick={() => ephemeralStore.setState({ pickedBlock: null })}>
            show first rows
          </button>
        ) : null}
        <span className="spacer" />
        <Select label="Rows" value={rows} options={ROW_OPTIONS} onChange={(v) => setSession({ tableRows: v })} />
        <button className="btn small" title="Download every element as CSV (index, block, input, quantized, error, bits)" onClick={() => downloadCsv(run, blockOf)}>
          {icons.download} CSV
        </button>
      </div>
      <div className="table-wrap">
        <table className="grid-table" data-testid="element-table">
          <thead>
            <tr>
              <th>#</th>
              <th>block</th>
              <th>input</th>
              <th>quantized</th>
              <th>error</th>
              <th>{binary ? `bits (${result.elemBits})` : `hex (${result.elemBits} b)`}</th>
            </tr>
          </thead>
          <tbody onMouseLeave={() => ephemeralStore.setState({ hoverBlock: null })}>
            {indices.map((i) => {
              const x = input[i];
              const q = result.values[i];
              const err = q - x;
              const b = blockOf[i];
              const zeroed = x !== 0 && q === 0 && Number.isFinite(x);
              return (
                <tr key={i} className={b === hover ? 'hl' : undefined} onMouseEnter={() => ephemeralStore.setState({ hoverBlock: b })}>
                  <td>{i}</td>
                  <td>{b}</td>
                  <td>{fmtNum(x, 7)}</td>
                  <td className="q">{fmtNum(q, 7)}</td>
                  <td className={zeroed ? 'bad' : Math.abs(err) > 0 ? 'err' : 'zero'}>{Number.isFinite(err) ? (err === 0 ? '0' : fmtNum(err, 3)) : '—'}</td>
                  <td className="bits">{binary ? fmtBinary(result.elements[i], result.elemBits) : fmtBits(result.elements[i], result.elemBits)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function downloadCsv(run: ExplorerRun, blockOf: Int32Array): void {
  const { input, result } = run;
  const lines = [`# mx-studio explorer export; format=${result.spec}; engine=${result.engine}; shape=${run.shape.join('x')}; input=${run.inputLabel}`, 'index,block,input,quantized,error,bits'];
  for (let i = 0; i < input.length; i++) {
    lines.push(`${i},${blockOf[i]},${input[i]},${result.values[i]},${result.values[i] - input[i]},${fmtBits(result.elements[i], result.elemBits)}`);
  }
  const blob = new Blob([lines.join('\n') + '\n'], { type: 'text/csv' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `explorer-${result.spec.replace(/[^a-z0-9=_-]+/gi, '_')}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
