//! HPKE key pairs of one epoch and leaf of a group, stored as one list value.

use openmls_traits::storage::CURRENT_VERSION;

use super::rows::versioned_value;
use super::MlsStorageError;
use crate::sql::Connection;

pub(super) fn write(
    conn: &Connection,
    group_id: &[u8],
    epoch: &[u8],
    leaf_index: u32,
    key_pairs: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "INSERT INTO mls_epoch_key_pairs (group_id, epoch_id, leaf_index, key_pairs, provider_version)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (group_id, epoch_id, leaf_index) DO UPDATE SET key_pairs = excluded.key_pairs,
             provider_version = excluded.provider_version",
        &[&group_id, &epoch, &leaf_index, &key_pairs, &CURRENT_VERSION],
    )?;
    Ok(())
}

pub(super) fn read(
    conn: &Connection,
    group_id: &[u8],
    epoch: &[u8],
    leaf_index: u32,
) -> Result<Option<Vec<u8>>, MlsStorageError> {
    versioned_value(
        conn,
        "mls_epoch_key_pairs",
        "SELECT key_pairs, provider_version FROM mls_epoch_key_pairs
         WHERE group_id = ?1 AND epoch_id = ?2 AND leaf_index = ?3",
        &[&group_id, &epoch, &leaf_index],
    )
}

pub(super) fn delete(
    conn: &Connection,
    group_id: &[u8],
    epoch: &[u8],
    leaf_index: u32,
) -> Result<(), MlsStorageError> {
    conn.execute(
        "DELETE FROM mls_epoch_key_pairs WHERE group_id = ?1 AND epoch_id = ?2 AND leaf_index = ?3",
        &[&group_id, &epoch, &leaf_index],
    )?;
    Ok(())
}
