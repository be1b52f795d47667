//! Messages: appended with a per-channel sequence the store assigns, paged by sequence, marked processed,
//! pruned. A message id is stored once: delivering it again returns the stored sequence.

use serde::{Deserialize, Serialize};

use super::channel_rows::load;
use super::idempotency::run_once;
use super::{Chat, ChatError, FillRandom, Idempotency, MAX_BODY_LEN, MAX_ID_LEN, MAX_PAGE};
use crate::sql::{Connection, Row, SqlResult};

/// A message to append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    /// The app's (or delivery service's) id; the store makes a random one when absent.
    pub message_id: Option<String>,
    pub sender: Vec<u8>,
    pub body: Vec<u8>,
    pub sent_at_ms: i64,
}

/// Where an appended message went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    pub seq: i64,
    pub message_id: String,
    /// The message id was stored already; nothing was written.
    pub duplicate: bool,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub channel_id: String,
    pub seq: i64,
    pub message_id: String,
    pub sender: Vec<u8>,
    pub body: Vec<u8>,
    pub sent_at_ms: i64,
    pub stored_at_ms: i64,
    pub processed: bool,
}

/// Which page of a channel's messages to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCursor {
    /// The newest messages, newest first.
    Newest,
    /// Messages with a smaller sequence, newest first (scrolling back).
    Before(i64),
    /// Messages with a larger sequence, oldest first (catching up).
    After(i64),
}

/// A page of messages and whether more lie beyond it in the same direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

pub(super) const COLUMNS: &str =
    "channel_id, seq, message_id, sender, body, sent_at_ms, stored_at_ms, processed";

pub(super) fn message_row(row: &Row<'_>) -> SqlResult<Message> {
    Ok(Message {
        channel_id: row.get(0)?,
        seq: row.get(1)?,
        message_id: row.get(2)?,
        sender: row.get(3)?,
        body: row.get(4)?,
        sent_at_ms: row.get(5)?,
        stored_at_ms: row.get(6)?,
        processed: row.get(7)?,
    })
}

fn random_message_id(fill_random: FillRandom) -> Result<String, ChatError> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes).map_err(ChatError::RandomUnavailable)?;
    Ok(crate::hex::hex(&bytes))
}

fn check_message(message: &NewMessage) -> Result<(), ChatError> {
    if let Some(id) = &message.message_id {
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(ChatError::InvalidArgument("message ids are 1 to 256 bytes"));
        }
    }
    if message.body.len() > MAX_BODY_LEN {
        return Err(ChatError::InvalidArgument(
            "message bodies are at most 1 MiB",
        ));
    }
    if message.sender.len() > super::members::MAX_IDENTITY_LEN {
        return Err(ChatError::InvalidArgument("senders are at most 1024 bytes"));
    }
    Ok(())
}

/// What makes two appends the same request for idempotency. The send time is left out: an app that lets
/// the store stamp it (`sentAtMs` omitted in JS) retries with a different one.
fn fingerprint(message: &NewMessage) -> (&Option<String>, &[u8], &[u8]) {
    (&message.message_id, &message.sender, &message.body)
}

/// Appends inside the caller's transaction.
fn append_in(
    conn: &Connection,
    fill_random: FillRandom,
    channel_id: &str,
    messages: &[NewMessage],
    now_ms: i64,
) -> Result<Vec<Appended>, ChatError> {
    let channel = load(conn, channel_id)?;
    let mut last_seq = channel.last_seq;
    let mut new_unprocessed = 0i64;
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        check_message(message)?;
        let message_id = match &message.message_id {
            Some(id) => id.clone(),
            None => random_message_id(fill_random)?,
        };
        // Insert first and look the id up only when it was taken: one index probe per new message.
        let inserted = conn.execute(
            "INSERT INTO chat_messages (channel_id, seq, message_id, sender, body, sent_at_ms, stored_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (message_id) DO NOTHING",
            &[
                &channel_id,
                &(last_seq + 1),
                &message_id,
                &message.sender,
                &message.body,
                &message.sent_at_ms,
                &now_ms,
            ],
        )?;
        if inserted == 0 {
            let (stored_channel, seq): (String, i64) = conn.query_row(
                "SELECT channel_id, seq FROM chat_messages WHERE message_id = ?1",
                &[&message_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if stored_channel != channel_id {
                return Err(ChatError::MessageIdInOtherChannel {
                    message_id,
                    channel_id: stored_channel,
                });
            }
            out.push(Appended {
                seq,
                message_id,
                duplicate: true,
            });
            continue;
        }
        last_seq += 1;
        new_unprocessed += 1;
        out.push(Appended {
            seq: last_seq,
            message_id,
            duplicate: false,
        });
    }
    if new_unprocessed > 0 {
        conn.execute(
            "UPDATE chat_channels SET last_seq = ?2, unprocessed = unprocessed + ?3 WHERE channel_id = ?1",
            &[&channel_id, &last_seq, &new_unprocessed],
        )?;
    }
    Ok(out)
}

impl Chat<'_> {
    /// Appends one message; see [`Chat::append_messages`].
    ///
    /// # Errors
    /// As [`Chat::append_messages`].
    pub fn append_message(
        &self,
        channel_id: &str,
        message: &NewMessage,
        idempotency: Option<&Idempotency>,
        now_ms: i64,
    ) -> Result<Appended, ChatError> {
        let tx = self.conn.transaction()?;
        let appended = run_once(
            &tx,
            idempotency,
            "append_message",
            || (channel_id, fingerprint(message)),
            now_ms,
            || {
                let mut out = append_in(
                    &tx,
                    self.fill_random,
                    channel_id,
                    std::slice::from_ref(message),
                    now_ms,
                )?;
                out.pop()
                    .ok_or(ChatError::InvalidArgument("no message appended"))
            },
        )?;
        tx.commit()?;
        Ok(appended)
    }

    /// Appends messages in one transaction: each gets the channel's next sequence, in order. A message
    /// whose id is already stored in this channel is not written again (`duplicate`).
    ///
    /// # Errors
    /// The channel does not exist, a message id is stored in another channel, an idempotency key was used
    /// for another request, a message is invalid, or storage fails. Nothing is written then.
    pub fn append_messages(
        &self,
        channel_id: &str,
        messages: &[NewMessage],
        idempotency: Option<&Idempotency>,
        now_ms: i64,
    ) -> Result<Vec<Appended>, ChatError> {
        let tx = self.conn.transaction()?;
        let appended = run_once(
            &tx,
            idempotency,
            "append_messages",
            || {
                (
                    channel_id,
                    messages.iter().map(fingerprint).collect::<Vec<_>>(),
                )
            },
            now_ms,
            || append_in(&tx, self.fill_random, channel_id, messages, now_ms),
        )?;
        tx.commit()?;
        Ok(appended)
    }

    /// A page of the channel's messages (at most [`MAX_PAGE`]).
    ///
    /// # Errors
    /// The channel does not exist, `limit` is 0 or too large, or storage fails.
    pub fn page(
        &self,
        channel_id: &str,
        cursor: PageCursor,
        limit: u32,
    ) -> Result<MessagePage, ChatError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(ChatError::InvalidArgument("page limit is 1 to 1000"));
        }
        let conn = self.conn;
        load(conn, channel_id)?;
        let fetch = i64::from(limit) + 1;
        let mut messages = match cursor {
            PageCursor::Newest => conn.query_map(
                &format!("SELECT {COLUMNS} FROM chat_messages WHERE channel_id = ?1 ORDER BY seq DESC LIMIT ?2"),
                &[&channel_id, &fetch],
                message_row,
            )?,
            PageCursor::Before(seq) => conn.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM chat_messages WHERE channel_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                &[&channel_id, &seq, &fetch],
                message_row,
            )?,
            PageCursor::After(seq) => conn.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM chat_messages WHERE channel_id = ?1 AND seq > ?2 ORDER BY seq ASC LIMIT ?3"
                ),
                &[&channel_id, &seq, &fetch],
                message_row,
            )?,
        };
        let has_more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        Ok(MessagePage { messages, has_more })
    }

    /// The message with this id, in whatever channel.
    ///
    /// # Errors
    /// Storage fails.
    pub fn message_by_id(&self, message_id: &str) -> Result<Option<Message>, ChatError> {
        Ok(self.conn.query_optional(
            &format!("SELECT {COLUMNS} FROM chat_messages WHERE message_id = ?1"),
            &[&message_id],
            message_row,
        )?)
    }

    /// How many messages the channel holds.
    ///
    /// # Errors
    /// Storage fails.
    pub fn message_count(&self, channel_id: &str) -> Result<i64, ChatError> {
        Ok(self.conn.query_value(
            "SELECT count(*) FROM chat_messages WHERE channel_id = ?1",
            &[&channel_id],
        )?)
    }

    /// How many of the channel's messages are not marked processed (kept as a counter: no scan).
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn unprocessed_count(&self, channel_id: &str) -> Result<i64, ChatError> {
        Ok(load(self.conn, channel_id)?.unprocessed)
    }

    /// The oldest unprocessed messages of the channel, oldest first, at most `limit`.
    ///
    /// # Errors
    /// The channel does not exist, `limit` is out of range, or storage fails.
    pub fn unprocessed(&self, channel_id: &str, limit: u32) -> Result<Vec<Message>, ChatError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(ChatError::InvalidArgument("limit is 1 to 1000"));
        }
        let conn = self.conn;
        load(conn, channel_id)?;
        Ok(conn.query_map(
            &format!(
                "SELECT {COLUMNS} FROM chat_messages WHERE channel_id = ?1 AND processed = 0 ORDER BY seq LIMIT ?2"
            ),
            &[&channel_id, &i64::from(limit)],
            message_row,
        )?)
    }

    /// Marks messages processed. Returns how many changed (already processed or missing ones count 0).
    ///
    /// # Errors
    /// The channel does not exist, or storage fails (nothing is marked then).
    pub fn mark_processed(&self, channel_id: &str, seqs: &[i64]) -> Result<usize, ChatError> {
        let tx = self.conn.transaction()?;
        load(&tx, channel_id)?;
        let mut changed = 0;
        for seq in seqs {
            changed += tx.execute(
                "UPDATE chat_messages SET processed = 1 WHERE channel_id = ?1 AND seq = ?2 AND processed = 0",
                &[&channel_id, seq],
            )?;
        }
        if changed > 0 {
            tx.execute(
                "UPDATE chat_channels SET unprocessed = unprocessed - ?2 WHERE channel_id = ?1",
                &[&channel_id, &(changed as i64)],
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Deletes all but the newest `keep` messages of the channel. Returns how many were deleted. Sequences
    /// are never reused: the next message still gets `last_seq + 1`.
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn prune(&self, channel_id: &str, keep: u32) -> Result<usize, ChatError> {
        let tx = self.conn.transaction()?;
        load(&tx, channel_id)?;
        // The oldest sequence kept; with fewer than `keep` messages there is nothing to delete.
        let cutoff: Option<i64> = if keep == 0 {
            Some(i64::MAX)
        } else {
            tx.query_optional(
                "SELECT seq FROM chat_messages WHERE channel_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2",
                &[&channel_id, &(i64::from(keep) - 1)],
                |row| row.get(0),
            )?
        };
        let Some(cutoff) = cutoff else {
            return Ok(0);
        };
        let unprocessed_gone: i64 = tx.query_value(
            "SELECT count(*) FROM chat_messages WHERE channel_id = ?1 AND seq < ?2 AND processed = 0",
            &[&channel_id, &cutoff],
        )?;
        let deleted = tx.execute(
            "DELETE FROM chat_messages WHERE channel_id = ?1 AND seq < ?2",
            &[&channel_id, &cutoff],
        )?;
        if unprocessed_gone > 0 {
            tx.execute(
                "UPDATE chat_channels SET unprocessed = unprocessed - ?2 WHERE channel_id = ?1",
                &[&channel_id, &unprocessed_gone],
            )?;
        }
        tx.commit()?;
        Ok(deleted)
    }
}

/// Where the message with this id is stored (channel and sequence), if anywhere. For writers that must
/// know before doing work that cannot be repeated (decrypting an MLS message consumes its key).
pub(crate) fn stored_location(
    conn: &Connection,
    message_id: &str,
) -> SqlResult<Option<(String, i64)>> {
    conn.query_optional(
        "SELECT channel_id, seq FROM chat_messages WHERE message_id = ?1",
        &[&message_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// Appends one message with an id inside the caller's transaction (no idempotency record: the id is the
/// deduplication).
pub(crate) fn append_with_id_in(
    conn: &Connection,
    channel_id: &str,
    message: &NewMessage,
    now_ms: i64,
) -> Result<Appended, ChatError> {
    if message.message_id.is_none() {
        return Err(ChatError::InvalidArgument("the message needs an id"));
    }
    // The id is given, so no random bytes are asked for.
    append_in(
        conn,
        getrandom_02::getrandom,
        channel_id,
        std::slice::from_ref(message),
        now_ms,
    )?
    .pop()
    .ok_or(ChatError::InvalidArgument("no message appended"))
}
