//! Conformance tests of schema migrations: fresh, idempotent, down and up, refusals that leave the file as it was.

use super::*;

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
    assert_eq!(
        (report.from_version, report.to_version),
        (latest_version(), 1)
    );
    assert_eq!(
        report.reverted,
        (2..=latest_version()).rev().collect::<Vec<_>>()
    );
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

    let report = store.migrate_to(latest_version()).unwrap();
    assert_eq!(report.applied, (1..=latest_version()).collect::<Vec<_>>());
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

    let error = try_open(&name, choice).await.err().expect("open must fail");
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
    // What a future build would leave behind: a newer version in the history and the header.
    let future = future_migrations();
    migrate::migrate_to_latest(store.connection(), &future, 7).unwrap();
    close_fully(store).await;
    let before = vfs::export_database(backend_of(choice), &name)
        .await
        .unwrap();

    let error = try_open(&name, choice).await.err().expect("open must fail");
    assert_eq!(error.code(), "SCHEMA_TOO_NEW", "{error}");
    assert!(matches!(
        error,
        StoreError::Migration(MigrationError::SchemaTooNew { found, known })
            if found == latest_version() + 1 && known == latest_version()
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
        version: latest_version() + 1,
        description: "a migration from the future",
        up: "CREATE TABLE future_things (id INTEGER PRIMARY KEY);",
        down: "DROP TABLE future_things;",
    });
    list
}

pub(super) async fn release_if_opfs(choice: BackendChoice) {
    if backend_of(choice) == Backend::Opfs {
        vfs::release_opfs_pool().await.expect("release");
    }
}

/// Version 4 moved the store's own state out of the key-value table; down and up again keep it, so an
/// identity and the member hashes made before the move still work after it.
pub async fn internal_state_moves_out_of_key_value_and_back(choice: BackendChoice) {
    let name = unique_name("internal-move");
    let store = open(&name, choice).await;
    let identity = store.mls().create_identity(b"alice").unwrap();
    let chat = store.chat();
    chat.create_channel(&super::new_channel("c", b"alice"), None, 1)
        .unwrap();
    chat.add_members(
        "c",
        &[b"bob".to_vec()],
        mls_web_store::chat::MemberRole::Member,
        2,
    )
    .unwrap();
    let internal_kv = |store: &Store| -> i64 {
        store
            .connection()
            .query_value(
                "SELECT count(*) FROM kv_entries WHERE (namespace, entry_key) IN
                 (VALUES ('mls', 'identity'), ('store', 'member_hash_key'))",
                &[],
            )
            .unwrap()
    };
    assert_eq!(internal_kv(&store), 0);

    store.migrate_to(3).unwrap();
    assert_eq!(
        internal_kv(&store),
        2,
        "version 3 reads its state from kv_entries"
    );
    store.migrate_to(latest_version()).unwrap();
    assert_eq!(internal_kv(&store), 0);
    assert_eq!(store.mls().identity_info().unwrap(), Some(identity));
    store.mls().create_group(None).unwrap();
    assert!(store.chat().is_member("c", b"bob").unwrap());
    close_fully(store).await;
    cleanup(&name, choice).await;
}
