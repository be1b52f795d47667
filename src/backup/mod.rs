//! Backups of a store: export a consistent snapshot of its database and a manifest as an archive
//! (`crate::archive`), browse a backup without importing it, and import one, which verifies everything
//! (signature, every CRC and tag, `PRAGMA integrity_check`, the schema, migrating it forward if older)
//! before replacing the live database in one step. On any failure the live data is untouched.

use serde::{Deserialize, Serialize};

use crate::archive::{
    ArchiveError, ArchiveKey, ArchiveReader, ArchiveWriter, ReadOptions, WriterOptions,
};
use crate::backend::Backend;
use crate::chat::Chat;
use crate::error_code::ErrorCode;
use crate::platform::now_ms;
use crate::schema::{latest_version, MIGRATIONS};
use crate::sql::migrate::{self, MigrationError};
use crate::sql::{Connection, SqlError};
use crate::vfs::VfsError;

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

/// How to open a backup for import or browsing.
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// The passphrase or key of an encrypted backup.
    pub key: Option<ArchiveKey>,
    /// Accept only a backup signed (format version 2) by this Ed25519 public key.
    pub signer: Option<[u8; 32]>,
}

impl ImportOptions {
    /// Options with a key and no signer requirement.
    pub fn with_key(key: ArchiveKey) -> Self {
        ImportOptions {
            key: Some(key),
            signer: None,
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
        }
    }
}

fn count(conn: &Connection, table: &str) -> Result<i64, BackupError> {
    Ok(conn.query_value(&format!("SELECT count(*) FROM {table}"), &[])?)
}

/// Reports progress as bytes read out of the database image.
struct Progress<'a, 'p> {
    bytes: &'a [u8],
    done: u64,
    total: u64,
    report: &'p mut dyn FnMut(u64, u64),
}

impl std::io::Read for Progress<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = std::io::Read::read(&mut self.bytes, buf)?;
        self.done += read as u64;
        (self.report)(self.done, self.total);
        Ok(read)
    }
}

/// Exports the database on `conn` (store `store_name`) as archive bytes. `progress(done, total)` is called
/// as the database is written.
///
/// # Errors
/// The database cannot be read, or the archive cannot be written.
pub fn export(
    conn: &Connection,
    store_name: &str,
    options: ExportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<u8>, BackupError> {
    let image = conn.serialize()?;
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        archive_format: u32::from(crate::archive::FORMAT_VERSION),
        schema_version: migrate::verify(conn, MIGRATIONS)?,
        created_at_ms: now_ms(),
        store_name: store_name.to_owned(),
        database_bytes: image.len() as u64,
        channels: count(conn, "chat_channels")?,
        messages: count(conn, "chat_messages")?,
        mls_groups: conn.query_value(
            "SELECT count(DISTINCT group_id) FROM mls_group_data WHERE data_type = 'context'",
            &[],
        )?,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    let mut writer_options = WriterOptions {
        key: options.key,
        signing_key: options.signing_key,
        ..WriterOptions::default()
    };
    if let Some(threshold) = options.split_threshold {
        writer_options.split_threshold = threshold;
    }
    let mut writer = ArchiveWriter::new(Vec::with_capacity(image.len() / 2), writer_options)?;
    writer.add_bytes(MANIFEST_ENTRY, &manifest_json)?;
    let total = image.len() as u64;
    writer.add_entry(
        DATABASE_ENTRY,
        total,
        Progress {
            bytes: &image,
            done: 0,
            total,
            report: progress,
        },
    )?;
    Ok(writer.finalize()?)
}

/// Verifies `archive` completely, then replaces the database on `live` with the backup's in one step,
/// encrypted with `live_key` when the live database is encrypted. Reports `progress(step, IMPORT_STEPS)`
/// after verifying and after migrating; the caller reports the last step once the result is durable.
///
/// # Errors
/// Wrong key, forged signature, corrupt or truncated archive, a database that fails its integrity check
/// or has a schema newer than this build: the live database is then unchanged.
pub async fn import(
    live: &Connection,
    live_key: Option<&[u8; 32]>,
    archive: &[u8],
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImportReport, BackupError> {
    let opened = open_verified(archive, options).await?;
    progress(1, IMPORT_STEPS);
    let from_schema_version = opened.schema_version;
    migrate::migrate_to_latest(&opened.conn, MIGRATIONS, now_ms())?;
    progress(2, IMPORT_STEPS);
    match live_key {
        None => live.replace_with(&opened.conn)?,
        Some(live_key) => replace_encrypted(live, &opened.conn, live_key).await?,
    }
    Ok(ImportReport {
        manifest: opened.manifest,
        from_schema_version,
        signer: opened.signer,
        format_version: opened.format_version,
    })
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

/// How many steps an import reports.
pub const IMPORT_STEPS: u64 = 3;

/// A backup opened in memory, verified, for browsing without importing.
pub struct BackupView {
    conn: Connection,
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
    pub async fn open(archive: &[u8], options: &ImportOptions) -> Result<BackupView, BackupError> {
        let view = open_verified(archive, options).await?;
        view.conn.execute_batch("PRAGMA query_only = ON")?;
        Ok(view)
    }

    /// The chat API over the backup (reads only).
    pub fn chat(&self) -> Chat<'_> {
        Chat::new(&self.conn, getrandom_02::getrandom)
    }

    /// The backup's database, for queries of your own (read-only).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

async fn open_verified(archive: &[u8], options: &ImportOptions) -> Result<BackupView, BackupError> {
    let reader = ArchiveReader::open_with(
        archive,
        &ReadOptions {
            key: options.key.as_ref(),
            signer: options.signer,
            ..ReadOptions::default()
        },
    )?;
    let manifest: Manifest = serde_json::from_slice(&reader.read_entry(MANIFEST_ENTRY)?)?;
    if manifest.manifest_version != MANIFEST_VERSION {
        return Err(BackupError::ManifestVersion(manifest.manifest_version));
    }
    let image = reader.read_entry(DATABASE_ENTRY)?;
    crate::vfs::prepare(Backend::Memory, "").await?;
    let conn = Connection::open_image(&image).map_err(BackupError::Unreadable)?;
    let problems: Vec<String> = conn
        .query_map("PRAGMA integrity_check", &[], |row| row.get(0))
        .map_err(BackupError::Unreadable)?;
    if problems.iter().any(|line| line != "ok") {
        return Err(BackupError::Integrity(problems));
    }
    let schema_version = migrate::verify(&conn, MIGRATIONS)?;
    if schema_version > latest_version() {
        return Err(BackupError::Migration(MigrationError::SchemaTooNew {
            found: schema_version,
            known: latest_version(),
        }));
    }
    Ok(BackupView {
        conn,
        manifest,
        schema_version,
        signer: reader.signer(),
        format_version: reader.format_version(),
    })
}
