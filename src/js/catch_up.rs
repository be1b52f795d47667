//! The catch-up API for JavaScript: `mlsProcessMessages` (one group) and `mlsProcessInboxes` (several), each
//! one transaction that resolves once durable, with one result object per message.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::changes::Change;
use super::convert::{field, optional_integer_arg, optional_string, required_bytes};
use super::results::ProcessedMessageJs;
use super::shape::JsType;
use super::JsStore;
use crate::catch_up::{Inbox, IncomingMessage, Processed};
use crate::store::StoreError;

/// A message given as its bytes, or as `{ message, messageId?, sentAtMs? }`.
fn incoming_message(value: &JsValue) -> Result<IncomingMessage, StoreError> {
    if value.is_instance_of::<js_sys::Uint8Array>() {
        return Ok(IncomingMessage {
            message: required_bytes(value, "a message is a Uint8Array")?,
            message_id: None,
            sent_at_ms: None,
        });
    }
    Ok(IncomingMessage {
        message: required_bytes(
            &field(value, "message")?,
            "a message is a Uint8Array or { message: Uint8Array, messageId?, sentAtMs? }",
        )?,
        message_id: optional_string(&field(value, "messageId")?, "messageId must be a string")?,
        sent_at_ms: optional_integer_arg(
            &field(value, "sentAtMs")?,
            "sentAtMs must be an integer",
        )?,
    })
}

fn incoming_messages(value: &JsValue) -> Result<Vec<IncomingMessage>, StoreError> {
    value
        .dyn_ref::<Array>()
        .ok_or(StoreError::InvalidArgument("messages must be an array"))?
        .iter()
        .map(|item| incoming_message(&item))
        .collect()
}

/// `{ groupId, channelId, messages }`.
fn inbox(value: &JsValue) -> Result<Inbox, StoreError> {
    Ok(Inbox {
        group_id: required_bytes(&field(value, "groupId")?, "groupId must be a Uint8Array")?,
        channel_id: optional_string(&field(value, "channelId")?, "channelId must be a string")?
            .ok_or(StoreError::InvalidArgument("channelId is required"))?,
        messages: incoming_messages(&field(value, "messages")?)?,
    })
}

fn results_array(results: Vec<Processed>) -> Array {
    results.iter().map(ProcessedMessageJs::to_js).collect()
}

/// What an inbox's results changed: the messages stored in its channel, the epoch its commits reached.
fn inbox_changes(inbox: &Inbox, results: &[Processed]) -> Vec<Change> {
    let stored = results.iter().filter_map(|processed| match processed {
        Processed::Application { seq, .. } => Some(*seq),
        _ => None,
    });
    let epoch = results.iter().rev().find_map(|processed| match processed {
        Processed::Commit { epoch, .. } => Some(*epoch),
        _ => None,
    });
    Change::appended(&inbox.channel_id, stored)
        .into_iter()
        .chain(epoch.map(|epoch| Change::GroupEpoch {
            group_id: inbox.group_id.clone(),
            epoch,
        }))
        .collect()
}

/// Processes the inboxes; resolves to their results, with the changes they made.
fn process(
    store: &crate::store::Store,
    inboxes: Vec<Inbox>,
) -> Result<(Vec<Array>, Vec<Change>), StoreError> {
    let results = store.catch_up().process(&inboxes)?;
    let changes = inboxes
        .iter()
        .zip(&results)
        .flat_map(|(inbox, results)| inbox_changes(inbox, results))
        .collect();
    Ok((results.into_iter().map(results_array).collect(), changes))
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Processes the group's queued messages in order and stores every application message's plaintext in
    /// channel `channelId`, in one transaction. `messages` are `Uint8Array`s or
    /// `{ message, messageId?, sentAtMs? }`. Resolves, once durable, to one `ProcessedMessage` per message:
    /// a message the protocol refuses is `{ kind: "rejected", code, reason }` and the others still apply.
    /// Rejects (and stores nothing) when the channel is missing or belongs to another group, an argument is
    /// invalid, or the store fails.
    #[wasm_bindgen(
        js_name = mlsProcessMessages,
        unchecked_return_type = "Promise<ProcessedMessage[]>"
    )]
    pub fn mls_process_messages(
        &self,
        group_id: Vec<u8>,
        channel_id: String,
        #[wasm_bindgen(unchecked_param_type = "IncomingMessage[]")] messages: JsValue,
    ) -> Promise {
        let messages = accept!(incoming_messages(&messages));
        self.spawn_changing(move |store| {
            let inbox = Inbox {
                group_id: group_id.clone(),
                channel_id: channel_id.clone(),
                messages: messages.clone(),
            };
            let (results, changes) = process(store, vec![inbox])?;
            let results = results.into_iter().next().unwrap_or_default();
            Ok((results.into(), changes))
        })
    }

    /// [`JsStore::mls_process_messages`] (`mlsProcessMessages`) for several groups at once:
    /// `[{ groupId, channelId, messages }]`, processed in the order given, in one transaction. Resolves to
    /// one array of results per inbox.
    #[wasm_bindgen(
        js_name = mlsProcessInboxes,
        unchecked_return_type = "Promise<ProcessedMessage[][]>"
    )]
    pub fn mls_process_inboxes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MlsInbox[]")] inboxes: JsValue,
    ) -> Promise {
        let inboxes = accept!(inboxes
            .dyn_ref::<Array>()
            .ok_or(StoreError::InvalidArgument("inboxes must be an array"))
            .and_then(|list| {
                list.iter()
                    .map(|item| inbox(&item))
                    .collect::<Result<Vec<_>, _>>()
            }));
        self.spawn_changing(move |store| {
            let (results, changes) = process(store, inboxes.clone())?;
            Ok((results.into_iter().collect::<Array>().into(), changes))
        })
    }
}
