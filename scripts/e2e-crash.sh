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
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done
node tests/e2e/crash.mjs "http://127.0.0.1:$port/" "$@"
