//! Conformance tests of what survives a close and reopen, and of damaged files giving typed errors.

use super::migrations::release_if_opfs;
use super::*;

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

    let error = try_open(&name, choice).await.err().expect("open must fail");
    if encrypted() {
        // Page 1 fails its authentication tag: to the cipher that is the same as a wrong key.
        assert_eq!(error.code(), "WRONG_KEY", "{error}");
    } else {
        assert_eq!(error.code(), "DATABASE_CORRUPT", "{error}");
        assert!(matches!(error, StoreError::Corrupt { .. }));
    }
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
    let error = try_open(&name, choice)
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
        let error = try_open(name, choice)
            .await
            .err()
            .expect("bad name must fail");
        assert_eq!(error.code(), "INVALID_STORE_NAME", "{name:?}");
    }
}
