//! Release benchmark of backups in the browser (OPFS worker): a 200 MB store exported as a stream (each piece
//! handed to JS as it is made, as `exportBackupInPieces` does) and imported back from those pieces read in
//! slices (as from a `Blob`), with the wasm memory each adds and the throughput beside raw ruzstd compress /
//! decompress of the same database's pages, all in one run. Not a test: it runs only with `--features bench`
//! (`scripts/bench.sh`) and prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use std::cell::Cell;
use std::ops::Range;

use bench_support::{channel, performance_now, round, T0};
use mls_web_store::archive::FRAME_SIZE;
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::backup::{ArchiveSource, ImportOptions, Phase, ReadFuture};
use mls_web_store::chat::NewMessage;
use mls_web_store::store::Store;
use mls_web_store::vfs;
use ruzstd::encoding::{compress_to_vec, CompressionLevel};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const TARGET_DATABASE_BYTES: u64 = 200_000_000;
/// Database bytes the raw ruzstd baseline compresses and decompresses (a rate, measured on a sample so that
/// the baseline itself does not hold the whole database in memory).
const RAW_SAMPLE_BYTES: usize = 32 << 20;

fn mb_per_s(bytes: f64, ms: f64) -> f64 {
    round(bytes / 1e6 / (ms / 1000.0))
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::ArrayBuffer::from(memory.buffer()).byte_length() as f64
}

/// An archive held by JS as the pieces the export handed over, read back in slices like a `Blob`.
struct JsPieces {
    pieces: Vec<(u64, js_sys::Uint8Array)>,
    len: u64,
}

impl ArchiveSource for JsPieces {
    fn byte_len(&self) -> u64 {
        self.len
    }

    fn read(&self, range: Range<u64>) -> ReadFuture<'_> {
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        for (start, piece) in &self.pieces {
            let end = start + u64::from(piece.length());
            if end <= range.start || *start >= range.end {
                continue;
            }
            let from = (range.start.max(*start) - start) as u32;
            let to = (range.end.min(end) - start) as u32;
            let at = out.len();
            out.resize(at + (to - from) as usize, 0);
            piece.subarray(from, to).copy_to(&mut out[at..]);
        }
        Box::pin(std::future::ready(Ok(out)))
    }
}

fn chat_messages(start: usize, count: usize) -> Vec<NewMessage> {
    (start..start + count)
        .map(|i| {
            let mut body = format!("message {i}: ");
            while body.len() < 1000 {
                body.push_str(
                    [
                        "see you at ",
                        "the meeting ",
                        "sounds good ",
                        "ok ",
                        "lunch? ",
                    ][(i + body.len()) % 5],
                );
                body.push_str(&(i * 7919 % 100_003).to_string());
                body.push(' ');
            }
            NewMessage {
                message_id: Some(format!("m{i:08}")),
                sender: format!("sender-{}", i % 7).into_bytes(),
                body: body.into_bytes(),
                sent_at_ms: T0 + i as i64,
            }
        })
        .collect()
}

#[wasm_bindgen_test]
async fn bench_backup() {
    let name = "bench-backup";
    let _ = vfs::delete_database(Backend::Opfs, name).await;
    let store = Store::open(name, BackendChoice::Opfs).await.expect("open");
    store
        .chat()
        .create_channel(&channel(), None, T0)
        .expect("channel");
    let mut written = 0;
    while u64::from(store.connection().page_count().expect("pages"))
        * u64::from(store.connection().page_size().expect("page size"))
        < TARGET_DATABASE_BYTES
    {
        store
            .chat()
            .append_messages("c", &chat_messages(written, 10_000), None, T0)
            .expect("fill");
        written += 10_000;
    }
    store.sync().await.expect("sync");
    let page_size = store.connection().page_size().expect("page size") as usize;
    let database_bytes = store.connection().page_count().expect("pages") as f64 * page_size as f64;

    // Export: every piece goes to JS as it is made; nothing of the archive stays in wasm memory.
    let memory_before_export = wasm_memory_bytes();
    let start = performance_now();
    let mut stream = store
        .export_backup_stream(Default::default())
        .await
        .expect("export");
    let mut pieces = Vec::new();
    let mut archive_len = 0u64;
    while let Some(piece) = stream.next_piece().expect("piece") {
        pieces.push((archive_len, js_sys::Uint8Array::from(piece.as_slice())));
        archive_len += piece.len() as u64;
    }
    stream.close().await;
    let export_ms = performance_now() - start;
    let export_growth = wasm_memory_bytes() - memory_before_export;
    let archive = JsPieces {
        pieces,
        len: archive_len,
    };

    // Import: read in slices, checked, the image written as it is decoded into a scratch file, then copied in.
    let memory_before_import = wasm_memory_bytes();
    let streamed_at = Cell::new(0.0);
    let verified_at = Cell::new(0.0);
    let start = performance_now();
    store
        .import_backup_with_progress(&archive, &ImportOptions::default(), &mut |progress| {
            if progress.phase == Phase::Verify && progress.done == progress.total {
                streamed_at.set(performance_now());
            }
            if progress.phase == Phase::Migrate && verified_at.get() == 0.0 {
                verified_at.set(performance_now());
            }
        })
        .await
        .expect("import");
    let import_ms = performance_now() - start;
    let stream_ms = streamed_at.get() - start;
    let verify_ms = verified_at.get() - start;
    let import_growth = wasm_memory_bytes() - memory_before_import;
    // SQLite's backup commits the copy into the WAL without the WAL hook: the checkpoint that moves it into
    // the database runs at the end of the first statement after the import, which the user waits for too.
    let start = performance_now();
    let count = store.chat().message_count("c").expect("count");
    let first_statement_ms = performance_now() - start;
    assert_eq!(count as usize, written);

    // The baseline, last, on a sample of the same pages: raw ruzstd at the archive's frame size, on runs
    // of one frame's pages spread evenly over the whole database (its start alone compresses differently).
    let run_pages = (FRAME_SIZE / page_size).max(1);
    let runs = RAW_SAMPLE_BYTES / page_size / run_pages;
    let total_pages = store.connection().page_count().expect("pages") as usize;
    let mut sample = Vec::with_capacity(RAW_SAMPLE_BYTES);
    for run in 0..runs {
        let first = 1 + run * (total_pages - run_pages) / runs;
        for pgno in first..first + run_pages {
            sample.extend_from_slice(&store.connection().read_page(pgno as u32).expect("page"));
        }
    }
    let start = performance_now();
    let frames: Vec<Vec<u8>> = sample
        .chunks(FRAME_SIZE)
        .map(|chunk| compress_to_vec(chunk, CompressionLevel::Fastest))
        .collect();
    let raw_compress_ms = performance_now() - start;
    let start = performance_now();
    let mut out = Vec::with_capacity(FRAME_SIZE);
    for frame in &frames {
        out.clear();
        let mut source = frame.as_slice();
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut source).expect("frame");
        std::io::Read::read_to_end(&mut decoder, &mut out).expect("decode");
    }
    let raw_decompress_ms = performance_now() - start;
    let raw_compress = mb_per_s(sample.len() as f64, raw_compress_ms);
    let raw_decompress = mb_per_s(sample.len() as f64, raw_decompress_ms);
    store.close().expect("close");
    let _ = vfs::delete_database(Backend::Opfs, name).await;

    let export_rate = mb_per_s(database_bytes, export_ms);
    let stream_rate = mb_per_s(database_bytes, stream_ms);
    let verify_rate = mb_per_s(database_bytes, verify_ms);
    let import_rate = mb_per_s(database_bytes, import_ms);
    let report = serde_json::json!({
        "benchmark": "backup",
        "build": "release",
        "context": "OPFS dedicated worker, unencrypted store and archive, pieces held by JS",
        "messages": written,
        "database_bytes": database_bytes,
        "archive_bytes": archive_len,
        "ratio": round(database_bytes / archive_len as f64),
        "wasm_memory_before_mb": round(memory_before_export / 1e6),
        "export_wasm_memory_growth_mb": round(export_growth / 1e6),
        "import_wasm_memory_growth_mb": round(import_growth / 1e6),
        "raw_ruzstd_compress_mb_s": raw_compress,
        "raw_ruzstd_decompress_mb_s": raw_decompress,
        "export_mb_s": export_rate,
        "import_stream_mb_s": stream_rate,
        "import_verify_mb_s": verify_rate,
        "import_total_mb_s": import_rate,
        "export_vs_raw_compress": round(export_rate / raw_compress),
        "import_stream_vs_raw_decompress": round(stream_rate / raw_decompress),
        "import_verify_vs_raw_decompress": round(verify_rate / raw_decompress),
        "import_ms": {
            "stream": round(stream_ms),
            "check": round(verify_ms - stream_ms),
            "migrate_replace_flush": round(import_ms - verify_ms),
        },
        "import_total_vs_raw_decompress": round(import_rate / raw_decompress),
        "first_statement_after_import_ms": round(first_statement_ms),
        "first_statement_after_import_includes": "the checkpoint of the copied pages from the WAL into the database",
        "import_stream_includes": "slices read, BLAKE3 of the stored bytes, zstd decode, the image written to a scratch file on OPFS",
        "import_verify_includes": "the stream, then PRAGMA integrity_check and the schema check of the scratch database",
        "import_total_includes": "verify, PRAGMA integrity_check, schema check, copying into the live database, the durable flush",
    });
    bench_support::report(&report);
}
