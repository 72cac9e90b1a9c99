/**
 * Per-layer parallelism in the Layers pane: one row per linear op type (every block's `q` together)
 * that expands to its ops (`L0.q` …), each with a compact `K × N` lanes control — multipliers along
 * the reduction × output columns per clock. Ops without their own lanes take the Cost pane's default
 * (capped at the op's K and N). A value the generator would refuse (not a power of two, not dividing
 * K or N, against the MX block) is not stored: the reason is shown under the control.
 *
 * The lanes live in the document (`model.lanes`: undoable, in the link as `ln=`); the Verilog pane
 * generates with them and the cost model prices them (the Cycles / Area columns here, from the same
 * report as the Cost pane).
 */
import { Fragment, useEffect, useMemo, useState } from 'react';
import type { Graph, Op } from '../../core/graph';
import type { LayerCost } from '../../core/cost';
import { editModel } from '../../state/document';
import { hardwareStore } from '../../state/hardware';
import { blockAlongK, defaultLanesOf, fmtLanes, lanesForGraph, lanesProblem, linearDims, parseLanesText, pow2Divisors, withLanes, type LanesMap, type LinearDims, type OpLanes } from '../../state/lanes';
import { modelStore, setModelView } from '../../state/model';
import { useSlice } from '../../ui/hooks';
import { formatArea, formatCount, useCostReport } from '../cost/costReport';
import type { Resolved } from './rules';

function setLanes(ids: readonly string[], l: OpLanes | null): void {
  editModel(`lanes:${ids.join(',')}`, (d) => ({ ...d, lanes: withLanes(d.lanes, ids, l) }));
}

/** What a group of ops shows: their common own lanes, the default (none has its own), or mixed. */
function groupValue(ops: readonly LinearDims[], lanes: LanesMap): { own: OpLanes | null; count: number; mixed: boolean } {
  const own = ops.map((d) => lanes[d.op.id]).filter((l): l is OpLanes => !!l);
  const mixed = own.length > 0 && (own.length < ops.length || own.some((l) => l.lanesK !== own[0].lanesK || l.lanesN !== own[0].lanesN));
  return { own: !mixed && own.length ? own[0] : null, count: own.length, mixed };
}

/**
 * A `K × N` text control: Enter or leaving it commits; a refused value stays in the box with the
 * reason under it (nothing is stored); Escape puts the stored value back. Empty = back to the default.
 */
function LanesInput(props: { value: string; placeholder: string; label: string; testId: string; hint: string; check: (l: OpLanes) => string | null; onCommit: (l: OpLanes | null) => void }) {
  const [text, setText] = useState(props.value);
  const [error, setError] = useState<string | null>(null);
  // The stored value changed (a commit, undo, a Pareto pick, a link): show it, drop a stale refusal.
  useEffect(() => {
    setText(props.value);
    setError(null);
  }, [props.value]);
  const commit = () => {
    const t = text.trim();
    if (t === '') {
      setError(null);
      if (props.value !== '') props.onCommit(null);
      return;
    }
    const p = parseLanesText(t);
    const why = p.ok ? props.check(p.lanes) : p.reason;
    if (why !== null || !p.ok) {
      setError(why);
      return;
    }
    setError(null);
    setText(fmtLanes(p.lanes));
    if (fmtLanes(p.lanes) !== props.value) props.onCommit(p.lanes);
  };
  return (
    <span className="lanes-ctl" onClick={(e) => e.stopPropagation()}>
      <input
        className={'input num lanes-input' + (error ? ' invalid' : '')}
        aria-label={props.label}
        aria-invalid={error !== null}
        title={props.hint}
        placeholder={props.placeholder}
        data-testid={props.testId}
        value={text}
        spellCheck={false}
        onBlur={commit}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          else if (e.key === 'Escape') {
            setError(null);
            setText(props.value);
          }
        }}
      />
      {error ? (
        <span className="lanes-error" role="alert" data-testid={`${props.testId}-error`}>
          {error}
        </span>
      ) : null}
    </span>
  );
}

interface Group {
  kind: string;
  pattern: string;
  label: string;
  ops: LinearDims[];
}

function groupsOf(g: Graph): Group[] {
  const out = new Map<string, Group>();
  for (const d of linearDims(g)) {
    const key = `${d.op.kind}|${d.K}x${d.N}`;
    let grp = out.get(key);
    if (!grp) out.set(key, (grp = { kind: d.op.kind, pattern: d.op.layer === null ? d.op.id : `*.${d.op.kind}`, label: d.op.label, ops: [] }));
    grp.ops.push(d);
  }
  return [...out.values()];
}

export function LanesTable({ g, lanes, resolved }: { g: Graph; lanes: LanesMap; resolved: Map<string, Resolved> }) {
  const hwK = useSlice(hardwareStore, (s) => s.lanesK);
  const hwN = useSlice(hardwareStore, (s) => s.lanesN);
  const selectedOp = useSlice(modelStore, (s) => s.selectedOp);
  const cost = useCostReport();
  const groups = useMemo(() => groupsOf(g), [g]);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const def: OpLanes = { lanesK: hwK, lanesN: hwN };
  const byOp = useMemo(() => new Map<string, LayerCost>(cost?.ok ? cost.report.layers.map((l) => [l.op, l]) : []), [cost]);
  const { unknown } = useMemo(() => lanesForGraph(g, lanes), [g, lanes]);
  const owned = Object.keys(lanes).length - unknown.length;

  const block = (op: Op, K: number) => blockAlongK(resolved.get(`${op.id}.x`)?.spec, K);
  const check = (ops: readonly LinearDims[]) => (l: OpLanes) => {
    for (const d of ops) {
      const why = lanesProblem(d, l, block(d.op, d.K));
      if (why) return ops.length > 1 ? `${d.op.id}: ${why}` : why;
    }
    return null;
  };
  const hint = (d: LinearDims) => `K × N lanes: multipliers along K (${pow2Divisors(d.K).join(', ')}) × output columns (${pow2Divisors(d.N).join(', ')}) — powers of two that divide K = ${d.K} and N = ${d.N}. Empty = the default.`;
  const costCells = (ops: readonly LinearDims[]) => {
    const ls = ops.map((d) => byOp.get(d.op.id)).filter((l): l is LayerCost => !!l);
    if (!ls.length) return { cycles: '—', area: '—', lanes: '' };
    const cl = new Set(ls.map((l) => `${l.lanes.k}x${l.lanes.n}`));
    return { cycles: formatCount(ls.reduce((a, l) => a + l.cycles, 0)), area: formatArea(ls.reduce((a, l) => a + l.areaUm2, 0)), lanes: cl.size === 1 ? [...cl][0] : 'mixed' };
  };

  return (
    <section className="panel ly-lanes" aria-label="Parallelism" data-testid="lanes-table">
      <div className="panel-head">
        <h2>Parallelism</h2>
        <span className="sub">
          lanes K × N per linear · default {fmtLanes(def)} (Cost pane) · {owned ? `${owned} op${owned === 1 ? '' : 's'} with their own` : 'every op at the default'}
        </span>
        <span className="spacer" />
        {Object.keys(lanes).length ? (
          <button className="btn small ghost" data-testid="lanes-reset" onClick={() => editModel('lanes:reset', (d) => ({ ...d, lanes: {} }))} title="Every op back to the default lanes">
            Reset
          </button>
        ) : null}
      </div>
      {unknown.length ? (
        <p className="hint-text lanes-unknown" data-testid="lanes-unknown">
          Lanes for ops this model has no linear of (ignored): <span className="mono">{unknown.join(', ')}</span>
        </p>
      ) : null}
      <table className="ptable" data-testid="lanes-ops">
        <thead>
          <tr>
            <th>Linear</th>
            <th className="r">K × N</th>
            <th>Lanes K × N</th>
            <th className="r" title="Cycles per inference from the cost model (tokens per inference × ⌈K / lanesK⌉ × ⌈N / lanesN⌉)">
              Cycles
            </th>
            <th className="r">Area</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((grp) => {
            const d0 = grp.ops[0];
            const v = groupValue(grp.ops, lanes);
            const isOpen = open.has(grp.pattern);
            const c = costCells(grp.ops);
            const dflt = fmtLanes(defaultLanesOf(d0, def));
            const ids = grp.ops.map((d) => d.op.id);
            return (
              <Fragment key={grp.pattern + d0.K + 'x' + d0.N}>
                <tr className={'grp' + (selectedOp && (selectedOp === `*.${grp.kind}` || ids.includes(selectedOp)) ? ' picked' : '')} data-testid={`lanes-row-${grp.pattern}`} onClick={() => setModelView({ selectedOp: grp.ops.length > 1 ? `*.${grp.kind}` : d0.op.id })}>
                  <td>
                    {grp.ops.length > 1 ? (
                      <button
                        className="twisty"
                        aria-expanded={isOpen}
                        aria-label={`${isOpen ? 'Collapse' : 'Expand'} ${grp.pattern} lanes`}
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
                    ) : (
                      <span className="twisty" />
                    )}
                    <code className="rule-pattern">{grp.pattern}</code> <span className="muted">{grp.label}</span>
                    {grp.ops.length > 1 ? <span className="count">×{grp.ops.length}</span> : null}
                  </td>
                  <td className="r num muted">
                    {d0.K} × {d0.N}
                  </td>
                  <td>
                    <LanesInput
                      value={v.own ? fmtLanes(v.own) : ''}
                      placeholder={v.mixed ? `mixed (${v.count} own)` : `${dflt} default`}
                      label={`Lanes of ${grp.pattern}`}
                      testId={`lanes-${grp.pattern}`}
                      hint={hint(d0)}
                      check={check(grp.ops)}
                      onCommit={(l) => setLanes(ids, l)}
                    />
                  </td>
                  <td className="r num">{c.cycles}</td>
                  <td className="r num" data-testid={`lanes-cost-${grp.pattern}`} data-lanes={c.lanes}>
                    {c.area}
                  </td>
                </tr>
                {isOpen
                  ? grp.ops.map((d) => {
                      const own = lanes[d.op.id] ?? null;
                      const oc = costCells([d]);
                      return (
                        <tr key={d.op.id} className={'pt' + (selectedOp === d.op.id ? ' picked' : '')} data-testid={`lanes-row-${d.op.id}`} onClick={() => setModelView({ selectedOp: d.op.id })}>
                          <td className="mono">
                            <span className="indent" />
                            {d.op.id}
                          </td>
                          <td className="r num muted">
                            {d.K} × {d.N}
                          </td>
                          <td>
                            <LanesInput
                              value={own ? fmtLanes(own) : ''}
                              placeholder={`${fmtLanes(defaultLanesOf(d, def))} default`}
                              label={`Lanes of ${d.op.id}`}
                              testId={`lanes-${d.op.id}`}
                              hint={hint(d)}
                              check={check([d])}
                              onCommit={(l) => setLanes([d.op.id], l)}
                            />
                          </td>
                          <td className="r num">{oc.cycles}</td>
                          <td className="r num" data-testid={`lanes-cost-${d.op.id}`} data-lanes={oc.lanes}>
                            {oc.area}
                          </td>
                        </tr>
                      );
                    })
                  : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <p className="hint-text lanes-foot">
        Type K × N (e.g. 16×4) and press Enter; empty = the default. Attention matmuls (Q·Kᵀ, P·V) keep the default lanes: their reduction or output length is the sequence, which differs between the testbench, the top level and the cost model.
      </p>
    </section>
  );
}
