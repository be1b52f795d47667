#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (host and wasm32), native tests, and the browser suites in
# headless Chromium (main thread and dedicated worker), the demo end to end, the size budget, the npm
# package in a Vite app. Installs what is missing first.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (host)"
cargo clippy --all-targets -- -D warnings

step "clippy (wasm32-unknown-unknown)"
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

step "native tests"
cargo test

# One wasm test binary per browser context; the benchmark (feature "bench") is not a test.
browser_tests=()
for file in tests/*.rs; do
  name=$(basename "$file" .rs)
  case "$name" in bench_*) continue ;; esac
  browser_tests+=(--test "$name")
done

step "browser tests in headless Chromium: ${browser_tests[*]}"
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}" \
  wasm-pack test --headless --chrome "${browser_tests[@]}"

step "demo chat end-to-end in headless Chromium (builds the release package into www/pkg)"
bash scripts/e2e-demo.sh

step "wasm size budget"
bash scripts/size-budget.sh

step "npm package packs and works in a Vite 7 app"
bash scripts/vite-consumer.sh

step "crashes, reloads, two tabs, owner takeover, quota (OPFS and IndexedDB)"
bash scripts/e2e-crash.sh
