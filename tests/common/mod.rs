//! The store conformance suite: every test is a function of the backend, and `store_conformance_suite!`
//! instantiates all of them for one backend inside a test binary (main thread or dedicated worker).
//! Each test uses a unique store name and deletes its files at the end, so tests run in any order.
#![allow(dead_code)]

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::schema::{latest_version, Migration, MIGRATIONS};
use mls_web_store::sql::migrate::{self, MigrationError};
use mls_web_store::sql::{ColumnError, Connection, SqlError};
use mls_web_store::store::{Store, StoreError};
use mls_web_store::vfs;

/// The schema after all migrations, as checked in. Regenerate by copying the `actual` text a failing
/// `schema_matches_snapshot` prints, after adding a migration (never after editing one).
pub const SCHEMA_SNAPSHOT: &str = include_str!("../schema/schema.sql");

/// A store name no other test uses.
pub fn unique_name(test: &str) -> String {
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("{test}-{random:x}")
}

pub fn backend_of(choice: BackendChoice) -> Backend {
    match choice {
        BackendChoice::Memory => Backend::Memory,
        BackendChoice::Opfs | BackendChoice::Auto => Backend::Opfs,
    }
}

pub async fn open(name: &str, choice: BackendChoice) -> Store {
    match Store::open(name, choice).await {
        Ok(store) => store,
        Err(error) => panic!(
            "opening {name} on {choice:?} failed: {error} ({})",
            error.code()
        ),
    }
}

/// Closes the store and, for OPFS, releases the access handles, as a page unload would.
pub async fn close_fully(store: Store) {
    let backend = store.backend();
    store.close().expect("close");
    if backend == Backend::Opfs {
        vfs::release_opfs_pool().await.expect("release OPFS pool");
    }
}

pub async fn cleanup(name: &str, choice: BackendChoice) {
    vfs::delete_database(backend_of(choice), name)
        .await
        .expect("delete test database");
}

/// `sqlite_schema` as text, one object per paragraph, in a stable order.
pub fn schema_dump(conn: &Connection) -> String {
    let rows: Vec<(String, String, String)> = conn
        .query_map(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            &[],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("read sqlite_schema");
    rows.into_iter()
        .map(|(kind, name, sql)| format!("-- {kind} {name}\n{sql};\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn history_without_times(store: &Store) -> Vec<(u32, String, String)> {
    store
        .schema_history()
        .expect("history")
        .into_iter()
        .map(|m| (m.version, m.description, m.checksum))
        .collect()
}

// ---------------------------------------------------------------------------------------------- migrations

pub async fn fresh_store_is_at_latest_schema(choice: BackendChoice) {
    let name = unique_name("fresh");
    let store = open(&name, choice).await;
    assert_eq!(store.backend(), backend_of(choice));
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let history = store.schema_history().unwrap();
    assert_eq!(history.len(), MIGRATIONS.len());
    for (applied, migration) in history.iter().zip(MIGRATIONS) {
        assert_eq!(applied.version, migration.version);
        assert_eq!(applied.description, migration.description);
        assert_eq!(applied.checksum, migration.checksum());
        assert!(applied.applied_at_ms > 0);
    }
    let user_version: u32 = store
        .connection()
        .query_value("PRAGMA user_version", &[])
        .unwrap();
    assert_eq!(user_version, latest_version());
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    let foreign_keys: i64 = store
        .connection()
        .query_value("PRAGMA foreign_keys", &[])
        .unwrap();
    assert_eq!(foreign_keys, 1);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn schema_matches_snapshot(choice: BackendChoice) {
    let name = unique_name("snapshot");
    let store = open(&name, choice).await;
    let actual = schema_dump(store.connection());
    assert!(
        actual.trim() == SCHEMA_SNAPSHOT.trim(),
        "schema differs from tests/schema/schema.sql; actual:\n{actual}"
    );
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn reopening_changes_nothing(choice: BackendChoice) {
    let name = unique_name("idempotent");
    let store = open(&name, choice).await;
    let schema = schema_dump(store.connection());
    let history = store.schema_history().unwrap();
    close_fully(store).await;

    let store = open(&name, choice).await;
    assert_eq!(schema_dump(store.connection()), schema);
    // Same rows, same applied times: nothing was re-applied.
    assert_eq!(store.schema_history().unwrap(), history);
    let report = store.migrate_to(latest_version()).unwrap();
    assert!(report.applied.is_empty() && report.reverted.is_empty());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn rolls_back_and_forward(choice: BackendChoice) {
    let name = unique_name("rollback");
    let store = open(&name, choice).await;
    let full_schema = schema_dump(store.connection());
    let full_history = history_without_times(&store);

    let report = store.migrate_to(1).unwrap();
    assert_eq!((report.from_version, report.to_version), (2, 1));
    assert_eq!(report.reverted, vec![2]);
    assert_eq!(store.schema_version().unwrap(), 1);
    assert!(!schema_dump(store.connection()).contains("chat_messages"));
    assert!(schema_dump(store.connection()).contains("mls_group_data"));

    let report = store.migrate_to(0).unwrap();
    assert_eq!(report.reverted, vec![1]);
    let tables: Vec<String> = store
        .connection()
        .query_map(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(tables, vec!["schema_history".to_owned()]);
    assert!(store.schema_history().unwrap().is_empty());

    let report = store.migrate_to(2).unwrap();
    assert_eq!(report.applied, vec![1, 2]);
    assert_eq!(schema_dump(store.connection()), full_schema);
    assert_eq!(history_without_times(&store), full_history);

    match store.migrate_to(latest_version() + 1) {
        Err(error) => assert_eq!(error.code(), "UNKNOWN_SCHEMA_VERSION"),
        Ok(report) => panic!("migrated to an unknown version: {report:?}"),
    }
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// Every down migration restores exactly the schema its up migration started from.
pub async fn every_down_undoes_its_up(choice: BackendChoice) {
    let name = unique_name("updown");
    let store = open(&name, choice).await;
    store.migrate_to(0).unwrap();
    let conn = store.connection();
    for migration in MIGRATIONS {
        let before = schema_dump(conn);
        migrate::migrate_to(conn, MIGRATIONS, migration.version, 1).unwrap();
        assert_ne!(
            schema_dump(conn),
            before,
            "migration {} changed nothing",
            migration.version
        );
        migrate::migrate_to(conn, MIGRATIONS, migration.version - 1, 1).unwrap();
        assert_eq!(
            schema_dump(conn),
            before,
            "down of {} is not the inverse of up",
            migration.version
        );
        migrate::migrate_to(conn, MIGRATIONS, migration.version, 1).unwrap();
    }
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn checksum_mismatch_is_refused_and_file_untouched(choice: BackendChoice) {
    let name = unique_name("checksum");
    let store = open(&name, choice).await;
    store
        .connection()
        .execute(
            "UPDATE schema_history SET checksum = 'edited' WHERE version = 1",
            &[],
        )
        .unwrap();
    close_fully(store).await;
    let before = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();

    let error = Store::open(&name, choice)
        .await
        .err()
        .expect("open must fail");
    assert_eq!(error.code(), "SCHEMA_CHECKSUM_MISMATCH", "{error}");
    assert!(matches!(
        error,
        StoreError::Migration(MigrationError::ChecksumMismatch { version: 1, .. })
    ));
    release_if_opfs(choice).await;
    let after = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();
    assert!(before == after, "a refused open changed the file");
    cleanup(&name, choice).await;
}

pub async fn newer_schema_is_refused_and_file_untouched(choice: BackendChoice) {
    let name = unique_name("newer");
    let store = open(&name, choice).await;
    // What a future build would leave behind: a version 3 in the history and the header.
    let future = future_migrations();
    migrate::migrate_to_latest(store.connection(), &future, 7).unwrap();
    close_fully(store).await;
    let before = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();

    let error = Store::open(&name, choice)
        .await
        .err()
        .expect("open must fail");
    assert_eq!(error.code(), "SCHEMA_TOO_NEW", "{error}");
    assert!(matches!(
        error,
        StoreError::Migration(MigrationError::SchemaTooNew { found: 3, known: 2 })
    ));
    release_if_opfs(choice).await;
    let after = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();
    assert!(before == after, "a refused open changed the file");
    cleanup(&name, choice).await;
}

fn future_migrations() -> Vec<Migration> {
    let mut list = MIGRATIONS.to_vec();
    list.push(Migration {
        version: 3,
        description: "a migration from the future",
        up: "CREATE TABLE future_things (id INTEGER PRIMARY KEY);",
        down: "DROP TABLE future_things;",
    });
    list
}

async fn release_if_opfs(choice: BackendChoice) {
    if backend_of(choice) == Backend::Opfs {
        vfs::release_opfs_pool().await.expect("release");
    }
}

// -------------------------------------------------------------------------------------- restart, corruption

pub async fn data_survives_close_and_reopen(choice: BackendChoice) {
    let name = unique_name("restart");
    let store = open(&name, choice).await;
    for i in 0..50u32 {
        store
            .kv_put("sync", &format!("cursor-{i}"), &i.to_le_bytes())
            .await
            .unwrap();
    }
    store.kv_delete("sync", "cursor-7").await.unwrap();
    close_fully(store).await;

    let store = open(&name, choice).await;
    for i in 0..50u32 {
        let value = store.kv_get("sync", &format!("cursor-{i}")).await.unwrap();
        if i == 7 {
            assert_eq!(value, None);
        } else {
            assert_eq!(value, Some(i.to_le_bytes().to_vec()));
        }
    }
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// Overwrites everything after the 100-byte file header with garbage: the schema page is unreadable.
pub async fn corrupted_file_gives_typed_error(choice: BackendChoice) {
    let name = unique_name("corrupt");
    let store = open(&name, choice).await;
    store.kv_put("ns", "k", b"value").await.unwrap();
    close_fully(store).await;
    let mut bytes = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();
    for (i, byte) in bytes.iter_mut().enumerate().skip(100) {
        *byte = (i as u8).wrapping_mul(31) ^ 0xA5;
    }
    vfs::import_database(backend_of(choice), &name, &bytes)
        .await
        .unwrap();

    let error = Store::open(&name, choice)
        .await
        .err()
        .expect("open must fail");
    assert_eq!(error.code(), "DATABASE_CORRUPT", "{error}");
    assert!(matches!(error, StoreError::Corrupt { .. }));
    release_if_opfs(choice).await;
    cleanup(&name, choice).await;
}

/// Garbage in a data page only: the store opens, reading the damaged table is a typed error, and the
/// integrity check names the damage.
pub async fn corrupted_data_page_gives_typed_error(choice: BackendChoice) {
    let name = unique_name("corrupt-page");
    let store = open(&name, choice).await;
    let big = vec![0x42u8; 4000];
    for i in 0..40 {
        store.kv_put("ns", &format!("k{i}"), &big).await.unwrap();
    }
    let page_size: usize = store
        .connection()
        .query_value("PRAGMA page_size", &[])
        .unwrap();
    let kv_root: usize = store
        .connection()
        .query_value(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'kv_entries'",
            &[],
        )
        .unwrap();
    close_fully(store).await;
    let mut bytes = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();
    let start = (kv_root - 1) * page_size;
    bytes[start..start + page_size].fill(0xEE);
    vfs::import_database(backend_of(choice), &name, &bytes)
        .await
        .unwrap();

    let store = open(&name, choice).await;
    match store.kv_get("ns", "k1").await {
        Err(error) => assert_eq!(error.code(), "DATABASE_CORRUPT", "{error}"),
        Ok(value) => panic!("read a damaged page without error: {value:?}"),
    }
    match store.integrity_check() {
        Ok(problems) => assert!(!problems.is_empty()),
        Err(error) => assert_eq!(error.code(), "DATABASE_CORRUPT", "{error}"),
    }
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn a_store_cannot_be_opened_twice(choice: BackendChoice) {
    let name = unique_name("twice");
    let store = open(&name, choice).await;
    let error = Store::open(&name, choice)
        .await
        .err()
        .expect("second open must fail");
    assert_eq!(error.code(), "STORE_ALREADY_OPEN");
    let error = vfs::delete_database(backend_of(choice), &name)
        .await
        .expect_err("deleting an open store must fail");
    assert!(matches!(error, vfs::VfsError::InUse { .. }));
    close_fully(store).await;
    let store = open(&name, choice).await;
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn invalid_names_are_refused(choice: BackendChoice) {
    for name in ["", "../escape", "a/b", ".hidden"] {
        let error = Store::open(name, choice)
            .await
            .err()
            .expect("bad name must fail");
        assert_eq!(error.code(), "INVALID_STORE_NAME", "{name:?}");
    }
}

// ------------------------------------------------------------------------------------------------ SQL core

pub async fn transactions_commit_or_roll_back(choice: BackendChoice) {
    let name = unique_name("tx");
    let store = open(&name, choice).await;
    let conn = store.connection();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .unwrap();
    {
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t (v) VALUES (?1)", &[&"dropped"])
            .unwrap();
        // Dropped without commit.
    }
    assert_eq!(
        conn.query_value::<i64>("SELECT count(*) FROM t", &[])
            .unwrap(),
        0
    );
    assert!(conn.is_autocommit());

    let failing = || -> Result<(), SqlError> {
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t (v) VALUES (?1)", &[&"first"])?;
        tx.execute("INSERT INTO t (v) VALUES (?1)", &[&None::<String>])?;
        tx.commit()
    };
    let error = failing().unwrap_err();
    assert!(error.is_constraint(), "{error}");
    assert_eq!(
        conn.query_value::<i64>("SELECT count(*) FROM t", &[])
            .unwrap(),
        0
    );

    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t (v) VALUES (?1)", &[&"kept"])
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        conn.query_value::<String>("SELECT v FROM t", &[]).unwrap(),
        "kept"
    );

    let tx = conn.transaction().unwrap();
    let nested = conn.transaction().err().expect("nested BEGIN must fail");
    assert_eq!(nested.sqlite_code(), Some(1));
    tx.rollback().unwrap();
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn errors_carry_code_message_and_sql(choice: BackendChoice) {
    let name = unique_name("errors");
    let store = open(&name, choice).await;
    let conn = store.connection();
    match conn.execute("SELECT * FROM no_such_table", &[]) {
        Err(SqlError::Sqlite {
            code, message, sql, ..
        }) => {
            assert_eq!(code, 1);
            assert!(message.contains("no such table"), "{message}");
            assert_eq!(sql.as_deref(), Some("SELECT * FROM no_such_table"));
        }
        other => panic!("expected a SQLite error, got {other:?}"),
    }
    match conn.execute("SELECT ?1, ?2", &[&1i64]) {
        Err(SqlError::ParameterCount {
            expected: 2,
            given: 1,
            ..
        }) => {}
        other => panic!("expected a parameter count error, got {other:?}"),
    }
    match conn.query_value::<String>("SELECT 42", &[]) {
        Err(SqlError::Column {
            index: 0,
            reason:
                ColumnError::Type {
                    expected: "TEXT",
                    found: "INTEGER",
                },
            ..
        }) => {}
        other => panic!("expected a column type error, got {other:?}"),
    }
    match conn.query_value::<u8>("SELECT 300", &[]) {
        Err(SqlError::Column {
            reason: ColumnError::OutOfRange { value: 300, .. },
            ..
        }) => {}
        other => panic!("expected an out-of-range error, got {other:?}"),
    }
    match conn.query_value::<String>("SELECT CAST(x'ff' AS TEXT)", &[]) {
        Err(SqlError::Column {
            reason: ColumnError::InvalidUtf8,
            ..
        }) => {}
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
    match conn.query_row("SELECT 1 WHERE 0", &[], |row| row.get::<i64>(0)) {
        Err(SqlError::NoRow { .. }) => {}
        other => panic!("expected NoRow, got {other:?}"),
    }
    assert!(conn
        .query_row("SELECT 1", &[], |row| row.get::<i64>(5))
        .is_err());
    assert!(conn.prepare_cached("SELECT 1; SELECT 2").is_err());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn values_round_trip_through_cached_statements(choice: BackendChoice) {
    let name = unique_name("values");
    let store = open(&name, choice).await;
    let conn = store.connection();
    conn.execute_batch(
        "CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n INTEGER, flag INTEGER)",
    )
    .unwrap();
    let insert = "INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    for i in 0..100i64 {
        let blob = vec![i as u8; i as usize];
        conn.execute(
            insert,
            &[
                &i,
                &(i as f64 / 2.0),
                &format!("text {i} ✓"),
                &blob,
                &None::<i64>,
                &(i % 2 == 0),
            ],
        )
        .unwrap();
    }
    let rows = conn
        .query_map("SELECT i, r, t, b, n, flag FROM v ORDER BY i", &[], |row| {
            Ok((
                row.get::<i64>(0)?,
                row.get::<f64>(1)?,
                row.get::<String>(2)?,
                row.get::<Vec<u8>>(3)?,
                row.get::<Option<i64>>(4)?,
                row.get::<bool>(5)?,
            ))
        })
        .unwrap();
    assert_eq!(rows.len(), 100);
    for (i, row) in rows.into_iter().enumerate() {
        let i = i as i64;
        assert_eq!(
            row,
            (
                i,
                i as f64 / 2.0,
                format!("text {i} ✓"),
                vec![i as u8; i as usize],
                None,
                i % 2 == 0
            )
        );
    }
    assert_eq!(conn.last_insert_rowid(), 100);
    assert_eq!(conn.execute("DELETE FROM v WHERE i < 10", &[]).unwrap(), 10);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// Instantiates the suite for one backend.
#[macro_export]
macro_rules! store_conformance_suite {
    ($choice:expr; $($test:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $test() {
                common::$test($choice).await;
            }
        )*
    };
    ($choice:expr) => {
        store_conformance_suite!($choice;
            fresh_store_is_at_latest_schema,
            schema_matches_snapshot,
            reopening_changes_nothing,
            rolls_back_and_forward,
            every_down_undoes_its_up,
            checksum_mismatch_is_refused_and_file_untouched,
            newer_schema_is_refused_and_file_untouched,
            data_survives_close_and_reopen,
            corrupted_file_gives_typed_error,
            corrupted_data_page_gives_typed_error,
            a_store_cannot_be_opened_twice,
            invalid_names_are_refused,
            transactions_commit_or_roll_back,
            errors_carry_code_message_and_sql,
            values_round_trip_through_cached_statements,
        );
    };
}
