#!/usr/bin/env bash
# Issue 17's speed goals, each as a ratio against a baseline measured in the same run, in Chromium and
# Firefox, printed as ONE JSON line (release builds): catch-up (1,000 messages across 10 groups, processed
# and stored) vs the same OpenMLS processing on MemoryStorage; an MLS conversation vs MemoryStorage; the
# single durable append vs a raw OPFS write + flush of the same bytes; the 10k batch vs the memory backend;
# the cold start vs a bare Worker instantiating the same wasm; and the wasm's gzipped size. Each figure says
# whether its goal is met. The per-benchmark JSON lines go to stderr.
# Usage: bash scripts/bench-speed.sh [--engines chromium,firefox]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
engines=chromium,firefox
[ "${1:-}" = "--engines" ] && engines=$2
bash scripts/setup.sh >&2
bash scripts/build-www.sh >&2
out=target/bench-speed
rm -rf "$out" && mkdir -p "$out"
for engine in ${engines//,/ }; do
  BENCH_ENGINE=$engine bash scripts/bench.sh bench_catch_up bench_mls bench_chat >"$out/$engine.jsonl"
  bash scripts/bench-cold-start.sh --no-build --engines "$engine" >"$out/$engine-cold.json"
  cat "$out/$engine.jsonl" "$out/$engine-cold.json" >&2
done
bash scripts/size-budget.sh >"$out/size.json"
python3 - "$out" ${engines//,/ } <<'PY'
import json, sys
out, engines = sys.argv[1], sys.argv[2:]
GOALS = {
    "catch_up_vs_memory_storage": 1.3,
    "mls_conversation_vs_memory_storage": 2.0,
    "single_append_vs_raw_write_flush_encrypted": 1.3,
    "single_append_vs_raw_write_flush_plain": 1.3,
    "batch_10k_vs_memory_encrypted": 1.5,
    "batch_10k_vs_memory_plain": 1.5,
    "cold_start_vs_bare_worker": 1.5,
}
result = {"build": "release", "goals": GOALS, "engines": {}}
for engine in engines:
    benches = {}
    for line in open(f"{out}/{engine}.jsonl"):
        line = line.strip()
        if line:
            record = json.loads(line)
            benches[record["benchmark"]] = record
    cold = json.loads(open(f"{out}/{engine}-cold.json").read().strip().splitlines()[-1])
    chat = benches["chat"]
    ratios = {
        "catch_up_vs_memory_storage": benches["mls_catch_up"]["ratio_one_call"],
        "mls_conversation_vs_memory_storage": benches["mls_conversation"]["ratio_total"],
        "single_append_vs_raw_write_flush_encrypted": chat["encrypted_chacha20"]["single_append_vs_raw_write_flush_p50"],
        "single_append_vs_raw_write_flush_plain": chat["unencrypted"]["single_append_vs_raw_write_flush_p50"],
        "batch_10k_vs_memory_encrypted": chat["encrypted_chacha20"]["batch_10k_vs_memory"],
        "batch_10k_vs_memory_plain": chat["unencrypted"]["batch_10k_vs_memory"],
        "cold_start_vs_bare_worker": cold["cold_start_vs_bare_worker"],
    }
    result["engines"][engine] = {
        "ratios": ratios,
        "met": {name: ratio <= GOALS[name] for name, ratio in ratios.items()},
        "absolute_ms": {
            "catch_up_1000_messages": benches["mls_catch_up"]["ours_opfs_one_call_ms"],
            "catch_up_memory_storage": benches["mls_catch_up"]["openmls_memory_storage_ms"],
            "single_append_p50_encrypted": chat["encrypted_chacha20"]["single_append_p50_ms"],
            "raw_write_flush_p50": chat["encrypted_chacha20"]["raw_opfs_write_flush_p50_ms"],
            "batch_10k_encrypted": chat["encrypted_chacha20"]["batch_10k_ms"],
            "cold_start_first_page": cold["client_first_page_ms"],
            "bare_worker_wasm": cold["bare_worker_wasm_ms"],
        },
    }
size = json.loads(open(f"{out}/size.json").read().strip().splitlines()[-1])
result["wasm_gzip_bytes"] = size["wasm_gzip_bytes"]
result["wasm_gzip_goal_bytes"] = 1_100_000
result["wasm_gzip_met"] = size["wasm_gzip_bytes"] <= 1_100_000
print(json.dumps(result, separators=(",", ":")))
PY
