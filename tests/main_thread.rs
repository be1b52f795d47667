//! Browser tests on the main thread: the conformance suite on memory, backend selection where OPFS is
//! missing, and the JS boundary's errors.
#![cfg(target_family = "wasm")]

mod common;

use mls_web_store::backend::BackendChoice;
use mls_web_store::store::Store;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

store_conformance_suite!(BackendChoice::Memory);

#[wasm_bindgen_test]
async fn persistent_backends_are_refused_on_the_main_thread_not_faked() {
    for choice in [BackendChoice::Auto, BackendChoice::Opfs] {
        let error = Store::open(&common::unique_name("main"), choice)
            .await
            .err()
            .expect("no persistent backend on the main thread");
        assert_eq!(error.code(), "BACKEND_UNAVAILABLE");
        assert!(error.to_string().contains("Worker"), "{error}");
    }
}

fn error_code(value: &JsValue) -> (String, String) {
    let error = value.dyn_ref::<js_sys::Error>().expect("a JS Error");
    let code = js_sys::Reflect::get(error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    (String::from(error.name()), code)
}

#[wasm_bindgen_test]
async fn js_api_errors_have_a_name_and_a_stable_code() {
    let error = mls_web_store::js::open_store("x".into(), Some("floppy".into()))
        .await
        .err()
        .unwrap();
    assert_eq!(
        error_code(&error),
        (
            mls_web_store::ERROR_NAME.to_owned(),
            "UNKNOWN_BACKEND".to_owned()
        )
    );
    let error = mls_web_store::js::open_store("x".into(), None)
        .await
        .err()
        .unwrap();
    assert_eq!(error_code(&error).1, "BACKEND_UNAVAILABLE");
}

#[wasm_bindgen_test]
async fn js_api_round_trips_and_rejects_after_close() {
    let name = common::unique_name("js");
    let store = mls_web_store::js::open_store(name.clone(), Some("memory".into()))
        .await
        .unwrap();
    assert_eq!(store.backend().unwrap(), "memory");
    assert!(!store.persistent().unwrap());
    assert_eq!(
        store.schema_version().unwrap(),
        mls_web_store::js::latest_schema_version()
    );
    let put = store.kv_put("ns".into(), "k".into(), vec![1, 2, 3]);
    wasm_bindgen_futures::JsFuture::from(put).await.unwrap();
    let value = wasm_bindgen_futures::JsFuture::from(store.kv_get("ns".into(), "k".into()))
        .await
        .unwrap();
    assert_eq!(js_sys::Uint8Array::new(&value).to_vec(), vec![1, 2, 3]);
    let missing = wasm_bindgen_futures::JsFuture::from(store.kv_get("ns".into(), "nope".into()))
        .await
        .unwrap();
    assert!(missing.is_undefined());
    // A call made before close() completes; one made after is refused.
    let before_close = store.kv_get("ns".into(), "k".into());
    wasm_bindgen_futures::JsFuture::from(store.close())
        .await
        .unwrap();
    let value = wasm_bindgen_futures::JsFuture::from(before_close)
        .await
        .unwrap();
    assert_eq!(js_sys::Uint8Array::new(&value).to_vec(), vec![1, 2, 3]);
    wasm_bindgen_futures::JsFuture::from(store.close())
        .await
        .unwrap();
    let error = wasm_bindgen_futures::JsFuture::from(store.kv_get("ns".into(), "k".into()))
        .await
        .unwrap_err();
    assert_eq!(error_code(&error).1, "STORE_CLOSED");
    assert!(mls_web_store::js::delete_store(name, "memory".into())
        .await
        .unwrap());
}
