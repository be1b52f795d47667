//! Release benchmark of the SQL core on OPFS (sahpool) in a dedicated Worker. Not a test: it asserts nothing
//! about speed and runs only with `--features bench` (see `scripts/bench.sh`). It prints one JSON line
//! prefixed `BENCH_JSON `: the pragma comparison the defaults were chosen from, then the headline numbers
//! with the defaults.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{median, performance_now, round};
use mls_web_store::backend::BackendChoice;
use mls_web_store::store::{JournalMode, Store, StoreConfig, Synchronous};
use mls_web_store::vfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const BATCH_ROWS: usize = 10_000;
const AUTOCOMMIT_ROWS: usize = 1_000;
const RUNS: usize = 3;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS bench_rows (
    id INTEGER PRIMARY KEY, channel TEXT NOT NULL, sender BLOB NOT NULL, body BLOB NOT NULL, sent_at INTEGER NOT NULL)";
const INSERT: &str =
    "INSERT INTO bench_rows (channel, sender, body, sent_at) VALUES (?1, ?2, ?3, ?4)";

fn body(i: usize) -> Vec<u8> {
    // About the size of a short encrypted chat message.
    (0..160).map(|j| (i.wrapping_mul(31) ^ j) as u8).collect()
}

struct Timings {
    batch_ms: f64,
    autocommit_ms: f64,
}

async fn measure(name: &str, config: StoreConfig) -> Timings {
    let _ = vfs::delete_database(mls_web_store::backend::Backend::Opfs, name).await;
    let store = Store::open_with(name, BackendChoice::Opfs, config)
        .await
        .expect("open");
    let conn = store.connection();
    conn.execute_batch(CREATE).expect("create");
    let sender = [7u8; 32];

    let start = performance_now();
    let tx = conn.transaction().expect("begin");
    for i in 0..BATCH_ROWS {
        tx.execute(INSERT, &[&"general", &sender, &body(i), &(i as i64)])
            .expect("insert");
    }
    tx.commit().expect("commit");
    let batch_ms = performance_now() - start;

    let start = performance_now();
    for i in 0..AUTOCOMMIT_ROWS {
        conn.execute(INSERT, &[&"general", &sender, &body(i), &(i as i64)])
            .expect("insert");
    }
    let autocommit_ms = performance_now() - start;
    store.close().expect("close");
    Timings {
        batch_ms,
        autocommit_ms,
    }
}

#[wasm_bindgen_test]
async fn bench_opfs() {
    let mut pragma_rows = Vec::new();
    for journal_mode in [
        JournalMode::Delete,
        JournalMode::Truncate,
        JournalMode::Persist,
        JournalMode::Wal,
    ] {
        for synchronous in [Synchronous::Full, Synchronous::Normal] {
            for page_size in [4096u32, 8192] {
                let config = StoreConfig {
                    journal_mode,
                    synchronous,
                    page_size,
                    ..StoreConfig::default()
                };
                let mut batch = Vec::new();
                let mut autocommit = Vec::new();
                for _ in 0..RUNS {
                    let t = measure("bench-pragmas", config).await;
                    batch.push(t.batch_ms);
                    autocommit.push(t.autocommit_ms / AUTOCOMMIT_ROWS as f64);
                }
                pragma_rows.push(format!(
                    r#"{{"journal_mode":"{journal_mode:?}","synchronous":"{synchronous:?}","page_size":{page_size},"batch_10k_ms_median":{},"autocommit_ms_per_commit_median":{}}}"#,
                    round(median(batch)),
                    round(median(autocommit))
                ));
            }
        }
    }
    let _ = vfs::delete_database(mls_web_store::backend::Backend::Opfs, "bench-pragmas").await;

    let mut batch = Vec::new();
    let mut autocommit = Vec::new();
    let mut reopen = Vec::new();
    let mut reopen_warm = Vec::new();
    for run in 0..RUNS {
        let name = format!("bench-default-{run}");
        let t = measure(&name, StoreConfig::default()).await;
        batch.push(t.batch_ms);
        autocommit.push(t.autocommit_ms);

        // Close and open again in the same worker: the pool keeps its handles.
        let start = performance_now();
        let store = Store::open(&name, BackendChoice::Opfs)
            .await
            .expect("reopen");
        let rows: i64 = store
            .connection()
            .query_value("SELECT count(*) FROM bench_rows", &[])
            .expect("count");
        reopen_warm.push(performance_now() - start);
        assert_eq!(rows as usize, BATCH_ROWS + AUTOCOMMIT_ROWS);
        store.close().expect("close");

        // A reload: handles released, then pool, connection, schema check and a first query.
        vfs::release_opfs_pool().await.expect("release");
        let start = performance_now();
        let store = Store::open(&name, BackendChoice::Opfs)
            .await
            .expect("reopen");
        let rows: i64 = store
            .connection()
            .query_value("SELECT count(*) FROM bench_rows", &[])
            .expect("count");
        reopen.push(performance_now() - start);
        assert_eq!(rows as usize, BATCH_ROWS + AUTOCOMMIT_ROWS);
        store.close().expect("close");
        vfs::delete_database(mls_web_store::backend::Backend::Opfs, &name)
            .await
            .expect("delete");
    }
    let defaults = StoreConfig::default();
    let list = |values: &[f64]| {
        values
            .iter()
            .map(|v| round(*v).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let autocommit_median = median(autocommit.clone());
    bench_support::report(format!(
        r#"{{"benchmark":"opfs_sql_core","build":"release","runs":{RUNS},"defaults":{{"journal_mode":"{:?}","synchronous":"{:?}","page_size":{}}},"batch_10k_rows_ms":{{"median":{},"runs":[{}]}},"autocommit_1k_rows_ms":{{"median":{},"per_commit_ms":{},"runs":[{}]}},"reopen_and_count_ms":{{"median":{},"runs":[{}]}},"reopen_and_count_after_release_ms":{{"median":{},"runs":[{}]}},"pragma_comparison":[{}]}}"#,
        defaults.journal_mode,
        defaults.synchronous,
        defaults.page_size,
        round(median(batch.clone())),
        list(&batch),
        round(autocommit_median),
        round(autocommit_median / AUTOCOMMIT_ROWS as f64),
        list(&autocommit),
        round(median(reopen_warm.clone())),
        list(&reopen_warm),
        round(median(reopen.clone())),
        list(&reopen),
        pragma_rows.join(",")
    ));
}
