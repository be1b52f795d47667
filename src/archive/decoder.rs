//! Streaming an entry's data through its checks: the stored bytes go in, in file order and in pieces of
//! any size; each frame is authenticated (when encrypted) and decompressed as soon as it is complete; the
//! entry's digest (version 1: CRC-32s) is compared at the end. Memory is one frame, whatever the entry's size.

use std::io::Read;

use ruzstd::decoding::StreamingDecoder;

use super::crypto::UnitPosition;
use super::format::EntryCheck;
use super::index::{ArchiveIndex, EntryLayout, FramePosition};
use super::ArchiveError;

enum Running {
    Blake3(Box<blake3::Hasher>),
    Crc32 {
        stored: crc32fast::Hasher,
        content: crc32fast::Hasher,
    },
    /// The whole stored data was checked before decoding: only version 1's content CRC-32 is left.
    CheckedUpFront {
        content: Option<crc32fast::Hasher>,
    },
}

/// Decodes one entry from its stored bytes; see the module docs.
pub struct EntryDecoder<'i> {
    index: &'i ArchiveIndex,
    entry: usize,
    frames: Vec<FramePosition>,
    next_frame: usize,
    /// The stored bytes of a frame that arrived in pieces.
    pending: Vec<u8>,
    /// File offset of the next stored byte expected, and of the end of the entry's data.
    position: u64,
    end: u64,
    running: Running,
}

impl ArchiveIndex {
    /// A decoder for the entry at `layout`; a split entry needs its seek table's bytes first.
    ///
    /// # Errors
    /// A missing or malformed seek table.
    pub fn decoder(
        &self,
        layout: &EntryLayout,
        seek_table: Option<&[u8]>,
    ) -> Result<EntryDecoder<'_>, ArchiveError> {
        let frames = self.frames(layout, seek_table)?;
        let running = match self.entries[layout.index].dir.check {
            EntryCheck::Blake3(_) => Running::Blake3(Box::default()),
            EntryCheck::Crc32 { .. } => Running::Crc32 {
                stored: crc32fast::Hasher::new(),
                content: crc32fast::Hasher::new(),
            },
        };
        Ok(EntryDecoder {
            index: self,
            entry: layout.index,
            frames,
            next_frame: 0,
            pending: Vec::new(),
            position: layout.data.start,
            end: layout.data.end,
            running,
        })
    }

    /// A decoder for the entry at `layout` whose whole stored data, `stored`, is checked against its digest
    /// (version 1: its stored CRC-32) before anything is decoded, so that altered data is reported as such
    /// even where it would also fail to decode; the decoder then does not hash it again.
    ///
    /// # Errors
    /// The stored data does not match, or a missing or malformed seek table.
    pub(super) fn decoder_checked_up_front(
        &self,
        layout: &EntryLayout,
        seek_table: Option<&[u8]>,
        stored: &[u8],
    ) -> Result<EntryDecoder<'_>, ArchiveError> {
        let dir = &self.entries[layout.index].dir;
        let content = match dir.check {
            EntryCheck::Blake3(expected) if *blake3::hash(stored).as_bytes() != expected => {
                return Err(ArchiveError::DigestMismatch(dir.name.clone()));
            }
            EntryCheck::Crc32 {
                stored: expected, ..
            } if crc32fast::hash(stored) != expected => {
                return Err(ArchiveError::CrcMismatch(dir.name.clone()));
            }
            EntryCheck::Blake3(_) => None,
            EntryCheck::Crc32 { .. } => Some(crc32fast::Hasher::new()),
        };
        let mut decoder = self.decoder(layout, seek_table)?;
        decoder.running = Running::CheckedUpFront { content };
        Ok(decoder)
    }

    /// Authenticates (when encrypted) and decompresses frame `frame` of entry `entry`, appending its bytes
    /// to `out`.
    pub(super) fn decode_frame(
        &self,
        entry: usize,
        frame: u32,
        stored: &[u8],
        plain_len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), ArchiveError> {
        let record = &self.entries[entry];
        let name = || record.dir.name.clone();
        let opened;
        let compressed = match &self.cipher {
            Some(cipher) => {
                let at = UnitPosition {
                    counter: record.first_frame + u64::from(frame),
                    entry: entry as u32,
                    frame,
                    last: frame + 1 == record.dir.frame_count,
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
}

impl EntryDecoder<'_> {
    /// Feeds the entry's next stored bytes (in file order, starting at the layout's `data.start`), appending
    /// the bytes of every frame they complete to `out`.
    ///
    /// # Errors
    /// More bytes than the entry has, or a frame fails its tag or does not decompress to its size.
    pub fn push(&mut self, mut stored: &[u8], out: &mut Vec<u8>) -> Result<(), ArchiveError> {
        let after = self
            .position
            .checked_add(stored.len() as u64)
            .filter(|after| *after <= self.end)
            .ok_or_else(|| {
                ArchiveError::InvalidArgument("more bytes than the entry's data".into())
            })?;
        self.position = after;
        match &mut self.running {
            Running::Blake3(hasher) => {
                hasher.update(stored);
            }
            Running::Crc32 { stored: crc, .. } => crc.update(stored),
            Running::CheckedUpFront { .. } => {}
        }
        while !stored.is_empty() && self.next_frame < self.frames.len() {
            let (_, stored_len, plain_len) = self.frames[self.next_frame];
            let stored_len = stored_len as usize;
            let before = out.len();
            if self.pending.is_empty() && stored.len() >= stored_len {
                let (frame, rest) = stored.split_at(stored_len);
                self.decode(frame, plain_len, out)?;
                stored = rest;
            } else {
                let take = (stored_len - self.pending.len()).min(stored.len());
                self.pending.extend_from_slice(&stored[..take]);
                stored = &stored[take..];
                if self.pending.len() < stored_len {
                    break;
                }
                let frame = std::mem::take(&mut self.pending);
                self.decode(&frame, plain_len, out)?;
            }
            if let Running::Crc32 { content, .. }
            | Running::CheckedUpFront {
                content: Some(content),
            } = &mut self.running
            {
                content.update(&out[before..]);
            }
        }
        // Whatever follows the last frame is the seek table, already read and checked: hashed only.
        Ok(())
    }

    fn decode(
        &mut self,
        frame: &[u8],
        plain_len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), ArchiveError> {
        let number = self.next_frame as u32;
        self.next_frame += 1;
        self.index
            .decode_frame(self.entry, number, frame, plain_len, out)
    }

    /// Checks, once every stored byte went in, that the entry matches its digest (version 1: CRC-32s).
    ///
    /// # Errors
    /// Bytes are missing, or the digest does not match: the data was altered.
    pub fn finish(self) -> Result<(), ArchiveError> {
        if self.position != self.end || self.next_frame != self.frames.len() {
            return Err(ArchiveError::Truncated("entry data"));
        }
        let dir = &self.index.entries[self.entry].dir;
        match (self.running, dir.check) {
            (Running::Blake3(hasher), EntryCheck::Blake3(expected)) => {
                if *hasher.finalize().as_bytes() != expected {
                    return Err(ArchiveError::DigestMismatch(dir.name.clone()));
                }
            }
            (
                Running::Crc32 { stored, content },
                EntryCheck::Crc32 {
                    content: c,
                    stored: s,
                },
            ) => {
                if stored.finalize() != s || content.finalize() != c {
                    return Err(ArchiveError::CrcMismatch(dir.name.clone()));
                }
            }
            (Running::CheckedUpFront { content: None }, EntryCheck::Blake3(_)) => {}
            (
                Running::CheckedUpFront {
                    content: Some(content),
                },
                EntryCheck::Crc32 { content: c, .. },
            ) => {
                if content.finalize() != c {
                    return Err(ArchiveError::CrcMismatch(dir.name.clone()));
                }
            }
            _ => {
                return Err(ArchiveError::InvalidArgument(
                    "decoder of another entry".into(),
                ))
            }
        }
        Ok(())
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
