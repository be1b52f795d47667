//! The IndexedDB backend: SQLite runs on pages held in memory (`paged`, served to SQLite by `file`), and
//! after every store operation the pages it changed are written to IndexedDB in one durable transaction
//! (`pages`). The store's operation resolves only after that transaction completed; if it fails, the store
//! refuses further work until it is reopened, so nothing is ever reported durable that is not.
//!
//! A database larger than its page cache is paged on demand: operations run through [`IdbFile::run`],
//! which loads what an attempt missed and runs it again (see `paged`).

mod file;
mod on_demand;
mod paged;
pub(crate) mod pages;

use std::cell::RefCell;
use std::rc::Rc;

use indexed_db_futures::database::Database;
use js_sys::Promise;
use sqlite_wasm_rs::vfs::register_vfs;
use sqlite_wasm_rs::WasmOsCallback;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

pub(crate) use file::take_last_miss;
use file::{PagedFiles, PagedIoMethods, PagedVfs};
pub(crate) use on_demand::Hold;
use paged::PagedFile;

use super::VfsError;

pub(crate) const VFS_NAME: &str = "mls-web-store-idb";

thread_local! {
    static FILES: RefCell<Option<PagedFiles>> = const { RefCell::new(None) };
}

/// The VFS's files, registering the VFS on first use.
fn files() -> Result<PagedFiles, VfsError> {
    FILES.with(|slot| {
        if let Some(files) = slot.borrow().as_ref() {
            return Ok(files.clone());
        }
        let files = PagedFiles::new(WasmOsCallback);
        // SAFETY: SQLite here is single-threaded and this runs on the only thread that uses it; the
        // registration is kept for the life of the wasm instance (`into_raw`), with the app data it owns.
        let registration =
            unsafe { register_vfs::<PagedIoMethods, PagedVfs>(VFS_NAME, files.clone(), false) }
                .map_err(|e| VfsError::IndexedDb {
                    operation: "register VFS",
                    name: "Error".to_owned(),
                    message: e.to_string(),
                })?;
        let _ = registration.into_raw();
        *slot.borrow_mut() = Some(files.clone());
        Ok(files)
    })
}

/// An open store's link to its IndexedDB database.
pub(crate) struct IdbFile {
    inner: Rc<IdbInner>,
    /// IndexedDB held no file when this store was opened (a new store, or one the browser discarded).
    was_empty: bool,
}

struct IdbInner {
    db: Database,
    store: String,
    /// This connection's owner epoch (see `pages::Fence`).
    owner: u64,
    file_name: String,
    file: Rc<RefCell<PagedFile>>,
    /// Set when a flush failed: the pages in memory are ahead of IndexedDB.
    failed: RefCell<Option<String>>,
    /// The flush under way; calls arriving meanwhile wait for it, then share the next one (group commit).
    in_progress: RefCell<Option<Promise>>,
    /// The error of the flush that failed, for the caller that started it.
    first_error: RefCell<Option<VfsError>>,
    /// Flushes committed to IndexedDB, this one's database included.
    commits: std::cell::Cell<u64>,
    /// Set when a write found that another owner took over: every later call reports OWNER_CHANGED.
    fenced: std::cell::Cell<bool>,
    /// Operations being retried or holding the whole file (export, compact): while any is, nothing is
    /// evicted, so the pages they loaded stay until they finish.
    holds: std::cell::Cell<u32>,
}

impl IdbInner {
    fn check(&self) -> Result<(), VfsError> {
        if self.fenced.get() {
            return Err(VfsError::OwnerChanged {
                name: self.store.clone(),
            });
        }
        match self.failed.borrow().as_ref() {
            Some(reason) => Err(VfsError::NotDurable {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    async fn write_changes(self: Rc<Self>) -> Result<(), VfsError> {
        self.check()?;
        let Some(mut changes) = self.file.borrow_mut().take_changes() else {
            return Ok(());
        };
        changes.commit = self.commits.get() + 1;
        let fence = pages::Fence {
            owner: self.owner,
            commit: self.commits.get(),
        };
        let result = pages::write(&self.db, &self.store, &changes, Some(fence)).await;
        if result.is_ok() {
            self.commits.set(changes.commit);
        }
        if let Err(error) = result {
            *self.failed.borrow_mut() = Some(error.to_string());
            let fenced = matches!(error, VfsError::OwnerChanged { .. });
            self.fenced.set(fenced);
            *self.first_error.borrow_mut() = Some(error);
            if fenced {
                // Every later call of this store must say so too, not "not durable".
                return Err(VfsError::OwnerChanged {
                    name: self.store.clone(),
                });
            }
            return Err(VfsError::NotDurable {
                reason: "flush failed".to_owned(),
            });
        }
        Ok(())
    }
}

impl IdbFile {
    /// Test hook: drops every page that is not being written (but the header page), as eviction would.
    #[cfg(feature = "test-hooks")]
    pub fn drop_clean_pages_for_tests(&self) {
        self.inner.file.borrow_mut().drop_clean_pages();
    }

    /// Whether the database is paged on demand (larger than its page cache).
    pub(crate) fn is_paged(&self) -> bool {
        self.inner.file.borrow().is_paged()
    }

    /// Bytes of database pages held in memory now.
    pub(crate) fn held_bytes(&self) -> u64 {
        self.inner.file.borrow().held_bytes()
    }

    /// Makes every change made so far durable. Returns once an IndexedDB transaction that started after
    /// those changes has committed; concurrent callers share transactions.
    ///
    /// # Errors
    /// IndexedDB refused or failed; the store is then unusable until reopened.
    pub(crate) async fn flush(&self) -> Result<(), VfsError> {
        loop {
            self.inner.check()?;
            let running = self.inner.in_progress.borrow().clone();
            if let Some(running) = running {
                // Its outcome is read from `failed` on the next turn.
                let _ = JsFuture::from(running).await;
                continue;
            }
            if !self.inner.file.borrow().has_changes() {
                return Ok(());
            }
            let inner = self.inner.clone();
            let promise = future_to_promise(async move {
                inner
                    .write_changes()
                    .await
                    .map(|()| JsValue::UNDEFINED)
                    .map_err(|e| JsValue::from_str(&e.to_string()))
            });
            *self.inner.in_progress.borrow_mut() = Some(promise.clone());
            let outcome = JsFuture::from(promise).await;
            *self.inner.in_progress.borrow_mut() = None;
            // The transaction held every change made before it started, this caller's included.
            if outcome.is_ok() {
                return Ok(());
            }
            if let Some(error) = self.inner.first_error.borrow_mut().take() {
                return Err(error);
            }
        }
    }

    /// Whether IndexedDB held no database file at open.
    pub(crate) fn was_empty(&self) -> bool {
        self.was_empty
    }

    /// Whether changes are waiting for a flush.
    pub(crate) fn has_unflushed_changes(&self) -> bool {
        self.inner.file.borrow().has_changes()
    }

    /// Drops the in-memory pages after the connection closed: the next open reads IndexedDB again.
    pub(crate) fn close(self) {
        drop(self);
    }

    /// Test hook: closes the IndexedDB connection under the store so that the next flush fails the way a
    /// browser-closed connection does.
    #[cfg(feature = "test-hooks")]
    pub fn break_connection_for_tests(&self) {
        // A clone shares the underlying IDBDatabase; closing it closes the store's connection.
        self.inner.db.clone().close();
    }
}

/// Test hook: raises store `name`'s owner epoch as another tab opening it would, without opening it.
///
/// # Errors
/// IndexedDB failed.
#[cfg(feature = "test-hooks")]
pub async fn take_over_for_tests(name: &str) -> Result<(), VfsError> {
    let db = pages::open(name).await?;
    let claimed = pages::claim(&db).await;
    db.close();
    claimed.map(|_| ())
}

/// Test hook: IndexedDB writes of this context fail with `QuotaExceededError` while `on`.
#[cfg(feature = "test-hooks")]
pub fn simulate_storage_full_for_tests(on: bool) {
    pages::simulate_storage_full(on);
}

impl Drop for IdbFile {
    /// Also runs when opening the store failed after the pages were loaded: an IndexedDB connection left
    /// open would block deleting or upgrading the database until garbage collection.
    fn drop(&mut self) {
        if let Ok(files) = files() {
            let mut files = files.files.borrow_mut();
            if files
                .get(&self.inner.file_name)
                .is_some_and(|f| Rc::ptr_eq(f, &self.inner.file))
            {
                files.remove(&self.inner.file_name);
            }
        }
        self.inner.db.clone().close();
    }
}

/// Opens store `name`'s file in IndexedDB for SQLite to open as `file_name`: a database of at most
/// `page_cache` bytes is loaded whole, a larger one is paged on demand (its first pages loaded). A
/// database over `memory_limit` bytes is refused before a page is read or the store claimed
/// ([`VfsError::TooLarge`]).
pub(crate) async fn open_file(
    name: &str,
    file_name: &str,
    memory_limit: u64,
    page_cache: u64,
) -> Result<IdbFile, VfsError> {
    let files = files()?;
    let db = pages::open(name).await?;
    let too_large = |size: u64| VfsError::TooLarge {
        name: name.to_owned(),
        size,
        limit: memory_limit,
    };
    match pages::header(&db).await {
        Ok(header) if header.size > memory_limit => {
            db.close();
            return Err(too_large(header.size));
        }
        Ok(_) => {}
        Err(error) => {
            db.close();
            return Err(error);
        }
    }
    // Claimed before loading: no earlier owner can write after this, so what is loaded is the last state.
    let owner = match pages::claim(&db).await {
        Ok(owner) => owner,
        Err(error) => {
            db.close();
            return Err(error);
        }
    };
    let mut file = PagedFile::default();
    let header = match load_or_page(&db, name, owner, page_cache, &mut file).await {
        // An owner that wrote between the size check and the claim may have grown it past the limit.
        Ok(header) if header.size > memory_limit => {
            db.close();
            return Err(too_large(header.size));
        }
        Ok(header) => header,
        Err(error) => {
            db.close();
            return Err(error);
        }
    };
    let file = Rc::new(RefCell::new(file));
    files
        .files
        .borrow_mut()
        .insert(file_name.to_owned(), file.clone());
    Ok(IdbFile {
        inner: Rc::new(IdbInner {
            db,
            store: name.to_owned(),
            owner,
            file_name: file_name.to_owned(),
            file,
            failed: RefCell::new(None),
            in_progress: RefCell::new(None),
            first_error: RefCell::new(None),
            commits: std::cell::Cell::new(header.commit),
            fenced: std::cell::Cell::new(false),
            holds: std::cell::Cell::new(0),
        }),
        was_empty: header.size == 0,
    })
}

/// Loads the file whole into `file`, or, when it is larger than `page_cache` bytes, makes `file` paged with
/// its first pages loaded. Returns the header record.
async fn load_or_page(
    db: &Database,
    name: &str,
    owner: u64,
    page_cache: u64,
    file: &mut PagedFile,
) -> Result<pages::Header, VfsError> {
    let header = pages::header(db).await?;
    if header.size <= page_cache {
        let header =
            pages::load(db, &mut |index, bytes| file.put_loaded_page(index, bytes)).await?;
        file.set_loaded_size(header.size);
        return Ok(header);
    }
    file.start_paging(header.size, page_cache);
    if let Some(range) = file.stored_range(0, paged::OPEN_PRELOAD_PAGES) {
        pages::fetch(db, name, owner, &[range], &mut |index, bytes| {
            file.put_loaded_page(index, bytes);
        })
        .await?;
    }
    Ok(header)
}

/// The bytes of a closed store's database.
pub(super) async fn export(name: &str) -> Result<Option<Vec<u8>>, VfsError> {
    let db = pages::open(name).await?;
    let mut file = PagedFile::default();
    let loaded = pages::load(&db, &mut |index, bytes| file.put_loaded_page(index, bytes)).await;
    db.close();
    let header = loaded?;
    if header.size == 0 {
        return Ok(None);
    }
    file.set_loaded_size(header.size);
    // Held whole: nothing can be missing.
    file.bytes().map(Some).map_err(|_| corrupt_export())
}

fn corrupt_export() -> VfsError {
    VfsError::IndexedDb {
        operation: "read",
        name: "DataError".to_owned(),
        message: "a page of the file is missing".to_owned(),
    }
}

/// Replaces a closed store's database with `bytes`, in one IndexedDB transaction.
pub(super) async fn import(name: &str, bytes: &[u8]) -> Result<(), VfsError> {
    super::import_is_checked(crate::backend::Backend::IndexedDb, bytes)?;
    let db = pages::open(name).await?;
    let page_size = paged::PAGE_SIZE;
    let changes = paged::Changes {
        size: bytes.len() as u64,
        pages: bytes
            .chunks(page_size)
            .enumerate()
            .map(|(index, chunk)| (index as u64, chunk.to_vec()))
            .collect(),
        delete_from: Some(0),
        commit: 1,
    };
    // A closed store's database: no owner to fence (opening it next claims it).
    let result = pages::write(&db, name, &changes, None).await;
    db.close();
    result
}

/// Deletes a closed store's IndexedDB database. Returns whether it held a database.
pub(super) async fn remove(name: &str) -> Result<bool, VfsError> {
    let db = pages::open(name).await?;
    let existed = pages::holds_file(&db).await;
    db.close();
    let existed = existed?;
    pages::delete(name).await?;
    Ok(existed)
}
