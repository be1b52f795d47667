#!/usr/bin/env bash
# Release benchmarks in headless Chromium (OPFS in a dedicated Worker). Prints one JSON object per benchmark
# on stdout, one per line.
# Usage: bash scripts/bench.sh            every benchmark (tests/bench_*.rs)
#        bash scripts/bench.sh bench_mls  only the ones named
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
if [ "$#" -eq 0 ]; then
  set -- $(for file in tests/bench_*.rs; do basename "$file" .rs; done)
fi
for bench in "$@"; do
  log=$(mktemp)
  WASM_BINDGEN_TEST_TIMEOUT=900 wasm-pack test --release --headless --chrome --features bench --test "$bench" \
    -- --nocapture >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  grep -o 'BENCH_JSON .*' "$log" | sed 's/^BENCH_JSON //' | head -n 1
  rm -f "$log"
done
