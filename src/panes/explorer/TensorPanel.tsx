/** Tensor input: a seeded generator (the share link reproduces it) or pasted numbers. */
import { GEN_LIMITS, type TensorDist } from '../../core/tensors';
import { setTensor, type TensorDoc } from '../../state/document';
import type { RunStatus } from '../../state/ephemeral';
import { Chips, Field, IntInput, Segmented } from '../../ui/controls';
import { icons } from '../../ui/icons';
import { shapeFor } from './runner';

const DISTS: readonly { id: TensorDist; label: string; hint: string }[] = [
  { id: 'normal', label: 'Normal', hint: 'N(0, 1)' },
  { id: 'student', label: 'Student-t', hint: 'Heavy tails, like many LLM weight matrices' },
  { id: 'outliers', label: 'Outliers', hint: 'N(0, 1) with 1% of elements scaled 16–64×, like activation outliers' },
];
const SIZES = [1024, 4096, 16384, 65536, 1048576] as const;
const COLS = [32, 64, 128, 256, 512, 1024, 4096] as const;
const short = (n: number) => (n >= 1048576 ? `${n / 1048576}M` : n >= 1024 ? `${n / 1024}K` : String(n));

export function TensorPanel({ t, status, length }: { t: TensorDoc; status: RunStatus; length: number | null }) {
  const n = t.source === 'paste' ? (length ?? 0) : t.n;
  const shape = shapeFor(n, t.cols);
  const inputError = status.state === 'error' && status.kind === 'input' ? status.message : null;
  return (
    <section className="panel" aria-label="Tensor">
      <div className="panel-head">
        <h2>Tensor</h2>
        <span className="spacer" />
        <span className="sub num" data-testid="shape">
          {n ? `${shape.map((d) => d.toLocaleString('en-US')).join(' × ')}${shape.length === 2 ? ' · blocks along rows' : ' · 1-D'}` : ''}
        </span>
      </div>
      <div className="panel-body stack">
        <Segmented
          label="Tensor source"
          testId="source"
          full
          value={t.source}
          options={[
            { id: 'generate', label: 'Generate (seeded)' },
            { id: 'paste', label: 'Paste numbers' },
          ]}
          onChange={(v) => setTensor({ source: v })}
        />
        {t.source === 'generate' ? (
          <>
            <Field label="Distribution">
              <Segmented label="Distribution" testId="dist" full value={t.dist} options={DISTS} onChange={(v) => setTensor({ dist: v })} />
            </Field>
            {t.dist === 'student' ? (
              <Field label="df" title="Degrees of freedom: smaller = heavier tails (1 is Cauchy)">
                <IntInput value={t.df} min={GEN_LIMITS.minDf} max={GEN_LIMITS.maxDf} width={64} onCommit={(v) => setTensor({ df: v })} label="Degrees of freedom" />
              </Field>
            ) : null}
            <Field label="Elements n" htmlFor="t-n">
              <IntInput id="t-n" testId="tensor-n" value={t.n} min={GEN_LIMITS.minN} max={GEN_LIMITS.maxN} width={76} onCommit={(v) => setTensor({ n: v })} />
              <Chips label="Size presets" values={SIZES} value={t.n as (typeof SIZES)[number]} onPick={(v) => setTensor({ n: v })} format={short} />
            </Field>
            <Field label="Seed" htmlFor="t-seed">
              <IntInput id="t-seed" testId="tensor-seed" value={t.seed} min={0} max={GEN_LIMITS.maxSeed} width={110} onCommit={(v) => setTensor({ seed: v })} />
              <button className="btn icon" title="New random seed" aria-label="New random seed" onClick={() => setTensor({ seed: Math.floor(Math.random() * 1e6) })}>
                {icons.dice}
              </button>
            </Field>
          </>
        ) : (
          <>
            <textarea
              className={'textarea' + (inputError ? ' invalid' : '')}
              data-testid="paste"
              rows={6}
              spellCheck={false}
              placeholder={'Paste numbers: 0.12, -3.5e-2, 957\n(commas, spaces or new lines; [ ] and tensor(…) are ignored; nan/inf accepted)'}
              value={t.paste}
              onChange={(e) => setTensor({ paste: e.target.value })}
            />
            {inputError ? (
              <div className="spec-error" role="alert" data-testid="paste-error">
                {inputError}
              </div>
            ) : null}
          </>
        )}
        <Field label="Row length" title="The tensor is [n / row length, row length] when it divides n; blocks run along rows. Otherwise 1-D.">
          <Chips label="Row length" values={COLS} value={t.cols as (typeof COLS)[number]} onPick={(v) => setTensor({ cols: v })} format={short} />
        </Field>
      </div>
    </section>
  );
}
