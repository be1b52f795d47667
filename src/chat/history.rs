//! Chat history apart from the store's own state: what a history backup keeps of the chat tables
//! (channels, messages, members, filtered by channel and time; no welcomes, idempotency records or
//! member-hash secret), and how such a history merges into a store that has history of its own. Merging adds
//! what the store lacks and never changes or deletes what it has.

use serde::{Deserialize, Serialize};

use super::channel_rows::{channel_row, load, COLUMNS as CHANNEL_COLUMNS};
use super::members::{hash_key, member_row, merge_member};
use super::messages::{message_row, COLUMNS as MESSAGE_COLUMNS};
use super::{ChatError, FillRandom};
use crate::sql::Connection;

/// Which history a history backup holds: all of it when every field is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Only these channels (each must exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Only messages sent at or after this time (ms since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// Only messages sent before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

impl HistoryFilter {
    /// Whether the filter keeps everything.
    pub fn is_everything(&self) -> bool {
        self.channels.is_none() && self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// # Errors
    /// An empty channel list, or a time range that holds no time.
    pub fn check(&self) -> Result<(), ChatError> {
        if self.channels.as_ref().is_some_and(Vec::is_empty) {
            return Err(ChatError::InvalidArgument(
                "a channel filter names at least one channel",
            ));
        }
        if let (Some(since), Some(until)) = (self.since_ms, self.until_ms) {
            if since >= until {
                return Err(ChatError::InvalidArgument(
                    "a time filter's since is before its until",
                ));
            }
        }
        Ok(())
    }
}

/// Reduces a copy of a store's database to its history, inside the caller's transaction: the channels and
/// messages `filter` keeps, their members, nothing else of the chat tables.
///
/// # Errors
/// The filter is invalid or names a channel the database lacks; storage fails.
pub(crate) fn keep_only_history(
    conn: &Connection,
    filter: &HistoryFilter,
) -> Result<(), ChatError> {
    filter.check()?;
    conn.execute_batch(
        "DELETE FROM chat_welcomes; DELETE FROM chat_idempotency; DELETE FROM chat_member_hash_secret",
    )?;
    if let Some(channels) = &filter.channels {
        let wanted = serde_json::to_string(channels)
            .map_err(|_| ChatError::InvalidArgument("channel ids"))?;
        let missing: Option<String> = conn.query_optional(
            "SELECT value FROM json_each(?1) WHERE value NOT IN (SELECT channel_id FROM chat_channels) LIMIT 1",
            &[&wanted],
            |row| row.get(0),
        )?;
        if let Some(missing) = missing {
            return Err(ChatError::ChannelNotFound(missing));
        }
        for table in ["chat_messages", "chat_members", "chat_channels"] {
            conn.execute(
                &format!(
                    "DELETE FROM {table} WHERE channel_id NOT IN (SELECT value FROM json_each(?1))"
                ),
                &[&wanted],
            )?;
        }
    }
    if let Some(since) = filter.since_ms {
        conn.execute("DELETE FROM chat_messages WHERE sent_at_ms < ?1", &[&since])?;
    }
    if let Some(until) = filter.until_ms {
        conn.execute(
            "DELETE FROM chat_messages WHERE sent_at_ms >= ?1",
            &[&until],
        )?;
    }
    conn.execute_batch(
        "UPDATE chat_channels SET unprocessed = (
            SELECT count(*) FROM chat_messages m WHERE m.channel_id = chat_channels.channel_id AND m.processed = 0
        )",
    )?;
    Ok(())
}

/// What merging a history into a store did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergedHistory {
    pub channels_added: u64,
    pub messages_added: u64,
    /// Messages whose id the store had already (in any channel): left as the store had them.
    pub messages_present: u64,
    /// Added messages that could not keep their sequence number (their channel in the store had reached
    /// it) and were appended after the channel's newest instead, in their original order.
    pub messages_renumbered: u64,
    pub members_added: u64,
    /// Member rows without an identity (written before schema version 3), which cannot be merged.
    pub members_skipped: u64,
}

/// Messages copied per query: bodies can be up to 1 MiB each, so this bounds a batch's memory to 64 MiB
/// at worst (a few hundred KiB for ordinary chat).
const BATCH: i64 = 64;

/// Merges the history in `source` into `target`, inside the caller's transaction on `target`. A channel the
/// store lacks is added as the backup has it; a message whose id the store lacks is added with its sequence
/// number when its channel has not reached that number yet, else after the channel's newest; a member the
/// channel lacks is added. `progress(done, total)` counts the source's messages.
///
/// # Errors
/// Storage fails (the caller's transaction then holds a partial merge: roll it back).
pub(crate) fn merge_history(
    source: &Connection,
    target: &Connection,
    fill_random: FillRandom,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<MergedHistory, ChatError> {
    let mut merged = MergedHistory::default();
    let member_key = hash_key(target, fill_random)?;
    let total: i64 = source.query_value("SELECT count(*) FROM chat_messages", &[])?;
    let total = u64::try_from(total).unwrap_or(0);
    let mut done = 0u64;
    progress(done, total);
    let channels = source.query_map(
        &format!("SELECT {CHANNEL_COLUMNS} FROM chat_channels ORDER BY channel_id"),
        &[],
        channel_row,
    )?;
    for channel in channels {
        let channel_id = channel.channel_id.as_str();
        merged.channels_added += target.execute(
            "INSERT INTO chat_channels (channel_id, group_id, name, created_at_ms, archived_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (channel_id) DO NOTHING",
            &[
                &channel_id,
                &channel.group_id,
                &channel.name,
                &channel.created_at_ms,
                &channel.archived_at_ms,
            ],
        )? as u64;
        let mut last_seq = load(target, channel_id)?.last_seq;
        let mut new_unprocessed = 0i64;
        let mut after = 0i64;
        loop {
            let batch = source.query_map(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE channel_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                ),
                &[&channel_id, &after, &BATCH],
                message_row,
            )?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for message in batch {
                let seq = if message.seq > last_seq {
                    message.seq
                } else {
                    last_seq + 1
                };
                let inserted = target.execute(
                    "INSERT INTO chat_messages (channel_id, seq, message_id, sender, body, sent_at_ms, stored_at_ms, processed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (message_id) DO NOTHING",
                    &[
                        &channel_id,
                        &seq,
                        &message.message_id,
                        &message.sender,
                        &message.body,
                        &message.sent_at_ms,
                        &message.stored_at_ms,
                        &message.processed,
                    ],
                )?;
                if inserted == 0 {
                    merged.messages_present += 1;
                } else {
                    merged.messages_added += 1;
                    merged.messages_renumbered += u64::from(seq != message.seq);
                    new_unprocessed += i64::from(!message.processed);
                    last_seq = seq;
                }
                done += 1;
            }
            progress(done, total);
        }
        target.execute(
            "UPDATE chat_channels SET last_seq = max(last_seq, ?2), unprocessed = unprocessed + ?3
             WHERE channel_id = ?1",
            &[&channel_id, &last_seq, &new_unprocessed],
        )?;
        let members = source.query_map(
            "SELECT identity, role, joined_at_ms, left_at_ms FROM chat_members WHERE channel_id = ?1",
            &[&channel_id],
            member_row,
        )?;
        for member in members {
            // A member row from before schema version 3 has no identity to key it by.
            if member.identity.is_empty() {
                merged.members_skipped += 1;
                continue;
            }
            merged.members_added += u64::from(merge_member(
                target,
                &member_key,
                channel_id,
                &member.identity,
                &member.role,
                member.joined_at_ms,
                member.left_at_ms,
            )?);
        }
    }
    Ok(merged)
}
