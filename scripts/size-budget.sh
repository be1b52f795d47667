#!/usr/bin/env bash
# The wasm size budget: the release wasm as shipped (opt-level "z", LTO, one codegen unit, then wasm-opt -Oz
# from npm's binaryen; see scripts/build-www.sh) must stay within BUDGET_GZIP_BYTES gzipped. Prints one
# JSON line; fails when over.
# Usage: bash scripts/size-budget.sh [--build]   (--build rebuilds www/pkg first; the test run builds it before)
set -euo pipefail
cd "$(dirname "$0")/.."
# 1,250,000 before SQLite was built without the features the store does not use (.cargo/config.toml: -156 KB);
# 1,110,000 before the store's own crypto provider (src/mls/crypto) left out the unused curves (-88 KB).
BUDGET_GZIP_BYTES=1040000
if [ "${1:-}" = "--build" ] || [ ! -f www/pkg/mls_web_store_bg.wasm ]; then
  bash scripts/build-www.sh >&2
fi
wasm=www/pkg/mls_web_store_bg.wasm
raw=$(wc -c <"$wasm")
gzip_bytes=$(gzip -9 -c "$wasm" | wc -c)
glue_gzip=$(cat www/pkg/*.js | gzip -9 | wc -c)
echo "{\"wasm_bytes\":$raw,\"wasm_gzip_bytes\":$gzip_bytes,\"js_gzip_bytes\":$glue_gzip,\"budget_wasm_gzip_bytes\":$BUDGET_GZIP_BYTES}"
if [ "$gzip_bytes" -gt "$BUDGET_GZIP_BYTES" ]; then
  echo "wasm is $gzip_bytes bytes gzipped, over the budget of $BUDGET_GZIP_BYTES" >&2
  exit 1
fi
