//! Row helpers shared by the entity modules: reading a value together with the provider version that wrote
//! it, and refusing rows of another version instead of misreading them.

use openmls_traits::storage::CURRENT_VERSION;

use super::MlsStorageError;
use crate::sql::{Connection, ToSql};

/// Runs a query returning `(value, provider_version)` rows and checks every version.
pub(super) fn versioned_values(
    conn: &Connection,
    table: &'static str,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<Vec<u8>>, MlsStorageError> {
    let rows: Vec<(Vec<u8>, u16)> =
        conn.query_map(sql, params, |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.into_iter()
        .map(|(value, version)| check_version(table, version).map(|()| value))
        .collect()
}

/// As [`versioned_values`] for a query with at most one row.
pub(super) fn versioned_value(
    conn: &Connection,
    table: &'static str,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Option<Vec<u8>>, MlsStorageError> {
    Ok(versioned_values(conn, table, sql, params)?
        .into_iter()
        .next())
}

fn check_version(table: &'static str, found: u16) -> Result<(), MlsStorageError> {
    if found == CURRENT_VERSION {
        Ok(())
    } else {
        Err(MlsStorageError::ProviderVersion {
            table,
            found,
            expected: CURRENT_VERSION,
        })
    }
}
