//! The undo log of a paged file: what an attempt changed, as it was before, so that an attempt that missed
//! a page leaves the file exactly as it found it.

use std::collections::BTreeMap;

use super::PagedFile;

/// The file as it was when an attempt began, for the pages the attempt has touched.
pub(super) struct UndoLog {
    size: u64,
    truncated_to: Option<u64>,
    stored_pages: u64,
    /// Per touched page, the page before the attempt.
    pages: BTreeMap<u64, PageBefore>,
}

/// A page's bytes before an attempt (`None`: not held) and whether it was dirty.
type PageBefore = (Option<Box<[u8]>>, bool);

impl PagedFile {
    /// Begins an attempt of an operation on a paged file: its changes are logged so that a miss can undo
    /// them.
    pub(crate) fn begin_attempt(&mut self) {
        let (size, truncated_to) = (self.size, self.truncated_to);
        if let Some(paging) = &mut self.paging {
            paging.undo = Some(UndoLog {
                size,
                truncated_to,
                stored_pages: paging.stored_pages,
                pages: BTreeMap::new(),
            });
        }
    }

    /// Ends the attempt. Returns the pages it missed, after undoing its changes; none when it ran whole
    /// (its changes then stand).
    pub(crate) fn end_attempt(&mut self) -> Vec<u64> {
        let Some(paging) = &mut self.paging else {
            return Vec::new();
        };
        let undo = paging.undo.take();
        if paging.missed.is_empty() {
            return Vec::new();
        }
        let missed: Vec<u64> = std::mem::take(&mut paging.missed).into_iter().collect();
        if let Some(undo) = undo {
            paging.stored_pages = undo.stored_pages;
            self.size = undo.size;
            self.truncated_to = undo.truncated_to;
            for (index, (bytes, was_dirty)) in undo.pages {
                match bytes {
                    Some(bytes) => {
                        self.pages.insert(index, bytes);
                    }
                    None => {
                        self.pages.remove(&index);
                        paging.last_use.remove(&index);
                    }
                }
                if was_dirty {
                    self.dirty.insert(index);
                } else {
                    self.dirty.remove(&index);
                }
            }
        }
        missed
    }

    /// Logs page `index` as it is before the attempt under way first changes it.
    pub(super) fn log_before_change(&mut self, index: u64) {
        let Some(undo) = self.paging.as_mut().and_then(|p| p.undo.as_mut()) else {
            return;
        };
        if undo.pages.contains_key(&index) {
            return;
        }
        let before = self.pages.get(&index).cloned();
        undo.pages
            .insert(index, (before, self.dirty.contains(&index)));
    }
}
