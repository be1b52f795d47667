//! An archive's index: header, key, end record, directory and signature, verified from the file's head,
//! tail and directory alone, so that a reader of a `Blob` fetches those three slices and then streams the
//! entries' data (see [`super::EntryDecoder`]). Nothing here allocates by an unchecked size.

use std::collections::HashSet;
use std::ops::Range;

use super::crypto::{unlock, ArchiveKey, FrameCipher};
use super::format::{
    decode_directory, decode_seek_table, seek_table_len, DirEntry, EndRecord, Header, KeyBlock,
    END_LEN, HEADER_LEN, KEY_BLOCK_LEN, SIGNATURE_LEN, VERSION,
};
use super::signature::{require_signature, verify};
use super::{ArchiveError, FRAME_SIZE};

/// What a reader accepts before refusing an archive as too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_directory_len: u64,
    pub max_entries: u32,
    pub max_entry_len: u64,
    pub max_total_len: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_directory_len: 16 << 20,
            max_entries: 10_000,
            max_entry_len: 4 << 30,
            max_total_len: 16 << 30,
        }
    }
}

/// How to open an archive.
#[derive(Debug, Default)]
pub struct ReadOptions<'k> {
    /// The key or passphrase of an encrypted archive.
    pub key: Option<&'k ArchiveKey>,
    pub limits: Limits,
    /// Require a version 2 signature by this Ed25519 public key.
    pub signer: Option<[u8; 32]>,
}

/// An entry as the directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    pub name: String,
    pub len: u64,
    pub frame_count: u32,
    pub split: bool,
}

pub(super) struct Entry {
    pub dir: DirEntry,
    /// The archive-wide counter of this entry's first frame (nonces).
    pub first_frame: u64,
}

/// Where an entry's stored data lies in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryLayout {
    pub(super) index: usize,
    /// The entry's stored data: frames, then the seek table when split.
    pub data: Range<u64>,
    /// The seek table (the end of `data`), when the entry is split: read it before streaming the data.
    pub seek_table: Option<Range<u64>>,
}

/// One frame: (offset in the file, stored length, uncompressed length).
pub(super) type FramePosition = (u64, u64, u32);

/// A verified archive index.
pub struct ArchiveIndex {
    pub(super) header: Header,
    pub(super) cipher: Option<FrameCipher>,
    pub(super) entries: Vec<Entry>,
    signer: Option<[u8; 32]>,
}

pub(super) fn corrupt(what: impl Into<String>) -> ArchiveError {
    ArchiveError::Corrupt(what.into())
}

/// Bytes of the file's start a reader passes as `head` (fewer when the file is shorter).
pub const HEAD_LEN: usize = HEADER_LEN + KEY_BLOCK_LEN;
/// Bytes of the file's end a reader passes as `tail` (fewer when the file is shorter).
pub const TAIL_LEN: usize = END_LEN + SIGNATURE_LEN;

/// The header, and where the end record starts.
fn frame_of(file_len: u64, head: &[u8]) -> Result<(Header, u64), ArchiveError> {
    let header = Header::decode(head)?;
    let end_len = END_LEN + if header.signed() { SIGNATURE_LEN } else { 0 };
    if file_len < header.total_len() as u64 + end_len as u64 {
        return Err(ArchiveError::Truncated("end record"));
    }
    Ok((header, file_len - end_len as u64))
}

/// The end record's bytes and the signature block's, from the file's last bytes.
fn tail_parts<'t>(tail: &'t [u8], header: &Header) -> Result<(&'t [u8], &'t [u8]), ArchiveError> {
    let end_len = END_LEN + if header.signed() { SIGNATURE_LEN } else { 0 };
    let start = tail
        .len()
        .checked_sub(end_len)
        .ok_or(ArchiveError::Truncated("end record"))?;
    Ok(tail[start..].split_at(END_LEN))
}

impl ArchiveIndex {
    /// Where the directory lies, from the file's length, its first [`HEAD_LEN`] and last [`TAIL_LEN`] bytes.
    ///
    /// # Errors
    /// A malformed or truncated header or end record, or a directory beyond the limits.
    pub fn locate(
        file_len: u64,
        head: &[u8],
        tail: &[u8],
        limits: Limits,
    ) -> Result<Range<u64>, ArchiveError> {
        let (header, end_at) = frame_of(file_len, head)?;
        let (end_bytes, _) = tail_parts(tail, &header)?;
        let end = EndRecord::decode(end_bytes)?;
        if end.directory_len > limits.max_directory_len
            || end.entry_count > limits.max_entries
            || end.total_uncompressed > limits.max_total_len
        {
            return Err(ArchiveError::LimitExceeded(format!(
                "directory {} bytes, {} entries, {} bytes uncompressed",
                end.directory_len, end.entry_count, end.total_uncompressed
            )));
        }
        if end.directory_offset < header.total_len() as u64
            || end.directory_offset.checked_add(end.directory_len) != Some(end_at)
        {
            return Err(corrupt("directory position"));
        }
        Ok(end.directory_offset..end_at)
    }

    /// Verifies everything but the entries' data: header, key (with `options.key`), end record, directory,
    /// signature (with `options.signer`, required and by that key), every entry's placement and framing.
    ///
    /// # Errors
    /// Every malformed, truncated, altered or oversized input; a missing or wrong key; a bad, missing or
    /// foreign signature.
    pub fn open(
        file_len: u64,
        head: &[u8],
        tail: &[u8],
        directory: &[u8],
        options: &ReadOptions<'_>,
    ) -> Result<ArchiveIndex, ArchiveError> {
        let limits = options.limits;
        let header = Header::decode(head)?;
        if options.signer.is_some() {
            require_signature(&header)?;
        }
        let located = Self::locate(file_len, head, tail, limits)?;
        if directory.len() as u64 != located.end - located.start {
            return Err(ArchiveError::Truncated("directory"));
        }
        let (end_bytes, signature) = tail_parts(tail, &header)?;
        let end = EndRecord::decode(end_bytes)?;
        if crc32fast::hash(directory) != end.directory_crc {
            return Err(corrupt("directory checksum mismatch"));
        }
        let header_end = header.total_len();
        let preamble = head
            .get(..header_end)
            .ok_or(ArchiveError::Truncated("key block"))?;
        let signer = if header.signed() {
            let public = verify(&header, preamble, directory, end_bytes, signature)?;
            if let Some(required) = options.signer {
                if required != public {
                    return Err(ArchiveError::SignerMismatch { found: public });
                }
            }
            Some(public)
        } else {
            None
        };
        let cipher = if header.encrypted() {
            let block = KeyBlock::decode(&preamble[HEADER_LEN..])?;
            let key = options.key.ok_or(ArchiveError::KeyRequired)?;
            Some(unlock(&block, key, header.archive_id)?)
        } else {
            None
        };
        let entries = place_entries(
            &header,
            &end,
            decode_directory(directory, end.entry_count, header.version)?,
            limits,
        )?;
        Ok(ArchiveIndex {
            header,
            cipher,
            entries,
            signer,
        })
    }

    /// The entries, in archive order.
    pub fn entries(&self) -> Vec<EntryInfo> {
        self.entries
            .iter()
            .map(|e| EntryInfo {
                name: e.dir.name.clone(),
                len: e.dir.uncompressed_len,
                frame_count: e.dir.frame_count,
                split: e.dir.split,
            })
            .collect()
    }

    /// The Ed25519 public key the archive was signed with (verified), if it was signed.
    pub fn signer(&self) -> Option<[u8; 32]> {
        self.signer
    }

    /// The archive's format version (see `docs/archive-format.md`).
    pub fn format_version(&self) -> u16 {
        self.header.version
    }

    /// Whether the archive is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.header.encrypted()
    }

    /// Where entry `name`'s data lies.
    ///
    /// # Errors
    /// No such entry.
    pub fn layout(&self, name: &str) -> Result<EntryLayout, ArchiveError> {
        let (index, entry) = self
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.dir.name == name)
            .ok_or_else(|| ArchiveError::EntryNotFound(name.to_owned()))?;
        let dir = &entry.dir;
        let data = dir.data_offset..dir.data_offset + dir.data_len;
        let seek_table = dir
            .split
            .then(|| data.end - seek_table_len(dir.frame_count)..data.end);
        Ok(EntryLayout {
            index,
            data,
            seek_table,
        })
    }

    /// The uncompressed length of the entry at `layout`.
    pub fn entry_len(&self, layout: &EntryLayout) -> u64 {
        self.entries[layout.index].dir.uncompressed_len
    }

    /// The frames of the entry at `layout`, from its seek table's bytes (`None` for a single frame).
    pub(super) fn frames(
        &self,
        layout: &EntryLayout,
        seek_table: Option<&[u8]>,
    ) -> Result<Vec<FramePosition>, ArchiveError> {
        let dir = &self.entries[layout.index].dir;
        let Some(table) = seek_table.filter(|_| dir.split) else {
            if dir.split {
                return Err(ArchiveError::InvalidArgument(
                    "a split entry's seek table is needed".into(),
                ));
            }
            return Ok(vec![(
                dir.data_offset,
                dir.data_len,
                dir.uncompressed_len as u32,
            )]);
        };
        let sizes = decode_seek_table(table, dir.frame_count)?;
        let mut offset = dir.data_offset;
        let mut remaining = dir.uncompressed_len;
        let mut out = Vec::with_capacity(sizes.len());
        for (stored, plain) in sizes {
            let expected = remaining.min(FRAME_SIZE as u64) as u32;
            if plain != expected {
                return Err(corrupt(format!("seek table of {:?}", dir.name)));
            }
            out.push((offset, u64::from(stored), plain));
            offset += u64::from(stored);
            remaining -= u64::from(plain);
        }
        if offset != dir.data_offset + dir.data_len - seek_table_len(dir.frame_count) {
            return Err(corrupt(format!(
                "seek table of {:?} disagrees with its data",
                dir.name
            )));
        }
        Ok(out)
    }
}

/// Checks every record's name, size, placement and framing; numbers the frames.
fn place_entries(
    header: &Header,
    end: &EndRecord,
    dir: Vec<DirEntry>,
    limits: Limits,
) -> Result<Vec<Entry>, ArchiveError> {
    let v2 = header.version == VERSION;
    let mut entries = Vec::with_capacity(dir.len());
    let mut names = HashSet::new();
    let mut next_free = header.total_len() as u64;
    let mut first_frame = 0u64;
    let mut total = 0u64;
    for entry in dir {
        let unique_name = if v2 {
            entry.name.to_ascii_lowercase()
        } else {
            entry.name.clone()
        };
        if !names.insert(unique_name) {
            return Err(corrupt(format!("duplicate entry {:?}", entry.name)));
        }
        if entry.uncompressed_len > limits.max_entry_len {
            return Err(ArchiveError::LimitExceeded(format!(
                "entry {:?}",
                entry.name
            )));
        }
        let data_end = entry.data_offset.checked_add(entry.data_len);
        // Version 2 leaves no gaps: bytes in a gap would be covered by no digest.
        let misplaced = if v2 {
            entry.data_offset != next_free
        } else {
            entry.data_offset < next_free
        };
        if misplaced || data_end.is_none_or(|e| e > end.directory_offset) {
            return Err(corrupt(format!(
                "entry {:?} lies outside the data region",
                entry.name
            )));
        }
        let split = entry.uncompressed_len >= header.split_threshold;
        let frames = if split {
            entry.uncompressed_len.div_ceil(FRAME_SIZE as u64)
        } else {
            1
        };
        if entry.split != split
            || u64::from(entry.frame_count) != frames
            || (split && entry.data_len < seek_table_len(entry.frame_count))
            || (!split && entry.uncompressed_len > u64::from(u32::MAX))
        {
            return Err(corrupt(format!("entry {:?} framing", entry.name)));
        }
        next_free = data_end.unwrap_or(u64::MAX);
        total = total.saturating_add(entry.uncompressed_len);
        let frame_count = u64::from(entry.frame_count);
        entries.push(Entry {
            dir: entry,
            first_frame,
        });
        first_frame += frame_count;
    }
    if v2 && next_free != end.directory_offset {
        return Err(corrupt("bytes between the last entry and the directory"));
    }
    if total != end.total_uncompressed {
        return Err(corrupt("entry sizes disagree with the end record"));
    }
    Ok(entries)
}
