#!/usr/bin/env bash
# Every engine, every mode (tests/e2e/modes.mjs): private windows, `persist` that never waits on a person,
# and no second writer when a lock holder is stuck, in each engine of E2E_ENGINES (default
# chromium,firefox,webkit), against the package in www/pkg (built before).
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
source scripts/lib/harness-site.sh
node tests/e2e/modes.mjs "$site" "$@"
