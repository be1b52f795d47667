#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (host and wasm32), native tests, the Node unit tests of the
# package's TypeScript, the browser suites in
# Chromium, Firefox and WebKitGTK (main thread and dedicated worker), the demo end to end, the size budget,
# the npm package in a Vite app, the crash suite and the private-mode / stuck-holder suite, each in all
# three engines. Installs what is missing first. E2E_ENGINES=chromium,firefox limits the end-to-end suites.
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

step "Node unit tests of the package's TypeScript (ownership state machine on fake locks and channels)"
bash scripts/test-node.sh

# One wasm test binary per browser context; the benchmarks (feature "bench") and the native source checks
# (native_checks.rs, run by `cargo test` above) are not browser tests.
browser_tests=()
for file in tests/*.rs; do
  name=$(basename "$file" .rs)
  case "$name" in bench_* | native_*) continue ;; esac
  browser_tests+=(--test "$name")
done

step "browser tests in headless Chromium: ${browser_tests[*]}"
WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}" \
  wasm-pack test --headless --chrome "${browser_tests[@]}"

names=("${browser_tests[@]/--test/}")
names=(${names[@]})
step "the same browser test binaries in headless Firefox: ${names[*]}"
bash scripts/lib/wasm-tests-engine.sh firefox "${names[@]}"

# WebKitGTK 2.50 has no OPFS sync access handles: the OPFS suite (worker) cannot run there.
webkit_tests=()
for name in "${names[@]}"; do [ "$name" = worker ] || webkit_tests+=("$name"); done
step "the browser test binaries without OPFS in WebKitGTK (MiniBrowser under Xvfb): ${webkit_tests[*]}"
bash scripts/lib/wasm-tests-engine.sh webkit "${webkit_tests[@]}"

step "demo chat end-to-end in Chromium, Firefox and WebKitGTK (builds the release package into www/pkg)"
bash scripts/e2e-demo.sh

step "wasm size budget"
bash scripts/size-budget.sh

step "the shipped package exports no test hook"
node scripts/check-release-exports.mjs www/pkg

step "npm package packs and works in a Vite 7 app (Chromium, Firefox, WebKitGTK)"
bash scripts/vite-consumer.sh

step "crashes, reloads, two tabs, owner takeover, quota (OPFS and IndexedDB; Chromium, Firefox, WebKitGTK)"
bash scripts/e2e-crash.sh

step "private modes, persist, stuck lock holders and fencing (Chromium, Firefox, WebKitGTK)"
bash scripts/e2e-modes.sh
