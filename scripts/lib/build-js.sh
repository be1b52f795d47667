#!/usr/bin/env bash
# Compiles the package's TypeScript (pkg-templates/src: the client, its Worker, the in-worker loader) into
# OUT, beside the wasm glue wasm-pack wrote there, with declarations. The sources are type-checked against
# the glue's own declarations (mls_web_store.d.ts), so the namespaced store's types follow the Rust exports.
# Usage: bash scripts/lib/build-js.sh OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: build-js.sh OUT}
[ -f "$out/mls_web_store.d.ts" ] || { echo "build-js: $out has no wasm glue (run wasm-pack first)" >&2; exit 1; }
[ -x tools/node_modules/.bin/tsc ] || (cd tools && npm ci --no-audit --no-fund --silent)
stage=target/js-stage/$(basename "$out")
rm -rf "$stage" && mkdir -p "$stage"
cp pkg-templates/src/*.ts pkg-templates/tsconfig.json "$stage/"
cp "$out/mls_web_store.d.ts" "$stage/"
tools/node_modules/.bin/tsc -p "$stage/tsconfig.json" --outDir "$out"
