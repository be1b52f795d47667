//! The stable error codes: the one list every layer maps its errors to, that JS callers see as `error.code`,
//! and that `index.d.ts` exports as the `ErrorCode` string union (a native test keeps the declaration, the
//! JS client's literals and the README's tables in step with this list).
//!
//! A code, once shipped, keeps its meaning; new failure kinds get new codes.

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as JS sees it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // Opening and placing a store.
    InvalidStoreName => "INVALID_STORE_NAME",
    UnknownBackend => "UNKNOWN_BACKEND",
    BackendUnavailable => "BACKEND_UNAVAILABLE",
    StoreUnavailable => "STORE_UNAVAILABLE",
    OpfsUnavailable => "OPFS_UNAVAILABLE",
    StoreAlreadyOpen => "STORE_ALREADY_OPEN",
    StoreClosed => "STORE_CLOSED",
    StoreLost => "STORE_LOST",
    WrongKey => "WRONG_KEY",
    InvalidKey => "INVALID_KEY",
    JournalModeRefused => "JOURNAL_MODE_REFUSED",
    InvalidArgument => "INVALID_ARGUMENT",
    /// The browser gave no random bytes.
    RandomUnavailable => "RANDOM_UNAVAILABLE",
    // The backends.
    OpfsInUse => "OPFS_IN_USE",
    OpfsError => "OPFS_ERROR",
    NotFound => "NOT_FOUND",
    StoreInUse => "STORE_IN_USE",
    QuotaExceeded => "QUOTA_EXCEEDED",
    IndexedDbError => "INDEXEDDB_ERROR",
    StoreNotDurable => "STORE_NOT_DURABLE",
    /// An IndexedDB store (held whole in memory) is over, or would grow over, its memory limit.
    StoreTooLarge => "STORE_TOO_LARGE",
    /// A direct (Rust) call on an IndexedDB store paged on demand read a page not in memory; the call
    /// belongs in `Store::run`, which loads the page and runs it again. JS calls never see it.
    PageNotLoaded => "PAGE_NOT_LOADED",
    OwnerChanged => "OWNER_CHANGED",
    BackendError => "BACKEND_ERROR",
    // SQL and the schema.
    DatabaseCorrupt => "DATABASE_CORRUPT",
    SchemaTooNew => "SCHEMA_TOO_NEW",
    SchemaChecksumMismatch => "SCHEMA_CHECKSUM_MISMATCH",
    SchemaHistoryInconsistent => "SCHEMA_HISTORY_INCONSISTENT",
    UnknownSchemaVersion => "UNKNOWN_SCHEMA_VERSION",
    MigrationFailed => "MIGRATION_FAILED",
    ConstraintViolation => "CONSTRAINT_VIOLATION",
    SqliteError => "SQLITE_ERROR",
    // MLS.
    MlsNoIdentity => "MLS_NO_IDENTITY",
    MlsIdentityExists => "MLS_IDENTITY_EXISTS",
    MlsGroupNotFound => "MLS_GROUP_NOT_FOUND",
    MlsInvalidMessage => "MLS_INVALID_MESSAGE",
    MlsProtocolError => "MLS_PROTOCOL_ERROR",
    MlsMemberNotFound => "MLS_MEMBER_NOT_FOUND",
    WelcomeNotFound => "WELCOME_NOT_FOUND",
    WelcomeExpired => "WELCOME_EXPIRED",
    WelcomeAlreadyConfirmed => "WELCOME_ALREADY_CONFIRMED",
    MlsProviderVersion => "MLS_PROVIDER_VERSION",
    MlsStateCorrupt => "MLS_STATE_CORRUPT",
    // Chat.
    ChannelNotFound => "CHANNEL_NOT_FOUND",
    ChannelExists => "CHANNEL_EXISTS",
    MessageIdInOtherChannel => "MESSAGE_ID_IN_OTHER_CHANNEL",
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    // Archives and backups.
    ArchiveTruncated => "ARCHIVE_TRUNCATED",
    NotAnArchive => "NOT_AN_ARCHIVE",
    ArchiveVersionUnsupported => "ARCHIVE_VERSION_UNSUPPORTED",
    ArchiveCorrupt => "ARCHIVE_CORRUPT",
    ArchiveKeyRequired => "ARCHIVE_KEY_REQUIRED",
    WrongPassphrase => "WRONG_PASSPHRASE",
    ArchiveSignatureInvalid => "ARCHIVE_SIGNATURE_INVALID",
    /// A signer was required and the archive has no signature that covers all of it.
    SignatureRequired => "SIGNATURE_REQUIRED",
    /// The archive is signed by another key than the one required.
    SignerMismatch => "SIGNER_MISMATCH",
    /// The operation was cancelled through its `AbortSignal`; nothing of it was applied.
    Aborted => "ABORTED",
    ArchiveLimitExceeded => "ARCHIVE_LIMIT_EXCEEDED",
    ArchiveEntryNotFound => "ARCHIVE_ENTRY_NOT_FOUND",
    IoError => "IO_ERROR",
    BackupInvalid => "BACKUP_INVALID",
    BackupIntegrityFailed => "BACKUP_INTEGRITY_FAILED",
    // Raised by the JS client and its worker, not by Rust.
    /// `mls-web-store/direct` was used before `await init()`.
    NotInitialized => "NOT_INITIALIZED",
    WorkerCrashed => "WORKER_CRASHED",
    WorkerTerminated => "WORKER_TERMINATED",
    LocksUnavailable => "LOCKS_UNAVAILABLE",
    /// Something that is not an error of this package reached the client.
    Unexpected => "UNEXPECTED",
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_upper_snake_case() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{text}"
            );
        }
    }
}
