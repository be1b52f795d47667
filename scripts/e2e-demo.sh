#!/usr/bin/env bash
# Builds the demo package, type-checks its declarations, serves www/ on a free loopback port and drives it
# in Chromium, Firefox and WebKitGTK (E2E_ENGINES=chromium,firefox picks; tests/e2e/webdriver.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-www.sh
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
# The generated TypeScript declarations, as an app would use them.
tests/e2e/node_modules/.bin/tsc -p tests/types/tsconfig.json
echo "typescript: tests/types/consumer.ts type-checks against www/pkg"
node tests/e2e/demo-chat.mjs www "$@"
