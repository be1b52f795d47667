//! Release benchmark of the archive format on the host (`bash scripts/bench.sh bench_archive` runs it):
//! archive write and read throughput beside raw ruzstd compress/decompress of the same bytes, the ratio,
//! and one random 4 KiB range read from a 200 MB entry. Prints one JSON line.

use std::time::Instant;

use mls_web_store::archive::{ArchiveReader, ArchiveWriter, Limits, WriterOptions, FRAME_SIZE};
use ruzstd::encoding::{compress_to_vec, CompressionLevel};

/// Bytes shaped like a chat database: repeated structure with varying content, some incompressible.
fn corpus(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let id = state >> 40;
        out.extend_from_slice(
            format!("channel-{:04}|seq={id}|sender=user-{}|", id % 97, id % 13).as_bytes(),
        );
        for _ in 0..20 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            out.push((state >> 56) as u8);
        }
    }
    out.truncate(len);
    out
}

fn mb_per_s(bytes: usize, seconds: f64) -> f64 {
    ((bytes as f64 / 1e6) / seconds * 10.0).round() / 10.0
}

fn main() {
    let size = 200 * 1024 * 1024;
    let data = corpus(size);

    // Raw ruzstd over the same bytes, in the same 64 KiB frames the archive uses.
    let start = Instant::now();
    let frames: Vec<Vec<u8>> = data
        .chunks(FRAME_SIZE)
        .map(|chunk| compress_to_vec(chunk, CompressionLevel::Fastest))
        .collect();
    let raw_compress = start.elapsed().as_secs_f64();
    let compressed: usize = frames.iter().map(Vec::len).sum();
    // Both sides produce the whole 200 MB in one buffer, as restoring a database must.
    let start = Instant::now();
    let mut out = Vec::with_capacity(size);
    for frame in &frames {
        let mut source = frame.as_slice();
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut source).expect("frame");
        std::io::Read::read_to_end(&mut decoder, &mut out).expect("decode");
    }
    let raw_decompress = start.elapsed().as_secs_f64();
    assert_eq!(out.len(), size);
    drop(out);

    let start = Instant::now();
    let mut writer = ArchiveWriter::new(
        Vec::with_capacity(compressed + (1 << 20)),
        WriterOptions::default(),
    )
    .expect("writer");
    writer.add_bytes("database.sqlite3", &data).expect("entry");
    let archive = writer.finalize().expect("finalize");
    let write = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let reader = ArchiveReader::open(&archive, None, Limits::default()).expect("open");
    let read_back = reader.read_entry("database.sqlite3").expect("read");
    let read = start.elapsed().as_secs_f64();
    assert!(read_back == data);

    let mut state = 7u64;
    let mut ranges = Vec::new();
    for _ in 0..200 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let offset = (state >> 16) % (size as u64 - 4096);
        let start = Instant::now();
        let bytes = reader
            .read_range("database.sqlite3", offset, 4096)
            .expect("range");
        ranges.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(bytes, data[offset as usize..offset as usize + 4096]);
    }
    ranges.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let report = serde_json::json!({
        "benchmark": "archive",
        "build": "release",
        "platform": "host (x86_64), one thread",
        "bytes": size,
        "raw_ruzstd_compress_mb_s": mb_per_s(size, raw_compress),
        "raw_ruzstd_decompress_mb_s": mb_per_s(size, raw_decompress),
        "archive_write_mb_s": mb_per_s(size, write),
        "archive_read_mb_s": mb_per_s(size, read),
        "write_vs_raw": round(raw_compress / write),
        "read_vs_raw": round(raw_decompress / read),
        "ratio": round(size as f64 / archive.len() as f64),
        "random_4k_range_of_200mb_ms": { "p50": round(ranges[100]), "p95": round(ranges[190]), "max": round(ranges[199]) },
        "goals": { "vs_raw": 0.8, "random_range_ms": 2.0 },
    });
    println!("{report}");
}
