//! One SQLite connection: open and close, batches, cached prepared statements and transactions.
//! This module, `image`, `raw_file` and `statement` are the only places that call the SQLite C API.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::ptr::{self, NonNull};

use sqlite_wasm_rs as ffi;

use super::error::{SqlError, SqlResult};
use super::statement::{RawStatement, Row, Statement};
use super::transaction::Transaction;
use super::value::{FromSql, ToSql};

/// Statements kept prepared per connection. Larger than the number of distinct hot queries of a store.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// An open SQLite database connection.
///
/// Single-threaded by construction (SQLite is built with `SQLITE_THREADSAFE=0`): the handle is neither `Send`
/// nor `Sync`.
pub struct Connection {
    pub(super) db: NonNull<ffi::sqlite3>,
    /// Most recently used last.
    pub(super) cache: RefCell<Vec<RawStatement>>,
    /// Opened on the IndexedDB VFS, whose files may be paged on demand: its I/O errors may be misses.
    paged_vfs: bool,
}

impl Connection {
    /// Opens (creating if needed) `filename` through the SQLite VFS named `vfs`.
    ///
    /// # Errors
    /// The VFS is not registered, the file cannot be opened, or a name contains a NUL byte.
    pub fn open(filename: &str, vfs: &str) -> SqlResult<Connection> {
        Self::open_with_flags(
            filename,
            vfs,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
        )
    }

    /// Opens `filename` read-only through `vfs`.
    ///
    /// # Errors
    /// As [`Connection::open`]; the file must exist.
    pub fn open_read_only(filename: &str, vfs: &str) -> SqlResult<Connection> {
        Self::open_with_flags(filename, vfs, ffi::SQLITE_OPEN_READONLY)
    }

    fn open_with_flags(filename: &str, vfs: &str, flags: i32) -> SqlResult<Connection> {
        let c_filename =
            CString::new(filename).map_err(|_| SqlError::InvalidArgument("NUL in file name"))?;
        let c_vfs = CString::new(vfs).map_err(|_| SqlError::InvalidArgument("NUL in VFS name"))?;
        let mut raw = ptr::null_mut();
        // SAFETY: both strings are NUL-terminated and outlive the call; `raw` is a valid out-pointer.
        let rc = unsafe {
            ffi::sqlite3_open_v2(
                c_filename.as_ptr(),
                &mut raw,
                flags | ffi::SQLITE_OPEN_EXRESCODE,
                c_vfs.as_ptr(),
            )
        };
        let Some(db) = NonNull::new(raw) else {
            return Err(error_from_code(rc, None));
        };
        if rc != ffi::SQLITE_OK {
            let error = error_from_db(db, rc, None);
            // SAFETY: SQLite allocates a handle even when opening fails; it must be closed and not used again.
            unsafe {
                ffi::sqlite3_close(db.as_ptr());
            }
            return Err(error);
        }
        Ok(Connection {
            db,
            cache: RefCell::new(Vec::new()),
            paged_vfs: vfs.ends_with(crate::vfs::idb::VFS_NAME),
        })
    }

    pub(super) fn check(&self, rc: i32, what: &str) -> SqlResult<()> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error_for(rc, Some(what)))
        }
    }

    /// Closes the connection, reporting SQLite's refusal instead of leaking it.
    ///
    /// # Errors
    /// SQLite could not close (it always can once every statement is finalized, which this does first).
    pub fn close(self) -> SqlResult<()> {
        self.cache.borrow_mut().clear();
        let db = self.db;
        std::mem::forget(self);
        // SAFETY: every cached statement was finalized above, no Statement can outlive the borrow of `self`,
        // and `self` is forgotten so Drop does not close the handle a second time.
        let rc = unsafe { ffi::sqlite3_close(db.as_ptr()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_from_code(rc, None))
        }
    }

    /// Runs one or more SQL statements that take no parameters and return no rows.
    ///
    /// # Errors
    /// Any statement fails; those before it have run.
    pub fn execute_batch(&self, sql: &str) -> SqlResult<()> {
        let c_sql = CString::new(sql).map_err(|_| SqlError::InvalidArgument("NUL in SQL"))?;
        // SAFETY: the handle is open and `c_sql` is NUL-terminated; no callback and no error out-pointer
        // (the message is read from the handle instead).
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.db.as_ptr(),
                c_sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error_for(rc, Some(sql)))
        }
    }

    /// Returns the prepared statement for `sql`, from the cache when it was prepared before.
    ///
    /// # Errors
    /// `sql` does not compile.
    pub fn prepare_cached(&self, sql: &str) -> SqlResult<Statement<'_>> {
        let cached = {
            let mut cache = self.cache.borrow_mut();
            cache
                .iter()
                .rposition(|stmt| stmt.sql() == sql)
                .map(|position| cache.remove(position))
        };
        let raw = match cached {
            Some(raw) => raw,
            None => self.prepare_raw(sql)?,
        };
        Ok(Statement::new(self, raw))
    }

    fn prepare_raw(&self, sql: &str) -> SqlResult<RawStatement> {
        let len =
            i32::try_from(sql.len()).map_err(|_| SqlError::InvalidArgument("SQL too long"))?;
        let mut raw = ptr::null_mut();
        let mut tail = ptr::null();
        // SAFETY: the handle is open; `sql` is valid for `len` bytes (no NUL terminator needed when the length
        // is given); both out-pointers are valid.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut raw,
                &mut tail,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error_for(rc, Some(sql)));
        }
        let Some(stmt) = NonNull::new(raw) else {
            return Err(SqlError::InvalidArgument("SQL contains no statement"));
        };
        // SAFETY: `stmt` was just prepared and is owned by nothing else.
        let stmt = unsafe { RawStatement::from_raw(stmt, sql) };
        // SAFETY: `tail` points into `sql` (or is null), at the first byte not compiled.
        let consumed = unsafe { tail.cast::<u8>().offset_from(sql.as_ptr()) };
        let rest = usize::try_from(consumed)
            .ok()
            .and_then(|at| sql.get(at..))
            .unwrap_or("");
        if !rest.trim().is_empty() {
            return Err(SqlError::InvalidArgument(
                "prepare takes one statement; use execute_batch for several",
            ));
        }
        Ok(stmt)
    }

    pub(crate) fn return_to_cache(&self, stmt: RawStatement) {
        stmt.reset();
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= STATEMENT_CACHE_CAPACITY {
            cache.remove(0);
        }
        cache.push(stmt);
    }

    /// Prepares (cached) and runs `sql`, returning the number of rows changed.
    ///
    /// # Errors
    /// As [`Statement::execute`].
    pub fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> SqlResult<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Prepares (cached) and runs `sql`, returning `f` of its first row.
    ///
    /// # Errors
    /// As [`Statement::query_row`].
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Prepares (cached) and runs `sql`, returning `f` of its first row if there is one.
    ///
    /// # Errors
    /// As [`Statement::query_optional`].
    pub fn query_optional<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<Option<T>> {
        self.prepare_cached(sql)?.query_optional(params, f)
    }

    /// Prepares (cached) and runs `sql`, returning `f` of every row.
    ///
    /// # Errors
    /// As [`Statement::query_map`].
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        f: impl FnMut(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<Vec<T>> {
        self.prepare_cached(sql)?.query_map(params, f)
    }

    /// Reads a single value: `SELECT count(*) ...`, `PRAGMA user_version`, ...
    ///
    /// # Errors
    /// As [`Connection::query_row`].
    pub fn query_value<T: FromSql>(&self, sql: &str, params: &[&dyn ToSql]) -> SqlResult<T> {
        self.query_row(sql, params, |row| row.get(0))
    }

    /// Starts an immediate (write-locking) transaction that rolls back unless committed.
    ///
    /// # Errors
    /// A transaction is already open on this connection, or the database cannot be locked.
    pub fn transaction(&self) -> SqlResult<Transaction<'_>> {
        Transaction::begin(self)
    }

    /// True when no transaction is open.
    pub fn is_autocommit(&self) -> bool {
        // SAFETY: the handle is open.
        unsafe { ffi::sqlite3_get_autocommit(self.db.as_ptr()) != 0 }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    pub fn changes(&self) -> usize {
        // SAFETY: the handle is open.
        let changes = unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) };
        usize::try_from(changes).unwrap_or(0)
    }

    /// The rowid of the most recent successful INSERT.
    pub fn last_insert_rowid(&self) -> i64 {
        // SAFETY: the handle is open.
        unsafe { ffi::sqlite3_last_insert_rowid(self.db.as_ptr()) }
    }

    pub(crate) fn error_for(&self, rc: i32, sql: Option<&str>) -> SqlError {
        // A paged file's miss reaches SQLite as a plain I/O error; the VFS noted which page it was.
        if self.paged_vfs && rc & 0xff == super::codes::IOERR {
            if let Some(page) = crate::vfs::idb::take_last_miss() {
                return SqlError::PageNotLoaded {
                    page,
                    sql: sql.map(str::to_owned),
                };
            }
        }
        error_from_db(self.db, rc, sql)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.cache.borrow_mut().clear();
        // SAFETY: statements are finalized above and none can outlive `self`; the handle is not used again.
        unsafe {
            ffi::sqlite3_close(self.db.as_ptr());
        }
    }
}

fn error_from_db(db: NonNull<ffi::sqlite3>, rc: i32, sql: Option<&str>) -> SqlError {
    // SAFETY: the handle is open; the message is NUL-terminated and copied before any other SQLite call.
    let (extended_code, message) = unsafe {
        let extended = ffi::sqlite3_extended_errcode(db.as_ptr());
        let message = ffi::sqlite3_errmsg(db.as_ptr());
        let message = if message.is_null() {
            String::new()
        } else {
            CStr::from_ptr(message).to_string_lossy().into_owned()
        };
        (extended, message)
    };
    // The connection's last error can be stale for codes returned without touching the handle.
    let extended_code = if extended_code & 0xff == rc & 0xff {
        extended_code
    } else {
        rc
    };
    SqlError::Sqlite {
        code: rc & 0xff,
        extended_code,
        message,
        sql: sql.map(str::to_owned),
    }
}

pub(super) fn error_from_code(rc: i32, sql: Option<&str>) -> SqlError {
    // SAFETY: sqlite3_errstr returns a static NUL-terminated string for any code.
    let message = unsafe {
        let text = ffi::sqlite3_errstr(rc);
        if text.is_null() {
            String::new()
        } else {
            CStr::from_ptr(text).to_string_lossy().into_owned()
        }
    };
    SqlError::Sqlite {
        code: rc & 0xff,
        extended_code: rc,
        message,
        sql: sql.map(str::to_owned),
    }
}
