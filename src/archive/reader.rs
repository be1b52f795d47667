//! The reader: header, key, end record, directory and signature are checked when the archive is opened;
//! each frame's tag, size and (for whole entries) CRC-32 when it is read. Several readers may share one
//! archive's bytes.

use std::collections::HashSet;
use std::io::Read;

use ruzstd::decoding::StreamingDecoder;
use sha2::{Digest, Sha256};

use super::crypto::{unlock, ArchiveKey, FrameCipher, UnitPosition};
use super::format::{
    decode_directory, decode_seek_table, seek_table_len, DirEntry, EndRecord, Header, KeyBlock,
    END_LEN, HEADER_LEN, SIGNATURE_LEN, VERSION,
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

struct Entry {
    dir: DirEntry,
    /// The archive-wide counter of this entry's first frame (nonces).
    first_frame: u64,
}

/// An open, verified archive over its bytes.
pub struct ArchiveReader<'a> {
    bytes: &'a [u8],
    header: Header,
    cipher: Option<FrameCipher>,
    entries: Vec<Entry>,
    signer: Option<[u8; 32]>,
}

fn corrupt(what: impl Into<String>) -> ArchiveError {
    ArchiveError::Corrupt(what.into())
}

fn slice(bytes: &[u8], offset: u64, len: u64) -> Result<&[u8], ArchiveError> {
    let start = usize::try_from(offset).map_err(|_| ArchiveError::Truncated("data"))?;
    let len = usize::try_from(len).map_err(|_| ArchiveError::Truncated("data"))?;
    start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .ok_or(ArchiveError::Truncated("data"))
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
        let (key, limits) = (options.key, options.limits);
        let header = Header::decode(bytes)?;
        if options.signer.is_some() {
            require_signature(&header)?;
        }
        let header_end = header.total_len() as u64;
        let end_len = END_LEN + if header.signed() { SIGNATURE_LEN } else { 0 };
        if (bytes.len() as u64) < header_end + end_len as u64 {
            return Err(ArchiveError::Truncated("end record"));
        }
        let end_at = bytes.len() - end_len;
        let end_bytes = &bytes[end_at..end_at + END_LEN];
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
        if end.directory_offset < header_end
            || end.directory_offset.checked_add(end.directory_len) != Some(end_at as u64)
        {
            return Err(corrupt("directory position"));
        }
        let directory = slice(bytes, end.directory_offset, end.directory_len)?;
        if crc32fast::hash(directory) != end.directory_crc {
            return Err(corrupt("directory checksum mismatch"));
        }
        let signer = if header.signed() {
            let tail = &bytes[end_at + END_LEN..];
            let preamble = &bytes[..header_end as usize];
            let public = verify(&header, preamble, directory, end_bytes, tail)?;
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
            let block = KeyBlock::decode(&bytes[HEADER_LEN..])?;
            let key = key.ok_or(ArchiveError::KeyRequired)?;
            Some(unlock(&block, key, header.archive_id)?)
        } else {
            None
        };
        let dir = decode_directory(directory, end.entry_count, header.version)?;
        let v2 = header.version == VERSION;
        let mut entries = Vec::with_capacity(dir.len());
        let mut names = HashSet::new();
        let mut next_free = header_end;
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
        Ok(ArchiveReader {
            bytes,
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

    fn entry(&self, name: &str) -> Result<(usize, &Entry), ArchiveError> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.dir.name == name)
            .ok_or_else(|| ArchiveError::EntryNotFound(name.to_owned()))
    }

    /// (offset, stored length, plain length) of each frame of the entry.
    fn frames(&self, entry: &Entry) -> Result<Vec<(u64, u64, u32)>, ArchiveError> {
        let dir = &entry.dir;
        if !dir.split {
            return Ok(vec![(
                dir.data_offset,
                dir.data_len,
                dir.uncompressed_len as u32,
            )]);
        }
        let table_len = seek_table_len(dir.frame_count);
        let table = slice(
            self.bytes,
            dir.data_offset + dir.data_len - table_len,
            table_len,
        )?;
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
        if offset != dir.data_offset + dir.data_len - table_len {
            return Err(corrupt(format!(
                "seek table of {:?} disagrees with its data",
                dir.name
            )));
        }
        Ok(out)
    }

    fn read_frame(
        &self,
        index: usize,
        entry: &Entry,
        frame: u32,
        position: (u64, u64, u32),
    ) -> Result<Vec<u8>, ArchiveError> {
        let mut out = Vec::with_capacity(position.2 as usize);
        self.read_frame_into(index, entry, frame, position, &mut out)?;
        Ok(out)
    }

    /// Appends the frame's bytes to `out`.
    fn read_frame_into(
        &self,
        index: usize,
        entry: &Entry,
        frame: u32,
        (offset, stored_len, plain_len): (u64, u64, u32),
        out: &mut Vec<u8>,
    ) -> Result<(), ArchiveError> {
        let stored = slice(self.bytes, offset, stored_len)?;
        let name = || entry.dir.name.clone();
        let opened;
        let compressed = match &self.cipher {
            Some(cipher) => {
                let at = UnitPosition {
                    counter: entry.first_frame + u64::from(frame),
                    entry: index as u32,
                    frame,
                    last: frame + 1 == entry.dir.frame_count,
                    plain_len,
                };
                opened =
                    cipher
                        .open(at, stored)
                        .ok_or_else(|| ArchiveError::FrameAuthentication {
                            entry: name(),
                            frame,
                        })?;
                opened.as_slice()
            }
            None => stored,
        };
        decompress(compressed, plain_len, out).map_err(|reason| ArchiveError::Decompression {
            entry: name(),
            frame,
            reason,
        })
    }

    /// The whole entry, checked against its CRC-32.
    ///
    /// # Errors
    /// Unknown name, or any frame or the CRC fails.
    pub fn read_entry(&self, name: &str) -> Result<Vec<u8>, ArchiveError> {
        let (index, entry) = self.entry(name)?;
        let stored = slice(self.bytes, entry.dir.data_offset, entry.dir.data_len)?;
        if crc32fast::hash(stored) != entry.dir.stored_crc32 {
            return Err(ArchiveError::CrcMismatch(name.to_owned()));
        }
        if let Some(digest) = &entry.dir.stored_sha256 {
            if Sha256::digest(stored).as_slice() != digest {
                return Err(ArchiveError::DigestMismatch(name.to_owned()));
            }
        }
        let frames = self.frames(entry)?;
        // The length was checked against the reader's limits at open, so it may size the buffer.
        let mut out = Vec::with_capacity(entry.dir.uncompressed_len as usize);
        for (frame, position) in frames.into_iter().enumerate() {
            self.read_frame_into(index, entry, frame as u32, position, &mut out)?;
        }
        if crc32fast::hash(&out) != entry.dir.crc32 {
            return Err(ArchiveError::CrcMismatch(name.to_owned()));
        }
        Ok(out)
    }

    /// `len` bytes of the entry from `offset`, decompressing only the frames they lie in. Frames are
    /// authenticated when the archive is encrypted; the entry's CRC-32 covers only whole reads.
    ///
    /// # Errors
    /// Unknown name, a range outside the entry, or a frame fails.
    pub fn read_range(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, ArchiveError> {
        let (index, entry) = self.entry(name)?;
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= entry.dir.uncompressed_len)
            .ok_or_else(|| ArchiveError::InvalidArgument("range outside the entry".into()))?;
        let frames = self.frames(entry)?;
        let frame_span = if entry.dir.split {
            FRAME_SIZE as u64
        } else {
            entry.dir.uncompressed_len.max(1)
        };
        let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut position = offset;
        while position < end {
            let frame = (position / frame_span) as usize;
            let bytes = self.read_frame(index, entry, frame as u32, frames[frame])?;
            let start = (position - frame as u64 * frame_span) as usize;
            let take = ((end - position) as usize).min(bytes.len() - start);
            out.extend_from_slice(&bytes[start..start + take]);
            position += take as u64;
        }
        Ok(out)
    }
}

/// Decompresses one zstd frame, which must yield exactly `expected` bytes (more is a decompression bomb),
/// appending them to `out`.
fn decompress(frame: &[u8], expected: u32, out: &mut Vec<u8>) -> Result<(), String> {
    let window = u64::from(expected).max(1 << 20);
    let mut source = frame;
    let decoder = StreamingDecoder::new_with_max_window_size(&mut source, window)
        .map_err(|e| e.to_string())?;
    let before = out.len();
    out.reserve(expected as usize);
    decoder
        .take(u64::from(expected) + 1)
        .read_to_end(out)
        .map_err(|e| e.to_string())?;
    let produced = out.len() - before;
    if produced != expected as usize {
        out.truncate(before);
        return Err(format!(
            "{produced} bytes where the directory says {expected}"
        ));
    }
    if !source.is_empty() {
        return Err("bytes after the frame".into());
    }
    Ok(())
}
