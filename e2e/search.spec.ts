// Automatic mixed-precision search, end to end: the shipped default model, a short real search (the
// real emulator in the emulate workers, the real cost model and strategy in the search worker),
// points in the Pareto plot and a hypervolume curve that match the trials, a picked point loading
// its exact formats into the Layers pane and the Verilog pane (its generated design has the trial's
// rules, layer by layer; before the pick the pane refused fp32), and a reload in the middle of a
// run that resumes it.
// Asserts on values (counts, the hypervolume's sign and monotonicity, formats, perplexities).
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { strFromU8, unzipSync } from 'fflate';
import { formatToString } from '../src/core/formats';
import { buildGraph, resolveConfig } from '../src/core/graph';
import { parseConfig as parseModelConfig } from '../src/core/model';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');

/** Search settings in the link, like any other decision: `s=1.<base64url(JSON of the changed fields)>`. */
function searchLink(settings: Record<string, unknown>): string {
  return `/#m=default&s=1.${Buffer.from(JSON.stringify(settings)).toString('base64url')}`;
}

/**
 * A short search: 12 NSGA-II trials in batches of 4, each scored on 1,024 tokens (4 windows over the
 * workers). The first 8 are MASE's uniform designs (fp32, then m = 8…2 everywhere), already scored to
 * fix the hypervolume's reference point; the last 4 are the strategy's own.
 */
const N = 12;
const SHORT = { budget: N, batch: 4, seed: 7, fullTokens: 1024, strategy: 'nsga2' };

async function historyOf(page: Page): Promise<number[]> {
  const h = (await page.getByTestId('hv-chart').getAttribute('data-history')) ?? '';
  return h ? h.split(',').map(Number) : [];
}

async function waitDone(page: Page, timeout = 90_000): Promise<void> {
  await expect(page.getByTestId('search-status')).toHaveAttribute('data-status', 'done', { timeout });
}

test('a short search: trials in the Pareto plot, a growing hypervolume, a picked point loads into Layers and the Verilog pane', async ({ page }) => {
  test.setTimeout(300_000);
  // A malformed search section in a link: said so, defaults used, the rest of the link kept.
  await page.goto('/#m=default&tok=2048&s=1.***');
  await expect(page.getByTestId('link-problems')).toContainText('The search settings s= could not be read (not valid base64url JSON)');
  expect(page.url()).toMatch(/tok=2048$/);
  await page.evaluate(() => indexedDB.deleteDatabase('mx-studio.search'));
  await page.goto(searchLink(SHORT));
  await page.reload();
  await page.getByTestId('rail-search').click();
  await expect(page.getByTestId('pane-search')).toContainText('Automatic search');
  // The model loads on first open; the settings came from the link.
  await expect(page.getByTestId('model-name')).toContainText('sotu-llama-1m');
  await expect(page.getByTestId('search-budget')).toHaveValue(String(N));
  await expect(page.getByTestId('search-seed')).toHaveValue('7');
  // MASE's default menu: fp32 or MXInt m = 8…2 at block 32, one gene per op type of the block (+ head points).
  await expect(page.getByTestId('space-size')).toContainText(/^\d+ genes · [\d.,e+]+ designs$/);
  const genes = Number((await page.getByTestId('space-size').textContent())!.split(' ')[0]);
  expect(genes).toBeGreaterThan(10);

  const t0 = Date.now();
  await page.getByTestId('search-start').click();
  await expect(page.getByTestId('search-status')).toHaveAttribute('data-status', 'running');
  await waitDone(page, 200_000);
  test.info().annotations.push({ type: `search time (${N} trials + 4 references, 1,024 tokens each)`, description: `${((Date.now() - t0) / 1000).toFixed(1)} s` });

  // Every trial is a circle; the references are labelled marks.
  await expect(page.getByTestId('search-trials')).toHaveAttribute('data-value', String(N));
  await expect(page.getByTestId('pareto-point')).toHaveCount(N);
  await expect(page.getByTestId('pareto-svg')).toHaveAttribute('data-points', String(N));
  for (const b of ['fp32', 'fixed8', 'mxint8', 'mxfp4']) await expect(page.getByTestId(`baseline-${b}`)).toHaveCount(1);
  await expect(page.getByTestId('baseline-mxfp4')).toContainText('MXFP4');
  await expect(page.getByTestId('trials-table').locator('tbody tr')).toHaveCount(N);
  // NSGA-II started from the uniform designs: trial 1 is MXInt m = 8 at every point.
  await expect(page.getByTestId('trial-row-1').locator('td').last()).toHaveText(`m8×${genes}`);

  // The hypervolume after each trial: positive at the end, never decreasing, its last value the one shown.
  const h = await historyOf(page);
  expect(h.length).toBe(N);
  for (let i = 1; i < h.length; i++) expect(h[i]).toBeGreaterThanOrEqual(h[i - 1]);
  expect(h[N - 1]).toBeGreaterThan(0);
  const shown = Number(await page.getByTestId('hv-value').getAttribute('data-value'));
  expect(Math.abs(shown / h[N - 1] - 1)).toBeLessThan(1e-9);
  const front = Number(await page.getByTestId('pareto-svg').getAttribute('data-front'));
  expect(front).toBeGreaterThanOrEqual(1);

  // The dominated toggle leaves the front only.
  await page.getByTestId('pareto-dominated').uncheck();
  await expect(page.getByTestId('pareto-point')).toHaveCount(front);
  await page.getByTestId('pareto-dominated').check();
  await expect(page.getByTestId('pareto-point')).toHaveCount(N);

  // Brush: drag over the whole plot area selects every drawn trial; the table can show just those.
  const box = (await page.locator('[data-testid="pareto-svg"] .brush .overlay').boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width - 2, box.y + box.height - 2, { steps: 4 });
  await page.mouse.up();
  await expect(page.getByTestId('pareto-count')).toContainText(`${N} brushed`);
  await page.getByTestId('trials-filter').getByRole('button', { name: /brushed/ }).click();
  await expect(page.getByTestId('trials-table').locator('tbody tr')).toHaveCount(N);
  await page.getByTestId('trials-filter').getByRole('button', { name: 'front' }).click();
  await expect(page.getByTestId('trials-table').locator('tbody tr')).toHaveCount(front);
  await page.getByTestId('trials-filter').getByRole('button', { name: 'all' }).click();
  await page.getByTestId('pareto-svg').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('pareto-count')).not.toContainText('brushed');

  // CSV export: one row per trial, each with the run id, its trial id and the seed.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(dl.suggestedFilename()).toMatch(/^mx-search-run-[0-9a-z]+-[0-9a-z]{4}-seed7\.csv$/);
  const csv = (await readFile(await dl.path(), 'utf8')).trim().split('\n');
  expect(csv.length).toBe(N + 1);
  const head = csv[0].split(',');
  expect(head.slice(0, 3)).toEqual(['run_id', 'trial_id', 'seed']);
  const ids = csv.slice(1).map((l) => l.split(','));
  expect(ids.map((r) => Number(r[1])).sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
  expect(new Set(ids.map((r) => r[0])).size).toBe(1);
  expect(ids.every((r) => r[2] === '7')).toBe(true);
  expect(ids.every((r) => Number(r[head.indexOf('energyPj')]) > 0)).toBe(true);

  // Plot exports: a standalone SVG with every trial and the reference marks, and a PNG.
  const [svgDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('pareto-svg-export').click()]);
  const svg = await readFile(await svgDl.path(), 'utf8');
  expect(svg.startsWith('<?xml')).toBe(true);
  expect(svg.match(/data-testid="pareto-point"/g)?.length).toBe(N);
  expect(svg).toContain('MXINT8');
  expect(svg).not.toContain('class="overlay"');
  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('pareto-png').click()]);
  expect(pngDl.suggestedFilename()).toMatch(/\.png$/);
  const png = await readFile(await pngDl.path());
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.length).toBeGreaterThan(10_000);

  // The Verilog pane before a pick: no formats in the document, so the generator refuses fp32.
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('rtl-error').locator('pre')).toHaveText(/^L0\.q: input x: fp32 has no integer codes/, { timeout: 120_000 });
  await expect(page.getByTestId('rtl-export')).toBeDisabled();
  await page.getByTestId('rail-search').click();

  // Hover shows the trial; a click picks it and loads its formats into the document (Layers).
  // One of the strategy's own trials (not a uniform design), so its formats differ per op type —
  // the last one with no fp32 gene (fp32 GEMM operands cannot be built as MX hardware), else the last.
  const rulesOf = async (t: number) => (await page.getByTestId(`trial-row-${t}`).locator('td').last().getAttribute('title')) ?? '';
  let id = N - 1;
  for (let t = N - 1; t >= 8; t--) {
    if (!/=fp32( |$)/.test(await rulesOf(t))) {
      id = t;
      break;
    }
  }
  const pick = page.locator(`[data-testid="pareto-point"][data-trial="${id}"]`);
  await pick.hover();
  await expect(page.getByTestId('pareto-tip')).toContainText(`trial #${id}`);
  await pick.click();
  await expect(page.getByTestId('pareto-selected')).toHaveAttribute('data-trial', String(id));
  await expect(page.getByTestId('design-card')).toContainText(`trial #${id}`);
  const trialPpl = Number(await page.getByTestId('dm-perplexity').getAttribute('data-value'));
  expect(trialPpl).toBeGreaterThan(20);
  // One rule per gene, `pattern=spec`; the trial's format of the q_proj weights, as its rule says.
  const rulesAttr = (await page.getByTestId('selected-rules').getAttribute('data-rules'))!;
  const rules = new Map(rulesAttr.split(' ').map((r) => [r.slice(0, r.indexOf('=')), r.slice(r.indexOf('=') + 1)] as const));
  expect(rules.size).toBe(genes);
  const qFormat = rules.get('L*.q.w')!;
  expect(qFormat).toMatch(/^(fp32|mxint:m=[2-8],block=32)$/);

  await page.getByTestId('open-in-layers').click();
  await expect(page.getByTestId('pane-layers')).toBeVisible();
  // Layers shows the trial's formats: the q_proj weight of every block, and the rule that set it.
  await page.getByTestId('row-*.q.w').getByRole('button', { name: /Expand/ }).click();
  for (const b of [0, 3]) {
    await expect(page.getByTestId(`row-L${b}.q.w`)).toContainText(qFormat);
    await expect(page.getByTestId(`row-L${b}.q.w`)).toContainText('L*.q.w');
  }
  // …and evaluates them on the same 1,024 tokens and mode: the trial's perplexity, recomputed.
  const m = page.getByTestId('metric-ppl');
  await expect(m).toHaveAttribute('data-current', 'true', { timeout: 40_000 });
  await expect(m).toHaveAttribute('data-kind', 'exact', { timeout: 40_000 });
  const ppl = Number(await m.getAttribute('data-value'));
  expect(Math.abs(ppl / trialPpl - 1)).toBeLessThan(1e-9);
  // The link carries the search settings (not the trials) and the picked formats.
  expect(page.url()).toMatch(/&s=1\.[A-Za-z0-9_-]+/);
  expect(page.url()).toMatch(/&q=1z?\.[A-Za-z0-9_-]+/);

  // The Verilog pane follows the pick: the generated design is the trial's config, layer by layer.
  // (Lanes were not searched, so the pick leaves every GEMM at the default lanes.)
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('rtl-lanes')).toHaveText(/^lanes \d+×\d+$/);
  // What each point resolves to under the trial's rules (core's resolver on the model's graph).
  const config = { version: 1 as const, rules: rulesAttr.split(' ').map((r) => [r.slice(0, r.indexOf('=')), r.slice(r.indexOf('=') + 1)] as [string, string]) };
  const graph = buildGraph(parseModelConfig(JSON.parse(await readFile(join(ROOT, 'public/models/sotu-llama-1m/config.json'), 'utf8'))));
  const resolved = resolveConfig(graph, config).formats;
  const fp32Ops = new Set(graph.points.filter((p) => resolved.get(p.id)!.kind === 'fp32').map((p) => p.op));
  if (fp32Ops.size === 0) {
    const summary = page.getByTestId('rtl-summary');
    await expect(summary).toContainText(/^75 layers · 80 testbenches · /, { timeout: 150_000 });
    await expect(summary).not.toContainText('outdated', { timeout: 150_000 });
    await expect(page.getByTestId('rtl-error')).toHaveCount(0);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('rtl-export').click()]);
    const zip = unzipSync(new Uint8Array(await readFile((await dl.path())!)));
    const manifest = JSON.parse(strFromU8(zip['mx-rtl-sotu-llama-1m/manifest.json'])) as {
      emulator: { quant: { rules: [string, string][] } };
      layers: { op: string; formats?: Record<string, string> }[];
    };
    // The generator was asked for exactly the trial's rules, and every GEMM point got the format they resolve to.
    expect(manifest.emulator.quant.rules).toEqual(config.rules);
    for (const b of [0, 3]) expect(manifest.layers.find((l) => l.op === `L${b}.q`)!.formats![`L${b}.q.w`]).toBe(qFormat);
    const gemm = manifest.layers.filter((l) => Object.keys(l.formats ?? {}).length > 0);
    expect(gemm.map((l) => l.op)).toEqual(graph.ops.filter((o) => o.points.length > 0).map((o) => o.id));
    for (const l of gemm) for (const [point, f] of Object.entries(l.formats!)) expect(f).toBe(formatToString(resolved.get(point)!));
  } else {
    // Some GEMM operand stays fp32: the generator refuses, naming one of those ops.
    test.info().annotations.push({ type: 'verilog', description: `trial #${id} leaves ${[...fp32Ops].join(', ')} in fp32: refused` });
    await expect(page.getByTestId('rtl-error').locator('pre')).toContainText('fp32 has no integer codes', { timeout: 150_000 });
    const named = /^(\S+): /.exec((await page.getByTestId('rtl-error').locator('pre').textContent())!)![1];
    expect(fp32Ops.has(named)).toBe(true);
  }
});

test('reload in the middle of a run: the trials are kept, and Resume finishes the same run', async ({ page }) => {
  test.setTimeout(420_000);
  const settings = { ...SHORT, budget: 14, batch: 2, seed: 11 };
  await page.goto(searchLink(settings));
  await page.evaluate(() => indexedDB.deleteDatabase('mx-studio.search'));
  await page.reload();
  await page.getByTestId('rail-search').click();
  await expect(page.getByTestId('model-name')).toContainText('sotu-llama-1m');
  await page.getByTestId('search-start').click();
  // Wait for a few trials, then reload mid-run (the page goes away with the worker).
  await expect
    .poll(async () => Number(await page.getByTestId('search-trials').getAttribute('data-value')), { timeout: 90_000 })
    .toBeGreaterThanOrEqual(4);
  const before = Number(await page.getByTestId('search-trials').getAttribute('data-value'));
  expect(before).toBeLessThan(14);
  await page.reload();
  await page.getByTestId('rail-search').click();
  // The recorded trials are back at once, and the run is offered for resume.
  await expect(page.getByTestId('resume-offer')).toBeVisible();
  await expect(page.getByTestId('resume-offer')).toContainText('Interrupted');
  const kept = await page.getByTestId('pareto-point').count();
  expect(kept).toBeGreaterThanOrEqual(before);
  await page.getByTestId('resume-run').click();
  await waitDone(page, 150_000);
  await expect(page.getByTestId('pareto-point')).toHaveCount(14);
  const resumed = await historyOf(page);

  // The same settings run uninterrupted from scratch give the same trials (seeded ask/tell + replay).
  await page.getByTestId('search-discard').click();
  await page.getByTestId('search-start').click();
  await waitDone(page, 150_000);
  await expect(page.getByTestId('pareto-point')).toHaveCount(14);
  const fresh = await historyOf(page);
  expect(resumed.length).toBe(14);
  expect(resumed).toEqual(fresh);
});

test('a GPTQ search: the calibration comes first, trials are scored on GPTQ weights, and a picked trial brings the Weights choice into Layers with the same perplexity', async ({ page }) => {
  test.setTimeout(300_000);
  // MXInt m = 4 / 3 weights, MXInt m = 8 activations: where the rounding matters
  const menus = [
    { match: '*', choices: ['mxint:m=8,block=32'] },
    { match: '*.w', choices: ['mxint:m=4,block=32', 'mxint:m=3,block=32'] },
  ];
  await page.goto(searchLink({ budget: 4, batch: 4, seed: 5, fullTokens: 1024, strategy: 'random', menus, rounding: 'gptq' }));
  await page.evaluate(() => indexedDB.deleteDatabase('mx-studio.search'));
  await page.reload();
  await page.getByTestId('rail-search').click();
  await expect(page.getByTestId('model-name')).toContainText('sotu-llama-1m');
  await expect(page.getByTestId('search-rounding').getByRole('button', { name: 'GPTQ' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('search-start').click();
  await waitDone(page, 250_000);
  await expect(page.getByTestId('search-trials')).toHaveAttribute('data-value', '4');
  const pick = page.locator('[data-testid="pareto-point"]').first();
  await pick.click();
  const trialPpl = Number(await page.getByTestId('dm-perplexity').getAttribute('data-value'));
  await page.getByTestId('open-in-layers').click();
  await expect(page.getByTestId('rounding').getByRole('button', { name: 'GPTQ' })).toHaveAttribute('aria-pressed', 'true');
  expect(page.url()).toMatch(/&wr=gptq/);
  const m = page.getByTestId('metric-ppl');
  await expect(m).toHaveAttribute('data-current', 'true', { timeout: 60_000 });
  await expect(m).toHaveAttribute('data-kind', 'exact', { timeout: 60_000 });
  await expect(page.getByTestId('eval-done')).toContainText('GPTQ weights');
  // the same calibration, tokens and mode: the trial's number, recomputed by the Layers pane
  expect(Math.abs(Number(await m.getAttribute('data-value')) / trialPpl - 1)).toBeLessThan(1e-9);
  // …and not the round-to-nearest number of the same formats
  await page.getByTestId('rounding').getByRole('button', { name: 'round to nearest' }).click();
  await expect(page).not.toHaveURL(/wr=gptq/);
  await expect(m).toHaveAttribute('data-current', 'true', { timeout: 60_000 });
  await expect(m).toHaveAttribute('data-kind', 'exact', { timeout: 60_000 });
  expect(Number(await m.getAttribute('data-value'))).toBeGreaterThan(trialPpl);
});

// docs/screenshots/search.png: a 40-trial search (≈ 1 min on an idle 2-core machine, 4 under load),
// a front point picked. Runs only when the screenshot is missing or UPDATE_SCREENSHOTS=1.
test('screenshot of the search and Pareto panes', async ({ page }) => {
  test.skip(!process.env.UPDATE_SCREENSHOTS && existsSync(join(SHOTS, 'search.png')), 'screenshot exists (UPDATE_SCREENSHOTS=1 refreshes it)');
  test.setTimeout(900_000);
  await page.goto(searchLink({ budget: 40, batch: 8, seed: 3, fullTokens: 1024, strategy: 'nsga2' }));
  await page.evaluate(() => indexedDB.deleteDatabase('mx-studio.search'));
  await page.reload();
  await page.getByTestId('rail-search').click();
  await expect(page.getByTestId('model-name')).toContainText('sotu-llama-1m');
  await page.getByTestId('search-start').click();
  await waitDone(page, 850_000);
  const front = page.locator('[data-testid="pareto-point"].front');
  await front.nth(Math.floor((await front.count()) / 2)).click();
  await page.mouse.move(5, 880);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'search.png') });
});
