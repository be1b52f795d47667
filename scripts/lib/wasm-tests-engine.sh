#!/usr/bin/env bash
# Runs the browser test binaries (built by the Chromium run before: same profile, same files) in another
# engine with wasm-bindgen-test-runner. Usage: wasm-tests-engine.sh firefox|webkit TEST...
#   firefox  headless firefox-esr through geckodriver; capabilities from webdriver.json.
#   webkit   MiniBrowser through WebKitWebDriver under Xvfb (scripts/lib/webkit-webdriver.mjs stands in for
#            safaridriver and adds the capabilities). This port has no OPFS sync access handles: the OPFS
#            suite (worker) does not run, and the one OPFS test of worker_indexeddb is skipped. The wasm BBQ
#            JIT of this JavaScriptCore is off (JSC_useBBQJIT=false): with it, the debug test build failed MLS
#            decryption and signature checks and once reached an impossible RefCell state, at different points
#            from run to run, while the same binary passed with the wasm JITs off and in the other engines.
set -euo pipefail
cd "$(dirname "$0")/../.."
engine=$1
shift
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"
# The test executables of this build, by name (cargo prints their paths; nothing is rebuilt).
declare -A wasm
while IFS=' ' read -r name path; do wasm[$name]=$path; done < <(
  cargo test --target wasm32-unknown-unknown --no-run --message-format=json "${@/#/--test=}" 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])')
status=0
for test in "$@"; do
  file=${wasm[$test]:?no test binary for $test}
  echo "--- $test in $engine"
  case "$engine" in
    firefox)
      GECKODRIVER="$(command -v geckodriver)" wasm-bindgen-test-runner "$file" || status=1 ;;
    webkit)
      skip=()
      [ "$test" = worker_indexeddb ] && skip=(--skip the_same_name_on_opfs_and_indexed_db_are_two_stores)
      env -u GECKODRIVER -u CHROMEDRIVER JSC_useBBQJIT=false SAFARIDRIVER="$PWD/scripts/lib/webkit-webdriver.mjs" \
        xvfb-run -a -s '-screen 0 1280x800x24' wasm-bindgen-test-runner "$file" "${skip[@]}" || status=1 ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
  esac
done
exit "$status"
