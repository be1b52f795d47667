#!/usr/bin/env bash
# Release benchmark of the SQL core on OPFS in headless Chromium. Prints one JSON object on stdout.
# Usage: bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
log=$(mktemp)
WASM_BINDGEN_TEST_TIMEOUT=600 wasm-pack test --release --headless --chrome --features bench --test bench_opfs \
  -- --nocapture >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
grep -o 'BENCH_JSON .*' "$log" | sed 's/^BENCH_JSON //' | head -n 1
rm -f "$log"
