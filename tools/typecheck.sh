#!/usr/bin/env bash
# Type-check each ring under its own lib set, so src/core cannot touch the DOM or Node.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in tsconfig.core.json tsconfig.worker.json tsconfig.app.json tsconfig.node.json; do
  npx tsc -p "$p" || { echo "typecheck failed in $p" >&2; exit 1; }
done
echo "typecheck: core, worker, app and node rings are clean"
