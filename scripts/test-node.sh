#!/usr/bin/env bash
# Unit tests of the package's TypeScript in Node (node:test): the ownership state machine on fake Web Locks,
# BroadcastChannel, clock and database (tests/node). Compiles pkg-templates/src/ownership.ts (and what it
# imports) into target/node-build first. Usage: bash scripts/test-node.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x tools/node_modules/.bin/tsc ] || (cd tools && npm ci --no-audit --no-fund --silent)
rm -rf target/node-build
tools/node_modules/.bin/tsc -p tests/node/tsconfig.json
echo '{ "type": "module" }' > target/node-build/package.json
node --test tests/node/*.test.mjs
