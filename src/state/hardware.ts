/**
 * Hardware state: the cost model's assumptions the user edits (technology node, where weights
 * live, SRAM bank size, tokens per inference, default lanes, DSP mapping) — saved per browser
 * with their own schema version and carried in the share link as one `hw=` field — plus two
 * stores that are never saved: the cost views' choices and the synthesis runs.
 *
 * The settings are user decisions (architecture.md: decisions go in the link); they live here
 * rather than in document.ts so the hardware work can land without touching the shared document.
 * Wiring them into the document (undo) and urlSync is the shell's job: `encodeHardwareHash` /
 * `decodeHardwareParams` follow modelHash.ts's conventions (only non-defaults are written, a bad
 * part falls back to its default with a message naming it, the rest of the link is kept).
 */
import { createStore } from 'zustand/vanilla';
import { createJSONStorage, persist } from 'zustand/middleware';
import type { CostOptions } from '../core/cost';
import type { FlowResult, HdlDesign, SynthProgress } from '../core/hdl';
import type { SynthFailure } from '../../workers/api/synth.api';

// ------------------------------------------------------------------------------------ settings

/** Schema version of HardwareSettings (localStorage and the `hw=` link field). Bump with a migration. */
export const HARDWARE_VERSION = 1;

export interface HardwareSettings {
  /** Technology node, nm (7–45): Stillmaker–Baas scaling of energy and area from 45 nm. */
  nodeNm: number;
  /** Weights in on-chip SRAM/BRAM (MASE's dataflow) or streamed from DRAM once per inference. */
  weightsOnChip: boolean;
  /** SRAM bank size for the energy per bit, bytes; null = each op's weights in a bank of their own size. */
  sramBytes: number | null;
  /** Tokens through every op per inference; null = the model's maximum positions. */
  tokens: number | null;
  /** Multiplier lanes of every op module: along K (capped at each op's K) and output columns. */
  lanesK: number;
  lanesN: number;
  /** Map multipliers to DSP48s in the FPGA estimate (the synthesis flow stays `-nodsp`). */
  dsp: boolean;
}

export const DEFAULT_HARDWARE: HardwareSettings = { nodeNm: 45, weightsOnChip: true, sramBytes: null, tokens: null, lanesK: 32, lanesN: 1, dsp: false };

/** The nodes of the constant table (others in 7–45 are interpolated, and accepted from links). */
export const NODES_NM = [45, 32, 20, 16, 14, 10, 7] as const;
/** SRAM bank sizes offered by the UI (links accept any size in range). */
export const SRAM_CHOICES = [8 * 1024, 32 * 1024, 128 * 1024, 1024 * 1024] as const;
const MAX_LANES = 4096;
const MAX_TOKENS = 1 << 16;
const MIN_SRAM = 64;
const MAX_SRAM = 1 << 30;

/** Why a settings value is out of range, or null when it is fine. Shared by the UI, storage and the link. */
export function settingProblem<K extends keyof HardwareSettings>(key: K, v: unknown): string | null {
  const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  switch (key) {
    case 'nodeNm':
      return int(v, 7, 45) ? null : 'the technology node must be an integer from 7 to 45 nm';
    case 'weightsOnChip':
    case 'dsp':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'sramBytes':
      return v === null || int(v, MIN_SRAM, MAX_SRAM) ? null : `the SRAM bank must be ${MIN_SRAM} B to 1 GiB`;
    case 'tokens':
      return v === null || int(v, 1, MAX_TOKENS) ? null : `tokens per inference must be 1 to ${MAX_TOKENS}`;
    case 'lanesK':
    case 'lanesN':
      return int(v, 1, MAX_LANES) ? null : `lanes must be 1 to ${MAX_LANES}`;
  }
  return 'unknown setting';
}

/** Keep the valid fields of anything (stored or hand-edited JSON); the rest take their defaults. */
export function sanitizeHardware(p: unknown): HardwareSettings {
  const out: HardwareSettings = { ...DEFAULT_HARDWARE };
  if (!p || typeof p !== 'object') return out;
  const o = p as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_HARDWARE) as (keyof HardwareSettings)[]) {
    if (k in o && settingProblem(k, o[k]) === null) (out as unknown as Record<string, unknown>)[k] = o[k];
  }
  return out;
}

/**
 * The cost model's options for these settings (src/core/cost CostOptions). `parallelism`: per-op
 * lanes (the document's per-layer lanes, already limited to the graph's ops by lanesForGraph);
 * the other ops take the default lanes.
 */
export function costOptions(s: HardwareSettings, parallelism?: Readonly<Record<string, { lanesK: number; lanesN: number }>>): CostOptions {
  return {
    nodeNm: s.nodeNm,
    ...(s.tokens !== null ? { tokens: s.tokens } : {}),
    defaultLanes: { lanesK: s.lanesK, lanesN: s.lanesN },
    ...(parallelism && Object.keys(parallelism).length ? { parallelism: { ...parallelism } } : {}),
    memory: { weightsOnChip: s.weightsOnChip, ...(s.sramBytes !== null ? { sramBytes: s.sramBytes } : {}) },
    fpga: { dsp: s.dsp },
  };
}

export const hardwareStore = createStore<HardwareSettings>()(
  persist(() => DEFAULT_HARDWARE, {
    name: 'mx-studio.hardware',
    version: HARDWARE_VERSION,
    storage: createJSONStorage(() => (typeof localStorage !== 'undefined' ? localStorage : memoryStorage())),
    // Version 1 is the first; a later version migrates here. Anything unreadable falls back field by field.
    migrate: (persisted) => sanitizeHardware(persisted),
    merge: (persisted, current) => ({ ...current, ...sanitizeHardware(persisted) }),
  }),
);

/** Change settings. Throws an Error naming the setting and its range for an invalid value (the state is kept). */
export function setHardware(patch: Partial<HardwareSettings>): void {
  for (const [k, v] of Object.entries(patch)) {
    const problem = settingProblem(k as keyof HardwareSettings, v);
    if (problem) throw new Error(`${k}: ${problem} (got ${JSON.stringify(v)})`);
  }
  hardwareStore.setState(patch);
}

export function resetHardware(): void {
  hardwareStore.setState({ ...DEFAULT_HARDWARE });
}

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

// ------------------------------------------------------------------------------------ link codec

/** The hash field this codec owns. */
export const HARDWARE_HASH_KEYS: readonly string[] = ['hw'];

/**
 * The `hw` field for the share link (without `&`), or '' when every setting is the default.
 * `hw=1.n16.dram.s32768.t256.l64x2.dsp`: the schema version, then only the parts that differ —
 * `n<nm>`, `dram` (weights off chip), `s<bytes>`, `t<tokens>`, `l<K>x<N>`, `dsp`.
 */
export function encodeHardwareHash(s: HardwareSettings): string {
  const d = DEFAULT_HARDWARE;
  const parts: string[] = [];
  if (s.nodeNm !== d.nodeNm) parts.push(`n${s.nodeNm}`);
  if (s.weightsOnChip !== d.weightsOnChip) parts.push(s.weightsOnChip ? 'sram' : 'dram');
  if (s.sramBytes !== null) parts.push(`s${s.sramBytes}`);
  if (s.tokens !== null) parts.push(`t${s.tokens}`);
  if (s.lanesK !== d.lanesK || s.lanesN !== d.lanesN) parts.push(`l${s.lanesK}x${s.lanesN}`);
  if (s.dsp !== d.dsp) parts.push(s.dsp ? 'dsp' : 'nodsp');
  return parts.length ? `hw=${HARDWARE_VERSION}.${parts.join('.')}` : '';
}

export interface DecodedHardwareHash {
  settings: HardwareSettings;
  problems: string[];
  /** False when the link has no `hw` field: a link without it means the defaults (like the model fields). */
  present: boolean;
}

/** Decode the `hw` field from already split and %-decoded hash parameters. */
export function decodeHardwareParams(params: ReadonlyMap<string, string>): DecodedHardwareHash {
  const hw = params.get('hw');
  if (hw === undefined) return { settings: { ...DEFAULT_HARDWARE }, problems: [], present: false };
  const problems: string[] = [];
  const s: HardwareSettings = { ...DEFAULT_HARDWARE };
  const [version, ...parts] = hw.split('.');
  if (version !== String(HARDWARE_VERSION)) {
    problems.push(`The hardware settings hw=${JSON.stringify(hw)} have version ${JSON.stringify(version)}; this studio reads version ${HARDWARE_VERSION}. Using the default hardware.`);
    return { settings: s, problems, present: true };
  }
  const set = <K extends keyof HardwareSettings>(k: K, v: HardwareSettings[K], part: string, what: string) => {
    const p = settingProblem(k, v);
    if (p) problems.push(`hw part ${JSON.stringify(part)}: ${p}; using the default ${what}.`);
    else s[k] = v;
  };
  for (const part of parts) {
    let m: RegExpExecArray | null;
    if ((m = /^n(\d+)$/.exec(part))) set('nodeNm', Number(m[1]), part, `${DEFAULT_HARDWARE.nodeNm} nm node`);
    else if (part === 'dram' || part === 'sram') s.weightsOnChip = part === 'sram';
    else if ((m = /^s(\d+)$/.exec(part))) set('sramBytes', Number(m[1]), part, 'bank size');
    else if ((m = /^t(\d+)$/.exec(part))) set('tokens', Number(m[1]), part, 'token count');
    else if ((m = /^l(\d+)x(\d+)$/.exec(part))) {
      const k = Number(m[1]);
      const n = Number(m[2]);
      if (settingProblem('lanesK', k) || settingProblem('lanesN', n)) problems.push(`hw part ${JSON.stringify(part)}: lanes must be 1 to ${MAX_LANES}; using the default ${DEFAULT_HARDWARE.lanesK}×${DEFAULT_HARDWARE.lanesN}.`);
      else Object.assign(s, { lanesK: k, lanesN: n });
    } else if (part === 'dsp' || part === 'nodsp') s.dsp = part === 'dsp';
    else problems.push(`hw part ${JSON.stringify(part)} is not one of n<nm>, dram, s<bytes>, t<tokens>, l<K>x<N>, dsp; ignored.`);
  }
  return { settings: s, problems, present: true };
}

/** Decode the `hw` field of a whole hash (`#…&hw=1.n16&…`). */
export function decodeHardwareHash(hash: string): DecodedHardwareHash {
  const params = new Map<string, string>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== 'hw') continue;
    try {
      params.set('hw', decodeURIComponent(part.slice(eq + 1)));
    } catch {
      params.set('hw', part.slice(eq + 1));
    }
  }
  return decodeHardwareParams(params);
}

// ------------------------------------------------------------------------------------ views (not saved)

/** What the cost breakdown plots. */
export type CostMetric = 'energy' | 'area' | 'luts' | 'memory';

export interface CostViewState {
  metric: CostMetric;
  /** Colour the graph's nodes by their op's energy or area (null: the graph's own colouring). */
  graphColor: 'energy' | 'area' | null;
}

export const costViewStore = createStore<CostViewState>()(() => ({ metric: 'energy', graphColor: null }));

// ------------------------------------------------------------------------------------ synthesis runs (not saved)

/** What a synthesis run works on: a generated layer, or a module of the component library / a test design. */
export interface SynthTarget {
  /** Stable key: `op:L0.q` for a layer, `module:<file>#<top>` for a library module. */
  key: string;
  label: string;
  design: HdlDesign;
  /** The cost model's estimate for the same hardware (layers only; null for a lone module). */
  estimate: { luts: number; ffs: number; dsps: number; brams: number; gateEquivalents: number } | null;
}

export type SynthStatus =
  | { state: 'idle' }
  /** `note`: a step before Yosys (generating a layer's RTL), shown until Yosys reports progress. */
  | { state: 'running'; key: string; label: string; startedAt: number; progress: SynthProgress | null; note: string | null }
  | { state: 'error'; key: string; label: string; error: SynthFailure };

export interface SynthResultView {
  target: SynthTarget;
  flows: FlowResult[];
  ms: number;
  /** When it finished (Date.now()). */
  at: number;
}

export interface SynthState {
  status: SynthStatus;
  /** Latest result per target key. */
  results: Record<string, SynthResultView>;
  /** Key of the latest successful run: shown when the selected target has no result of its own. */
  lastKey: string | null;
}

export const synthStore = createStore<SynthState>()(() => ({ status: { state: 'idle' }, results: {}, lastKey: null }));
