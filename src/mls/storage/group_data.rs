//! Per-group singletons (tree, context, secrets, ...): one row per group and data type.

use openmls_traits::storage::CURRENT_VERSION;

use super::rows::versioned_value;
use super::MlsStorageError;
use crate::sql::Connection;

const TABLE: &str = "mls_group_data";

/// The kinds of per-group data; the strings are the table's CHECK constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupDataType {
    JoinGroupConfig,
    Tree,
    InterimTranscriptHash,
    Context,
    ConfirmationTag,
    GroupState,
    MessageSecrets,
    ResumptionPskStore,
    OwnLeafIndex,
    GroupEpochSecrets,
}

impl GroupDataType {
    fn as_str(self) -> &'static str {
        match self {
            GroupDataType::JoinGroupConfig => "join_group_config",
            GroupDataType::Tree => "tree",
            GroupDataType::InterimTranscriptHash => "interim_transcript_hash",
            GroupDataType::Context => "context",
            GroupDataType::ConfirmationTag => "confirmation_tag",
            GroupDataType::GroupState => "group_state",
            GroupDataType::MessageSecrets => "message_secrets",
            GroupDataType::ResumptionPskStore => "resumption_psk_store",
            GroupDataType::OwnLeafIndex => "own_leaf_index",
            GroupDataType::GroupEpochSecrets => "group_epoch_secrets",
        }
    }
}

pub(super) fn write(
    conn: &Connection,
    group_id: &[u8],
    data_type: GroupDataType,
    value: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "INSERT INTO mls_group_data (group_id, data_type, group_data, provider_version) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, data_type) DO UPDATE SET group_data = excluded.group_data,
             provider_version = excluded.provider_version",
        &[&group_id, &data_type.as_str(), &value, &CURRENT_VERSION],
    )?;
    Ok(())
}

pub(super) fn read(
    conn: &Connection,
    group_id: &[u8],
    data_type: GroupDataType,
) -> Result<Option<Vec<u8>>, MlsStorageError> {
    versioned_value(
        conn,
        TABLE,
        "SELECT group_data, provider_version FROM mls_group_data WHERE group_id = ?1 AND data_type = ?2",
        &[&group_id, &data_type.as_str()],
    )
}

pub(super) fn delete(
    conn: &Connection,
    group_id: &[u8],
    data_type: GroupDataType,
) -> Result<(), MlsStorageError> {
    conn.execute(
        "DELETE FROM mls_group_data WHERE group_id = ?1 AND data_type = ?2",
        &[&group_id, &data_type.as_str()],
    )?;
    Ok(())
}

/// Encoded ids of every group that has a stored group context, oldest first.
pub(crate) fn group_ids(conn: &Connection) -> Result<Vec<Vec<u8>>, MlsStorageError> {
    Ok(conn.query_map(
        "SELECT group_id FROM mls_group_data WHERE data_type = 'context' ORDER BY rowid",
        &[],
        |row| row.get(0),
    )?)
}
