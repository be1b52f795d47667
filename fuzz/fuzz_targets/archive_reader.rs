//! Fuzzes the archive reader: any bytes, opened without a key and with a raw key, every entry read whole and
//! in ranges. It must return errors, never panic, never allocate beyond its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mls_web_store::archive::{ArchiveKey, ArchiveReader, Limits};

fn exercise(reader: &ArchiveReader<'_>) {
    for entry in reader.entries() {
        let _ = reader.read_entry(&entry.name);
        if entry.len > 0 {
            let _ = reader.read_range(&entry.name, entry.len / 2, (entry.len / 3).min(100_000));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_directory_len: 1 << 20,
        max_entries: 1000,
        max_entry_len: 64 << 20,
        max_total_len: 128 << 20,
    };
    if let Ok(reader) = ArchiveReader::open(data, None, limits) {
        exercise(&reader);
    }
    let key = ArchiveKey::raw([7; 32]);
    if let Ok(reader) = ArchiveReader::open(data, Some(&key), limits) {
        exercise(&reader);
    }
});
