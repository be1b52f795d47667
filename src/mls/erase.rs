//! Erasing the MLS state from a database: every secret, key package, signature key and group, and the
//! store's identity. What a history backup leaves out of its copy of a store.

use crate::sql::{Connection, SqlResult};

/// Deletes every row of every MLS table (all named `mls_*`, so a table added later is erased too), inside
/// the caller's transaction.
///
/// # Errors
/// Storage fails.
pub(crate) fn erase_all(conn: &Connection) -> SqlResult<()> {
    let tables: Vec<String> = conn.query_map(
        r"SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'mls\_%' ESCAPE '\'",
        &[],
        |row| row.get(0),
    )?;
    for table in tables {
        conn.execute_batch(&format!("DELETE FROM \"{table}\""))?;
    }
    Ok(())
}
