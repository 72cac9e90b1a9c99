#!/usr/bin/env bash
# Shared by `npm start` and `npm test`: install what the project needs on a fresh Debian machine,
# or stop with a clear message. Usage: tools/ensure.sh [node] [chromium] [hdl]
set -euo pipefail
cd "$(dirname "$0")/.."

need_node() {
  local v; v=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null \
    || { echo "MX Studio needs Node.js ≥ 20.19 (found $v)." >&2; exit 1; }
  # Reinstall when node_modules is missing or older than the lockfile.
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund
  elif [ ! -f dist/cli.mjs ] || [ ! -f workers/kernels/build/.stamp ]; then
    npm run -s prepare
  fi
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian package(s): $*. Install them with: sudo apt-get install -y $*" >&2
    exit 1
  fi
  echo "== apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || { echo "apt-get could not install: $*" >&2; exit 1; }
}

need_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  [ -x /usr/bin/chromium ] || { echo "Chromium is still missing at /usr/bin/chromium." >&2; exit 1; }
}

# The RTL co-simulation (src/core/rtl, tools/rtl) runs the generated SystemVerilog under native
# Verilator 5 and Icarus; the cost calibration synthesises it with Yosys.
need_hdl() {
  local missing=()
  command -v verilator >/dev/null || missing+=(verilator)
  command -v iverilog >/dev/null || missing+=(iverilog)
  command -v yosys >/dev/null || missing+=(yosys)
  # Verilator's --binary builds need a C++ compiler and make.
  command -v g++ >/dev/null || missing+=(g++)
  command -v make >/dev/null || missing+=(make)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  local v; v=$(verilator --version | awk '{print $2}')
  case "$v" in 5.*) ;; *) echo "MX Studio needs Verilator 5 (found $v)." >&2; exit 1 ;; esac
}

for what in "$@"; do
  case "$what" in
    node) need_node ;;
    chromium) need_chromium ;;
    hdl) need_hdl ;;
    *) echo "tools/ensure.sh: unknown requirement $what" >&2; exit 2 ;;
  esac
done
