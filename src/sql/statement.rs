//! Prepared statements and typed rows. A [`Statement`] comes from the connection's cache and goes back to it,
//! reset and unbound, when dropped; a statement is never left mid-step holding a read transaction open.

use std::ffi::CStr;
use std::ptr::NonNull;

use sqlite_wasm_rs as ffi;

use super::connection::Connection;
use super::error::{ColumnError, SqlError, SqlResult};
use super::value::{FromSql, ToSql, ValueRef};

/// An owned `sqlite3_stmt`, finalized on drop.
pub(crate) struct RawStatement {
    ptr: NonNull<ffi::sqlite3_stmt>,
    sql: Box<str>,
}

impl RawStatement {
    /// Wraps a statement freshly returned by `sqlite3_prepare_v3`.
    ///
    /// # Safety
    /// `ptr` must be a valid prepared statement that nothing else owns.
    pub(crate) unsafe fn from_raw(ptr: NonNull<ffi::sqlite3_stmt>, sql: &str) -> Self {
        RawStatement {
            ptr,
            sql: sql.into(),
        }
    }

    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    fn as_ptr(&self) -> *mut ffi::sqlite3_stmt {
        self.ptr.as_ptr()
    }

    /// Returns the statement to its initial state with no parameter bound.
    pub(crate) fn reset(&self) {
        // SAFETY: the pointer is a live statement owned by self. The return codes repeat the last step's
        // error, which the step already reported.
        unsafe {
            ffi::sqlite3_reset(self.as_ptr());
            ffi::sqlite3_clear_bindings(self.as_ptr());
        }
    }

    fn column_value(&self, index: usize) -> Option<ValueRef<'_>> {
        // SAFETY: the pointer is a live statement owned by self.
        let count = unsafe { ffi::sqlite3_column_count(self.as_ptr()) };
        let column = i32::try_from(index).ok().filter(|&i| i < count)?;
        let stmt = self.as_ptr();
        // SAFETY: `stmt` has a current row (Row only exists after SQLITE_ROW) and `column` is in range.
        // The returned text/blob pointers stay valid until the next step, reset or type conversion on this
        // column, and the borrow of `self` in the returned ValueRef prevents all three.
        let value = unsafe {
            match ffi::sqlite3_column_type(stmt, column) {
                ffi::SQLITE_INTEGER => ValueRef::Integer(ffi::sqlite3_column_int64(stmt, column)),
                ffi::SQLITE_FLOAT => ValueRef::Real(ffi::sqlite3_column_double(stmt, column)),
                ffi::SQLITE_TEXT => {
                    let data = ffi::sqlite3_column_text(stmt, column);
                    let len = ffi::sqlite3_column_bytes(stmt, column);
                    ValueRef::Text(borrowed_bytes(data.cast(), len))
                }
                ffi::SQLITE_BLOB => {
                    let data = ffi::sqlite3_column_blob(stmt, column);
                    let len = ffi::sqlite3_column_bytes(stmt, column);
                    ValueRef::Blob(borrowed_bytes(data.cast(), len))
                }
                _ => ValueRef::Null,
            }
        };
        Some(value)
    }
}

/// # Safety
/// `data` must point to `len` readable bytes (or be null with `len` 0) for the returned lifetime.
unsafe fn borrowed_bytes<'a>(data: *const u8, len: i32) -> &'a [u8] {
    match usize::try_from(len) {
        Ok(len) if len > 0 && !data.is_null() => {
            // SAFETY: guaranteed by the caller.
            unsafe { std::slice::from_raw_parts(data, len) }
        }
        _ => &[],
    }
}

impl Drop for RawStatement {
    fn drop(&mut self) {
        // SAFETY: the pointer is live and owned by self; it is not used after this.
        unsafe {
            ffi::sqlite3_finalize(self.as_ptr());
        }
    }
}

/// A prepared statement borrowed from a connection's cache.
pub struct Statement<'c> {
    conn: &'c Connection,
    raw: Option<RawStatement>,
}

impl<'c> Statement<'c> {
    pub(crate) fn new(conn: &'c Connection, raw: RawStatement) -> Self {
        Statement {
            conn,
            raw: Some(raw),
        }
    }

    fn raw(&self) -> &RawStatement {
        // `raw` is only taken in Drop.
        self.raw.as_ref().unwrap_or_else(|| unreachable!())
    }

    /// The statement's SQL text.
    pub fn sql(&self) -> &str {
        self.raw().sql()
    }

    fn bind(&self, params: &[&dyn ToSql]) -> SqlResult<()> {
        let raw = self.raw();
        // SAFETY: live statement owned by this Statement.
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(raw.as_ptr()) };
        let expected = usize::try_from(expected).unwrap_or(0);
        if expected != params.len() {
            return Err(SqlError::ParameterCount {
                expected,
                given: params.len(),
                sql: raw.sql().to_owned(),
            });
        }
        for (position, param) in params.iter().enumerate() {
            let index = i32::try_from(position + 1)
                .map_err(|_| SqlError::InvalidArgument("too many parameters"))?;
            let stmt = raw.as_ptr();
            // SAFETY: `stmt` is live and `index` is within 1..=parameter count. SQLITE_TRANSIENT makes SQLite
            // copy text and blobs before returning, so the borrowed slices need not outlive the call.
            let rc = unsafe {
                match param.to_sql() {
                    ValueRef::Null => ffi::sqlite3_bind_null(stmt, index),
                    ValueRef::Integer(v) => ffi::sqlite3_bind_int64(stmt, index, v),
                    ValueRef::Real(v) => ffi::sqlite3_bind_double(stmt, index, v),
                    ValueRef::Text(bytes) => ffi::sqlite3_bind_text(
                        stmt,
                        index,
                        bytes.as_ptr().cast(),
                        sqlite_len(bytes)?,
                        ffi::SQLITE_TRANSIENT(),
                    ),
                    ValueRef::Blob(bytes) => ffi::sqlite3_bind_blob(
                        stmt,
                        index,
                        bytes.as_ptr().cast(),
                        sqlite_len(bytes)?,
                        ffi::SQLITE_TRANSIENT(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(self.conn.error_for(rc, Some(raw.sql())));
            }
        }
        Ok(())
    }

    /// Steps once: `Ok(true)` when a row is available.
    fn step(&self) -> SqlResult<bool> {
        let raw = self.raw();
        // SAFETY: live statement owned by this Statement.
        let rc = unsafe { ffi::sqlite3_step(raw.as_ptr()) };
        match rc {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            rc => Err(self.conn.error_for(rc, Some(raw.sql()))),
        }
    }

    /// Runs the statement to completion and returns the number of rows it changed.
    ///
    /// # Errors
    /// Binding or stepping fails (constraint violation, I/O error, ...).
    pub fn execute(&mut self, params: &[&dyn ToSql]) -> SqlResult<usize> {
        let _reset = ResetOnDrop(self.raw());
        self.bind(params)?;
        while self.step()? {}
        Ok(self.conn.changes())
    }

    /// Calls `f` on every row and collects the results.
    ///
    /// # Errors
    /// A step fails or `f` fails.
    pub fn query_map<T>(
        &mut self,
        params: &[&dyn ToSql],
        mut f: impl FnMut(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<Vec<T>> {
        let _reset = ResetOnDrop(self.raw());
        self.bind(params)?;
        let mut out = Vec::new();
        while self.step()? {
            out.push(f(&Row { raw: self.raw() })?);
        }
        Ok(out)
    }

    /// Returns `f` of the first row, or `None` when there is no row.
    ///
    /// # Errors
    /// The step fails or `f` fails.
    pub fn query_optional<T>(
        &mut self,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<Option<T>> {
        let _reset = ResetOnDrop(self.raw());
        self.bind(params)?;
        if self.step()? {
            f(&Row { raw: self.raw() }).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Returns `f` of the first row.
    ///
    /// # Errors
    /// [`SqlError::NoRow`] when the query returns nothing, or the step or `f` fails.
    pub fn query_row<T>(
        &mut self,
        params: &[&dyn ToSql],
        f: impl FnOnce(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<T> {
        let sql = self.sql().to_owned();
        self.query_optional(params, f)?
            .ok_or(SqlError::NoRow { sql })
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            self.conn.return_to_cache(raw);
        }
    }
}

/// Resets the statement when a query ends, by success, error or early return.
struct ResetOnDrop<'a>(&'a RawStatement);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.reset();
    }
}

fn sqlite_len(bytes: &[u8]) -> SqlResult<i32> {
    i32::try_from(bytes.len()).map_err(|_| SqlError::InvalidArgument("value larger than 2 GiB"))
}

/// The current row of a running query.
pub struct Row<'s> {
    raw: &'s RawStatement,
}

impl Row<'_> {
    /// Reads column `index` (0-based) as `T`.
    ///
    /// # Errors
    /// [`SqlError::Column`] when the column does not exist or its value does not convert to `T`.
    pub fn get<T: FromSql>(&self, index: usize) -> SqlResult<T> {
        let column_error = |reason| SqlError::Column {
            index,
            reason,
            sql: self.raw.sql().to_owned(),
        };
        let value = self
            .raw
            .column_value(index)
            .ok_or_else(|| column_error(ColumnError::NoSuchColumn))?;
        T::from_sql(value).map_err(column_error)
    }

    /// The name of column `index`, as SQLite reports it.
    pub fn column_name(&self, index: usize) -> Option<String> {
        let column = i32::try_from(index).ok()?;
        // SAFETY: live statement; SQLite returns null for an out-of-range column.
        let name = unsafe { ffi::sqlite3_column_name(self.raw.as_ptr(), column) };
        if name.is_null() {
            return None;
        }
        // SAFETY: non-null column names are NUL-terminated and live until the statement is finalized.
        Some(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}
