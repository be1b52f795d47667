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

/// The IndexedDB backend holds the whole database in memory, so it has a limit: a write that would grow
/// the database past it fails with `STORE_TOO_LARGE` and is rolled back (the store stays usable), and a
/// database over the limit is refused at open before a page is read. The way out works: open with a
/// larger limit, prune, compact, and it opens under the small limit again.
pub async fn indexed_db_memory_limit_refuses_before_memory_runs_out() {
    use mls_web_store::store::{StoreConfig, StoreError, DEFAULT_MEMORY_LIMIT_BYTES};
    let choice = BackendChoice::IndexedDb;
    let name = unique_name("idb-limit");
    let with_limit = |limit: u64| StoreConfig {
        memory_limit_bytes: limit,
        ..StoreConfig::default()
    };
    assert_eq!(
        StoreConfig::default().memory_limit_bytes,
        DEFAULT_MEMORY_LIMIT_BYTES
    );
    let limit = 1 << 20;
    let store = Store::open_with(&name, choice, with_limit(limit))
        .await
        .unwrap();
    store
        .chat()
        .create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    let body = "x".repeat(1000);
    let mut stored = 0;
    let error = loop {
        let batch: Vec<_> = (0..50).map(|_| message(None, b"alice", &body)).collect();
        match store.chat().append_messages("c", &batch, None, T0) {
            Ok(_) => stored += batch.len(),
            Err(error) => break store.recognize_error(StoreError::from(error)).await,
        }
        store.sync().await.unwrap();
        assert!(
            stored < 2_000,
            "1,000 KB of messages never reached the limit"
        );
    };
    assert_eq!(error.code(), "STORE_TOO_LARGE", "{error}");
    assert!(stored > 0);
    // The failed batch left nothing; the store still reads, writes small things and syncs.
    assert_eq!(store.chat().message_count("c").unwrap(), stored as i64);
    assert!(store.database_bytes().unwrap() <= limit);
    store.kv_put("k", "v", b"still writable").await.unwrap();
    assert!(store.integrity_check().unwrap().is_empty());
    let full_size = store.database_bytes().unwrap();
    store.close_durably().await.unwrap();

    // Over the limit at open: refused, with the size and the limit in the message.
    let small = 256 << 10;
    let refused = Store::open_with(&name, choice, with_limit(small))
        .await
        .err()
        .expect("a store over the limit is refused");
    assert_eq!(refused.code(), "STORE_TOO_LARGE", "{refused}");
    assert!(
        refused.to_string().contains(&full_size.to_string()),
        "{refused}"
    );

    // The way out: a larger limit, prune, compact; then it fits the small limit.
    let store = Store::open_with(&name, choice, with_limit(limit))
        .await
        .unwrap();
    assert_eq!(store.chat().message_count("c").unwrap(), stored as i64);
    store.chat().prune("c", 10).unwrap();
    store.compact().unwrap();
    let compacted = store.database_bytes().unwrap();
    assert!(compacted < full_size, "{compacted} < {full_size}");
    store.close_durably().await.unwrap();
    let store = Store::open_with(&name, choice, with_limit(compacted))
        .await
        .unwrap();
    assert_eq!(store.chat().message_count("c").unwrap(), 10);
    assert!(store.integrity_check().unwrap().is_empty());
    store.close_durably().await.unwrap();
    let refused = Store::open_with(&name, choice, with_limit(compacted - 1))
        .await
        .err()
        .expect("one byte over");
    assert_eq!(refused.code(), "STORE_TOO_LARGE");
    cleanup(&name, choice).await;
}

/// The same limit through the JS API, as apps meet it: `openStore(name, "indexeddb", { memoryLimitBytes })`,
/// a batch that would pass it rejects with `STORE_TOO_LARGE` and writes nothing, `compact()` resolves, a
/// reopen under a smaller limit rejects with the same code, and a limit that is not a positive integer is
/// `INVALID_ARGUMENT`.
pub async fn indexed_db_memory_limit_through_the_js_api() {
    use super::chat_js::{get, object, one};
    use js_sys::{Array, Uint8Array};
    use mls_web_store::js::open_store;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;
    let choice = BackendChoice::IndexedDb;
    let name = unique_name("idb-limit-js");
    let limit = |bytes: f64| object(&[("memoryLimitBytes", JsValue::from(bytes))]);
    let code = |error: JsValue| get(&error, "code").as_string().unwrap_or_default();
    for bad in [0.0, -1.0, 1.5] {
        let refused = open_store(name.clone(), Some("indexeddb".into()), limit(bad)).await;
        assert_eq!(code(refused.err().expect("refused")), "INVALID_ARGUMENT");
    }
    let store = open_store(
        name.clone(),
        Some("indexeddb".into()),
        limit((1 << 20) as f64),
    )
    .await
    .unwrap();
    let bytes = |text: &[u8]| JsValue::from(Uint8Array::from(text));
    one(store.chat_create_channel(
        object(&[("channelId", "c".into()), ("creator", bytes(b"alice"))]),
        JsValue::UNDEFINED,
    ))
    .await;
    let body = vec![b'x'; 1000];
    let batch = || -> Array {
        (0..50)
            .map(|_| object(&[("sender", bytes(b"alice")), ("body", bytes(&body))]))
            .collect()
    };
    let mut stored = 0.0;
    let refusal = loop {
        match JsFuture::from(store.chat_append_messages("c".into(), batch(), JsValue::UNDEFINED))
            .await
        {
            Ok(_) => stored += 50.0,
            Err(error) => break error,
        }
        assert!(stored < 2_000.0, "never reached the limit");
    };
    assert_eq!(code(refusal.clone()), "STORE_TOO_LARGE", "{refusal:?}");
    assert_eq!(one(store.chat_message_count("c".into())).await, stored);
    one(store.compact()).await;
    JsFuture::from(store.close()).await.unwrap();
    let refused = open_store(
        name.clone(),
        Some("indexeddb".into()),
        limit((256 << 10) as f64),
    )
    .await;
    assert_eq!(
        code(refused.err().expect("over the limit")),
        "STORE_TOO_LARGE"
    );
    cleanup(&name, choice).await;
}
