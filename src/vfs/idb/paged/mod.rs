//! One IndexedDB-backed database file as pages in memory, so SQLite reads and writes synchronously, with a
//! record of which pages changed since they were last written to IndexedDB.
//!
//! A file no larger than its page cache is held whole. A larger one is *paged*: only the pages read lately
//! (and every page changed and not yet written) are held, at most the cache's size of clean pages. SQLite
//! reads synchronously and IndexedDB answers asynchronously, so a read of a page that is not held fails
//! (a *miss*): the page is recorded, the attempt's changes to the file are undone from an undo log, and the
//! caller ([`super::IdbFile::run`]) reads the missed pages and their neighbours from IndexedDB and runs the
//! attempt again. Each retry holds at least one more page, and nothing is evicted while an operation is
//! being retried, so every operation finishes.

mod undo;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use js_sys::Uint8Array;

use undo::UndoLog;

/// Bytes per page of the in-memory file and per IndexedDB record. Equal to the store's SQLite page size,
/// so a committed page write dirties exactly one record.
pub(crate) const PAGE_SIZE: usize = 8192;

/// Pages held before the first statement when a paged file opens: the header page and the schema, and
/// usually the roots of the tables created with it, so that opening misses little.
pub(crate) const OPEN_PRELOAD_PAGES: u64 = 64;

/// One database file: its pages, its size, and what changed since the last flush.
#[derive(Default)]
pub(crate) struct PagedFile {
    pages: BTreeMap<u64, Box<[u8]>>,
    size: u64,
    dirty: BTreeSet<u64>,
    /// The smallest size the file had since the last flush: pages from here on that are not dirty must be
    /// deleted from IndexedDB.
    truncated_to: Option<u64>,
    /// Set when the file is larger than its cache: pages not held may be in IndexedDB.
    paging: Option<Paging>,
}

/// The state of a paged file.
struct Paging {
    /// Pages below this index that are not held are read from IndexedDB; from it on, they are zeros (never
    /// written, or cut off by a truncation not yet flushed).
    stored_pages: u64,
    /// Clean pages kept at most.
    capacity: usize,
    /// When each held page was last read or written, for eviction (least recently used first).
    last_use: HashMap<u64, u64>,
    clock: u64,
    /// Pages SQLite asked for that were not held.
    missed: BTreeSet<u64>,
    /// What the attempt under way changed, to be undone if it misses.
    undo: Option<UndoLog>,
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

/// A read or write that needs a page that is not held (paged files only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Missing(pub u64);

/// The part of one page that a read or write of `[offset, end)` covers.
struct Span {
    index: u64,
    /// Where in the page it starts.
    within: usize,
    /// How many bytes.
    take: usize,
    /// Where in the caller's buffer it starts.
    at: usize,
}

/// The pages `[offset, end)` covers, in order.
fn spans(offset: u64, end: u64) -> impl Iterator<Item = Span> {
    let mut position = offset;
    std::iter::from_fn(move || {
        if position >= end {
            return None;
        }
        let within = (position % PAGE_SIZE as u64) as usize;
        let take = ((PAGE_SIZE - within) as u64).min(end - position) as usize;
        let span = Span {
            index: position / PAGE_SIZE as u64,
            within,
            take,
            at: (position - offset) as usize,
        };
        position += take as u64;
        Some(span)
    })
}

fn zero_page() -> Box<[u8]> {
    vec![0u8; PAGE_SIZE].into_boxed_slice()
}

impl PagedFile {
    /// Adds a page as loaded from IndexedDB, copied straight from JS into its place (no second copy in
    /// wasm memory). Loading does not change the file: nothing is marked for writing back. A page already
    /// held is newer than IndexedDB's copy or equal to it, and is kept.
    pub(crate) fn put_loaded_page(&mut self, index: u64, bytes: Option<&Uint8Array>) {
        if self.pages.contains_key(&index) {
            return;
        }
        if let Some(paging) = &self.paging {
            // Cut off since (a truncation not yet flushed): IndexedDB's copy is stale.
            if index >= paging.stored_pages {
                return;
            }
        }
        let mut page = zero_page();
        if let Some(bytes) = bytes {
            let len = (bytes.length() as usize).min(PAGE_SIZE);
            // `len` fits u32: at most PAGE_SIZE.
            bytes.subarray(0, len as u32).copy_to(&mut page[..len]);
        }
        self.pages.insert(index, page);
        self.touch(index);
    }

    /// Sets the size the header record gives, once the pages are loaded.
    pub(crate) fn set_loaded_size(&mut self, size: u64) {
        self.size = size;
    }

    /// Makes the file paged: its `size` bytes are in IndexedDB, of which at most `capacity_bytes` of clean
    /// pages are held.
    pub(crate) fn start_paging(&mut self, size: u64, capacity_bytes: u64) {
        self.size = size;
        self.paging = Some(Paging {
            stored_pages: size.div_ceil(PAGE_SIZE as u64),
            capacity: usize::try_from(capacity_bytes / PAGE_SIZE as u64)
                .unwrap_or(usize::MAX)
                .max(1),
            last_use: HashMap::new(),
            clock: 0,
            missed: BTreeSet::new(),
            undo: None,
        });
    }

    pub(crate) fn is_paged(&self) -> bool {
        self.paging.is_some()
    }

    /// Clean pages a paged file keeps at most (0 when held whole).
    pub(crate) fn capacity_pages(&self) -> u64 {
        self.paging.as_ref().map_or(0, |p| p.capacity as u64)
    }

    /// The file's size in pages.
    pub(crate) fn page_count(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE as u64)
    }

    /// Bytes of pages held in memory.
    pub(crate) fn held_bytes(&self) -> u64 {
        self.pages.len() as u64 * PAGE_SIZE as u64
    }

    /// The stored page range `[from, to)` clipped to what IndexedDB holds for this file.
    pub(crate) fn stored_range(&self, from: u64, to: u64) -> Option<(u64, u64)> {
        let stored = self.paging.as_ref()?.stored_pages;
        let to = to.min(stored);
        (from < to).then_some((from, to))
    }

    pub(crate) fn has_changes(&self) -> bool {
        !self.dirty.is_empty() || self.truncated_to.is_some()
    }

    /// Drops the least recently used clean pages of a paged file down to its capacity (to seven eighths,
    /// so that eviction runs now and then, not at every operation). The header page stays: SQLite reads
    /// it at the start of every transaction.
    pub(crate) fn evict(&mut self) {
        let Some(paging) = &mut self.paging else {
            return;
        };
        if self.pages.len() <= paging.capacity {
            return;
        }
        let target = paging.capacity - paging.capacity / 8;
        let mut clean: Vec<(u64, u64)> = self
            .pages
            .keys()
            .filter(|index| **index != 0 && !self.dirty.contains(index))
            .map(|index| (paging.last_use.get(index).copied().unwrap_or(0), *index))
            .collect();
        clean.sort_unstable();
        let excess = self.pages.len().saturating_sub(target);
        for (_, index) in clean.into_iter().take(excess) {
            self.pages.remove(&index);
            paging.last_use.remove(&index);
        }
    }

    /// Drops every clean page but the header page (test hook: forces the next reads to miss).
    #[cfg(feature = "test-hooks")]
    pub(crate) fn drop_clean_pages(&mut self) {
        let Some(paging) = &mut self.paging else {
            return;
        };
        let dirty = &self.dirty;
        self.pages
            .retain(|index, _| *index == 0 || dirty.contains(index));
        paging
            .last_use
            .retain(|index, _| *index == 0 || dirty.contains(index));
    }

    fn touch(&mut self, index: u64) {
        if let Some(paging) = &mut self.paging {
            paging.clock += 1;
            paging.last_use.insert(index, paging.clock);
        }
    }

    /// Whether page `index` must come from IndexedDB before it can be used.
    fn must_load(&self, index: u64) -> bool {
        self.paging
            .as_ref()
            .is_some_and(|p| index < p.stored_pages && !self.pages.contains_key(&index))
    }

    fn miss(&mut self, index: u64) -> Missing {
        if let Some(paging) = &mut self.paging {
            paging.missed.insert(index);
        }
        Missing(index)
    }

    /// Takes the changes since the last call: a snapshot of the changed pages, so writes made while it is
    /// being stored start a new set.
    pub(crate) fn take_changes(&mut self) -> Option<Changes> {
        if !self.has_changes() {
            return None;
        }
        let page_count = self.page_count();
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
        // Once this is written, IndexedDB holds every page of the file (a page never written is a zero
        // page, as IndexedDB's missing records read); a read after it waits for it (IndexedDB runs
        // transactions over the same stores in the order they were created).
        if let Some(paging) = &mut self.paging {
            paging.stored_pages = page_count;
        }
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

    /// The whole file, for export. Only for a file held whole.
    pub(crate) fn bytes(&mut self) -> Result<Vec<u8>, Missing> {
        let mut out = vec![0u8; usize::try_from(self.size).unwrap_or(0)];
        self.read_into(&mut out, 0)?;
        Ok(out)
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn read_into(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, Missing> {
        let end = (offset + buf.len() as u64).min(self.size);
        if offset >= end {
            buf.fill(0);
            return Ok(0);
        }
        for Span {
            index,
            within,
            take,
            at,
        } in spans(offset, end)
        {
            if self.must_load(index) {
                return Err(self.miss(index));
            }
            match self.pages.get(&index) {
                Some(page) => buf[at..at + take].copy_from_slice(&page[within..within + take]),
                None => buf[at..at + take].fill(0),
            }
            self.touch(index);
        }
        let read = (end - offset) as usize;
        buf[read..].fill(0);
        Ok(read)
    }

    pub(crate) fn write_at(&mut self, buf: &[u8], offset: u64) -> Result<(), Missing> {
        let end = offset + buf.len() as u64;
        // A write that leaves part of a page as it was needs that page first; none is changed before all
        // are known to be there.
        for Span { index, take, .. } in spans(offset, end) {
            if take < PAGE_SIZE && self.must_load(index) {
                return Err(self.miss(index));
            }
        }
        for Span {
            index,
            within,
            take,
            at,
        } in spans(offset, end)
        {
            self.log_before_change(index);
            let page = self.pages.entry(index).or_insert_with(zero_page);
            page[within..within + take].copy_from_slice(&buf[at..at + take]);
            self.dirty.insert(index);
            self.touch(index);
        }
        self.size = self.size.max(end);
        Ok(())
    }

    pub(crate) fn truncate_to(&mut self, size: u64) -> Result<(), Missing> {
        if size >= self.size {
            return Ok(());
        }
        let keep = size.div_ceil(PAGE_SIZE as u64);
        let partial = size % PAGE_SIZE as u64 != 0;
        let last = size / PAGE_SIZE as u64;
        if partial && self.must_load(last) {
            return Err(self.miss(last));
        }
        let removed: Vec<u64> = self.pages.range(keep..).map(|(index, _)| *index).collect();
        for index in removed {
            self.log_before_change(index);
            self.pages.remove(&index);
            if let Some(paging) = &mut self.paging {
                paging.last_use.remove(&index);
            }
        }
        self.dirty.retain(|index| *index < keep);
        // The last kept page may end inside the cut: zero its tail so a later growth reads zeros.
        if partial && self.pages.contains_key(&last) {
            self.log_before_change(last);
            if let Some(page) = self.pages.get_mut(&last) {
                page[(size % PAGE_SIZE as u64) as usize..].fill(0);
            }
            self.dirty.insert(last);
        }
        if let Some(paging) = &mut self.paging {
            paging.stored_pages = paging.stored_pages.min(keep);
        }
        self.size = size;
        self.truncated_to = Some(self.truncated_to.map_or(size, |t| t.min(size)));
        Ok(())
    }
}
