//! The in-memory reader: an [`ArchiveIndex`] over the archive's bytes, for whole-entry reads (every check)
//! and range reads (only the frames a range touches). Several readers may share one archive's bytes. A
//! reader of a `Blob` uses the index and [`super::EntryDecoder`] directly, slice by slice.

use std::ops::Range;

use super::crypto::ArchiveKey;
use super::index::{ArchiveIndex, EntryInfo, Limits, ReadOptions, HEAD_LEN, TAIL_LEN};
use super::{ArchiveError, FRAME_SIZE};

/// An open, verified archive over its bytes.
pub struct ArchiveReader<'a> {
    bytes: &'a [u8],
    index: ArchiveIndex,
}

fn slice(bytes: &[u8], range: Range<u64>) -> Result<&[u8], ArchiveError> {
    let start = usize::try_from(range.start).map_err(|_| ArchiveError::Truncated("data"))?;
    let end = usize::try_from(range.end).map_err(|_| ArchiveError::Truncated("data"))?;
    bytes.get(start..end).ok_or(ArchiveError::Truncated("data"))
}

impl<'a> ArchiveReader<'a> {
    /// Opens and verifies an archive. `key` is needed when the archive is encrypted.
    ///
    /// # Errors
    /// Every malformed, truncated, altered or oversized input; a missing or wrong key; a bad signature.
    pub fn open(
        bytes: &'a [u8],
        key: Option<&ArchiveKey>,
        limits: Limits,
    ) -> Result<Self, ArchiveError> {
        ArchiveReader::open_with(
            bytes,
            &ReadOptions {
                key,
                limits,
                signer: None,
            },
        )
    }

    /// Opens and verifies an archive; with `options.signer`, only one signed by that key (version 2).
    ///
    /// # Errors
    /// As [`ArchiveReader::open`], and `SignatureRequired` / `SignerMismatch`.
    pub fn open_with(bytes: &'a [u8], options: &ReadOptions<'_>) -> Result<Self, ArchiveError> {
        let len = bytes.len();
        let head = &bytes[..len.min(HEAD_LEN)];
        let tail = &bytes[len - len.min(TAIL_LEN)..];
        let directory = ArchiveIndex::locate(len as u64, head, tail, options.limits)?;
        let directory = slice(bytes, directory)?;
        let index = ArchiveIndex::open(len as u64, head, tail, directory, options)?;
        Ok(ArchiveReader { bytes, index })
    }

    /// The verified index (entries, signer, version).
    pub fn index(&self) -> &ArchiveIndex {
        &self.index
    }

    /// The entries, in archive order.
    pub fn entries(&self) -> Vec<EntryInfo> {
        self.index.entries()
    }

    /// The Ed25519 public key the archive was signed with (verified), if it was signed.
    pub fn signer(&self) -> Option<[u8; 32]> {
        self.index.signer()
    }

    /// The archive's format version (see `docs/archive-format.md`).
    pub fn format_version(&self) -> u16 {
        self.index.format_version()
    }

    /// Whether the archive is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.index.is_encrypted()
    }

    /// The whole entry, checked against its digest (version 1: CRC-32s).
    ///
    /// # Errors
    /// Unknown name, or any frame or the digest fails.
    pub fn read_entry(&self, name: &str) -> Result<Vec<u8>, ArchiveError> {
        let layout = self.index.layout(name)?;
        let table = match &layout.seek_table {
            Some(range) => Some(slice(self.bytes, range.clone())?),
            None => None,
        };
        let stored = slice(self.bytes, layout.data.clone())?;
        let mut decoder = self
            .index
            .decoder_checked_up_front(&layout, table, stored)?;
        // The length was checked against the reader's limits at open, so it may size the buffer.
        let mut out = Vec::with_capacity(self.index.entry_len(&layout) as usize);
        decoder.push(stored, &mut out)?;
        decoder.finish()?;
        Ok(out)
    }

    /// `len` bytes of the entry from `offset`, decompressing only the frames they lie in. Frames are
    /// authenticated when the archive is encrypted; the entry's digest covers only whole reads.
    ///
    /// # Errors
    /// Unknown name, a range outside the entry, or a frame fails.
    pub fn read_range(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, ArchiveError> {
        let layout = self.index.layout(name)?;
        let entry_len = self.index.entry_len(&layout);
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= entry_len)
            .ok_or_else(|| ArchiveError::InvalidArgument("range outside the entry".into()))?;
        let table = match &layout.seek_table {
            Some(range) => Some(slice(self.bytes, range.clone())?),
            None => None,
        };
        let frames = self.index.frames(&layout, table)?;
        let frame_span = if layout.seek_table.is_some() {
            FRAME_SIZE as u64
        } else {
            entry_len.max(1)
        };
        let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut position = offset;
        let mut bytes = Vec::new();
        while position < end {
            let frame = (position / frame_span) as usize;
            let (at, stored_len, plain_len) = frames[frame];
            bytes.clear();
            let stored = slice(self.bytes, at..at + stored_len)?;
            self.index
                .decode_frame(layout.index, frame as u32, stored, plain_len, &mut bytes)?;
            let start = (position - frame as u64 * frame_span) as usize;
            let take = ((end - position) as usize).min(bytes.len() - start);
            out.extend_from_slice(&bytes[start..start + take]);
            position += take as u64;
        }
        Ok(out)
    }
}
