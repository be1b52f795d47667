#!/usr/bin/env bash
# Builds the demo package, type-checks its declarations, serves www/ on a free loopback port and drives it
# in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-www.sh
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
# The generated TypeScript declarations, as an app would use them.
tests/e2e/node_modules/.bin/tsc -p tests/types/tsconfig.json
echo "typescript: tests/types/consumer.ts type-checks against www/pkg"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory www >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done
node tests/e2e/demo-chat.mjs "http://127.0.0.1:$port/"
