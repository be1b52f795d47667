//! Export as a stream: a snapshot of the store (SQLite's online backup into a scratch database, so the
//! store stays usable meanwhile), then the archive produced piece by piece from the snapshot's pages. Memory
//! is about one piece (1 MiB of pages, their frames), whatever the store's size.
//!
//! A plaintext snapshot's pages are read from its file a piece at a time, below the pager (its connection
//! closed first, so every page is in the file): a statement per page cost Firefox about 30 µs a page, a
//! third of a large export. An encrypted snapshot's pages are read through its connection, which decrypts
//! them.

use crate::archive::{ArchiveWriter, WriterOptions};
use crate::backend::Backend;
use crate::platform::now_ms;
use crate::schema::MIGRATIONS;
use crate::sql::migrate;
use crate::sql::{without_wal_header, Connection, RawFile};

use super::scratch::Scratch;
use super::{
    BackupError, ExportOptions, HistoryFilter, Manifest, Phase, Progress, Scope, DATABASE_ENTRY,
    MANIFEST_ENTRY, MANIFEST_VERSION,
};

/// Database bytes per piece of the archive.
const PIECE_BYTES: u32 = 1 << 20;

fn count(conn: &Connection, table: &str) -> Result<i64, BackupError> {
    Ok(conn.query_value(&format!("SELECT count(*) FROM {table}"), &[])?)
}

/// Reduces the snapshot to its history: the MLS state and the store's own secrets erased, the chat tables
/// filtered. Secure delete overwrites every deleted byte, so none of it is left in the pages the archive
/// copies.
fn keep_only_history(conn: &Connection, filter: &HistoryFilter) -> Result<(), BackupError> {
    conn.execute_batch("PRAGMA secure_delete = ON; BEGIN")?;
    crate::mls::erase_all(conn)?;
    crate::chat::keep_only_history(conn, filter)?;
    conn.execute_batch("COMMIT")?;
    Ok(())
}

/// An export in progress; see the module docs. [`ExportStream::close`] deletes the snapshot (call it also
/// when abandoning the export).
pub struct ExportStream {
    /// A plaintext snapshot's file, read below the pager; `None` reads pages through the connection.
    /// Declared before the snapshot, so that a stream dropped without [`ExportStream::close`] closes the
    /// file before the snapshot is deleted.
    file: Option<RawFile>,
    snapshot: Scratch,
    writer: Option<ArchiveWriter<Vec<u8>>>,
    page_size: u32,
    page_count: u32,
    next_page: u32,
    manifest: Manifest,
}

impl ExportStream {
    /// Takes the snapshot of `live` (store `store_name` on `backend`, encrypted with `live_key` if so) and
    /// starts the archive.
    pub(crate) async fn start(
        live: &Connection,
        backend: Backend,
        store_name: &str,
        live_key: Option<&[u8; 32]>,
        options: ExportOptions,
    ) -> Result<ExportStream, BackupError> {
        let mut snapshot = Scratch::create(backend, store_name, "export", live_key).await?;
        let begun = Self::begin(live, &snapshot, store_name, options).and_then(|begun| {
            let file = match live_key {
                Some(_) => None,
                None => Some(snapshot.raw_file()?),
            };
            Ok((begun, file))
        });
        match begun {
            Ok(((writer, manifest, page_size, page_count), file)) => Ok(ExportStream {
                file,
                snapshot,
                writer: Some(writer),
                page_size,
                page_count,
                next_page: 1,
                manifest,
            }),
            Err(error) => {
                snapshot.discard().await;
                Err(error)
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn begin(
        live: &Connection,
        snapshot: &Scratch,
        store_name: &str,
        options: ExportOptions,
    ) -> Result<(ArchiveWriter<Vec<u8>>, Manifest, u32, u32), BackupError> {
        if options.scope == Scope::Full && !options.filter.is_everything() {
            return Err(BackupError::InvalidOptions(
                "channel and time filters apply to history backups",
            ));
        }
        let conn = snapshot.conn()?;
        conn.replace_with(live)?;
        if options.scope == Scope::History {
            keep_only_history(conn, &options.filter)?;
        }
        let page_size = conn.page_size()?;
        let page_count = conn.page_count()?;
        let manifest = Manifest {
            manifest_version: MANIFEST_VERSION,
            archive_format: u32::from(crate::archive::FORMAT_VERSION),
            schema_version: migrate::verify(conn, MIGRATIONS)?,
            created_at_ms: now_ms(),
            store_name: store_name.to_owned(),
            database_bytes: u64::from(page_size) * u64::from(page_count),
            channels: count(conn, "chat_channels")?,
            messages: count(conn, "chat_messages")?,
            mls_groups: conn.query_value(
                "SELECT count(DISTINCT group_id) FROM mls_group_data WHERE data_type = 'context'",
                &[],
            )?,
            scope: options.scope,
            filter: (options.scope == Scope::History).then(|| options.filter.clone()),
        };
        let mut writer_options = WriterOptions {
            key: options.key,
            signing_key: options.signing_key,
            ..WriterOptions::default()
        };
        if let Some(threshold) = options.split_threshold {
            writer_options.split_threshold = threshold;
        }
        let mut writer = ArchiveWriter::new(Vec::new(), writer_options)?;
        writer.add_bytes(MANIFEST_ENTRY, &serde_json::to_vec(&manifest)?)?;
        writer.begin_entry(DATABASE_ENTRY, manifest.database_bytes)?;
        Ok((writer, manifest, page_size, page_count))
    }

    /// What the backup says about itself.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// How far the export is: database bytes written of the total.
    pub fn progress(&self) -> Progress {
        let done = u64::from(self.next_page - 1) * u64::from(self.page_size);
        Progress {
            phase: Phase::Export,
            done,
            total: self.manifest.database_bytes,
        }
    }

    /// The archive's next bytes, `None` after the last. Pieces are about a megabyte of database, compressed.
    ///
    /// # Errors
    /// The snapshot cannot be read, or the archive cannot be written; the export cannot go on.
    pub fn next_piece(&mut self) -> Result<Option<Vec<u8>>, BackupError> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(None);
        };
        let pages_per_piece = (PIECE_BYTES / self.page_size.max(1)).max(1);
        loop {
            if self.next_page > self.page_count {
                writer.finish_entry()?;
                let Some(writer) = self.writer.take() else {
                    return Ok(None);
                };
                return Ok(Some(writer.finalize()?));
            }
            let last = self
                .page_count
                .min(self.next_page.saturating_add(pages_per_piece - 1));
            match self.file.as_mut() {
                Some(file) => {
                    // At most a piece, or one page when pages are larger than a piece: far below 4 GiB.
                    let len = (last - self.next_page + 1) * self.page_size;
                    let mut pages = vec![0; len as usize];
                    let at = u64::from(self.next_page - 1) * u64::from(self.page_size);
                    file.read_at(at, &mut pages)
                        .map_err(BackupError::Unreadable)?;
                    if self.next_page == 1 {
                        without_wal_header(&mut pages);
                    }
                    writer.write_entry_data(&pages)?;
                }
                None => {
                    let conn = self.snapshot.conn()?;
                    for pgno in self.next_page..=last {
                        writer.write_entry_data(&conn.read_page(pgno)?)?;
                    }
                }
            }
            self.next_page = last + 1;
            let piece = std::mem::take(writer.sink_mut());
            if !piece.is_empty() {
                return Ok(Some(piece));
            }
        }
    }

    /// Deletes the snapshot.
    pub async fn close(mut self) {
        drop(self.file.take());
        self.snapshot.discard().await;
    }
}
