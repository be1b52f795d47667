#!/usr/bin/env bash
# Builds the release package the demo page loads and npm ships (www/pkg): the wasm as an ES module for the
# web, shrunk by wasm-opt -Oz from npm's binaryen (tools/), plus the client, worker and loader from
# pkg-templates/src (TypeScript, compiled with declarations).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build --release --target web --no-pack --out-dir www/pkg
(cd tools && npm ci --no-audit --no-fund --silent)
# The features the Rust wasm32 target enables by default; wasm-opt must keep them. --converge repeats the
# passes while they still shrink the module (about a minute more; ~0.1% smaller).
tools/node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-multivalue --enable-reference-types \
  www/pkg/mls_web_store_bg.wasm -o www/pkg/mls_web_store_bg.opt.wasm
mv www/pkg/mls_web_store_bg.opt.wasm www/pkg/mls_web_store_bg.wasm
bash scripts/lib/build-js.sh www/pkg
