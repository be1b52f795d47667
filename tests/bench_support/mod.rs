//! What the release benchmarks share: the browser clock, the `BENCH_JSON` line `scripts/bench.sh` reads,
//! statistics, and the chat data they write.
#![allow(dead_code)]

pub mod mls;

use mls_web_store::chat::{NewChannel, NewMessage};
use wasm_bindgen::prelude::*;

pub const T0: i64 = 1_800_000_000_000;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(text: &str);
}

/// Prints the line `scripts/bench.sh` picks up.
pub fn report(json: impl std::fmt::Display) {
    console_log(&format!("BENCH_JSON {json}"));
}

pub fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

pub fn median(values: Vec<f64>) -> f64 {
    percentile(&values, 0.5)
}

/// The `p` quantile (nearest rank), rounded to microseconds.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    round(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

/// Channel `c`, created by `me`.
pub fn channel() -> NewChannel {
    NewChannel {
        channel_id: "c".into(),
        name: b"general".to_vec(),
        group_id: None,
        creator: b"me".to_vec(),
    }
}

/// Messages `start..start + count` with ids, seven senders and 160-byte bodies (a short encrypted message).
pub fn messages(start: usize, count: usize) -> Vec<NewMessage> {
    (start..start + count)
        .map(|i| NewMessage {
            message_id: Some(format!("m{i:07}")),
            sender: format!("sender-{}", i % 7).into_bytes(),
            body: (0..160).map(|j| (i.wrapping_mul(31) ^ j) as u8).collect(),
            sent_at_ms: T0 + i as i64,
        })
        .collect()
}

/// Appends messages `0..count` to channel `c` in durable batches of `batch` (each synced), as the large-store
/// benchmarks fill their stores.
pub async fn fill(store: &mls_web_store::store::Store, count: usize, batch: usize) {
    for chunk in 0..count / batch {
        store
            .chat()
            .append_messages("c", &messages(chunk * batch, batch), None, T0)
            .expect("fill");
        store.sync().await.expect("sync");
    }
}
