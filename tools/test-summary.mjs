// Sum the Vitest and Playwright JSON reports into the one closing line CI reads.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const v = 'reports/vitest.json';
if (existsSync(v)) {
  const r = JSON.parse(readFileSync(v, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  if (r.numTotalTestSuites > 0 && r.numFailedTestSuites > 0 && r.numFailedTests === 0) failed += r.numFailedTestSuites;
} else {
  console.error('no Vitest report (reports/vitest.json)');
  failed += 1;
}
const p = 'reports/playwright.json';
if (existsSync(p)) {
  const s = JSON.parse(readFileSync(p, 'utf8')).stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
} else {
  console.error('no Playwright report (reports/playwright.json)');
  failed += 1;
}
console.log(`\ntests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed ? 1 : 0);
