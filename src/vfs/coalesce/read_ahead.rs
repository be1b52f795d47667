//! Reads of a scratch file served from larger reads: a backup's scratch files are read a page at a time,
//! mostly in page order (an export reading its snapshot, an import copying the database it wrote) or in a
//! few interleaved runs (an integrity check walking a table's leaves, its overflow pages and its indexes),
//! and an OPFS read costs Firefox about 0.1 ms however small it is. One read of [`READ_AHEAD`] bytes
//! serves the next 32 pages of 8 KiB; [`WINDOWS`] of them are kept, the least recently filled replaced.
//!
//! Only scratch files use it: nothing but the one connection reading them writes them, and every write or
//! truncate through this layer forgets what was read ahead.

use std::ffi::c_int;

/// Bytes read at once when a read misses.
pub(super) const READ_AHEAD: usize = 256 << 10;
/// Runs read ahead kept at once (2 MiB).
const WINDOWS: usize = 8;

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

/// The runs read ahead (least recently filled first), and the file's size while no write changed it.
pub(super) struct ReadAhead {
    windows: Vec<Window>,
    size: Option<i64>,
}

impl ReadAhead {
    pub(super) fn new() -> Self {
        ReadAhead {
            windows: Vec::new(),
            size: None,
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
