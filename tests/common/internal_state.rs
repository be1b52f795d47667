//! The store's own state (the MLS identity, the member-hash secret) is out of reach of the app's key-value
//! API, whatever namespace and key the app uses. Exercised through the JS API, as an app would.

use mls_web_store::backend::BackendChoice;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::chat_js::{get, js_channel, js_close, js_open, one, u8a};

async fn kv_get(store: &mls_web_store::js::JsStore, namespace: &str, key: &str) -> JsValue {
    one(store.kv_get(namespace.into(), key.into())).await
}

fn bytes(value: &JsValue) -> Vec<u8> {
    js_sys::Uint8Array::new(value).to_vec()
}

/// The names the store's own state had in the key-value table before schema version 4.
const FORMER_INTERNAL_ENTRIES: [(&str, &str); 2] =
    [("mls", "identity"), ("store", "member_hash_key")];

pub async fn kv_get_cannot_read_the_stores_own_state(choice: BackendChoice) {
    let (name, store) = js_open("kv-internal-read", choice).await;
    one(store.mls_create_identity(b"alice".to_vec())).await;
    js_channel(&store, "c").await;
    one(store.chat_add_members("c".into(), js_sys::Array::of1(&u8a(b"bob")).into(), None)).await;
    for (namespace, key) in FORMER_INTERNAL_ENTRIES {
        assert!(
            kv_get(&store, namespace, key).await.is_undefined(),
            "kvGet({namespace:?}, {key:?}) must not see the store's own state"
        );
    }
    js_close(&name, store, choice).await;
}

pub async fn kv_put_cannot_overwrite_the_stores_own_state(choice: BackendChoice) {
    let (name, store) = js_open("kv-internal-write", choice).await;
    let identity = one(store.mls_create_identity(b"alice".to_vec())).await;
    js_channel(&store, "c").await;
    let bob = js_sys::Array::of1(&u8a(b"bob"));
    one(store.chat_add_members("c".into(), bob.clone().into(), None)).await;

    let garbage = vec![0xff; 32];
    for (namespace, key) in FORMER_INTERNAL_ENTRIES {
        one(store.kv_put(namespace.into(), key.into(), garbage.clone())).await;
        assert_eq!(bytes(&kv_get(&store, namespace, key).await), garbage);
    }

    // The identity is the one created, and it still signs: a group can be made.
    let after = one(store.mls_identity()).await;
    for field in ["identity", "signaturePublicKey"] {
        assert_eq!(bytes(&get(&after, field)), bytes(&get(&identity, field)));
    }
    one(store.mls_create_group(None)).await;
    // The member hashes are under the same secret: bob is still a member, adding him again changes nothing.
    assert_eq!(
        one(store.chat_add_members("c".into(), bob.into(), None))
            .await
            .as_f64(),
        Some(0.0)
    );
    let left = JsFuture::from(store.chat_leave("c".into(), b"bob".to_vec()))
        .await
        .expect("leave");
    assert_eq!(left.as_bool(), Some(true));
    js_close(&name, store, choice).await;
}
