//! Release benchmark of chat persistence on OPFS in a dedicated Worker, encrypted (and, for comparison,
//! not). Not a test: it runs only with `--features bench` (`scripts/bench.sh`) and prints one JSON line
//! prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{channel, messages, percentile, performance_now, round, T0};
use js_sys::{Array, Promise};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::chat::PageCursor;
use mls_web_store::store::{Store, StoreConfig, StoreKey};
use mls_web_store::vfs;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const BATCH: usize = 10_000;
const SINGLES: usize = 1_000;
const LARGE: usize = 100_000;
const READS: usize = 50;

// The device's floor for a durable append: the same number of bytes written at the end of a file of our own
// in OPFS and flushed, as SQLite appends a commit's frames to the WAL and syncs it. Resolves to the time of
// each write + flush, in ms.
#[wasm_bindgen(inline_js = r#"
export async function rawWriteFlush(name, bytes, count, pageSize) {
  const root = await navigator.storage.getDirectory();
  const file = await root.getFileHandle(name, { create: true });
  const handle = await file.createSyncAccessHandle();
  const data = new Uint8Array(bytes).fill(7);
  // pageSize > 0: the bytes written as SQLite writes WAL frames, a 24-byte header then a page per write.
  const pieces = [];
  for (let at = 0; pageSize > 0 && at < bytes; ) {
    const size = pieces.length % 2 === 0 ? 24 : pageSize;
    pieces.push(data.subarray(at, Math.min(at + size, bytes)));
    at += size;
  }
  const times = [];
  try {
    handle.truncate(0);
    let at = 0;
    for (let i = 0; i < count; i += 1) {
      const start = performance.now();
      if (pieces.length === 0) {
        handle.write(data, { at });
      } else {
        let offset = at;
        for (const piece of pieces) {
          handle.write(piece, { at: offset });
          offset += piece.length;
        }
      }
      handle.flush();
      times.push(performance.now() - start);
      at += bytes;
    }
  } finally {
    handle.close();
    await root.removeEntry(name);
  }
  return times;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = rawWriteFlush)]
    fn raw_write_flush(name: &str, bytes: u32, count: u32, page_size: u32) -> Promise;
}

/// Bytes one single-message commit appends to the WAL: its frames (page + 24-byte frame header), averaged
/// over a few appends, each alone in a freshly truncated WAL.
fn wal_bytes_per_append(store: &Store, from: usize) -> u32 {
    let conn = store.connection();
    let page_size: i64 = conn
        .query_value("PRAGMA page_size", &[])
        .expect("page_size");
    let mut frames = 0i64;
    const SAMPLES: usize = 10;
    for m in messages(from, SAMPLES) {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        store
            .chat()
            .append_message("c", &m, None, T0)
            .expect("append");
        let log: i64 = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", &[], |row| row.get(1))
            .expect("wal frames");
        frames += log;
    }
    (frames as f64 / SAMPLES as f64 * (page_size + 24) as f64).round() as u32
}

/// Per-append times of the raw floor: `bytes` in one write (`page_size` 0) or in WAL frames, then a flush.
async fn raw_floor(bytes: u32, page_size: u32) -> Vec<f64> {
    let times = JsFuture::from(raw_write_flush(
        "bench-chat-raw-floor",
        bytes,
        SINGLES as u32,
        page_size,
    ))
    .await
    .expect("raw OPFS write + flush");
    Array::from(&times)
        .iter()
        .filter_map(|v| v.as_f64())
        .collect()
}

/// The 10k batch on `backend`, each run in a fresh store: the runs' times.
async fn batch_runs(backend: BackendChoice, name: &str, key: Option<&StoreKey>) -> Vec<f64> {
    let mut times = Vec::new();
    for run in 0..3 {
        let store = fresh_on(backend, name, key).await;
        let (ms, _) = time(|| {
            store
                .chat()
                .append_messages("c", &messages(run * BATCH, BATCH), None, T0)
        });
        times.push(ms);
        store.close().expect("close");
    }
    times
}

async fn fresh(name: &str, key: Option<&StoreKey>) -> Store {
    fresh_on(BackendChoice::Opfs, name, key).await
}

async fn fresh_on(backend: BackendChoice, name: &str, key: Option<&StoreKey>) -> Store {
    let placed = match backend {
        BackendChoice::Memory => Backend::Memory,
        _ => Backend::Opfs,
    };
    let _ = vfs::delete_database(placed, name).await;
    let store = Store::open_with_key(name, backend, StoreConfig::default(), key)
        .await
        .expect("open");
    store
        .chat()
        .create_channel(&channel(), None, T0)
        .expect("channel");
    store
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = performance_now();
    let out = f();
    (performance_now() - start, out)
}

/// 10k batch (median of 3) and 1,000 single durable appends.
async fn writes(key: Option<&StoreKey>) -> serde_json::Value {
    let batches = batch_runs(BackendChoice::Opfs, "bench-chat-writes", key).await;
    let store = fresh("bench-chat-writes", key).await;
    let singles: Vec<f64> = messages(0, SINGLES)
        .iter()
        .map(|m| {
            time(|| {
                store
                    .chat()
                    .append_message("c", m, None, T0)
                    .expect("append")
            })
            .0
        })
        .collect();
    let wal_bytes = wal_bytes_per_append(&store, SINGLES);
    store.close().expect("close");
    let _ = vfs::delete_database(Backend::Opfs, "bench-chat-writes").await;
    let raw = raw_floor(wal_bytes, 0).await;
    let framed = raw_floor(wal_bytes, 8192).await;
    // The same SQL without a file system or a flush.
    let memory = percentile(
        &batch_runs(BackendChoice::Memory, "bench-chat-memory", key).await,
        0.5,
    );
    let batch = percentile(&batches, 0.5);
    let single = percentile(&singles, 0.5);
    let raw_p50 = percentile(&raw, 0.5);
    serde_json::json!({
        "memory_batch_10k_ms": memory,
        "batch_10k_vs_memory": round(batch / memory),
        "wal_bytes_per_append": wal_bytes,
        "raw_opfs_write_flush_p50_ms": raw_p50,
        "single_append_vs_raw_write_flush_p50": round(single / raw_p50),
        "raw_opfs_framed_write_flush_p50_ms": percentile(&framed, 0.5),
        "batch_10k_ms": batch,
        "batch_10k_runs_ms": batches.iter().map(|v| round(*v)).collect::<Vec<_>>(),
        "single_append_p50_ms": percentile(&singles, 0.5),
        "single_append_p95_ms": percentile(&singles, 0.95),
        "single_append_max_ms": percentile(&singles, 1.0),
    })
}

/// Reads on a channel of 100k messages, then reopening it.
async fn large_channel(key: &StoreKey) -> serde_json::Value {
    let name = "bench-chat-100k";
    let store = fresh(name, Some(key)).await;
    for chunk in 0..LARGE / BATCH {
        store
            .chat()
            .append_messages("c", &messages(chunk * BATCH, BATCH), None, T0)
            .expect("fill");
    }
    let newest: Vec<f64> = (0..READS)
        .map(|_| {
            let (ms, page) = time(|| {
                store
                    .chat()
                    .page("c", PageCursor::Newest, 100)
                    .expect("page")
            });
            assert_eq!(page.messages.len(), 100);
            ms
        })
        .collect();
    let counts: Vec<f64> = (0..READS)
        .map(|_| {
            let (ms, count) = time(|| store.chat().unprocessed_count("c").expect("count"));
            assert_eq!(count, LARGE as i64);
            ms
        })
        .collect();
    store.close().expect("close");

    let start = performance_now();
    let store = Store::open_with_key(name, BackendChoice::Opfs, StoreConfig::default(), Some(key))
        .await
        .expect("reopen");
    let count = store.chat().unprocessed_count("c").expect("count");
    let reopen_warm = performance_now() - start;
    assert_eq!(count, LARGE as i64);
    store.close().expect("close");

    vfs::release_opfs_pool().await.expect("release");
    let start = performance_now();
    let store = Store::open_with_key(name, BackendChoice::Opfs, StoreConfig::default(), Some(key))
        .await
        .expect("reopen");
    let page = store
        .chat()
        .page("c", PageCursor::Newest, 100)
        .expect("page");
    let reopen_cold = performance_now() - start;
    assert_eq!(page.messages.len(), 100);
    store.close().expect("close");
    let _ = vfs::delete_database(Backend::Opfs, name).await;
    serde_json::json!({
        "newest_100_of_100k_p50_ms": percentile(&newest, 0.5),
        "unprocessed_count_of_100k_p50_ms": percentile(&counts, 0.5),
        "reopen_100k_and_count_same_worker_ms": round(reopen_warm),
        "reopen_100k_after_release_and_newest_page_ms": round(reopen_cold),
    })
}

#[wasm_bindgen_test]
async fn bench_chat() {
    let key = StoreKey::from_slice(&[42u8; 32]).expect("key");
    // Untimed warm-up of the pool and the allocator.
    writes(Some(&key)).await;
    let encrypted = writes(Some(&key)).await;
    let plain = writes(None).await;
    let large = large_channel(&key).await;
    let report = serde_json::json!({
        "benchmark": "chat",
        "build": "release",
        "backend": "opfs (sahpool), WAL, synchronous=FULL",
        "encrypted_chacha20": encrypted,
        "unencrypted": plain,
        "large_channel_encrypted": large,
        "goals_ms": {
            "batch_10k": 20, "single_append_p50": 0.6, "newest_100_of_100k": 0.5,
            "unprocessed_count_of_100k": 0.5, "reopen_100k": 30
        },
        "goals_ratio": { "batch_10k_vs_memory": 1.5, "single_append_vs_raw_write_flush_p50": 1.3 },
    });
    bench_support::report(&report);
}
