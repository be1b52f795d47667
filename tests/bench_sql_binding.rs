//! Release benchmark behind the decision recorded in `src/sql/mod.rs`: this crate's SQLite binding against
//! rusqlite 0.43 on the same SQLite (sqlite-wasm-rs with SQLite3 Multiple Ciphers), the same memory VFS and
//! the same process, on what the store does most: cached inserts in a transaction, point reads by primary
//! key, and a scan. Not a test: `bash scripts/bench.sh bench_sql_binding` prints one `BENCH_JSON` line with
//! milliseconds for each and the ratio rusqlite / ours (above 1: ours is faster).
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::{median, performance_now, report, round};
use mls_web_store::sql::Connection;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const ROWS: i64 = 20_000;
const ROUNDS: usize = 5;
const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB NOT NULL)";
const INSERT: &str = "INSERT INTO t (id, k, v) VALUES (?1, ?2, ?3)";
const SELECT: &str = "SELECT k, v FROM t WHERE id = ?1";
const SCAN: &str = "SELECT id, k, v FROM t ORDER BY id";

fn value(i: i64) -> (String, Vec<u8>) {
    (format!("key-{i:08}"), vec![(i % 251) as u8; 64])
}

fn time(f: impl FnOnce()) -> f64 {
    let start = performance_now();
    f();
    performance_now() - start
}

/// Inserts, point reads and scan through this crate's binding.
fn ours(file: &str, vfs: &str) -> [f64; 3] {
    let conn = Connection::open(file, vfs).expect("open");
    conn.execute_batch(SCHEMA).expect("schema");
    let insert = time(|| {
        let tx = conn.transaction().expect("begin");
        for i in 0..ROWS {
            let (k, v) = value(i);
            tx.execute(INSERT, &[&i, &k, &v]).expect("insert");
        }
        tx.commit().expect("commit");
    });
    let read = time(|| {
        for i in 0..ROWS {
            let row: Option<(String, Vec<u8>)> = conn
                .query_optional(SELECT, &[&i], |row| Ok((row.get(0)?, row.get(1)?)))
                .expect("read");
            assert!(row.is_some());
        }
    });
    let scan = time(|| {
        let rows: Vec<(i64, String, Vec<u8>)> = conn
            .query_map(SCAN, &[], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("scan");
        assert_eq!(rows.len() as i64, ROWS);
    });
    conn.close().expect("close");
    [insert, read, scan]
}

/// The same through rusqlite.
fn theirs(file: &str, vfs: &str) -> [f64; 3] {
    use rusqlite::{params, OpenFlags};
    let conn = rusqlite::Connection::open_with_flags_and_vfs(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        vfs,
    )
    .expect("open");
    conn.execute_batch(SCHEMA).expect("schema");
    let mut conn = conn;
    let insert = time(|| {
        let tx = conn.transaction().expect("begin");
        {
            let mut statement = tx.prepare_cached(INSERT).expect("prepare");
            for i in 0..ROWS {
                let (k, v) = value(i);
                statement.execute(params![i, k, v]).expect("insert");
            }
        }
        tx.commit().expect("commit");
    });
    let read = time(|| {
        for i in 0..ROWS {
            let mut statement = conn.prepare_cached(SELECT).expect("prepare");
            let row: (String, Vec<u8>) = statement
                .query_row(params![i], |row| Ok((row.get(0)?, row.get(1)?)))
                .expect("read");
            assert!(!row.0.is_empty());
        }
    });
    let scan = time(|| {
        let mut statement = conn.prepare_cached(SCAN).expect("prepare");
        let rows: Vec<(i64, String, Vec<u8>)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("scan")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len() as i64, ROWS);
    });
    drop(conn);
    [insert, read, scan]
}

#[wasm_bindgen_test]
async fn sql_binding_ours_against_rusqlite() {
    let vfs = mls_web_store::vfs::memory_vfs().await.expect("memory VFS");
    let mut results: [Vec<f64>; 6] = Default::default();
    for round_index in 0..ROUNDS {
        // Alternate the order so neither side always runs on a warmer heap.
        let (a, b) = (
            format!("ours-{round_index}.db"),
            format!("theirs-{round_index}.db"),
        );
        let (mine, other) = if round_index % 2 == 0 {
            (ours(&a, &vfs), theirs(&b, &vfs))
        } else {
            let other = theirs(&b, &vfs);
            (ours(&a, &vfs), other)
        };
        for i in 0..3 {
            results[i].push(mine[i]);
            results[3 + i].push(other[i]);
        }
    }
    let m: Vec<f64> = results.into_iter().map(median).collect();
    report(format!(
        "{{\"bench\":\"sql_binding\",\"rows\":{ROWS},\"rounds\":{ROUNDS},\
         \"ours_ms\":{{\"insert\":{},\"point_read\":{},\"scan\":{}}},\
         \"rusqlite_ms\":{{\"insert\":{},\"point_read\":{},\"scan\":{}}},\
         \"rusqlite_over_ours\":{{\"insert\":{},\"point_read\":{},\"scan\":{}}}}}",
        round(m[0]),
        round(m[1]),
        round(m[2]),
        round(m[3]),
        round(m[4]),
        round(m[5]),
        round(m[3] / m[0]),
        round(m[4] / m[1]),
        round(m[5] / m[2]),
    ));
}
