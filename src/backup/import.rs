//! Import as a stream: the archive is read in slices from its source (a `Blob` in the browser), checked as
//! it goes (signature and directory first, then every frame's tag and each entry's digest), and the
//! database image is written as it is decoded into a scratch file, which is then checked (`PRAGMA
//! integrity_check`, the schema), migrated, and only then copied over the live store. Memory is about one
//! slice, whatever the archive's size.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use crate::archive::{ArchiveIndex, ReadOptions, HEAD_LEN, TAIL_LEN};
use crate::schema::{latest_version, MIGRATIONS};
use crate::sql::migrate::{self, MigrationError};
use crate::sql::{without_wal_header, RawFile, SqlError};

use super::scratch::Scratch;
use super::{
    BackupError, ImportOptions, Manifest, Phase, Progress, DATABASE_ENTRY, MANIFEST_ENTRY,
    MANIFEST_VERSION,
};

/// Bytes read from the source at a time.
const SLICE_BYTES: u64 = 1 << 20;
/// The manifest is a small JSON document; a larger one is refused before it is read.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Bytes read from a source: a future, since a browser's `Blob` is read asynchronously.
pub type ReadFuture<'s> = Pin<Box<dyn Future<Output = Result<Vec<u8>, BackupError>> + 's>>;

/// Where an archive is read from, slice by slice.
pub trait ArchiveSource {
    /// The archive's length in bytes.
    fn byte_len(&self) -> u64;
    /// The bytes at `range` (within the length).
    fn read(&self, range: Range<u64>) -> ReadFuture<'_>;
}

impl ArchiveSource for Vec<u8> {
    fn byte_len(&self) -> u64 {
        self.len() as u64
    }

    fn read(&self, range: Range<u64>) -> ReadFuture<'_> {
        let bytes = usize::try_from(range.start)
            .ok()
            .zip(usize::try_from(range.end).ok())
            .and_then(|(start, end)| self.get(start..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| BackupError::Read("a range outside the archive".into()));
        Box::pin(std::future::ready(bytes))
    }
}

/// A backup read and checked into a scratch database.
pub(crate) struct Verified {
    pub scratch: Scratch,
    pub manifest: Manifest,
    pub schema_version: u32,
    pub signer: Option<[u8; 32]>,
    pub format_version: u16,
}

/// Reads and checks the archive at `source` into `scratch` (a new, empty database); see the module docs.
/// The caller discards `scratch` when this fails.
pub(crate) async fn read_into(
    source: &dyn ArchiveSource,
    options: &ImportOptions,
    scratch: &mut Scratch,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Manifest, u32, Option<[u8; 32]>, u16), BackupError> {
    let len = source.byte_len();
    let head = source.read(0..len.min(HEAD_LEN as u64)).await?;
    let tail = source.read(len - len.min(TAIL_LEN as u64)..len).await?;
    let read_options = ReadOptions {
        key: options.key.as_ref(),
        signer: options.signer,
        ..ReadOptions::default()
    };
    let directory_at = ArchiveIndex::locate(len, &head, &tail, read_options.limits)?;
    let directory = source.read(directory_at).await?;
    let index = ArchiveIndex::open(len, &head, &tail, &directory, &read_options)?;

    let manifest_bytes = read_small_entry(source, &index, MANIFEST_ENTRY).await?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)?;
    if !(1..=MANIFEST_VERSION).contains(&manifest.manifest_version) {
        return Err(BackupError::ManifestVersion(manifest.manifest_version));
    }

    let layout = index.layout(DATABASE_ENTRY)?;
    let table = match &layout.seek_table {
        Some(range) => Some(source.read(range.clone()).await?),
        None => None,
    };
    let mut decoder = index.decoder(&layout, table.as_deref())?;
    let mut file = scratch.raw_file()?;
    let database_len = index.entry_len(&layout);
    let mut image = ImageSink::default();
    let total = layout.data.end - layout.data.start;
    let mut position = layout.data.start;
    let mut decoded = Vec::new();
    while position < layout.data.end {
        options.check_cancelled()?;
        let end = layout.data.end.min(position + SLICE_BYTES);
        let stored = source.read(position..end).await?;
        decoder.push(&stored, &mut decoded)?;
        image.write(&mut file, &mut decoded, database_len)?;
        position = end;
        progress(Progress {
            phase: Phase::Verify,
            done: position - layout.data.start,
            total,
        });
    }
    decoder.finish()?;
    image.finish(&decoded, database_len)?;
    drop(file);
    scratch.reopen()?;
    let conn = scratch.conn()?;

    let problems: Vec<String> = conn
        .query_map("PRAGMA integrity_check", &[], |row| row.get(0))
        .map_err(BackupError::Unreadable)?;
    if problems.iter().any(|line| line != "ok") {
        return Err(BackupError::Integrity(problems));
    }
    let schema_version = migrate::verify(conn, MIGRATIONS)?;
    if schema_version > latest_version() {
        return Err(BackupError::Migration(MigrationError::SchemaTooNew {
            found: schema_version,
            known: latest_version(),
        }));
    }
    Ok((
        manifest,
        schema_version,
        index.signer(),
        index.format_version(),
    ))
}

/// A whole small entry, read and checked.
async fn read_small_entry(
    source: &dyn ArchiveSource,
    index: &ArchiveIndex,
    name: &str,
) -> Result<Vec<u8>, BackupError> {
    let layout = index.layout(name)?;
    if layout.data.end - layout.data.start > MAX_MANIFEST_BYTES
        || index.entry_len(&layout) > MAX_MANIFEST_BYTES
    {
        return Err(BackupError::Read(format!("entry {name:?} is too large")));
    }
    let stored = source.read(layout.data.clone()).await?;
    let table = layout.seek_table.as_ref().map(|range| {
        let start = (range.start - layout.data.start) as usize;
        let end = (range.end - layout.data.start) as usize;
        stored.get(start..end).unwrap_or_default()
    });
    let mut decoder = index.decoder(&layout, table)?;
    let mut out = Vec::new();
    decoder.push(&stored, &mut out)?;
    decoder.finish()?;
    Ok(out)
}

/// Writes the decoded database image into the scratch file as it arrives: one VFS write per decoded slice,
/// below SQLite's pager (a page at a time through `sqlite_dbpage` cost a VFS call per page, most of an
/// import's time on OPFS). Nothing reads the file until the whole image is there and checked.
#[derive(Default)]
struct ImageSink {
    written: u64,
}

/// A SQLite page size from a database header: a power of two from 512 to 65536 (stored as 1).
fn header_page_size(header: &[u8]) -> Option<usize> {
    let raw = u16::from_be_bytes([*header.get(16)?, *header.get(17)?]);
    let size = if raw == 1 { 65536 } else { usize::from(raw) };
    (size.is_power_of_two() && (512..=65536).contains(&size)).then_some(size)
}

fn not_a_database(reason: &'static str) -> BackupError {
    BackupError::Unreadable(SqlError::InvalidArgument(reason))
}

impl ImageSink {
    /// Writes what was decoded so far (once the header is there to check) and empties `decoded`.
    fn write(
        &mut self,
        file: &mut RawFile,
        decoded: &mut Vec<u8>,
        database_len: u64,
    ) -> Result<(), BackupError> {
        if self.written == 0 {
            if decoded.len() < 100 {
                return Ok(());
            }
            if !decoded.starts_with(b"SQLite format 3\0") {
                return Err(not_a_database("the backup's database has no SQLite header"));
            }
            header_page_size(decoded)
                .filter(|size| database_len % *size as u64 == 0)
                .ok_or(not_a_database("the backup's database has a bad page size"))?;
            without_wal_header(decoded);
        }
        if self.written + decoded.len() as u64 > database_len {
            return Err(not_a_database(
                "the backup's database is longer than its entry says",
            ));
        }
        file.write_at(self.written, decoded)?;
        self.written += decoded.len() as u64;
        decoded.clear();
        Ok(())
    }

    /// Checks that every byte was written: the whole image, in whole pages.
    fn finish(&self, rest: &[u8], database_len: u64) -> Result<(), BackupError> {
        if !rest.is_empty() || self.written != database_len || database_len == 0 {
            return Err(not_a_database("the backup's database is not whole pages"));
        }
        Ok(())
    }
}

impl Verified {
    /// Brings the backup's schema up to date, reporting [`Phase::Migrate`] 0 then 1 of 1, with a cancel check
    /// before and after: the step every import takes before it applies anything. Returns the backup's
    /// database.
    pub(crate) fn migrate(
        &self,
        options: &ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<&crate::sql::Connection, BackupError> {
        options.check_cancelled()?;
        let conn = self.scratch.conn()?;
        let step = |done| Progress {
            phase: Phase::Migrate,
            done,
            total: 1,
        };
        progress(step(0));
        migrate::migrate_to_latest(conn, MIGRATIONS, crate::platform::now_ms())?;
        progress(step(1));
        // The last moment to stop: applying the backup is one step, whole or not at all.
        options.check_cancelled()?;
        Ok(conn)
    }

    /// Reads and checks the archive at `source` into a new scratch database of store `store`.
    pub(crate) async fn read(
        source: &dyn ArchiveSource,
        options: &ImportOptions,
        backend: crate::backend::Backend,
        store: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Verified, BackupError> {
        let mut scratch = Scratch::create(backend, store, "import", None).await?;
        match read_into(source, options, &mut scratch, progress).await {
            Ok((manifest, schema_version, signer, format_version)) => Ok(Verified {
                scratch,
                manifest,
                schema_version,
                signer,
                format_version,
            }),
            Err(error) => {
                scratch.discard().await;
                Err(error)
            }
        }
    }
}
