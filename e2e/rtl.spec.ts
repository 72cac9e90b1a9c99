// The Verilog pane end to end on the shipped default model: the real RTL worker (it loads its own
// copy of the model, encodes the weights and runs the emulator's integer mode for the vectors) and
// the real generator. With no formats the generator's fp32 refusal is shown and Export is off; all
// points MXINT8 (from a link) give 75 layers and 80 testbenches, the top module opens read-only in
// Monaco, the folders list their files, and Export downloads a zip whose Makefile lists every layer
// testbench (unzipped here with fflate). The component library opens its tb_mx_cast testbench.
// Then per-layer lanes: L0.q's K × N set in the Layers pane (refused values say why and change
// nothing) changes L0.q's generated module parameters and only that op's, the cost model prices the
// same lanes, and the link carries them (a malformed part of it is named and dropped).
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { strFromU8, unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';

/** `q=` for rules [["*", spec]]: version 1, base64url of the JSON rules (src/state/modelHash.ts). */
const q = (spec: string) => `1.${Buffer.from(JSON.stringify([['*', spec]])).toString('base64url')}`;

const FP32_REFUSAL = 'L0.q: input x: fp32 has no integer codes: the MX GEMM hardware needs a power-of-two block format (mx, mxint, bfp) on both operands';

/** Wait until the pane shows a generated result for the design point now on screen. */
async function generated(page: Page, timeout = 150_000): Promise<string> {
  const summary = page.getByTestId('rtl-summary');
  await expect(summary).toContainText(/ testbench/, { timeout });
  await expect(summary).not.toContainText('outdated', { timeout });
  await expect(page.getByTestId('rtl-progress')).toHaveCount(0, { timeout });
  return (await summary.textContent()) ?? '';
}

/**
 * The text Monaco renders for a file once it is open: the lines in view (Monaco virtualises the
 * rest), which for the files read here include their module header and parameters.
 */
async function editorText(page: Page, path: string): Promise<string> {
  await page.getByTestId(`rtl-file-${path}`).click();
  const ed = page.getByTestId('rtl-editor');
  await expect(ed).toHaveAttribute('data-path', path);
  await expect(ed).toHaveAttribute('data-ready', 'true');
  const lines = Number(await page.getByTestId(`rtl-file-${path}`).getAttribute('data-lines'));
  // Monaco counts the empty line after the final newline; the tree counts text lines.
  await expect(ed).toHaveAttribute('data-lines', String(lines + 1));
  const mod = path.slice(path.lastIndexOf('/') + 1).replace(/\.sv$/, '');
  await expect(ed.locator('.view-lines')).toContainText(new RegExp(`module\\s${mod}\\s`));
  return (await ed.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

async function exportZip(page: Page): Promise<Record<string, string>> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('rtl-export').click()]);
  expect(dl.suggestedFilename()).toBe('mx-rtl-sotu-llama-1m.zip');
  const zip = unzipSync(new Uint8Array(await readFile((await dl.path())!)));
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(zip)) if (/\.(sv|json|md|ys)$|Makefile$/.test(name)) out[name] = strFromU8(bytes);
  out['#entries'] = String(Object.keys(zip).length);
  return out;
}

interface ManifestLayer {
  op: string;
  module: string;
  lanes?: { lanesK: number; lanesN: number };
}

test('the Verilog pane: refusal, generated design, editor, export, component library; per-layer lanes change that layer’s module', async ({ page }) => {
  test.setTimeout(600_000);
  // No formats: every point is fp32, which the MX GEMM hardware cannot take.
  await page.goto('/#m=default');
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('model-name')).toContainText('sotu-llama-1m', { timeout: 60_000 });
  await expect(page.getByTestId('rtl-error')).toContainText('This design point cannot be built', { timeout: 120_000 });
  await expect(page.getByTestId('rtl-error').locator('pre')).toHaveText(FP32_REFUSAL);
  await expect(page.getByTestId('rtl-export')).toBeDisabled();

  // All points MXINT8 through a link: the whole model is generated.
  await page.goto(`/#m=default&q=${q('mxint8')}`);
  await page.reload();
  await page.getByTestId('rail-verilog').click();
  const summary = await generated(page);
  expect(summary).toMatch(/^75 layers · 80 testbenches · \d+ files · [\d.]+ MB · /);
  // The file count is the generator's (≈ 415 on this model); the export below must hold exactly these.
  const fileCount = Number(/ (\d+) files/.exec(summary)![1]);
  expect(fileCount).toBeGreaterThan(400);
  await expect(page.getByTestId('rtl-error')).toHaveCount(0);
  await expect(page.getByTestId('rtl-lanes')).toHaveText('lanes 32×1');

  // The editor opens the design's top module, read-only, with its lines and size.
  const ed = page.getByTestId('rtl-editor');
  await expect(ed).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const top = (await ed.getAttribute('data-path'))!;
  await expect(page.getByTestId('rtl-open-path')).toHaveText(top);
  const topLines = Number(await page.getByTestId(`rtl-file-${top}`).getAttribute('data-lines'));
  expect(topLines).toBeGreaterThan(10);
  // Monaco counts the empty line after the final newline; the tree counts text lines.
  await expect(ed).toHaveAttribute('data-lines', String(topLines + 1));
  await expect(page.getByTestId('rtl-open-meta')).toContainText(new RegExp(`^${topLines} lines · [\\d.]+ (B|kB) · SystemVerilog · read-only$`));
  // Read-only: typing changes nothing.
  await ed.locator('.view-lines').click();
  await page.keyboard.type('zzz');
  expect(await ed.locator('.view-lines').innerText()).not.toContain('zzz');

  // Folders list their files with line counts (hex data as lines too).
  for (const [folder, min] of [
    ['rtl', 30],
    ['tb', 80],
    ['vectors', 150],
    ['mem', 60],
  ] as const) {
    const files = page.locator(`[data-testid^="rtl-file-${folder}/"]`);
    expect(await files.count()).toBeGreaterThanOrEqual(min);
    await expect(page.getByTestId(`rtl-folder-${folder}`).locator('.meta')).toHaveText(String(await files.count()));
  }
  const q0 = page.getByTestId('rtl-file-rtl/lyr_q.sv');
  expect(Number(await q0.getAttribute('data-lines'))).toBeGreaterThan(30);
  await expect(q0.locator('.meta')).toContainText(/^\d+ ln · [\d.]+ kB$/);

  // The q_proj module at the default lanes: every q, k, v and o share it.
  const before = await editorText(page, 'rtl/lyr_q.sv');
  expect(before).toContain('mx_linear #(');
  expect(before).toContain('.LANES_K(32)');
  expect(before).toContain('.LANES_N(1)');
  await expect(page.getByTestId('rtl-file-rtl/lyr_k.sv')).toHaveCount(0);

  // Export: the zip has every file under one folder, and its Makefile runs every layer's testbench.
  const z = await exportZip(page);
  expect(Number(z['#entries'])).toBe(fileCount);
  const manifest = JSON.parse(z['mx-rtl-sotu-llama-1m/manifest.json']) as { layers: ManifestLayer[]; bundle: { synth_tops: string[]; files: Record<string, number> } };
  // the generated files plus the bundle's Makefile, synth.ys, manifest.json and README.md
  expect(Object.keys(manifest.bundle.files).length + 4).toBe(fileCount);
  expect(Buffer.byteLength(z['mx-rtl-sotu-llama-1m/rtl/lyr_q.sv'])).toBe(manifest.bundle.files['rtl/lyr_q.sv']);
  expect(manifest.layers).toHaveLength(75 + 4 + 1);
  expect(top).toBe(`rtl/${manifest.bundle.synth_tops[0]}.sv`);
  const make = z['mx-rtl-sotu-llama-1m/Makefile'];
  const tbs = /TESTBENCHES := \\\n((?: +\S+(?: \\)?\n)+)/.exec(make)![1].split(/[\s\\]+/).filter(Boolean);
  expect(tbs).toHaveLength(80);
  for (const l of manifest.layers) expect(tbs).toContain(l.op.replace(/\./g, '_').replace(/^block:/, 'blk_'));
  for (const op of ['embed', 'L0_q', 'L3_down', 'L2_qk', 'normf', 'head', 'model']) expect(tbs).toContain(op);
  const q0m = manifest.layers.find((l) => l.op === 'L0.q')!;
  expect(q0m).toMatchObject({ module: 'lyr_q', lanes: { lanesK: 32, lanesN: 1 } });

  // The component library: its files, and the cast's testbench opens.
  await page.getByTestId('rtl-source').getByRole('button', { name: 'Component library' }).click();
  await expect(page.getByTestId('rtl-summary')).toContainText(/^\d+ files · /);
  const cast = await editorText(page, 'tb/tb_mx_cast.sv');
  expect(cast).toContain('module tb_mx_cast');
  await expect(page.getByTestId('rtl-open-path')).toHaveText('tb/tb_mx_cast.sv');
  await expect(page.getByTestId('rtl-export')).toHaveCount(0);
  await page.getByTestId('rtl-source').getByRole('button', { name: 'Design point' }).click();

  // Per-layer lanes in the Layers pane: refused values say why and store nothing.
  await page.getByTestId('rail-layers').click();
  const table = page.getByTestId('lanes-table');
  await expect(table).toContainText('default 32×1 (Cost pane) · every op at the default');
  await table.getByRole('button', { name: 'Expand *.q lanes' }).click();
  const l0q = page.getByTestId('lanes-L0.q');
  await expect(l0q).toHaveAttribute('placeholder', '32×1 default');
  await expect(page.getByTestId('lanes-cost-L0.q')).toHaveAttribute('data-lanes', '32x1');
  await l0q.fill('24x1');
  await l0q.press('Enter');
  await expect(page.getByTestId('lanes-L0.q-error')).toHaveText('lanesK = 24 is not a power of two');
  await l0q.fill('256x1');
  await l0q.press('Enter');
  await expect(page.getByTestId('lanes-L0.q-error')).toHaveText('lanesK = 256 does not divide K = 128');
  await l0q.fill('16x256');
  await l0q.press('Enter');
  await expect(page.getByTestId('lanes-L0.q-error')).toHaveText('lanesN = 256 does not divide N = 128');
  await page.waitForTimeout(400);
  expect(page.url()).not.toContain('ln=');
  await expect(page.getByTestId('lanes-cost-L0.q')).toHaveAttribute('data-lanes', '32x1');

  // A value it takes: the document, the link and the cost model have it; the other q_proj keep the default.
  await l0q.fill('16 x 4');
  await l0q.press('Enter');
  await expect(page.getByTestId('lanes-L0.q-error')).toHaveCount(0);
  await expect(l0q).toHaveValue('16×4');
  await expect(page).toHaveURL(/&ln=1\.L0\.q=16x4(&|$)/);
  await expect(page.getByTestId('lanes-cost-L0.q')).toHaveAttribute('data-lanes', '16x4');
  await expect(page.getByTestId('lanes-cost-L1.q')).toHaveAttribute('data-lanes', '32x1');
  await expect(page.getByTestId('lanes-cost-*.q')).toHaveAttribute('data-lanes', 'mixed');
  await expect(table).toContainText('1 op with their own');

  // The Verilog pane regenerates: L0.q's module has the new lanes, the other linears another module at the default.
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('rtl-lanes')).toHaveText('lanes 32×1 · 1 per layer');
  await expect(page.getByTestId('rtl-file-rtl/lyr_k.sv')).toHaveCount(1, { timeout: 150_000 });
  await generated(page);
  const after = await editorText(page, 'rtl/lyr_q.sv');
  expect(after).toContain('.LANES_K(16)');
  expect(after).toContain('.LANES_N(4)');
  expect(after).toContain('.IN_LANES(16)');
  expect(after).not.toBe(before);
  const others = await editorText(page, 'rtl/lyr_k.sv');
  expect(others).toContain('.LANES_K(32)');
  expect(others).toContain('.LANES_N(1)');
  const z2 = await exportZip(page);
  const m2 = JSON.parse(z2['mx-rtl-sotu-llama-1m/manifest.json']) as { layers: ManifestLayer[]; request: { lanes: unknown } };
  expect(m2.layers.find((l) => l.op === 'L0.q')).toMatchObject({ module: 'lyr_q', lanes: { lanesK: 16, lanesN: 4 } });
  expect(m2.layers.find((l) => l.op === 'L1.q')).toMatchObject({ module: 'lyr_k', lanes: { lanesK: 32, lanesN: 1 } });
  expect(m2.request.lanes).toEqual({ default: { lanesK: 32, lanesN: 1, lanesM: 1 }, perOp: { 'L0.q': { lanesK: 16, lanesN: 4, lanesM: 1 } } });

  // The link carries the lanes: a fresh page from it has them; a malformed part of it is named and dropped.
  const link = page.url();
  const fresh = await page.context().newPage();
  await fresh.goto(link.replace('ln=1.L0.q=16x4', 'ln=1.L0.q=16x4,L0.k=3x'));
  await expect(fresh.getByTestId('link-problems')).toContainText('ln part "L0.k=3x": the lanes "3x" are not <K>x<N>; ignored (that layer uses the default lanes).');
  await fresh.getByTestId('rail-layers').click();
  await fresh.getByTestId('lanes-table').getByRole('button', { name: 'Expand *.q lanes' }).click();
  await expect(fresh.getByTestId('lanes-L0.q')).toHaveValue('16×4');
  await expect(fresh.getByTestId('lanes-L1.q')).toHaveValue('');
  await expect(fresh).toHaveURL(/&ln=1\.L0\.q=16x4(&|$)/);
  await fresh.close();

  // Undo takes the lanes back out (one step), and the Verilog pane follows.
  await page.getByTestId('rail-layers').click();
  await page.keyboard.press('Control+z');
  await expect(page).not.toHaveURL(/ln=/);
  // (the pane was left, so the group is folded again: its row speaks for every q_proj)
  await expect(page.getByTestId('lanes-cost-*.q')).toHaveAttribute('data-lanes', '32x1');
  await expect(page.getByTestId('lanes-*.q')).toHaveValue('');
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('rtl-lanes')).toHaveText('lanes 32×1');
  await expect(page.getByTestId('rtl-file-rtl/lyr_k.sv')).toHaveCount(0, { timeout: 150_000 });
  await generated(page);
  expect(await editorText(page, 'rtl/lyr_q.sv')).toBe(before);
});

/** Every file of the exported zip as text (hex memories included). */
async function exportFiles(page: Page): Promise<Record<string, string>> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('rtl-export').click()]);
  const zip = unzipSync(new Uint8Array(await readFile((await dl.path())!)));
  return Object.fromEntries(Object.entries(zip).map(([n, b]) => [n.slice(n.indexOf('/') + 1), strFromU8(b)]));
}

/** The exact perplexity the Layers pane shows for the settings in the document. */
async function exactPpl(page: Page): Promise<number> {
  const m = page.getByTestId('metric-ppl');
  await expect(m).toHaveAttribute('data-current', 'true', { timeout: 90_000 });
  await expect(m).toHaveAttribute('data-kind', 'exact', { timeout: 90_000 });
  return Number(await m.getAttribute('data-value'));
}

test('GPTQ weights: the Weights switch calibrates once, lowers the perplexity of 4-bit weights, travels in the link, and the Verilog pane writes the rounded weights (same RTL)', async ({ page }) => {
  test.setTimeout(400_000);
  const rules = `1.${Buffer.from(JSON.stringify([['*', 'mxint:m=8,block=32'], ['*.w', 'mxint:m=4,block=32']])).toString('base64url')}`;
  await page.goto(`/#m=default&q=${rules}&tok=1024`);
  await page.getByTestId('rail-layers').click();
  const nearest = await exactPpl(page);
  // the RTL of every block's q_proj at round-to-nearest
  await page.getByTestId('rail-graph').click();
  await page.getByTestId('fold').getByRole('button', { name: 'one block' }).click();
  await page.getByTestId('node-*.q').click();
  await page.getByTestId('rail-verilog').click();
  await page.getByTestId('rtl-scope').selectOption('selected');
  expect(await generated(page)).toMatch(/^4 layers · /);
  const n = await exportFiles(page);

  await page.getByTestId('rail-layers').click();
  await page.getByTestId('rounding').getByRole('button', { name: 'GPTQ' }).click();
  await expect(page).toHaveURL(/&wr=gptq$/);
  const gptq = await exactPpl(page);
  await expect(page.getByTestId('eval-done')).toContainText('GPTQ weights');
  // error-compensated rounding of 4-bit weights: closer to fp32 (on 1,024 tokens: ≈ 1 % lower)
  expect(gptq).toBeLessThan(nearest * 0.997);

  await page.getByTestId('rail-verilog').click();
  expect(await generated(page)).toMatch(/^4 layers · /);
  const g = await exportFiles(page);
  const manifest = JSON.parse(g['manifest.json']);
  expect(manifest.request.rounding).toEqual({ method: 'gptq', calibration: 'gptq-1' });
  expect(JSON.parse(n['manifest.json']).request.rounding).toEqual({ method: 'nearest' });
  // same formats, so the same hardware; other grid values in the weight memories and in the expected outputs
  expect(Object.keys(g).sort()).toEqual(Object.keys(n).sort());
  for (const f of Object.keys(g).filter((f) => f.endsWith('.sv'))) expect(g[f], f).toBe(n[f]);
  const mems = Object.keys(g).filter((f) => /^mem\/L\d_q\.codes\.hex$/.test(f));
  expect(mems).toHaveLength(4);
  for (const f of mems) expect(g[f], f).not.toBe(n[f]);

  // the link carries the choice: a reload calibrates again and gives the same number
  await page.reload();
  await page.getByTestId('rail-layers').click();
  expect(await exactPpl(page)).toBe(gptq);
});
