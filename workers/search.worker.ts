/**
 * Search worker: a thin comlink facade over src/core/search — the driver (runResumableSearch over
 * runSearch), the strategies, the cost model (makeEvaluator) and the Pareto / hypervolume summary.
 * Forward passes are asked of the page (SearchHost.evaluate), which runs them on the emulate pool
 * (see workers/api/search.api.ts for why). One search per worker; cancel = terminate.
 *
 * The only decisions made here: the adapter that makes the page's evaluate look like core's
 * EmulatorLike, pausing (a pending promise the driver awaits before each evaluation), and coalescing
 * progress to at most one message per UPDATE_MS.
 */
import * as Comlink from 'comlink';
import { buildGraph } from '../src/core/graph';
import { COST_METRICS, buildSpace, makeCostMetrics, makeEvaluator, sensitivityTable, type EmulatorLike, type StrategySpec, type Trial } from '../src/core/search';
import { seededStrategy } from '../src/core/search/seeded';
import { runResumableSearch } from '../src/core/search/session';
import type { BaselineResult, Metrics, SearchApi, SearchHost, SearchPhase, SearchSummary, SearchUpdate } from './api/search.api';

/** At most 10 progress messages a second (architecture: long work reports ≤ ~10 times a second). */
export const UPDATE_MS = 100;

/** Build the API (exported so the client's tests run this very code over a MessageChannel). */
export function createSearchApi(): SearchApi {
  let busy = false;
  let hold: { promise: Promise<void>; release: () => void } | null = null;
  /** Re-send the phase now (pause / resume while a search runs). */
  let poke: (() => void) | null = null;

  return {
    async start(req, host: SearchHost) {
      if (busy) throw new Error('This search worker is already running a search');
      busy = true;

      // ---- coalesced progress
      let phase: SearchPhase = 'starting';
      let trialsSent = 0;
      let allTrials: readonly Trial[] = [];
      let summary: SearchSummary | undefined;
      let evals: [string, Metrics][] = [];
      let bases: BaselineResult[] = [];
      let sens: number[][] | undefined;
      const counts = { trials: 0, run: 0, replayed: 0 };
      let last = -Infinity;
      let timer: ReturnType<typeof setTimeout> | null = null;
      const flush = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        last = performance.now();
        const u: SearchUpdate = { phase: hold ? 'paused' : phase, trials: allTrials.slice(trialsSent), evaluations: evals, baselines: bases, counts: { ...counts } };
        if (sens) u.sensitivity = sens;
        if (summary) u.summary = summary;
        trialsSent = allTrials.length;
        evals = [];
        bases = [];
        sens = undefined;
        // A page that went away cannot be told; the run's state is in its own store.
        return Promise.resolve(host.update(u)).catch(() => undefined);
      };
      const changed = () => {
        if (timer) return;
        timer = setTimeout(() => void flush(), Math.max(0, last + UPDATE_MS - performance.now()));
      };
      const notePhase = (p: SearchPhase) => {
        phase = p;
        changed();
      };
      poke = changed;
      const gate = () => hold?.promise;

      try {
        const graph = buildGraph(req.modelConfig);
        const space = buildSpace(graph, req.space);
        const { mode, proxyTokens, fullTokens, window } = req.evaluation;
        // The page holds the tokens (in the emulate workers): `tokens` is never read here.
        const emulator: EmulatorLike = {
          graph,
          evaluate: (_tokens, config, o) => host.evaluate(config, { mode: o.mode, window: o.window ?? window, maxTokens: o.maxTokens ?? fullTokens, ...(o.reference === undefined ? {} : { reference: o.reference }) }),
          sensitivity: (_tokens, base, spec, o) => host.sensitivity(base, spec, { mode: o.mode, window: o.window ?? window, maxTokens: o.maxTokens ?? proxyTokens }),
        };
        const evaluate = makeEvaluator({ emulator, tokens: [], mode, proxyTokens, fullTokens, window, cost: req.cost });

        // The studio's strategies (seeded.ts, as the CLI runs them): uniform designs first, greedy priced by the first cost objective.
        let sensitivity: ((gene: number, choice: number) => number) | undefined;
        if (req.strategy === 'greedy') {
          let table = req.sensitivity;
          if (!table) {
            notePhase('sensitivity');
            await gate();
            const s = await sensitivityTable(space, emulator, [], { mode, window, maxTokens: proxyTokens });
            table = space.genes.map((g, i) => g.choices.map((_, c) => s(i, c)));
            sens = table;
            changed();
          }
          const t = table;
          if (t.length !== space.genes.length || t.some((row, i) => row.length !== space.genes[i].choices.length)) throw new Error('The recorded sensitivity table does not fit this search space');
          sensitivity = (g, c) => t[g][c];
        }
        const costObjective = req.objectives.find((o) => (COST_METRICS as readonly string[]).includes(o.metric));
        const strategy: StrategySpec = seededStrategy(space, req.strategy, { ...(sensitivity ? { sensitivity } : {}), ...(costObjective ? { costObjective, costOf: makeCostMetrics(graph, req.cost) } : {}) });

        // 'baselines' until the first batch: the reference marks, then the uniform designs that fix the hypervolume's reference point.
        notePhase('baselines');
        const r = await runResumableSearch({
          space,
          objectives: req.objectives,
          constraints: req.constraints,
          strategy,
          budget: req.budget,
          seed: req.seed,
          batch: req.batch,
          ...(req.promote === undefined ? {} : { promote: req.promote }),
          evaluate,
          known: req.known,
          gate,
          baselines: req.baselines,
          uniformReference: true,
          onBaseline: (b) => {
            bases.push(b);
            changed();
          },
          onEvaluation: (key, m) => {
            counts.run++;
            evals.push([key, m]);
            changed();
          },
          onBatch: (trials, s) => {
            phase = 'trials';
            allTrials = trials;
            counts.trials = trials.length;
            summary = s;
            changed();
          },
        });
        counts.replayed = r.replayed;
        // Awaited: the host's port is not the one start() answers on, so the last update must land first.
        await flush();
        return { trials: r.trials.length, front: r.front, hypervolume: r.hypervolume, evaluations: r.evaluations, replayed: r.replayed };
      } catch (e) {
        // Whatever finished is still reported (and recorded by the page) before the error.
        await flush();
        throw e;
      } finally {
        if (timer) clearTimeout(timer);
        poke = null;
        busy = false;
      }
    },

    pause() {
      if (hold) return;
      let release = () => undefined as void;
      const promise = new Promise<void>((r) => (release = r));
      hold = { promise, release };
      poke?.();
    },

    resume() {
      const h = hold;
      hold = null;
      h?.release();
      poke?.();
    },
  };
}

// Expose only when running as a worker (the client's unit tests import createSearchApi in Node).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') Comlink.expose(createSearchApi());
