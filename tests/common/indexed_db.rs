//! IndexedDB-backend tests beyond the shared suite: a failed IndexedDB write leaves the previous state, and
//! the store says it is not durable instead of pretending.

use mls_web_store::backend::BackendChoice;
use mls_web_store::store::Store;

use super::chat::{message, new_channel, T0};
use super::{cleanup, open, unique_name};

pub async fn indexed_db_failed_write_keeps_the_previous_state() {
    let choice = BackendChoice::IndexedDb;
    let name = unique_name("idb-fail");
    let store = open(&name, choice).await;
    assert_eq!(store.backend().as_str(), "indexeddb");
    store
        .chat()
        .create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    let batch: Vec<_> = (0..100)
        .map(|i| message(None, b"alice", &format!("kept {i}")))
        .collect();
    store.chat().append_messages("c", &batch, None, T0).unwrap();
    store.sync().await.expect("first batch durable");

    store.break_indexed_db_for_tests();
    store.chat().append_messages("c", &batch, None, T0).unwrap();
    let error = store
        .sync()
        .await
        .expect_err("the write to IndexedDB fails");
    assert_eq!(error.code(), "INDEXEDDB_ERROR", "{error}");
    assert!(
        error.to_string().contains("InvalidStateError"),
        "the DOMException name is kept: {error}"
    );
    // From now on the store refuses to report anything durable.
    store
        .chat()
        .append_message("c", &message(None, b"a", "x"), None, T0)
        .unwrap();
    assert_eq!(store.sync().await.unwrap_err().code(), "STORE_NOT_DURABLE");
    assert_eq!(store.close().unwrap_err().code(), "STORE_NOT_DURABLE");

    let store = open(&name, choice).await;
    assert_eq!(
        store.chat().message_count("c").unwrap(),
        100,
        "the last durable state"
    );
    assert!(store.integrity_check().unwrap().is_empty());
    store.chat().append_messages("c", &batch, None, T0).unwrap();
    store.close_durably().await.unwrap();
    let store = open(&name, choice).await;
    assert_eq!(store.chat().message_count("c").unwrap(), 200);
    store.close_durably().await.unwrap();
    cleanup(&name, choice).await;
}

/// Nothing of an IndexedDB store lives only in memory: after close, the VFS holds no pages, and a reopen
/// reads IndexedDB.
pub async fn indexed_db_reopen_reads_everything_back() {
    let choice = BackendChoice::IndexedDb;
    let name = unique_name("idb-reopen");
    let store = open(&name, choice).await;
    store
        .chat()
        .create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    let batch: Vec<_> = (0..10_000)
        .map(|i| message(Some(&format!("m{i}")), b"alice", &format!("body {i}")))
        .collect();
    store.chat().append_messages("c", &batch, None, T0).unwrap();
    store.kv_put("sync", "token", b"s_1").await.unwrap();
    store.close_durably().await.unwrap();
    let store: Store = open(&name, choice).await;
    assert_eq!(store.chat().message_count("c").unwrap(), 10_000);
    assert_eq!(
        store.chat().message_by_id("m9999").unwrap().unwrap().body,
        b"body 9999"
    );
    assert_eq!(
        store.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"s_1"[..])
    );
    assert!(store.integrity_check().unwrap().is_empty());
    store.close_durably().await.unwrap();
    cleanup(&name, choice).await;
}
