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

/// Writes this build's golden databases (see tests/common/golden.rs); run by `scripts/update-golden.sh`.
#[wasm_bindgen_test]
#[ignore]
async fn golden_generate() {
    common::golden_generate().await;
}

#[wasm_bindgen_test]
async fn opfs_is_refused_on_the_main_thread_not_faked() {
    let error = Store::open(&common::unique_name("main"), BackendChoice::Opfs)
        .await
        .err()
        .expect("no OPFS sync access on the main thread");
    assert_eq!(error.code(), "BACKEND_UNAVAILABLE");
    assert!(error.to_string().contains("Worker"), "{error}");
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
    let error =
        mls_web_store::js::open_store("x".into(), Some("floppy".into()), JsValue::UNDEFINED)
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
    let error = mls_web_store::js::open_store("x".into(), Some("opfs".into()), JsValue::UNDEFINED)
        .await
        .err()
        .unwrap();
    assert_eq!(error_code(&error).1, "BACKEND_UNAVAILABLE");
    let options = js_sys::Object::new();
    js_sys::Reflect::set(
        &options,
        &"key".into(),
        &js_sys::Uint8Array::new_with_length(16),
    )
    .unwrap();
    let error = mls_web_store::js::open_store("x".into(), Some("memory".into()), options.into())
        .await
        .err()
        .unwrap();
    assert_eq!(error_code(&error).1, "INVALID_KEY");
}

#[wasm_bindgen_test]
async fn js_api_round_trips_and_rejects_after_close() {
    let name = common::unique_name("js");
    let store =
        mls_web_store::js::open_store(name.clone(), Some("memory".into()), JsValue::UNDEFINED)
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

async fn resolve(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(promise).await
}

fn field(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &key.into()).unwrap()
}

fn byte_field(object: &JsValue, key: &str) -> Vec<u8> {
    js_sys::Uint8Array::new(&field(object, key)).to_vec()
}

fn js_bytes_list(items: &[Vec<u8>]) -> js_sys::Array {
    items
        .iter()
        .map(|item| JsValue::from(js_sys::Uint8Array::from(item.as_slice())))
        .collect()
}

#[wasm_bindgen_test]
async fn js_mls_api_runs_a_two_member_conversation_with_typed_errors() {
    let open = |prefix: &str| {
        mls_web_store::js::open_store(
            common::unique_name(prefix),
            Some("memory".into()),
            JsValue::UNDEFINED,
        )
    };
    let alice = open("js-alice").await.unwrap();
    let bob = open("js-bob").await.unwrap();

    assert!(resolve(alice.mls_identity()).await.unwrap().is_undefined());
    let info = resolve(alice.mls_create_identity(b"alice".to_vec()))
        .await
        .unwrap();
    assert_eq!(byte_field(&info, "identity"), b"alice");
    assert_eq!(byte_field(&info, "signaturePublicKey").len(), 32);
    let again = resolve(alice.mls_create_identity(b"alice".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(error_code(&again).1, "MLS_IDENTITY_EXISTS");
    let no_identity = resolve(bob.mls_create_group(None)).await.unwrap_err();
    assert_eq!(error_code(&no_identity).1, "MLS_NO_IDENTITY");
    resolve(bob.mls_create_identity(b"bob".to_vec()))
        .await
        .unwrap();

    let packages = js_sys::Array::from(
        &resolve(bob.mls_generate_key_packages(2, None))
            .await
            .unwrap(),
    );
    assert_eq!(packages.length(), 2);
    let bob_package = byte_field(&packages.get(0), "keyPackage");
    let counts = resolve(bob.mls_key_package_counts()).await.unwrap();
    assert_eq!(field(&counts, "available").as_f64(), Some(2.0));

    let group =
        js_sys::Uint8Array::new(&resolve(alice.mls_create_group(None)).await.unwrap()).to_vec();
    let wrong = resolve(alice.mls_add_members(group.clone(), js_sys::Array::of1(&"x".into())))
        .await
        .unwrap_err();
    assert_eq!(error_code(&wrong).1, "INVALID_ARGUMENT");
    let added = resolve(alice.mls_add_members(
        group.clone(),
        js_bytes_list(std::slice::from_ref(&bob_package)),
    ))
    .await
    .unwrap();
    let epoch = resolve(alice.mls_merge_pending_commit(group.clone()))
        .await
        .unwrap();
    assert_eq!(epoch.as_f64(), Some(1.0));

    let welcome_id = resolve(bob.mls_receive_welcome(byte_field(&added, "welcome")))
        .await
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(
        resolve(bob.mls_welcome_state(welcome_id.clone()))
            .await
            .unwrap()
            .as_string()
            .unwrap(),
        "received"
    );
    let joined = resolve(bob.mls_process_welcome(welcome_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(js_sys::Uint8Array::new(&joined).to_vec(), group);
    resolve(bob.mls_confirm_welcome(welcome_id.clone()))
        .await
        .unwrap();
    let reprocess = resolve(bob.mls_process_welcome(welcome_id.clone(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(error_code(&reprocess).1, "WELCOME_ALREADY_CONFIRMED");
    let used = resolve(bob.mls_key_package_state(bob_package))
        .await
        .unwrap();
    assert_eq!(field(&used, "used").as_bool(), Some(true));

    let to_bob = resolve(alice.mls_encrypt(group.clone(), b"hi bob".to_vec()))
        .await
        .unwrap();
    let received =
        resolve(bob.mls_process_message(group.clone(), js_sys::Uint8Array::new(&to_bob).to_vec()))
            .await
            .unwrap();
    assert_eq!(field(&received, "kind").as_string().unwrap(), "application");
    assert_eq!(byte_field(&received, "plaintext"), b"hi bob");
    assert_eq!(byte_field(&received, "sender"), b"alice");
    let to_alice = resolve(bob.mls_encrypt(group.clone(), b"hi alice".to_vec()))
        .await
        .unwrap();
    let received = resolve(
        alice.mls_process_message(group.clone(), js_sys::Uint8Array::new(&to_alice).to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(byte_field(&received, "sender"), b"bob");
    js_catch_up(&alice, &bob, &group).await;

    let members = js_sys::Array::from(&resolve(alice.mls_members(group.clone())).await.unwrap());
    assert_eq!(members.length(), 2);
    let commit =
        resolve(alice.mls_remove_members(group.clone(), js_bytes_list(&[b"bob".to_vec()])))
            .await
            .unwrap();
    resolve(alice.mls_merge_pending_commit(group.clone()))
        .await
        .unwrap();
    let removed =
        resolve(bob.mls_process_message(group.clone(), js_sys::Uint8Array::new(&commit).to_vec()))
            .await
            .unwrap();
    assert_eq!(field(&removed, "kind").as_string().unwrap(), "commit");
    assert_eq!(field(&removed, "stillMember").as_bool(), Some(false));

    let garbage = resolve(alice.mls_process_message(group.clone(), vec![1, 2, 3]))
        .await
        .unwrap_err();
    assert_eq!(error_code(&garbage).1, "MLS_INVALID_MESSAGE");
    let groups = js_sys::Array::from(&resolve(alice.mls_list_groups()).await.unwrap());
    assert_eq!(groups.length(), 1);
    resolve(alice.mls_delete_group(group.clone()))
        .await
        .unwrap();
    let gone = resolve(alice.mls_group_epoch(group)).await.unwrap_err();
    assert_eq!(error_code(&gone).1, "MLS_GROUP_NOT_FOUND");
    let unknown = resolve(bob.mls_welcome_state("00".into()))
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown).1, "WELCOME_NOT_FOUND");

    resolve(alice.close()).await.unwrap();
    resolve(bob.close()).await.unwrap();
}

#[path = "main_thread/backups.rs"]
mod backups;
#[path = "main_thread/crypto_provider.rs"]
mod crypto_provider;

/// `mlsProcessMessages` and `mlsProcessInboxes`: bytes or `{ message, messageId, sentAtMs }`, a result object
/// per message with a string code for a refused one, duplicates recognised, whole-call errors typed.
async fn js_catch_up(
    alice: &mls_web_store::js::JsStore,
    bob: &mls_web_store::js::JsStore,
    group: &[u8],
) {
    use common::{get, js_channel, number, object, one, u8a};
    js_channel(bob, "inbox").await;
    let sealed = |text: &'static str| alice.mls_encrypt(group.to_vec(), text.as_bytes().to_vec());
    let first = one(sealed("first")).await;
    let second = one(sealed("second")).await;
    let messages = js_sys::Array::of3(
        &first,
        &object(&[
            ("message", second),
            ("messageId", "m-2".into()),
            ("sentAtMs", 5.into()),
        ]),
        &u8a(b"garbage"),
    );
    let results = js_sys::Array::from(
        &one(bob.mls_process_messages(group.to_vec(), "inbox".into(), messages.clone().into()))
            .await,
    );
    let kinds: Vec<String> = results
        .iter()
        .map(|r| get(&r, "kind").as_string().unwrap())
        .collect();
    assert_eq!(kinds, ["application", "application", "rejected"]);
    assert_eq!(byte_field(&results.get(0), "plaintext"), b"first");
    assert_eq!(byte_field(&results.get(0), "sender"), b"alice");
    assert_eq!(number(&results.get(1), "seq"), 2);
    assert_eq!(
        get(&results.get(1), "messageId").as_string().unwrap(),
        "m-2"
    );
    assert_eq!(
        get(&results.get(2), "code").as_string().unwrap(),
        "MLS_INVALID_MESSAGE"
    );
    let page = one(bob.chat_page("inbox".into(), JsValue::UNDEFINED)).await;
    let stored = js_sys::Array::from(&get(&page, "messages"));
    assert_eq!(stored.length(), 2);
    assert_eq!(number(&stored.get(0), "sentAtMs"), 5);

    let inboxes = js_sys::Array::of1(&object(&[
        ("groupId", u8a(group)),
        ("channelId", "inbox".into()),
        ("messages", messages.slice(0, 2).into()),
    ]));
    let again = js_sys::Array::from(&one(bob.mls_process_inboxes(inboxes.into())).await);
    let again = js_sys::Array::from(&again.get(0));
    assert_eq!(get(&again.get(0), "kind").as_string().unwrap(), "duplicate");
    assert_eq!(number(&again.get(1), "seq"), 2);

    let not_array = resolve(bob.mls_process_messages(group.to_vec(), "inbox".into(), 3.into()))
        .await
        .unwrap_err();
    assert_eq!(error_code(&not_array).1, "INVALID_ARGUMENT");
    let no_channel = resolve(bob.mls_process_messages(
        group.to_vec(),
        "nowhere".into(),
        js_sys::Array::new().into(),
    ))
    .await
    .unwrap_err();
    assert_eq!(error_code(&no_channel).1, "CHANNEL_NOT_FOUND");
    let bad_inbox = resolve(
        bob.mls_process_inboxes(js_sys::Array::of1(&object(&[("groupId", u8a(group))])).into()),
    )
    .await
    .unwrap_err();
    assert_eq!(error_code(&bad_inbox).1, "INVALID_ARGUMENT");
}

/// `onChange` hears each durable write's changes, in order; a duplicate-only append, a failed write and a
/// rolled-back batch are heard of not at all.
#[wasm_bindgen_test]
async fn js_on_change_tells_each_durable_write() {
    use common::{js_channel, js_message, one};
    let (name, store) = common::js_open("js-changes", BackendChoice::Memory).await;
    let heard = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let sink = heard.clone();
    let listener = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
        move |changes: js_sys::Array| {
            for change in changes.iter() {
                let text = js_sys::JSON::stringify(&change)
                    .unwrap()
                    .as_string()
                    .unwrap();
                sink.borrow_mut().push(text);
            }
        },
    );
    store.on_change(Some(
        listener
            .as_ref()
            .unchecked_ref::<js_sys::Function>()
            .clone(),
    ));
    js_channel(&store, "c").await;
    js_channel(&store, "d").await;
    let batch = |ids: &[&str]| -> js_sys::Array {
        ids.iter()
            .map(|id| js_message("alice", id, Some(id)))
            .collect()
    };
    one(store.chat_append_messages("c".into(), batch(&["m1", "m2"]), JsValue::UNDEFINED)).await;
    one(store.chat_append_messages("c".into(), batch(&["m1"]), JsValue::UNDEFINED)).await;
    one(store.chat_append_messages("d".into(), batch(&["taken"]), JsValue::UNDEFINED)).await;
    let rolled_back = resolve(store.chat_append_messages(
        "c".into(),
        batch(&["m3", "taken"]),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap_err();
    assert_eq!(error_code(&rolled_back).1, "MESSAGE_ID_IN_OTHER_CHANNEL");
    let missing =
        resolve(store.chat_append_messages("nowhere".into(), batch(&["x"]), JsValue::UNDEFINED))
            .await
            .unwrap_err();
    assert_eq!(error_code(&missing).1, "CHANNEL_NOT_FOUND");
    one(store.chat_append_messages("c".into(), batch(&["m1", "m3"]), JsValue::UNDEFINED)).await;
    one(store.chat_mark_processed("c".into(), 1.into())).await;
    one(store.kv_put("app".into(), "k".into(), vec![1])).await;
    assert_eq!(
        *heard.borrow(),
        [
            r#"{"type":"channelCreated","channelId":"c"}"#,
            r#"{"type":"channelCreated","channelId":"d"}"#,
            r#"{"type":"messagesAppended","channelId":"c","fromSeq":1,"toSeq":2}"#,
            r#"{"type":"messagesAppended","channelId":"d","fromSeq":1,"toSeq":1}"#,
            r#"{"type":"messagesAppended","channelId":"c","fromSeq":3,"toSeq":3}"#,
            r#"{"type":"messagesProcessed","channelId":"c","seqs":[1]}"#,
            r#"{"type":"keyValue","namespace":"app","key":"k"}"#,
        ]
    );
    store.on_change(None);
    one(store.kv_put("app".into(), "k".into(), vec![2])).await;
    assert_eq!(heard.borrow().len(), 7);
    drop(listener);
    one(store.close()).await;
    common::cleanup(&name, BackendChoice::Memory).await;
}

/// The generated TypeScript manifest (from `api_manifest`) names exactly the wasm `Store`'s exports: a
/// method added to the bindings without a manifest entry (or the reverse) fails here.
#[wasm_bindgen_test]
async fn the_wasm_store_exports_exactly_the_manifest_methods() {
    use mls_web_store::api_manifest::{STORE_METHODS, STORE_NON_CALLS};
    use std::collections::BTreeSet;
    let store = mls_web_store::js::open_store(
        common::unique_name("manifest"),
        Some("memory".into()),
        JsValue::UNDEFINED,
    )
    .await
    .expect("open a memory store");
    let store = JsValue::from(store);
    let prototype = js_sys::Object::get_prototype_of(&store);
    let exported: BTreeSet<String> = js_sys::Object::get_own_property_names(&prototype)
        .iter()
        .filter_map(|name| name.as_string())
        .filter(|name| name != "constructor" && name != "free" && !name.starts_with("__"))
        .collect();
    let listed: BTreeSet<String> = STORE_METHODS
        .iter()
        .map(|method| method.wasm_name.to_owned())
        .chain(STORE_NON_CALLS.iter().map(|name| (*name).to_owned()))
        .collect();
    assert_eq!(exported, listed);
}
