//! Reads served from larger reads. SQLite reads a file a page at a time, and an OPFS read costs Firefox
//! about 0.1 ms however small it is, so work that reads a whole database spends most of its time on the
//! calls: a backup's scratch files (an export reading its snapshot, an import copying the database it
//! wrote), and a store's own files when an export copies from them, an import copies into them (SQLite's
//! backup reads each page it replaces), or a checkpoint reads the WAL back. Such reads come in page order
//! or in a few interleaved runs (an integrity check walking a table's leaves, its overflow pages and its
//! indexes). One read of [`READ_AHEAD`] bytes serves the next 32 pages of 8 KiB; [`WINDOWS`] of them are
//! kept, the least recently filled replaced.
//!
//! Scratch files read ahead on every miss ([`Trigger::Always`]). A store's database and WAL, read at
//! random by queries, read ahead only once reads follow each other through the file
//! ([`Trigger::Sequential`]), and let go of what they read ahead when a miss lands elsewhere.
//!
//! Nothing but the one connection reading a file writes it (stores are opened in exclusive locking mode),
//! and every write, truncate or size hint through this layer forgets what was read ahead.

use std::ffi::c_int;

/// Bytes read at once when a read misses.
pub(super) const READ_AHEAD: usize = 256 << 10;
/// Runs read ahead kept at once (2 MiB).
const WINDOWS: usize = 8;
/// Reads in a row, each starting where the one before ended (or ending where it started), after which a
/// [`Trigger::Sequential`] file reads ahead.
const STREAK: u32 = 2;
/// The most bytes between two reads that still follow each other: a checkpoint reads the pages of
/// consecutive WAL frames, which have a 24-byte frame header between them.
const NEAR: i64 = 512;

/// When a file reads ahead.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// On every read that misses: scratch files, which are only ever read in bulk.
    Always,
    /// On a miss that continues a run of [`STREAK`] reads through the file: a store's own files.
    Sequential,
}

/// Bytes read ahead from one offset.
struct Window {
    at: i64,
    bytes: Vec<u8>,
}

impl Window {
    fn get(&self, offset: i64, len: usize) -> Option<&[u8]> {
        let start = usize::try_from(offset.checked_sub(self.at)?).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }
}

/// The runs read ahead (least recently filled first), the file's size while no write changed it, and the
/// last read with how many before it followed each other.
pub(super) struct ReadAhead {
    trigger: Trigger,
    windows: Vec<Window>,
    size: Option<i64>,
    last: Option<(i64, i64)>,
    streak: u32,
}

impl ReadAhead {
    pub(super) fn new(trigger: Trigger) -> Self {
        ReadAhead {
            trigger,
            windows: Vec::new(),
            size: None,
            last: None,
            streak: 0,
        }
    }

    /// Notes a read of `len` bytes at `offset` (served or not), which continues the streak when it follows
    /// the read before it in either direction.
    pub(super) fn note(&mut self, offset: i64, len: usize) {
        let end = offset.saturating_add(len as i64);
        let follows = self.last.is_some_and(|(last_start, last_end)| {
            (0..=NEAR).contains(&(offset - last_end)) || (0..=NEAR).contains(&(last_start - end))
        });
        self.streak = if follows {
            self.streak.saturating_add(1)
        } else {
            0
        };
        self.last = Some((offset, end));
    }

    /// Whether a miss of the read just noted, of `len` bytes, should read ahead. A [`Trigger::Sequential`]
    /// file whose reads stopped following each other lets go of its windows: the bulk work that filled them
    /// is over.
    pub(super) fn wants_to_read_ahead(&mut self, len: usize) -> bool {
        if len >= READ_AHEAD {
            // As large as a window: reading it ahead would only copy it twice.
            return false;
        }
        match self.trigger {
            Trigger::Always => true,
            Trigger::Sequential if self.streak >= STREAK => true,
            Trigger::Sequential => {
                if self.streak == 0 {
                    self.windows = Vec::new();
                }
                false
            }
        }
    }

    /// Drops what was read ahead: the file is about to change.
    pub(super) fn forget(&mut self) {
        self.windows.clear();
        self.size = None;
    }

    /// Copies the bytes at `offset` into `out` when they were read ahead.
    pub(super) fn serve(&self, offset: i64, out: &mut [u8]) -> bool {
        match self
            .windows
            .iter()
            .find_map(|window| window.get(offset, out.len()))
        {
            Some(held) => {
                out.copy_from_slice(held);
                true
            }
            None => false,
        }
    }

    /// Reads ahead around `offset`, as far as the file goes and at most [`READ_AHEAD`] bytes, with `size`
    /// (the file's size) and `read` (exactly `buf.len()` bytes at an offset): forward, or backward when
    /// the read is just before a run already held (SQLite's integrity check walks a tree's pages from the
    /// last). Returns whether the `wanted` bytes at `offset` are now held; when they reach past the end of
    /// the file they are not, and the caller reads them itself (SQLite expects a short read's own result).
    pub(super) fn fill(
        &mut self,
        offset: i64,
        wanted: usize,
        size: impl FnOnce() -> Result<i64, c_int>,
        read: impl FnOnce(&mut [u8], i64) -> c_int,
    ) -> Result<bool, c_int> {
        let size = match self.size {
            Some(size) => size,
            None => {
                let size = size()?;
                self.size = Some(size);
                size
            }
        };
        let span = READ_AHEAD.max(wanted) as i64;
        let end_wanted = offset.saturating_add(wanted as i64);
        let backward = self
            .windows
            .iter()
            .any(|window| window.at > offset && window.at <= offset.saturating_add(span));
        let start = if backward {
            end_wanted.saturating_sub(span).max(0)
        } else {
            offset
        };
        let end = start.saturating_add(span).min(size);
        if end < end_wanted {
            return Ok(false);
        }
        let Ok(length) = usize::try_from(end - start) else {
            return Ok(false);
        };
        let offset = start;
        let mut window = if self.windows.len() < WINDOWS {
            Window {
                at: offset,
                bytes: Vec::new(),
            }
        } else {
            self.windows.remove(0)
        };
        window.at = offset;
        window.bytes.resize(length, 0);
        let rc = read(&mut window.bytes, offset);
        if rc != sqlite_wasm_rs::SQLITE_OK {
            return Err(rc);
        }
        self.windows.push(window);
        Ok(true)
    }
}
