//! The store layer's error: everything that can go wrong opening or using a store, each with a stable code
//! that the JS boundary passes on unchanged.

use crate::backend::{Backend, BackendUnavailable, InvalidStoreName, UnknownBackend};
use crate::chat::ChatError;
use crate::mls::{MlsError, MlsStorageError};
use crate::sql::migrate::MigrationError;
use crate::sql::SqlError;
use crate::vfs::{OpfsFailure, VfsError};

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(transparent)]
    InvalidName(#[from] InvalidStoreName),
    #[error(transparent)]
    UnknownBackend(#[from] UnknownBackend),
    #[error(transparent)]
    BackendUnavailable(#[from] BackendUnavailable),
    /// This worker already has the store open; two connections to one sahpool file would corrupt it.
    #[error("store {name:?} is already open on {backend} in this context")]
    AlreadyOpen { name: String, backend: Backend },
    /// The backend kept another journal mode than the one configured.
    #[error("journal mode {wanted} was refused; the database stays in {got}")]
    JournalModeRefused { wanted: &'static str, got: String },
    /// The key given does not open the database.
    #[error(
        "the key does not open this database (wrong key, or the file is not an encrypted store)"
    )]
    WrongKey,
    #[error(transparent)]
    InvalidKey(#[from] super::InvalidKeyLength),
    /// The store was created on `backend` (the placement record says so) but its database is gone: the
    /// browser discarded it (Chromium can, after a crash) or it was cleared outside this package.
    #[error("store {name:?} existed on {backend} but its database is gone; restore a backup, or delete the store to start over")]
    Lost { name: String, backend: Backend },
    /// The store was closed.
    #[error("store is closed")]
    Closed,
    /// An argument is outside what the store accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error(transparent)]
    Vfs(#[from] VfsError),
    /// The database file is damaged or is not a database.
    #[error("database is corrupt: {source}")]
    Corrupt {
        #[source]
        source: SqlError,
    },
    /// Storage is full (browser quota reached); the failed operation was rolled back.
    #[error("storage is full: {source}")]
    StorageFull {
        #[source]
        source: SqlError,
    },
    #[error(transparent)]
    Migration(MigrationError),
    #[error(transparent)]
    Sql(SqlError),
    #[error(transparent)]
    Mls(MlsError),
    #[error(transparent)]
    Chat(ChatError),
}

impl From<ChatError> for StoreError {
    fn from(error: ChatError) -> Self {
        match error {
            ChatError::Sql(source) => StoreError::from(source),
            other => StoreError::Chat(other),
        }
    }
}

impl From<MlsError> for StoreError {
    fn from(error: MlsError) -> Self {
        match error {
            MlsError::Storage(MlsStorageError::Sql(source)) => StoreError::from(source),
            other => StoreError::Mls(other),
        }
    }
}

impl From<SqlError> for StoreError {
    fn from(source: SqlError) -> Self {
        if source.is_corruption() {
            StoreError::Corrupt { source }
        } else if source.is_full() {
            StoreError::StorageFull { source }
        } else {
            StoreError::Sql(source)
        }
    }
}

impl From<MigrationError> for StoreError {
    fn from(error: MigrationError) -> Self {
        match error {
            MigrationError::History(source) | MigrationError::Step { source, .. }
                if source.is_corruption() || source.is_full() =>
            {
                StoreError::from(source)
            }
            other => StoreError::Migration(other),
        }
    }
}

impl StoreError {
    /// The same error, as `StorageFull` when it is OPFS's way of saying the quota is reached: Firefox answers
    /// a write over the quota with a short write (SQLite: `SQLITE_IOERR_WRITE`), where Chromium throws
    /// `QuotaExceededError`. Told apart from other write failures by the storage estimate.
    pub(crate) async fn with_quota_recognized(self, backend: Backend) -> StoreError {
        match self {
            StoreError::Sql(source)
                if backend == Backend::Opfs
                    && source.is_write_failure()
                    && crate::platform::storage_nearly_full(0.0).await =>
            {
                StoreError::StorageFull { source }
            }
            other => other,
        }
    }

    /// A stable machine-readable code, the same string JS callers see as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidName(_) => "INVALID_STORE_NAME",
            StoreError::UnknownBackend(_) => "UNKNOWN_BACKEND",
            StoreError::BackendUnavailable(BackendUnavailable::StoreUnreachable { .. }) => {
                "STORE_UNAVAILABLE"
            }
            StoreError::BackendUnavailable(_) => "BACKEND_UNAVAILABLE",
            StoreError::AlreadyOpen { .. } => "STORE_ALREADY_OPEN",
            StoreError::Closed => "STORE_CLOSED",
            StoreError::Lost { .. } => "STORE_LOST",
            StoreError::WrongKey => "WRONG_KEY",
            StoreError::InvalidKey(_) => "INVALID_KEY",
            StoreError::JournalModeRefused { .. } => "JOURNAL_MODE_REFUSED",
            StoreError::InvalidArgument(_) => "INVALID_ARGUMENT",
            StoreError::Vfs(VfsError::Opfs {
                kind: OpfsFailure::InUse,
                ..
            }) => "OPFS_IN_USE",
            StoreError::Vfs(VfsError::Opfs {
                kind: OpfsFailure::QuotaExceeded,
                ..
            }) => "QUOTA_EXCEEDED",
            StoreError::Vfs(VfsError::Opfs {
                kind: OpfsFailure::Unavailable,
                ..
            }) => "OPFS_UNAVAILABLE",
            StoreError::Vfs(VfsError::Opfs { .. }) => "OPFS_ERROR",
            StoreError::Vfs(VfsError::NotFound { .. }) => "NOT_FOUND",
            StoreError::Vfs(VfsError::InUse { .. }) => "STORE_IN_USE",
            StoreError::Vfs(VfsError::IndexedDb { name, .. }) if name == "QuotaExceededError" => {
                "QUOTA_EXCEEDED"
            }
            StoreError::Vfs(VfsError::IndexedDb { .. }) => "INDEXEDDB_ERROR",
            StoreError::Vfs(VfsError::NotDurable { .. }) => "STORE_NOT_DURABLE",
            StoreError::Vfs(VfsError::OwnerChanged { .. }) => "OWNER_CHANGED",
            StoreError::Vfs(_) => "BACKEND_ERROR",
            StoreError::Corrupt { .. } => "DATABASE_CORRUPT",
            StoreError::StorageFull { .. } => "QUOTA_EXCEEDED",
            StoreError::Migration(MigrationError::SchemaTooNew { .. }) => "SCHEMA_TOO_NEW",
            StoreError::Migration(MigrationError::ChecksumMismatch { .. }) => {
                "SCHEMA_CHECKSUM_MISMATCH"
            }
            StoreError::Migration(MigrationError::InconsistentHistory { .. }) => {
                "SCHEMA_HISTORY_INCONSISTENT"
            }
            StoreError::Migration(MigrationError::UnknownVersion { .. }) => {
                "UNKNOWN_SCHEMA_VERSION"
            }
            StoreError::Migration(_) => "MIGRATION_FAILED",
            StoreError::Sql(SqlError::Sqlite { code, .. })
                if *code == crate::sql::codes::CONSTRAINT =>
            {
                "CONSTRAINT_VIOLATION"
            }
            StoreError::Sql(_) => "SQLITE_ERROR",
            StoreError::Mls(error) => mls_code(error),
            StoreError::Chat(error) => chat_code(error),
        }
    }
}

fn mls_code(error: &MlsError) -> &'static str {
    match error {
        MlsError::NoIdentity => "MLS_NO_IDENTITY",
        MlsError::IdentityExists => "MLS_IDENTITY_EXISTS",
        MlsError::GroupNotFound(_) => "MLS_GROUP_NOT_FOUND",
        MlsError::InvalidMessage { .. } => "MLS_INVALID_MESSAGE",
        MlsError::Protocol { .. } => "MLS_PROTOCOL_ERROR",
        MlsError::MemberNotFound(_) => "MLS_MEMBER_NOT_FOUND",
        MlsError::WelcomeNotFound(_) => "WELCOME_NOT_FOUND",
        MlsError::WelcomeExpired { .. } => "WELCOME_EXPIRED",
        MlsError::WelcomeConfirmed(_) => "WELCOME_ALREADY_CONFIRMED",
        MlsError::Storage(MlsStorageError::ProviderVersion { .. }) => "MLS_PROVIDER_VERSION",
        MlsError::Storage(_) => "MLS_STATE_CORRUPT",
    }
}

fn chat_code(error: &ChatError) -> &'static str {
    match error {
        ChatError::ChannelNotFound(_) => "CHANNEL_NOT_FOUND",
        ChatError::ChannelExists(_) => "CHANNEL_EXISTS",
        ChatError::MessageIdInOtherChannel { .. } => "MESSAGE_ID_IN_OTHER_CHANNEL",
        ChatError::IdempotencyKeyReused(_) => "IDEMPOTENCY_KEY_REUSED",
        ChatError::InvalidArgument(_) => "INVALID_ARGUMENT",
        ChatError::CorruptResponse { .. } => "DATABASE_CORRUPT",
        ChatError::Sql(_) => "SQLITE_ERROR",
    }
}
