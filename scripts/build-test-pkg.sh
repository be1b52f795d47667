#!/usr/bin/env bash
# Builds the package the end-to-end harness loads (target/e2e-pkg): the release wasm as shipped, plus the
# `test-hooks` feature (a simulated full IndexedDB for the crash suite's quota section). The shipped package
# (scripts/build-www.sh) never has the hooks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build --release --target web --no-pack --out-dir target/e2e-pkg -- --features test-hooks >&2
bash scripts/lib/build-js.sh target/e2e-pkg
