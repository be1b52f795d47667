//! The leaf nodes this client published in a group, in the order they were appended.

use openmls_traits::storage::CURRENT_VERSION;

use super::rows::versioned_values;
use super::MlsStorageError;
use crate::sql::Connection;

pub(super) fn append(
    conn: &Connection,
    group_id: &[u8],
    leaf_node: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "INSERT INTO mls_own_leaf_nodes (group_id, leaf_node, provider_version) VALUES (?1, ?2, ?3)",
        &[&group_id, &leaf_node, &CURRENT_VERSION],
    )?;
    Ok(())
}

pub(super) fn read_all(
    conn: &Connection,
    group_id: &[u8],
) -> Result<Vec<Vec<u8>>, MlsStorageError> {
    versioned_values(
        conn,
        "mls_own_leaf_nodes",
        "SELECT leaf_node, provider_version FROM mls_own_leaf_nodes WHERE group_id = ?1 ORDER BY id",
        &[&group_id],
    )
}

pub(super) fn delete_all(conn: &Connection, group_id: &[u8]) -> Result<(), MlsStorageError> {
    conn.execute(
        "DELETE FROM mls_own_leaf_nodes WHERE group_id = ?1",
        &[&group_id],
    )?;
    Ok(())
}
