#!/usr/bin/env bash
# Fuzzes the backup archive reader with cargo fuzz (libFuzzer) on the host.
# Usage: bash scripts/fuzz.sh [seconds]   (default 600)
# Seeds the corpus with valid archives (plain, split, encrypted with raw key [7; 32], signed) first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
seconds="${1:-600}"
mkdir -p fuzz/corpus/archive_reader
cargo test --lib -q archive::tests::write_fuzz_seeds -- --ignored --exact >/dev/null
# cargo fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the machine's stable toolchain accept them.
RUSTC_BOOTSTRAP=1 cargo fuzz run archive_reader fuzz/corpus/archive_reader -- \
  -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 -print_final_stats=1
