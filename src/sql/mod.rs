//! The SQL core: a small safe wrapper over the sqlite-wasm-rs FFI. Connections, cached prepared statements,
//! typed rows, transactions that roll back on drop, versioned migrations, and one error type carrying the
//! SQLite code, message and SQL.
//!
//! Nothing here knows about browsers, MLS or chat; nothing here panics on what it reads from a database.
//!
//! ## Why not rusqlite (decided 2026-11-24, issue 14)
//!
//! rusqlite 0.43 builds for wasm32-unknown-unknown on sqlite-wasm-rs 0.6.3 (feature `ffi-sqlite-wasm-rs`,
//! the same SQLite3 Multiple Ciphers build this crate links), and its `serialize` and `backup` features
//! cover `image.rs` except the cipher keys. It is not adopted, on these measurements:
//!
//! - Speed: `bash scripts/bench.sh bench_sql_binding` (release, Chromium, memory VFS, both bindings in the
//!   same worker on the same SQLite, 20,000 rows, median of 5 alternating rounds) printed, in ms, ours /
//!   rusqlite: cached inserts in one transaction 18.5 / 18.5, point reads by primary key through the
//!   statement cache 19.6 / 29.2 (rusqlite 1.49x slower), a full scan 7.0 / 6.9. Point reads are what MLS
//!   storage does most (every group load reads a dozen rows by key).
//! - Typed errors: rusqlite's `SqliteFailure` carries the codes and SQLite's message but not the statement;
//!   [`SqlError`] carries the SQL that failed, which is what makes a report from a user's browser enough.
//!   Keeping that would mean wrapping every call site.
//! - Code: of this module's ~1,200 lines, rusqlite would replace the connection, statement, value and
//!   transaction files (~900); the cipher keys (`sqlite3_key_v2`/`sqlite3_rekey_v2`), the error mapping and
//!   the migration runner stay. Every domain module would change its calls (`params![]`, iterator rows).
//!
//! Revisit when rusqlite's cached point reads match ours; the benchmark stays for that.

mod connection;
mod error;
mod image;
pub mod migrate;
mod pages;
mod raw_file;
mod statement;
mod transaction;
mod value;

pub use connection::Connection;
pub use error::{codes, ColumnError, SqlError, SqlResult};
pub use pages::without_wal_header;
pub use raw_file::RawFile;
pub use statement::{Row, Statement};
pub use transaction::{Savepoint, Transaction};
pub use value::{FromSql, ToSql, ValueRef};
