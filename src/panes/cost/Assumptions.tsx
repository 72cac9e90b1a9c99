/**
 * The cost model's hardware assumptions, editable: technology node, where the weights live, the
 * SRAM bank size, tokens per inference, default lanes and DSP mapping (src/state/hardware.ts; saved
 * per browser and carried in the link's `hw=` field). Plus the constant table's identity, so a
 * number on screen can be reproduced.
 */
import { useState } from 'react';
import { DEFAULT_CONSTANTS } from '../../core/cost';
import { DEFAULT_HARDWARE, NODES_NM, SRAM_CHOICES, hardwareStore, resetHardware, setHardware, type HardwareSettings } from '../../state/hardware';
import { Check, Chips, Field, IntInput, Segmented } from '../../ui/controls';
import { useSlice } from '../../ui/hooks';

const kib = (b: number) => (b >= 1048576 ? `${b / 1048576} MiB` : `${b / 1024} KiB`);

export function Assumptions({ maxPositions }: { maxPositions: number | null }) {
  const hw = useSlice(hardwareStore, (s) => s);
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<HardwareSettings>) => {
    try {
      setHardware(patch);
      setError(null);
    } catch (e) {
      // setHardware keeps the state on a bad value; say why.
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const isDefault = JSON.stringify(hw) === JSON.stringify(DEFAULT_HARDWARE);
  return (
    <section className="panel" aria-label="Hardware assumptions" data-testid="hw-assumptions">
      <div className="panel-head">
        <h2>Assumptions</h2>
        <span className="spacer" />
        <button className="btn small ghost" disabled={isDefault} onClick={() => (resetHardware(), setError(null))} title="Back to 45 nm, weights on chip, 32×1 lanes">
          Reset
        </button>
      </div>
      <div className="panel-body stack">
        <Field label="Node" title="Technology node: Stillmaker–Baas scaling of energy and area from the 45 nm constants (nodes between the table's are interpolated)">
          <Chips label="Technology node" values={NODES_NM} value={hw.nodeNm as (typeof NODES_NM)[number]} onPick={(nodeNm) => set({ nodeNm })} format={(v) => `${v}`} />
        </Field>
        <Field label="nm (7–45)">
          <IntInput value={hw.nodeNm} min={7} max={45} onCommit={(nodeNm) => set({ nodeNm })} label="Technology node in nm" testId="hw-node" width={70} />
        </Field>
        <Field label="Weights" title="Where the weights live: in on-chip SRAM/BRAM for the whole inference (MASE's dataflow), or in DRAM, read once per inference into a 32 KiB tile buffer">
          <Segmented
            label="Weights"
            testId="hw-weights"
            full
            value={hw.weightsOnChip ? 'onchip' : 'dram'}
            options={[
              { id: 'onchip', label: 'on chip' },
              { id: 'dram', label: 'DRAM' },
            ]}
            onChange={(v) => set({ weightsOnChip: v === 'onchip' })}
          />
        </Field>
        <Field label="SRAM bank" title="Bank size for the SRAM energy per bit (0.0017·√bytes pJ/bit): per op sizes each op's weights in a bank of their own size">
          <Chips label="SRAM bank size" values={[0, ...SRAM_CHOICES]} value={hw.sramBytes ?? 0} onPick={(v) => set({ sramBytes: v === 0 ? null : v })} format={(v) => (v === 0 ? 'per op' : kib(v))} />
        </Field>
        <Field label="Tokens" title="Tokens through every op per inference (T); the model's context length by default">
          <Segmented
            label="Tokens source"
            value={hw.tokens === null ? 'model' : 'set'}
            options={[
              { id: 'model', label: maxPositions ? `model (${maxPositions})` : 'model' },
              { id: 'set', label: 'set' },
            ]}
            onChange={(v) => set({ tokens: v === 'model' ? null : (maxPositions ?? 256) })}
          />
          {hw.tokens !== null ? <IntInput value={hw.tokens} min={1} max={65536} onCommit={(tokens) => set({ tokens })} label="Tokens per inference" testId="hw-tokens" width={76} /> : null}
        </Field>
        <Field label="Lanes K × N" title="Multiplier lanes per op module along K (capped at each op's K) and output columns: more lanes, more area, fewer cycles">
          <IntInput value={hw.lanesK} min={1} max={4096} onCommit={(lanesK) => set({ lanesK })} label="Lanes along K" testId="hw-lanes-k" width={64} />
          <span className="muted">×</span>
          <IntInput value={hw.lanesN} min={1} max={4096} onCommit={(lanesN) => set({ lanesN })} label="Lanes along N" testId="hw-lanes-n" width={64} />
        </Field>
        <Check checked={hw.dsp} onChange={(dsp) => set({ dsp })} title="Price multipliers with p, q ≥ 2 and p + q ≥ 9 as DSP48s (Yosys's rule) instead of LUTs. Synthesis always runs -nodsp." testId="hw-dsp">
          FPGA estimate maps multipliers to DSP48s
        </Check>
        {error ? (
          <div className="spec-error" role="alert" data-testid="hw-error">
            {error}
          </div>
        ) : null}
        <p className="hint-text" data-testid="hw-constants">
          Constants: <b>{DEFAULT_CONSTANTS.name}</b> v{DEFAULT_CONSTANTS.version}, hash <span className="mono">{DEFAULT_CONSTANTS.hash}</span> (src/core/cost/constants.json, every value with its source). Saved in this browser and in the link.
        </p>
      </div>
    </section>
  );
}
