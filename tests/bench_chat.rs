//! Release benchmark of chat persistence on OPFS in a dedicated Worker, encrypted (and, for comparison,
//! not). Not a test: it runs only with `--features bench` (`scripts/bench.sh`) and prints one JSON line
//! prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{channel, messages, percentile, performance_now, round, T0};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::chat::PageCursor;
use mls_web_store::store::{Store, StoreConfig, StoreKey};
use mls_web_store::vfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const BATCH: usize = 10_000;
const SINGLES: usize = 1_000;
const LARGE: usize = 100_000;
const READS: usize = 50;

async fn fresh(name: &str, key: Option<&StoreKey>) -> Store {
    let _ = vfs::delete_database(Backend::Opfs, name).await;
    let store = Store::open_with_key(name, BackendChoice::Opfs, StoreConfig::default(), key)
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
    let mut batches = Vec::new();
    for run in 0..3 {
        let store = fresh("bench-chat-writes", key).await;
        let (ms, _) = time(|| {
            store
                .chat()
                .append_messages("c", &messages(run * BATCH, BATCH), None, T0)
        });
        batches.push(ms);
        store.close().expect("close");
    }
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
    store.close().expect("close");
    let _ = vfs::delete_database(Backend::Opfs, "bench-chat-writes").await;
    serde_json::json!({
        "batch_10k_ms": percentile(&batches, 0.5),
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
    });
    bench_support::report(&report);
}
