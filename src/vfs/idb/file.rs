//! The VFS side of the IndexedDB backend: database files as pages in memory, so SQLite reads and writes
//! synchronously, with a record of which pages changed since they were last written to IndexedDB.
//!
//! Only main database files are ever persisted; the rollback journal lives in SQLite's memory
//! (`journal_mode = MEMORY`): after a crash the durable copy is IndexedDB's, which is always a committed
//! state, so SQLite's own crash journal has nothing to add.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use js_sys::Uint8Array;
use sqlite_wasm_rs::vfs::{
    AccessMode, LockLevel, OpenOptions, OpenRequest, OpenedFile, OsCallback, SQLiteIoMethods,
    SQLiteVfs, SyncOptions, VfsError, VfsErrorCode, VfsFile, VfsResult, VfsStore,
};

/// Bytes per page of the in-memory file and per IndexedDB record. Equal to the store's SQLite page size,
/// so a committed page write dirties exactly one record.
pub(crate) const PAGE_SIZE: usize = 8192;

/// One database file: its pages, its size, and what changed since the last flush.
#[derive(Default)]
pub(crate) struct PagedFile {
    pages: BTreeMap<u64, Box<[u8]>>,
    size: u64,
    dirty: BTreeSet<u64>,
    /// The smallest size the file had since the last flush: pages from here on that are not dirty must be
    /// deleted from IndexedDB.
    truncated_to: Option<u64>,
}

/// What a flush writes: the file size, the changed pages, and where stale pages start.
pub(crate) struct Changes {
    pub size: u64,
    pub pages: Vec<(u64, Vec<u8>)>,
    /// Pages at or beyond this index are removed before the changed pages are written.
    pub delete_from: Option<u64>,
    /// How many flushes IndexedDB holds with this one; stored beside the size as the header record.
    pub commit: u64,
}

impl PagedFile {
    /// Adds a page as loaded from IndexedDB, copied straight from JS into its place (no second copy in
    /// wasm memory). Loading does not change the file: nothing is marked for writing back.
    pub(crate) fn put_loaded_page(&mut self, index: u64, bytes: &Uint8Array) {
        let mut page = vec![0u8; PAGE_SIZE].into_boxed_slice();
        let len = (bytes.length() as usize).min(PAGE_SIZE);
        // `len` fits u32: at most PAGE_SIZE.
        bytes.subarray(0, len as u32).copy_to(&mut page[..len]);
        self.pages.insert(index, page);
    }

    /// Sets the size the header record gives, once the pages are loaded.
    pub(crate) fn set_loaded_size(&mut self, size: u64) {
        self.size = size;
    }

    pub(crate) fn has_changes(&self) -> bool {
        !self.dirty.is_empty() || self.truncated_to.is_some()
    }

    /// Takes the changes since the last call: a snapshot of the changed pages, so writes made while it is
    /// being stored start a new set.
    pub(crate) fn take_changes(&mut self) -> Option<Changes> {
        if !self.has_changes() {
            return None;
        }
        let page_count = self.size.div_ceil(PAGE_SIZE as u64);
        let dirty = std::mem::take(&mut self.dirty);
        let pages = dirty
            .into_iter()
            .filter(|index| *index < page_count)
            .map(|index| {
                let bytes = self
                    .pages
                    .get(&index)
                    .map_or_else(|| vec![0; PAGE_SIZE], |p| p.to_vec());
                (index, bytes)
            })
            .collect();
        Some(Changes {
            size: self.size,
            pages,
            delete_from: self
                .truncated_to
                .take()
                .map(|size| size.div_ceil(PAGE_SIZE as u64)),
            commit: 0,
        })
    }

    /// The whole file, for export.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; usize::try_from(self.size).unwrap_or(0)];
        self.read_into(&mut out, 0);
        out
    }

    fn read_into(&self, buf: &mut [u8], offset: u64) -> usize {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            buf.fill(0);
            return 0;
        }
        let mut position = offset;
        while position < end {
            let index = position / PAGE_SIZE as u64;
            let within = (position % PAGE_SIZE as u64) as usize;
            let take = ((PAGE_SIZE - within) as u64).min(end - position) as usize;
            let at = (position - offset) as usize;
            match self.pages.get(&index) {
                Some(page) => buf[at..at + take].copy_from_slice(&page[within..within + take]),
                None => buf[at..at + take].fill(0),
            }
            position += take as u64;
        }
        let read = (end - offset) as usize;
        buf[read..].fill(0);
        read
    }

    fn write_at(&mut self, buf: &[u8], offset: u64) {
        let mut position = offset;
        let end = offset + buf.len() as u64;
        while position < end {
            let index = position / PAGE_SIZE as u64;
            let within = (position % PAGE_SIZE as u64) as usize;
            let take = ((PAGE_SIZE - within) as u64).min(end - position) as usize;
            let at = (position - offset) as usize;
            let page = self
                .pages
                .entry(index)
                .or_insert_with(|| vec![0u8; PAGE_SIZE].into_boxed_slice());
            page[within..within + take].copy_from_slice(&buf[at..at + take]);
            self.dirty.insert(index);
            position += take as u64;
        }
        self.size = self.size.max(end);
    }

    fn truncate_to(&mut self, size: u64) {
        if size >= self.size {
            return;
        }
        let keep = size.div_ceil(PAGE_SIZE as u64);
        self.pages.retain(|index, _| *index < keep);
        self.dirty.retain(|index| *index < keep);
        // The last kept page may end inside the cut: zero its tail so a later growth reads zeros.
        if let Some(page) = self.pages.get_mut(&(size / PAGE_SIZE as u64)) {
            page[(size % PAGE_SIZE as u64) as usize..].fill(0);
            self.dirty.insert(size / PAGE_SIZE as u64);
        }
        self.size = size;
        self.truncated_to = Some(self.truncated_to.map_or(size, |t| t.min(size)));
    }
}

/// An open handle on a file; temporary files are private to their handle.
pub(crate) struct PagedHandle {
    file: Rc<RefCell<PagedFile>>,
}

impl VfsFile for PagedHandle {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        Ok(self.file.borrow().read_into(buf, offset))
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        self.file.borrow_mut().write_at(buf, offset);
        Ok(())
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        self.file.borrow_mut().truncate_to(size);
        Ok(())
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
        Ok(self.file.borrow().size)
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
