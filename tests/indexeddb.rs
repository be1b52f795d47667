//! Browser tests of the IndexedDB backend on the main thread (where OPFS is not available): the whole
//! conformance suite, durability and failure behaviour, and `auto` choosing IndexedDB here.
#![cfg(target_family = "wasm")]

mod common;

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::store::Store;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

store_conformance_suite!(BackendChoice::IndexedDb);

#[wasm_bindgen_test]
async fn auto_uses_indexed_db_on_the_main_thread() {
    let name = common::unique_name("auto-idb");
    let store = Store::open(&name, BackendChoice::Auto).await.unwrap();
    assert_eq!(store.backend(), Backend::IndexedDb);
    assert!(store.backend().is_persistent());
    store.close_durably().await.unwrap();
    common::cleanup(&name, BackendChoice::IndexedDb).await;
}

#[wasm_bindgen_test]
async fn failed_indexed_db_write_keeps_the_previous_state() {
    common::indexed_db_failed_write_keeps_the_previous_state().await;
}

#[wasm_bindgen_test]
async fn reopen_reads_everything_back() {
    common::indexed_db_reopen_reads_everything_back().await;
}

#[wasm_bindgen_test]
async fn memory_limit_refuses_before_memory_runs_out() {
    common::indexed_db_memory_limit_refuses_before_memory_runs_out().await;
}

#[wasm_bindgen_test]
async fn memory_limit_through_the_js_api() {
    common::indexed_db_memory_limit_through_the_js_api().await;
}

indexed_db_paging_suite!();
