#!/usr/bin/env bash
# The consumer check: packs the npm package (from www/pkg, built before), installs the tarball into a
# minimal Vite 7 app (tests/vite-consumer) from its local path, builds the app with Vite, serves the build
# on loopback and loads it in Chromium, Firefox and WebKitGTK (tests/e2e/vite-consumer.mjs; E2E_ENGINES picks).
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$(bash scripts/build-package.sh --no-build | sed -n 's/^npm package: \(target\/npm\/[^ ]*\.tgz\).*/\1/p')
[ -n "$tarball" ] || { echo "build-package.sh printed no tarball" >&2; exit 1; }
cd tests/vite-consumer
# `npm ci` refuses this lock file (npm 11 leaves other platforms' optional rollup builds out of it);
# `npm install` installs exactly what it pins.
npm install --no-audit --no-fund --silent
npm install --no-save --package-lock=false --no-audit --no-fund --silent "../../$tarball"
npx --no-install vite build --logLevel warn
cd ../..
node tests/e2e/vite-consumer.mjs tests/vite-consumer/dist "$@"
