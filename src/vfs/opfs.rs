//! The OPFS backend: one sahpool VFS (a pool of pre-opened sync access handles) per store, in its own OPFS
//! directory. Opening a store takes its pool's handles, which locks that store (and only that store) against
//! other tabs' workers until it is closed: closing a store releases its pool, so another tab can take it over.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlite_wasm_rs::vfs::transfer::DbTransfer;
use sqlite_wasm_rs::vfs::VfsFilesManager;
use sqlite_wasm_rs::WasmOsCallback;
use sqlite_wasm_vfs::sahpool::{install, OpfsSAHError, OpfsSAHPoolCfgBuilder, OpfsSAHPoolUtil};

use super::{OpfsFailure, VfsError};
use crate::backend::Backend;

/// Slots a store needs: its database file, its write-ahead log, and a rollback journal (used while a store
/// created in rollback mode switches to WAL, and while it is rekeyed).
const SLOTS_PER_STORE: usize = 3;
/// Slots for a store's scratch databases (a backup's snapshot, an import being verified), which live in its
/// own pool so that their pages are on disk, not in memory.
const SCRATCH_SLOTS: usize = 2;

thread_local! {
    /// The pools this worker installed, by store name.
    static POOLS: RefCell<HashMap<String, OpfsSAHPoolUtil>> = RefCell::new(HashMap::new());
}

/// The SQLite name of store `store`'s VFS.
fn vfs_name(store: &str) -> String {
    format!("mls-web-store-opfs-{store}")
}

/// DOMException names with which a browser says OPFS is not for this context at all: Firefox's and Safari's
/// private modes refuse the root directory (`SecurityError`), ports without sync handles refuse them
/// (`NotSupportedError`), a policy may forbid storage (`NotAllowedError`), and WebKit's ephemeral sessions
/// refuse the root with `UnknownError`. Falling back on these is safe only because `auto` falls back just
/// for stores the placement record has never seen.
const UNAVAILABLE_NAMES: [&str; 4] = [
    "SecurityError",
    "NotSupportedError",
    "NotAllowedError",
    "UnknownError",
];

fn opfs_error(operation: &'static str, error: &OpfsSAHError) -> VfsError {
    let message = error.to_string();
    // sahpool passes the browser's DOMException on as text ("<name>: <message>"): its name is the kind.
    let named = |name: &str| message.contains(name);
    let kind = if matches!(error, OpfsSAHError::FilesInUse | OpfsSAHError::FileInUse(_))
        || named("NoModificationAllowedError")
    {
        OpfsFailure::InUse
    } else if named("QuotaExceededError") {
        OpfsFailure::QuotaExceeded
    } else if UNAVAILABLE_NAMES.iter().any(|name| named(name)) {
        OpfsFailure::Unavailable
    } else {
        OpfsFailure::Other
    };
    VfsError::Opfs {
        operation,
        message,
        kind,
    }
}

/// Installs (or resumes) store `store`'s pool, taking its access handles.
async fn pool(store: &str) -> Result<OpfsSAHPoolUtil, VfsError> {
    let config = OpfsSAHPoolCfgBuilder::new()
        .vfs_name(&vfs_name(store))
        .directory(&format!(".mls-web-store/opfs/{store}"))
        .initial_capacity(SLOTS_PER_STORE)
        .build();
    let util = install::<WasmOsCallback>(&config, false)
        .await
        .map_err(|e| opfs_error("install", &e))?;
    if util.is_paused() {
        util.resume().await.map_err(|e| opfs_error("resume", &e))?;
    }
    POOLS.with(|pools| pools.borrow_mut().insert(store.to_owned(), util.clone()));
    Ok(util)
}

pub(super) async fn prepare(store: &str) -> Result<String, VfsError> {
    let util = pool(store).await?;
    util.ensure_capacity(SLOTS_PER_STORE)
        .await
        .map_err(|e| opfs_error("grow pool", &e))?;
    Ok(vfs_name(store))
}

/// Lets go of store `store`'s access handles (the store is closed), so another tab's worker can open it.
pub(crate) fn release(store: &str) -> Result<(), VfsError> {
    let util = POOLS.with(|pools| pools.borrow().get(store).cloned());
    match util {
        Some(util) if !util.is_paused() => util.pause().map_err(|e| opfs_error("release", &e)),
        _ => Ok(()),
    }
}

/// Releases every OPFS access handle this worker holds so other workers (other tabs) can open the stores.
/// Closing a store already releases its own; this is for stores whose files were touched without opening
/// them (export, import, delete).
///
/// # Errors
/// A store is still open, or the browser refuses.
pub async fn release_opfs_pool() -> Result<(), VfsError> {
    let pools: Vec<OpfsSAHPoolUtil> =
        POOLS.with(|pools| pools.borrow().values().cloned().collect());
    for util in pools {
        if !util.is_paused() {
            util.pause().map_err(|e| opfs_error("release", &e))?;
        }
    }
    Ok(())
}

pub(super) async fn export(store: &str, file: &str) -> Result<Vec<u8>, VfsError> {
    let util = pool(store).await?;
    if !util.contains(file).map_err(|e| opfs_error("look up", &e))? {
        return Err(VfsError::NotFound {
            backend: Backend::Opfs,
            name: file.to_owned(),
        });
    }
    util.export_db(file).map_err(|e| opfs_error("export", &e))
}

pub(super) async fn import(store: &str, file: &str, bytes: &[u8]) -> Result<(), VfsError> {
    let util = pool(store).await?;
    // The journal and WAL belong to the file being replaced; an import refuses to run beside them.
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar)
            .map_err(|e| opfs_error("remove", &e))?;
    }
    util.remove(file).map_err(|e| opfs_error("remove", &e))?;
    let imported = if super::import_is_checked(crate::backend::Backend::Opfs, bytes)? {
        util.import_db(file, bytes)
    } else {
        util.import_db_unchecked(file, bytes)
    };
    imported.map_err(|e| opfs_error("import", &e))
}

pub(super) async fn remove(store: &str, file: &str) -> Result<bool, VfsError> {
    let util = pool(store).await?;
    for sidecar in super::sidecar_names(file) {
        util.remove(&sidecar)
            .map_err(|e| opfs_error("remove", &e))?;
    }
    util.remove(file).map_err(|e| opfs_error("remove", &e))
}

/// Makes room in store `store`'s pool for scratch files and returns the pool's VFS name.
pub(super) async fn prepare_scratch(store: &str) -> Result<String, VfsError> {
    let util = pool(store).await?;
    util.ensure_capacity(SLOTS_PER_STORE + SCRATCH_SLOTS)
        .await
        .map_err(|e| opfs_error("grow pool", &e))?;
    Ok(vfs_name(store))
}

/// The files in store `store`'s pool whose names end with `suffix`.
pub(super) async fn names_ending(store: &str, suffix: &str) -> Result<Vec<String>, VfsError> {
    let util = pool(store).await?;
    let names = util.names().map_err(|e| opfs_error("list", &e))?;
    Ok(names
        .into_iter()
        .filter(|name| name.ends_with(suffix))
        .collect())
}
