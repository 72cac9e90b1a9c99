// Cost-model throughput: full-model evaluations per second on the default model (sotu-llama-1m,
// 37 priced GEMM ops, 74 quant points, T = 256), one thread, process CPU time, best of 5 — against
// the target of ≥ 10,000 per second in one worker. Measured for the full report (per-layer
// objects), the light totals variant, search-like random configs (a fresh assignment per call from
// a pool of pre-parsed specs), and the one-shot costOf (preparation included).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFormat, type FormatSpec } from '../src/core/formats';
import { buildGraph, resolveConfig, uniformConfig } from '../src/core/graph';
import { parseConfig } from '../src/core/model';
import { PAPER_COMPARISON, costOf, prepareCost } from '../src/core/cost';
import { bestCpuMs, machineLine } from './machine';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 10_000;
const REPEAT = 5;

export async function run(): Promise<void> {
  const config = parseConfig(JSON.parse(readFileSync(join(root, 'public/models/sotu-llama-1m/config.json'), 'utf8')));
  const graph = buildGraph(config);
  const cost = prepareCost(graph);
  const configs = [...PAPER_COMPARISON.map((p) => p.config), uniformConfig('mxfp4'), uniformConfig('nvfp4')].map((c) => resolveConfig(graph, c).formats);

  // search-like: 64 random assignments over a pool of pre-parsed specs (arrays in graph.points order)
  const pool: FormatSpec[] = ['mxfp4', 'mxfp6_e2m3', 'mxfp8_e4m3', 'mxint8', 'mxint:m=3', 'mxint:m=4', 'mxint:m=5', 'mxint:m=6', 'bfp:m=5', 'fixed:w=8,f=4', 'nvfp4', 'fp32'].map(parseFormat);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % pool.length;
  const random = Array.from({ length: 64 }, () => graph.points.map(() => pool[rnd()]));

  let sink = 0;
  const measure = (n: number, fn: (i: number) => number) => async () => {
    for (let i = 0; i < 200; i++) sink += fn(i); // warm-up
    const ms = await bestCpuMs(REPEAT, () => {
      for (let i = 0; i < n; i++) sink += fn(i);
    });
    return (n / ms) * 1000;
  };
  const rows: [string, number][] = [
    ['full report (prepared; paper configs, mxfp4, nvfp4)', await measure(20_000, (i) => cost(configs[i % configs.length]).energyPj.total)()],
    ['totals only (prepared)', await measure(50_000, (i) => cost.totals(configs[i % configs.length]).energyPj)()],
    ['full report, random mixed configs (search-like)', await measure(20_000, (i) => cost(random[i & 63]).energyPj.total)()],
    ['totals, random mixed configs (search-like)', await measure(50_000, (i) => cost.totals(random[i & 63]).energyPj)()],
    ['one-shot costOf (prepare + report)', await measure(2_000, (i) => costOf(graph, configs[i % configs.length]).energyPj.total)()],
  ];

  console.log(`cost model on sotu-llama-1m (${cost.ops.length} GEMM ops, ${graph.points.length} quant points, T = ${cost.tokens}), 1 thread, CPU time best of ${REPEAT}`);
  console.log('');
  console.log('| variant | evaluations/s | vs target 10,000/s |');
  console.log('|---|---|---|');
  for (const [name, perS] of rows) console.log(`| ${name} | ${Math.round(perS).toLocaleString('en-US')} | ${(perS / TARGET).toFixed(1)}× ${perS >= TARGET ? '(meets)' : '(MISSES)'} |`);
  console.log('');
  console.log(`(checksum ${sink.toPrecision(6)}); aim: ≥ ${TARGET.toLocaleString('en-US')} full-model evaluations/s in one worker; ${machineLine()}`);
}
