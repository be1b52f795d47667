#!/usr/bin/env bash
# Builds the release wasm package the demo page loads (www/pkg, ES module for the web).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build --release --target web --no-pack --out-dir www/pkg
