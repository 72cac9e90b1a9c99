/**
 * Cost pane: what the design point on screen costs in hardware, per layer and in total, from the
 * analytical cost model (src/core/cost) — energy per inference split into MAC, block/scale,
 * quantisation, on-chip and off-chip memory, or area, LUTs, memory bits — beside its accuracy
 * (the Layers pane's perplexity), with the hardware assumptions editable, and real Yosys synthesis
 * of RTL next to the model's estimate.
 *
 * Registered by src/app/App.tsx as the `cost` pane.
 */
import { useEffect } from 'react';
import { costViewStore, type CostMetric } from '../../state/hardware';
import { modelStore, setModelView } from '../../state/model';
import { Segmented } from '../../ui/controls';
import { fmtNum, fmtPct } from '../../ui/format';
import { useSlice } from '../../ui/hooks';
import { ModelBar, ModelDropZone } from '../layers/ModelSource';
import { ensureModel } from '../layers/modelRunner';
import { Assumptions } from './Assumptions';
import { CostBars } from './CostBars';
import { METRICS, formatArea, formatBits, formatCount, formatEnergy, useCostReport } from './costReport';
import { SynthPanel } from './SynthPanel';
import '../graph/graph.css';
import './cost.css';

const METRIC_OPTIONS: { id: CostMetric; label: string; hint: string }[] = [
  { id: 'energy', label: 'Energy', hint: 'pJ per inference: MAC, block/scale, quantisation, on-chip and off-chip memory' },
  { id: 'area', label: 'Area', hint: 'µm² at the node: logic and on-chip SRAM' },
  { id: 'luts', label: 'LUT', hint: 'Xilinx 7-series LUTs (soft multipliers, -nodsp)' },
  { id: 'memory', label: 'Memory bits', hint: 'Weights, activations per inference and shared scales' },
];

function Metric({ label, value, sub, testId, dataValue, big }: { label: string; value: string; sub?: string; testId: string; dataValue?: number | null; big?: boolean }) {
  return (
    <div className={'metric' + (big ? ' big' : '')} data-testid={testId} data-value={dataValue ?? ''}>
      <div className="metric-label">{label}</div>
      <div className="metric-value num">{value}</div>
      {sub ? <div className="metric-sub">{sub}</div> : null}
    </div>
  );
}

export function CostPane() {
  const model = useSlice(modelStore, (s) => s.model);
  const current = useSlice(modelStore, (s) => s.current);
  const selected = useSlice(modelStore, (s) => s.selectedOp);
  const metric = useSlice(costViewStore, (s) => s.metric);
  const cost = useCostReport();
  useEffect(() => ensureModel(), []);

  const g = model?.graph ?? null;
  const report = cost?.ok ? cost.report : null;
  const m = METRICS[metric];

  return (
    <ModelDropZone className="model-pane cost-pane" testId="pane-cost">
      <ModelBar />
      <div className="cost">
        <aside className="cost-side">
          <Assumptions maxPositions={model?.info.config.maxPositions ?? null} />
        </aside>
        <section className="cost-main" aria-label="Hardware cost">
          {cost && !cost.ok ? (
            <div className="banner error" role="alert" data-testid="cost-error">
              <span className="grow">
                <b>The cost model cannot price this design point: </b>
                {cost.message}
              </span>
            </div>
          ) : null}
          {report ? (
            <>
              <div className="metrics cost-metrics">
                <Metric label="Energy / inference" value={formatEnergy(report.energyPj.total)} sub={`${report.tokens} tokens · ${report.nodeNm} nm`} testId="cost-energy" dataValue={report.energyPj.total} big />
                <Metric label="Area" value={formatArea(report.areaUm2)} sub={`logic ${formatArea(report.logicAreaUm2)} · ${formatCount(report.gateEquivalents)} GE`} testId="cost-area" dataValue={report.areaUm2} />
                <Metric label="FPGA" value={`${formatCount(report.fpga.luts)} LUT`} sub={`${formatCount(report.fpga.ffs)} FF · ${report.fpga.dsps} DSP · ${fmtNum(report.fpga.brams, 4)} BRAM`} testId="cost-luts" dataValue={report.fpga.luts} />
                <Metric label="Memory" value={formatBits(report.memoryBits.total)} sub={`${fmtNum(report.avgBits, 4)} bits / element`} testId="cost-memory" dataValue={report.memoryBits.total} />
                <Metric label="Throughput" value={`${formatCount(report.throughputTokensPerS)} tok/s`} sub={`bottleneck ${report.bottleneck} · 1 GHz`} testId="cost-throughput" dataValue={report.throughputTokensPerS} />
                <Metric
                  label={current?.kind === 'estimate' ? 'Perplexity ≈' : 'Perplexity'}
                  value={current ? fmtNum(current.result.perplexity, 5) : '—'}
                  sub={current ? `top-1 ${fmtPct(current.result.accuracy)} · from Layers` : 'evaluated in the Layers pane'}
                  testId="cost-ppl"
                  dataValue={current?.result.perplexity}
                />
              </div>
              <div className="cost-toolbar">
                <span className="label-inline">Per layer</span>
                <Segmented label="Cost metric" testId="cost-metric" value={metric} options={METRIC_OPTIONS} onChange={(v) => costViewStore.setState({ metric: v })} />
                <span className="spacer" />
                <span className="muted" title="Every number comes from src/core/cost with the constants shown in Assumptions">
                  constants {report.constants.name} v{report.constants.version} · {report.constants.hash}
                </span>
              </div>
              <section className="panel cost-chart" aria-label={`${m.label} per layer`}>
                <div className="panel-body">
                  <CostBars report={report} metric={m} selected={selected} onPick={(op) => setModelView({ selectedOp: op })} />
                </div>
              </section>
            </>
          ) : !g ? (
            <div className="placeholder">The cost breakdown appears once a model is loaded (drop a model folder here, or load one above). Synthesis below works without one.</div>
          ) : null}
          <SynthPanel g={g} report={report} selectedOp={selected} />
        </section>
      </div>
    </ModelDropZone>
  );
}
