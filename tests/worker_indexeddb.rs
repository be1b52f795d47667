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
