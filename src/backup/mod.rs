//! Backups of a store: export a consistent snapshot of its database and a manifest as an archive
//! (`crate::archive`), browse a backup without importing it, and import one, which verifies everything
//! (signature, every CRC and tag, `PRAGMA integrity_check`, the schema, migrating it forward if older)
//! before replacing the live database in one step. On any failure the live data is untouched.

use serde::{Deserialize, Serialize};

use crate::archive::{
    ArchiveError, ArchiveKey, ArchiveReader, ArchiveWriter, Limits, WriterOptions,
};
use crate::backend::Backend;
use crate::chat::Chat;
use crate::platform::now_ms;
use crate::schema::{latest_version, MIGRATIONS};
use crate::sql::migrate;
use crate::sql::Connection;
use crate::store::{Store, StoreError, StoreKey};

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

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub manifest: Manifest,
    /// The schema version the backup had; it was migrated to this build's when older.
    pub from_schema_version: u32,
    /// The Ed25519 key the backup was signed with, verified; the app decides whether it trusts it.
    pub signer: Option<[u8; 32]>,
}

/// A failure of a backup operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("the backup's manifest is invalid: {0}")]
    Manifest(String),
    #[error("the backup's database fails its integrity check: {0}")]
    Integrity(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::sql::SqlError> for BackupError {
    fn from(error: crate::sql::SqlError) -> Self {
        BackupError::Store(StoreError::from(error))
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

impl Store {
    /// Exports the store as archive bytes. `progress(done, total)` is called as the database is written.
    ///
    /// # Errors
    /// The store cannot be read, or the archive cannot be written.
    pub fn export_backup(
        &self,
        options: ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<u8>, BackupError> {
        let conn = self.connection();
        let image = conn.serialize()?;
        let manifest = Manifest {
            manifest_version: MANIFEST_VERSION,
            archive_format: 1,
            schema_version: self.schema_version()?,
            created_at_ms: now_ms(),
            store_name: self.name().to_owned(),
            database_bytes: image.len() as u64,
            channels: count(conn, "chat_channels")?,
            messages: count(conn, "chat_messages")?,
            mls_groups: conn.query_value(
                "SELECT count(DISTINCT group_id) FROM mls_group_data WHERE data_type = 'context'",
                &[],
            )?,
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BackupError::Manifest(e.to_string()))?;
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

    /// Verifies `archive` completely, then replaces this store's database with the backup's in one step.
    ///
    /// # Errors
    /// Wrong key, forged signature, corrupt or truncated archive, a database that fails its integrity check
    /// or has a schema newer than this build: the live store is then unchanged.
    pub async fn import_backup(
        &self,
        archive: &[u8],
        key: Option<&ArchiveKey>,
    ) -> Result<ImportReport, BackupError> {
        self.import_backup_with_progress(archive, key, &mut |_, _| {})
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
        key: Option<&ArchiveKey>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport, BackupError> {
        let opened = open_verified(archive, key).await?;
        progress(1, IMPORT_STEPS);
        let from_schema_version = opened.schema_version;
        migrate::migrate_to_latest(&opened.conn, MIGRATIONS, now_ms()).map_err(StoreError::from)?;
        progress(2, IMPORT_STEPS);
        match self.key_copy() {
            None => self.connection().replace_with(&opened.conn)?,
            Some(key) => replace_encrypted(self, &opened.conn, &key).await?,
        }
        self.mls_groups().clear();
        self.sync().await?;
        progress(IMPORT_STEPS, IMPORT_STEPS);
        Ok(ImportReport {
            manifest: opened.manifest,
            from_schema_version,
            signer: opened.signer,
        })
    }
}

/// SQLite3 Multiple Ciphers copies pages only between databases of the same cipher: encrypt the verified
/// image with the store's key in a scratch memory file first, then copy that into the store.
async fn replace_encrypted(
    store: &Store,
    source: &Connection,
    key: &StoreKey,
) -> Result<(), BackupError> {
    let image = source.serialize()?;
    let random: u64 = crate::platform::random_u64();
    let scratch = format!("import-{random:016x}");
    let file = crate::vfs::file_name(&scratch);
    crate::vfs::import_database(Backend::Memory, &scratch, &image)
        .await
        .map_err(StoreError::from)?;
    let result = (|| -> Result<(), BackupError> {
        let vfs = crate::store::cipher_vfs(crate::vfs::memory_vfs_name());
        let encrypted = Connection::open(&file, &vfs)?;
        encrypted.rekey(Some(key.bytes()))?;
        let copied = store.connection().replace_with(&encrypted);
        encrypted.close()?;
        Ok(copied?)
    })();
    let _ = crate::vfs::delete_database(Backend::Memory, &scratch).await;
    result
}

/// How many steps [`Store::import_backup_with_progress`] reports.
pub const IMPORT_STEPS: u64 = 3;

/// A backup opened in memory, verified, for browsing without importing.
pub struct BackupView {
    conn: Connection,
    pub manifest: Manifest,
    pub schema_version: u32,
    pub signer: Option<[u8; 32]>,
}

impl BackupView {
    /// Opens and verifies a backup (everything an import checks) into a read-only in-memory database.
    ///
    /// # Errors
    /// As [`Store::import_backup`].
    pub async fn open(archive: &[u8], key: Option<&ArchiveKey>) -> Result<BackupView, BackupError> {
        let view = open_verified(archive, key).await?;
        view.conn.execute_batch("PRAGMA query_only = ON")?;
        Ok(view)
    }

    /// The chat API over the backup (reads only).
    pub fn chat(&self) -> Chat<'_> {
        Chat::on(&self.conn)
    }

    /// The backup's database, for queries of your own (read-only).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

async fn open_verified(
    archive: &[u8],
    key: Option<&ArchiveKey>,
) -> Result<BackupView, BackupError> {
    let reader = ArchiveReader::open(archive, key, Limits::default())?;
    let manifest: Manifest = serde_json::from_slice(&reader.read_entry(MANIFEST_ENTRY)?)
        .map_err(|e| BackupError::Manifest(e.to_string()))?;
    if manifest.manifest_version != MANIFEST_VERSION {
        return Err(BackupError::Manifest(format!(
            "manifest version {} is not supported",
            manifest.manifest_version
        )));
    }
    let image = reader.read_entry(DATABASE_ENTRY)?;
    crate::vfs::prepare(Backend::Memory, "")
        .await
        .map_err(StoreError::from)?;
    let conn = Connection::open_image(&image).map_err(|e| BackupError::Integrity(e.to_string()))?;
    let problems: Vec<String> = conn
        .query_map("PRAGMA integrity_check", &[], |row| row.get(0))
        .map_err(|e| BackupError::Integrity(e.to_string()))?;
    if problems.iter().any(|line| line != "ok") {
        return Err(BackupError::Integrity(problems.join("; ")));
    }
    let schema_version = migrate::verify(&conn, MIGRATIONS).map_err(StoreError::from)?;
    if schema_version > latest_version() {
        return Err(BackupError::Store(StoreError::from(
            migrate::MigrationError::SchemaTooNew {
                found: schema_version,
                known: latest_version(),
            },
        )));
    }
    Ok(BackupView {
        conn,
        manifest,
        schema_version,
        signer: reader.signer(),
    })
}
