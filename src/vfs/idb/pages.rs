//! The IndexedDB side: one IndexedDB database per store (`mls-web-store/<name>`), pages keyed by their index
//! in object store `pages`, and the file size in `meta`. A flush writes every changed page and the size in
//! ONE readwrite transaction with strict durability and returns only after IndexedDB reports it complete,
//! so IndexedDB always holds some committed state of the database.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{TransactionDurability, TransactionMode, TransactionOptions};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};

use super::paged::Changes;
use crate::vfs::VfsError;

const VERSION: u8 = 1;
const PAGES: &str = "pages";
const META: &str = "meta";
const SIZE_KEY: &str = "size";
const COMMIT_KEY: &str = "commit";
/// The owner epoch: raised by every open, checked by every write (fencing).
const OWNER_KEY: &str = "owner";

/// What a writer believes IndexedDB holds: its own owner epoch and the last commit it wrote or read. A
/// write finding anything else there is refused before it writes a byte: another owner took over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fence {
    pub owner: u64,
    pub commit: u64,
}

/// The IndexedDB database name of store `name`.
pub(crate) fn database_name(name: &str) -> String {
    format!("{}{name}", crate::backend::INDEXED_DB_DATABASE_PREFIX)
}

/// An IndexedDB failure, with the DOMException's name when there is one.
pub(crate) fn idb_error(operation: &'static str, error: impl Into<IdbFailure>) -> VfsError {
    let IdbFailure { name, message } = error.into();
    VfsError::IndexedDb {
        operation,
        name,
        message,
    }
}

/// The parts of an IndexedDB error the store reports.
pub(crate) struct IdbFailure {
    name: String,
    message: String,
}

impl From<indexed_db_futures::error::Error> for IdbFailure {
    fn from(error: indexed_db_futures::error::Error) -> Self {
        match error {
            indexed_db_futures::error::Error::DomException(exception) => {
                let exception: web_sys::DomException = exception.into();
                IdbFailure {
                    name: exception.name(),
                    message: exception.message(),
                }
            }
            other => IdbFailure {
                name: "Error".to_owned(),
                message: other.to_string(),
            },
        }
    }
}

impl From<indexed_db_futures::error::OpenDbError> for IdbFailure {
    fn from(error: indexed_db_futures::error::OpenDbError) -> Self {
        match error {
            indexed_db_futures::error::OpenDbError::Base(base) => base.into(),
            other => IdbFailure {
                name: "Error".to_owned(),
                message: other.to_string(),
            },
        }
    }
}

/// Opens (creating if needed) the store's IndexedDB database.
pub(crate) async fn open(name: &str) -> Result<Database, VfsError> {
    Database::open(&database_name(name))
        .with_version(VERSION)
        .with_on_upgrade_needed(|_event, db| {
            let stores = db.object_store_names().collect::<Vec<_>>();
            if !stores.iter().any(|s| s == PAGES) {
                db.create_object_store(PAGES).build()?;
            }
            if !stores.iter().any(|s| s == META) {
                db.create_object_store(META).build()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| idb_error("open", e))
}

/// A store's IndexedDB database's header record: the file size and the commit counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub size: u64,
    pub commit: u64,
}

/// Pages per read request while loading: one chunk's JS copies (4 MiB) are all that is held beside the
/// pages in wasm memory, whatever the store's size.
const LOAD_CHUNK: u64 = 512;

/// The number stored under `key` in the `meta` object store, if any.
async fn meta_number(
    meta: &indexed_db_futures::object_store::ObjectStore<'_>,
    key: &str,
) -> Result<Option<f64>, VfsError> {
    meta.get(key)
        .primitive()
        .map_err(|e| idb_error("read", e))?
        .await
        .map_err(|e| idb_error("read", e))
}

/// The stored file size and commit counter.
async fn read_header(
    meta: &indexed_db_futures::object_store::ObjectStore<'_>,
) -> Result<Header, VfsError> {
    let size = match meta_number(meta, SIZE_KEY).await? {
        Some(size) if size >= 0.0 && size.fract() == 0.0 => size as u64,
        Some(_) => return Err(corrupt("the stored file size is not a size")),
        None => 0,
    };
    let commit = meta_number(meta, COMMIT_KEY)
        .await?
        .filter(|c| *c >= 0.0 && c.fract() == 0.0)
        .map_or(0, |c| c as u64);
    Ok(Header { size, commit })
}

/// The header record alone, without reading a page.
pub(crate) async fn header(db: &Database) -> Result<Header, VfsError> {
    let tx = db
        .transaction(META)
        .build()
        .map_err(|e| idb_error("read", e))?;
    let meta = tx.object_store(META).map_err(|e| idb_error("read", e))?;
    read_header(&meta).await
}

/// Whether the database holds a file (a stored size above zero), without reading its pages.
pub(crate) async fn holds_file(db: &Database) -> Result<bool, VfsError> {
    Ok(header(db).await?.size > 0)
}

/// Reads the header record and hands every page of the file to `page` (index, bytes; `None` for a page
/// IndexedDB holds no record of, which reads as zeros), in index order, in one readonly transaction.
pub(crate) async fn load(
    db: &Database,
    page: &mut dyn FnMut(u64, Option<&Uint8Array>),
) -> Result<Header, VfsError> {
    let tx = db
        .transaction([PAGES, META])
        .build()
        .map_err(|e| idb_error("read", e))?;
    let pages = tx.object_store(PAGES).map_err(|e| idb_error("read", e))?;
    let meta = tx.object_store(META).map_err(|e| idb_error("read", e))?;
    let header = read_header(&meta).await?;
    let page_count = header.size.div_ceil(super::paged::PAGE_SIZE as u64);
    read_range(&pages, 0, page_count, page).await?;
    Ok(header)
}

/// Reads the page ranges `[from, to)` of an open store, handing each page to `page` as [`load`] does, in
/// one readonly transaction that first checks the owner epoch: a reader that was taken over from must
/// not mix the new owner's pages into its own.
pub(crate) async fn fetch(
    db: &Database,
    store: &str,
    owner: u64,
    ranges: &[(u64, u64)],
    page: &mut dyn FnMut(u64, Option<&Uint8Array>),
) -> Result<(), VfsError> {
    let tx = db
        .transaction([PAGES, META])
        .build()
        .map_err(|e| idb_error("read", e))?;
    let pages = tx.object_store(PAGES).map_err(|e| idb_error("read", e))?;
    let meta = tx.object_store(META).map_err(|e| idb_error("read", e))?;
    if meta_number(&meta, OWNER_KEY).await? != Some(owner as f64) {
        return Err(VfsError::OwnerChanged {
            name: store.to_owned(),
        });
    }
    for (from, to) in ranges {
        read_range(&pages, *from, *to, page).await?;
    }
    Ok(())
}

/// Hands every page of `[from, to)` to `page`, a chunk of indexes at a time, so only one chunk's JS
/// copies exist at once.
async fn read_range(
    pages: &indexed_db_futures::object_store::ObjectStore<'_>,
    from: u64,
    to: u64,
    page: &mut dyn FnMut(u64, Option<&Uint8Array>),
) -> Result<(), VfsError> {
    let mut chunk_start = from;
    while chunk_start < to {
        let chunk_end = (chunk_start + LOAD_CHUNK).min(to);
        let range = chunk_start as f64..chunk_end as f64;
        let keys: Vec<f64> = pages
            .get_all_keys()
            .with_query(range.clone())
            .primitive()
            .map_err(|e| idb_error("read", e))?
            .await
            .map_err(|e| idb_error("read", e))?
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|e| idb_error("read", e))?;
        let values: Vec<JsValue> = pages
            .get_all()
            .with_query(range)
            .primitive()
            .map_err(|e| idb_error("read", e))?
            .await
            .map_err(|e| idb_error("read", e))?
            .collect::<Result<Vec<JsValue>, _>>()
            .map_err(|e| idb_error("read", e))?;
        if keys.len() != values.len() {
            return Err(corrupt("page keys and values disagree"));
        }
        let mut expected = chunk_start;
        for (key, value) in keys.iter().zip(values) {
            let bytes = value
                .dyn_into::<Uint8Array>()
                .map_err(|_| corrupt("a page is not bytes"))?;
            if !(*key >= 0.0 && key.fract() == 0.0) {
                return Err(corrupt("a page key is not an index"));
            }
            // Checked: a non-negative integer well inside f64's exact range.
            let index = *key as u64;
            if index < expected || index >= chunk_end {
                return Err(corrupt("page keys out of order"));
            }
            for absent in expected..index {
                page(absent, None);
            }
            page(index, Some(&bytes));
            expected = index + 1;
        }
        for absent in expected..chunk_end {
            page(absent, None);
        }
        chunk_start = chunk_end;
    }
    Ok(())
}

/// Makes the caller the store's owner: raises the owner epoch in one readwrite transaction and returns it.
/// From then on every write of an earlier owner is refused (see [`Fence`]).
pub(crate) async fn claim(db: &Database) -> Result<u64, VfsError> {
    let tx = db
        .transaction(META)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(|e| idb_error("claim", e))?;
    let meta = tx.object_store(META).map_err(|e| idb_error("claim", e))?;
    let previous = meta_number(&meta, OWNER_KEY)
        .await?
        .filter(|n| *n >= 0.0 && n.fract() == 0.0)
        .map_or(0, |n| n as u64);
    let owner = previous + 1;
    meta.put(owner as f64)
        .with_key(OWNER_KEY)
        .primitive()
        .map_err(|e| idb_error("claim", e))?;
    tx.commit().await.map_err(|e| idb_error("claim", e))?;
    Ok(owner)
}

fn corrupt(message: &str) -> VfsError {
    VfsError::IndexedDb {
        operation: "read",
        name: "DataError".to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(feature = "test-hooks")]
thread_local! {
    /// Test hook: makes every write fail as a full origin would (Chromium does not apply an overridden
    /// quota to IndexedDB writes, so the quota test cannot fill one for real).
    static SIMULATE_STORAGE_FULL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns the simulated full storage of this context on or off (see [`SIMULATE_STORAGE_FULL`]).
#[cfg(feature = "test-hooks")]
pub(crate) fn simulate_storage_full(on: bool) {
    SIMULATE_STORAGE_FULL.with(|flag| flag.set(on));
}

/// Writes `changes` in one readwrite transaction with strict durability; returns once it completed. With a
/// fence, the transaction first checks that IndexedDB still holds what that owner last saw, and writes
/// nothing (error [`VfsError::OwnerChanged`]) if another owner took over.
pub(crate) async fn write(
    db: &Database,
    store: &str,
    changes: &Changes,
    fence: Option<Fence>,
) -> Result<(), VfsError> {
    #[cfg(feature = "test-hooks")]
    if SIMULATE_STORAGE_FULL.with(std::cell::Cell::get) {
        return Err(VfsError::IndexedDb {
            operation: "commit",
            name: "QuotaExceededError".to_owned(),
            message: "storage full (simulated for tests)".to_owned(),
        });
    }
    let mut options = TransactionOptions::new();
    options.set_durability(TransactionDurability::Strict);
    let tx = db
        .transaction([PAGES, META])
        .with_mode(TransactionMode::Readwrite)
        .with_options(options)
        .build()
        .map_err(|e| idb_error("write", e))?;
    let pages = tx.object_store(PAGES).map_err(|e| idb_error("write", e))?;
    let meta = tx.object_store(META).map_err(|e| idb_error("write", e))?;
    if let Some(fence) = fence {
        let owner = meta_number(&meta, OWNER_KEY).await?;
        let commit = meta_number(&meta, COMMIT_KEY).await?.unwrap_or(0.0);
        if owner != Some(fence.owner as f64) || commit != fence.commit as f64 {
            // Dropping the transaction uncommitted aborts it; nothing was requested in it but reads.
            return Err(VfsError::OwnerChanged {
                name: store.to_owned(),
            });
        }
    }
    if let Some(from) = changes.delete_from {
        pages
            .delete((from as f64)..)
            .primitive()
            .map_err(|e| idb_error("write", e))?;
    }
    for (index, bytes) in &changes.pages {
        let value: JsValue = Uint8Array::from(bytes.as_slice()).into();
        pages
            .put(value)
            .with_key(*index as f64)
            .primitive()
            .map_err(|e| idb_error("write", e))?;
    }
    meta.put(changes.size as f64)
        .with_key(SIZE_KEY)
        .primitive()
        .map_err(|e| idb_error("write", e))?;
    meta.put(changes.commit as f64)
        .with_key(COMMIT_KEY)
        .primitive()
        .map_err(|e| idb_error("write", e))?;
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(error @ indexed_db_futures::error::Error::DomException(_)) => {
            Err(idb_error("commit", error))
        }
        Err(other) => {
            let written: usize = changes.pages.iter().map(|(_, bytes)| bytes.len()).sum();
            let mut failure = IdbFailure::from(other);
            if storage_nearly_full(written as f64).await {
                failure.name = "QuotaExceededError".to_owned();
            }
            Err(VfsError::IndexedDb {
                operation: "commit",
                name: failure.name,
                message: failure.message,
            })
        }
    }
}

/// IndexedDB says why a transaction aborted only on the transaction object, which indexed_db_futures does
/// not hand back after a failed commit. We never abort our own writes, and a closed connection fails before
/// the commit, so an abort with the origin's storage (nearly) full is the browser refusing for quota.
async fn storage_nearly_full(written_bytes: f64) -> bool {
    crate::platform::storage_nearly_full(written_bytes).await
}

/// Deletes the store's IndexedDB database. Returns whether it had pages.
pub(crate) async fn delete(name: &str) -> Result<(), VfsError> {
    Database::delete_by_name(&database_name(name))
        .map_err(|e| idb_error("delete", e))?
        .await
        .map_err(|e| idb_error("delete", e))
}
