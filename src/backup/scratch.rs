//! Scratch databases: a backup's snapshot and an import being verified. On OPFS they live in the store's
//! own pool (pages on disk, memory bounded); elsewhere in memory. One created encrypted (the snapshot of an
//! encrypted store) is encrypted with the store's key, so no plaintext copy reaches the disk.

use crate::backend::Backend;
use crate::sql::{Connection, RawFile};
use crate::vfs;

use super::BackupError;

/// Scratch data is thrown away on any failure: no journal to keep. Exclusive locking lets the scratch file
/// take a WAL database's pages (a snapshot of a WAL store says WAL in its header) on VFSs without shared
/// memory. A scratch database is read and written once, in order: a small page cache (2 MiB, not the
/// build's 16 MiB default) is all it needs, and keeps a backup's memory bounded.
const SCRATCH_PRAGMAS: &str =
    "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = OFF; PRAGMA cache_size = -2048";

/// A scratch database; [`Scratch::discard`] closes and deletes it.
pub(crate) struct Scratch {
    conn: Option<Connection>,
    vfs_name: String,
    backend: Backend,
    store: String,
    file: String,
}

impl Scratch {
    /// A new, empty scratch database beside store `store`, encrypted with `key` when given.
    pub(crate) async fn create(
        backend: Backend,
        store: &str,
        purpose: &str,
        key: Option<&[u8; 32]>,
    ) -> Result<Scratch, BackupError> {
        let (vfs_name, file) = vfs::scratch_location(backend, store, purpose).await?;
        let vfs_name = match key {
            Some(_) => vfs::cipher_vfs(&vfs_name),
            None => vfs_name,
        };
        let mut scratch = Scratch {
            conn: None,
            vfs_name: vfs_name.clone(),
            backend,
            store: store.to_owned(),
            file,
        };
        let opened = (|| {
            let conn = Connection::open(&scratch.file, &vfs_name)?;
            if let Some(key) = key {
                conn.key(key)?;
            }
            conn.execute_batch(SCRATCH_PRAGMAS)?;
            Ok::<_, BackupError>(conn)
        })();
        match opened {
            Ok(conn) => {
                scratch.conn = Some(conn);
                Ok(scratch)
            }
            Err(error) => {
                scratch.discard().await;
                Err(error)
            }
        }
    }

    pub(crate) fn conn(&self) -> Result<&Connection, BackupError> {
        self.conn.as_ref().ok_or(BackupError::Unreadable(
            crate::sql::SqlError::InvalidArgument("scratch database closed"),
        ))
    }

    /// Closes the connection and opens the (plaintext) scratch file itself, for an image to be written into
    /// it below the pager, or its pages read; [`Scratch::reopen`] opens the connection again afterwards.
    pub(crate) fn raw_file(&mut self) -> Result<RawFile, BackupError> {
        if let Some(conn) = self.conn.take() {
            conn.close()?;
        }
        Ok(RawFile::open(&self.file, &self.vfs_name)?)
    }

    /// Opens the connection again (closing it first if open), so that it reads the schema of the image
    /// written below it.
    pub(crate) fn reopen(&mut self) -> Result<(), BackupError> {
        if let Some(conn) = self.conn.take() {
            conn.close()?;
        }
        let conn = Connection::open(&self.file, &self.vfs_name)?;
        conn.execute_batch(SCRATCH_PRAGMAS)?;
        self.conn = Some(conn);
        Ok(())
    }

    /// Closes and deletes the scratch database. Failures are left for the next open's sweep (OPFS) or the
    /// page's end (memory): the caller's own result matters more.
    pub(crate) async fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close();
        }
        let _ = vfs::remove_scratch(self.backend, &self.store, &self.file).await;
        self.backend = Backend::Opfs;
        self.file.clear();
    }
}

impl Drop for Scratch {
    /// A scratch database dropped without [`Scratch::discard`] (an abandoned export, a dropped backup view):
    /// a memory file is deleted now; an OPFS file waits for the store's next open.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close();
        }
        if !self.file.is_empty() && self.backend != Backend::Opfs {
            let _ = vfs::remove_memory_scratch(&self.file);
        }
    }
}
