//! The in-memory backend: sqlite-wasm-rs's `memvfs`, where a named file lives as long as the wasm instance.
//! Closing and reopening a memory store within one page keeps its data; a reload loses it.

use sqlite_wasm_rs::vfs::memvfs::MemVfsUtil;
use sqlite_wasm_rs::vfs::transfer::DbTransfer;
use sqlite_wasm_rs::vfs::VfsFilesManager;

use super::VfsError;
use crate::backend::Backend;

pub(crate) const VFS_NAME: &str = "memvfs";

fn util() -> Result<MemVfsUtil, VfsError> {
    // SAFETY: SQLite is single-threaded here (wasm32 without threads) and this crate never unregisters
    // memvfs, so the registration the handle refers to stays valid.
    unsafe { MemVfsUtil::get() }.map_err(|error| transfer_error(&error))
}

fn transfer_error(error: &dyn std::fmt::Display) -> VfsError {
    VfsError::Transfer {
        backend: Backend::Memory,
        message: error.to_string(),
    }
}

pub(super) fn export(file: &str) -> Result<Vec<u8>, VfsError> {
    let util = util()?;
    if !util.contains(file).map_err(|e| transfer_error(&e))? {
        return Err(VfsError::NotFound {
            backend: Backend::Memory,
            name: file.to_owned(),
        });
    }
    util.export_db(file).map_err(|e| transfer_error(&e))
}

pub(super) fn import(file: &str, bytes: &[u8]) -> Result<(), VfsError> {
    let util = util()?;
    // The journal and WAL belong to the file being replaced; an import refuses to run beside them.
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar).map_err(|e| transfer_error(&e))?;
    }
    util.remove(file).map_err(|e| transfer_error(&e))?;
    let imported = if super::import_is_checked(Backend::Memory, bytes)? {
        util.import_db(file, bytes)
    } else {
        util.import_db_unchecked(file, bytes)
    };
    imported.map_err(|e| transfer_error(&e))
}

pub(super) fn remove(file: &str) -> Result<bool, VfsError> {
    let util = util()?;
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar).map_err(|e| transfer_error(&e))?;
    }
    util.remove(file).map_err(|e| transfer_error(&e))
}
