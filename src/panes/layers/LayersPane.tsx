/**
 * Layers pane: per-point precision at three granularities — the whole model (rule `*`), an op type
 * (`*.down.w`: that point in every block) and a single point (`L2.q.x`) — with the explorer's
 * format controls, the resolved format of every point and the rule that set it, and the live
 * metrics of the current configuration (perplexity, Δ vs fp32, top-1, KL, per-point SQNR and
 * saturation). Edits re-evaluate at once on a few short windows (an estimate) and then exactly on
 * the whole token budget in the background. A sensitivity sweep measures each point alone at a
 * chosen format and colours the graph by Δ loss. The Parallelism table (LanesTable.tsx) sets each
 * linear's lanes K × N for the Verilog pane and the cost model.
 */
import { Fragment, useEffect, useMemo, useState } from 'react';
import { formatToString, parseFormat, type FormatSpec } from '../../core/formats';
import type { Graph, QuantConfig } from '../../core/graph';
import { TOKEN_BUDGETS, documentStore, editModel, type ModelDoc } from '../../state/document';
import { modelStore, p95, setModelView, type Scope } from '../../state/model';
import { sessionStore, setSession } from '../../state/session';
import { emulatorPool } from '../../services/emulatorPool';
import { Chips, Field, Segmented, Spinner } from '../../ui/controls';
import { FormatKnobs, SpecString } from '../../ui/FormatControls';
import { fmtDb, fmtInt, fmtMs, fmtNum, fmtPct } from '../../ui/format';
import { useDelayed, useSlice } from '../../ui/hooks';
import { deltaPct, deltaScale } from '../graph/colors';
import { LayerCostTable } from '../cost/LayerCost';
import { LanesTable } from './LanesTable';
import { ModelBar, ModelDropZone } from './ModelSource';
import { ROUNDING_OPTIONS } from './rounding';
import { CALIB_TOKENS, SWEEP_BUDGETS, cancelWork, ensureModel, evalKey, evaluateNow, runSweep } from './modelRunner';
import { MODEL_PATTERN, commonSpec, pointBits, pointNumel, resolveWithRules, setRule, typeGroups, weightBits, type Resolved, type TypeGroup } from './rules';
import '../graph/graph.css';
import './layers.css';

/** One-click formats for any scope. */
const PRESETS = ['fp32', 'mxint8', 'mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4', 'mxint:m=4'] as const;
const PRESET_LABEL: Record<(typeof PRESETS)[number], string> = {
  fp32: 'FP32',
  mxint8: 'MXINT8',
  mxfp8_e4m3: 'MXFP8',
  mxfp6_e2m3: 'MXFP6',
  mxfp4: 'MXFP4',
  'mxint:m=4': 'MXInt m4',
};

const ROLE_LABEL: Record<string, string> = { x: 'input', w: 'weight', bias: 'bias', a: 'left operand', b: 'right operand' };

function scopePattern(s: Scope): string {
  return s.kind === 'model' ? MODEL_PATTERN : s.kind === 'type' ? s.pattern : s.id;
}

function setScopeRule(g: Graph, pattern: string, spec: string | null): void {
  editModel(`quant:${pattern}`, (d: ModelDoc) => ({ ...d, quant: setRule(d.quant, pattern, spec, g) }));
}

function groupLabel(g: Graph, grp: TypeGroup): string {
  const op = g.ops.find((o) => o.kind === grp.kind);
  return `${op?.label ?? grp.kind} · ${ROLE_LABEL[grp.role] ?? grp.role}`;
}

// ------------------------------------------------------------------------------ editor

function ScopeEditor({ g, quant, resolved }: { g: Graph; quant: QuantConfig; resolved: Map<string, Resolved> }) {
  const scope = useSlice(modelStore, (s) => s.scope);
  const groups = useMemo(() => typeGroups(g), [g]);
  const pattern = scopePattern(scope);
  const rule = quant.rules.find(([p]) => p === pattern);
  const points = scope.kind === 'model' ? g.points : scope.kind === 'type' ? (groups.find((x) => x.pattern === scope.pattern)?.points ?? []) : g.points.filter((p) => p.id === scope.id);
  const common = commonSpec(points, resolved);
  // What the scope shows: its own rule, else what its points resolve to now (when they agree).
  const shown = rule ? rule[1] : (common ?? 'fp32');
  const spec: FormatSpec = parseFormat(shown);
  const inherited = !rule;
  const from = inherited && points.length ? resolved.get(points[0].id)?.rule : null;
  const tiles = points.some((p) => p.shape.length >= 2);
  const set = (s: string) => setScopeRule(g, pattern, s);
  const firstPoint = scope.kind === 'point' ? scope.id : (points[0]?.id ?? g.points[0].id);
  const firstType = scope.kind === 'type' ? scope.pattern : groups.find((x) => x.points.some((p) => p.id === firstPoint))?.pattern ?? groups[0].pattern;

  return (
    <section className="panel" aria-label="Precision" data-testid="scope-editor">
      <div className="panel-head">
        <h2>Precision</h2>
        <span className="spacer" />
        <span className="sub">rules: later and more specific win</span>
      </div>
      <div className="panel-body stack">
        <Segmented
          label="Granularity"
          testId="scope"
          full
          value={scope.kind}
          options={[
            { id: 'model', label: 'Whole model', hint: 'Rule * : every quant point' },
            { id: 'type', label: 'Op type', hint: 'Rule *.kind.role : that point in every block' },
            { id: 'point', label: 'Single point', hint: 'One quant point of one block' },
          ]}
          onChange={(k) => setModelView({ scope: k === 'model' ? { kind: 'model' } : k === 'type' ? { kind: 'type', pattern: firstType } : { kind: 'point', id: firstPoint } })}
        />
        {scope.kind === 'type' ? (
          <select className="select" aria-label="Op type" data-testid="scope-type" value={scope.pattern} onChange={(e) => setModelView({ scope: { kind: 'type', pattern: e.target.value } })}>
            {groups.map((grp) => (
              <option key={grp.pattern} value={grp.pattern}>
                {grp.pattern} — {groupLabel(g, grp)} ({grp.points.length})
              </option>
            ))}
          </select>
        ) : null}
        {scope.kind === 'point' ? (
          <select className="select" aria-label="Quant point" data-testid="scope-point" value={scope.id} onChange={(e) => setModelView({ scope: { kind: 'point', id: e.target.value } })}>
            {g.points.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id} — {g.opById.get(p.op)?.label} {ROLE_LABEL[p.role]} [{p.shape.join('×')}]
              </option>
            ))}
          </select>
        ) : null}
        <div className="scope-line" data-testid="scope-line">
          <code className="rule-pattern">{pattern}</code> → {points.length} point{points.length === 1 ? '' : 's'} ·{' '}
          {inherited ? (
            <span className="muted">
              no rule of its own: {common ? <code>{common}</code> : 'mixed formats'}
              {from ? (
                <>
                  {' '}
                  from <code>{from}</code>
                </>
              ) : common ? ' (default)' : ''}
            </span>
          ) : (
            <span>
              rule <code>{rule![1]}</code>
            </span>
          )}
        </div>
        <div className="chips presets" role="group" aria-label="Format presets" data-testid="presets">
          {PRESETS.map((p) => (
            <button key={p} type="button" className="chip" aria-pressed={!inherited && rule![1] === formatToString(parseFormat(p))} onClick={() => set(formatToString(parseFormat(p)))}>
              {PRESET_LABEL[p]}
            </button>
          ))}
        </div>
        <SpecString spec={shown} onChange={set} testIdPrefix="ly-" label={`Format of ${pattern}`} />
        <FormatKnobs spec={spec} onChange={set} tiles={tiles} tilesHint="2-D tiles need matrix operands" testIdPrefix="ly-" />
        <div className="editor-foot">
          <span className="muted num" data-testid="scope-bits">
            {points.length ? `${fmtNum(pointBits(spec, points[0]), 4)} bits / element` : ''}
          </span>
          <span className="spacer" />
          {rule ? (
            <button className="btn small ghost" data-testid="remove-rule" onClick={() => setScopeRule(g, pattern, null)} title="Remove this rule: the points inherit from broader rules (or fp32)">
              Remove rule
            </button>
          ) : (
            <span className="muted">a change here adds the rule</span>
          )}
        </div>
      </div>
    </section>
  );
}

function RulesList({ g, quant }: { g: Graph; quant: QuantConfig }) {
  const scope = useSlice(modelStore, (s) => s.scope);
  const current = useSlice(modelStore, (s) => s.current);
  const unmatched = new Set(current?.result.unmatchedRules ?? []);
  const pick = (p: string) => setModelView({ scope: p === MODEL_PATTERN ? { kind: 'model' } : g.pointById.has(p) ? { kind: 'point', id: p } : { kind: 'type', pattern: p } });
  return (
    <section className="panel" aria-label="Rules">
      <div className="panel-head">
        <h2>Rules</h2>
        <span className="sub">{quant.rules.length ? `${quant.rules.length} · in order` : 'none: everything fp32'}</span>
        <span className="spacer" />
        {quant.rules.length ? (
          <button className="btn small ghost" onClick={() => editModel('quant:reset', (d) => ({ ...d, quant: { version: 1, rules: [] } }))}>
            Reset
          </button>
        ) : null}
      </div>
      <div className="rules" data-testid="rules">
        {quant.rules.length ? null : <p className="hint-text rules-empty">No rules: every point runs in fp32. Pick a format in Precision to add one.</p>}
        {quant.rules.map(([p, s]) => (
          <div key={p} className={'rule' + (scopePattern(scope) === p ? ' active' : '')} onClick={() => pick(p)} role="button">
            <code className="rule-pattern">{p}</code>
            <span className="rule-arrow">→</span>
            <code className="rule-spec">{s}</code>
            {unmatched.has(p) ? <span className="warn-tag" title="This pattern matches no point of this model">no match</span> : null}
            <span className="spacer" />
            <button
              className="btn small ghost icon"
              aria-label={`Remove rule ${p}`}
              onClick={(e) => {
                e.stopPropagation();
                setScopeRule(g, p, null);
              }}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </section>
  );
}

function EvalSettings({ doc }: { doc: ModelDoc }) {
  const kernel = useSlice(modelStore, (s) => s.kernel);
  const model = useSlice(modelStore, (s) => s.model);
  const win = Math.min(256, model?.info.config.maxPositions ?? 256);
  return (
    <section className="panel" aria-label="Evaluation">
      <div className="panel-head">
        <h2>Evaluation</h2>
      </div>
      <div className="panel-body stack">
        <Field label="Mode" title="fake: quantize→dequantize, float GEMMs. integer: the bit-exact integer block GEMM the hardware computes (ops it cannot take fall back to fake and are listed)">
          <Segmented
            label="Emulation mode"
            testId="mode"
            full
            value={doc.mode}
            options={[
              { id: 'fake', label: 'fake quant' },
              { id: 'integer', label: 'integer (bit-exact)' },
            ]}
            onChange={(mode) => editModel('mode', (d) => ({ ...d, mode }))}
          />
        </Field>
        <Field
          label="Weights"
          title={`How MXInt linear weights are put on their grid. nearest: the format's own rounding. GPTQ: each layer's weights rounded one input column at a time, pushing the error onto the columns not yet rounded through the layer's calibration Hessian (${fmtInt(CALIB_TOKENS)} tokens of the text after every evaluation budget, measured once per model). Same formats, so the same cost and RTL; the Verilog pane's weight memories follow.`}
        >
          <Segmented
            label="Weight rounding"
            testId="rounding"
            full
            value={doc.rounding}
            options={ROUNDING_OPTIONS}
            onChange={(rounding) => editModel('rounding', (d) => ({ ...d, rounding }))}
          />
        </Field>
        <Field label="Tokens" title="Tokens of the evaluation text scored per evaluation (more: slower, steadier)">
          <Chips label="Token budget" values={TOKEN_BUDGETS} value={doc.tokens as (typeof TOKEN_BUDGETS)[number]} onPick={(tokens) => editModel('tokens', (d) => ({ ...d, tokens }))} format={(v) => (v >= 1024 ? `${v / 1024}K` : String(v))} />
        </Field>
        <p className="hint-text" data-testid="eval-budget">
          In-browser evaluation: the first <b>{fmtInt(doc.tokens)}</b> tokens of {model?.info.evalText.name ?? 'the default text'}, in windows of {win} on {emulatorPool().workers()} worker
          {emulatorPool().workers() === 1 ? '' : 's'} ({kernel ? (kernel.flavor ? `WASM ${kernel.flavor === 'relaxed' ? 'relaxed-SIMD' : 'SIMD'} kernels` : 'TypeScript kernels') : 'kernels loading'}).
        </p>
      </div>
    </section>
  );
}

function SweepPanel({ g }: { g: Graph }) {
  const sweep = useSlice(modelStore, (s) => s.sweep);
  const status = useSlice(modelStore, (s) => s.sweepStatus);
  const [spec, setSpec] = useState('mxfp4');
  const [tokens, setTokens] = useState<number>(512);
  const running = status.state === 'running';
  const top = useMemo(() => (sweep ? Object.entries(sweep.delta).sort((a, b) => b[1] - a[1]).slice(0, 5) : []), [sweep]);
  const max = top.length ? top[0][1] : 0;
  const color = deltaScale(max);
  return (
    <section className="panel" aria-label="Sensitivity sweep">
      <div className="panel-head">
        <h2>Sensitivity sweep</h2>
        <span className="sub">{g.points.length} points, each alone</span>
      </div>
      <div className="panel-body stack">
        <Field label="Format" title="Each point is set to this format alone, on top of the current configuration">
          <Chips label="Sweep format" values={['mxfp4', 'mxint:m=4', 'mxfp6_e2m3', 'mxint8']} value={spec} onPick={setSpec} />
        </Field>
        <Field label="Tokens" title="Tokens scored per point (every point is one more evaluation)">
          <Chips label="Sweep tokens" values={SWEEP_BUDGETS} value={tokens as (typeof SWEEP_BUDGETS)[number]} onPick={setTokens} />
        </Field>
        <div className="row">
          {running ? (
            <>
              <Spinner />
              <span className="muted num" data-testid="sweep-progress">
                {fmtInt(status.done)} / {fmtInt(status.total)} windows
              </span>
              <span className="spacer" />
              <button className="btn small" onClick={cancelWork} data-testid="sweep-cancel">
                Cancel
              </button>
            </>
          ) : (
            <button className="btn small primary" data-testid="run-sweep" onClick={() => void runSweep(spec, tokens)}>
              Run sensitivity sweep
            </button>
          )}
        </div>
        {running ? <progress max={status.total} value={status.done} className="bar" /> : null}
        {status.state === 'error' ? (
          <div className="spec-error" role="alert">
            {status.message}
          </div>
        ) : null}
        {sweep ? (
          <div className="sweep-top" data-testid="sweep-result">
            <div className="muted">
              Most sensitive at <code>{sweep.spec}</code> ({fmtInt(sweep.tokens)} tokens, {fmtMs(sweep.ms)}):
            </div>
            {top.map(([id, d]) => (
              <div key={id} className="sweep-row" role="button" onClick={() => setModelView({ scope: { kind: 'point', id } })}>
                <i style={{ background: color(d) ?? 'var(--border)' }} />
                <code>{id}</code>
                <span className="spacer" />
                <span className="num">{deltaPct(d)} ppl</span>
              </div>
            ))}
            <button className="btn small ghost" onClick={() => (setModelView({ colorBy: 'delta' }), setSession({ pane: 'graph' }))}>
              Show on the graph →
            </button>
          </div>
        ) : null}
      </div>
    </section>
  );
}

// ------------------------------------------------------------------------------ metrics

function Metric({ label, value, sub, testId, dataValue, big, tone, kind, current }: { label: string; value: string; sub?: string; testId: string; dataValue?: number | null; big?: boolean; tone?: 'warn' | 'bad'; kind?: string; current?: boolean }) {
  return (
    <div className={'metric' + (big ? ' big' : '') + (tone ? ` ${tone}` : '')} data-testid={testId} data-value={dataValue ?? ''} data-kind={kind} data-current={current === undefined ? undefined : String(current)}>
      <div className="metric-label">{label}</div>
      <div className="metric-value num">{value}</div>
      {sub ? <div className="metric-sub">{sub}</div> : null}
    </div>
  );
}

function Metrics({ g, resolved, doc }: { g: Graph; resolved: Map<string, Resolved>; doc: ModelDoc }) {
  const current = useSlice(modelStore, (s) => s.current);
  // Whether the number shown is for the settings now in the document (tests and the stale hint use it).
  const fresh = !!current && current.key === evalKey(doc);
  const fp32 = useSlice(modelStore, (s) => s.fp32);
  const base = fp32?.full ?? null;
  const r = current?.result ?? null;
  const est = current?.kind === 'estimate';
  const dPpl = current && current.deltaNll !== null ? Math.expm1(current.deltaNll) : null;
  const wb = weightBits(g, resolved);
  const weightBytes = g.points.filter((p) => p.isWeight).reduce((s, p) => s + (pointNumel(p, 1) * pointBits(resolved.get(p.id)!.spec, p)) / 8, 0);
  return (
    <div className="metrics ly-metrics">
      <Metric
        label={est ? 'Perplexity ≈' : 'Perplexity'}
        value={r ? fmtNum(r.perplexity, 5) : '…'}
        sub={r ? (est ? (current!.calibrated ? `estimate from ${fmtInt(current!.tokens)} tokens` : 'short windows, uncalibrated') : `${fmtInt(current!.tokens)} tokens`) : 'evaluating'}
        testId="metric-ppl"
        dataValue={r?.perplexity}
        kind={current?.kind}
        current={fresh}
        big
      />
      <Metric
        label="Δ vs fp32"
        value={dPpl === null ? '—' : `${dPpl >= 0 ? '+' : '−'}${fmtPct(Math.abs(dPpl))}`}
        sub={base ? `fp32 ppl ${fmtNum(base.perplexity, 5)}${est ? ' · estimate' : ''}` : est ? 'on the estimate windows' : 'fp32 baseline pending'}
        testId="metric-delta"
        dataValue={dPpl}
        tone={dPpl !== null && dPpl > 0.05 ? 'bad' : dPpl !== null && dPpl > 0.01 ? 'warn' : undefined}
      />
      <Metric label="Top-1 accuracy" value={r ? fmtPct(r.accuracy) : '—'} sub={base ? `fp32 ${fmtPct(base.accuracy)}` : undefined} testId="metric-acc" dataValue={r?.accuracy} />
      <Metric label="Agrees with fp32" value={r && r.top1Agreement !== null ? fmtPct(r.top1Agreement) : '—'} sub="same argmax" testId="metric-agree" dataValue={r?.top1Agreement} />
      <Metric label="KL to fp32" value={r && r.kl !== null ? fmtNum(r.kl, 3) : '—'} sub="nats / token" testId="metric-kl" dataValue={r?.kl} />
      <Metric label="Weight bits" value={fmtNum(wb, 4)} sub={`${fmtNum(weightBytes / 1024 / 1024, 3)} MiB of weights`} testId="metric-wbits" dataValue={wb} />
    </div>
  );
}

function EvalStatusBar({ doc }: { doc: ModelDoc }) {
  const status = useSlice(modelStore, (s) => s.status);
  const current = useSlice(modelStore, (s) => s.current);
  const lat = useSlice(modelStore, (s) => s.estimateMs);
  const running = status.state === 'running';
  const showCancel = useDelayed(running && status.phase !== 'estimate', 2000);
  const p = p95(lat);
  return (
    <>
      <div className="runbar">
        {running ? (
          <span className="running" data-testid="eval-running">
            <Spinner />
            {status.phase === 'reference' ? 'fp32 baseline' : status.phase === 'calibrate' ? 'GPTQ calibration' : status.phase === 'estimate' ? 'estimating' : 'exact evaluation'}
            {status.phase !== 'estimate' && status.total > 1 ? (
              <>
                <progress className="bar" max={status.total} value={status.done} />
                <span className="num">
                  {status.done}/{status.total} windows
                </span>
              </>
            ) : null}
          </span>
        ) : current ? (
          <span className="muted" data-testid="eval-done">
            {current.kind === 'exact' ? 'exact' : 'estimate'} · {fmtInt(current.tokens)} tokens scored · {current.mode}
            {current.rounding === 'gptq' ? ' · GPTQ weights' : ''} · {fmtMs(current.result.ms)}
          </span>
        ) : (
          <span className="muted">waiting for the model</span>
        )}
        <span className="spacer" />
        {lat.length ? (
          <span className="muted num" data-testid="estimate-p95" data-value={p} title="Time from an edit to its estimate on screen (95th percentile of the last 100 edits)">
            estimate p95 {fmtMs(p)} (n={lat.length})
          </span>
        ) : null}
        <button className="btn small ghost" title="Evaluate again (Ctrl+Enter)" onClick={evaluateNow}>
          Run <kbd className="kbd">Ctrl ↵</kbd>
        </button>
      </div>
      {showCancel ? (
        <div className="banner" role="status">
          <Spinner />
          <span className="grow">Evaluating {fmtInt(doc.tokens)} tokens in the emulate workers; the page stays responsive and the estimate above stands in meanwhile.</span>
          <button className="btn small" onClick={cancelWork} data-testid="eval-cancel">
            Cancel
          </button>
        </div>
      ) : null}
      {status.state === 'error' ? (
        <div className="banner error" role="alert" data-testid="eval-error">
          <span className="grow">
            <b>{status.crash ? 'Worker crashed. ' : 'Evaluation failed. '}</b>
            {status.message}
          </span>
          <button className="btn small" onClick={evaluateNow}>
            Retry
          </button>
        </div>
      ) : null}
      {current && current.result.fallbackOps.length ? (
        <div className="banner" data-testid="fallback-ops">
          <span className="grow">
            Integer mode: {current.result.fallbackOps.length} op{current.result.fallbackOps.length === 1 ? '' : 's'} ran fake quantization instead (an operand in fp32 or NVFP4):{' '}
            <span className="mono">{current.result.fallbackOps.slice(0, 8).join(', ')}{current.result.fallbackOps.length > 8 ? ', …' : ''}</span>
          </span>
        </div>
      ) : null}
    </>
  );
}

// ------------------------------------------------------------------------------ points table

function PointsTable({ g, resolved }: { g: Graph; resolved: Map<string, Resolved> }) {
  const current = useSlice(modelStore, (s) => s.current);
  const sweep = useSlice(modelStore, (s) => s.sweep);
  const scope = useSlice(modelStore, (s) => s.scope);
  const selectedOp = useSlice(modelStore, (s) => s.selectedOp);
  const groups = useMemo(() => typeGroups(g), [g]);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const maxDelta = sweep ? Math.max(0, ...Object.values(sweep.delta)) : 0;
  const dcolor = deltaScale(maxDelta);
  const stats = current?.result.points ?? {};
  const selKind = selectedOp ? (selectedOp.startsWith('*.') ? selectedOp.slice(2) : g.opById.get(selectedOp)?.kind) : null;

  // A node picked in the graph opens its group here.
  useEffect(() => {
    if (!selKind) return;
    setOpen((o) => new Set([...o, ...groups.filter((x) => x.kind === selKind).map((x) => x.pattern)]));
  }, [selKind, groups]);

  const pct = (n: number, e: number) => (e ? fmtPct(n / e) : '—');
  return (
    <div className="ptable-wrap">
      <table className="ptable" data-testid="points-table">
        <thead>
          <tr>
            <th>Quant point</th>
            <th>Format</th>
            <th>Set by</th>
            <th className="r">Bits</th>
            <th className="r">SQNR dB</th>
            <th className="r">Saturated</th>
            <th className="r">Underflow</th>
            {sweep ? <th className="r">Δ ppl @ {sweep.spec}</th> : null}
          </tr>
        </thead>
        <tbody>
          {groups.map((grp) => {
            const isOpen = open.has(grp.pattern);
            const common = commonSpec(grp.points, resolved);
            const rules = new Set(grp.points.map((p) => resolved.get(p.id)!.rule ?? 'fp32'));
            const st = grp.points.map((p) => stats[p.id]).filter((x) => x);
            const minSq = st.length ? Math.min(...st.map((x) => x.sqnrDb)) : NaN;
            const sat = st.reduce((a, x) => a + x.saturated, 0);
            const uf = st.reduce((a, x) => a + x.underflow, 0);
            const el = st.reduce((a, x) => a + x.elements, 0);
            const dmax = sweep ? Math.max(...grp.points.map((p) => sweep.delta[p.id] ?? 0)) : 0;
            const activeType = scope.kind === 'type' && scope.pattern === grp.pattern;
            return (
              <Fragment key={grp.pattern}>
                <tr className={'grp' + (activeType ? ' active' : '') + (selKind === grp.kind ? ' picked' : '')} onClick={() => setModelView({ scope: { kind: 'type', pattern: grp.pattern } })} data-testid={`row-${grp.pattern}`}>
                  <td>
                    <button
                      className="twisty"
                      aria-expanded={isOpen}
                      aria-label={`${isOpen ? 'Collapse' : 'Expand'} ${grp.pattern}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        setOpen((o) => {
                          const n = new Set(o);
                          if (n.has(grp.pattern)) n.delete(grp.pattern);
                          else n.add(grp.pattern);
                          return n;
                        });
                      }}
                    >
                      {isOpen ? '▾' : '▸'}
                    </button>
                    <code className="rule-pattern">{grp.pattern}</code> <span className="muted">{groupLabel(g, grp)}</span>
                    {grp.points.length > 1 ? <span className="count">×{grp.points.length}</span> : null}
                  </td>
                  <td className="mono">{common ?? <span className="muted">mixed</span>}</td>
                  <td className="mono muted">{rules.size === 1 ? ([...rules][0] === 'fp32' ? '— default' : [...rules][0]) : `${rules.size} rules`}</td>
                  <td className="r num">{common ? fmtNum(pointBits(parseFormat(common), grp.points[0]), 3) : '—'}</td>
                  <td className="r num" title="lowest over the group">{st.length ? fmtDb(minSq) : '—'}</td>
                  <td className="r num">{st.length ? pct(sat, el) : '—'}</td>
                  <td className="r num">{st.length ? pct(uf, el) : '—'}</td>
                  {sweep ? (
                    <td className="r num">
                      <i className="dchip" style={{ background: dcolor(dmax) ?? 'var(--border)' }} />
                      {deltaPct(dmax)}
                    </td>
                  ) : null}
                </tr>
                {isOpen
                  ? grp.points.map((p) => {
                      const r = resolved.get(p.id)!;
                      const s = stats[p.id];
                      const active = scope.kind === 'point' && scope.id === p.id;
                      const d = sweep?.delta[p.id];
                      return (
                        <tr
                          key={p.id}
                          className={'pt' + (active ? ' active' : '') + (selectedOp === p.op ? ' picked' : '')}
                          onClick={() => setModelView({ scope: { kind: 'point', id: p.id } })}
                          data-testid={`row-${p.id}`}
                        >
                          <td className="mono">
                            <span className="indent" />
                            {p.id} <span className="muted">[{p.shape.join('×')}]</span>
                          </td>
                          <td className="mono">{r.specString}</td>
                          <td className="mono muted">{r.rule ?? '— default'}</td>
                          <td className="r num">{fmtNum(pointBits(r.spec, p), 3)}</td>
                          <td className="r num">{s ? fmtDb(s.sqnrDb) : '—'}</td>
                          <td className="r num">{s ? pct(s.saturated, s.elements) : '—'}</td>
                          <td className="r num">{s ? pct(s.underflow, s.elements) : '—'}</td>
                          {sweep ? (
                            <td className="r num">
                              <i className="dchip" style={{ background: d !== undefined ? (dcolor(d) ?? 'var(--border)') : 'transparent' }} />
                              {d !== undefined ? deltaPct(d) : '—'}
                            </td>
                          ) : null}
                        </tr>
                      );
                    })
                  : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <p className="hint-text">
        Weights: SQNR over the whole tensor. Activations: over the scored tokens. Δ ppl: perplexity change when the point alone takes the sweep&apos;s format. Points without a rule run in fp32.
      </p>
    </div>
  );
}

export function LayersPane() {
  const model = useSlice(modelStore, (s) => s.model);
  const doc = useSlice(documentStore, (s) => s.model);
  useEffect(() => ensureModel(), []);
  const g = model?.graph ?? null;
  const resolved = useMemo(() => (g ? resolveWithRules(g, doc.quant) : null), [g, doc.quant]);
  const pane = useSlice(sessionStore, (s) => s.pane);
  return (
    <ModelDropZone className="model-pane layers-pane" testId="pane-layers">
      <ModelBar />
      {g && resolved ? (
        <div className="layers" data-pane={pane}>
          <aside className="ly-side">
            <ScopeEditor g={g} quant={doc.quant} resolved={resolved} />
            <RulesList g={g} quant={doc.quant} />
            <EvalSettings doc={doc} />
            <SweepPanel g={g} />
          </aside>
          <section className="ly-main" aria-label="Results">
            <EvalStatusBar doc={doc} />
            <div className="ly-results">
              <Metrics g={g} resolved={resolved} doc={doc} />
              {/* Hardware cost per op type beside its accuracy (src/panes/cost). */}
              <LayerCostTable g={g} />
              {/* Per-layer lanes of the linears: the Verilog pane and the cost model use them. */}
              <LanesTable g={g} lanes={doc.lanes} resolved={resolved} />
              <PointsTable g={g} resolved={resolved} />
            </div>
          </section>
        </div>
      ) : (
        <div className="placeholder">Per-layer precision controls appear here once a model is loaded. Drop a model folder anywhere on this pane, or load one above.</div>
      )}
    </ModelDropZone>
  );
}
