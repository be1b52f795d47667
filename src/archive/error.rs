//! The archive layer's error: every way a file can be malformed, and every way a caller can misuse it.

use crate::error_code::ErrorCode;
/// An archive failure. Readers never panic on bad input: they return one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The file ends before a structure it must contain.
    #[error("archive truncated: {0}")]
    Truncated(&'static str),
    #[error("not an mls-web-store archive (bad magic)")]
    BadMagic,
    #[error("archive format version {0} is not supported (this build reads versions 1 and 2)")]
    UnsupportedVersion(u16),
    /// A checksummed structure does not match its checksum, or a field is out of its range.
    #[error("archive corrupt: {0}")]
    Corrupt(String),
    /// The archive is encrypted and no key or passphrase was given.
    #[error("the archive is encrypted; a key or passphrase is needed")]
    KeyRequired,
    /// The key or passphrase does not open the archive.
    #[error("wrong key or passphrase")]
    WrongKey,
    /// A frame's authentication tag does not verify: the data was altered.
    #[error("frame {frame} of entry {entry:?} failed authentication (altered data)")]
    FrameAuthentication { entry: String, frame: u32 },
    #[error("frame {frame} of entry {entry:?} does not decompress: {reason}")]
    Decompression {
        entry: String,
        frame: u32,
        reason: String,
    },
    #[error("entry {0:?} does not match its CRC-32")]
    CrcMismatch(String),
    /// An entry's stored data does not match the BLAKE3 digest in the (signed) directory.
    #[error("entry {0:?} does not match its BLAKE3 digest (altered data)")]
    DigestMismatch(String),
    /// The signature over the directory does not verify: the archive was altered after signing or forged.
    #[error("the archive's signature does not verify")]
    BadSignature,
    /// The reader requires a signature (by a given key) and the archive has none that covers everything.
    #[error("a signature is required: {0}")]
    SignatureRequired(&'static str),
    /// The archive is signed, by another key than the one required.
    #[error("the archive is signed by another key than the one required")]
    SignerMismatch { found: [u8; 32] },
    /// A size or count exceeds the reader's configured limit.
    #[error("archive exceeds a limit: {0}")]
    LimitExceeded(String),
    #[error("no entry {0:?} in the archive")]
    EntryNotFound(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The browser gave no random bytes (for a salt or a nonce).
    #[error("the browser gave no random bytes: {0}")]
    RandomUnavailable(#[source] getrandom_02::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ArchiveError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            ArchiveError::Truncated(_) => ErrorCode::ArchiveTruncated,
            ArchiveError::BadMagic => ErrorCode::NotAnArchive,
            ArchiveError::UnsupportedVersion(_) => ErrorCode::ArchiveVersionUnsupported,
            ArchiveError::Corrupt(_)
            | ArchiveError::Decompression { .. }
            | ArchiveError::CrcMismatch(_)
            | ArchiveError::DigestMismatch(_)
            | ArchiveError::FrameAuthentication { .. } => ErrorCode::ArchiveCorrupt,
            ArchiveError::KeyRequired => ErrorCode::ArchiveKeyRequired,
            ArchiveError::WrongKey => ErrorCode::WrongPassphrase,
            ArchiveError::BadSignature => ErrorCode::ArchiveSignatureInvalid,
            ArchiveError::SignatureRequired(_) => ErrorCode::SignatureRequired,
            ArchiveError::SignerMismatch { .. } => ErrorCode::SignerMismatch,
            ArchiveError::LimitExceeded(_) => ErrorCode::ArchiveLimitExceeded,
            ArchiveError::EntryNotFound(_) => ErrorCode::ArchiveEntryNotFound,
            ArchiveError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            ArchiveError::RandomUnavailable(_) => ErrorCode::RandomUnavailable,
            ArchiveError::Io(_) => ErrorCode::IoError,
        }
    }
}
