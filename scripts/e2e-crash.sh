#!/usr/bin/env bash
# The crash, reload, multi-tab and quota suite (tests/e2e/crash.mjs) against the package in www/pkg (built
# before), in each engine of E2E_ENGINES (default chromium,firefox,webkit). Chromium runs the full rounds;
# Firefox and WebKit fewer kills (the same checks, within CI's time). Arguments go to crash.mjs, e.g.
# --kills 10 --backends opfs.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
source scripts/lib/harness-site.sh
status=0
IFS=, read -r -a engines <<< "${E2E_ENGINES:-chromium,firefox,webkit}"
for engine in "${engines[@]}"; do
  rounds=()
  [ "$engine" = chromium ] || rounds=(--kills 25 --reloads 8 --browser-kills 4)
  node tests/e2e/crash.mjs "$site" --engine "$engine" "${rounds[@]}" "$@" || status=1
done
exit "$status"
