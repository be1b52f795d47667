//! Browser tests in a dedicated Worker: the conformance suite on OPFS (sahpool), `auto` choosing OPFS, and
//! the OPFS pool's release and reuse.
#![cfg(target_family = "wasm")]

mod common;

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::store::Store;
use mls_web_store::vfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

store_conformance_suite!(BackendChoice::Opfs);

#[wasm_bindgen_test]
async fn auto_picks_opfs_in_a_worker() {
    let name = common::unique_name("auto");
    let store = common::open(&name, BackendChoice::Auto).await;
    assert_eq!(store.backend(), Backend::Opfs);
    assert!(store.backend().is_persistent());
    common::close_fully(store).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}

#[wasm_bindgen_test]
async fn same_name_on_opfs_and_memory_do_not_collide() {
    let name = common::unique_name("both");
    let opfs = common::open(&name, BackendChoice::Opfs).await;
    let memory = common::open(&name, BackendChoice::Memory).await;
    opfs.kv_put("ns", "k", b"opfs").await.unwrap();
    memory.kv_put("ns", "k", b"memory").await.unwrap();
    assert_eq!(
        opfs.kv_get("ns", "k").await.unwrap(),
        Some(b"opfs".to_vec())
    );
    assert_eq!(
        memory.kv_get("ns", "k").await.unwrap(),
        Some(b"memory".to_vec())
    );
    common::close_fully(memory).await;
    common::close_fully(opfs).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
    common::cleanup(&name, BackendChoice::Memory).await;
}

#[wasm_bindgen_test]
async fn the_opfs_pool_is_not_released_under_an_open_store() {
    let name = common::unique_name("release");
    let store = common::open(&name, BackendChoice::Opfs).await;
    let error = vfs::release_opfs_pool()
        .await
        .expect_err("release with an open store must fail");
    assert!(error.to_string().contains("OPFS"), "{error}");
    // The store still works after the refused release.
    store.kv_put("ns", "k", b"v").await.unwrap();
    common::close_fully(store).await;
    let store = Store::open(&name, BackendChoice::Opfs).await.unwrap();
    assert_eq!(store.kv_get("ns", "k").await.unwrap(), Some(b"v".to_vec()));
    common::close_fully(store).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}

#[wasm_bindgen_test]
async fn many_stores_open_at_once_grow_the_pool() {
    let names: Vec<String> = (0..8)
        .map(|i| common::unique_name(&format!("many{i}")))
        .collect();
    let mut stores = Vec::new();
    for name in &names {
        let store = common::open(name, BackendChoice::Opfs).await;
        store.kv_put("ns", "name", name.as_bytes()).await.unwrap();
        stores.push(store);
    }
    for (store, name) in stores.iter().zip(&names) {
        assert_eq!(
            store.kv_get("ns", "name").await.unwrap(),
            Some(name.as_bytes().to_vec())
        );
    }
    for store in stores {
        store.close().unwrap();
    }
    vfs::release_opfs_pool().await.unwrap();
    for name in &names {
        common::cleanup(name, BackendChoice::Opfs).await;
    }
}
