//! Golden test vectors: checked-in archives of every format version and kind (plain, passphrase, raw key,
//! signed, split into frames, empty) with their expected contents in `tests/golden/archive/vectors.json`.
//! Every run decodes every vector; a format change adds vectors and never edits one, so what users hold
//! stays readable. `UPDATE_GOLDEN_ARCHIVES=1 cargo test --lib write_golden_archive_vectors -- --ignored`
//! writes the vectors of the current version, refusing to overwrite a file that exists.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct Vector {
    file: String,
    /// The file's SHA-256: a vector, once checked in, is never edited.
    file_sha256: String,
    format_version: u16,
    /// `raw:<hex>` or `passphrase:<text>`; absent when unencrypted.
    key: Option<String>,
    /// Hex of the signer's Ed25519 public key when signed.
    signer: Option<String>,
    entries: Vec<ExpectedEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ExpectedEntry {
    name: String,
    len: u64,
    split: bool,
    frame_count: u32,
    sha256: String,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/archive")
}

fn index_path() -> PathBuf {
    dir().join("vectors.json")
}

fn load_index() -> Vec<Vector> {
    match std::fs::read(index_path()) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => Vec::new(),
    }
}

fn key_of(spec: &str) -> ArchiveKey {
    if let Some(text) = spec.strip_prefix("passphrase:") {
        return ArchiveKey::Passphrase(zeroize::Zeroizing::new(text.to_owned()), VECTOR_ARGON2);
    }
    let raw = from_hex(spec.strip_prefix("raw:").unwrap());
    ArchiveKey::raw(raw.try_into().unwrap())
}

/// Cheap Argon2id parameters so that the vectors decode fast (readers take the file's parameters).
const VECTOR_ARGON2: Argon2Params = Argon2Params {
    m_cost: 64,
    t_cost: 1,
    p_cost: 1,
};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    // Text runs and pseudo-random runs, so frames compress differently.
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if (i / 3000) % 2 == 0 {
                b"golden vector "[i % 14]
            } else {
                state as u8
            }
        })
        .collect()
}

fn vector_contents() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "manifest.json",
            br#"{"what":"an mls-web-store golden vector","entries":3}"#.to_vec(),
        ),
        ("data/notes.txt", pattern(20_000, 1)),
        ("data/empty", Vec::new()),
    ]
}

#[test]
fn every_golden_vector_decodes_to_its_expected_contents() {
    let vectors = load_index();
    assert!(
        vectors.len() >= 6,
        "tests/golden/archive/vectors.json lists the vectors"
    );
    for vector in vectors {
        let bytes = std::fs::read(dir().join(&vector.file)).unwrap();
        assert_eq!(
            hex(&Sha256::digest(&bytes)),
            vector.file_sha256,
            "{} was edited: add a new vector instead",
            vector.file
        );
        let key = vector.key.as_deref().map(key_of);
        let reader = ArchiveReader::open(&bytes, key.as_ref(), Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", vector.file));
        assert_eq!(
            reader.format_version(),
            vector.format_version,
            "{}",
            vector.file
        );
        assert_eq!(
            reader.signer().map(|k| hex(&k)),
            vector.signer,
            "{}",
            vector.file
        );
        let entries = reader.entries();
        assert_eq!(entries.len(), vector.entries.len(), "{}", vector.file);
        for (info, expected) in entries.iter().zip(&vector.entries) {
            assert_eq!(
                (&info.name, info.len, info.split, info.frame_count),
                (
                    &expected.name,
                    expected.len,
                    expected.split,
                    expected.frame_count
                ),
                "{}",
                vector.file
            );
            let content = reader.read_entry(&info.name).unwrap();
            assert_eq!(
                hex(&Sha256::digest(&content)),
                expected.sha256,
                "{} {}",
                vector.file,
                info.name
            );
        }
    }
}

/// Every vector's entries, decoded from their stored bytes in pieces of several sizes (as a reader of a
/// `Blob` does), equal the whole-entry reads; a changed byte anywhere in the data is caught by `finish`.
#[test]
fn golden_vectors_stream_in_pieces_of_any_size() {
    for vector in load_index() {
        let bytes = std::fs::read(dir().join(&vector.file)).unwrap();
        let key = vector.key.as_deref().map(key_of);
        let reader = ArchiveReader::open(&bytes, key.as_ref(), Limits::default()).unwrap();
        let index = reader.index();
        for info in index.entries() {
            let whole = reader.read_entry(&info.name).unwrap();
            let layout = index.layout(&info.name).unwrap();
            let range = |r: &std::ops::Range<u64>| &bytes[r.start as usize..r.end as usize];
            let table = layout.seek_table.as_ref().map(range);
            let stored = range(&layout.data);
            for piece in [1, 7, 4096, 100_000] {
                let mut decoder = index.decoder(&layout, table).unwrap();
                let mut out = Vec::new();
                for chunk in stored.chunks(piece) {
                    decoder.push(chunk, &mut out).unwrap();
                }
                decoder.finish().unwrap();
                assert_eq!(
                    out, whole,
                    "{} {} in pieces of {piece}",
                    vector.file, info.name
                );
            }
            if stored.is_empty() {
                continue;
            }
            let mut altered = stored.to_vec();
            let last = altered.len() - 1;
            altered[last] ^= 0x10;
            let mut decoder = index.decoder(&layout, table).unwrap();
            let mut out = Vec::new();
            let result = decoder
                .push(&altered, &mut out)
                .and_then(|()| decoder.finish());
            assert!(
                result.is_err(),
                "{} {}: altered byte",
                vector.file,
                info.name
            );
        }
    }
}

#[test]
#[ignore = "writes golden vectors of the current format version; see the module docs"]
fn write_golden_archive_vectors() {
    if std::env::var_os("UPDATE_GOLDEN_ARCHIVES").is_none() {
        return;
    }
    let version = format::VERSION;
    let signer_seed = [7u8; 32];
    let raw_key = (0u8..32).collect::<Vec<u8>>();
    let kinds: Vec<(&str, Option<String>, bool, u64, bool)> = vec![
        // (kind, key, signed, split threshold, empty)
        ("plain", None, false, DEFAULT_SPLIT_THRESHOLD, false),
        (
            "passphrase",
            Some("passphrase:correct horse battery staple \u{e9}t\u{e9}".into()),
            false,
            DEFAULT_SPLIT_THRESHOLD,
            false,
        ),
        (
            "raw-key",
            Some(format!("raw:{}", hex(&raw_key))),
            false,
            DEFAULT_SPLIT_THRESHOLD,
            false,
        ),
        ("signed", None, true, DEFAULT_SPLIT_THRESHOLD, false),
        ("split", None, false, 1, false),
        (
            "split-encrypted-signed",
            Some(format!("raw:{}", hex(&raw_key))),
            true,
            1,
            false,
        ),
        ("empty", None, false, DEFAULT_SPLIT_THRESHOLD, true),
    ];
    let mut index = load_index();
    let big = pattern(3 * FRAME_SIZE + 123, 2);
    for (kind, key, signed, threshold, empty) in kinds {
        let file = format!("v{version}-{kind}.mwsa");
        let path = dir().join(&file);
        if path.exists() {
            continue;
        }
        let mut contents = if empty { Vec::new() } else { vector_contents() };
        if threshold == 1 {
            contents.push(("data/large.bin", big.clone()));
        }
        let options = WriterOptions {
            split_threshold: threshold,
            key: key.as_deref().map(key_of),
            signing_key: signed.then(|| zeroize::Zeroizing::new(signer_seed)),
        };
        let mut writer = ArchiveWriter::new(Vec::new(), options).unwrap();
        for (name, bytes) in &contents {
            writer.add_bytes(name, bytes).unwrap();
        }
        let bytes = writer.finalize().unwrap();
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let reader = ArchiveReader::open(
            &bytes,
            key.as_deref().map(key_of).as_ref(),
            Limits::default(),
        )
        .unwrap();
        index.push(Vector {
            file_sha256: hex(&Sha256::digest(&bytes)),
            file,
            format_version: version,
            key,
            signer: reader.signer().map(|k| hex(&k)),
            entries: reader
                .entries()
                .into_iter()
                .zip(&contents)
                .map(|(info, (_, content))| ExpectedEntry {
                    name: info.name,
                    len: info.len,
                    split: info.split,
                    frame_count: info.frame_count,
                    sha256: hex(&Sha256::digest(content)),
                })
                .collect(),
        });
    }
    let mut json = serde_json::to_string_pretty(&index).unwrap();
    json.push('\n');
    std::fs::write(index_path(), json).unwrap();
}
