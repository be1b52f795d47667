//! Conformance tests of the SQL core through a store's connection: transactions, errors, value conversions.

use super::*;

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
