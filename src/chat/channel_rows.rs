//! The channel row: its columns, its decoding, and the lookup every chat operation starts with. Channels
//! (writes) and members and messages (which check the channel exists) all read it from here.

use serde::{Deserialize, Serialize};

use super::ChatError;
use crate::sql::{Connection, Row, SqlResult};

/// A stored channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub channel_id: String,
    /// The app's channel name (bytes: encrypt or encode it as you like).
    pub name: Vec<u8>,
    /// The MLS group the channel runs on, if any.
    pub group_id: Option<Vec<u8>>,
    pub created_at_ms: i64,
    pub archived_at_ms: Option<i64>,
    /// The sequence of the newest message ever appended (0 before the first).
    pub last_seq: i64,
    pub unprocessed: i64,
}

pub(super) const COLUMNS: &str =
    "channel_id, name, group_id, created_at_ms, archived_at_ms, last_seq, unprocessed";

pub(super) fn channel_row(row: &Row<'_>) -> SqlResult<Channel> {
    Ok(Channel {
        channel_id: row.get(0)?,
        name: row.get::<Option<Vec<u8>>>(1)?.unwrap_or_default(),
        group_id: row.get(2)?,
        created_at_ms: row.get(3)?,
        archived_at_ms: row.get(4)?,
        last_seq: row.get(5)?,
        unprocessed: row.get(6)?,
    })
}

pub(super) fn load(conn: &Connection, channel_id: &str) -> Result<Channel, ChatError> {
    conn.query_optional(
        &format!("SELECT {COLUMNS} FROM chat_channels WHERE channel_id = ?1"),
        &[&channel_id],
        channel_row,
    )?
    .ok_or_else(|| ChatError::ChannelNotFound(channel_id.to_owned()))
}

/// Checks that the channel exists and, when it names an MLS group, that it is `group_id`.
pub(crate) fn check_channel_of_group(
    conn: &Connection,
    channel_id: &str,
    group_id: &[u8],
) -> Result<(), ChatError> {
    let channel = load(conn, channel_id)?;
    match channel.group_id {
        Some(own) if own != group_id => Err(ChatError::InvalidArgument(
            "the channel belongs to another MLS group",
        )),
        _ => Ok(()),
    }
}
