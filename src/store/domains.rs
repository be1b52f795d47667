//! Where the store assembles its domains: each gets the store's connection plus what it needs from the
//! platform (the clock, random bytes, the group cache), and none of them knows `Store`. Writes that must be
//! durable when they return are followed by [`Store::sync`] here.

use super::{Store, StoreError};
use crate::backup::{self, BackupError, ExportOptions, ImportOptions, ImportReport, IMPORT_STEPS};
use crate::chat::Chat;
use crate::kv::KeyValue;
use crate::mls::MlsClient;
use crate::platform::now_ms;

impl Store {
    /// The chat API on this store.
    pub fn chat(&self) -> Chat<'_> {
        Chat::new(&self.conn, getrandom_02::getrandom)
    }

    /// The MLS client API on this store.
    pub fn mls(&self) -> MlsClient<'_> {
        MlsClient::new(&self.conn, &self.mls_groups, now_ms)
    }

    fn kv(&self) -> KeyValue<'_> {
        KeyValue::new(&self.conn, now_ms)
    }

    /// The value stored under `namespace`/`key`, if any.
    ///
    /// # Errors
    /// The read fails.
    pub async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.kv().get(namespace, key)?)
    }

    /// Stores `value` under `namespace`/`key`, replacing what was there. Durable when it returns.
    ///
    /// # Errors
    /// The value is larger than [`crate::kv::MAX_KV_VALUE_LEN`], or the write fails.
    pub async fn kv_put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.kv().put(namespace, key, value)?;
        self.sync().await
    }

    /// Removes `namespace`/`key`. Returns whether it existed. Durable when it returns.
    ///
    /// # Errors
    /// The write fails.
    pub async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let removed = self.kv().delete(namespace, key)?;
        self.sync().await?;
        Ok(removed)
    }

    /// Exports the store as archive bytes. `progress(done, total)` is called as the database is written.
    ///
    /// # Errors
    /// The store cannot be read, or the archive cannot be written.
    pub fn export_backup(
        &self,
        options: ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<u8>, BackupError> {
        backup::export(&self.conn, &self.name, options, progress)
    }

    /// Verifies `archive` completely, then replaces this store's database with the backup's in one step.
    ///
    /// # Errors
    /// Wrong key, forged signature, corrupt or truncated archive, a database that fails its integrity check
    /// or has a schema newer than this build: the live store is then unchanged.
    pub async fn import_backup(
        &self,
        archive: &[u8],
        options: &ImportOptions,
    ) -> Result<ImportReport, BackupError> {
        self.import_backup_with_progress(archive, options, &mut |_, _| {})
            .await
    }

    /// [`Store::import_backup`], reporting `progress(step, IMPORT_STEPS)` after each step: archive verified,
    /// schema brought up to date, store replaced and durable.
    ///
    /// # Errors
    /// As [`Store::import_backup`].
    pub async fn import_backup_with_progress(
        &self,
        archive: &[u8],
        options: &ImportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport, BackupError> {
        let live_key = self.key_copy();
        let imported = backup::import(
            &self.conn,
            live_key.as_ref().map(|key| key.bytes()),
            archive,
            options,
            progress,
        )
        .await;
        // Even a failed import may have replaced pages before failing: drop the groups loaded before it.
        self.mls_groups.clear();
        let report = imported?;
        self.flush().await?;
        progress(IMPORT_STEPS, IMPORT_STEPS);
        Ok(report)
    }
}
