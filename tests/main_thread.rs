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

#[wasm_bindgen_test]
async fn js_backups_export_a_blob_browse_and_import_with_typed_errors() {
    use common::{get, js_channel, js_message, object, one};
    let (source_name, source) = common::js_open("js-backup-src", BackendChoice::Memory).await;
    js_channel(&source, "c").await;
    let batch: js_sys::Array = (0..50)
        .map(|i| js_message("alice", &format!("m{i}"), None))
        .collect();
    one(source.chat_append_messages("c".into(), batch, JsValue::UNDEFINED)).await;
    let calls = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let counter = calls.clone();
    let on_progress = wasm_bindgen::closure::Closure::<dyn FnMut(f64, f64)>::new(
        move |_done: f64, _total: f64| {
            counter.set(counter.get() + 1);
        },
    );
    // Raw keys, not passphrases: Argon2id at its real cost takes minutes in a debug build under WebKit's wasm
    // interpreter and blocks the page meanwhile. The demo's end-to-end run covers passphrases in every engine.
    let key = || js_sys::Uint8Array::from(&[7u8; 32][..]).into();
    let seed = js_sys::Uint8Array::from(&[5u8; 32][..]);
    let signer = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32])
        .verifying_key()
        .to_bytes();
    let options = object(&[
        ("key", key()),
        ("signingKey", seed.into()),
        ("onProgress", on_progress.as_ref().clone()),
    ]);
    let blob = one(source.export_backup(options)).await;
    assert!(blob.is_instance_of::<web_sys::Blob>());
    assert!(calls.get() > 0, "progress was reported");

    let wrong = mls_web_store::js::open_backup(
        blob.clone(),
        object(&[("key", js_sys::Uint8Array::from(&[8u8; 32][..]).into())]),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(error_code(&wrong).1, "WRONG_PASSPHRASE");
    let view = mls_web_store::js::open_backup(blob.clone(), object(&[("key", key())]))
        .await
        .unwrap();
    assert_eq!(get(&view.manifest(), "messages").as_f64(), Some(50.0));
    assert_eq!(get(&view.manifest(), "formatVersion").as_f64(), Some(2.0));
    let signer_js = || js_sys::Uint8Array::from(&signer[..]).into();
    assert_eq!(
        js_sys::Uint8Array::new(&get(&view.manifest(), "signer")).to_vec(),
        signer
    );
    let mismatch = mls_web_store::js::open_backup(
        blob.clone(),
        object(&[
            ("key", key()),
            ("signer", js_sys::Uint8Array::from(&[1u8; 32][..]).into()),
        ]),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(error_code(&mismatch).1, "SIGNER_MISMATCH");
    let page = view
        .page("c".into(), object(&[("limit", 10.into())]))
        .unwrap();
    assert_eq!(js_sys::Array::from(&get(&page, "messages")).length(), 10);

    let (target_name, target) = common::js_open("js-backup-dst", BackendChoice::Memory).await;
    let missing = wasm_bindgen_futures::JsFuture::from(
        target.import_backup(blob.clone(), JsValue::UNDEFINED),
    )
    .await
    .unwrap_err();
    assert_eq!(error_code(&missing).1, "ARCHIVE_KEY_REQUIRED");
    let report =
        one(target.import_backup(blob, object(&[("key", key()), ("signer", signer_js())]))).await;
    assert_eq!(get(&report, "formatVersion").as_f64(), Some(2.0));
    assert_eq!(get(&report, "channels").as_f64(), Some(1.0));
    assert_eq!(
        one(target.chat_message_count("c".into())).await.as_f64(),
        Some(50.0)
    );
    common::js_close(&source_name, source, BackendChoice::Memory).await;
    common::js_close(&target_name, target, BackendChoice::Memory).await;
}

/// An `AbortSignal` stops an export between pieces and an import before it replaces anything: both reject
/// with ABORTED, the store keeps its data, and the next export and import work. Pieces arrive through
/// `exportBackupInPieces` in order and make the same backup as `exportBackup`.
#[wasm_bindgen_test]
async fn js_backups_stream_in_pieces_and_stop_on_abort() {
    use common::{get, js_channel, js_message, object, one};
    use wasm_bindgen::closure::Closure;
    let (source_name, source) = common::js_open("js-abort-src", BackendChoice::Memory).await;
    js_channel(&source, "c").await;
    // Enough messages for several pieces: bodies that do not compress away.
    for batch in 0..4 {
        let messages: js_sys::Array = (0..250)
            .map(|i| {
                let body: String = (0..1000)
                    .map(|j| char::from(b'a' + ((i * 31 + j * 7 + batch * 13) % 26) as u8))
                    .collect();
                js_message("alice", &format!("{batch}-{i} {body}"), None)
            })
            .collect();
        one(source.chat_append_messages("c".into(), messages, JsValue::UNDEFINED)).await;
    }

    // Abort from the first progress report: the export stops between pieces.
    let controller = web_sys::AbortController::new().unwrap();
    let signal = controller.signal();
    let abort_on_progress = Closure::<dyn FnMut(f64, f64)>::new(move |_: f64, _: f64| {
        controller.abort();
    });
    let aborted = wasm_bindgen_futures::JsFuture::from(source.export_backup(object(&[
        ("signal", signal.into()),
        ("onProgress", abort_on_progress.as_ref().clone()),
    ])))
    .await
    .unwrap_err();
    assert_eq!(error_code(&aborted).1, "ABORTED");

    // In pieces: several, in order, together the archive.
    let pieces = std::rc::Rc::new(std::cell::RefCell::new(Vec::<Vec<u8>>::new()));
    let sink = pieces.clone();
    let on_chunk =
        Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |bytes: js_sys::Uint8Array| {
            sink.borrow_mut().push(bytes.to_vec());
        });
    let done =
        one(source.export_backup_in_pieces(object(&[("onChunk", on_chunk.as_ref().clone())])))
            .await;
    assert!(done.is_undefined());
    let pieces = pieces.borrow().clone();
    assert!(pieces.len() > 1, "{} pieces", pieces.len());
    let archive = js_sys::Uint8Array::from(pieces.concat().as_slice());

    // An import aborted while it verifies leaves the target as it was.
    let (target_name, target) = common::js_open("js-abort-dst", BackendChoice::Memory).await;
    one(target.kv_put("mine".into(), "k".into(), b"v".to_vec())).await;
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let aborted = wasm_bindgen_futures::JsFuture::from(target.import_backup(
        archive.clone().into(),
        object(&[("signal", controller.signal().into())]),
    ))
    .await
    .unwrap_err();
    assert_eq!(error_code(&aborted).1, "ABORTED");
    assert_eq!(
        js_sys::Uint8Array::new(&one(target.kv_get("mine".into(), "k".into())).await).to_vec(),
        b"v"
    );
    let phases = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let seen = phases.clone();
    let on_progress =
        Closure::<dyn FnMut(f64, f64, String)>::new(move |_: f64, _: f64, phase: String| {
            seen.borrow_mut().push(phase);
        });
    let report = one(target.import_backup(
        archive.into(),
        object(&[("onProgress", on_progress.as_ref().clone())]),
    ))
    .await;
    assert_eq!(get(&report, "messages").as_f64(), Some(1000.0));
    let phases = phases.borrow().clone();
    assert_eq!(phases.first().map(String::as_str), Some("verify"));
    assert_eq!(phases.last().map(String::as_str), Some("replace"));
    assert!(phases.iter().any(|phase| phase == "migrate"));
    common::js_close(&source_name, source, BackendChoice::Memory).await;
    common::js_close(&target_name, target, BackendChoice::Memory).await;
}
