//! Channel members. A member row is keyed by HMAC-SHA256 of the identity under a per-store secret, so
//! adding and leaving are naturally idempotent; the identity is kept beside it for listing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::channel_rows::load;
use super::{Chat, ChatError, FillRandom};
use crate::sql::{Connection, Row, SqlResult};

/// Longest identity accepted.
pub const MAX_IDENTITY_LEN: usize = 1024;

/// A member's role in a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Creator,
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Creator => "creator",
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
        }
    }

    /// Parses `"creator"`, `"admin"` or `"member"`.
    ///
    /// # Errors
    /// Any other text.
    pub fn parse(text: &str) -> Result<Self, ChatError> {
        match text {
            "creator" => Ok(MemberRole::Creator),
            "admin" => Ok(MemberRole::Admin),
            "member" => Ok(MemberRole::Member),
            _ => Err(ChatError::InvalidArgument(
                "role is \"creator\", \"admin\" or \"member\"",
            )),
        }
    }
}

/// A channel member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub identity: Vec<u8>,
    pub role: String,
    pub joined_at_ms: i64,
    /// When the member left; `None` while a member.
    pub left_at_ms: Option<i64>,
}

/// The store's secret for member hashes, created on first use.
pub(super) fn hash_key(conn: &Connection, fill_random: FillRandom) -> Result<Vec<u8>, ChatError> {
    let existing: Option<Vec<u8>> = conn.query_optional(
        "SELECT secret FROM chat_member_hash_secret WHERE slot = 0",
        &[],
        |row| row.get(0),
    )?;
    if let Some(key) = existing {
        return Ok(key);
    }
    let mut key = vec![0u8; 32];
    fill_random(&mut key).map_err(ChatError::RandomUnavailable)?;
    conn.execute(
        "INSERT INTO chat_member_hash_secret (slot, secret) VALUES (0, ?1)",
        &[&key],
    )?;
    Ok(key)
}

fn member_hash(key: &[u8], identity: &[u8]) -> Result<Vec<u8>, ChatError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| ChatError::InvalidArgument("member hash key"))?;
    mac.update(identity);
    Ok(mac.finalize().into_bytes().to_vec())
}

fn check_identity(identity: &[u8]) -> Result<(), ChatError> {
    if identity.is_empty() || identity.len() > MAX_IDENTITY_LEN {
        return Err(ChatError::InvalidArgument(
            "member identities are 1 to 1024 bytes",
        ));
    }
    Ok(())
}

/// Adds members (or brings back ones who left), inside the caller's transaction. Returns how many rows
/// changed: members already present count 0.
pub(super) fn insert_members(
    conn: &Connection,
    fill_random: FillRandom,
    channel_id: &str,
    identities: &[Vec<u8>],
    role: MemberRole,
    now_ms: i64,
) -> Result<usize, ChatError> {
    let key = hash_key(conn, fill_random)?;
    let mut changed = 0;
    for identity in identities {
        check_identity(identity)?;
        changed += conn.execute(
            "INSERT INTO chat_members (channel_id, member, identity, role, joined_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (channel_id, member) DO UPDATE SET left_at_ms = NULL, joined_at_ms = excluded.joined_at_ms
             WHERE chat_members.left_at_ms IS NOT NULL",
            &[&channel_id, &member_hash(&key, identity)?, identity, &role.as_str(), &now_ms],
        )?;
    }
    Ok(changed)
}

/// Adds a member row from another store's history, re-keyed under this store's secret `key` (from
/// [`hash_key`]), inside the caller's transaction; a member the channel has already stays as it is. Returns
/// whether it was added.
pub(super) fn merge_member(
    conn: &Connection,
    key: &[u8],
    channel_id: &str,
    identity: &[u8],
    role: &str,
    joined_at_ms: i64,
    left_at_ms: Option<i64>,
) -> Result<bool, ChatError> {
    check_identity(identity)?;
    let role = MemberRole::parse(role)?;
    let added = conn.execute(
        "INSERT INTO chat_members (channel_id, member, identity, role, joined_at_ms, left_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (channel_id, member) DO NOTHING",
        &[
            &channel_id,
            &member_hash(key, identity)?,
            &identity,
            &role.as_str(),
            &joined_at_ms,
            &left_at_ms,
        ],
    )?;
    Ok(added > 0)
}

pub(super) fn member_row(row: &Row<'_>) -> SqlResult<Member> {
    Ok(Member {
        identity: row.get::<Option<Vec<u8>>>(0)?.unwrap_or_default(),
        role: row.get(1)?,
        joined_at_ms: row.get(2)?,
        left_at_ms: row.get(3)?,
    })
}

impl Chat<'_> {
    /// Adds members to a channel. Adding a present member changes nothing; adding one who left brings them
    /// back. Returns how many were added or brought back.
    ///
    /// # Errors
    /// The channel does not exist, an identity is empty or too long, or storage fails.
    pub fn add_members(
        &self,
        channel_id: &str,
        identities: &[Vec<u8>],
        role: MemberRole,
        now_ms: i64,
    ) -> Result<usize, ChatError> {
        let tx = self.conn.transaction()?;
        load(&tx, channel_id)?;
        let changed = insert_members(&tx, self.fill_random, channel_id, identities, role, now_ms)?;
        tx.commit()?;
        Ok(changed)
    }

    /// Marks the member as having left. Returns whether this call did it (false when they had already left
    /// or never joined).
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn leave(&self, channel_id: &str, identity: &[u8], now_ms: i64) -> Result<bool, ChatError> {
        check_identity(identity)?;
        let tx = self.conn.transaction()?;
        load(&tx, channel_id)?;
        let key = hash_key(&tx, self.fill_random)?;
        let changed = tx.execute(
            "UPDATE chat_members SET left_at_ms = ?3
             WHERE channel_id = ?1 AND member = ?2 AND left_at_ms IS NULL",
            &[&channel_id, &member_hash(&key, identity)?, &now_ms],
        )?;
        tx.commit()?;
        Ok(changed > 0)
    }

    /// The channel's members in joining order; with `include_left`, those who left too.
    ///
    /// # Errors
    /// The channel does not exist, or storage fails.
    pub fn members(&self, channel_id: &str, include_left: bool) -> Result<Vec<Member>, ChatError> {
        let conn = self.conn;
        load(conn, channel_id)?;
        Ok(conn.query_map(
            "SELECT identity, role, joined_at_ms, left_at_ms FROM chat_members
             WHERE channel_id = ?1 AND (?2 OR left_at_ms IS NULL) ORDER BY joined_at_ms, role <> 'creator', identity",
            &[&channel_id, &include_left],
            member_row,
        )?)
    }

    /// Whether `identity` is a current member of the channel.
    ///
    /// # Errors
    /// Storage fails.
    pub fn is_member(&self, channel_id: &str, identity: &[u8]) -> Result<bool, ChatError> {
        let conn = self.conn;
        let key = hash_key(conn, self.fill_random)?;
        Ok(conn
            .query_optional(
                "SELECT 1 FROM chat_members WHERE channel_id = ?1 AND member = ?2 AND left_at_ms IS NULL",
                &[&channel_id, &member_hash(&key, identity)?],
                |row| row.get::<i64>(0),
            )?
            .is_some())
    }
}
