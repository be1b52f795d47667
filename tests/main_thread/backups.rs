//! Backups through the JS API on the main thread: a Blob exported, browsed and imported with typed errors;
//! pieces and abort; history scopes and merging.

use mls_web_store::backend::BackendChoice;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{common, error_code};

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

/// Scopes through the JS API: a history backup of one channel says so in its manifest, importing it merges
/// (the result says what was added), a full backup with a filter or an unknown scope is refused.
#[wasm_bindgen_test]
async fn js_history_backups_are_scoped_and_merge() {
    use common::{get, js_channel, js_message, object, one};
    let (source_name, source) = common::js_open("js-scope-src", BackendChoice::Memory).await;
    for channel in ["keep", "skip"] {
        js_channel(&source, channel).await;
        let messages = js_sys::Array::of2(
            &js_message("alice", &format!("{channel} 1"), None),
            &js_message("alice", &format!("{channel} 2"), None),
        );
        one(source.chat_append_messages(channel.into(), messages, JsValue::UNDEFINED)).await;
    }
    let keep = js_sys::Array::of1(&"keep".into());
    for bad in [
        object(&[("scope", "everything".into())]),
        object(&[("channels", keep.clone().into())]),
    ] {
        let refused = wasm_bindgen_futures::JsFuture::from(source.export_backup(bad))
            .await
            .unwrap_err();
        assert_eq!(error_code(&refused).1, "INVALID_ARGUMENT");
    }
    let blob = one(source.export_backup(object(&[
        ("scope", "history".into()),
        ("channels", keep.into()),
    ])))
    .await;

    let (target_name, target) = common::js_open("js-scope-dst", BackendChoice::Memory).await;
    one(target.kv_put("mine".into(), "k".into(), b"v".to_vec())).await;
    let report = one(target.import_backup(blob, JsValue::UNDEFINED)).await;
    assert_eq!(
        get(&report, "scope").as_string().as_deref(),
        Some("history")
    );
    let filter = get(&report, "filter");
    assert_eq!(js_sys::Array::from(&get(&filter, "channels")).length(), 1);
    assert!(get(&filter, "sinceMs").is_null());
    let merged = get(&report, "merged");
    assert_eq!(get(&merged, "channelsAdded").as_f64(), Some(1.0));
    assert_eq!(get(&merged, "messagesAdded").as_f64(), Some(2.0));
    let channels = one(target.chat_list_channels(JsValue::UNDEFINED)).await;
    assert_eq!(js_sys::Array::from(&channels).length(), 1);
    assert_eq!(
        js_sys::Uint8Array::new(&one(target.kv_get("mine".into(), "k".into())).await).to_vec(),
        b"v",
        "a merge keeps what the store had"
    );
    common::js_close(&source_name, source, BackendChoice::Memory).await;
    common::js_close(&target_name, target, BackendChoice::Memory).await;
}
