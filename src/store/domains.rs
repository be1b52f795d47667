//! Where the store assembles its domains: each gets the store's connection plus what it needs from the
//! platform (the clock, random bytes, the group cache), and none of them knows `Store`. Writes that must be
//! durable when they return are followed by [`Store::sync`] here.

use super::{Store, StoreError};
use crate::backup::{
    self, ArchiveSource, BackupError, ExportOptions, ExportStream, ImportOptions, ImportReport,
    Phase, Progress,
};
use crate::catch_up::CatchUp;
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

    /// The catch-up API on this store: many incoming MLS messages processed and their plaintexts stored in
    /// one transaction. Like the other domains' writes, durable after [`Store::sync`].
    pub fn catch_up(&self) -> CatchUp<'_> {
        CatchUp::new(self.mls(), now_ms())
    }

    pub(crate) fn kv(&self) -> KeyValue<'_> {
        KeyValue::new(&self.conn, now_ms)
    }

    /// The value stored under `namespace`/`key`, if any.
    ///
    /// # Errors
    /// The read fails.
    pub async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.run(|store| store.kv().get(namespace, key)).await??)
    }

    /// Stores `value` under `namespace`/`key`, replacing what was there. Durable when it returns.
    ///
    /// # Errors
    /// The value is larger than [`crate::kv::MAX_KV_VALUE_LEN`], or the write fails.
    pub async fn kv_put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.run(|store| store.kv().put(namespace, key, value))
            .await??;
        self.sync().await
    }

    /// Removes `namespace`/`key`. Returns whether it existed. Durable when it returns.
    ///
    /// # Errors
    /// The write fails.
    pub async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let removed = self
            .run(|store| store.kv().delete(namespace, key))
            .await??;
        self.sync().await?;
        Ok(removed)
    }

    /// Starts an export: takes a snapshot (the store stays usable meanwhile) and returns the stream that
    /// produces the archive piece by piece. Close the stream when done or abandoning it.
    ///
    /// # Errors
    /// The store cannot be read, or the archive cannot be started.
    pub async fn export_backup_stream(
        &self,
        options: ExportOptions,
    ) -> Result<ExportStream, BackupError> {
        // The snapshot reads every page; it is taken before this returns, so the hold can go then.
        let _whole = self.hold_whole_database().await?;
        let key = self.key_copy();
        ExportStream::start(
            &self.conn,
            self.backend,
            &self.name,
            key.as_ref().map(|key| key.bytes()),
            options,
        )
        .await
    }

    /// Exports the store as archive bytes in memory (the stream collected). `progress` is called as the
    /// database is written.
    ///
    /// # Errors
    /// The store cannot be read, or the archive cannot be written.
    pub async fn export_backup(
        &self,
        options: ExportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<u8>, BackupError> {
        let mut stream = self.export_backup_stream(options).await?;
        let mut archive = Vec::new();
        let result = loop {
            match stream.next_piece() {
                Ok(Some(piece)) => {
                    archive.extend_from_slice(&piece);
                    progress(stream.progress());
                }
                Ok(None) => break Ok(archive),
                Err(error) => break Err(error),
            }
        };
        stream.close().await;
        result
    }

    /// Verifies the archive at `source` completely, then replaces this store's database with a full
    /// backup's in one step, or merges a history backup's history into it in one transaction (leaving its
    /// MLS state alone; [`ImportReport::merged`] says what was added).
    ///
    /// # Errors
    /// Wrong key, forged or missing signature, corrupt or truncated archive, a database that fails its
    /// integrity check or has a schema newer than this build: the live store is then unchanged.
    pub async fn import_backup(
        &self,
        source: &dyn ArchiveSource,
        options: &ImportOptions,
    ) -> Result<ImportReport, BackupError> {
        self.import_backup_with_progress(source, options, &mut |_| {})
            .await
    }

    /// [`Store::import_backup`], reporting progress: archive bytes verified, schema brought up to date,
    /// store replaced and durable.
    ///
    /// # Errors
    /// As [`Store::import_backup`].
    pub async fn import_backup_with_progress(
        &self,
        source: &dyn ArchiveSource,
        options: &ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport, BackupError> {
        let _whole = self.hold_whole_database().await?;
        let live_key = self.key_copy();
        let imported = backup::import(
            &self.conn,
            self.backend,
            &self.name,
            live_key.as_ref().map(|key| key.bytes()),
            source,
            options,
            progress,
        )
        .await;
        // Even a failed import may have replaced pages before failing: drop the groups loaded before it.
        self.mls_groups.clear();
        let report = imported?;
        self.flush().await?;
        if report.merged.is_none() {
            progress(Progress {
                phase: Phase::Replace,
                done: 1,
                total: 1,
            });
        }
        Ok(report)
    }
}
