//! Change events: what a write changed, told to the store's `onChange` listener once the write is durable.
//! Each write method names its own changes from its result (a rolled-back or failed write names none), so
//! a listener never hears of something the store does not hold. The package's Worker passes them to every
//! tab that has the store open (`store.subscribe` in the client).

use std::cell::RefCell;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::shape::{js_union, Bool, Bytes, Int, JsType, Str, Uint};
use super::JsStore;
use crate::chat::Appended;

/// The sequences of the messages an append added (duplicates were not written).
pub(super) fn new_seqs(appended: &[Appended]) -> impl Iterator<Item = i64> + '_ {
    appended.iter().filter(|a| !a.duplicate).map(|a| a.seq)
}

/// One change a committed write made.
pub(super) enum Change {
    ChannelCreated {
        channel_id: String,
    },
    ChannelArchived {
        channel_id: String,
        archived: bool,
    },
    ChannelDeleted {
        channel_id: String,
    },
    /// New messages, sequences `from_seq..=to_seq` (appends assign consecutive sequences).
    MessagesAppended {
        channel_id: String,
        from_seq: i64,
        to_seq: i64,
    },
    MessagesProcessed {
        channel_id: String,
        seqs: Vec<i64>,
    },
    MessagesPruned {
        channel_id: String,
        count: i64,
    },
    MembersChanged {
        channel_id: String,
    },
    /// The group is at `epoch` now (created, joined, or a commit merged).
    GroupEpoch {
        group_id: Vec<u8>,
        epoch: u64,
    },
    GroupDeleted {
        group_id: Vec<u8>,
    },
    KeyValue {
        namespace: String,
        key: String,
    },
    /// A full backup replaced the store: everything may have changed.
    StoreReplaced,
    /// A history backup was merged in: channels and messages were added.
    HistoryMerged,
}

impl Change {
    /// The messages a write added, given their sequences, if it added any.
    pub(super) fn appended(
        channel_id: &str,
        new_seqs: impl IntoIterator<Item = i64>,
    ) -> Option<Change> {
        let mut seqs = new_seqs.into_iter();
        let first = seqs.next()?;
        let (from_seq, to_seq) =
            seqs.fold((first, first), |(lo, hi), seq| (lo.min(seq), hi.max(seq)));
        Some(Change::MessagesAppended {
            channel_id: channel_id.to_owned(),
            from_seq,
            to_seq,
        })
    }
}

js_union! {
    /// What a durable write changed (see `Store.onChange`; the client's `subscribe`).
    pub(super) StoreChangeJs as "StoreChange", tag "type", for<'a> &'a Change, |change| {
        Change::MessagesAppended { channel_id, from_seq, to_seq } => "messagesAppended" {
            channelId: one Str = channel_id,
            fromSeq: one Int = *from_seq,
            toSeq: one Int = *to_seq,
        },
        Change::MessagesProcessed { channel_id, seqs } => "messagesProcessed" {
            channelId: one Str = channel_id,
            seqs: list Int = seqs.iter().copied(),
        },
        Change::MessagesPruned { channel_id, count } => "messagesPruned" {
            channelId: one Str = channel_id,
            count: one Int = *count,
        },
        Change::ChannelCreated { channel_id } => "channelCreated" {
            channelId: one Str = channel_id,
        },
        Change::ChannelArchived { channel_id, archived } => "channelArchived" {
            channelId: one Str = channel_id,
            archived: one Bool = *archived,
        },
        Change::ChannelDeleted { channel_id } => "channelDeleted" {
            channelId: one Str = channel_id,
        },
        Change::MembersChanged { channel_id } => "membersChanged" {
            channelId: one Str = channel_id,
        },
        Change::GroupEpoch { group_id, epoch } => "groupEpoch" {
            groupId: one Bytes = group_id,
            epoch: one Uint = *epoch,
        },
        Change::GroupDeleted { group_id } => "groupDeleted" {
            groupId: one Bytes = group_id,
        },
        Change::KeyValue { namespace, key } => "keyValue" {
            namespace: one Str = namespace,
            key: one Str = key,
        },
        Change::StoreReplaced => "storeReplaced" {},
        Change::HistoryMerged => "historyMerged" {},
    }
}

/// `change` when `happened`, else nothing.
pub(super) fn changes_if(happened: bool, change: impl FnOnce() -> Change) -> Vec<Change> {
    happened.then(change).into_iter().collect()
}

/// The listener of one open store.
#[derive(Default)]
pub(super) struct ChangeListener {
    callback: RefCell<Option<Function>>,
}

impl ChangeListener {
    pub(super) fn tell(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let Some(callback) = self.callback.borrow().clone() else {
            return;
        };
        let list: Array = changes.iter().map(StoreChangeJs::to_js).collect();
        // A throwing listener is the app's bug; the write it hears of succeeded all the same.
        let _ = callback.call1(&JsValue::UNDEFINED, &list);
    }
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Calls `listener(changes)` after each write through this object is durable, with what it changed:
    /// `{ type: "messagesAppended", channelId, fromSeq, toSeq }`, `"messagesProcessed"` (`seqs`),
    /// `"messagesPruned"` (`count`), `"channelCreated"`, `"channelArchived"` (`archived`),
    /// `"channelDeleted"`, `"membersChanged"`, `"groupEpoch"` (`groupId`, `epoch`), `"groupDeleted"`,
    /// `"keyValue"` (`namespace`, `key`), `"storeReplaced"`, `"historyMerged"`. A failed or rolled-back
    /// write calls nothing. `null` removes the listener. The client (`openStore` of the package) delivers
    /// them to every tab through `store.subscribe`.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((changes: StoreChange[]) => void) | null")]
        listener: Option<Function>,
    ) {
        *self.changes.callback.borrow_mut() = listener;
    }
}
