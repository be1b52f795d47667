//! Backup archives: the format of `docs/archive-format.md`. Entries are split into independently compressed
//! zstd frames (ruzstd, Fastest) with a seekable-format seek table, optionally encrypted per frame with
//! AES-256-GCM (raw key or Argon2id passphrase) and signed with Ed25519. The writer streams; the reader
//! checks header, end record and directory eagerly and every frame lazily, and never allocates by an
//! untrusted size beyond its limits.
//!
//! Platform-independent: the browser export/import code feeds it bytes.

mod crypto;
mod error;
mod format;
mod reader;
mod writer;

pub use crypto::{ArchiveKey, Argon2Params};
pub use error::ArchiveError;
pub use reader::{ArchiveReader, EntryInfo, Limits};
pub use writer::{ArchiveWriter, WriterOptions};

/// Uncompressed bytes per frame of a split entry.
pub const FRAME_SIZE: usize = 64 * 1024;
/// Entries of at least this many bytes are split into frames, unless the writer is told otherwise.
pub const DEFAULT_SPLIT_THRESHOLD: u64 = 50 * 1024 * 1024;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;
