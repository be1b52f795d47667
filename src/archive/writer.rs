//! The streaming writer. Memory is bounded by one frame for split entries and by the split threshold for
//! the others. `finalize` consumes the writer; a writer dropped before it leaves no end record, so every
//! reader rejects the file.

use std::collections::HashSet;
use std::io::{Read, Write};

use ed25519_dalek::{Signer, SigningKey};
use ruzstd::encoding::{compress_to_vec, CompressionLevel};

use super::crypto::{derive, random, ArchiveKey, FrameCipher, UnitPosition, KEY_CHECK_POSITION};
use super::format::{
    encode_directory, encode_seek_table, is_valid_name_v2, DirEntry, EndRecord, EntryCheck, Header,
    KeyBlock, FLAG_ENCRYPTED, FLAG_SIGNED, MAX_SPLIT_THRESHOLD, VERSION,
};
use super::signature::signed_message_v2;
use super::{ArchiveError, DEFAULT_SPLIT_THRESHOLD, FRAME_SIZE};

/// How to write an archive.
#[derive(Debug)]
pub struct WriterOptions {
    /// Entries of at least this many bytes are split into 64 KiB frames (1 to 128 MiB).
    pub split_threshold: u64,
    /// Encrypt with this key or passphrase.
    pub key: Option<ArchiveKey>,
    /// Sign the archive (header, key block, directory with every entry's digest, end record) with this
    /// Ed25519 secret key (its 32-byte seed).
    pub signing_key: Option<zeroize::Zeroizing<[u8; 32]>>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            split_threshold: DEFAULT_SPLIT_THRESHOLD,
            key: None,
            signing_key: None,
        }
    }
}

/// Writes an archive to `W` entry by entry.
pub struct ArchiveWriter<W: Write> {
    sink: W,
    position: u64,
    split_threshold: u64,
    cipher: Option<FrameCipher>,
    frame_counter: u64,
    signing_key: Option<SigningKey>,
    entries: Vec<DirEntry>,
    /// Names in ASCII lower case: version 2 refuses names that differ only by case.
    names: HashSet<String>,
    /// The header and key block as written, which the signature covers.
    preamble: Vec<u8>,
    open_entry: Option<OpenEntry>,
}

/// An entry being written: the frame filling up, and what its directory record needs.
struct OpenEntry {
    name: String,
    len: u64,
    split: bool,
    frame_count: u32,
    /// Uncompressed bytes per frame (the whole entry when not split).
    frame_len: u64,
    data_offset: u64,
    next_frame: u32,
    remaining: u64,
    buffer: Vec<u8>,
    digest: Box<blake3::Hasher>,
    frames: Vec<(u32, u32)>,
}

impl OpenEntry {
    fn current_frame_len(&self) -> usize {
        let done = u64::from(self.next_frame) * self.frame_len;
        (self.len - done).min(self.frame_len) as usize
    }
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive: writes its header (and key block when encrypted).
    ///
    /// # Errors
    /// Invalid options, no randomness, key derivation or the sink fails.
    pub fn new(sink: W, options: WriterOptions) -> Result<Self, ArchiveError> {
        if !(1..=MAX_SPLIT_THRESHOLD).contains(&options.split_threshold) {
            return Err(ArchiveError::InvalidArgument(
                "the split threshold is 1 byte to 128 MiB".into(),
            ));
        }
        let mut flags = 0;
        if options.key.is_some() {
            flags |= FLAG_ENCRYPTED;
        }
        if options.signing_key.is_some() {
            flags |= FLAG_SIGNED;
        }
        let header = Header {
            version: VERSION,
            flags,
            split_threshold: options.split_threshold,
            archive_id: random::<16>()?,
        };
        let mut writer = ArchiveWriter {
            sink,
            position: 0,
            split_threshold: options.split_threshold,
            cipher: None,
            frame_counter: 0,
            signing_key: options
                .signing_key
                .map(|seed| SigningKey::from_bytes(&seed)),
            entries: Vec::new(),
            names: HashSet::new(),
            preamble: Vec::with_capacity(header.total_len()),
            open_entry: None,
        };
        writer.preamble.extend_from_slice(&header.encode());
        if let Some(key) = &options.key {
            let (kdf, params) = match key {
                ArchiveKey::Raw(_) => (
                    0,
                    super::Argon2Params {
                        m_cost: 0,
                        t_cost: 0,
                        p_cost: 0,
                    },
                ),
                ArchiveKey::Passphrase(_, params) => (1, *params),
            };
            let salt = random::<16>()?;
            let nonce_base = random::<12>()?;
            let derived = derive(key, &salt, params)?;
            let cipher = FrameCipher::new(&derived, nonce_base, header.archive_id);
            let sealed = cipher.seal(KEY_CHECK_POSITION, &[0u8; 32])?;
            let mut key_check = [0u8; 48];
            key_check.copy_from_slice(&sealed);
            let block = KeyBlock {
                kdf,
                params,
                salt,
                nonce_base,
                key_check,
            };
            writer.preamble.extend_from_slice(&block.encode());
            writer.cipher = Some(cipher);
        }
        let preamble = std::mem::take(&mut writer.preamble);
        writer.write(&preamble)?;
        writer.preamble = preamble;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.sink.write_all(bytes)?;
        self.position += bytes.len() as u64;
        Ok(())
    }

    /// Adds entry `name` of exactly `len` bytes read from `data`.
    ///
    /// # Errors
    /// As [`ArchiveWriter::begin_entry`], `data` yields fewer than `len` bytes, or the sink fails.
    pub fn add_entry(
        &mut self,
        name: &str,
        len: u64,
        mut data: impl Read,
    ) -> Result<(), ArchiveError> {
        self.begin_entry(name, len)?;
        let mut chunk = vec![0u8; FRAME_SIZE];
        let mut remaining = len;
        while remaining > 0 {
            let this_len = remaining.min(FRAME_SIZE as u64) as usize;
            data.read_exact(&mut chunk[..this_len])?;
            self.write_entry_data(&chunk[..this_len])?;
            remaining -= this_len as u64;
        }
        self.finish_entry()
    }

    /// Starts entry `name` of exactly `len` bytes, to be given by [`ArchiveWriter::write_entry_data`] and
    /// closed by [`ArchiveWriter::finish_entry`]. Frames reach the sink as they fill: memory is one frame
    /// (one entry when it is below the split threshold).
    ///
    /// # Errors
    /// An entry is still open, or the name breaks the naming rules (see `docs/archive-format.md`) or
    /// equals another ignoring ASCII case.
    pub fn begin_entry(&mut self, name: &str, len: u64) -> Result<(), ArchiveError> {
        if self.open_entry.is_some() {
            return Err(ArchiveError::InvalidArgument(
                "the previous entry is not finished".into(),
            ));
        }
        if !is_valid_name_v2(name) {
            return Err(ArchiveError::InvalidArgument(format!(
                "entry name {name:?}: 1 to 255 bytes of [A-Za-z0-9._-] components joined by '/'"
            )));
        }
        let split = len >= self.split_threshold;
        let frame_count = if split {
            len.div_ceil(FRAME_SIZE as u64)
        } else {
            1
        };
        let frame_count = u32::try_from(frame_count)
            .ok()
            .filter(|_| split || len <= u64::from(u32::MAX))
            .ok_or_else(|| ArchiveError::InvalidArgument("entry too large".into()))?;
        if !self.names.insert(name.to_ascii_lowercase()) {
            return Err(ArchiveError::InvalidArgument(format!(
                "duplicate entry {name:?}"
            )));
        }
        let frame_len = if split { FRAME_SIZE as u64 } else { len };
        self.open_entry = Some(OpenEntry {
            name: name.to_owned(),
            len,
            split,
            frame_count,
            frame_len,
            data_offset: self.position,
            next_frame: 0,
            remaining: len,
            buffer: Vec::with_capacity(frame_len.min(FRAME_SIZE as u64) as usize),
            digest: Box::default(),
            frames: Vec::new(),
        });
        Ok(())
    }

    /// Gives the open entry its next bytes.
    ///
    /// # Errors
    /// No entry is open, more bytes than it declared, or the sink fails.
    pub fn write_entry_data(&mut self, mut bytes: &[u8]) -> Result<(), ArchiveError> {
        let entry = self
            .open_entry
            .as_ref()
            .ok_or_else(|| ArchiveError::InvalidArgument("no entry is open".into()))?;
        if bytes.len() as u64 > entry.remaining {
            return Err(ArchiveError::InvalidArgument(format!(
                "more bytes than entry {:?} declared",
                entry.name
            )));
        }
        let Some(mut entry) = self.open_entry.take() else {
            return Ok(());
        };
        entry.remaining -= bytes.len() as u64;
        let mut result = Ok(());
        while !bytes.is_empty() && result.is_ok() {
            let this_frame = entry.current_frame_len();
            let take = (this_frame - entry.buffer.len()).min(bytes.len());
            entry.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if entry.buffer.len() == this_frame {
                result = self.emit_frame(&mut entry);
            }
        }
        self.open_entry = Some(entry);
        result
    }

    /// Closes the open entry: its last frame, its seek table when split, its directory record.
    ///
    /// # Errors
    /// No entry is open, fewer bytes than it declared, or the sink fails.
    pub fn finish_entry(&mut self) -> Result<(), ArchiveError> {
        let remaining = self
            .open_entry
            .as_ref()
            .ok_or_else(|| ArchiveError::InvalidArgument("no entry is open".into()))?
            .remaining;
        if remaining > 0 {
            return Err(ArchiveError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "an entry got fewer bytes than it declared",
            )));
        }
        let Some(mut entry) = self.open_entry.take() else {
            return Ok(());
        };
        if entry.len == 0 {
            // An empty entry is one frame of empty content.
            self.emit_frame(&mut entry)?;
        }
        if entry.split {
            let table = encode_seek_table(&entry.frames);
            entry.digest.update(&table);
            self.write(&table)?;
        }
        self.entries.push(DirEntry {
            name: entry.name,
            data_offset: entry.data_offset,
            data_len: self.position - entry.data_offset,
            uncompressed_len: entry.len,
            frame_count: entry.frame_count,
            split: entry.split,
            check: EntryCheck::Blake3(*entry.digest.finalize().as_bytes()),
        });
        Ok(())
    }

    fn emit_frame(&mut self, entry: &mut OpenEntry) -> Result<(), ArchiveError> {
        let plain_len = entry.buffer.len() as u32;
        let compressed = compress_to_vec(entry.buffer.as_slice(), CompressionLevel::Fastest);
        entry.buffer.clear();
        let frame = entry.next_frame;
        let stored = match &self.cipher {
            Some(cipher) => {
                let at = UnitPosition {
                    counter: self.frame_counter,
                    entry: self.entries.len() as u32,
                    frame,
                    last: frame + 1 == entry.frame_count,
                    plain_len,
                };
                cipher.seal(at, &compressed)?
            }
            None => compressed,
        };
        self.frame_counter += 1;
        entry.next_frame += 1;
        let stored_len = u32::try_from(stored.len())
            .map_err(|_| ArchiveError::InvalidArgument("frame too large".into()))?;
        entry.digest.update(&stored);
        self.write(&stored)?;
        if entry.split {
            entry.frames.push((stored_len, plain_len));
        }
        Ok(())
    }

    /// The sink, e.g. to take the bytes written so far out of a `Vec` between entries' pieces.
    pub fn sink_mut(&mut self) -> &mut W {
        &mut self.sink
    }

    /// Adds an entry from bytes in memory.
    ///
    /// # Errors
    /// As [`ArchiveWriter::add_entry`].
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.add_entry(name, bytes.len() as u64, bytes)
    }

    /// Writes the directory and the end record (and signature); returns the sink.
    ///
    /// # Errors
    /// The sink fails.
    pub fn finalize(mut self) -> Result<W, ArchiveError> {
        if self.open_entry.is_some() {
            return Err(ArchiveError::InvalidArgument(
                "the last entry is not finished".into(),
            ));
        }
        let directory = encode_directory(&self.entries);
        let end = EndRecord {
            directory_offset: self.position,
            directory_len: directory.len() as u64,
            entry_count: self.entries.len() as u32,
            directory_crc: crc32fast::hash(&directory),
            total_uncompressed: self.entries.iter().map(|e| e.uncompressed_len).sum(),
        }
        .encode();
        self.write(&directory)?;
        self.write(&end)?;
        if let Some(signing_key) = self.signing_key.take() {
            let signed = signed_message_v2(&self.preamble, &directory, &end);
            let signature = signing_key.sign(&signed);
            self.write(signing_key.verifying_key().as_bytes())?;
            self.write(&signature.to_bytes())?;
        }
        self.sink.flush()?;
        Ok(self.sink)
    }
}
