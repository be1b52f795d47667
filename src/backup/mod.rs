//! Backups of a store: export a consistent snapshot of its database and a manifest as an archive
//! (`crate::archive`), streamed piece by piece ([`ExportStream`]); browse a backup without importing it; and
//! import one from any [`ArchiveSource`] (a `Blob` in the browser, read in slices), which verifies everything
//! (signature, every tag and digest, `PRAGMA integrity_check`, the schema, migrating it forward if older)
//! into a scratch database before replacing the live database in one step. On any failure the live data is
//! untouched. Neither direction holds the whole archive in memory.

mod export;
mod import;
mod scratch;

pub use export::ExportStream;
pub use import::{ArchiveSource, ReadFuture};

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, ArchiveKey};
use crate::backend::Backend;
use crate::chat::Chat;
use crate::error_code::ErrorCode;
use crate::platform::now_ms;
use crate::schema::MIGRATIONS;
use crate::sql::migrate::{self, MigrationError};
use crate::sql::{Connection, SqlError};
use crate::vfs::VfsError;

use import::Verified;
use scratch::Scratch;

pub const DATABASE_ENTRY: &str = "database.sqlite3";
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// The manifest's own format version.
pub const MANIFEST_VERSION: u32 = 1;

/// What a backup says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub archive_format: u32,
    pub schema_version: u32,
    pub created_at_ms: i64,
    pub store_name: String,
    pub database_bytes: u64,
    pub channels: i64,
    pub messages: i64,
    pub mls_groups: i64,
}

/// How to export.
#[derive(Debug, Default)]
pub struct ExportOptions {
    pub key: Option<ArchiveKey>,
    pub signing_key: Option<zeroize::Zeroizing<[u8; 32]>>,
    /// Entries at least this large are split into frames; `None` for the archive default (50 MiB).
    pub split_threshold: Option<u64>,
}

/// Asked between the steps of an import: `true` stops it (nothing is applied).
pub type CancelCheck = Box<dyn Fn() -> bool>;

/// How to open a backup for import or browsing.
#[derive(Default)]
pub struct ImportOptions {
    /// The passphrase or key of an encrypted backup.
    pub key: Option<ArchiveKey>,
    /// Accept only a backup signed (format version 2) by this Ed25519 public key.
    pub signer: Option<[u8; 32]>,
    /// Cancels the import while it reads and checks the archive, up to the moment it starts replacing the
    /// store (which is one step that either happens whole or not at all).
    pub cancelled: Option<CancelCheck>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("key", &self.key)
            .field("signer", &self.signer)
            .field("cancellable", &self.cancelled.is_some())
            .finish()
    }
}

impl ImportOptions {
    /// Options with a key and no signer requirement.
    pub fn with_key(key: ArchiveKey) -> Self {
        ImportOptions {
            key: Some(key),
            ..ImportOptions::default()
        }
    }

    /// Fails with [`BackupError::Cancelled`] once the import was cancelled.
    pub(crate) fn check_cancelled(&self) -> Result<(), BackupError> {
        match &self.cancelled {
            Some(cancelled) if cancelled() => Err(BackupError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub manifest: Manifest,
    /// The schema version the backup had; it was migrated to this build's when older.
    pub from_schema_version: u32,
    /// The Ed25519 key the backup was signed with, verified; the app decides whether it trusts it.
    pub signer: Option<[u8; 32]>,
    /// The archive's format version: 1's signature covers only the directory (see
    /// `docs/archive-format.md`), 2's every byte.
    pub format_version: u16,
}

/// A failure of a backup operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The manifest does not decode (or, exporting, does not encode).
    #[error("the backup's manifest is invalid: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("the backup's manifest has version {0}; this build reads version {MANIFEST_VERSION}")]
    ManifestVersion(u32),
    /// The database inside the backup cannot be opened or read.
    #[error("the backup's database cannot be read: {0}")]
    Unreadable(#[source] SqlError),
    /// `PRAGMA integrity_check` found these problems in the backup's database.
    #[error("the backup's database fails its integrity check: {}", .0.join("; "))]
    Integrity(Vec<String>),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Vfs(#[from] VfsError),
    /// The operation was cancelled before it applied anything.
    #[error("the backup operation was cancelled; nothing was applied")]
    Cancelled,
    /// The archive's source could not be read (a `Blob` the browser fails to read, a range outside it).
    #[error("the backup could not be read: {0}")]
    Read(String),
}

/// Which step of a backup operation a [`Progress`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Export: database bytes written into the archive.
    Export,
    /// Import: archive bytes read and checked.
    Verify,
    /// Import: the backup's schema brought up to date (0 of 1, then 1 of 1).
    Migrate,
    /// Import: the live store replaced (0 of 1, then 1 of 1 once durable).
    Replace,
}

impl Phase {
    /// The phase as JS sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Export => "export",
            Phase::Verify => "verify",
            Phase::Migrate => "migrate",
            Phase::Replace => "replace",
        }
    }
}

/// How far a backup operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

impl BackupError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            BackupError::Archive(source) => source.code(),
            BackupError::Manifest(_) | BackupError::ManifestVersion(_) => ErrorCode::BackupInvalid,
            BackupError::Unreadable(_) | BackupError::Integrity(_) => {
                ErrorCode::BackupIntegrityFailed
            }
            BackupError::Migration(source) => source.code(),
            BackupError::Sql(source) => source.code(),
            BackupError::Vfs(source) => source.code(),
            BackupError::Read(_) => ErrorCode::IoError,
            BackupError::Cancelled => ErrorCode::Aborted,
        }
    }
}

/// Verifies the archive at `source` completely into a scratch database beside store `store` (on
/// `backend`), then replaces the database on `live` with it in one step, encrypted with `live_key` when the
/// live database is encrypted. The caller reports [`Phase::Replace`] done once the result is durable.
///
/// # Errors
/// Wrong key, forged or missing signature, corrupt or truncated archive, a database that fails its
/// integrity check or has a schema newer than this build: the live database is then unchanged.
pub async fn import(
    live: &Connection,
    backend: Backend,
    store: &str,
    live_key: Option<&[u8; 32]>,
    source: &dyn ArchiveSource,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, BackupError> {
    // The scratch copy is plaintext: it goes to disk only when the live store is plaintext too.
    let scratch_backend = if live_key.is_some() {
        Backend::Memory
    } else {
        backend
    };
    let verified = Verified::read(source, options, scratch_backend, store, progress).await?;
    let result = replace(live, live_key, &verified, options, progress).await;
    let Verified {
        scratch,
        manifest,
        schema_version,
        signer,
        format_version,
    } = verified;
    scratch.discard().await;
    result?;
    Ok(ImportReport {
        manifest,
        from_schema_version: schema_version,
        signer,
        format_version,
    })
}

async fn replace(
    live: &Connection,
    live_key: Option<&[u8; 32]>,
    verified: &Verified,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), BackupError> {
    options.check_cancelled()?;
    let conn = verified.scratch.conn()?;
    let step = |phase, done| Progress {
        phase,
        done,
        total: 1,
    };
    progress(step(Phase::Migrate, 0));
    migrate::migrate_to_latest(conn, MIGRATIONS, now_ms())?;
    progress(step(Phase::Migrate, 1));
    // The last moment to stop: replacing the store is one step, whole or not at all.
    options.check_cancelled()?;
    progress(step(Phase::Replace, 0));
    match live_key {
        None => live.replace_with(conn)?,
        Some(live_key) => replace_encrypted(live, conn, live_key).await?,
    }
    Ok(())
}

/// SQLite3 Multiple Ciphers copies pages only between databases of the same cipher: encrypt the verified
/// image with the store's key in a scratch memory file first, then copy that into the store.
async fn replace_encrypted(
    live: &Connection,
    source: &Connection,
    key: &[u8; 32],
) -> Result<(), BackupError> {
    let image = source.serialize()?;
    let random: u64 = crate::platform::random_u64();
    let scratch = format!("import-{random:016x}");
    let file = crate::vfs::file_name(&scratch);
    crate::vfs::import_database(Backend::Memory, &scratch, &image).await?;
    let result = (|| -> Result<(), BackupError> {
        let vfs = crate::vfs::cipher_vfs(crate::vfs::memory_vfs_name());
        let encrypted = Connection::open(&file, &vfs)?;
        encrypted.rekey(Some(key))?;
        let copied = live.replace_with(&encrypted);
        encrypted.close()?;
        Ok(copied?)
    })();
    let _ = crate::vfs::delete_database(Backend::Memory, &scratch).await;
    result
}

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
    /// As [`import`].
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
