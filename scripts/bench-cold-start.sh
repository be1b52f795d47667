#!/usr/bin/env bash
# Cold start (issue 17, item 4): from openStore() in a page to the first page of the newest channel of a
# 100k-message store through the client, beside a bare Worker that only instantiates the same wasm, in one
# page load with the wasm in the HTTP cache. Release build. Prints one JSON line.
# Usage: bash scripts/bench-cold-start.sh [--no-build] [--engines chromium|firefox]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" = "--no-build" ]; then
  shift
else
  bash scripts/setup.sh >&2
  bash scripts/build-www.sh >&2
fi
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
site=target/bench-cold-start-site
rm -rf "$site" && mkdir -p "$site"
ln -s "$PWD/www/pkg" "$site/pkg"
cp bench/cold-start/* "$site/"
node tests/e2e/bench-cold-start.mjs "$site" "$@"
