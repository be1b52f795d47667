//! The store layer's error: everything that can go wrong opening or using a store, each with a stable code
//! that the JS boundary passes on unchanged.

use crate::backend::{Backend, BackendUnavailable, InvalidStoreName, UnknownBackend};
use crate::backup::BackupError;
use crate::chat::ChatError;
use crate::error_code::ErrorCode;
use crate::kv::KvError;
use crate::mls::{MlsError, MlsStorageError};
use crate::sql::migrate::MigrationError;
use crate::sql::SqlError;
use crate::vfs::VfsError;

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
    /// A write would grow an IndexedDB store past the size limit it was opened with; it was rolled back.
    #[error("the write would grow the store past its memoryLimitBytes of {limit} bytes; it was rolled back: prune and compact(), or open with a larger memoryLimitBytes")]
    MemoryLimitReached { limit: u64 },
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
    Mls(#[from] MlsError),
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    KeyValue(#[from] KvError),
    #[error(transparent)]
    Backup(#[from] BackupError),
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

impl From<crate::catch_up::CatchUpError> for StoreError {
    fn from(error: crate::catch_up::CatchUpError) -> Self {
        match error {
            crate::catch_up::CatchUpError::Mls(source) => StoreError::Mls(source),
            crate::catch_up::CatchUpError::Chat(source) => StoreError::Chat(source),
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
        let write_failure = self.sql_source().is_some_and(SqlError::is_write_failure);
        if backend != Backend::Opfs
            || !write_failure
            || !crate::platform::storage_nearly_full(0.0).await
        {
            return self;
        }
        match self {
            StoreError::Sql(source)
            | StoreError::Chat(ChatError::Sql(source))
            | StoreError::Mls(MlsError::Storage(MlsStorageError::Sql(source)))
            | StoreError::KeyValue(KvError::Sql(source))
            | StoreError::Backup(BackupError::Sql(source)) => StoreError::StorageFull { source },
            other => other,
        }
    }

    /// The SQL failure underneath, whichever layer it came through.
    pub fn sql_source(&self) -> Option<&SqlError> {
        match self {
            StoreError::Sql(source)
            | StoreError::Corrupt { source }
            | StoreError::StorageFull { source }
            | StoreError::Chat(ChatError::Sql(source))
            | StoreError::Mls(MlsError::Storage(MlsStorageError::Sql(source)))
            | StoreError::KeyValue(KvError::Sql(source))
            | StoreError::Backup(BackupError::Sql(source)) => Some(source),
            _ => None,
        }
    }

    /// The stable code of this failure, the one JS callers see as `error.code`. Domain errors keep the
    /// code of their own layer (a chat write that hit a full disk is `QUOTA_EXCEEDED`).
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::InvalidName(_) => ErrorCode::InvalidStoreName,
            StoreError::UnknownBackend(_) => ErrorCode::UnknownBackend,
            StoreError::BackendUnavailable(BackendUnavailable::StoreUnreachable { .. }) => {
                ErrorCode::StoreUnavailable
            }
            StoreError::BackendUnavailable(_) => ErrorCode::BackendUnavailable,
            StoreError::Closed => ErrorCode::StoreClosed,
            StoreError::MemoryLimitReached { .. } => ErrorCode::StoreTooLarge,
            StoreError::Lost { .. } => ErrorCode::StoreLost,
            StoreError::WrongKey => ErrorCode::WrongKey,
            StoreError::InvalidKey(_) => ErrorCode::InvalidKey,
            StoreError::JournalModeRefused { .. } => ErrorCode::JournalModeRefused,
            StoreError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            StoreError::Vfs(source) => source.code(),
            StoreError::Corrupt { .. } => ErrorCode::DatabaseCorrupt,
            StoreError::StorageFull { .. } => ErrorCode::QuotaExceeded,
            StoreError::Migration(source) => source.code(),
            StoreError::Sql(source) => source.code(),
            StoreError::Mls(source) => source.code(),
            StoreError::Chat(source) => source.code(),
            StoreError::KeyValue(source) => source.code(),
            StoreError::Backup(source) => source.code(),
        }
    }
}
