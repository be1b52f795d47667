//! The OPFS backend: one sahpool VFS (a pool of pre-opened sync access handles) shared by every store of this
//! worker. Installing the pool takes the handles, which locks the directory against other tabs' workers until
//! [`release_opfs_pool`] pauses it.

use sqlite_wasm_rs::vfs::transfer::DbTransfer;
use sqlite_wasm_rs::vfs::VfsFilesManager;
use sqlite_wasm_rs::WasmOsCallback;
use sqlite_wasm_vfs::sahpool::{install, OpfsSAHError, OpfsSAHPoolCfgBuilder, OpfsSAHPoolUtil};

use super::VfsError;
use crate::backend::Backend;

pub(crate) const VFS_NAME: &str = "mls-web-store-opfs";
const DIRECTORY: &str = ".mls-web-store/sahpool";
/// Slots a store needs: its database file, its write-ahead log, and a rollback journal (used while a store
/// created in rollback mode switches to WAL).
const SLOTS_PER_STORE: usize = 3;
/// Spare slots kept free so a new store opens without growing the pool first.
const SPARE_SLOTS: usize = 4;

fn opfs_error(operation: &'static str, error: &OpfsSAHError) -> VfsError {
    let message = error.to_string();
    let in_use = matches!(error, OpfsSAHError::FilesInUse | OpfsSAHError::FileInUse(_))
        || message.contains("NoModificationAllowedError");
    let quota_exceeded = message.contains("QuotaExceededError");
    VfsError::Opfs {
        operation,
        message,
        in_use,
        quota_exceeded,
    }
}

async fn pool() -> Result<OpfsSAHPoolUtil, VfsError> {
    let config = OpfsSAHPoolCfgBuilder::new()
        .vfs_name(VFS_NAME)
        .directory(DIRECTORY)
        .initial_capacity(SLOTS_PER_STORE + SPARE_SLOTS)
        .build();
    let util = install::<WasmOsCallback>(&config, false)
        .await
        .map_err(|e| opfs_error("install", &e))?;
    if util.is_paused() {
        util.resume().await.map_err(|e| opfs_error("resume", &e))?;
    }
    Ok(util)
}

pub(super) async fn prepare() -> Result<&'static str, VfsError> {
    let util = pool().await?;
    let files = util.len().map_err(|e| opfs_error("count files", &e))?;
    util.ensure_capacity(files + SLOTS_PER_STORE + SPARE_SLOTS)
        .await
        .map_err(|e| opfs_error("grow pool", &e))?;
    Ok(VFS_NAME)
}

/// Releases this worker's OPFS access handles so another worker (another tab) can open the stores.
/// Every OPFS store of this worker must be closed first. Opening a store afterwards takes them again.
///
/// # Errors
/// A store is still open, or the browser refuses.
pub async fn release_opfs_pool() -> Result<(), VfsError> {
    let util = pool().await?;
    util.pause().map_err(|e| opfs_error("release", &e))
}

pub(super) async fn export(file: &str) -> Result<Vec<u8>, VfsError> {
    let util = pool().await?;
    if !util.contains(file).map_err(|e| opfs_error("look up", &e))? {
        return Err(VfsError::NotFound {
            backend: Backend::Opfs,
            name: file.to_owned(),
        });
    }
    util.export_db(file).map_err(|e| opfs_error("export", &e))
}

pub(super) async fn import(file: &str, bytes: &[u8]) -> Result<(), VfsError> {
    let util = pool().await?;
    // The journal and WAL belong to the file being replaced; an import refuses to run beside them.
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar)
            .map_err(|e| opfs_error("remove", &e))?;
    }
    util.remove(file).map_err(|e| opfs_error("remove", &e))?;
    util.import_db(file, bytes)
        .map_err(|e| opfs_error("import", &e))
}

pub(super) async fn remove(file: &str) -> Result<bool, VfsError> {
    let util = pool().await?;
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar)
            .map_err(|e| opfs_error("remove", &e))?;
    }
    util.remove(file).map_err(|e| opfs_error("remove", &e))
}
