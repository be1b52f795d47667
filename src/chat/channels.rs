//! Channels: create, read, list, archive, delete (messages and members go with it).

use serde::Serialize;

use super::channel_rows::{channel_row, load, Channel, COLUMNS};
use super::idempotency::run_once;
use super::members::{insert_members, MemberRole};
use super::{check_id, Chat, ChatError, Idempotency};

/// What creating a channel needs.
#[derive(Debug, Clone, Serialize)]
pub struct NewChannel {
    pub channel_id: String,
    pub name: Vec<u8>,
    pub group_id: Option<Vec<u8>>,
    /// The creator's identity; they become the first member, with the creator role.
    pub creator: Vec<u8>,
}

impl Chat<'_> {
    /// Creates a channel with its creator as first member.
    ///
    /// # Errors
    /// [`ChatError::ChannelExists`] (unless the same idempotency key created it), invalid ids, storage.
    pub fn create_channel(
        &self,
        channel: &NewChannel,
        idempotency: Option<&Idempotency>,
        now_ms: i64,
    ) -> Result<Channel, ChatError> {
        check_id(&channel.channel_id, "channel ids are 1 to 256 bytes")?;
        let conn = self.conn;
        let tx = conn.transaction()?;
        let created = run_once(
            &tx,
            idempotency,
            "create_channel",
            || channel,
            now_ms,
            || {
                let inserted = tx.execute(
                    "INSERT INTO chat_channels (channel_id, name, group_id, created_at_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (channel_id) DO NOTHING",
                    &[&channel.channel_id, &channel.name, &channel.group_id, &now_ms],
                )?;
                if inserted == 0 {
                    return Err(ChatError::ChannelExists(channel.channel_id.clone()));
                }
                insert_members(
                    &tx,
                    self.fill_random,
                    &channel.channel_id,
                    std::slice::from_ref(&channel.creator),
                    MemberRole::Creator,
                    now_ms,
                )?;
                load(&tx, &channel.channel_id)
            },
        )?;
        tx.commit()?;
        Ok(created)
    }

    /// The channel, or [`ChatError::ChannelNotFound`].
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn channel(&self, channel_id: &str) -> Result<Channel, ChatError> {
        load(self.conn, channel_id)
    }

    /// Channels, oldest first: the archived ones when `archived`, else the others.
    ///
    /// # Errors
    /// Storage fails.
    pub fn list_channels(&self, archived: bool) -> Result<Vec<Channel>, ChatError> {
        Ok(self.conn.query_map(
            &format!(
                "SELECT {COLUMNS} FROM chat_channels WHERE (archived_at_ms IS NOT NULL) = ?1
                 ORDER BY created_at_ms, channel_id"
            ),
            &[&archived],
            channel_row,
        )?)
    }

    /// Archives (`Some(now)`) or unarchives (`None`) the channel. Archiving twice keeps the first time.
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn set_archived(
        &self,
        channel_id: &str,
        archived_at_ms: Option<i64>,
    ) -> Result<(), ChatError> {
        let changed = self.conn.execute(
            "UPDATE chat_channels SET archived_at_ms = CASE WHEN ?2 IS NULL THEN NULL
                 ELSE coalesce(archived_at_ms, ?2) END
             WHERE channel_id = ?1",
            &[&channel_id, &archived_at_ms],
        )?;
        if changed == 0 {
            return Err(ChatError::ChannelNotFound(channel_id.to_owned()));
        }
        Ok(())
    }

    /// Deletes the channel with its messages and members. Returns whether it existed.
    ///
    /// # Errors
    /// Storage fails.
    pub fn delete_channel(&self, channel_id: &str) -> Result<bool, ChatError> {
        Ok(self.conn.execute(
            "DELETE FROM chat_channels WHERE channel_id = ?1",
            &[&channel_id],
        )? > 0)
    }
}
