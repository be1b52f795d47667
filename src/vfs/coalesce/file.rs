//! The wrapped file: this layer's header in front of the pool's file, the pending bytes (of a WAL, a
//! store's database, or a scratch file), what was read ahead (the same files), and the I/O methods SQLite
//! calls, each passing on to the pool's after writing what is pending (`xWrite` alone keeps the bytes).

#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_int, c_void};

use sqlite_wasm_rs::{
    sqlite3_file, sqlite3_int64, sqlite3_io_methods, SQLITE_IOERR_WRITE, SQLITE_MISUSE, SQLITE_OK,
};

use super::counts::{count_read, count_wal_write};
use super::read_ahead::{ReadAhead, Trigger};

/// Pending bytes are passed on early once they reach this, so a large transaction or checkpoint holds little
/// memory; a write this size costs the pool's per-write overhead once per 32 pages.
const MAX_PENDING: usize = 256 << 10;
/// Room for one more frame past [`MAX_PENDING`], so the buffer is allocated once.
const PENDING_CAPACITY: usize = MAX_PENDING + (68 << 10);

/// A wrapped file, as SQLite allocates it (`szOsFile` bytes): this header, then the pool's file at
/// [`BASE_OFFSET`].
#[repr(C)]
struct CoalescingFile {
    file: sqlite3_file,
    /// WAL, database and scratch files: the bytes written and not yet passed on (a leaked `Box`, freed at
    /// close); null otherwise.
    pending: *mut Pending,
    /// Scratch files, a store's database and WAL: what was read ahead (a leaked `Box`, freed at close);
    /// null otherwise.
    read_ahead: *mut ReadAhead,
    /// A WAL file (its writes counted by the test hook).
    wal: bool,
    /// A scratch file (its reads counted apart from a store's own by the test hook).
    scratch: bool,
}

/// Where the pool's file starts inside a wrapped one (8-aligned, as SQLite aligns the whole).
pub(super) const BASE_OFFSET: usize = std::mem::size_of::<CoalescingFile>().next_multiple_of(8);

struct Pending {
    at: i64,
    bytes: Vec<u8>,
}

/// Makes `file`, whose pool's file [`base_of`] was just opened, a wrapped file: a store's WAL and database
/// get a pending buffer and a read-ahead one (for runs of reads), a scratch file both (reading ahead on
/// every miss), and SQLite calls this layer's methods from now on.
///
/// # Safety
/// `file` points to a wrapped file's `szOsFile` bytes whose pool's file was opened successfully.
pub(super) unsafe fn attach(file: *mut sqlite3_file, wal: bool, main_db: bool, scratch: bool) {
    let pending = if wal || main_db || scratch {
        Box::into_raw(Box::new(Pending {
            at: 0,
            bytes: Vec::new(),
        }))
    } else {
        std::ptr::null_mut()
    };
    let read_ahead = if scratch {
        Box::into_raw(Box::new(ReadAhead::new(Trigger::Always)))
    } else if wal || main_db {
        Box::into_raw(Box::new(ReadAhead::new(Trigger::Sequential)))
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: the caller's contract: `file` is ours to set up, and `METHODS` lives for the program.
    unsafe {
        let wrapped = file.cast::<CoalescingFile>();
        (*wrapped).pending = pending;
        (*wrapped).read_ahead = read_ahead;
        (*wrapped).wal = wal;
        (*wrapped).scratch = scratch;
        (*file).pMethods = &METHODS;
    }
}

/// Forgets what `file` read ahead, before it changes.
///
/// # Safety
/// As [`base_of`].
unsafe fn forget_read_ahead(file: *mut sqlite3_file) {
    // SAFETY: the caller keeps this function's contract (its `# Safety`); the buffer is this file's own.
    unsafe {
        let read_ahead = (*file.cast::<CoalescingFile>()).read_ahead;
        if !read_ahead.is_null() {
            (*read_ahead).forget();
        }
    }
}

static METHODS: sqlite3_io_methods = sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The pool's file inside wrapped file `file`.
///
/// # Safety
/// `file` was opened by [`open`] and not yet closed.
pub(super) unsafe fn base_of(file: *mut sqlite3_file) -> *mut sqlite3_file {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe { file.cast::<u8>().add(BASE_OFFSET).cast() }
}

/// The pool's method table of wrapped file `file`.
///
/// # Safety
/// As [`base_of`].
unsafe fn base_methods(file: *mut sqlite3_file) -> &'static sqlite3_io_methods {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe { &*(*base_of(file)).pMethods }
}

/// Passes the pending WAL bytes of `file` on as one write.
///
/// # Safety
/// As [`base_of`].
unsafe fn write_pending(file: *mut sqlite3_file) -> c_int {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        let pending = (*file.cast::<CoalescingFile>()).pending;
        if pending.is_null() || (*pending).bytes.is_empty() {
            return SQLITE_OK;
        }
        let Some(write) = base_methods(file).xWrite else {
            return SQLITE_MISUSE;
        };
        let Ok(amount) = c_int::try_from((*pending).bytes.len()) else {
            return SQLITE_IOERR_WRITE;
        };
        if (*file.cast::<CoalescingFile>()).wal {
            count_wal_write(0, 1);
        }
        let rc = write(
            base_of(file),
            (*pending).bytes.as_ptr().cast(),
            amount,
            (*pending).at,
        );
        // Kept or not, the bytes are the pool's now: a failed write fails the sync that needed it.
        (*pending).bytes.clear();
        rc
    }
}

/// Runs `then` after writing what is pending, or returns the write's error.
///
/// # Safety
/// As [`base_of`].
unsafe fn after_pending(file: *mut sqlite3_file, then: impl FnOnce() -> c_int) -> c_int {
    // SAFETY: the caller keeps this function's contract (its `# Safety`).
    unsafe {
        match write_pending(file) {
            SQLITE_OK => then(),
            rc => rc,
        }
    }
}

unsafe extern "C" fn close(file: *mut sqlite3_file) -> c_int {
    // SAFETY: SQLite closes each file it opened through `open` exactly once; the pending buffer is freed
    // here and the pool's file closed after its bytes were written.
    unsafe {
        let written = write_pending(file);
        let pending = std::mem::replace(
            &mut (*file.cast::<CoalescingFile>()).pending,
            std::ptr::null_mut(),
        );
        if !pending.is_null() {
            drop(Box::from_raw(pending));
        }
        let read_ahead = std::mem::replace(
            &mut (*file.cast::<CoalescingFile>()).read_ahead,
            std::ptr::null_mut(),
        );
        if !read_ahead.is_null() {
            drop(Box::from_raw(read_ahead));
        }
        let closed = base_methods(file)
            .xClose
            .map_or(SQLITE_OK, |close| close(base_of(file)));
        if written == SQLITE_OK {
            closed
        } else {
            written
        }
    }
}

unsafe extern "C" fn read(
    file: *mut sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: sqlite3_int64,
) -> c_int {
    // SAFETY: a file opened by `open`; `buf` is SQLite's, valid for `amount` bytes.
    unsafe {
        after_pending(file, || {
            let Some(read) = base_methods(file).xRead else {
                return SQLITE_MISUSE;
            };
            let read_ahead = (*file.cast::<CoalescingFile>()).read_ahead;
            let scratch = (*file.cast::<CoalescingFile>()).scratch;
            if !read_ahead.is_null() {
                count_read(scratch, 1, 1);
            }
            if let (false, Ok(length)) = (read_ahead.is_null(), usize::try_from(amount)) {
                let out = std::slice::from_raw_parts_mut(buf.cast::<u8>(), length);
                (*read_ahead).note(offset, length);
                if (*read_ahead).serve(offset, out) {
                    count_read(scratch, 0, -1);
                    return SQLITE_OK;
                }
                if !(*read_ahead).wants_to_read_ahead(length) {
                    return read(base_of(file), buf, amount, offset);
                }
                let size = || {
                    let mut size: sqlite3_int64 = 0;
                    match base_methods(file).xFileSize {
                        Some(file_size) => match file_size(base_of(file), &mut size) {
                            SQLITE_OK => Ok(size),
                            rc => Err(rc),
                        },
                        None => Err(SQLITE_MISUSE),
                    }
                };
                let read_into =
                    |bytes: &mut [u8], at: sqlite3_int64| match c_int::try_from(bytes.len()) {
                        Ok(len) => read(base_of(file), bytes.as_mut_ptr().cast(), len, at),
                        Err(_) => SQLITE_MISUSE,
                    };
                match (*read_ahead).fill(offset, length, size, read_into) {
                    Ok(true) if (*read_ahead).serve(offset, out) => return SQLITE_OK,
                    Ok(_) => {}
                    Err(rc) => return rc,
                }
            }
            read(base_of(file), buf, amount, offset)
        })
    }
}

unsafe extern "C" fn write(
    file: *mut sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: sqlite3_int64,
) -> c_int {
    // SAFETY: a file opened by `open`; `buf` is SQLite's, valid for `amount` bytes for this call.
    unsafe {
        forget_read_ahead(file);
        let pending = (*file.cast::<CoalescingFile>()).pending;
        let Ok(length) = usize::try_from(amount) else {
            return SQLITE_IOERR_WRITE;
        };
        let passes_through =
            pending.is_null() || ((*pending).bytes.is_empty() && length >= MAX_PENDING);
        if passes_through {
            return match base_methods(file).xWrite {
                Some(write) => write(base_of(file), buf, amount, offset),
                None => SQLITE_MISUSE,
            };
        }
        if (*file.cast::<CoalescingFile>()).wal {
            count_wal_write(1, 0);
        }
        let follows = (*pending).at + (*pending).bytes.len() as i64 == offset;
        if !(*pending).bytes.is_empty() && !follows {
            let rc = write_pending(file);
            if rc != SQLITE_OK {
                return rc;
            }
        }
        if (*pending).bytes.is_empty() {
            (*pending).at = offset;
            if (*pending).bytes.capacity() == 0 {
                (*pending).bytes.reserve_exact(PENDING_CAPACITY);
            }
        }
        (*pending)
            .bytes
            .extend_from_slice(std::slice::from_raw_parts(buf.cast::<u8>(), length));
        if (*pending).bytes.len() >= MAX_PENDING {
            return write_pending(file);
        }
        SQLITE_OK
    }
}

unsafe extern "C" fn truncate(file: *mut sqlite3_file, size: sqlite3_int64) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        forget_read_ahead(file);
        after_pending(file, || match base_methods(file).xTruncate {
            Some(truncate) => truncate(base_of(file), size),
            None => SQLITE_MISUSE,
        })
    }
}

unsafe extern "C" fn sync(file: *mut sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        after_pending(file, || match base_methods(file).xSync {
            Some(sync) => sync(base_of(file), flags),
            None => SQLITE_MISUSE,
        })
    }
}

unsafe extern "C" fn file_size(file: *mut sqlite3_file, size: *mut sqlite3_int64) -> c_int {
    // SAFETY: a file opened by `open`; `size` is SQLite's out-parameter.
    unsafe {
        after_pending(file, || match base_methods(file).xFileSize {
            Some(file_size) => file_size(base_of(file), size),
            None => SQLITE_MISUSE,
        })
    }
}

unsafe extern "C" fn lock(file: *mut sqlite3_file, level: c_int) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        match base_methods(file).xLock {
            Some(lock) => lock(base_of(file), level),
            None => SQLITE_MISUSE,
        }
    }
}

unsafe extern "C" fn unlock(file: *mut sqlite3_file, level: c_int) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        match base_methods(file).xUnlock {
            Some(unlock) => unlock(base_of(file), level),
            None => SQLITE_MISUSE,
        }
    }
}

unsafe extern "C" fn check_reserved_lock(file: *mut sqlite3_file, out: *mut c_int) -> c_int {
    // SAFETY: a file opened by `open`; `out` is SQLite's out-parameter.
    unsafe {
        match base_methods(file).xCheckReservedLock {
            Some(check) => check(base_of(file), out),
            None => SQLITE_MISUSE,
        }
    }
}

unsafe extern "C" fn file_control(file: *mut sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    // SAFETY: a file opened by `open`; `arg` is whatever SQLite passes for `op`, handed on unchanged.
    unsafe {
        // Content changes only through `write` and `truncate`, which forget what was read ahead; a size
        // hint may grow the file, after which the size read ahead is stale.
        if op == sqlite_wasm_rs::SQLITE_FCNTL_SIZE_HINT {
            forget_read_ahead(file);
        }
        after_pending(file, || match base_methods(file).xFileControl {
            Some(control) => control(base_of(file), op, arg),
            None => sqlite_wasm_rs::SQLITE_NOTFOUND,
        })
    }
}

unsafe extern "C" fn sector_size(file: *mut sqlite3_file) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        base_methods(file)
            .xSectorSize
            .map_or(4096, |sector_size| sector_size(base_of(file)))
    }
}

unsafe extern "C" fn device_characteristics(file: *mut sqlite3_file) -> c_int {
    // SAFETY: a file opened by `open`.
    unsafe {
        base_methods(file)
            .xDeviceCharacteristics
            .map_or(0, |characteristics| characteristics(base_of(file)))
    }
}
