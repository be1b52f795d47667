//! A group's queue of pending proposals. The queue order is the insertion order (the rowid); re-queueing a
//! proposal with the same reference replaces it in place.

use openmls_traits::storage::CURRENT_VERSION;

use super::MlsStorageError;
use crate::sql::Connection;

pub(super) fn queue(
    conn: &Connection,
    group_id: &[u8],
    proposal_ref: &[u8],
    proposal: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "INSERT INTO mls_proposals (group_id, proposal_ref, proposal, provider_version) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, proposal_ref) DO UPDATE SET proposal = excluded.proposal,
             provider_version = excluded.provider_version",
        &[&group_id, &proposal_ref, &proposal, &CURRENT_VERSION],
    )?;
    Ok(())
}

/// An encoded `(proposal_ref, proposal)` pair.
type EncodedProposal = (Vec<u8>, Vec<u8>);

/// `(proposal_ref, proposal)` pairs in queue order.
pub(super) fn read_all(
    conn: &Connection,
    group_id: &[u8],
) -> Result<Vec<EncodedProposal>, MlsStorageError> {
    let rows: Vec<(Vec<u8>, Vec<u8>, u16)> = conn.query_map(
        "SELECT proposal_ref, proposal, provider_version FROM mls_proposals WHERE group_id = ?1 ORDER BY rowid",
        &[&group_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    rows.into_iter()
        .map(|(proposal_ref, proposal, version)| {
            if version == CURRENT_VERSION {
                Ok((proposal_ref, proposal))
            } else {
                Err(MlsStorageError::ProviderVersion {
                    table: "mls_proposals",
                    found: version,
                    expected: CURRENT_VERSION,
                })
            }
        })
        .collect()
}

pub(super) fn refs(conn: &Connection, group_id: &[u8]) -> Result<Vec<Vec<u8>>, MlsStorageError> {
    Ok(read_all(conn, group_id)?
        .into_iter()
        .map(|(r, _)| r)
        .collect())
}

pub(super) fn remove(
    conn: &Connection,
    group_id: &[u8],
    proposal_ref: &[u8],
) -> Result<(), MlsStorageError> {
    conn.execute(
        "DELETE FROM mls_proposals WHERE group_id = ?1 AND proposal_ref = ?2",
        &[&group_id, &proposal_ref],
    )?;
    Ok(())
}

pub(super) fn clear(conn: &Connection, group_id: &[u8]) -> Result<(), MlsStorageError> {
    conn.execute(
        "DELETE FROM mls_proposals WHERE group_id = ?1",
        &[&group_id],
    )?;
    Ok(())
}
