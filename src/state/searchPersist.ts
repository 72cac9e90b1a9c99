/**
 * This browser's record of search runs, in IndexedDB: what a reload needs to show the last run and
 * to resume an interrupted one. Results only (the settings travel in the link; a run keeps a copy of
 * the settings it ran with, because resuming must replay exactly those).
 *
 *   runs    {id, createdAt, updatedAt, model, settings, status, …}       key id
 *   evals   {run, key, metrics}   every evaluation run (what resume replays)   key [run, key]
 *   trials  {run, …Trial}         every finished trial (what the panes show)   key [run, id]
 *
 * Writes are batched by the caller (one transaction per progress update, ≤ 10 a second). When
 * IndexedDB is missing or refuses (private modes, quota), an in-memory store stands in and the UI
 * says that runs will not survive a reload.
 */
import type { CostOptions } from '../core/cost';
import type { BaselineResult, Metrics, SearchSummary, Trial } from '../../workers/api/search.api';
import type { ModelRef } from './document';
import type { SearchDoc } from './searchDoc';

/** 'interrupted': recorded as running or paused when the page went away (set when it is read back). */
export type RunStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'error' | 'interrupted';

export interface RunRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** The model it ran on: a resume needs the same model (name + parameter count identify it). */
  model: { ref: ModelRef; name: string; numParams: number };
  /** The settings it ran with (resume replays exactly these). */
  settings: SearchDoc;
  /** The cost model's options it ran with (the hardware assumptions at its start). */
  cost?: CostOptions;
  status: RunStatus;
  /** Why it stopped (errors, crashes). */
  message?: string;
  trials: number;
  baselines: BaselineResult[];
  /** Greedy's sensitivity table, [gene][choice]. */
  sensitivity?: number[][];
  summary?: SearchSummary;
  /** Wall time spent running, over every session of this run (ms). */
  elapsedMs: number;
}

export interface RunStore {
  readonly kind: 'indexeddb' | 'memory';
  /** Why IndexedDB is not used (memory store only). */
  readonly reason?: string;
  putRun(r: RunRecord): Promise<void>;
  /** Add trials and evaluations of a run (idempotent: a resumed run re-adds its replayed trials). */
  append(run: string, trials: readonly Trial[], evals: readonly (readonly [string, Metrics])[]): Promise<void>;
  /** Runs, newest (updatedAt) first. */
  listRuns(): Promise<RunRecord[]>;
  loadTrials(run: string): Promise<Trial[]>;
  loadEvaluations(run: string): Promise<[string, Metrics][]>;
  deleteRun(run: string): Promise<void>;
}

/** Runs kept per browser (older ones are deleted when a new run starts). */
export const KEEP_RUNS = 12;

export function memoryRunStore(reason?: string): RunStore {
  const runs = new Map<string, RunRecord>();
  const trials = new Map<string, Map<number, Trial>>();
  const evals = new Map<string, Map<string, Metrics>>();
  const clone = <T>(x: T): T => structuredClone(x);
  return {
    kind: 'memory',
    ...(reason ? { reason } : {}),
    async putRun(r) {
      runs.set(r.id, clone(r));
    },
    async append(run, ts, es) {
      if (!trials.has(run)) trials.set(run, new Map());
      if (!evals.has(run)) evals.set(run, new Map());
      for (const t of ts) trials.get(run)!.set(t.id, clone(t));
      for (const [k, m] of es) evals.get(run)!.set(k, clone(m));
    },
    async listRuns() {
      return [...runs.values()].map(clone).sort((a, b) => b.updatedAt - a.updatedAt);
    },
    async loadTrials(run) {
      return [...(trials.get(run)?.values() ?? [])].map(clone).sort((a, b) => a.id - b.id);
    },
    async loadEvaluations(run) {
      return [...(evals.get(run) ?? [])].map(([k, m]) => [k, clone(m)] as [string, Metrics]);
    },
    async deleteRun(run) {
      runs.delete(run);
      trials.delete(run);
      evals.delete(run);
    },
  };
}

const DB = 'mx-studio.search';
const DB_VERSION = 1;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('trials')) db.createObjectStore('trials', { keyPath: ['run', 'id'] });
      if (!db.objectStoreNames.contains('evals')) db.createObjectStore('evals', { keyPath: ['run', 'key'] });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of an older version'));
  });
}

function idbRunStore(db: IDBDatabase): RunStore {
  const range = (run: string) => IDBKeyRange.bound([run, -Infinity], [run, []]);
  return {
    kind: 'indexeddb',
    async putRun(r) {
      const tx = db.transaction('runs', 'readwrite');
      tx.objectStore('runs').put(r);
      await done(tx);
    },
    async append(run, ts, es) {
      if (!ts.length && !es.length) return;
      const tx = db.transaction(['trials', 'evals'], 'readwrite');
      const t = tx.objectStore('trials');
      const e = tx.objectStore('evals');
      for (const x of ts) t.put({ ...x, run });
      for (const [key, metrics] of es) e.put({ run, key, metrics });
      await done(tx);
    },
    async listRuns() {
      const tx = db.transaction('runs', 'readonly');
      const all = (await req(tx.objectStore('runs').getAll())) as RunRecord[];
      return all.sort((a, b) => b.updatedAt - a.updatedAt);
    },
    async loadTrials(run) {
      const tx = db.transaction('trials', 'readonly');
      const rows = (await req(tx.objectStore('trials').getAll(range(run)))) as (Trial & { run?: string })[];
      return rows
        .map(({ run: _r, ...t }) => t as Trial)
        .sort((a, b) => a.id - b.id);
    },
    async loadEvaluations(run) {
      const tx = db.transaction('evals', 'readonly');
      const rows = (await req(tx.objectStore('evals').getAll(range(run)))) as { key: string; metrics: Metrics }[];
      return rows.map((r) => [r.key, r.metrics]);
    },
    async deleteRun(run) {
      const tx = db.transaction(['runs', 'trials', 'evals'], 'readwrite');
      tx.objectStore('runs').delete(run);
      tx.objectStore('trials').delete(range(run));
      tx.objectStore('evals').delete(range(run));
      await done(tx);
    },
  };
}

/** IndexedDB when it works, else memory (with the reason). */
export async function openRunStore(): Promise<RunStore> {
  if (typeof indexedDB === 'undefined') return memoryRunStore('this browser has no IndexedDB');
  try {
    return idbRunStore(await openDb());
  } catch (e) {
    return memoryRunStore(`IndexedDB refused: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Delete all but the newest `keep` runs. */
export async function pruneRuns(store: RunStore, keep = KEEP_RUNS): Promise<void> {
  const runs = await store.listRuns();
  for (const r of runs.slice(keep)) await store.deleteRun(r.id);
}

/** A run id: sortable by time, unique per browser. */
export function newRunId(now = Date.now()): string {
  return `run-${now.toString(36).padStart(10, '0')}-${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}
