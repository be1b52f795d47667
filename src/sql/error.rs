//! The SQL core's error type: every failure carries the SQLite result code, SQLite's message and the SQL that
//! failed, so a report from a user's browser is enough to see what went wrong.

use std::fmt;

use crate::error_code::ErrorCode;

/// SQLite's primary result codes that callers branch on.
pub mod codes {
    pub const ERROR: i32 = 1;
    pub const BUSY: i32 = 5;
    pub const NOMEM: i32 = 7;
    pub const READONLY: i32 = 8;
    pub const IOERR: i32 = 10;
    pub const IOERR_WRITE: i32 = 778;
    pub const CORRUPT: i32 = 11;
    pub const FULL: i32 = 13;
    pub const CANTOPEN: i32 = 14;
    pub const CONSTRAINT: i32 = 19;
    pub const TOOBIG: i32 = 18;
    pub const NOTADB: i32 = 26;
}

/// An error from the SQL core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// SQLite returned an error code.
    #[error(
        "SQLite error {code} (extended {extended_code}): {message}{}",
        SqlSuffix(sql)
    )]
    Sqlite {
        /// Primary result code (`SQLITE_CORRUPT` is 11, ...).
        code: i32,
        /// Extended result code (`SQLITE_IOERR_WRITE`, ...).
        extended_code: i32,
        /// SQLite's message for the connection, or its generic text for the code.
        message: String,
        /// The statement that failed, when there was one.
        sql: Option<String>,
    },
    /// A column held a value that does not convert to the requested Rust type.
    #[error("column {index} of `{sql}`: {reason}")]
    Column {
        index: usize,
        reason: ColumnError,
        sql: String,
    },
    /// A query that must return a row returned none.
    #[error("query returned no row: `{sql}`")]
    NoRow { sql: String },
    /// A statement was given the wrong number of parameters.
    #[error("`{sql}` takes {expected} parameters, {given} given")]
    ParameterCount {
        expected: usize,
        given: usize,
        sql: String,
    },
    /// A string passed to SQLite contained a NUL byte, or a value was larger than SQLite accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// The statement read a page of a store paged on demand (IndexedDB) that is not in memory: a call
    /// made outside `Store::run`, which would have loaded the page and run the call again.
    #[error(
        "page {page} of a paged IndexedDB store is not in memory: run the call through Store::run{}",
        SqlSuffix(sql)
    )]
    PageNotLoaded {
        /// The page's index in the file (from 0).
        page: u64,
        /// The statement that failed, when there was one.
        sql: Option<String>,
    },
}

/// Why a column value could not be read as the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnError {
    #[error("expected {expected}, found {found}")]
    Type {
        expected: &'static str,
        found: &'static str,
    },
    #[error("integer {value} is out of range for {target}")]
    OutOfRange { value: i64, target: &'static str },
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    #[error("no such column")]
    NoSuchColumn,
}

impl SqlError {
    /// The primary SQLite result code, when SQLite produced this error.
    pub fn sqlite_code(&self) -> Option<i32> {
        match self {
            SqlError::Sqlite { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when SQLite found the file malformed or not a database at all.
    pub fn is_corruption(&self) -> bool {
        matches!(self.sqlite_code(), Some(codes::CORRUPT | codes::NOTADB))
    }

    /// True when a UNIQUE, CHECK, NOT NULL or foreign key constraint refused a write.
    pub fn is_constraint(&self) -> bool {
        self.sqlite_code() == Some(codes::CONSTRAINT)
    }

    /// True when storage ran out of space (quota exceeded in the browser).
    pub fn is_full(&self) -> bool {
        self.sqlite_code() == Some(codes::FULL)
    }

    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        if matches!(self, SqlError::PageNotLoaded { .. }) {
            ErrorCode::PageNotLoaded
        } else if self.is_corruption() {
            ErrorCode::DatabaseCorrupt
        } else if self.is_full() {
            ErrorCode::QuotaExceeded
        } else if self.is_constraint() {
            ErrorCode::ConstraintViolation
        } else {
            ErrorCode::SqliteError
        }
    }

    /// True when the VFS failed to write (`SQLITE_IOERR_WRITE`). Firefox's OPFS answers a write over the
    /// quota with a short write, which SQLite reports this way, not as `SQLITE_FULL`.
    pub fn is_write_failure(&self) -> bool {
        matches!(self, SqlError::Sqlite { extended_code, .. } if *extended_code == codes::IOERR_WRITE)
    }
}

struct SqlSuffix<'a>(&'a Option<String>);

impl fmt::Display for SqlSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(sql) => write!(f, " in `{sql}`"),
            None => Ok(()),
        }
    }
}

/// Result alias of the SQL core.
pub type SqlResult<T> = Result<T, SqlError>;
