//! Key packages with their private keys. OpenMLS "deletes" a key package when a welcome uses it; here that
//! marks it `used` and wipes the private bytes, so a used key package is remembered as used forever and can
//! never serve a second join. Last-resort key packages are never deleted by OpenMLS and so survive use.

use openmls_traits::storage::CURRENT_VERSION;

use super::rows::versioned_value;
use super::MlsStorageError;
use crate::sql::Connection;

const TABLE: &str = "mls_key_packages";

pub(super) fn write(
    conn: &Connection,
    hash_ref: &[u8],
    value: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "INSERT INTO mls_key_packages (key_package_ref, key_package, provider_version) VALUES (?1, ?2, ?3)
         ON CONFLICT (key_package_ref) DO UPDATE SET key_package = excluded.key_package,
             provider_version = excluded.provider_version, state = 'available', used_at_ms = NULL",
        &[&hash_ref, &value, &CURRENT_VERSION],
    )?;
    Ok(())
}

pub(super) fn read(conn: &Connection, hash_ref: &[u8]) -> Result<Option<Vec<u8>>, MlsStorageError> {
    versioned_value(
        conn,
        TABLE,
        "SELECT key_package, provider_version FROM mls_key_packages
         WHERE key_package_ref = ?1 AND state = 'available'",
        &[&hash_ref],
    )
}

pub(super) fn mark_used(
    conn: &Connection,
    hash_ref: &[u8],
    now_ms: i64,
) -> Result<(), MlsStorageError> {
    conn.execute(
        "UPDATE mls_key_packages SET state = 'used', used_at_ms = ?2, key_package = x''
         WHERE key_package_ref = ?1 AND state = 'available'",
        &[&hash_ref, &now_ms],
    )?;
    Ok(())
}

/// Marks a stored key package as last resort (the client API knows; the storage trait does not say).
pub(crate) fn mark_last_resort(conn: &Connection, hash_ref: &[u8]) -> Result<(), MlsStorageError> {
    conn.execute(
        "UPDATE mls_key_packages SET is_last_resort = 1 WHERE key_package_ref = ?1",
        &[&hash_ref],
    )?;
    Ok(())
}

/// The state of a key package: `Some((used, last_resort))`, or `None` when unknown.
pub(crate) fn state(
    conn: &Connection,
    hash_ref: &[u8],
) -> Result<Option<(bool, bool)>, MlsStorageError> {
    Ok(conn.query_optional(
        "SELECT state = 'used', is_last_resort FROM mls_key_packages WHERE key_package_ref = ?1",
        &[&hash_ref],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

/// Counts of (available, used) key packages, last-resort ones excluded.
pub(crate) fn counts(conn: &Connection) -> Result<(u32, u32), MlsStorageError> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE state = 'available'), count(*) FILTER (WHERE state = 'used')
         FROM mls_key_packages WHERE is_last_resort = 0",
        &[],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}
