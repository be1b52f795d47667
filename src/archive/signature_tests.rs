//! What a version 2 signature protects, tried as an attacker holding the file would: content changed
//! with its digest recomputed, the header and key block changed with their CRCs fixed, the signed flag cleared
//! and the signature cut off, a re-signature by another key, gaps between sections; and the naming and
//! threshold rules a second implementation needs.

use super::format::{
    decode_directory, encode_directory, EndRecord, EntryCheck, Header, END_LEN, HEADER_LEN,
};
use super::*;

const SEED: [u8; 32] = [42; 32];

fn public_of(seed: [u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes()
}

fn payload() -> Vec<u8> {
    // Incompressible, so that zstd stores it raw and a changed stored byte is a changed content byte.
    let mut state = 0x1234_5678u32;
    (0..5_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

fn signed_archive(key: Option<ArchiveKey>) -> Vec<u8> {
    let mut writer = ArchiveWriter::new(
        Vec::new(),
        WriterOptions {
            key,
            signing_key: Some(zeroize::Zeroizing::new(SEED)),
            ..WriterOptions::default()
        },
    )
    .unwrap();
    writer.add_bytes("database.sqlite3", &payload()).unwrap();
    writer.finalize().unwrap()
}

fn read_everything(bytes: &[u8], options: &ReadOptions<'_>) -> Result<(), ArchiveError> {
    let reader = ArchiveReader::open_with(bytes, options)?;
    for entry in reader.entries() {
        reader.read_entry(&entry.name)?;
    }
    Ok(())
}

fn requiring(signer: [u8; 32]) -> ReadOptions<'static> {
    ReadOptions {
        signer: Some(signer),
        ..ReadOptions::default()
    }
}

fn fix_header_crc(bytes: &mut [u8]) {
    let checksum = crc32fast::hash(&bytes[..60]);
    bytes[60..64].copy_from_slice(&checksum.to_le_bytes());
}

#[test]
fn a_signed_archive_reads_and_names_its_signer() {
    let archive = signed_archive(None);
    let reader = ArchiveReader::open_with(&archive, &requiring(public_of(SEED))).unwrap();
    assert_eq!(reader.format_version(), 2);
    assert_eq!(reader.signer(), Some(public_of(SEED)));
    assert_eq!(reader.read_entry("database.sqlite3").unwrap(), payload());
}

#[test]
fn changed_content_is_caught_by_its_digest_and_a_fixed_digest_by_the_signature() {
    let archive = signed_archive(None);
    let end = EndRecord::decode(&archive[archive.len() - END_LEN - 96..]).unwrap();
    let dir_at = end.directory_offset as usize;
    let dir_end = dir_at + end.directory_len as usize;
    let mut entries = decode_directory(&archive[dir_at..dir_end], end.entry_count, 2).unwrap();
    let data =
        entries[0].data_offset as usize..(entries[0].data_offset + entries[0].data_len) as usize;

    // Change a byte well inside the (raw, incompressible) frame: the digest no longer matches.
    let mut changed = archive.clone();
    changed[data.start + 1_000] ^= 1;
    assert!(matches!(
        read_everything(&changed, &ReadOptions::default()),
        Err(ArchiveError::DigestMismatch(name)) if name == "database.sqlite3"
    ));

    // Fix the digest and every CRC an attacker can recompute: the signature over the directory fails.
    entries[0].check = EntryCheck::Blake3(*blake3::hash(&changed[data]).as_bytes());
    let directory = encode_directory(&entries);
    changed[dir_at..dir_end].copy_from_slice(&directory);
    let end_record = EndRecord {
        directory_crc: crc32fast::hash(&directory),
        ..end
    }
    .encode();
    changed[dir_end..dir_end + END_LEN].copy_from_slice(&end_record);
    assert!(matches!(
        read_everything(&changed, &ReadOptions::default()),
        Err(ArchiveError::BadSignature)
    ));
}

#[test]
fn header_and_key_block_changes_break_the_signature() {
    let mut archive = signed_archive(None);
    archive[28] ^= 1; // archive_id
    fix_header_crc(&mut archive);
    assert!(matches!(
        read_everything(&archive, &ReadOptions::default()),
        Err(ArchiveError::BadSignature)
    ));

    let key = ArchiveKey::raw([3; 32]);
    let mut encrypted = signed_archive(Some(ArchiveKey::raw([3; 32])));
    encrypted[HEADER_LEN + 80] ^= 1; // the salt
    let checksum = crc32fast::hash(&encrypted[HEADER_LEN..HEADER_LEN + 92]);
    encrypted[HEADER_LEN + 92..HEADER_LEN + 96].copy_from_slice(&checksum.to_le_bytes());
    let options = ReadOptions {
        key: Some(&key),
        ..ReadOptions::default()
    };
    assert!(matches!(
        read_everything(&encrypted, &options),
        Err(ArchiveError::BadSignature)
    ));
}

#[test]
fn a_stripped_signature_is_caught_when_a_signer_is_required() {
    let archive = signed_archive(None);
    let mut stripped = archive[..archive.len() - 96].to_vec();
    stripped[10] &= !2; // the signed flag
    fix_header_crc(&mut stripped);
    // Without a requirement it is an ordinary unsigned archive, and says so ...
    let reader = ArchiveReader::open(&stripped, None, Limits::default()).unwrap();
    assert_eq!(reader.signer(), None);
    // ... and a reader that requires the signer refuses it.
    assert!(matches!(
        read_everything(&stripped, &requiring(public_of(SEED))),
        Err(ArchiveError::SignatureRequired(_))
    ));
    // Clearing the flag but leaving the signature makes no valid archive at all.
    let mut flag_cleared = archive.clone();
    flag_cleared[10] &= !2;
    fix_header_crc(&mut flag_cleared);
    assert!(read_everything(&flag_cleared, &ReadOptions::default()).is_err());
}

#[test]
fn another_signer_is_a_mismatch_and_an_unsigned_archive_is_refused() {
    let archive = signed_archive(None);
    let other = public_of([1; 32]);
    assert!(matches!(
        read_everything(&archive, &requiring(other)),
        Err(ArchiveError::SignerMismatch { found }) if found == public_of(SEED)
    ));
    let mut writer = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    writer.add_bytes("a", b"x").unwrap();
    let unsigned = writer.finalize().unwrap();
    assert!(matches!(
        read_everything(&unsigned, &requiring(public_of(SEED))),
        Err(ArchiveError::SignatureRequired(_))
    ));
}

#[test]
fn a_version_1_signature_does_not_satisfy_a_signer_requirement() {
    let v1 = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/archive/v1-signed.mwsa"),
    )
    .unwrap();
    let reader = ArchiveReader::open(&v1, None, Limits::default()).unwrap();
    assert_eq!(reader.format_version(), 1);
    let signer = reader.signer().unwrap();
    assert!(matches!(
        read_everything(&v1, &requiring(signer)),
        Err(ArchiveError::SignatureRequired(_))
    ));
}

#[test]
fn version_2_rejects_gaps_between_sections() {
    let mut writer = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    writer.add_bytes("a", b"first").unwrap();
    writer.add_bytes("b", b"second").unwrap();
    let archive = writer.finalize().unwrap();
    let end = EndRecord::decode(&archive[archive.len() - END_LEN..]).unwrap();
    let dir_at = end.directory_offset as usize;
    let mut entries = decode_directory(
        &archive[dir_at..archive.len() - END_LEN],
        end.entry_count,
        2,
    )
    .unwrap();
    // One stray byte after the first entry, the second entry and the directory moved past it.
    let gap_at = (entries[0].data_offset + entries[0].data_len) as usize;
    entries[1].data_offset += 1;
    let directory = encode_directory(&entries);
    let mut gapped = archive[..gap_at].to_vec();
    gapped.push(0xEE);
    gapped.extend_from_slice(&archive[gap_at..dir_at]);
    gapped.extend_from_slice(&directory);
    gapped.extend_from_slice(
        &EndRecord {
            directory_offset: end.directory_offset + 1,
            directory_crc: crc32fast::hash(&directory),
            ..end
        }
        .encode(),
    );
    assert!(matches!(
        ArchiveReader::open(&gapped, None, Limits::default()),
        Err(ArchiveError::Corrupt(_))
    ));
}

#[test]
fn names_and_thresholds_follow_the_rules() {
    let mut writer = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for bad in [
        "", "/a", "a/", "a//b", "../a", "a/./b", "a\0b", "a b", "é", "a\\b",
    ] {
        assert!(writer.add_bytes(bad, b"x").is_err(), "{bad:?} accepted");
    }
    writer.add_bytes("Data/Notes.txt", b"x").unwrap();
    assert!(writer.add_bytes("data/notes.TXT", b"y").is_err());
    assert!(writer.add_bytes(&"n".repeat(256), b"y").is_err());
    writer.add_bytes(&"n".repeat(255), b"y").unwrap();
    for threshold in [0, (128 << 20) + 1] {
        let options = WriterOptions {
            split_threshold: threshold,
            ..WriterOptions::default()
        };
        assert!(ArchiveWriter::new(Vec::new(), options).is_err());
    }
    // An entry at the threshold is split even when it fits one frame: one frame and a seek table.
    let mut writer = ArchiveWriter::new(
        Vec::new(),
        WriterOptions {
            split_threshold: 10,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    writer.add_bytes("at", &[1; 10]).unwrap();
    writer.add_bytes("below", &[1; 9]).unwrap();
    writer.add_bytes("empty", &[]).unwrap();
    let archive = writer.finalize().unwrap();
    let reader = ArchiveReader::open(&archive, None, Limits::default()).unwrap();
    let framing: Vec<(bool, u32)> = reader
        .entries()
        .iter()
        .map(|e| (e.split, e.frame_count))
        .collect();
    assert_eq!(framing, [(true, 1), (false, 1), (false, 1)]);
    // A header claiming threshold 0 is refused.
    let mut zero = archive.clone();
    zero[20..28].copy_from_slice(&0u64.to_le_bytes());
    fix_header_crc(&mut zero);
    assert!(matches!(
        Header::decode(&zero),
        Err(ArchiveError::Corrupt(_))
    ));
}

#[test]
fn a_zero_entry_archive_is_valid() {
    let archive = ArchiveWriter::new(Vec::new(), WriterOptions::default())
        .unwrap()
        .finalize()
        .unwrap();
    let reader = ArchiveReader::open(&archive, None, Limits::default()).unwrap();
    assert!(reader.entries().is_empty());
}
