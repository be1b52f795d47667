//! Pages on demand: an IndexedDB store larger than its page cache holds only the pages it used lately, and
//! every operation run through `Store::run` (as every JS method runs) sees the whole database, writes
//! exactly once however often it is retried, and refuses to read once another tab took the store over.

use std::cell::Cell;

use js_sys::{Array, Uint8Array};
use mls_web_store::backend::BackendChoice;
use mls_web_store::backup::{ExportOptions, ImportOptions};
use mls_web_store::chat::PageCursor;
use mls_web_store::store::{Store, StoreConfig, StoreKey};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::chat::{message, new_channel, T0};
use super::chat_js::{all, get, object, one};
use super::{cleanup, unique_name};

const CHOICE: BackendChoice = BackendChoice::IndexedDb;
/// About 4 MB of database: some 500 pages.
const MESSAGES: usize = 20_000;
/// 32 pages: a small fraction of the database, so nearly every operation misses.
const CACHE: u64 = 256 << 10;

fn body(i: usize) -> String {
    format!("body {i} {}", "x".repeat(100))
}

fn paged() -> StoreConfig {
    StoreConfig {
        page_cache_bytes: CACHE,
        ..StoreConfig::default()
    }
}

/// A store of `MESSAGES` messages in channel "c", written held whole, closed.
async fn filled(name: &str, key: Option<&StoreKey>) {
    let store = Store::open_with_key(name, CHOICE, StoreConfig::default(), key)
        .await
        .unwrap();
    assert!(!store.is_paged());
    store
        .chat()
        .create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    for start in (0..MESSAGES).step_by(2_000) {
        let batch: Vec<_> = (start..start + 2_000)
            .map(|i| message(Some(&format!("m{i}")), b"alice", &body(i)))
            .collect();
        store.chat().append_messages("c", &batch, None, T0).unwrap();
    }
    store.close_durably().await.unwrap();
}

/// Opened under a small cache, a store reads every message (newest page, paging back through all of
/// them, by id), writes, stays within its cache between operations, and reopens whole and sound.
pub async fn indexed_db_paged_store_reads_and_writes_everything() {
    for key in [None, Some(StoreKey::from_slice(&[7; 32]).unwrap())] {
        let name = unique_name("idb-paged");
        filled(&name, key.as_ref()).await;
        let store = Store::open_with_key(&name, CHOICE, paged(), key.as_ref())
            .await
            .unwrap();
        assert!(store.is_paged());
        let database = store.database_bytes().unwrap();
        assert!(database > 8 * CACHE, "{database} bytes");

        let newest = store
            .run(|s| s.chat().page("c", PageCursor::Newest, 100))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(newest.messages[0].message_id, format!("m{}", MESSAGES - 1));
        let mut seen = newest.messages.len();
        let mut before = newest.messages.last().unwrap().seq;
        loop {
            let page = store
                .run(|s| s.chat().page("c", PageCursor::Before(before), 1000))
                .await
                .unwrap()
                .unwrap();
            seen += page.messages.len();
            before = page.messages.last().unwrap().seq;
            if !page.has_more {
                break;
            }
        }
        assert_eq!(seen, MESSAGES);
        for i in [0, 7_777, 12_345, MESSAGES - 1] {
            let found = store
                .run(|s| s.chat().message_by_id(&format!("m{i}")))
                .await
                .unwrap()
                .unwrap()
                .expect("stored");
            assert_eq!(found.body, body(i).as_bytes());
        }

        let batch: Vec<_> = (0..500)
            .map(|i| message(None, b"bob", &format!("new {i}")))
            .collect();
        store
            .run(|s| s.chat().append_messages("c", &batch, None, T0))
            .await
            .unwrap()
            .unwrap();
        store
            .run(|s| s.chat().mark_processed("c", &[1, 2, 3]))
            .await
            .unwrap()
            .unwrap();
        store.sync().await.unwrap();
        // A run evicts before it starts: between operations the store holds at most its cache.
        store.run(|_| ()).await.unwrap();
        let held = store.held_page_bytes();
        assert!(held <= CACHE, "{held} bytes held, cache {CACHE}");
        store.close_durably().await.unwrap();

        let store = Store::open_with_key(&name, CHOICE, StoreConfig::default(), key.as_ref())
            .await
            .unwrap();
        assert!(!store.is_paged());
        assert_eq!(
            store.chat().message_count("c").unwrap(),
            (MESSAGES + 500) as i64
        );
        assert_eq!(
            store.chat().unprocessed_count("c").unwrap(),
            (MESSAGES + 497) as i64
        );
        assert!(store.integrity_check().unwrap().is_empty());
        store.close_durably().await.unwrap();
        cleanup(&name, CHOICE).await;
    }
}

/// An attempt that committed a write and then missed a page is undone and run again: the write is made
/// once, by the attempt that ran whole. The same miss in a direct call is `PAGE_NOT_LOADED`.
pub async fn indexed_db_a_miss_after_a_commit_is_undone_and_run_again() {
    let name = unique_name("idb-undo");
    filled(&name, None).await;
    let store = Store::open_with(&name, CHOICE, paged()).await.unwrap();
    let attempts = Cell::new(0);
    let appended = store
        .run(|s| {
            attempts.set(attempts.get() + 1);
            let appended =
                s.chat()
                    .append_message("c", &message(None, b"bob", "once"), None, T0)?;
            if attempts.get() == 1 {
                // Whatever the append did not write is gone: the read below must miss.
                s.drop_clean_pages_for_tests();
            }
            let old = s.chat().message_by_id("m4321")?;
            Ok::<_, mls_web_store::chat::ChatError>((appended, old))
        })
        .await
        .unwrap()
        .unwrap();
    assert!(attempts.get() >= 2, "{} attempts", attempts.get());
    assert_eq!(appended.1.expect("found").body, body(4321).as_bytes());
    // Outside `Store::run` the same miss is a typed error; the run below still finds everything.
    store.drop_clean_pages_for_tests();
    let direct = store
        .chat()
        .message_by_id("m4321")
        .expect_err("the page is not in memory");
    assert_eq!(
        direct.code(),
        mls_web_store::ErrorCode::PageNotLoaded,
        "{direct}"
    );
    assert_eq!(
        appended.0.seq,
        MESSAGES as i64 + 1,
        "one append, not one per attempt"
    );
    let count = store
        .run(|s| s.chat().message_count("c"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, MESSAGES as i64 + 1);
    store.close_durably().await.unwrap();
    let store = Store::open(&name, CHOICE).await.unwrap();
    assert_eq!(
        store.chat().message_count("c").unwrap(),
        MESSAGES as i64 + 1
    );
    assert!(store.integrity_check().unwrap().is_empty());
    store.close_durably().await.unwrap();
    cleanup(&name, CHOICE).await;
}

/// Pages read from IndexedDB are fenced like writes: once another tab took the store over, a read that
/// misses is refused with `OWNER_CHANGED` instead of mixing the new owner's pages into this one's.
pub async fn indexed_db_paged_reads_are_fenced() {
    let name = unique_name("idb-fence");
    filled(&name, None).await;
    let store = Store::open_with(&name, CHOICE, paged()).await.unwrap();
    mls_web_store::vfs::take_over_for_tests(&name)
        .await
        .unwrap();
    store.drop_clean_pages_for_tests();
    let refused = store
        .run(|s| s.chat().message_count("c"))
        .await
        .expect_err("another owner holds the store");
    assert_eq!(refused.code(), "OWNER_CHANGED", "{refused}");
    let again = store.run(|s| s.chat().message_count("c")).await;
    assert_eq!(again.unwrap_err().code(), "OWNER_CHANGED");
    drop(store);
    cleanup(&name, CHOICE).await;
}

/// Backups and `compact()` read the whole database: on a paged store they load it first, and what they
/// produce equals the store.
pub async fn indexed_db_paged_store_exports_imports_and_compacts() {
    let name = unique_name("idb-paged-backup");
    filled(&name, None).await;
    let store = Store::open_with(&name, CHOICE, paged()).await.unwrap();
    let archive = store
        .export_backup(ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    store
        .run(|s| s.chat().prune("c", 100))
        .await
        .unwrap()
        .unwrap();
    store.sync().await.unwrap();
    store.compact_loaded().await.unwrap();
    store.sync().await.unwrap();
    assert!(store.database_bytes().unwrap() < 8 * CACHE);
    store
        .import_backup(&archive, &ImportOptions::default())
        .await
        .unwrap();
    let count = store
        .run(|s| s.chat().message_count("c"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, MESSAGES as i64);
    assert!(store.integrity_check_loaded().await.unwrap().is_empty());
    store.close_durably().await.unwrap();
    cleanup(&name, CHOICE).await;
}

/// The JS API on a paged store (`pageCacheBytes`): concurrent writes and reads, key-value, the integrity
/// check and `compact()` all see the whole database.
pub async fn indexed_db_paged_store_through_the_js_api() {
    let name = unique_name("idb-paged-js");
    filled(&name, None).await;
    let options = object(&[("pageCacheBytes", JsValue::from(CACHE as f64))]);
    let store = mls_web_store::js::open_store(name.clone(), Some("indexeddb".into()), options)
        .await
        .unwrap();
    let bytes = |text: &[u8]| JsValue::from(Uint8Array::from(text));
    let batch = |sender: &[u8]| -> Array {
        (0..100)
            .map(|i| {
                object(&[
                    ("sender", bytes(sender)),
                    ("body", bytes(format!("js {i}").as_bytes())),
                ])
            })
            .collect()
    };
    let mut calls = Vec::new();
    for sender in [&b"a"[..], b"b", b"c", b"d"] {
        calls.push(store.chat_append_messages("c".into(), batch(sender), JsValue::UNDEFINED));
        calls.push(store.chat_page(
            "c".into(),
            object(&[
                ("before", JsValue::from(5_000)),
                ("limit", JsValue::from(10)),
            ]),
        ));
    }
    calls.push(store.kv_put("ns".into(), "k".into(), b"v".to_vec()));
    let settled = all(calls).await;
    let page = &settled[1];
    let messages = Array::from(&get(page, "messages"));
    assert_eq!(get(&messages.get(0), "seq").as_f64(), Some(4_999.0));
    let count = one(store.chat_message_count("c".into())).await;
    assert_eq!(count.as_f64(), Some((MESSAGES + 400) as f64));
    let value = one(store.kv_get("ns".into(), "k".into())).await;
    assert_eq!(Uint8Array::from(value).to_vec(), b"v");
    let problems = one(store.integrity_check()).await;
    assert_eq!(Array::from(&problems).length(), 0);
    one(store.compact()).await;
    JsFuture::from(store.close()).await.unwrap();
    let store = Store::open(&name, CHOICE).await.unwrap();
    assert_eq!(
        store.chat().message_count("c").unwrap(),
        (MESSAGES + 400) as i64
    );
    store.close_durably().await.unwrap();
    cleanup(&name, CHOICE).await;
}

/// Runs `op` on a paged store so that an attempt in which `op` succeeded then misses a page: that attempt,
/// `op`'s writes included, is undone, and `op` runs again. Returns the result of the attempt that counted.
async fn run_undone_once<T, E>(store: &Store, op: impl Fn(&Store) -> Result<T, E>) -> Result<T, E> {
    // The attempt in which `op` succeeded and the pages were dropped behind it.
    let dropped_in = Cell::new(0);
    let attempts = Cell::new(0);
    let out = store
        .run(|s| {
            attempts.set(attempts.get() + 1);
            let out = op(s);
            if out.is_ok() && dropped_in.get() == 0 {
                dropped_in.set(attempts.get());
                s.drop_clean_pages_for_tests();
            }
            // A read far from what `op` touched: after the drop it misses.
            let _ = s.chat().message_by_id("m4321");
            out
        })
        .await
        .expect("run");
    assert!(
        dropped_in.get() > 0 && attempts.get() > dropped_in.get(),
        "the attempt that succeeded was undone: {} attempts, dropped in {}",
        attempts.get(),
        dropped_in.get()
    );
    out
}

/// MLS on a paged store, every operation of Alice's undone once after it succeeded and run again: the
/// attempt that counts starts from the state before the undone one (no ratchet step, epoch or key package
/// is used twice), so Bob (on a memory store) reads every message and both stay in step; after a reopen
/// Alice goes on.
pub async fn indexed_db_paged_mls_operations_undone_and_run_again_stay_in_step() {
    use mls_web_store::mls::{Incoming, WelcomeConfig};
    let name = unique_name("idb-paged-mls");
    filled(&name, None).await;
    let alice_store = Store::open_with(&name, CHOICE, paged()).await.unwrap();
    let bob_name = unique_name("idb-paged-mls-bob");
    let bob_store = Store::open(&bob_name, BackendChoice::Memory).await.unwrap();
    let bob = bob_store.mls();
    bob.create_identity(b"bob").unwrap();
    run_undone_once(&alice_store, |s| s.mls().create_identity(b"alice"))
        .await
        .unwrap();

    let key_package = bob.generate_key_packages(1, false).unwrap().remove(0);
    let group_id = run_undone_once(&alice_store, |s| s.mls().create_group(Some(b"paged")))
        .await
        .unwrap();
    let added = run_undone_once(&alice_store, |s| {
        s.mls()
            .add_members(&group_id, std::slice::from_ref(&key_package.key_package))
    })
    .await
    .unwrap();
    let epoch = run_undone_once(&alice_store, |s| s.mls().merge_pending_commit(&group_id))
        .await
        .unwrap();
    assert_eq!(epoch, 1);
    let welcome_id = bob.receive_welcome(&added.welcome, T0).unwrap();
    bob.process_welcome(&welcome_id, T0, WelcomeConfig::default())
        .unwrap();
    bob.confirm_welcome(&welcome_id, T0).unwrap();

    for i in 0..5 {
        let text = format!("alice says {i}");
        let ciphertext = run_undone_once(&alice_store, |s| {
            s.mls().encrypt(&group_id, text.as_bytes())
        })
        .await
        .unwrap();
        assert_eq!(
            bob.process_message(&group_id, &ciphertext).unwrap(),
            Incoming::Application {
                plaintext: text.into_bytes(),
                sender: b"alice".to_vec()
            }
        );
        let reply = bob
            .encrypt(&group_id, format!("ack {i}").as_bytes())
            .unwrap();
        let read = run_undone_once(&alice_store, |s| s.mls().process_message(&group_id, &reply))
            .await
            .unwrap();
        assert_eq!(
            read,
            Incoming::Application {
                plaintext: format!("ack {i}").into_bytes(),
                sender: b"bob".to_vec()
            }
        );
    }
    alice_store.sync().await.unwrap();
    alice_store.close_durably().await.unwrap();

    let alice_store = Store::open_with(&name, CHOICE, paged()).await.unwrap();
    let ciphertext = alice_store
        .run(|s| s.mls().encrypt(&group_id, b"after reopen"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        bob.process_message(&group_id, &ciphertext).unwrap(),
        Incoming::Application {
            plaintext: b"after reopen".to_vec(),
            sender: b"alice".to_vec()
        }
    );
    let epoch = alice_store
        .run(|s| s.mls().group_epoch(&group_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(epoch, 1);
    alice_store.close_durably().await.unwrap();
    bob_store.close_durably().await.unwrap();
    cleanup(&name, CHOICE).await;
    cleanup(&bob_name, BackendChoice::Memory).await;
}
