//! Idempotent writes: a write that carries a key runs once; the same call again (until the record expires)
//! returns the first call's result without writing. The record is written in the same transaction as the
//! write itself, so a crash cannot separate them.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Chat, ChatError};
use crate::sql::Connection;

/// How long idempotency records are kept when the caller does not say.
pub const DEFAULT_IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// The idempotency key of a write, and how long its record lives.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub ttl_ms: i64,
}

impl Idempotency {
    /// A key with the default time to live.
    pub fn new(key: impl Into<String>) -> Self {
        Idempotency {
            key: key.into(),
            ttl_ms: DEFAULT_IDEMPOTENCY_TTL_MS,
        }
    }
}

fn request_hash(operation: &str, request: &impl Serialize) -> Result<Vec<u8>, ChatError> {
    let encoded = serde_json::to_vec(request)
        .map_err(|_| ChatError::InvalidArgument("request cannot be encoded"))?;
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(&encoded);
    Ok(hasher.finalize().to_vec())
}

/// Runs `write` once per live idempotency key, inside the caller's transaction.
///
/// `request` builds what identifies the request; it runs only when there is a key, so writes without one
/// (large batches, most of all) pay nothing for it.
pub(super) fn run_once<T: Serialize + DeserializeOwned, R: Serialize>(
    conn: &Connection,
    idempotency: Option<&Idempotency>,
    operation: &str,
    request: impl FnOnce() -> R,
    now_ms: i64,
    write: impl FnOnce() -> Result<T, ChatError>,
) -> Result<T, ChatError> {
    let Some(idempotency) = idempotency else {
        return write();
    };
    if idempotency.key.is_empty() || idempotency.key.len() > super::MAX_ID_LEN {
        return Err(ChatError::InvalidArgument(
            "idempotency keys are 1 to 256 bytes",
        ));
    }
    if idempotency.ttl_ms <= 0 {
        return Err(ChatError::InvalidArgument(
            "idempotency TTL must be positive",
        ));
    }
    let hash = request_hash(operation, &request())?;
    let stored: Option<(Vec<u8>, Vec<u8>, i64)> = conn.query_optional(
        "SELECT request_hash, response, expires_at_ms FROM chat_idempotency WHERE idempotency_key = ?1",
        &[&idempotency.key],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    if let Some((stored_hash, response, expires_at_ms)) = stored {
        if expires_at_ms > now_ms {
            if stored_hash != hash {
                return Err(ChatError::IdempotencyKeyReused(idempotency.key.clone()));
            }
            return serde_json::from_slice(&response).map_err(|e| ChatError::CorruptResponse {
                key: idempotency.key.clone(),
                reason: e.to_string(),
            });
        }
    }
    let result = write()?;
    let response = serde_json::to_vec(&result)
        .map_err(|_| ChatError::InvalidArgument("response cannot be encoded"))?;
    conn.execute(
        "INSERT INTO chat_idempotency (idempotency_key, request_hash, response, created_at_ms, expires_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (idempotency_key) DO UPDATE SET request_hash = excluded.request_hash,
             response = excluded.response, created_at_ms = excluded.created_at_ms,
             expires_at_ms = excluded.expires_at_ms",
        &[
            &idempotency.key,
            &hash,
            &response,
            &now_ms,
            &now_ms.saturating_add(idempotency.ttl_ms),
        ],
    )?;
    Ok(result)
}

impl Chat<'_> {
    /// Removes the idempotency records that expired at `now_ms`; live ones stay. Returns how many went.
    ///
    /// # Errors
    /// Storage fails.
    pub fn cleanup_idempotency(&self, now_ms: i64) -> Result<usize, ChatError> {
        Ok(self.conn.execute(
            "DELETE FROM chat_idempotency WHERE expires_at_ms <= ?1",
            &[&now_ms],
        )?)
    }

    /// How many idempotency records are stored (live or expired but not yet cleaned up).
    ///
    /// # Errors
    /// Storage fails.
    pub fn idempotency_record_count(&self) -> Result<i64, ChatError> {
        Ok(self
            .conn
            .query_value("SELECT count(*) FROM chat_idempotency", &[])?)
    }
}
