//! Concurrency through the JS API: many calls started at once (`Promise.all`), as an app would make them.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::js::JsStore;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{backend_of, cleanup, unique_name};

pub async fn js_open(test: &str, choice: BackendChoice) -> (String, JsStore) {
    let name = unique_name(test);
    let backend = backend_of(choice).as_str().to_owned();
    super::track(&name, choice);
    let options = match super::suite_key() {
        Some(_) => object(&[("key", Uint8Array::from(&super::SUITE_KEY[..]).into())]),
        None => JsValue::UNDEFINED,
    };
    let store = mls_web_store::js::open_store(name.clone(), Some(backend), options)
        .await
        .unwrap_or_else(|e| panic!("open {name}: {e:?}"));
    (name, store)
}

pub async fn js_close(name: &str, store: JsStore, choice: BackendChoice) {
    JsFuture::from(store.close()).await.expect("close");
    if backend_of(choice) == Backend::Opfs
        && mls_web_store::store::open_store_names(Backend::Opfs).is_empty()
    {
        mls_web_store::vfs::release_opfs_pool()
            .await
            .expect("release");
    }
    cleanup(name, choice).await;
}

pub async fn all(promises: Vec<Promise>) -> Vec<JsValue> {
    let array: Array = promises.into_iter().map(JsValue::from).collect();
    let settled = JsFuture::from(Promise::all(&array))
        .await
        .expect("every call resolves");
    Array::from(&settled).iter().collect()
}

pub async fn one(promise: Promise) -> JsValue {
    JsFuture::from(promise).await.expect("call resolves")
}

pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        Reflect::set(&object, &(*key).into(), value).unwrap();
    }
    object.into()
}

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

pub fn number(value: &JsValue, key: &str) -> i64 {
    get(value, key).as_f64().expect("a number") as i64
}

pub fn u8a(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

pub async fn js_channel(store: &JsStore, id: &str) {
    one(store.chat_create_channel(
        object(&[("channelId", id.into()), ("creator", u8a(b"creator"))]),
        JsValue::UNDEFINED,
    ))
    .await;
}

pub fn js_message(sender: &str, body: &str, id: Option<&str>) -> JsValue {
    let mut fields = vec![
        ("sender", u8a(sender.as_bytes())),
        ("body", u8a(body.as_bytes())),
    ];
    if let Some(id) = id {
        fields.push(("messageId", id.into()));
    }
    object(&fields)
}

pub async fn chat_js_hundred_identical_idempotent_calls_write_once(choice: BackendChoice) {
    let (name, store) = js_open("js-idem", choice).await;
    js_channel(&store, "c").await;
    // No message id: without the idempotency key each call would store a new message.
    let options = object(&[("idempotencyKey", "send-42".into())]);
    let calls = (0..100)
        .map(|_| {
            store.chat_append_message(
                "c".into(),
                js_message("alice", "hello", None),
                options.clone(),
            )
        })
        .collect();
    let results = all(calls).await;
    let first = (
        number(&results[0], "seq"),
        get(&results[0], "messageId").as_string().unwrap(),
    );
    for result in &results {
        assert_eq!(
            (
                number(result, "seq"),
                get(result, "messageId").as_string().unwrap()
            ),
            first
        );
    }
    assert_eq!(
        one(store.chat_message_count("c".into())).await.as_f64(),
        Some(1.0)
    );
    js_close(&name, store, choice).await;
}

pub async fn chat_js_concurrent_member_adds_and_leaves(choice: BackendChoice) {
    let (name, store) = js_open("js-members", choice).await;
    js_channel(&store, "c").await;
    let ten: Array = (0..10)
        .map(|i| u8a(format!("member-{i}").as_bytes()))
        .collect();
    let adds = (0..50)
        .map(|_| store.chat_add_members("c".into(), ten.clone().into(), None))
        .collect();
    let added: i64 = all(adds)
        .await
        .iter()
        .map(|v| v.as_f64().unwrap() as i64)
        .sum();
    assert_eq!(added, 10, "only the first add changed anything");
    let members = Array::from(&one(store.chat_members("c".into(), JsValue::UNDEFINED)).await);
    assert_eq!(members.length(), 11, "ten members and the creator");

    let leaves = (0..50)
        .map(|_| store.chat_leave("c".into(), b"member-3".to_vec()))
        .collect();
    let took_effect = all(leaves)
        .await
        .iter()
        .filter(|v| v.as_bool() == Some(true))
        .count();
    assert_eq!(took_effect, 1);
    let everyone = Array::from(
        &one(store.chat_members("c".into(), object(&[("includeLeft", true.into())]))).await,
    );
    let left: Vec<JsValue> = everyone
        .iter()
        .filter(|m| !get(m, "leftAtMs").is_null())
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(
        Uint8Array::new(&get(&left[0], "identity")).to_vec(),
        b"member-3"
    );
    js_close(&name, store, choice).await;
}

pub async fn chat_js_five_concurrent_senders_keep_order(choice: BackendChoice) {
    let (name, store) = js_open("js-order", choice).await;
    js_channel(&store, "c").await;
    let mut calls = Vec::new();
    // Interleaved: message i of every sender is started before message i + 1 of any.
    for i in 0..40 {
        for sender in 0..5 {
            let id = format!("s{sender}-m{i}");
            calls.push(store.chat_append_message(
                "c".into(),
                js_message(&format!("sender-{sender}"), &id, Some(&id)),
                JsValue::UNDEFINED,
            ));
        }
    }
    let results = all(calls).await;
    let seqs: Vec<i64> = results.iter().map(|r| number(r, "seq")).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted,
        (1..=200).collect::<Vec<_>>(),
        "200 distinct sequences, no gap"
    );
    let page = one(store.chat_page(
        "c".into(),
        object(&[("after", 0.into()), ("limit", 1000.into())]),
    ))
    .await;
    let stored = Array::from(&get(&page, "messages"));
    assert_eq!(stored.length(), 200);
    let mut last_seq = 0;
    let mut per_sender = [0usize; 5];
    for message in stored.iter() {
        let seq = number(&message, "seq");
        assert!(seq > last_seq, "strictly increasing");
        last_seq = seq;
        // Each sender's messages are stored in the order that sender sent them.
        let id = get(&message, "messageId").as_string().unwrap();
        let (sender, index) = id[1..].split_once("-m").unwrap();
        let (sender, index): (usize, usize) = (sender.parse().unwrap(), index.parse().unwrap());
        assert_eq!(per_sender[sender], index);
        per_sender[sender] += 1;
    }
    js_close(&name, store, choice).await;
}
