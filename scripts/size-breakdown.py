#!/usr/bin/env python3
"""Where the wasm's bytes go: `twiggy top` on the release wasm before wasm-bindgen and wasm-opt (function
bodies and data; names, custom sections, imports and exports left out), grouped by crate, as the Markdown
table of the README's "Size" section. Run after `bash scripts/size-budget.sh --build`; needs twiggy
(`cargo install twiggy`)."""
import csv
import io
import re
import subprocess
import sys

WASM = "target/wasm32-unknown-unknown/release/mls_web_store.wasm"
GROUPS = [
    ("OpenMLS (`openmls`, `tls_codec`, `hpke_rs*`, `openmls_rust_crypto`)",
     "openmls tls_codec hpke_rs hpke_rs_crypto hpke_rs_rust_crypto openmls_rust_crypto openmls_traits "
     "openmls_basic_credential"),
    ("this crate (`mls_web_store`)", "mls_web_store"),
    ("elliptic curves and post-quantum schemes (`p256`, `p384`, `k256`, `ecdsa`, `ml_dsa`, `ml_kem`, ...)",
     "p256 p384 primeorder k256 ecdsa elliptic_curve ml_dsa x_wing ml_kem crypto_bigint"),
    ("Rust runtime (`core`, `alloc`, `std`, `hashbrown`)", "core alloc std hashbrown dlmalloc compiler_builtins"),
    ("JS bindings and the VFS crates (`js_sys`, `wasm_bindgen`, `indexed_db_futures`, `sqlite_wasm_*`)",
     "js_sys wasm_bindgen wasm_bindgen_futures indexed_db_futures web_sys sqlite_wasm_rs sqlite_wasm_vfs "
     "rsqlite_vfs"),
    ("JSON (`serde_json`, `serde_core`)", "serde_json serde_core serde"),
    ("zstd, SHA-2, BLAKE3, Ed25519/X25519, AES-GCM, Argon2 and their helpers",
     "ruzstd sha2 blake3 curve25519_dalek ed25519_dalek x25519_dalek aes aes_gcm chacha20 chacha20poly1305 "
     "poly1305 argon2 blake2 hkdf hmac rand_chacha ghash polyval crc32fast digest rand_core getrandom "
     "universal_hash ctr cipher block_buffer subtle zeroize twox_hash"),
]
SQLITE = "SQLite and SQLite3 Multiple Ciphers (C)"
DATA = "string and table data"
OTHER = "unattributed (closures, generics over several crates)"


def main() -> None:
    table = subprocess.run(["twiggy", "top", "-n", "1000000", "--format", "csv", WASM],
                           check=True, capture_output=True, text=True).stdout
    crate_group = {crate: label for label, crates in GROUPS for crate in crates.split()}
    sizes = {label: 0 for label in [SQLITE, DATA] + [label for label, _ in GROUPS] + [OTHER]}
    for row in csv.DictReader(io.StringIO(table)):
        name, size = row["Name"], int(row["ShallowSize"])
        if name.startswith(("custom section", '"', "table[", "import ", "export ")):
            continue
        if name.startswith(("data", "elem", "type[")):
            sizes[DATA] += size
            continue
        crate = re.match(r"^[<&\s]*(?:dyn |impl )?([a-z_][a-z0-9_]*)::", name)
        if crate and crate.group(1) in crate_group:
            sizes[crate_group[crate.group(1)]] += size
        elif "::" not in name:
            sizes[SQLITE] += size
        else:
            sizes[OTHER] += size
    total = sum(sizes.values())
    print(f"total {total:,} bytes", file=sys.stderr)
    print("| part | bytes | share |\n| --- | --- | --- |")
    for label, size in sizes.items():
        print(f"| {label} | {size:,} | {100 * size / total:.1f}% |")


if __name__ == "__main__":
    main()
