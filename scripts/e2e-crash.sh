#!/usr/bin/env bash
# The crash, reload, multi-tab and quota suite (tests/e2e/crash.mjs) against the package in www/pkg (built
# before). Arguments go to crash.mjs, e.g. --kills 10 --backends opfs.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
site=target/e2e-harness-site
rm -rf "$site" && mkdir -p "$site"
ln -s "$PWD/www/pkg" "$site/pkg"
cp tests/e2e/harness/index.html tests/e2e/harness/harness.js "$site/"
source scripts/lib/serve.sh
serve_dir "$site"
node tests/e2e/crash.mjs "http://127.0.0.1:$port/" "$@"
