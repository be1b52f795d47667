//! Browser tests of the IndexedDB backend in a dedicated worker: the conformance suite, and a store of the
//! same name on OPFS and on IndexedDB staying two stores.
#![cfg(target_family = "wasm")]

mod common;

use mls_web_store::backend::BackendChoice;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

store_conformance_suite!(BackendChoice::IndexedDb);

#[wasm_bindgen_test]
async fn the_same_name_on_opfs_and_indexed_db_are_two_stores() {
    let name = common::unique_name("both");
    let opfs = common::open(&name, BackendChoice::Opfs).await;
    let idb = common::open(&name, BackendChoice::IndexedDb).await;
    opfs.kv_put("which", "backend", b"opfs").await.unwrap();
    idb.kv_put("which", "backend", b"indexeddb").await.unwrap();
    common::close_fully(opfs).await;
    common::close_fully(idb).await;
    let opfs = common::open(&name, BackendChoice::Opfs).await;
    let idb = common::open(&name, BackendChoice::IndexedDb).await;
    assert_eq!(
        opfs.kv_get("which", "backend").await.unwrap().as_deref(),
        Some(&b"opfs"[..])
    );
    assert_eq!(
        idb.kv_get("which", "backend").await.unwrap().as_deref(),
        Some(&b"indexeddb"[..])
    );
    common::close_fully(opfs).await;
    common::close_fully(idb).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
    common::cleanup(&name, BackendChoice::IndexedDb).await;
}

/// `auto` follows the placement record: a store created on IndexedDB opens there from a worker that has OPFS
/// too, and only a store the record has never seen goes to OPFS (or, where OPFS is unavailable, IndexedDB,
/// saying why).
#[wasm_bindgen_test]
async fn auto_follows_the_placement_record() {
    use mls_web_store::backend::{Backend, BackendReason};
    use mls_web_store::store::{delete_store, Store};

    let name = common::unique_name("placement");
    let store = common::open(&name, BackendChoice::IndexedDb).await;
    assert_eq!(store.backend_reason(), &BackendReason::Requested);
    store.kv_put("app", "k", b"on idb").await.unwrap();
    common::close_fully(store).await;

    let store = common::open(&name, BackendChoice::Auto).await;
    assert_eq!(store.backend(), Backend::IndexedDb);
    assert_eq!(store.backend_reason(), &BackendReason::Recorded);
    assert_eq!(
        store.kv_get("app", "k").await.unwrap().as_deref(),
        Some(&b"on idb"[..])
    );
    common::close_fully(store).await;

    assert!(delete_store(&name, BackendChoice::Auto).await.unwrap());
    let store = Store::open(&name, BackendChoice::Auto).await.unwrap();
    match (store.backend(), store.backend_reason()) {
        (Backend::Opfs, BackendReason::OpfsWorks) => {}
        // WebKitGTK: the interfaces exist, the sync access handles do not.
        (Backend::IndexedDb, BackendReason::OpfsUnavailable(why)) => assert!(!why.is_empty()),
        other => panic!("a new store under auto: {other:?}"),
    }
    assert_eq!(store.kv_get("app", "k").await.unwrap(), None);
    common::close_fully(store).await;
    assert!(delete_store(&name, BackendChoice::Auto).await.unwrap());
}

indexed_db_paging_suite!();
