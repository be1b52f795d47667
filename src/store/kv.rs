//! Small key-value entries per namespace: sync cursors, settings, app state that is not worth a table.

use super::{Store, StoreError};
use crate::platform::now_ms;

/// Values above this size belong in a table of their own.
pub const MAX_KV_VALUE_LEN: usize = 1 << 20;

impl Store {
    /// The value stored under `namespace`/`key`, if any.
    ///
    /// # Errors
    /// The store is closed or the read fails.
    pub async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.connection();
        Ok(conn.query_optional(
            "SELECT value FROM kv_entries WHERE namespace = ?1 AND entry_key = ?2",
            &[&namespace, &key],
            |row| row.get(0),
        )?)
    }

    /// Stores `value` under `namespace`/`key`, replacing what was there. Durable when it returns.
    ///
    /// # Errors
    /// The value is larger than [`MAX_KV_VALUE_LEN`], the store is closed, or the write fails.
    pub async fn kv_put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if value.len() > MAX_KV_VALUE_LEN {
            return Err(StoreError::InvalidArgument(
                "key-value entries hold at most 1 MiB",
            ));
        }
        let conn = self.connection();
        conn.execute(
            "INSERT INTO kv_entries (namespace, entry_key, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (namespace, entry_key) DO UPDATE SET value = excluded.value,
                 updated_at_ms = excluded.updated_at_ms",
            &[&namespace, &key, &value, &now_ms()],
        )?;
        self.sync().await
    }

    /// Removes `namespace`/`key`. Returns whether it existed.
    ///
    /// # Errors
    /// The store is closed or the write fails.
    pub async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let conn = self.connection();
        let removed = conn.execute(
            "DELETE FROM kv_entries WHERE namespace = ?1 AND entry_key = ?2",
            &[&namespace, &key],
        )?;
        self.sync().await?;
        Ok(removed > 0)
    }
}
