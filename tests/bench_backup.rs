//! Release benchmark of backups in the browser (OPFS worker): export and import of a 100k-message store
//! beside raw ruzstd compress/decompress of the same database image, in the same run. Not a test: it runs
//! only with `--features bench` (`scripts/bench.sh`) and prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{channel, performance_now, T0};
use mls_web_store::archive::FRAME_SIZE;
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::backup::{ExportOptions, ImportOptions};
use mls_web_store::chat::NewMessage;
use mls_web_store::store::Store;
use mls_web_store::vfs;
use ruzstd::encoding::{compress_to_vec, CompressionLevel};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn mb_per_s(bytes: usize, ms: f64) -> f64 {
    ((bytes as f64 / 1e6) / (ms / 1000.0) * 10.0).round() / 10.0
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
    for chunk in 0..10 {
        let batch: Vec<NewMessage> = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|i| NewMessage {
                message_id: Some(format!("m{i:07}")),
                sender: format!("sender-{}", i % 7).into_bytes(),
                body: format!("message body {i} with some ordinary chat text in it").into_bytes(),
                sent_at_ms: T0 + i as i64,
            })
            .collect();
        store
            .chat()
            .append_messages("c", &batch, None, T0)
            .expect("fill");
    }
    let image = store.connection().serialize().expect("image");

    let start = performance_now();
    let frames: Vec<Vec<u8>> = image
        .chunks(FRAME_SIZE)
        .map(|c| compress_to_vec(c, CompressionLevel::Fastest))
        .collect();
    let raw_compress_ms = performance_now() - start;
    let start = performance_now();
    let mut out = Vec::with_capacity(image.len());
    for frame in &frames {
        let mut source = frame.as_slice();
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut source).expect("frame");
        std::io::Read::read_to_end(&mut decoder, &mut out).expect("decode");
    }
    let raw_decompress_ms = performance_now() - start;
    assert_eq!(out.len(), image.len());

    let start = performance_now();
    let archive = store
        .export_backup(
            ExportOptions {
                split_threshold: Some(1 << 20),
                ..ExportOptions::default()
            },
            &mut |_, _| {},
        )
        .expect("export");
    let export_ms = performance_now() - start;
    let start = performance_now();
    store
        .import_backup(&archive, &ImportOptions::default())
        .await
        .expect("import");
    let import_ms = performance_now() - start;
    assert_eq!(store.chat().message_count("c").expect("count"), 100_000);
    store.close().expect("close");
    let _ = vfs::delete_database(Backend::Opfs, name).await;

    let bytes = image.len();
    let report = serde_json::json!({
        "benchmark": "backup",
        "build": "release",
        "context": "OPFS dedicated worker, 100k messages, unencrypted archive",
        "database_bytes": bytes,
        "archive_bytes": archive.len(),
        "ratio": (bytes as f64 / archive.len() as f64 * 1000.0).round() / 1000.0,
        "raw_ruzstd_compress_mb_s": mb_per_s(bytes, raw_compress_ms),
        "raw_ruzstd_decompress_mb_s": mb_per_s(bytes, raw_decompress_ms),
        "export_mb_s": mb_per_s(bytes, export_ms),
        "import_mb_s": mb_per_s(bytes, import_ms),
        "export_vs_raw_compress": (raw_compress_ms / export_ms * 1000.0).round() / 1000.0,
        "import_vs_raw_decompress": (raw_decompress_ms / import_ms * 1000.0).round() / 1000.0,
        "import_includes": "archive verification, integrity_check, schema check, replacing the live database",
    });
    bench_support::report(&report);
}
