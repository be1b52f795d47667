//! Running operations on a paged file: an attempt that missed pages is undone, the pages (and their
//! neighbours) are read from IndexedDB, and it runs again (see `paged` for the file's side). Work that reads
//! the whole file loads it first and holds it.

use std::rc::Rc;

use super::{pages, IdbFile, IdbInner};
use crate::vfs::VfsError;

/// Keeps a paged file's pages from being evicted while it lives.
pub(crate) struct Hold(Rc<IdbInner>);

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.holds.set(self.0.holds.get().saturating_sub(1));
    }
}

/// Pages read before and after a missed one: B-tree scans run both ways (the newest messages first, then
/// back), and one IndexedDB request for a run of pages costs little more than one for a single page.
const READ_AROUND_PAGES: u64 = 16;

/// Retries of one operation that read [`READ_AROUND_PAGES`] around a miss; from then on each retry doubles
/// that, up to an eighth of the page cache. An operation that touches pages all over the file (inserts of
/// random message ids into a large index) would otherwise run again once per page it touches; one that
/// misses a few pages at the ends of its B-trees (an append) should not load megabytes it will not read.
const RETRIES_BEFORE_WIDENING: u32 = 4;

/// The pages to read on either side of a miss on retry `retry` of an operation, in a cache of
/// `capacity` pages.
fn read_around(retry: u32, capacity: u64) -> u64 {
    let widenings = retry.saturating_sub(RETRIES_BEFORE_WIDENING).min(16);
    (READ_AROUND_PAGES << widenings).min((capacity / 8).max(READ_AROUND_PAGES))
}

impl IdbFile {
    /// Runs `attempt` (synchronous work on the store's connection). On a paged file, an attempt that
    /// missed a page is undone, `on_retry` is called (to drop what the attempt may have cached), the pages
    /// it missed and their neighbours are loaded, and it runs again; the result of the attempt that missed
    /// nothing is returned. A file held whole runs `attempt` once.
    ///
    /// # Errors
    /// IndexedDB could not be read, or another owner took the store over.
    pub(crate) async fn run<T>(
        &self,
        mut attempt: impl FnMut() -> T,
        mut on_retry: impl FnMut(),
    ) -> Result<T, VfsError> {
        if !self.inner.file.borrow().is_paged() {
            return Ok(attempt());
        }
        self.inner.check()?;
        if self.inner.holds.get() == 0 {
            self.inner.file.borrow_mut().evict();
        }
        let mut hold = None;
        let mut retries = 0;
        loop {
            self.inner.file.borrow_mut().begin_attempt();
            let _ = super::file::take_last_miss();
            let out = attempt();
            let missed = self.inner.file.borrow_mut().end_attempt();
            if missed.is_empty() {
                return Ok(out);
            }
            drop(out);
            on_retry();
            if hold.is_none() {
                hold = Some(self.hold());
            }
            let capacity = self.inner.file.borrow().capacity_pages();
            self.load_around(&missed, read_around(retries, capacity))
                .await?;
            retries += 1;
        }
    }

    /// Loads every page of a paged file and keeps them until the returned hold is dropped: for work that
    /// reads the whole database (export, compact, rekey, import). A file held whole needs nothing.
    ///
    /// # Errors
    /// IndexedDB could not be read, or another owner took the store over.
    pub(crate) async fn hold_whole_file(&self) -> Result<Hold, VfsError> {
        let hold = self.hold();
        let range = {
            let file = self.inner.file.borrow();
            file.stored_range(0, file.page_count())
        };
        if let Some(range) = range {
            self.load(&[range]).await?;
        }
        Ok(hold)
    }

    fn hold(&self) -> Hold {
        self.inner.holds.set(self.inner.holds.get() + 1);
        Hold(self.inner.clone())
    }

    async fn load_around(&self, missed: &[u64], around: u64) -> Result<(), VfsError> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        {
            let file = self.inner.file.borrow();
            for index in missed {
                let Some((from, to)) =
                    file.stored_range(index.saturating_sub(around), index + around)
                else {
                    continue;
                };
                match ranges.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => ranges.push((from, to)),
                }
            }
        }
        self.load(&ranges).await
    }

    async fn load(&self, ranges: &[(u64, u64)]) -> Result<(), VfsError> {
        self.inner.check()?;
        let file = self.inner.file.clone();
        let result = pages::fetch(
            &self.inner.db,
            &self.inner.store,
            self.inner.owner,
            ranges,
            &mut |index, bytes| file.borrow_mut().put_loaded_page(index, bytes),
        )
        .await;
        if let Err(VfsError::OwnerChanged { .. }) = &result {
            self.inner.fenced.set(true);
        }
        result
    }
}
