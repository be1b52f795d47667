//! The SQLite VFS behind each backend: which VFS a store's file is opened through, and raw file operations
//! (export, import, remove) used for corruption tests, diagnostics and backups. Browser-only.
//!
//! A store named `chat` is the file `chat.sqlite3` in its backend's VFS, so a store of the same name on two
//! backends never collides.

mod coalesce;
pub(crate) mod idb;
mod memory;
mod opfs;
pub(crate) mod placement;
mod registry;

use crate::backend::Backend;
use crate::error_code::ErrorCode;

#[cfg(feature = "test-hooks")]
pub use coalesce::{
    scratch_read_counts_for_tests, store_read_counts_for_tests, wal_write_counts_for_tests,
};
#[cfg(feature = "test-hooks")]
pub use idb::take_over_for_tests;
pub use opfs::release_opfs_pool;
pub(crate) use registry::ensure_closed;
pub use registry::{open_store_names, OpenRegistration};

/// A VFS or raw-file failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VfsError {
    /// The OPFS pool could not be installed, resumed or used.
    #[error("OPFS {operation} failed: {message}")]
    Opfs {
        operation: &'static str,
        message: String,
        kind: OpfsFailure,
    },
    /// Exporting or importing a database file failed.
    #[error("{backend} file transfer failed: {message}")]
    Transfer { backend: Backend, message: String },
    /// No database file by that name.
    #[error("no database named {name:?} in {backend}")]
    NotFound { backend: Backend, name: String },
    /// IndexedDB refused or failed. `name` is the DOMException's name (`QuotaExceededError`, ...).
    #[error("IndexedDB {operation} failed: {name}: {message}")]
    IndexedDb {
        operation: &'static str,
        name: String,
        message: String,
    },
    /// An earlier write to IndexedDB failed, so the store's state in memory is not durable; reopen it.
    #[error("the store is not durable since an IndexedDB write failed ({reason}); reopen it")]
    NotDurable { reason: String },
    /// Another owner opened the store's IndexedDB database since this one did (its Web Lock was taken over):
    /// this store's write was refused and nothing of it was written.
    #[error(
        "another owner took over store {name:?}; this write was refused and nothing of it written"
    )]
    OwnerChanged { name: String },
    /// An IndexedDB store is larger than the size limit it was opened with (`memoryLimitBytes`): refused
    /// before a page was read. Open it with a larger limit (or none), then export it or prune it and
    /// `compact()`.
    #[error("store {name:?} is {size} bytes, over the memoryLimitBytes of {limit} bytes it was opened with; open it with a larger memoryLimitBytes to export it, or to prune it and compact()")]
    TooLarge { name: String, size: u64, limit: u64 },
    /// This context has the store open already; two connections to one file would interleave writes.
    #[error("store {name:?} is already open on {backend} in this context")]
    AlreadyOpen { name: String, backend: Backend },
    /// The file is open; close the store first.
    #[error("database {name:?} in {backend} is open; close it first")]
    InUse { backend: Backend, name: String },
}

/// What kind of OPFS failure it was, from the browser's DOMException.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpfsFailure {
    /// Another tab or worker holds the pool's access handles.
    InUse,
    /// The browser refused to store more data.
    QuotaExceeded,
    /// OPFS is not for this context (a private mode, a port without sync access handles).
    Unavailable,
    /// Anything else.
    Other,
}

impl VfsError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            VfsError::Opfs { kind, .. } => match kind {
                OpfsFailure::InUse => ErrorCode::OpfsInUse,
                OpfsFailure::QuotaExceeded => ErrorCode::QuotaExceeded,
                OpfsFailure::Unavailable => ErrorCode::OpfsUnavailable,
                OpfsFailure::Other => ErrorCode::OpfsError,
            },
            VfsError::NotFound { .. } => ErrorCode::NotFound,
            VfsError::AlreadyOpen { .. } => ErrorCode::StoreAlreadyOpen,
            VfsError::InUse { .. } => ErrorCode::StoreInUse,
            VfsError::IndexedDb { name, .. } if name == "QuotaExceededError" => {
                ErrorCode::QuotaExceeded
            }
            VfsError::IndexedDb { .. } => ErrorCode::IndexedDbError,
            VfsError::NotDurable { .. } => ErrorCode::StoreNotDurable,
            VfsError::OwnerChanged { .. } => ErrorCode::OwnerChanged,
            VfsError::Transfer { .. } => ErrorCode::BackendError,
            VfsError::TooLarge { .. } => ErrorCode::StoreTooLarge,
        }
    }

    /// Whether OPFS failed because this context cannot use it at all (not because of a passing condition).
    pub fn is_opfs_unavailable(&self) -> bool {
        matches!(
            self,
            VfsError::Opfs {
                kind: OpfsFailure::Unavailable,
                ..
            }
        )
    }
}

/// The file name of store `name`.
pub(crate) fn file_name(name: &str) -> String {
    format!("{name}.sqlite3")
}

/// The files SQLite may keep beside `file`: the rollback journal and the write-ahead log. They belong to that
/// file: removing or replacing it removes them too.
pub(crate) fn sidecar_names(file: &str) -> [String; 2] {
    [format!("{file}-journal"), format!("{file}-wal")]
}

/// The SQLite3 Multiple Ciphers shim over `vfs`; SQLite3 Multiple Ciphers creates it on first use.
pub(crate) fn cipher_vfs(vfs: &str) -> String {
    format!("multipleciphers-{vfs}")
}

/// Whether `bytes` are imported checked (a plain SQLite database: header, size and page alignment validated,
/// a WAL header reset to rollback mode) or byte for byte (an encrypted database, whose header is encrypted
/// too; opening it needs its key). Anything else is refused.
pub(crate) fn import_is_checked(backend: Backend, bytes: &[u8]) -> Result<bool, VfsError> {
    const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
    const MIN_PAGE: usize = 512;
    if bytes.starts_with(SQLITE_MAGIC) {
        Ok(true)
    } else if !bytes.is_empty() && bytes.len() % MIN_PAGE == 0 {
        Ok(false)
    } else {
        Err(VfsError::Transfer {
            backend,
            message: format!(
                "{} bytes are neither a SQLite database nor an encrypted one (whole pages)",
                bytes.len()
            ),
        })
    }
}

/// The SQLite name of the memory VFS.
pub(crate) fn memory_vfs_name() -> &'static str {
    memory::VFS_NAME
}

/// Makes the memory VFS ready and returns its SQLite name, for connections of your own (scratch databases,
/// benchmarks) beside the stores.
///
/// # Errors
/// The VFS cannot be registered.
pub async fn memory_vfs() -> Result<String, VfsError> {
    prepare(Backend::Memory, "").await
}

/// Makes the backend's VFS ready and returns its SQLite name.
pub(crate) async fn prepare(backend: Backend, store: &str) -> Result<String, VfsError> {
    match backend {
        Backend::Opfs => opfs::prepare(store).await,
        Backend::IndexedDb => Ok(idb::VFS_NAME.to_owned()),
        Backend::Memory => Ok(memory::VFS_NAME.to_owned()),
    }
}

/// The VFS a store's connection opens its file through, given its backend's (`prepare`): on OPFS with every
/// commit synced, the layer that joins a commit's WAL writes into one (see `coalesce`); elsewhere the
/// backend's own.
///
/// # Errors
/// The layer cannot be registered.
pub(crate) fn store_vfs(
    backend: Backend,
    prepared: String,
    every_commit_synced: bool,
) -> Result<String, VfsError> {
    if backend == Backend::Opfs && every_commit_synced {
        coalesce::over(&prepared)
    } else {
        Ok(prepared)
    }
}

/// Lets go of what the backend holds for a closed store: on OPFS, its access handles (so another tab can
/// open it).
pub(crate) fn release(backend: Backend, store: &str) -> Result<(), VfsError> {
    match backend {
        Backend::Opfs => opfs::release(store),
        Backend::IndexedDb | Backend::Memory => Ok(()),
    }
}

/// Reads the whole database file of a closed store.
///
/// # Errors
/// The store is missing or open, or the backend fails.
pub async fn export_database(backend: Backend, name: &str) -> Result<Vec<u8>, VfsError> {
    let file = file_name(name);
    ensure_closed(backend, name)?;
    match backend {
        Backend::Opfs => opfs::export(name, &file).await,
        Backend::IndexedDb => idb::export(name).await?.ok_or(VfsError::NotFound {
            backend,
            name: file,
        }),
        Backend::Memory => memory::export(&file),
    }
}

/// Writes `bytes` as the database file of store `name`, replacing any existing file.
///
/// A plain database must start with a valid SQLite header; an encrypted one (whole pages, its header
/// encrypted) is written byte for byte and needs its key to open. Nothing else is checked: opening the store
/// does (and leaves WAL mode when the backend runs another journal mode).
///
/// # Errors
/// The store is open, the bytes are neither, or the backend fails.
pub async fn import_database(backend: Backend, name: &str, bytes: &[u8]) -> Result<(), VfsError> {
    let file = file_name(name);
    ensure_closed(backend, name)?;
    match backend {
        Backend::Opfs => opfs::import(name, &file, bytes).await,
        Backend::IndexedDb => idb::import(name, bytes).await,
        Backend::Memory => memory::import(&file, bytes),
    }
}

/// The suffix of every scratch file's name.
const SCRATCH_SUFFIX: &str = ".scratch";

/// Where a new scratch database of store `store` goes: its VFS and a file name no other scratch file has.
/// On OPFS it is a file in the store's own pool (its pages on disk, so memory stays bounded), through the
/// write-coalescing layer's scratch registration (writes passed on in runs, reads read ahead); elsewhere a
/// memory file (those stores live in memory anyway). Delete it with [`remove_scratch`]; a crash leaves it for
/// [`remove_stale_scratch`].
///
/// # Errors
/// The backend fails.
pub(crate) async fn scratch_location(
    backend: Backend,
    store: &str,
    purpose: &str,
) -> Result<(String, String), VfsError> {
    let random = crate::platform::random_u64();
    let file = format!("{store}.{purpose}-{random:016x}{SCRATCH_SUFFIX}");
    let vfs = match backend {
        Backend::Opfs => coalesce::for_scratch(&opfs::prepare_scratch(store).await?)?,
        Backend::IndexedDb | Backend::Memory => memory::VFS_NAME.to_owned(),
    };
    Ok((vfs, file))
}

/// Deletes a scratch file made by [`scratch_location`] (closed). Returns whether it existed.
///
/// # Errors
/// The backend fails.
pub(crate) async fn remove_scratch(
    backend: Backend,
    store: &str,
    file: &str,
) -> Result<bool, VfsError> {
    match backend {
        Backend::Opfs => opfs::remove(store, file).await,
        Backend::IndexedDb | Backend::Memory => memory::remove(file),
    }
}

/// Deletes a memory scratch file now (from a destructor, which cannot wait).
///
/// # Errors
/// The memory VFS fails.
pub(crate) fn remove_memory_scratch(file: &str) -> Result<bool, VfsError> {
    memory::remove(file)
}

/// Deletes the scratch files a crash left in store `store`'s pool (OPFS; memory files die with the page).
/// Run while the store is open in this worker, so that no other export or import of it is running.
///
/// # Errors
/// The backend fails.
pub(crate) async fn remove_stale_scratch(backend: Backend, store: &str) -> Result<(), VfsError> {
    if backend == Backend::Opfs {
        for file in opfs::names_ending(store, SCRATCH_SUFFIX).await? {
            opfs::remove(store, &file).await?;
        }
    }
    Ok(())
}

/// Deletes store `name`'s database file. Returns whether there was one.
///
/// # Errors
/// The store is open, or the backend fails.
pub async fn delete_database(backend: Backend, name: &str) -> Result<bool, VfsError> {
    let file = file_name(name);
    ensure_closed(backend, name)?;
    let existed = match backend {
        Backend::Opfs => opfs::remove(name, &file).await?,
        Backend::IndexedDb => idb::remove(name).await?,
        Backend::Memory => memory::remove(&file)?,
    };
    if backend.is_persistent() {
        placement::forget(name, backend).await?;
    }
    Ok(existed)
}
