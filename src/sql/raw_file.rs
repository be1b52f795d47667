//! A database file opened through a VFS without a connection: bytes written to or read from the VFS in
//! large runs, below SQLite's pager. An import writes a verified database image this way into a new scratch
//! file (one VFS write per decoded slice instead of one per page), and opens a connection on it afterwards;
//! an export reads its snapshot's pages this way (one VFS read per piece instead of a statement per page).
//!
//! Only for a file no connection has open: a pager holding pages of it would not see the writes, and one
//! with changes still to write would not have them in the file yet.

#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_int, CString};
use std::ptr;

use sqlite_wasm_rs as ffi;

use super::connection::error_from_code;
use super::error::{SqlError, SqlResult};

/// A file open on a VFS; closed when dropped.
pub struct RawFile {
    /// The VFS's file object: `szOsFile` bytes, 8-aligned as SQLite allocates it.
    storage: Box<[u64]>,
    /// The file's name as SQLite formats one (`sqlite3_create_filename`), valid until after `xClose`.
    name: ffi::sqlite3_filename,
    /// Whether `xOpen` succeeded, so that `xClose` is owed.
    open: bool,
}

impl RawFile {
    /// Opens (creating if needed) the main database file `filename` on the VFS named `vfs`, read-write.
    ///
    /// # Errors
    /// The VFS is not registered, a name holds a NUL byte, or the VFS cannot open the file.
    pub fn open(filename: &str, vfs: &str) -> SqlResult<RawFile> {
        let c_vfs = CString::new(vfs).map_err(|_| SqlError::InvalidArgument("NUL in VFS name"))?;
        let c_name =
            CString::new(filename).map_err(|_| SqlError::InvalidArgument("NUL in file name"))?;
        // SAFETY: the name is NUL-terminated and outlives the call.
        let vfs = unsafe { ffi::sqlite3_vfs_find(c_vfs.as_ptr()) };
        if vfs.is_null() {
            return Err(SqlError::InvalidArgument("no VFS of that name"));
        }
        // SAFETY: `vfs` is a registered VFS, which this crate never unregisters.
        let (size, x_open) = unsafe { ((*vfs).szOsFile, (*vfs).xOpen) };
        let (Ok(size), Some(x_open)) = (usize::try_from(size), x_open) else {
            return Err(SqlError::InvalidArgument("the VFS cannot open files"));
        };
        // SAFETY: the database name is NUL-terminated; empty journal and WAL names and no parameters are
        // allowed; the result is freed by `sqlite3_free_filename` in `drop`.
        let name = unsafe {
            ffi::sqlite3_create_filename(
                c_name.as_ptr(),
                c"".as_ptr(),
                c"".as_ptr(),
                0,
                ptr::null_mut(),
            )
        };
        if name.is_null() {
            return Err(error_from_code(ffi::SQLITE_NOMEM, None));
        }
        let mut file = RawFile {
            storage: vec![0u64; size.div_ceil(8).max(1)].into_boxed_slice(),
            name,
            open: false,
        };
        let mut out_flags: c_int = 0;
        let flags = ffi::SQLITE_OPEN_MAIN_DB | ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE;
        // SAFETY: `storage` is `szOsFile` zeroed, 8-aligned writable bytes that live until after `xClose`
        // (in `drop`); `name` is a SQLite filename that outlives the file; `out_flags` is a valid pointer.
        let rc = unsafe { x_open(vfs, file.name, file.file(), flags, &mut out_flags) };
        if rc != ffi::SQLITE_OK {
            return Err(error_from_code(rc, None));
        }
        // SAFETY: the VFS filled in the file; a method table means `xClose` must be called.
        file.open = unsafe { !(*file.file()).pMethods.is_null() };
        Ok(file)
    }

    fn file(&mut self) -> *mut ffi::sqlite3_file {
        self.storage.as_mut_ptr().cast()
    }

    fn methods(&mut self) -> SqlResult<&'static ffi::sqlite3_io_methods> {
        if !self.open {
            return Err(SqlError::InvalidArgument("file not open"));
        }
        // SAFETY: an open file's method table is static in the VFS that filled it in.
        unsafe { (*self.file()).pMethods.as_ref() }
            .ok_or(SqlError::InvalidArgument("file not open"))
    }

    /// Writes `bytes` at `offset`.
    ///
    /// # Errors
    /// The VFS fails (`SQLITE_IOERR_WRITE`, `SQLITE_FULL`), or `bytes` is larger than one VFS write takes.
    pub fn write_at(&mut self, offset: u64, bytes: &[u8]) -> SqlResult<()> {
        let x_write = self
            .methods()?
            .xWrite
            .ok_or(SqlError::InvalidArgument("the VFS cannot write"))?;
        let too_big = || SqlError::InvalidArgument("a write past 2 GiB or longer than 2 GiB");
        let len = c_int::try_from(bytes.len()).map_err(|_| too_big())?;
        let offset = i64::try_from(offset).map_err(|_| too_big())?;
        // SAFETY: the file is open; `bytes` is valid for `len` bytes during the call.
        let rc = unsafe { x_write(self.file(), bytes.as_ptr().cast(), len, offset) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_from_code(rc, None))
        }
    }
}

impl RawFile {
    /// Fills `buf` with the bytes at `offset`.
    ///
    /// # Errors
    /// The VFS fails, or the file ends before `buf` is full (`SQLITE_IOERR_SHORT_READ`).
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> SqlResult<()> {
        let x_read = self
            .methods()?
            .xRead
            .ok_or(SqlError::InvalidArgument("the VFS cannot read"))?;
        let too_big = || SqlError::InvalidArgument("a read past 2 GiB or longer than 2 GiB");
        let len = c_int::try_from(buf.len()).map_err(|_| too_big())?;
        let offset = i64::try_from(offset).map_err(|_| too_big())?;
        // SAFETY: the file is open; `buf` is valid for `len` writable bytes during the call.
        let rc = unsafe { x_read(self.file(), buf.as_mut_ptr().cast(), len, offset) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_from_code(rc, None))
        }
    }
}

impl Drop for RawFile {
    fn drop(&mut self) {
        if let Ok(Some(x_close)) = self.methods().map(|methods| methods.xClose) {
            // SAFETY: the file is open and closed once; nothing uses it afterwards.
            unsafe {
                x_close(self.file());
            }
        }
        // SAFETY: `name` came from `sqlite3_create_filename` and is freed once, after the file's close.
        unsafe { ffi::sqlite3_free_filename(self.name) };
    }
}
