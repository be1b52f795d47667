//! Native tests of the archive format: round trips at every framing edge, random ranges, and rejection of
//! every truncation, bit flip, wrong key and forged signature (seed 004's crash-recovery list, made ours).

use super::*;

fn data(len: usize, seed: u64) -> Vec<u8> {
    // Half compressible text, half noise, so frames differ in size.
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            if (i / 4096) % 2 == 0 {
                b"mls-web-store "[i % 14]
            } else {
                (state >> 33) as u8
            }
        })
        .collect()
}

fn options(threshold: u64) -> WriterOptions {
    WriterOptions {
        split_threshold: threshold,
        ..WriterOptions::default()
    }
}

fn build(entries: &[(&str, Vec<u8>)], options: WriterOptions) -> Vec<u8> {
    let mut writer = ArchiveWriter::new(Vec::new(), options).unwrap();
    for (name, bytes) in entries {
        writer.add_bytes(name, bytes).unwrap();
    }
    writer.finalize().unwrap()
}

fn open(bytes: &[u8]) -> Result<ArchiveReader<'_>, ArchiveError> {
    ArchiveReader::open(bytes, None, Limits::default())
}

/// Opens and reads every entry; the first error, if any.
fn read_all(bytes: &[u8], key: Option<&ArchiveKey>) -> Result<Vec<Vec<u8>>, ArchiveError> {
    let reader = ArchiveReader::open(bytes, key, Limits::default())?;
    reader
        .entries()
        .iter()
        .map(|e| reader.read_entry(&e.name))
        .collect()
}

const THRESHOLD: u64 = 3 * FRAME_SIZE as u64;

#[test]
fn frame_edges_round_trip_byte_for_byte() {
    let f = FRAME_SIZE;
    let sizes = [
        0,
        1,
        THRESHOLD as usize - 1,
        THRESHOLD as usize,
        THRESHOLD as usize + 1,
        4 * f,
        5 * f - 1,
        5 * f + 1,
        12_345,
        7 * f + 333,
    ];
    let entries: Vec<(String, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("entry-{i}"), data(*n, i as u64)))
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    let bytes = build(&refs, options(THRESHOLD));
    let reader = open(&bytes).unwrap();
    let infos = reader.entries();
    for ((name, expected), info) in entries.iter().zip(&infos) {
        assert_eq!(&info.name, name);
        assert_eq!(info.split, expected.len() as u64 >= THRESHOLD, "{name}");
        let frames = if info.split {
            expected.len().div_ceil(f)
        } else {
            1
        };
        assert_eq!(info.frame_count as usize, frames, "{name}");
        assert!(
            reader.read_entry(name).unwrap() == *expected,
            "{name} differs"
        );
    }
}

#[test]
fn random_ranges_read_only_what_they_ask() {
    let big = data(9 * FRAME_SIZE + 4321, 7);
    let bytes = build(
        &[("big", big.clone()), ("small", data(1000, 8))],
        options(THRESHOLD),
    );
    let reader = open(&bytes).unwrap();
    let mut state = 99u64;
    for _ in 0..200 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let offset = (state >> 20) % big.len() as u64;
        let len = ((state >> 8) % 200_000).min(big.len() as u64 - offset);
        let got = reader.read_range("big", offset, len).unwrap();
        assert!(got == big[offset as usize..(offset + len) as usize]);
    }
    assert_eq!(
        reader.read_range("small", 10, 5).unwrap(),
        data(1000, 8)[10..15]
    );
    assert!(reader.read_range("big", big.len() as u64, 1).is_err());
}

#[test]
fn a_standard_zstd_decoder_reads_an_unencrypted_split_entry() {
    let big = data(4 * FRAME_SIZE + 17, 3);
    let bytes = build(&[("big", big.clone())], options(FRAME_SIZE as u64));
    let reader = open(&bytes).unwrap();
    let info = &reader.entries()[0];
    assert!(info.split);
    // The entry's data: frames then the skippable seek table; decode frame after frame, skipping it.
    let mut rest = &bytes[64..bytes.len() - 64];
    let mut out = Vec::new();
    while !rest.is_empty() && out.len() < big.len() {
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut rest).unwrap();
        std::io::Read::read_to_end(&mut decoder, &mut out).unwrap();
    }
    assert!(out == big);
}

#[test]
fn many_readers_share_one_archive() {
    let big = data(6 * FRAME_SIZE, 11);
    let bytes = build(&[("big", big.clone())], options(FRAME_SIZE as u64));
    let readers: Vec<ArchiveReader<'_>> = (0..8).map(|_| open(&bytes).unwrap()).collect();
    std::thread::scope(|scope| {
        for (i, reader) in readers.iter().enumerate() {
            let big = &big;
            scope.spawn(move || {
                let offset = (i * 40_000) as u64;
                assert!(
                    reader.read_range("big", offset, 70_000).unwrap()
                        == big[offset as usize..offset as usize + 70_000]
                );
                assert!(reader.read_entry("big").unwrap() == *big);
            });
        }
    });
}

#[test]
fn unfinished_and_truncated_archives_are_rejected() {
    let good = build(
        &[("a", data(300_000, 1)), ("b", data(5_000, 2))],
        options(THRESHOLD),
    );
    // A writer dropped without finalize.
    let mut unfinished = ArchiveWriter::new(Vec::new(), options(THRESHOLD)).unwrap();
    unfinished.add_bytes("a", &data(300_000, 1)).unwrap();
    drop(unfinished);
    let mut sink = Vec::new();
    {
        let mut writer = ArchiveWriter::new(&mut sink, options(THRESHOLD)).unwrap();
        writer.add_bytes("a", &data(300_000, 1)).unwrap();
    }
    assert!(matches!(
        open(&sink),
        Err(ArchiveError::Truncated(_) | ArchiveError::Corrupt(_))
    ));

    for percent in [10, 30, 50, 70, 90] {
        let cut = good.len() * percent / 100;
        assert!(open(&good[..cut]).is_err(), "{percent}%");
    }
    for cut in [
        0,
        1,
        7,
        8,
        32,
        63,
        64,
        65,
        good.len() - 64,
        good.len() - 63,
        good.len() - 1,
    ] {
        let error = open(&good[..cut])
            .err()
            .unwrap_or_else(|| panic!("cut at {cut} accepted"));
        assert!(!error.code().as_str().is_empty());
    }
    // Every truncation, not just the listed ones.
    for cut in (0..good.len()).step_by(997) {
        assert!(open(&good[..cut]).is_err(), "cut at {cut}");
    }
    // The good archive is still fine after all those failed opens.
    assert_eq!(read_all(&good, None).unwrap()[1], data(5_000, 2));
}

#[test]
fn garbage_and_bit_flips_anywhere_are_detected() {
    let good = build(
        &[("a", data(200_000, 4)), ("b", data(3_000, 5))],
        options(FRAME_SIZE as u64),
    );
    let mut garbage = good.clone();
    for byte in &mut garbage[5_000..5_400] {
        *byte = 0xA5;
    }
    assert!(read_all(&garbage, None).is_err());
    let mut undetected = Vec::new();
    for position in (0..good.len()).step_by(7) {
        let mut flipped = good.clone();
        flipped[position] ^= 1 << (position % 8);
        if read_all(&flipped, None).is_ok() {
            undetected.push(position);
        }
    }
    assert!(
        undetected.is_empty(),
        "flips not detected at {undetected:?}"
    );
}

#[test]
fn encryption_detects_every_flip_and_tells_a_wrong_passphrase_apart() {
    let fast = Argon2Params {
        m_cost: 256,
        t_cost: 1,
        p_cost: 1,
    };
    let key = || ArchiveKey::Passphrase(zeroize::Zeroizing::new("correct horse".into()), fast);
    let entries = [
        ("db", data(150_000, 6)),
        ("manifest.json", b"{\"v\":1}".to_vec()),
    ];
    let bytes = build(
        &entries,
        WriterOptions {
            split_threshold: FRAME_SIZE as u64,
            key: Some(key()),
            signing_key: None,
        },
    );
    assert!(
        !bytes.windows(14).any(|w| w == b"mls-web-store "),
        "plaintext leaked"
    );
    let read = read_all(&bytes, Some(&key())).unwrap();
    assert_eq!(read[0], entries[0].1);
    assert!(matches!(
        read_all(&bytes, None),
        Err(ArchiveError::KeyRequired)
    ));
    let wrong = ArchiveKey::Passphrase(zeroize::Zeroizing::new("wrong".into()), fast);
    assert!(matches!(
        read_all(&bytes, Some(&wrong)),
        Err(ArchiveError::WrongKey)
    ));
    assert!(matches!(
        read_all(&bytes, Some(&ArchiveKey::raw([1; 32]))),
        Err(ArchiveError::WrongKey)
    ));
    for position in (0..bytes.len()).step_by(101) {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x10;
        assert!(
            read_all(&flipped, Some(&key())).is_err(),
            "flip at {position} undetected"
        );
    }
    let raw = build(
        &entries,
        WriterOptions {
            key: Some(ArchiveKey::raw([9; 32])),
            ..options(THRESHOLD)
        },
    );
    assert_eq!(
        read_all(&raw, Some(&ArchiveKey::raw([9; 32]))).unwrap()[1],
        entries[1].1
    );
}

#[test]
fn signatures_verify_and_forgeries_fail() {
    let seed = [42u8; 32];
    let signed = build(
        &[("db", data(10_000, 1))],
        WriterOptions {
            signing_key: Some(zeroize::Zeroizing::new(seed)),
            ..options(THRESHOLD)
        },
    );
    let reader = open(&signed).unwrap();
    let expected = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    assert_eq!(reader.signer(), Some(expected));
    let mut forged = signed.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(matches!(open(&forged), Err(ArchiveError::BadSignature)));
    assert_eq!(
        open(&build(&[("db", data(10, 1))], options(THRESHOLD)))
            .unwrap()
            .signer(),
        None
    );
}

#[test]
fn limits_are_enforced_before_allocating() {
    let bytes = build(
        &[("a", data(100_000, 1)), ("b", data(10, 2))],
        options(THRESHOLD),
    );
    let tight = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    assert!(matches!(
        ArchiveReader::open(&bytes, None, tight),
        Err(ArchiveError::LimitExceeded(_))
    ));
    let tight = Limits {
        max_entry_len: 50_000,
        ..Limits::default()
    };
    assert!(matches!(
        ArchiveReader::open(&bytes, None, tight),
        Err(ArchiveError::LimitExceeded(_))
    ));
    let tight = Limits {
        max_total_len: 100,
        ..Limits::default()
    };
    assert!(matches!(
        ArchiveReader::open(&bytes, None, tight),
        Err(ArchiveError::LimitExceeded(_))
    ));
}

#[test]
fn writer_refuses_bad_entries() {
    let mut writer = ArchiveWriter::new(Vec::new(), options(THRESHOLD)).unwrap();
    writer.add_bytes("a", b"x").unwrap();
    assert!(writer.add_bytes("a", b"y").is_err());
    assert!(writer.add_bytes("", b"y").is_err());
    assert!(writer.add_entry("short", 10, &b"abc"[..]).is_err());
}

/// Writes valid archives into `fuzz/corpus/archive_reader` as fuzzing seeds (run by `scripts/fuzz.sh`).
#[test]
#[ignore = "writes fuzzing seeds; run by scripts/fuzz.sh"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/archive_reader");
    std::fs::create_dir_all(&dir).unwrap();
    let entries = [("db", data(3 * FRAME_SIZE + 100, 1)), ("m", b"{}".to_vec())];
    let seeds = [
        ("plain", options(THRESHOLD)),
        ("split", options(FRAME_SIZE as u64)),
        (
            "raw-key",
            WriterOptions {
                key: Some(ArchiveKey::raw([7; 32])),
                ..options(FRAME_SIZE as u64)
            },
        ),
        (
            "signed",
            WriterOptions {
                signing_key: Some(zeroize::Zeroizing::new([1; 32])),
                ..options(THRESHOLD)
            },
        ),
    ];
    for (name, options) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), build(&entries, options)).unwrap();
    }
}

#[test]
fn entries_written_in_pieces_of_any_size_read_back() {
    let content = data(3 * FRAME_SIZE + 777, 9);
    for piece in [1, 1000, FRAME_SIZE - 1, FRAME_SIZE + 1, content.len()] {
        for threshold in [1, THRESHOLD, DEFAULT_SPLIT_THRESHOLD] {
            let mut writer = ArchiveWriter::new(Vec::new(), options(threshold)).unwrap();
            writer.begin_entry("db", content.len() as u64).unwrap();
            let mut streamed = 0;
            for chunk in content.chunks(piece) {
                writer.write_entry_data(chunk).unwrap();
                streamed += std::mem::take(writer.sink_mut()).len();
            }
            writer.finish_entry().unwrap();
            let rest = writer.finalize().unwrap();
            assert!(streamed + rest.len() > content.len() / 4);
            let whole = build(&[("db", content.clone())], options(threshold));
            let reader = open(&whole).unwrap();
            assert_eq!(reader.read_entry("db").unwrap(), content);
        }
    }
    let mut writer = ArchiveWriter::new(Vec::new(), options(THRESHOLD)).unwrap();
    writer.begin_entry("a", 3).unwrap();
    assert!(writer.begin_entry("b", 1).is_err(), "one entry at a time");
    assert!(
        writer.write_entry_data(b"abcd").is_err(),
        "more than declared"
    );
    writer.write_entry_data(b"ab").unwrap();
    assert!(writer.finish_entry().is_err(), "fewer than declared");
}
