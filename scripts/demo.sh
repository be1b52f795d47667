#!/usr/bin/env bash
# Builds the wasm package into www/pkg and serves the demo page on http://localhost:${PORT:-8080}/.
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
bash scripts/build-www.sh
port="${PORT:-8080}"
echo "demo: http://localhost:${port}/ (Ctrl-C to stop)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory www
