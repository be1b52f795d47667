#!/usr/bin/env bash
# Builds the npm package: the release wasm (ES module for the web, the same build the demo uses), the
# client, worker and loader, our package.json from pkg-templates/, the README; then `npm pack`. Prints the
# tarball path and the gzip size of the wasm.
# Usage: bash scripts/build-package.sh            build, assemble, pack
#        bash scripts/build-package.sh --no-build  reuse www/pkg (the test run builds it just before)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" != "--no-build" ]; then
  bash scripts/build-www.sh
fi
out=target/npm/package
rm -rf "$out" && mkdir -p "$out"
# Every file package.json lists comes from www/pkg (the build) except the README.
for file in $(python3 -c 'import json; print(" ".join(json.load(open("pkg-templates/package.json"))["files"]))'); do
  [ "$file" = README.md ] || cp "www/pkg/$file" "$out/"
done
cp pkg-templates/package.json README.md "$out/"
tarball=$(cd target/npm && npm pack ./package --silent)
# Every file package.json promises must be in the tarball.
listing=$(tar -tzf "target/npm/$tarball")
for file in $(python3 -c 'import json; print(" ".join(json.load(open("pkg-templates/package.json"))["files"]))'); do
  grep -qx "package/$file" <<<"$listing" || { echo "missing from the package: $file" >&2; exit 1; }
done
wasm_gzip=$(gzip -9 -c "$out/mls_web_store_bg.wasm" | wc -c)
echo "npm package: target/npm/$tarball ($(wc -c <"target/npm/$tarball") bytes); wasm gzip -9: $wasm_gzip bytes"
