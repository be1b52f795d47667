#!/usr/bin/env bash
# Rewrites tests/schema/schema.sql from the schema a fresh store gets. Run after ADDING a migration, then
# review the diff: it is the exact change to the on-disk schema.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless --chrome --test main_thread -- schema_matches_snapshot \
  >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import sys
text = open(sys.argv[1]).read()
marker = "actual:\n"
if marker not in text:
    sys.exit("snapshot already matches (or the test did not run); nothing written")
body = text[text.index(marker) + len(marker):]
body = body[: body.index("Stack:")]
lines = body.split("\n")
indent = min(len(l) - len(l.lstrip(" ")) for l in lines if l.strip().startswith("-- "))
cleaned = "\n".join(l[indent:] if l.startswith(" " * indent) else l.strip() for l in lines).strip() + "\n"
open("tests/schema/schema.sql", "w").write(cleaned)
print("tests/schema/schema.sql rewritten")
PY
rm -f "$log"
