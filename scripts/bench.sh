#!/usr/bin/env bash
# Release benchmarks in headless Chromium (OPFS in a dedicated Worker). Prints one JSON object per benchmark
# on stdout, one per line.
# Usage: bash scripts/bench.sh                        every benchmark (tests/bench_*.rs)
#        bash scripts/bench.sh bench_mls bench_chat   only the ones named
#        BENCH_ENGINE=firefox bash scripts/bench.sh bench_catch_up   in headless Firefox (geckodriver)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$#" -eq 0 ]; then
  set -- $(for file in tests/bench_*.rs examples/bench_*.rs; do basename "$file" .rs; done)
fi
# cargo with the wasm-bindgen test runner builds only the benchmark asked for (wasm-pack would build every
# test target in release first). The runner drives Chromium through chromedriver with ./webdriver.json.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
if [ "${BENCH_ENGINE:-chromium}" = firefox ]; then
  # The runner picks the browser by which driver variable is set.
  unset CHROMEDRIVER
  GECKODRIVER="$(command -v geckodriver)"
  export GECKODRIVER
else
  export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
fi
export WASM_BINDGEN_TEST_TIMEOUT=900
for bench in "$@"; do
  if [ -f "examples/$bench.rs" ]; then
    # Host benchmarks (the archive format is platform-independent).
    cargo run --quiet --release --example "$bench"
    continue
  fi
  log=$(mktemp)
  cargo test --target wasm32-unknown-unknown --release --features bench --test "$bench" -- --nocapture \
    >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  grep -o 'BENCH_JSON .*' "$log" | sed 's/^BENCH_JSON //' | head -n 1
  rm -f "$log"
done
