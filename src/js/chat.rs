//! The chat API for JavaScript: `chat*` methods on `Store`. Arguments are plain objects with `Uint8Array`
//! bytes; results are plain objects; sequences, counts and times are numbers. Writes resolve once durable.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::changes::{changes_if, new_seqs, Change};
use super::convert::{
    byte_arrays, field, integer, optional_bool, optional_bytes, optional_integer_arg,
    optional_string, required_bytes,
};
use super::results::{list, AppendedJs, ChannelJs, MemberJs, MessageJs, MessagePageJs};
use super::shape::JsType;
use super::JsStore;
use crate::chat::{Idempotency, MemberRole, NewChannel, NewMessage, PageCursor};
use crate::platform::now_ms;
use crate::store::StoreError;

/// `{ idempotencyKey, idempotencyTtlMs }` from a write's options.
fn idempotency(options: &JsValue) -> Result<Option<Idempotency>, StoreError> {
    let Some(key) = optional_string(
        &field(options, "idempotencyKey")?,
        "idempotencyKey must be a string",
    )?
    else {
        return Ok(None);
    };
    let mut idempotency = Idempotency::new(key);
    if let Some(ttl) = optional_integer_arg(
        &field(options, "idempotencyTtlMs")?,
        "idempotencyTtlMs must be an integer",
    )? {
        idempotency.ttl_ms = ttl;
    }
    Ok(Some(idempotency))
}

fn new_message(value: &JsValue) -> Result<NewMessage, StoreError> {
    Ok(NewMessage {
        message_id: optional_string(&field(value, "messageId")?, "messageId must be a string")?,
        sender: required_bytes(&field(value, "sender")?, "sender must be a Uint8Array")?,
        body: required_bytes(&field(value, "body")?, "body must be a Uint8Array")?,
        sent_at_ms: optional_integer_arg(
            &field(value, "sentAtMs")?,
            "sentAtMs must be an integer",
        )?
        .unwrap_or_else(now_ms),
    })
}

fn new_channel(value: &JsValue) -> Result<NewChannel, StoreError> {
    Ok(NewChannel {
        channel_id: optional_string(&field(value, "channelId")?, "channelId must be a string")?
            .ok_or(StoreError::InvalidArgument("channelId is required"))?,
        name: optional_bytes(&field(value, "name")?, "name must be a Uint8Array")?
            .unwrap_or_default(),
        group_id: optional_bytes(&field(value, "groupId")?, "groupId must be a Uint8Array")?,
        creator: required_bytes(&field(value, "creator")?, "creator must be a Uint8Array")?,
    })
}

pub(super) fn page_cursor(options: &JsValue) -> Result<(PageCursor, u32), StoreError> {
    let before = optional_integer_arg(&field(options, "before")?, "before must be an integer")?;
    let after = optional_integer_arg(&field(options, "after")?, "after must be an integer")?;
    let limit =
        optional_integer_arg(&field(options, "limit")?, "limit must be an integer")?.unwrap_or(50);
    let limit =
        u32::try_from(limit).map_err(|_| StoreError::InvalidArgument("limit is 1 to 1000"))?;
    let cursor = match (before, after) {
        (None, None) => PageCursor::Newest,
        (Some(seq), None) => PageCursor::Before(seq),
        (None, Some(seq)) => PageCursor::After(seq),
        (Some(_), Some(_)) => {
            return Err(StoreError::InvalidArgument(
                "give before or after, not both",
            ))
        }
    };
    Ok((cursor, limit))
}

/// A number or an array of numbers.
fn sequences(value: &JsValue) -> Result<Vec<i64>, StoreError> {
    const WHAT: &str = "seqs must be an integer or an array of integers";
    match value.dyn_ref::<Array>() {
        Some(array) => array
            .iter()
            .map(|item| optional_integer_arg(&item, WHAT)?.ok_or(StoreError::InvalidArgument(WHAT)))
            .collect(),
        None => Ok(vec![
            optional_integer_arg(value, WHAT)?.ok_or(StoreError::InvalidArgument(WHAT))?
        ]),
    }
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Creates a channel: `{ channelId, name?, groupId?, creator }`; options `{ idempotencyKey?,
    /// idempotencyTtlMs? }`. Resolves to the channel. Rejects with `CHANNEL_EXISTS` if the id is taken.
    #[wasm_bindgen(js_name = chatCreateChannel, unchecked_return_type = "Promise<Channel>")]
    pub fn chat_create_channel(
        &self,
        #[wasm_bindgen(unchecked_param_type = "NewChannel")] channel: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: JsValue,
    ) -> Promise {
        let args = accept!(new_channel(&channel).and_then(|c| Ok((c, idempotency(&options)?))));
        self.spawn_changing(move |store| {
            let (channel, idempotency) = &args;
            let created = store
                .chat()
                .create_channel(channel, idempotency.as_ref(), now_ms())?;
            let change = Change::ChannelCreated {
                channel_id: created.channel_id.clone(),
            };
            Ok((ChannelJs::to_js(&created), vec![change]))
        })
    }

    /// Resolves to the channel; rejects with `CHANNEL_NOT_FOUND`.
    #[wasm_bindgen(js_name = chatChannel, unchecked_return_type = "Promise<Channel>")]
    pub fn chat_channel(&self, channel_id: String) -> Promise {
        self.spawn(move |store| Ok(ChannelJs::to_js(&store.chat().channel(&channel_id)?)))
    }

    /// Resolves to the channels, oldest first: `{ archived: true }` lists the archived ones instead.
    #[wasm_bindgen(js_name = chatListChannels, unchecked_return_type = "Promise<Channel[]>")]
    pub fn chat_list_channels(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListChannelsOptions")] options: JsValue,
    ) -> Promise {
        let archived = accept!(field(&options, "archived")
            .and_then(|v| optional_bool(&v, "archived must be a boolean")));
        self.spawn(move |store| {
            let channels = store.chat().list_channels(archived.unwrap_or(false))?;
            Ok(list::<ChannelJs>(&channels))
        })
    }

    /// Archives the channel (archiving twice keeps the first time).
    #[wasm_bindgen(js_name = chatArchiveChannel, unchecked_return_type = "Promise<void>")]
    pub fn chat_archive_channel(&self, channel_id: String) -> Promise {
        self.spawn_changing(move |store| {
            store.chat().set_archived(&channel_id, Some(now_ms()))?;
            let change = Change::ChannelArchived {
                channel_id: channel_id.clone(),
                archived: true,
            };
            Ok((JsValue::UNDEFINED, vec![change]))
        })
    }

    /// Brings the channel back from the archive.
    #[wasm_bindgen(js_name = chatUnarchiveChannel, unchecked_return_type = "Promise<void>")]
    pub fn chat_unarchive_channel(&self, channel_id: String) -> Promise {
        self.spawn_changing(move |store| {
            store.chat().set_archived(&channel_id, None)?;
            let change = Change::ChannelArchived {
                channel_id: channel_id.clone(),
                archived: false,
            };
            Ok((JsValue::UNDEFINED, vec![change]))
        })
    }

    /// Deletes the channel with its messages and members. Resolves to whether it existed.
    #[wasm_bindgen(js_name = chatDeleteChannel, unchecked_return_type = "Promise<boolean>")]
    pub fn chat_delete_channel(&self, channel_id: String) -> Promise {
        self.spawn_changing(move |store| {
            let existed = store.chat().delete_channel(&channel_id)?;
            let changes = changes_if(existed, || Change::ChannelDeleted {
                channel_id: channel_id.clone(),
            });
            Ok((existed.into(), changes))
        })
    }

    /// Appends `{ messageId?, sender, body, sentAtMs? }`. Resolves to `{ seq, messageId, duplicate }`; a
    /// message id already stored in the channel is not written again (`duplicate: true`).
    #[wasm_bindgen(js_name = chatAppendMessage, unchecked_return_type = "Promise<Appended>")]
    pub fn chat_append_message(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_param_type = "NewMessage")] message: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: JsValue,
    ) -> Promise {
        let args = accept!(new_message(&message).and_then(|m| Ok((m, idempotency(&options)?))));
        self.spawn_changing(move |store| {
            let (message, idempotency) = &args;
            let appended = store.chat().append_message(
                &channel_id,
                message,
                idempotency.as_ref(),
                now_ms(),
            )?;
            let changes = Change::appended(&channel_id, new_seqs(std::slice::from_ref(&appended)));
            Ok((AppendedJs::to_js(&appended), changes.into_iter().collect()))
        })
    }

    /// Appends an array of messages in one transaction (all or none). Resolves to one
    /// `{ seq, messageId, duplicate }` per message, in order.
    #[wasm_bindgen(js_name = chatAppendMessages, unchecked_return_type = "Promise<Appended[]>")]
    pub fn chat_append_messages(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_param_type = "NewMessage[]")] messages: Array,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: JsValue,
    ) -> Promise {
        let args = accept!(messages
            .iter()
            .map(|m| new_message(&m))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|m| Ok((m, idempotency(&options)?))));
        self.spawn_changing(move |store| {
            let (messages, idempotency) = &args;
            let appended = store.chat().append_messages(
                &channel_id,
                messages,
                idempotency.as_ref(),
                now_ms(),
            )?;
            let changes = Change::appended(&channel_id, new_seqs(&appended));
            Ok((list::<AppendedJs>(&appended), changes.into_iter().collect()))
        })
    }

    /// A page of messages: `{ limit? (default 50, at most 1000) }` gives the newest, newest first;
    /// `{ before: seq }` scrolls back (newest first); `{ after: seq }` catches up (oldest first). Resolves to
    /// `{ messages, hasMore }`.
    #[wasm_bindgen(js_name = chatPage, unchecked_return_type = "Promise<MessagePage>")]
    pub fn chat_page(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "PageOptions")] options: JsValue,
    ) -> Promise {
        let args = accept!(page_cursor(&options));
        self.spawn(move |store| {
            let (cursor, limit) = args;
            let page = store.chat().page(&channel_id, cursor, limit)?;
            Ok(MessagePageJs::to_js(&page))
        })
    }

    /// Resolves to the message with this id, or `undefined`.
    #[wasm_bindgen(js_name = chatMessageById, unchecked_return_type = "Promise<Message | undefined>")]
    pub fn chat_message_by_id(&self, message_id: String) -> Promise {
        self.spawn(move |store| {
            Ok(store
                .chat()
                .message_by_id(&message_id)?
                .map_or(JsValue::UNDEFINED, |m| MessageJs::to_js(&m)))
        })
    }

    /// Resolves to how many messages the channel holds.
    #[wasm_bindgen(js_name = chatMessageCount, unchecked_return_type = "Promise<number>")]
    pub fn chat_message_count(&self, channel_id: String) -> Promise {
        self.spawn(move |store| Ok(integer(store.chat().message_count(&channel_id)?)))
    }

    /// Resolves to how many of the channel's messages are not processed.
    #[wasm_bindgen(js_name = chatUnprocessedCount, unchecked_return_type = "Promise<number>")]
    pub fn chat_unprocessed_count(&self, channel_id: String) -> Promise {
        self.spawn(move |store| Ok(integer(store.chat().unprocessed_count(&channel_id)?)))
    }

    /// Resolves to the oldest unprocessed messages, oldest first (`limit` default 100, at most 1000).
    #[wasm_bindgen(js_name = chatUnprocessed, unchecked_return_type = "Promise<Message[]>")]
    pub fn chat_unprocessed(&self, channel_id: String, limit: Option<u32>) -> Promise {
        self.spawn(move |store| {
            let messages = store
                .chat()
                .unprocessed(&channel_id, limit.unwrap_or(100))?;
            Ok(list::<MessageJs>(&messages))
        })
    }

    /// Marks messages (one seq or an array) processed. Resolves to how many changed.
    #[wasm_bindgen(js_name = chatMarkProcessed, unchecked_return_type = "Promise<number>")]
    pub fn chat_mark_processed(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_param_type = "number | number[]")] seqs: JsValue,
    ) -> Promise {
        let seqs = accept!(sequences(&seqs));
        self.spawn_changing(move |store| {
            let changed = store.chat().mark_processed(&channel_id, &seqs)?;
            let changes = changes_if(changed > 0, || Change::MessagesProcessed {
                channel_id: channel_id.clone(),
                seqs: seqs.clone(),
            });
            Ok((integer(changed as i64), changes))
        })
    }

    /// Deletes all but the newest `keep` messages. Resolves to how many were deleted.
    #[wasm_bindgen(js_name = chatPrune, unchecked_return_type = "Promise<number>")]
    pub fn chat_prune(&self, channel_id: String, keep: u32) -> Promise {
        self.spawn_changing(move |store| {
            let count = store.chat().prune(&channel_id, keep)? as i64;
            let changes = changes_if(count > 0, || Change::MessagesPruned {
                channel_id: channel_id.clone(),
                count,
            });
            Ok((integer(count), changes))
        })
    }

    /// Adds members (array of `Uint8Array` identities; `role` "member" by default, or "admin"). Present
    /// members are left as they are. Resolves to how many were added or came back.
    #[wasm_bindgen(js_name = chatAddMembers, unchecked_return_type = "Promise<number>")]
    pub fn chat_add_members(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] identities: JsValue,
        role: Option<String>,
    ) -> Promise {
        let args = accept!(
            byte_arrays(&identities, "identities must be an array of Uint8Array").and_then(|ids| {
                let role = match role.as_deref() {
                    None => MemberRole::Member,
                    Some(text) => MemberRole::parse(text).map_err(StoreError::from)?,
                };
                Ok((ids, role))
            })
        );
        self.spawn_changing(move |store| {
            let (identities, role) = &args;
            let changed = store
                .chat()
                .add_members(&channel_id, identities, *role, now_ms())?;
            let changes = changes_if(changed > 0, || Change::MembersChanged {
                channel_id: channel_id.clone(),
            });
            Ok((integer(changed as i64), changes))
        })
    }

    /// Marks the member as left. Resolves to whether this call did it.
    #[wasm_bindgen(js_name = chatLeave, unchecked_return_type = "Promise<boolean>")]
    pub fn chat_leave(&self, channel_id: String, identity: Vec<u8>) -> Promise {
        self.spawn_changing(move |store| {
            let left = store.chat().leave(&channel_id, &identity, now_ms())?;
            let changes = changes_if(left, || Change::MembersChanged {
                channel_id: channel_id.clone(),
            });
            Ok((left.into(), changes))
        })
    }

    /// Resolves to the members `{ identity, role, joinedAtMs, leftAtMs }`; `{ includeLeft: true }` lists
    /// those who left too.
    #[wasm_bindgen(js_name = chatMembers, unchecked_return_type = "Promise<Member[]>")]
    pub fn chat_members(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "MembersOptions")] options: JsValue,
    ) -> Promise {
        let include_left = accept!(field(&options, "includeLeft")
            .and_then(|v| optional_bool(&v, "includeLeft must be a boolean")));
        self.spawn(move |store| {
            let members = store
                .chat()
                .members(&channel_id, include_left.unwrap_or(false))?;
            Ok(list::<MemberJs>(&members))
        })
    }

    /// Resolves to whether `identity` is a current member.
    #[wasm_bindgen(js_name = chatIsMember, unchecked_return_type = "Promise<boolean>")]
    pub fn chat_is_member(&self, channel_id: String, identity: Vec<u8>) -> Promise {
        self.spawn(move |store| Ok(store.chat().is_member(&channel_id, &identity)?.into()))
    }

    /// Removes expired idempotency records. Resolves to how many went.
    #[wasm_bindgen(js_name = chatCleanupIdempotency, unchecked_return_type = "Promise<number>")]
    pub fn chat_cleanup_idempotency(&self) -> Promise {
        self.spawn(move |store| Ok(integer(store.chat().cleanup_idempotency(now_ms())? as i64)))
    }
}
