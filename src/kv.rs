//! The app's key-value entries per namespace: sync cursors, settings, app state not worth a table. The table
//! `kv_entries` belongs to the app alone: the store keeps none of its own state there, so no namespace or key
//! is reserved.

use crate::sql::{Connection, SqlError};

/// Values above this size belong in a table of their own.
pub const MAX_KV_VALUE_LEN: usize = 1 << 20;

/// A key-value failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    #[error("key-value entries hold at most 1 MiB; this value has {len} bytes")]
    ValueTooLarge { len: usize },
    #[error(transparent)]
    Sql(#[from] SqlError),
}

impl KvError {
    /// The stable code of this failure.
    pub fn code(&self) -> crate::error_code::ErrorCode {
        match self {
            KvError::ValueTooLarge { .. } => crate::error_code::ErrorCode::InvalidArgument,
            KvError::Sql(source) => source.code(),
        }
    }
}

/// The key-value API over one database.
pub struct KeyValue<'c> {
    conn: &'c Connection,
    clock: fn() -> i64,
}

impl<'c> KeyValue<'c> {
    /// The API on `conn`, stamping writes with `clock` (milliseconds since the Unix epoch).
    pub fn new(conn: &'c Connection, clock: fn() -> i64) -> Self {
        KeyValue { conn, clock }
    }

    /// The value stored under `namespace`/`key`, if any.
    ///
    /// # Errors
    /// The read fails.
    pub fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.conn.query_optional(
            "SELECT value FROM kv_entries WHERE namespace = ?1 AND entry_key = ?2",
            &[&namespace, &key],
            |row| row.get(0),
        )?)
    }

    /// Stores `value` under `namespace`/`key`, replacing what was there.
    ///
    /// # Errors
    /// The value is larger than [`MAX_KV_VALUE_LEN`], or the write fails.
    pub fn put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        if value.len() > MAX_KV_VALUE_LEN {
            return Err(KvError::ValueTooLarge { len: value.len() });
        }
        self.conn.execute(
            "INSERT INTO kv_entries (namespace, entry_key, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (namespace, entry_key) DO UPDATE SET value = excluded.value,
                 updated_at_ms = excluded.updated_at_ms",
            &[&namespace, &key, &value, &(self.clock)()],
        )?;
        Ok(())
    }

    /// Removes `namespace`/`key`. Returns whether it existed.
    ///
    /// # Errors
    /// The write fails.
    pub fn delete(&self, namespace: &str, key: &str) -> Result<bool, KvError> {
        let removed = self.conn.execute(
            "DELETE FROM kv_entries WHERE namespace = ?1 AND entry_key = ?2",
            &[&namespace, &key],
        )?;
        Ok(removed > 0)
    }
}

/// Entries copied per query when merging (values up to 1 MiB each: at most 32 MiB per batch).
const MERGE_BATCH: i64 = 32;

/// Adds the entries of `source` that `target` lacks (by namespace and key), inside the caller's
/// transaction on `target`; entries `target` has stay as they are. Returns how many were added.
///
/// # Errors
/// Storage fails.
pub(crate) fn merge_missing(source: &Connection, target: &Connection) -> Result<u64, KvError> {
    let mut added = 0u64;
    let mut after = (String::new(), String::new());
    loop {
        let batch: Vec<(String, String, Vec<u8>, i64)> = source.query_map(
            "SELECT namespace, entry_key, value, updated_at_ms FROM kv_entries
             WHERE (namespace, entry_key) > (?1, ?2) ORDER BY namespace, entry_key LIMIT ?3",
            &[&after.0, &after.1, &MERGE_BATCH],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        let Some((namespace, key, _, _)) = batch.last() else {
            return Ok(added);
        };
        after = (namespace.clone(), key.clone());
        for (namespace, key, value, updated_at_ms) in batch {
            added += target.execute(
                "INSERT INTO kv_entries (namespace, entry_key, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (namespace, entry_key) DO NOTHING",
                &[&namespace, &key, &value, &updated_at_ms],
            )? as u64;
        }
    }
}
