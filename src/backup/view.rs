//! Browsing a backup without importing it: verified like an import, into a read-only scratch database in
//! memory, read through the chat API or plain queries.

use crate::backend::Backend;
use crate::chat::Chat;
use crate::sql::{Connection, SqlError};

use super::import::Verified;
use super::scratch::Scratch;
use super::{ArchiveSource, BackupError, ImportOptions, Manifest};

/// A backup opened for browsing, verified, read-only, in memory.
pub struct BackupView {
    scratch: Option<Scratch>,
    pub manifest: Manifest,
    pub schema_version: u32,
    pub signer: Option<[u8; 32]>,
    pub format_version: u16,
}

impl BackupView {
    /// Opens and verifies a backup (everything an import checks) into a read-only in-memory database.
    ///
    /// # Errors
    /// As [`super::import`].
    pub async fn open(
        source: &dyn ArchiveSource,
        options: &ImportOptions,
    ) -> Result<BackupView, BackupError> {
        let verified =
            Verified::read(source, options, Backend::Memory, "backup-view", &mut |_| {}).await?;
        if let Err(error) = verified
            .scratch
            .conn()
            .and_then(|conn| Ok(conn.execute_batch("PRAGMA query_only = ON")?))
        {
            verified.scratch.discard().await;
            return Err(error);
        }
        Ok(BackupView {
            scratch: Some(verified.scratch),
            manifest: verified.manifest,
            schema_version: verified.schema_version,
            signer: verified.signer,
            format_version: verified.format_version,
        })
    }

    /// The chat API over the backup (reads only).
    ///
    /// # Errors
    /// The view was closed.
    pub fn chat(&self) -> Result<Chat<'_>, BackupError> {
        Ok(Chat::new(self.connection()?, getrandom_02::getrandom))
    }

    /// The backup's database, for queries of your own (read-only).
    ///
    /// # Errors
    /// The view was closed.
    pub fn connection(&self) -> Result<&Connection, BackupError> {
        self.scratch
            .as_ref()
            .ok_or(BackupError::Unreadable(SqlError::InvalidArgument(
                "the backup view is closed",
            )))?
            .conn()
    }

    /// Frees the backup's database.
    pub async fn close(&mut self) {
        if let Some(scratch) = self.scratch.take() {
            scratch.discard().await;
        }
    }
}
