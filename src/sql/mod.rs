//! The SQL core: a small safe wrapper over the sqlite-wasm-rs FFI. Connections, cached prepared statements,
//! typed rows, transactions that roll back on drop, versioned migrations, and one error type carrying the
//! SQLite code, message and SQL.
//!
//! Nothing here knows about browsers, MLS or chat; nothing here panics on what it reads from a database.

mod connection;
mod error;
mod image;
pub mod migrate;
mod statement;
mod transaction;
mod value;

pub use connection::Connection;
pub use error::{codes, ColumnError, SqlError, SqlResult};
pub use statement::{Row, Statement};
pub use transaction::Transaction;
pub use value::{FromSql, ToSql, ValueRef};
