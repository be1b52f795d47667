//! Backup archives: the format of `docs/archive-format.md`. Entries are split into independently compressed
//! zstd frames (ruzstd, Fastest) with a seekable-format seek table, optionally encrypted per frame with
//! AES-256-GCM (raw key or Argon2id passphrase) and signed with Ed25519. The writer streams; the reader
//! checks header, end record and directory eagerly and every frame lazily, and never allocates by an
//! untrusted size beyond its limits.
//!
//! Platform-independent: the browser export/import code feeds it bytes.

mod crypto;
mod decoder;
mod error;
mod format;
mod index;
mod reader;
mod signature;
mod writer;

pub use crypto::{ArchiveKey, Argon2Params};
pub use decoder::EntryDecoder;
pub use error::ArchiveError;
pub use index::{ArchiveIndex, EntryInfo, EntryLayout, Limits, ReadOptions, HEAD_LEN, TAIL_LEN};
pub use reader::ArchiveReader;
pub use writer::{ArchiveWriter, WriterOptions};

/// The format version this build writes (it reads 1 and 2).
pub const FORMAT_VERSION: u16 = format::VERSION;

/// Uncompressed bytes per frame of a split entry.
pub const FRAME_SIZE: usize = 64 * 1024;
/// Entries of at least this many bytes are split into frames, unless the writer is told otherwise: small
/// enough that no single frame needs much memory to write, read or stream.
pub const DEFAULT_SPLIT_THRESHOLD: u64 = 1024 * 1024;

#[cfg(test)]
mod signature_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;
