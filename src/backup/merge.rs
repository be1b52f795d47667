//! Importing a history backup: its chat history and key-value entries are added to the store in one
//! transaction; the store's MLS state, identity and own secrets are not touched (the backup has none).

use crate::chat::merge_history;
use crate::kv::merge_missing;
use crate::sql::Connection;

use super::import::Verified;
use super::{BackupError, ImportOptions, MergeReport, Phase, Progress};

/// Brings the verified backup's schema up to date, then merges it into `live`: whole or not at all.
/// Cancelling is possible up to the start of the merge's transaction.
pub(super) fn merge(
    live: &Connection,
    verified: &Verified,
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<MergeReport, BackupError> {
    let backup = verified.migrate(options, progress)?;
    let tx = live.transaction()?;
    let chat = merge_history(backup, &tx, getrandom_02::getrandom, &mut |done, total| {
        progress(Progress {
            phase: Phase::Merge,
            done,
            total,
        });
    })?;
    let kv_entries_added = merge_missing(backup, &tx)?;
    tx.commit()?;
    Ok(MergeReport {
        chat,
        kv_entries_added,
    })
}
