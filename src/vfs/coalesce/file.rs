//! The wrapped file: this layer's header in front of the pool's file, the pending WAL bytes, and the I/O
//! methods SQLite calls, each passing on to the pool's after writing what is pending (`xWrite` of a WAL
//! file alone keeps the bytes).

#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_int, c_void};

use sqlite_wasm_rs::{
    sqlite3_file, sqlite3_int64, sqlite3_io_methods, SQLITE_IOERR_WRITE, SQLITE_MISUSE, SQLITE_OK,
};

/// Pending WAL bytes are passed on early once they reach this, so a large transaction holds little memory;
/// a write this size costs the pool's per-write overhead once per 32 pages.
const MAX_PENDING: usize = 256 << 10;
/// Room for one more frame past [`MAX_PENDING`], so the buffer is allocated once.
const PENDING_CAPACITY: usize = MAX_PENDING + (68 << 10);

#[cfg(feature = "test-hooks")]
thread_local! {
    /// Test hook: WAL writes SQLite made to this layer, and writes this layer made to the pool's WAL files.
    static WAL_WRITES: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// Test hook: (WAL writes SQLite made, WAL writes passed on to the OPFS pool) in this context so far.
#[cfg(feature = "test-hooks")]
pub fn wal_write_counts_for_tests() -> (u64, u64) {
    WAL_WRITES.with(std::cell::Cell::get)
}

fn count_wal_write(_made: u64, _passed_on: u64) {
    #[cfg(feature = "test-hooks")]
    WAL_WRITES.with(|counts| {
        let (made, passed_on) = counts.get();
        counts.set((made + _made, passed_on + _passed_on));
    });
}

/// A wrapped file, as SQLite allocates it (`szOsFile` bytes): this header, then the pool's file at
/// [`BASE_OFFSET`].
#[repr(C)]
struct CoalescingFile {
    file: sqlite3_file,
    /// WAL files: the bytes written and not yet passed on (a leaked `Box`, freed at close); null otherwise.
    pending: *mut Pending,
}

/// Where the pool's file starts inside a wrapped one (8-aligned, as SQLite aligns the whole).
pub(super) const BASE_OFFSET: usize = std::mem::size_of::<CoalescingFile>().next_multiple_of(8);

struct Pending {
    at: i64,
    bytes: Vec<u8>,
}

/// Makes `file`, whose pool's file [`base_of`] was just opened, a wrapped file: a WAL file gets a pending
/// buffer, and SQLite calls this layer's methods from now on.
///
/// # Safety
/// `file` points to a wrapped file's `szOsFile` bytes whose pool's file was opened successfully.
pub(super) unsafe fn attach(file: *mut sqlite3_file, wal: bool) {
    let pending = if wal {
        Box::into_raw(Box::new(Pending {
            at: 0,
            bytes: Vec::new(),
        }))
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: the caller's contract: `file` is ours to set up, and `METHODS` lives for the program.
    unsafe {
        (*file.cast::<CoalescingFile>()).pending = pending;
        (*file).pMethods = &METHODS;
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
        count_wal_write(0, 1);
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
        after_pending(file, || match base_methods(file).xRead {
            Some(read) => read(base_of(file), buf, amount, offset),
            None => SQLITE_MISUSE,
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
        let pending = (*file.cast::<CoalescingFile>()).pending;
        let Ok(length) = usize::try_from(amount) else {
            return SQLITE_IOERR_WRITE;
        };
        if pending.is_null() {
            return match base_methods(file).xWrite {
                Some(write) => write(base_of(file), buf, amount, offset),
                None => SQLITE_MISUSE,
            };
        }
        count_wal_write(1, 0);
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
