//! The VFS side of the IndexedDB backend: SQLite's calls on database files, served from their pages in
//! memory (`paged.rs`).
//!
//! Only main database files are ever persisted; the rollback journal lives in SQLite's memory
//! (`journal_mode = MEMORY`): after a crash the durable copy is IndexedDB's, which is always a committed
//! state, so SQLite's own crash journal has nothing to add.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::paged::{Missing, PagedFile};
use sqlite_wasm_rs::vfs::{
    AccessMode, LockLevel, OpenOptions, OpenRequest, OpenedFile, OsCallback, SQLiteIoMethods,
    SQLiteVfs, SyncOptions, VfsError, VfsErrorCode, VfsFile, VfsResult, VfsStore,
};

thread_local! {
    /// The page the last miss was of, until the SQL layer takes it to say why a statement failed.
    static LAST_MISS: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// The page of a paged file whose miss the last I/O error was, if it was one (taken: asked once).
pub(crate) fn take_last_miss() -> Option<u64> {
    LAST_MISS.with(std::cell::Cell::take)
}

/// A miss of a paged file, as SQLite sees it: an I/O error that fails the statement (SQLite rolls its
/// transaction back); the operation is undone and run again once the page is loaded. SQLite keeps only
/// its generic "disk I/O error", so the page is also noted for the SQL layer ([`take_last_miss`]).
fn not_held(code: VfsErrorCode, Missing(index): Missing) -> VfsError {
    LAST_MISS.with(|last| last.set(Some(index)));
    VfsError::new(
        code,
        format!(
            "page {index} is not in memory (a paged IndexedDB store): run the call through Store::run"
        )
        .into(),
    )
}

/// An open handle on a file; temporary files are private to their handle.
pub(crate) struct PagedHandle {
    file: Rc<RefCell<PagedFile>>,
}

impl VfsFile for PagedHandle {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        self.file
            .borrow_mut()
            .read_into(buf, offset)
            .map_err(|missing| not_held(VfsErrorCode::IoRead, missing))
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        self.file
            .borrow_mut()
            .write_at(buf, offset)
            .map_err(|missing| not_held(VfsErrorCode::IoWrite, missing))
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        self.file
            .borrow_mut()
            .truncate_to(size)
            .map_err(|missing| not_held(VfsErrorCode::IoTruncate, missing))
    }

    fn sync(&mut self, _options: SyncOptions) -> VfsResult<()> {
        // Durability comes from the flush to IndexedDB after the store operation, not from here.
        Ok(())
    }

    // One connection per database (the store's registry and cross-tab ownership see to it).
    fn lock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn unlock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn check_reserved_lock(&self) -> VfsResult<bool> {
        Ok(false)
    }

    fn size(&self) -> VfsResult<u64> {
        Ok(self.file.borrow().size())
    }
}

/// The VFS's state: the files by name, the platform services, the last error.
#[derive(Clone)]
pub(crate) struct PagedFiles {
    pub(crate) files: Rc<RefCell<BTreeMap<String, Rc<RefCell<PagedFile>>>>>,
    os: Rc<dyn OsCallback>,
    error: Rc<RefCell<Option<VfsError>>>,
}

impl PagedFiles {
    pub(crate) fn new(os: impl OsCallback + 'static) -> Self {
        PagedFiles {
            files: Rc::default(),
            os: Rc::new(os),
            error: Rc::default(),
        }
    }
}

#[derive(Clone, Copy, Default)]
pub(crate) struct PagedStore;

impl VfsStore for PagedStore {
    type File = PagedHandle;
    type AppData = PagedFiles;

    fn record_error(data: &PagedFiles, error: VfsError) {
        data.error.replace(Some(error));
    }

    fn last_error(data: &PagedFiles) -> Option<VfsError> {
        data.error.borrow().clone()
    }

    fn open_file(
        data: &PagedFiles,
        request: OpenRequest<'_>,
    ) -> VfsResult<OpenedFile<PagedHandle>> {
        let options = request.options;
        let access = options.access();
        let Some(filename) = request.filename else {
            return Ok(OpenedFile {
                file: PagedHandle {
                    file: Rc::default(),
                },
                access,
            });
        };
        let name = filename.path();
        let mut files = data.files.borrow_mut();
        let file = match files.get(name) {
            Some(file) => file.clone(),
            None if options.create() => {
                let file: Rc<RefCell<PagedFile>> = Rc::default();
                files.insert(name.to_owned(), file.clone());
                file
            }
            None => {
                return Err(VfsError::new(
                    VfsErrorCode::CantOpen,
                    format!("no file {name:?}").into(),
                ))
            }
        };
        Ok(OpenedFile {
            file: PagedHandle { file },
            access,
        })
    }

    fn close_file(
        data: &PagedFiles,
        name: Option<&str>,
        file: PagedHandle,
        options: OpenOptions,
    ) -> VfsResult<()> {
        if let Some(name) = name {
            if options.delete_on_close() {
                let mut files = data.files.borrow_mut();
                if files.get(name).is_some_and(|f| Rc::ptr_eq(f, &file.file)) {
                    files.remove(name);
                }
            }
        }
        Ok(())
    }

    fn access(data: &PagedFiles, name: &str, _mode: AccessMode) -> VfsResult<bool> {
        Ok(data.files.borrow().contains_key(name))
    }

    fn full_pathname(_data: &PagedFiles, name: &str) -> VfsResult<String> {
        Ok(name.to_owned())
    }

    fn delete_file(data: &PagedFiles, name: &str, _sync_dir: bool) -> VfsResult<()> {
        data.files.borrow_mut().remove(name);
        Ok(())
    }
}

#[derive(Clone, Copy, Default)]
pub(crate) struct PagedIoMethods;

impl SQLiteIoMethods for PagedIoMethods {
    type Store = PagedStore;
}

#[derive(Clone, Copy, Default)]
pub(crate) struct PagedVfs;

impl SQLiteVfs<PagedIoMethods> for PagedVfs {
    type Os = dyn OsCallback;

    fn os(data: &PagedFiles) -> &Self::Os {
        &*data.os
    }
}
