//! The MLS client API's error. OpenMLS's own errors are generic over the storage error; they are kept as
//! their text together with the operation that failed, and storage failures keep their type.

use super::storage::MlsStorageError;
use crate::error_code::ErrorCode;
use crate::sql::SqlError;

/// An MLS client failure. Every failed operation was rolled back: no half-written group remains.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MlsError {
    /// This store has no MLS identity yet; create one first.
    #[error("this store has no MLS identity; create one first")]
    NoIdentity,
    /// This store already has an MLS identity (one identity per store).
    #[error("this store already has an MLS identity")]
    IdentityExists,
    #[error("no group with id {0}")]
    GroupNotFound(String),
    /// Bytes that should be an MLS message of some kind are not.
    #[error("invalid {what}: {reason}")]
    InvalidMessage { what: &'static str, reason: String },
    /// OpenMLS refused the operation.
    #[error("MLS {operation} failed: {message}")]
    Protocol {
        operation: &'static str,
        message: String,
    },
    #[error("no member with identity {0:?} in the group")]
    MemberNotFound(String),
    #[error("no stored welcome with id {0}")]
    WelcomeNotFound(String),
    /// The welcome was processed but not confirmed within the grace period; it can no longer be used.
    #[error("welcome {welcome_id} expired: processed {age_ms} ms ago, grace period {grace_ms} ms")]
    WelcomeExpired {
        welcome_id: String,
        age_ms: i64,
        grace_ms: i64,
    },
    /// The welcome was already confirmed; its group is in the store.
    #[error("welcome {0} was already confirmed")]
    WelcomeConfirmed(String),
    #[error(transparent)]
    Storage(#[from] MlsStorageError),
}

impl From<SqlError> for MlsError {
    fn from(error: SqlError) -> Self {
        MlsError::Storage(MlsStorageError::Sql(error))
    }
}

impl MlsError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            MlsError::NoIdentity => ErrorCode::MlsNoIdentity,
            MlsError::IdentityExists => ErrorCode::MlsIdentityExists,
            MlsError::GroupNotFound(_) => ErrorCode::MlsGroupNotFound,
            MlsError::InvalidMessage { .. } => ErrorCode::MlsInvalidMessage,
            MlsError::Protocol { .. } => ErrorCode::MlsProtocolError,
            MlsError::MemberNotFound(_) => ErrorCode::MlsMemberNotFound,
            MlsError::WelcomeNotFound(_) => ErrorCode::WelcomeNotFound,
            MlsError::WelcomeExpired { .. } => ErrorCode::WelcomeExpired,
            MlsError::WelcomeConfirmed(_) => ErrorCode::WelcomeAlreadyConfirmed,
            MlsError::Storage(MlsStorageError::Sql(source)) => source.code(),
            MlsError::Storage(MlsStorageError::ProviderVersion { .. }) => {
                ErrorCode::MlsProviderVersion
            }
            MlsError::Storage(_) => ErrorCode::MlsStateCorrupt,
        }
    }

    pub(crate) fn protocol(operation: &'static str, error: impl std::fmt::Display) -> Self {
        MlsError::Protocol {
            operation,
            message: error.to_string(),
        }
    }

    pub(crate) fn invalid(what: &'static str, error: impl std::fmt::Display) -> Self {
        MlsError::InvalidMessage {
            what,
            reason: error.to_string(),
        }
    }

    /// The SQL error underneath, if storage failed.
    pub fn sql_error(&self) -> Option<&SqlError> {
        match self {
            MlsError::Storage(MlsStorageError::Sql(error)) => Some(error),
            _ => None,
        }
    }
}
