//! Backups of a store: export a consistent snapshot of its database and a manifest as an archive
//! (`crate::archive`), streamed piece by piece ([`ExportStream`]); browse a backup without importing it; and
//! import one from any [`ArchiveSource`] (a `Blob` in the browser, read in slices), which verifies everything
//! (signature, every tag and digest, `PRAGMA integrity_check`, the schema, migrating it forward if older)
//! into a scratch database before replacing the live database in one step, or, for a history backup
//! ([`Scope::History`]: no MLS state), merging its history into the store in one transaction. On any
//! failure the live data is untouched. Neither direction holds the whole archive in memory.

mod export;
mod import;
mod merge;
mod scratch;
mod view;

pub use export::ExportStream;
pub use import::{ArchiveSource, ReadFuture};
pub use view::BackupView;

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, ArchiveKey};
use crate::backend::Backend;
use crate::chat::ChatError;
pub use crate::chat::{HistoryFilter, MergedHistory};
use crate::error_code::ErrorCode;
use crate::kv::KvError;
use crate::sql::migrate::MigrationError;
use crate::sql::{Connection, SqlError};
use crate::vfs::VfsError;

use import::Verified;

pub const DATABASE_ENTRY: &str = "database.sqlite3";
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// The manifest's own format version: 2 added the scope and the filter. Version 1 manifests (always full
/// backups) are still read.
pub const MANIFEST_VERSION: u32 = 2;

/// What a backup holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Everything, MLS state included: restores a device; importing replaces the store.
    #[default]
    Full,
    /// Channels, messages, members and the app's key-value entries; no MLS state, no secrets of the
    /// store's own. Importing merges it into the store and leaves the store's MLS state alone.
    History,
}

impl Scope {
    /// The scope as JS and the manifest name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Full => "full",
            Scope::History => "history",
        }
    }
}

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
    /// Absent from version 1 manifests, which are full backups.
    #[serde(default)]
    pub scope: Scope,
    /// The history filter the backup was made with (history backups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<HistoryFilter>,
}

/// How to export.
#[derive(Debug, Default)]
pub struct ExportOptions {
    pub key: Option<ArchiveKey>,
    pub signing_key: Option<zeroize::Zeroizing<[u8; 32]>>,
    /// Entries at least this large are split into frames; `None` for the archive default (50 MiB).
    pub split_threshold: Option<u64>,
    pub scope: Scope,
    /// Which history a [`Scope::History`] backup holds; must keep everything for a full one.
    pub filter: HistoryFilter,
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
    /// What merging a history backup added; `None` for a full backup, which replaced the store.
    pub merged: Option<MergeReport>,
}

/// What merging a history backup into a store added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub chat: MergedHistory,
    /// Key-value entries the store lacked (those it had are left as they are).
    pub kv_entries_added: u64,
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
    #[error(
        "the backup's manifest has version {0}; this build reads versions 1 to {MANIFEST_VERSION}"
    )]
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
    /// The export's options do not fit together.
    #[error("invalid backup options: {0}")]
    InvalidOptions(&'static str),
    /// Filtering or merging history failed.
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Kv(#[from] KvError),
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
    /// Import of a history backup: the backup's messages merged (of all it holds), in one transaction.
    Merge,
}

impl Phase {
    /// The phase as JS sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Export => "export",
            Phase::Verify => "verify",
            Phase::Migrate => "migrate",
            Phase::Replace => "replace",
            Phase::Merge => "merge",
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
            BackupError::InvalidOptions(_) => ErrorCode::InvalidArgument,
            BackupError::Chat(source) => source.code(),
            BackupError::Kv(source) => source.code(),
        }
    }
}

/// Verifies the archive at `source` completely into a scratch database beside store `store` (on
/// `backend`), then, for a full backup, replaces the database on `live` with it in one step, encrypted with
/// `live_key` when the live database is encrypted (the caller reports [`Phase::Replace`] done once the
/// result is durable); for a history backup, merges its history into `live` in one transaction.
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
    let result = match verified.manifest.scope {
        Scope::Full => replace(live, live_key, &verified, options, progress)
            .await
            .map(|()| None),
        Scope::History => merge::merge(live, &verified, options, progress).map(Some),
    };
    let Verified {
        scratch,
        manifest,
        schema_version,
        signer,
        format_version,
    } = verified;
    scratch.discard().await;
    let merged = result?;
    Ok(ImportReport {
        manifest,
        from_schema_version: schema_version,
        signer,
        format_version,
        merged,
    })
}

async fn replace(
    live: &Connection,
    live_key: Option<&[u8; 32]>,
    verified: &Verified,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), BackupError> {
    let conn = verified.migrate(options, progress)?;
    progress(Progress {
        phase: Phase::Replace,
        done: 0,
        total: 1,
    });
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
