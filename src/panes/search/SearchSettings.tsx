/**
 * The search's settings (document state: undoable, in the link): objectives, budgets as
 * constraints, the format menus per quant point / op type (MASE's default menu preselected: fp32 or
 * MXInt m = 8…2 at block 32), the strategy, trials, seed, batch, and how trials are scored.
 * Checked against the loaded model as they change (the core's SpaceError is shown as it is).
 */
import { useMemo, useState } from 'react';
import { FormatError, formatToString, parseFormat } from '../../core/formats';
import type { Graph } from '../../core/graph';
import type { Tie } from '../../core/search';
import { documentStore, editSearch } from '../../state/document';
import { modelStore } from '../../state/model';
import { hardwareStore } from '../../state/hardware';
import { searchStore } from '../../state/search';
import { FULL_TOKENS, LANES_PALETTE, MASE_MENU, MENU_PALETTE, METRICS, METRIC_IDS, OBJECTIVE_IDS, PROMOTE, PROXY_TOKENS, SEARCH_LIMITS, STRATEGIES, lanesKey, sortChoices, sortLanes, type MetricId, type SearchConstraint, type SearchDoc, type SearchMenu } from '../../state/searchDoc';
import { Chips, Field, IntInput, Segmented, Select } from '../../ui/controls';
import { ROUNDING_OPTIONS } from '../layers/rounding';
import { icons } from '../../ui/icons';
import { useSlice } from '../../ui/hooks';
import { shortSpec } from '../trials/trialsModel';
import { checkSettings } from './searchRunner';

const UNIT: Record<MetricId, string> = {
  perplexity: '',
  deltaPerplexityPct: '%',
  deltaAccuracy: 'fraction',
  kl: 'nats',
  energyPj: 'pJ',
  areaUm2: 'µm²',
  luts: 'LUTs',
  memoryBits: 'bits',
  avgBits: 'bits',
  throughput: 'tok/s',
};

const TIE_OPTIONS: { id: Tie; label: string; hint: string }[] = [
  { id: 'block', label: 'per op type', hint: 'One gene per point of the decoder block, tied across blocks (L*.q.w) — the Layers pane’s op-type rules; MASE’s default' },
  { id: 'point', label: 'per point', hint: 'One gene per quant point of every block (L0.q.w, L1.q.w, …): the largest space' },
  { id: 'opType', label: 'per op kind', hint: 'One gene per op kind, all its operands together (L*.q.*)' },
];

/** Menu patterns worth offering for a model: every point, each op type in the blocks, the points outside them. */
function patternSuggestions(g: Graph | null): string[] {
  if (!g) return ['*', '*.w', '*.x'];
  const types = new Set<string>();
  const outside = new Set<string>();
  for (const p of g.points) (p.layer === null ? outside : types).add(p.layer === null ? p.id : `*.${p.kind}.${p.role}`);
  return ['*', '*.w', '*.x', ...types, ...outside];
}

function edit(key: string, fn: (d: SearchDoc) => SearchDoc): void {
  editSearch(key, fn);
}

function ObjectivesField({ doc }: { doc: SearchDoc }) {
  const toggle = (id: MetricId) =>
    edit('objectives', (d) => {
      const has = d.objectives.includes(id);
      if (has) return d.objectives.length > 1 ? { ...d, objectives: d.objectives.filter((o) => o !== id) } : d;
      return d.objectives.length < 3 ? { ...d, objectives: [...d.objectives, id] } : d;
    });
  return (
    <div className="stack tight">
      <div className="chips" role="group" aria-label="Objectives" data-testid="objectives">
        {OBJECTIVE_IDS.map((id) => {
          const on = doc.objectives.includes(id);
          return (
            <button key={id} type="button" className="chip text" aria-pressed={on} disabled={!on && doc.objectives.length >= 3} title={`${METRICS[id].axis}: ${METRICS[id].direction === 'min' ? 'minimise' : 'maximise'}`} onClick={() => toggle(id)}>
              {METRICS[id].label}
              {METRICS[id].direction === 'max' ? ' ↑' : ''}
            </button>
          );
        })}
      </div>
      <p className="hint-text">
        {doc.objectives.length} of at most 3 (exact hypervolume up to 3): {doc.objectives.map((o) => `${METRICS[o].direction === 'min' ? 'min' : 'max'} ${METRICS[o].label}`).join(', ')}.
      </p>
      {doc.objectives.includes('throughput') && !doc.lanes.length ? (
        <p className="hint-text warn-text" data-testid="throughput-hint">
          Throughput depends on the parallelism, not on the formats: pick lanes under Formats, or every design has the same throughput.
        </p>
      ) : null}
    </div>
  );
}

function ConstraintRow({ c, i }: { c: SearchConstraint; i: number }) {
  const [text, setText] = useState(String(c.value));
  const ok = text.trim() !== '' && Number.isFinite(Number(text));
  const set = (patch: Partial<SearchConstraint>) => edit(`constraints.${i}`, (d) => ({ ...d, constraints: d.constraints.map((x, k) => (k === i ? { ...x, ...patch } : x)) }));
  return (
    <div className="constraint" data-testid={`constraint-${i}`}>
      <Select label="Budget metric" value={c.metric} options={METRIC_IDS.map((id) => ({ id, label: METRICS[id].label }))} onChange={(metric) => set({ metric })} />
      <Select label="Bound" value={c.bound} options={[{ id: 'max', label: '≤' }, { id: 'min', label: '≥' }]} onChange={(bound) => set({ bound })} />
      <input
        className={'input num' + (ok ? '' : ' invalid')}
        aria-label="Budget value"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v)) set({ value: v });
        }}
      />
      <span className="unit muted">{UNIT[c.metric]}</span>
      <button className="btn small ghost icon" aria-label="Remove budget" onClick={() => edit('constraints', (d) => ({ ...d, constraints: d.constraints.filter((_, k) => k !== i) }))}>
        {icons.close}
      </button>
    </div>
  );
}

function ConstraintsField({ doc }: { doc: SearchDoc }) {
  return (
    <div className="stack tight">
      {doc.constraints.map((c, i) => (
        <ConstraintRow key={`${i}:${c.metric}`} c={c} i={i} />
      ))}
      <div className="row">
        <button className="btn small ghost" data-testid="add-constraint" onClick={() => edit('constraints', (d) => ({ ...d, constraints: [...d.constraints, { metric: 'deltaPerplexityPct', bound: 'max', value: 5 }] }))}>
          + budget
        </button>
        <span className="hint-text">{doc.constraints.length ? 'Trials over a budget are ranked after every trial within them.' : 'e.g. Δ perplexity ≤ 5 %, area ≤ 4 mm² (4e6 µm²)'}</span>
      </div>
    </div>
  );
}

function MenuEditor({ menu, i, suggestions, count }: { menu: SearchMenu; i: number; suggestions: string[]; count: number }) {
  const [custom, setCustom] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const listId = `menu-patterns-${i}`;
  const palette = [...new Set([...MENU_PALETTE, ...menu.choices])];
  const set = (patch: Partial<SearchMenu>) => edit(`menus.${i}`, (d) => ({ ...d, menus: d.menus.map((m, k) => (k === i ? { ...m, ...patch } : m)) }));
  const toggle = (s: string) => {
    const has = menu.choices.includes(s);
    if (has && menu.choices.length === 1) return;
    set({ choices: sortChoices(has ? menu.choices.filter((c) => c !== s) : [...menu.choices, s]) });
  };
  const add = () => {
    try {
      const s = formatToString(parseFormat(custom.trim()));
      setErr(null);
      setCustom('');
      if (!menu.choices.includes(s)) set({ choices: sortChoices([...menu.choices, s]) });
    } catch (e) {
      setErr(e instanceof FormatError ? e.message : String(e));
    }
  };
  return (
    <div className="menu" data-testid={`menu-${i}`}>
      <div className="menu-head">
        <input className="input mono" list={listId} aria-label={`Menu ${i + 1} pattern`} value={menu.match} onChange={(e) => set({ match: e.target.value.trim() || '*' })} data-testid={`menu-match-${i}`} />
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <span className="muted nowrap">
          {menu.choices.length} choice{menu.choices.length === 1 ? '' : 's'}
          {count >= 0 ? ` · ${count} pt` : ''}
        </span>
        {i > 0 ? (
          <button className="btn small ghost icon" aria-label={`Remove menu ${menu.match}`} onClick={() => edit('menus', (d) => ({ ...d, menus: d.menus.filter((_, k) => k !== i) }))}>
            {icons.close}
          </button>
        ) : null}
      </div>
      <div className="chips" role="group" aria-label={`Formats for ${menu.match}`}>
        {palette.map((s) => (
          <button key={s} type="button" className="chip" aria-pressed={menu.choices.includes(s)} title={s} onClick={() => toggle(s)}>
            {shortSpec(s)}
          </button>
        ))}
      </div>
      <div className="row">
        <input className={'input mono grow' + (err ? ' invalid' : '')} placeholder="add a spec: mxfp6_e3m2, bfp:m=4,block=16 …" aria-label="Add a format spec" value={custom} onChange={(e) => setCustom(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && add()} />
        <button className="btn small" onClick={add} disabled={!custom.trim()}>
          Add
        </button>
      </div>
      {err ? <div className="spec-error">{err}</div> : null}
    </div>
  );
}

function MenusField({ doc, g }: { doc: SearchDoc; g: Graph | null }) {
  const suggestions = useMemo(() => patternSuggestions(g), [g]);
  const isMase = doc.menus.length === 1 && doc.menus[0].match === '*' && JSON.stringify(doc.menus[0].choices) === JSON.stringify(MASE_MENU);
  // Points whose final menu each one is (the last match wins), for the counts.
  const counts = useMemo(() => {
    if (!g) return doc.menus.map(() => -1);
    const res = doc.menus.map((m) => new RegExp('^' + m.match.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$'));
    const n = doc.menus.map(() => 0);
    for (const p of g.points) {
      let k = -1;
      res.forEach((re, i) => {
        if (re.test(p.id)) k = i;
      });
      if (k >= 0) n[k]++;
    }
    return n;
  }, [g, doc.menus]);
  const nextPattern = suggestions.find((s) => s !== '*' && !doc.menus.some((m) => m.match === s)) ?? '*.w';
  return (
    <div className="stack tight">
      <Segmented<Tie> label="Genes" full value={doc.tie} options={TIE_OPTIONS} onChange={(tie) => edit('tie', (d) => ({ ...d, tie }))} testId="tie" />
      {doc.menus.map((m, i) => (
        <MenuEditor key={i} menu={m} i={i} suggestions={suggestions} count={counts[i]} />
      ))}
      <div className="row">
        <button className="btn small ghost" data-testid="add-menu" onClick={() => edit('menus', (d) => ({ ...d, menus: [...d.menus, { match: nextPattern, choices: [...d.menus[0].choices] }] }))}>
          + menu for an op type / point
        </button>
        <span className="spacer" />
        {!isMase ? (
          <button className="btn small ghost" title="fp32 or MXInt m = 8…2 at block 32, every point" onClick={() => edit('menus', (d) => ({ ...d, menus: [{ match: '*', choices: [...MASE_MENU] }] }))}>
            MASE default
          </button>
        ) : (
          <span className="hint-text">MASE’s default menu</span>
        )}
      </div>
      <p className="hint-text">A point takes the last menu that matches it; choices run from the most precise down (greedy lowers them in this order).</p>
      <Field label="Lanes" title="Also search the parallelism of every GEMM op (k lanes along the reduction × n output columns), tied like the formats: area and throughput trade against it">
        <div className="chips" role="group" aria-label="Parallelism choices" data-testid="lanes">
          {LANES_PALETTE.map((l) => {
            const on = doc.lanes.some((x) => lanesKey(x) === lanesKey(l));
            return (
              <button
                key={lanesKey(l)}
                type="button"
                className="chip"
                aria-pressed={on}
                onClick={() => edit('lanes', (d) => ({ ...d, lanes: on ? d.lanes.filter((x) => lanesKey(x) !== lanesKey(l)) : sortLanes([...d.lanes, l]) }))}
              >
                {lanesKey(l)}
              </button>
            );
          })}
        </div>
      </Field>
      <p className="hint-text">{doc.lanes.length ? `${doc.lanes.length} parallelism choice${doc.lanes.length === 1 ? '' : 's'} per GEMM op type.` : 'Lanes not searched: every GEMM at the cost model’s default (k32·n1).'}</p>
    </div>
  );
}

export function SearchSettings() {
  const doc = useSlice(documentStore, (s) => s.search);
  const model = useSlice(modelStore, (s) => s.model);
  const error = useSlice(searchStore, (s) => s.settingsError);
  const chk = useMemo(() => checkSettings(doc, model), [doc, model]);
  const running = useSlice(searchStore, (s) => s.run?.status === 'running' || s.run?.status === 'paused');
  const shownError = chk.error ?? error;
  const hw = useSlice(hardwareStore, (s) => s);
  return (
    <>
      <section className="panel" aria-label="Objectives and budgets">
        <div className="panel-head">
          <h2>Objectives</h2>
          <span className="sub">{running ? 'changes apply to the next run' : 'what the front trades off'}</span>
        </div>
        <div className="panel-body stack">
          <ObjectivesField doc={doc} />
          <Field label="Budgets">
            <ConstraintsField doc={doc} />
          </Field>
        </div>
      </section>
      <section className="panel" aria-label="Search space">
        <div className="panel-head">
          <h2>Formats</h2>
          <span className="sub num" data-testid="space-size">
            {chk.genes ? `${chk.genes} genes · ${chk.size >= 1e6 ? chk.size.toExponential(2) : chk.size.toLocaleString('en-US')} designs` : model ? '' : 'checked when a model is loaded'}
          </span>
        </div>
        <div className="panel-body stack">
          <MenusField doc={doc} g={model?.graph ?? null} />
          {shownError ? (
            <div className="spec-error" role="alert" data-testid="settings-error">
              {shownError}
            </div>
          ) : null}
        </div>
      </section>
      <section className="panel" aria-label="Strategy">
        <div className="panel-head">
          <h2>Strategy</h2>
          <span className="sub">seeded: same seed, same trials</span>
        </div>
        <div className="panel-body stack">
          <Segmented label="Strategy" testId="strategy" full value={doc.strategy} options={STRATEGIES} onChange={(strategy) => edit('strategy', (d) => ({ ...d, strategy }))} />
          <Field label="Trials" title="How many designs the strategy proposes">
            <IntInput label="Trials" testId="search-budget" value={doc.budget} min={SEARCH_LIMITS.budget[0]} max={SEARCH_LIMITS.budget[1]} onCommit={(budget) => edit('budget', (d) => ({ ...d, budget }))} width={80} />
            <span className="hint-text">batch</span>
            <IntInput label="Batch" testId="search-batch" value={doc.batch} min={SEARCH_LIMITS.batch[0]} max={SEARCH_LIMITS.batch[1]} onCommit={(batch) => edit('batch', (d) => ({ ...d, batch }))} width={56} />
          </Field>
          <Field label="Seed">
            <IntInput label="Seed" testId="search-seed" value={doc.seed} min={SEARCH_LIMITS.seed[0]} max={SEARCH_LIMITS.seed[1]} onCommit={(seed) => edit('seed', (d) => ({ ...d, seed }))} width={110} />
            <button className="btn small ghost icon" title="New random seed" aria-label="New random seed" onClick={() => edit('seed', (d) => ({ ...d, seed: Math.floor(Math.random() * 1e6) }))}>
              {icons.dice}
            </button>
          </Field>
        </div>
      </section>
      <section className="panel" aria-label="Scoring">
        <div className="panel-head">
          <h2>Scoring</h2>
          <span className="sub">emulator + cost model</span>
        </div>
        <div className="panel-body stack">
          <Field label="Mode" title="fake: quantize→dequantize with float GEMMs; integer: the bit-exact integer datapath">
            <Segmented
              label="Search emulation mode"
              full
              value={doc.mode}
              options={[
                { id: 'fake', label: 'fake quant' },
                { id: 'integer', label: 'integer' },
              ]}
              onChange={(mode) => edit('mode', (d) => ({ ...d, mode }))}
            />
          </Field>
          <Field label="Weights" title="How every trial's MXInt linear weights are rounded: the format's round-to-nearest, or GPTQ (the emulate workers' calibration of this model, made before the first trial if the Layers pane has not made it)">
            <Segmented
              label="Search weight rounding"
              testId="search-rounding"
              full
              value={doc.rounding}
              options={ROUNDING_OPTIONS}
              onChange={(rounding) => edit('rounding', (d) => ({ ...d, rounding }))}
            />
          </Field>
          <Field label="Tokens" title="Tokens of the held-out text scored per trial (the full budget)">
            <Chips label="Full token budget" values={FULL_TOKENS} value={doc.fullTokens as (typeof FULL_TOKENS)[number]} onPick={(fullTokens) => edit('fullTokens', (d) => ({ ...d, fullTokens }))} format={(v) => `${v / 1024}K`} />
          </Field>
          <Field label="Halving" title="Successive halving: score every trial on the proxy budget, re-score the best fraction of each batch on the full budget">
            <Chips label="Successive halving" values={PROMOTE} value={doc.promote as (typeof PROMOTE)[number]} onPick={(promote) => edit('promote', (d) => ({ ...d, promote }))} format={(v) => (v ? `top ${v * 100}%` : 'off')} />
          </Field>
          {doc.promote > 0 ? (
            <Field label="Proxy" title="Tokens of the first, cheap evaluation">
              <Chips label="Proxy token budget" values={PROXY_TOKENS} value={doc.proxyTokens as (typeof PROXY_TOKENS)[number]} onPick={(proxyTokens) => edit('proxyTokens', (d) => ({ ...d, proxyTokens }))} />
            </Field>
          ) : null}
          <p className="hint-text" data-testid="scoring-note">
            Accuracy: the loaded model on the first {doc.fullTokens.toLocaleString('en-US')} tokens of its held-out text{doc.promote > 0 ? ` (${doc.proxyTokens} for the proxy)` : ''}, vs fp32 on the same tokens. Hardware: the cost model with the Cost pane’s assumptions — {hw.nodeNm} nm, weights {hw.weightsOnChip ? 'on chip' : 'in DRAM'}, {hw.tokens ?? model?.info.config.maxPositions ?? 'max-position'}-token inference, default lanes k{hw.lanesK}·n{hw.lanesN}.
          </p>
        </div>
      </section>
    </>
  );
}
