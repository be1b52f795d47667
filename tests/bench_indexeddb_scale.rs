//! Release benchmark of the IndexedDB backend at a heavy user's scale (issue "IndexedDB backend at
//! scale"): a store of 1M messages (`BENCH_MESSAGES` at build time to change it) is filled, closed and
//! reopened; printed are the time to open it and show the newest page, to page back through 10k messages,
//! a 10k batch and single durable appends on it, the database size and wasm memory. The store is larger
//! than its page cache (32 MiB by default), so it is paged on demand; it is filled the same way, reopened
//! every 25k messages, so that no step of the benchmark holds the whole database (wasm memory never
//! shrinks: what the fill took would be counted). Not a test: it runs only with `--features bench`
//! (`scripts/bench.sh bench_indexeddb_scale`) and prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{channel, messages, percentile, performance_now, round, T0};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::chat::PageCursor;
use mls_web_store::store::{Store, StoreConfig};
use mls_web_store::vfs;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const BATCH: usize = 10_000;
const PAGE: u32 = 100;
const SINGLES: usize = 100;

fn total_messages() -> usize {
    option_env!("BENCH_MESSAGES")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::ArrayBuffer::from(memory.buffer()).byte_length() as f64
}

/// What one page read on demand would cost: `count` pages at random indexes below `pages`, each read in
/// its own readonly transaction (as a read that missed in memory would be), and the same pages read as runs
/// of 16 neighbours in one request (as a read-ahead would). Times per page read, in ms.
async fn page_read_costs(name: &str, pages: u64, count: usize) -> (Vec<f64>, f64) {
    use indexed_db_futures::database::Database;
    use indexed_db_futures::prelude::*;
    let db = Database::open(&format!(
        "{}{name}",
        mls_web_store::backend::INDEXED_DB_DATABASE_PREFIX
    ))
    .await
    .expect("open IndexedDB");
    let mut seed = 0x9E37_79B9_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % pages
    };
    let mut singles = Vec::new();
    for _ in 0..count {
        let index = next() as f64;
        let start = performance_now();
        let tx = db.transaction("pages").build().expect("tx");
        let store = tx.object_store("pages").expect("store");
        let page: Option<wasm_bindgen::JsValue> = store
            .get(index)
            .primitive()
            .expect("get")
            .await
            .expect("page");
        assert!(page.is_some_and(|page| page.is_instance_of::<js_sys::Uint8Array>()));
        singles.push(performance_now() - start);
    }
    let start = performance_now();
    let runs = count / 16;
    for _ in 0..runs {
        let from = next().min(pages.saturating_sub(16)) as f64;
        let tx = db.transaction("pages").build().expect("tx");
        let store = tx.object_store("pages").expect("store");
        let read: Vec<wasm_bindgen::JsValue> = store
            .get_all()
            .with_query(from..from + 16.0)
            .primitive()
            .expect("get all")
            .await
            .expect("pages")
            .collect::<Result<_, _>>()
            .expect("pages");
        assert_eq!(read.len(), 16);
    }
    let per_page_in_runs = (performance_now() - start) / (runs * 16) as f64;
    db.close();
    (singles, per_page_in_runs)
}

fn config() -> StoreConfig {
    StoreConfig::default()
}

/// Messages written between reopens while filling: past the fill's page cache, a reopen pages the store.
const FILL_REOPEN: usize = 25_000;

/// The fill's page cache: small, so that filling grows wasm memory as little as the measured steps would
/// (wasm memory is never given back).
fn fill_config() -> StoreConfig {
    StoreConfig {
        page_cache_bytes: 4 << 20,
        ..StoreConfig::default()
    }
}

/// Single appends on store `name` opened with `config`, from message `first` on. Opened held whole (a page
/// cache larger than the database, as before pages on demand) it takes the database's size in wasm memory:
/// the benchmark does that last.
async fn single_appends(name: &str, config: StoreConfig, first: usize) -> Vec<f64> {
    let store = Store::open_with(name, BackendChoice::IndexedDb, config)
        .await
        .expect("open");
    let mut singles = Vec::new();
    for message in messages(first, SINGLES) {
        let start = performance_now();
        store
            .run(|s| s.chat().append_message("c", &message, None, T0))
            .await
            .expect("run")
            .expect("append");
        store.sync().await.expect("sync");
        singles.push(performance_now() - start);
    }
    store.close_durably().await.expect("close");
    singles
}

/// The same single appends on a small store held whole, in the same run: what IndexedDB's commit costs
/// without a large database under it.
async fn small_store_single_appends() -> Vec<f64> {
    let name = "bench-idb-scale-small";
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;
    let store = Store::open_with(name, BackendChoice::IndexedDb, config())
        .await
        .expect("open small");
    store
        .chat()
        .create_channel(&channel(), None, T0)
        .expect("channel");
    bench_support::fill(&store, BATCH, BATCH).await;
    store.close_durably().await.expect("close");
    let singles = single_appends(name, config(), BATCH).await;
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;
    singles
}

#[wasm_bindgen_test]
async fn bench_indexeddb_scale() {
    let name = "bench-idb-scale";
    let total = total_messages();
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;
    let fill_start = performance_now();
    let memory_at_start = wasm_memory_bytes();
    let mut written = 0;
    while written < total {
        let store = Store::open_with(name, BackendChoice::IndexedDb, fill_config())
            .await
            .expect("open");
        if written == 0 {
            store
                .chat()
                .create_channel(&channel(), None, T0)
                .expect("channel");
        }
        let until = (written + FILL_REOPEN).min(total);
        while written < until {
            let batch = messages(written, BATCH.min(until - written));
            store
                .run(|s| s.chat().append_messages("c", &batch, None, T0))
                .await
                .expect("run")
                .expect("fill");
            store.sync().await.expect("sync");
            written += batch.len();
        }
        store.close_durably().await.expect("close");
    }
    let fill_ms = performance_now() - fill_start;

    let memory_before_open = wasm_memory_bytes();
    let start = performance_now();
    let store = Store::open_with(name, BackendChoice::IndexedDb, config())
        .await
        .expect("reopen");
    let opened_ms = performance_now() - start;
    let newest = store
        .run(|s| s.chat().page("c", PageCursor::Newest, PAGE))
        .await
        .expect("run")
        .expect("page");
    let first_page_ms = performance_now() - start;
    assert_eq!(newest.messages.len(), PAGE as usize);

    let start = performance_now();
    let mut before = newest.messages.first().map(|m| m.seq).expect("a message");
    let mut paged = newest.messages.len();
    while paged < BATCH {
        let page = store
            .run(|s| s.chat().page("c", PageCursor::Before(before), PAGE))
            .await
            .expect("run")
            .expect("page back");
        before = page
            .messages
            .first()
            .map(|m| m.seq)
            .expect("older messages");
        paged += page.messages.len();
    }
    let page_back_ms = performance_now() - start;
    let memory_after_paging = wasm_memory_bytes();
    let held_after_paging = store.held_page_bytes();
    let paged_on_demand = store.is_paged();

    let start = performance_now();
    let batch = messages(total, BATCH);
    store
        .run(|s| s.chat().append_messages("c", &batch, None, T0))
        .await
        .expect("run")
        .expect("batch");
    store.sync().await.expect("sync");
    let batch_ms = performance_now() - start;

    let mut singles = Vec::new();
    let mut single_runs = Vec::new();
    let attempts = std::cell::Cell::new(0);
    for message in messages(total + BATCH, SINGLES) {
        let start = performance_now();
        store
            .run(|s| {
                attempts.set(attempts.get() + 1);
                s.chat().append_message("c", &message, None, T0)
            })
            .await
            .expect("run")
            .expect("append");
        single_runs.push(performance_now() - start);
        store.sync().await.expect("sync");
        singles.push(performance_now() - start);
    }
    let database_bytes = store.database_bytes().expect("size");
    let memory_at_end = wasm_memory_bytes();
    store.close_durably().await.expect("close");
    let small_store_singles = small_store_single_appends().await;
    // Paged and held whole, one after the other on the same database, after the small store: the first
    // appends above run right after a 10k batch, while IndexedDB may still be settling it.
    let paged_late_singles = single_appends(name, config(), total + BATCH + SINGLES).await;
    let whole = StoreConfig {
        page_cache_bytes: 4 << 30,
        ..StoreConfig::default()
    };
    let whole_singles = single_appends(name, whole, total + BATCH + 2 * SINGLES).await;
    let (page_reads, page_in_runs_ms) = page_read_costs(name, database_bytes / 8192, 320).await;
    let global = js_sys::global();
    let has = |object: &wasm_bindgen::JsValue, key: &str| {
        js_sys::Reflect::get(object, &key.into()).is_ok_and(|v| v.is_truthy())
    };
    let webassembly = js_sys::Reflect::get(&global, &"WebAssembly".into()).expect("WebAssembly");
    let _ = vfs::delete_database(Backend::IndexedDb, name).await;

    let mb = |bytes: f64| round(bytes / (1 << 20) as f64);
    let report = serde_json::json!({
        "benchmark": "indexeddb_scale",
        "build": "release",
        "context": "main thread, durability strict, pages on demand (32 MiB page cache)",
        "paged_on_demand": paged_on_demand,
        "messages": total,
        "database_mib": mb(database_bytes as f64),
        "fill_ms": round(fill_ms),
        "open_ms": round(opened_ms),
        "open_and_newest_page_ms": round(first_page_ms),
        "page_back_10k_ms": round(page_back_ms),
        "batch_10k_ms": round(batch_ms),
        "single_append_p50_ms": percentile(&singles, 0.5),
        "single_append_p95_ms": percentile(&singles, 0.95),
        "single_append_before_flush_p50_ms": percentile(&single_runs, 0.5),
        "single_append_small_store_p50_ms": percentile(&small_store_singles, 0.5),
        "single_append_vs_small_store": round(percentile(&singles, 0.5) / percentile(&small_store_singles, 0.5)),
        "single_append_paged_later_p50_ms": percentile(&paged_late_singles, 0.5),
        "single_append_held_whole_p50_ms": percentile(&whole_singles, 0.5),
        "single_append_paged_later_vs_held_whole": round(percentile(&paged_late_singles, 0.5) / percentile(&whole_singles, 0.5)),
        "single_append_attempts_per_append": round(attempts.get() as f64 / SINGLES as f64),
        "wasm_memory_mib_at_start": mb(memory_at_start),
        "wasm_memory_mib_before_reopen": mb(memory_before_open),
        "wasm_memory_mib_after_open_and_paging": mb(memory_after_paging),
        "page_cache_held_mib_after_paging": mb(held_after_paging as f64),
        "wasm_memory_mib_at_end": mb(memory_at_end),
        "page_read_on_demand_p50_ms": percentile(&page_reads, 0.5),
        "page_read_on_demand_p95_ms": percentile(&page_reads, 0.95),
        "page_read_in_runs_of_16_ms_per_page": round(page_in_runs_ms),
        "jspi": has(&webassembly, "Suspending") && has(&webassembly, "promising"),
        "cross_origin_isolated": has(&global, "crossOriginIsolated"),
        "goals": { "wasm_memory_mib": 64, "open_and_newest_page_ms": 300, "single_append_p50_ms": 2.1 },
    });
    bench_support::report(&report);
}
