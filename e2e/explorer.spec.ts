// The Format Explorer end to end: real worker, real WASM kernels, real numbers. Asserts on values
// (SQNR ranges, block counts, error text, URL state), not on pixels.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots', 'explorer.png');

/** Wait until the result on screen is for `spec`, then return its SQNR in dB. */
async function sqnrFor(page: Page, spec: string): Promise<number> {
  await expect(page.getByTestId('run-spec')).toHaveText(spec);
  await expect(page.getByTestId('running')).toHaveCount(0);
  const v = await page.getByTestId('metric-sqnr').getAttribute('data-value');
  return Number(v);
}

test('MXFP4 vs MXINT8 on a seeded outlier tensor: values, blocks, errors and the link', async ({ page }) => {
  await page.goto('/');

  // The worker reports which kernel build it loaded (Chromium has relaxed SIMD).
  const badge = page.getByTestId('kernel-flavor');
  await expect(badge).toHaveAttribute('data-flavor', /^(relaxed|simd)$/);
  await expect(badge).toContainText(/WASM (relaxed-)?SIMD/);

  // MXFP4, block 32.
  await page.getByTestId('family').getByRole('button', { name: 'MX', exact: true }).click();
  await page.getByTestId('knob-elem').selectOption('fp4_e2m1');
  await page.getByRole('group', { name: 'Block presets' }).getByRole('button', { name: '32', exact: true }).click();
  // A seeded outlier tensor of 4096 elements (16 rows × 256).
  await page.getByTestId('source').getByRole('button', { name: 'Generate (seeded)' }).click();
  await page.getByTestId('dist').getByRole('button', { name: 'Outliers' }).click();
  await page.getByTestId('tensor-n').fill('4096');
  await page.getByTestId('tensor-seed').fill('7');
  await expect(page).toHaveURL(/#f=mxfp4&gen=outliers&n=4096&seed=7$/);

  const fp4 = await sqnrFor(page, 'mxfp4');
  // 4-bit elements on N(0,1) with 1% 16–64× outliers: well below MXINT8, well above nothing.
  expect(fp4).toBeGreaterThan(8);
  expect(fp4).toBeLessThan(25);
  await expect(page.getByTestId('engine')).toContainText('WASM');
  // 4096 elements / 32 per block = 128 shared exponents.
  await expect(page.getByTestId('block-count')).toContainText('128 blocks');
  await expect(page.getByTestId('block-chart')).toHaveAttribute('data-blocks', '128');
  await expect(page.getByTestId('bits-per-element')).toContainText('4.25');
  // With OCP's floor rule some block maxima saturate: the explanation offers scale=rceil.
  await expect(page.getByTestId('insights')).toContainText('The block max saturates');
  expect(Number(await page.getByTestId('metric-saturated').getAttribute('data-value'))).toBeGreaterThan(0);

  // The README screenshot: no focus ring left on an input, and a hovered block so the read-out shows.
  await page.getByTestId('tensor-seed').blur();
  const chart = page.getByTestId('block-chart');
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.5);
  await expect(page.getByTestId('block-hover')).toContainText('E8M0 code');
  // Always attached to the report; written to docs/ only when missing or asked for, so a test run
  // does not dirty the working tree with a re-rendered PNG.
  const shot = await page.screenshot();
  await test.info().attach('explorer.png', { body: shot, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS || !existsSync(SCREENSHOT)) {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  }

  // MXINT8: 8-bit elements, so the SQNR is much higher.
  await page.getByTestId('knob-elem').selectOption('int8');
  const int8 = await sqnrFor(page, 'mxint8');
  expect(int8).toBeGreaterThan(fp4 + 10);
  expect(int8).toBeLessThan(60);
  await expect(page).toHaveURL(/#f=mxint8&gen=outliers&n=4096&seed=7$/);

  // An invalid spec string: the error names the parameter and its range; the last valid state stays.
  const specInput = page.getByTestId('spec-input');
  await specInput.fill('mxint:m=1');
  const err = page.getByTestId('spec-error');
  await expect(err).toBeVisible();
  await expect(err.locator('b')).toHaveText('m');
  await expect(err).toContainText('2 to 16');
  await expect(page.getByTestId('run-spec')).toHaveText('mxint8');
  await expect(page).toHaveURL(/#f=mxint8&/);
  await specInput.press('Escape');
  await expect(specInput).toHaveValue('mxint8');

  // The link round-trips: reload gives the same state and the same numbers.
  await page.reload();
  await expect(page.getByTestId('spec-input')).toHaveValue('mxint8');
  await expect(page.getByTestId('tensor-seed')).toHaveValue('7');
  await expect(page.getByTestId('dist').getByRole('button', { name: 'Outliers' })).toHaveAttribute('aria-pressed', 'true');
  expect(await sqnrFor(page, 'mxint8')).toBe(int8);
});

test('a shared link restores the explorer state', async ({ page }) => {
  await page.goto('/#f=mxint:m=4,block=8&gen=student&n=1024&df=5&seed=3');
  await expect(page.getByTestId('spec-input')).toHaveValue('mxint:m=4,block=8');
  await expect(page.getByTestId('family').getByRole('button', { name: 'MXInt' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('dist').getByRole('button', { name: 'Student-t' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('tensor-n')).toHaveValue('1024');
  await expect(page.getByTestId('tensor-seed')).toHaveValue('3');
  const sqnr = await sqnrFor(page, 'mxint:m=4,block=8');
  expect(sqnr).toBeGreaterThan(5);
  expect(sqnr).toBeLessThan(30);
  // [4, 256] blocked by 8 along rows: 4 × 32 blocks.
  await expect(page.getByTestId('block-count')).toContainText('128 blocks');
  await expect(page.getByTestId('link-problems')).toHaveCount(0);
  // 2-D tiles of 4 rows × 8: the 4 rows share each scale, so 32 blocks.
  await page.getByRole('group', { name: 'Tile rows' }).getByRole('button', { name: '4×' }).click();
  await sqnrFor(page, 'mxint:m=4,block=4x8');
  await expect(page.getByTestId('block-count')).toContainText('32 blocks');
  await expect(page).toHaveURL(/#f=mxint:m=4,block=4x8&gen=student&n=1024&df=5&seed=3$/);
});

test('a malformed link says what was wrong and keeps the rest', async ({ page }) => {
  await page.goto('/#f=mxint:m=1&gen=normal&n=2048&seed=5');
  const problems = page.getByTestId('link-problems');
  await expect(problems).toContainText('mxint:m=1');
  await expect(problems).toContainText('2 to 16');
  // The format falls back to the default; the other fields of the link are kept.
  await expect(page.getByTestId('spec-input')).toHaveValue('mxfp4');
  await expect(page.getByTestId('tensor-seed')).toHaveValue('5');
  await expect(page.getByTestId('tensor-n')).toHaveValue('2048');
  await sqnrFor(page, 'mxfp4');
  await expect(page).toHaveURL(/#f=mxfp4&gen=normal&n=2048&seed=5$/);
});

test('fixed point runs on the TypeScript engine and says so; pasted numbers are parsed with specific errors', async ({ page }) => {
  await page.goto('/#f=fixed:w=8,f=5&gen=paste&data=957,1.5,-0.25');
  await sqnrFor(page, 'fixed:w=8,f=5');
  await expect(page.getByTestId('engine')).toHaveText('TypeScript (core)');
  await page.getByTestId('paste').fill('1, 2, x3, 4');
  await expect(page.getByTestId('paste-error')).toContainText('"x3" at line 1, column 7');
});

test('shell: theme toggle persists per browser (not in the link), undo/redo, help, every pane reachable', async ({ page }) => {
  await page.goto('/#f=mxfp4&gen=normal&n=1024&seed=1');
  await sqnrFor(page, 'mxfp4');
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'dark'); // follows the emulated OS preference
  await page.getByTestId('theme-toggle').click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(page.url()).not.toContain('theme');

  // Undo / redo of a document edit, from the keyboard.
  await page.getByRole('group', { name: 'Block presets' }).getByRole('button', { name: '16', exact: true }).click();
  await sqnrFor(page, 'mxfp4:block=16');
  await page.locator('body').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('Control+z');
  await sqnrFor(page, 'mxfp4');
  await page.keyboard.press('Control+Shift+z');
  await sqnrFor(page, 'mxfp4:block=16');

  await page.getByTestId('help-button').click();
  await expect(page.getByTestId('help')).toContainText('Ctrl');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help')).toHaveCount(0);

  // The Graph pane is built (e2e/model.spec.ts drives it); unbuilt panes say what they will do and
  // which milestone brings them.
  await page.getByTestId('rail-graph').click();
  await expect(page.getByTestId('pane-graph')).toBeVisible();
  await page.getByTestId('rail-verilog').click();
  await expect(page.getByTestId('pane-verilog')).toContainText('Component library'); // built: e2e/rtl scenario in src/panes/rtl/README.md
  await page.getByTestId('rail-search').click();
  await expect(page.getByTestId('pane-search')).toContainText('Automatic search');
  await page.getByTestId('rail-terminal').click();
  await expect(page.getByTestId('run-log')).toContainText('mxfp4:block=16');
});

test('without the WASM kernels everything still runs on core, with the same numbers', async ({ page, context }) => {
  const url = '/#f=mxfp4&gen=outliers&n=4096&seed=7';
  await page.goto(url);
  await expect(page.getByTestId('kernel-flavor')).toHaveAttribute('data-flavor', /^(relaxed|simd)$/);
  const onKernel = await sqnrFor(page, 'mxfp4');
  await expect(page.getByTestId('engine')).toContainText('WASM');

  const bare = await context.newPage();
  await bare.emulateMedia({ colorScheme: 'dark' });
  await bare.route('**/*.wasm', (route) => route.fulfill({ status: 404, body: 'not here' }));
  await bare.goto(url);
  const badge = bare.getByTestId('kernel-flavor');
  await expect(badge).toHaveAttribute('data-flavor', 'ts');
  await expect(badge).toHaveAttribute('title', /HTTP 404/);
  await expect(bare.getByTestId('engine')).toHaveText('TypeScript (core)');
  // The kernel and core's codec are twins: same seed and format give the same SQNR, bit for bit.
  expect(await sqnrFor(bare, 'mxfp4')).toBe(onKernel);
});
