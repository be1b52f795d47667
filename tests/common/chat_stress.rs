//! The stress suite: large batches, many channels, many concurrent calls. Results are asserted, never times.

use js_sys::Array;
use mls_web_store::backend::BackendChoice;
use mls_web_store::chat::{NewMessage, PageCursor};
use wasm_bindgen::JsValue;

use super::chat::{message, new_channel, store_with_channel, T0};
use super::chat_js::{all, get, js_channel, js_close, js_message, js_open, number, object, one};
use super::{cleanup, close_fully};

pub async fn chat_stress_ten_thousand_messages(choice: BackendChoice) {
    let (name, store) = store_with_channel("stress-10k", choice).await;
    let chat = store.chat();
    let batch: Vec<NewMessage> = (0..10_000)
        .map(|i| message(Some(&format!("m{i:05}")), b"sender", &format!("body {i}")))
        .collect();
    let appended = chat.append_messages("c", &batch, None, T0).unwrap();
    assert_eq!(appended.last().map(|a| a.seq), Some(10_000));
    assert!(appended.iter().all(|a| !a.duplicate));

    // Page back through everything, 100 at a time.
    let mut cursor = PageCursor::Newest;
    let mut seen = 0;
    let mut expected_seq = 10_000;
    loop {
        let page = chat.page("c", cursor, 100).unwrap();
        super::yield_to_browser().await;
        for message in &page.messages {
            assert_eq!(message.seq, expected_seq);
            expected_seq -= 1;
        }
        seen += page.messages.len();
        match page.messages.last() {
            Some(last) if page.has_more => cursor = PageCursor::Before(last.seq),
            _ => break,
        }
    }
    assert_eq!(seen, 10_000);
    assert_eq!(chat.unprocessed_count("c").unwrap(), 10_000);
    assert_eq!(chat.prune("c", 1_000).unwrap(), 9_000);
    assert_eq!(chat.message_count("c").unwrap(), 1_000);
    assert_eq!(chat.unprocessed_count("c").unwrap(), 1_000);
    let oldest = chat.page("c", PageCursor::After(0), 1).unwrap();
    assert_eq!(oldest.messages[0].seq, 9_001);
    assert!(store.integrity_check().unwrap().is_empty());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn chat_stress_thousand_channels(choice: BackendChoice) {
    let name = super::unique_name("stress-channels");
    let store = super::open(&name, choice).await;
    let chat = store.chat();
    for c in 0..1_000 {
        let id = format!("channel-{c:04}");
        chat.create_channel(&new_channel(&id, b"alice"), None, T0 + c)
            .unwrap();
        let messages: Vec<NewMessage> = (0..10)
            .map(|i| message(None, b"alice", &format!("{c}/{i}")))
            .collect();
        chat.append_messages(&id, &messages, None, T0).unwrap();
        if c % 25 == 0 {
            super::yield_to_browser().await;
        }
    }
    let listed = chat.list_channels(false).unwrap();
    assert_eq!(listed.len(), 1_000);
    assert!(listed
        .iter()
        .all(|c| c.last_seq == 10 && c.unprocessed == 10));
    for c in (0..1_000).step_by(2) {
        chat.set_archived(&format!("channel-{c:04}"), Some(T0 + 5_000))
            .unwrap();
        if c % 50 == 0 {
            super::yield_to_browser().await;
        }
    }
    let active = chat.list_channels(false).unwrap();
    assert_eq!(active.len(), 500);
    assert!(active
        .iter()
        .enumerate()
        .all(|(i, c)| c.channel_id == format!("channel-{:04}", 2 * i + 1)));
    assert_eq!(chat.list_channels(true).unwrap().len(), 500);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn chat_stress_concurrent_marks(choice: BackendChoice) {
    let (name, store) = js_open("stress-marks", choice).await;
    js_channel(&store, "c").await;
    let batch: Array = (0..5_000)
        .map(|i| js_message("sender", &format!("body {i}"), None))
        .collect();
    let appended =
        Array::from(&one(store.chat_append_messages("c".into(), batch, JsValue::UNDEFINED)).await);
    assert_eq!(appended.length(), 5_000);
    // Mark the even sequences processed, each with its own call, all started at once.
    let marks = (1..=5_000)
        .filter(|seq| seq % 2 == 0)
        .map(|seq| store.chat_mark_processed("c".into(), JsValue::from(seq)))
        .collect();
    let changed: f64 = all(marks).await.iter().map(|v| v.as_f64().unwrap()).sum();
    assert_eq!(changed, 2_500.0);
    assert_eq!(
        one(store.chat_unprocessed_count("c".into())).await.as_f64(),
        Some(2_500.0)
    );
    let mut loaded = 0;
    let mut after = 0;
    loop {
        let page = one(store.chat_page(
            "c".into(),
            object(&[("after", after.into()), ("limit", 1000.into())]),
        ))
        .await;
        let messages = Array::from(&get(&page, "messages"));
        for message in messages.iter() {
            if get(&message, "processed").as_bool() == Some(false) {
                assert_eq!(number(&message, "seq") % 2, 1);
                loaded += 1;
            }
            after = number(&message, "seq") as i32;
        }
        if get(&page, "hasMore").as_bool() != Some(true) {
            break;
        }
    }
    assert_eq!(loaded, 2_500);
    let unprocessed = Array::from(&one(store.chat_unprocessed("c".into(), Some(1000))).await);
    assert_eq!(unprocessed.length(), 1000);
    assert!(unprocessed.iter().all(|m| number(&m, "seq") % 2 == 1));
    js_close(&name, store, choice).await;
}
