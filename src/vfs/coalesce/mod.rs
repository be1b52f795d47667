//! A VFS over a store's OPFS pool that hands the pool each commit's write-ahead-log bytes in one write, a
//! checkpoint's database pages in runs, and serves runs of reads from larger reads.
//!
//! SQLite writes a WAL frame as two writes (its 24-byte header, then the page), so an append that changes
//! six pages is twelve `FileSystemSyncAccessHandle.write` calls before the commit's `flush`. A write costs
//! Firefox about 0.1 ms however small it is, which made a durable append there several times the device's
//! floor (one write and one flush of the same bytes). This layer keeps consecutive WAL writes in memory and
//! passes them on as one write just before the sync that makes them durable. A checkpoint's writes to the
//! database file (each page in page order, then a sync) are passed on the same way.
//!
//! Runs of reads of the store's database and WAL (a backup copying from or into the store, a checkpoint
//! reading the WAL back) are served from reads of 256 KiB (`read_ahead`); a single read elsewhere goes
//! straight to the pool. Nothing but this connection writes the files, and every write through this layer
//! forgets what was read ahead, so a read never sees older bytes than the pool holds.
//!
//! Durability is unchanged: SQLite counts a write as durable only after the sync that follows it, and
//! every pending byte reaches the pool before that sync is passed on (and before any read, size, truncate,
//! file control or close of the file). Used only where every commit syncs the WAL (`synchronous = FULL`):
//! with `NORMAL`, committed frames would wait in memory for the next checkpoint, and a crashed tab would
//! lose them where the pool's own file would have kept them.
//!
//! Scratch files (a backup's snapshot, an import's database) go through a second registration of the layer
//! ([`for_scratch`]): their writes are coalesced the same way, whatever the file, and their reads served
//! from a larger read ahead (`read_ahead`). They are thrown away on any failure and read back in page order,
//! so neither changes what survives a crash.
//!
//! The layer is a copy of the pool's `sqlite3_vfs` whose `xOpen` wraps each file: a wrapped file is this
//! layer's header followed by the pool's own file, and every method but `xWrite` passes straight to the
//! pool's (after writing what is pending). Every other VFS method is the pool's own, with its own app data.

#![deny(unsafe_op_in_unsafe_fn)]

mod counts;
mod file;
mod read_ahead;

#[cfg(feature = "test-hooks")]
pub use counts::{
    scratch_read_counts_for_tests, store_read_counts_for_tests, wal_write_counts_for_tests,
};

use std::ffi::{c_int, CString};

use sqlite_wasm_rs::{
    sqlite3_file, sqlite3_vfs, sqlite3_vfs_find, sqlite3_vfs_register, SQLITE_MISUSE, SQLITE_OK,
    SQLITE_OPEN_MAIN_DB, SQLITE_OPEN_WAL,
};

/// This layer's `sqlite3_vfs`: the pool's, with this layer's `xOpen` and file size, the pool's VFS beside
/// it for `xOpen` to call, and whether its files are scratch files.
#[repr(C)]
struct CoalescingVfs {
    vfs: sqlite3_vfs,
    base: *mut sqlite3_vfs,
    scratch: bool,
}

/// The name of the coalescing VFS over `base`, registering it on first use.
///
/// # Errors
/// `base` is not registered, or the registration fails.
pub(crate) fn over(base: &str) -> Result<String, super::VfsError> {
    register(base, false)
}

/// The name of the VFS for scratch files over `base` (writes coalesced, reads read ahead), registering it
/// on first use.
///
/// # Errors
/// As [`over`].
pub(crate) fn for_scratch(base: &str) -> Result<String, super::VfsError> {
    register(base, true)
}

fn register(base: &str, scratch: bool) -> Result<String, super::VfsError> {
    let name = if scratch {
        format!("scratch-io-{base}")
    } else {
        format!("coalesce-{base}")
    };
    let failed = |message: String| super::VfsError::Opfs {
        operation: "register the write-coalescing VFS",
        message,
        kind: super::OpfsFailure::Other,
    };
    let base_name = CString::new(base).map_err(|e| failed(e.to_string()))?;
    let own_name = CString::new(name.as_str()).map_err(|e| failed(e.to_string()))?;
    // SAFETY: valid C strings; SQLite's VFS list is only used from this thread.
    let (layer, base_vfs) = unsafe {
        (
            sqlite3_vfs_find(own_name.as_ptr()),
            sqlite3_vfs_find(base_name.as_ptr()),
        )
    };
    if base_vfs.is_null() {
        return Err(failed(format!("no VFS named {base:?}")));
    }
    if !layer.is_null() {
        // SAFETY: a VFS of this name is only ever registered below, as a `CoalescingVfs`.
        let layered_on = unsafe { (*layer.cast::<CoalescingVfs>()).base };
        // sahpool keeps a pool's registration while it is paused and re-registers the same one on resume;
        // only an uninstall (never called here) would replace it.
        return if layered_on == base_vfs {
            Ok(name)
        } else {
            Err(failed(format!(
                "the VFS {base:?} was replaced under the layer"
            )))
        };
    }
    // SAFETY: `base_vfs` is a registered VFS whose struct sahpool keeps until an uninstall (never called
    // here; pausing a pool unregisters it but keeps the struct), so reading it is sound.
    let mut vfs = unsafe { *base_vfs };
    let Ok(base_size) = usize::try_from(vfs.szOsFile) else {
        return Err(failed("the pool's file size is negative".to_owned()));
    };
    vfs.szOsFile =
        c_int::try_from(file::BASE_OFFSET + base_size).map_err(|e| failed(e.to_string()))?;
    vfs.pNext = std::ptr::null_mut();
    // Kept for the life of the wasm instance, as SQLite requires of a registered VFS and its name.
    vfs.zName = own_name.into_raw();
    vfs.xOpen = Some(open);
    let layer = Box::into_raw(Box::new(CoalescingVfs {
        vfs,
        base: base_vfs,
        scratch,
    }));
    // SAFETY: `layer` is a leaked, fully initialised `sqlite3_vfs` (first field of a `repr(C)` struct)
    // that lives for the rest of the instance; SQLite is single-threaded here.
    let rc = unsafe { sqlite3_vfs_register(layer.cast(), 0) };
    if rc != SQLITE_OK {
        return Err(failed(format!("sqlite3_vfs_register returned {rc}")));
    }
    Ok(name)
}

unsafe extern "C" fn open(
    vfs: *mut sqlite3_vfs,
    name: *const std::ffi::c_char,
    file: *mut sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY (whole function): SQLite calls this with the `CoalescingVfs` registered in `over` and `file`
    // pointing to `szOsFile` (header + pool's file) writable bytes; `name` is SQLite's own filename, passed
    // on as given so the pool sees its URI parameters.
    unsafe {
        (*file).pMethods = std::ptr::null();
        let layer = vfs.cast::<CoalescingVfs>();
        let (base, scratch) = ((*layer).base, (*layer).scratch);
        let Some(base_open) = (*base).xOpen else {
            return SQLITE_MISUSE;
        };
        let rc = base_open(base, name, file::base_of(file), flags, out_flags);
        if rc != SQLITE_OK {
            return rc;
        }
        file::attach(
            file,
            flags & SQLITE_OPEN_WAL != 0,
            flags & SQLITE_OPEN_MAIN_DB != 0,
            scratch,
        );
        SQLITE_OK
    }
}
