#!/usr/bin/env bash
# `npm test`: every test of the project — types, lint, unit (Vitest) and end-to-end (Playwright on
# Debian's Chromium). Installs what it needs (npm ci, apt-get chromium) or fails with a clear message.
# Ends with one line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure.sh node chromium hdl || exit 1

mkdir -p reports && rm -f reports/vitest.json reports/playwright.json
status=0
step() { echo; echo "== $*"; }

step "typecheck"
bash tools/typecheck.sh || status=1
step "lint"
npx eslint . || status=1
step "unit tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=1
step "build the studio"
if node tools/build-kernels.mjs && npx vite build --logLevel warn; then
  step "end-to-end (playwright, /usr/bin/chromium)"
  PLAYWRIGHT_JSON_OUTPUT_NAME=reports/playwright.json npx playwright test --reporter=list,json || status=1
else
  echo "build failed: end-to-end tests not run" >&2
  status=1
fi

node tools/test-summary.mjs || status=1
exit $status
