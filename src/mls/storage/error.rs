//! The storage provider's error: OpenMLS sees it as opaque, our client API maps it to store errors.

use super::super::codec::CodecError;
use crate::sql::SqlError;

/// A failure of the SQL-backed OpenMLS storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MlsStorageError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A row was written by a different `StorageProvider` version than this build reads.
    #[error("{table} row written by storage provider version {found}, this build reads version {expected}")]
    ProviderVersion {
        table: &'static str,
        found: u16,
        expected: u16,
    },
}
