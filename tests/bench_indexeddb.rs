//! Release benchmark of the IndexedDB backend on the main thread (where apps without OPFS run it): a
//! 10k-message batch, single durable appends (each resolved only after IndexedDB committed it), and the
//! time to open a store of 100k messages (loading every page into memory). Not a test: it runs only with
//! `--features bench` (`scripts/bench.sh`) and prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{channel, messages, percentile, performance_now, round, T0};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::chat::PageCursor;
use mls_web_store::store::Store;
use mls_web_store::vfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const BATCH: usize = 10_000;
const SINGLES: usize = 300;
const LARGE: usize = 100_000;

async fn fresh(name: &str) -> Store {
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;
    let store = Store::open(name, BackendChoice::IndexedDb)
        .await
        .expect("open");
    store
        .chat()
        .create_channel(&channel(), None, T0)
        .expect("channel");
    store.sync().await.expect("sync");
    store
}

#[wasm_bindgen_test]
async fn bench_indexeddb() {
    let name = "bench-idb";
    let mut batches = Vec::new();
    for run in 0..3 {
        let store = fresh(name).await;
        let start = performance_now();
        store
            .chat()
            .append_messages("c", &messages(run * BATCH, BATCH), None, T0)
            .expect("batch");
        store.sync().await.expect("sync");
        batches.push(performance_now() - start);
        store.close_durably().await.expect("close");
    }

    let store = fresh(name).await;
    let mut singles = Vec::new();
    for message in messages(0, SINGLES) {
        let start = performance_now();
        store
            .chat()
            .append_message("c", &message, None, T0)
            .expect("append");
        store.sync().await.expect("sync");
        singles.push(performance_now() - start);
    }
    store.close_durably().await.expect("close");

    let store = fresh(name).await;
    bench_support::fill(&store, LARGE, BATCH).await;
    store.close_durably().await.expect("close");
    let start = performance_now();
    let store = Store::open(name, BackendChoice::IndexedDb)
        .await
        .expect("reopen");
    let page = store
        .chat()
        .page("c", PageCursor::Newest, 100)
        .expect("page");
    let open_ms = performance_now() - start;
    assert_eq!(page.messages.len(), 100);
    let file_bytes: i64 = store
        .connection()
        .query_value(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            &[],
        )
        .expect("size");
    store.close_durably().await.expect("close");
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;

    let report = serde_json::json!({
        "benchmark": "indexeddb",
        "build": "release",
        "context": "main thread, durability strict",
        "batch_10k_ms": percentile(&batches, 0.5),
        "batch_10k_runs_ms": batches.iter().map(|v| round(*v)).collect::<Vec<_>>(),
        "single_append_p50_ms": percentile(&singles, 0.5),
        "single_append_p95_ms": percentile(&singles, 0.95),
        "single_appends": SINGLES,
        "open_100k_messages_and_newest_page_ms": round(open_ms),
        "database_bytes_100k_messages": file_bytes,
        "goals_ms": { "batch_10k": 150, "single_append_p50": 2 },
    });
    bench_support::report(&report);
}
