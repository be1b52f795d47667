#!/usr/bin/env bash
# The benchmark against the peer: one page, one run, headless Chromium, release build. The same 10,000-row
# batch and 1,000 single durable inserts through our store (OPFS, plain and encrypted), the official
# @sqlite.org/sqlite-wasm on its opfs-sahpool VFS (SQLite's defaults, and our pragmas), and raw IndexedDB
# puts. Prints one JSON line with each figure and the ratios.
# Usage: bash scripts/bench-peer.sh [--no-build]   (--no-build reuses www/pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" != "--no-build" ]; then
  bash scripts/setup.sh >&2
  bash scripts/build-www.sh >&2
fi
(cd bench/peer && npm ci --no-audit --no-fund --silent)
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
site=target/bench-peer-site
rm -rf "$site" && mkdir -p "$site"
ln -s "$PWD/www/pkg" "$site/pkg"
ln -s "$PWD/bench/peer/node_modules/@sqlite.org/sqlite-wasm/dist" "$site/sqlite-wasm"
cp bench/peer/index.html bench/peer/worker.js tests/schema/schema.sql "$site/"
source scripts/lib/serve.sh
serve_dir "$site"
node tests/e2e/bench-peer.mjs "http://127.0.0.1:$port/"
