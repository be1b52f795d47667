#!/usr/bin/env bash
# Writes the golden databases of this build's schema into tests/golden/schema-<version>/ (see
# tests/common/golden.rs). Run once per release that adds a migration, commit the files, and never change a
# released set: every later build must open it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome --test main_thread -- \
  --include-ignored --nocapture golden_generate >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
python3 - "$log" <<'PY'
import os, re, sys
written = 0
for line in open(sys.argv[1]):
    m = re.search(r"GOLDEN (schema-\d+/[\w.-]+) ([0-9a-f]+)", line)
    if m:
        path = os.path.join("tests/golden", m.group(1))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").write(bytes.fromhex(m.group(2)))
        print(f"{path}: {len(m.group(2)) // 2} bytes")
        written += 1
if written == 0:
    sys.exit("no GOLDEN lines in the test output")
PY
rm -f "$log"
