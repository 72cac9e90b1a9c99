#!/usr/bin/env bash
# `npm start`: serve the studio (Vite dev server) on http://127.0.0.1:5173 with the shipped default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure.sh node
node tools/build-kernels.mjs
echo "MX Studio: open http://127.0.0.1:5173 (Ctrl-C stops the server)"
exec npx vite --host 127.0.0.1 --port 5173 --strictPort
