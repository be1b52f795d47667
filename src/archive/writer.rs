//! The streaming writer. Memory is bounded by one frame for split entries and by the split threshold for
//! the others. `finalize` consumes the writer; a writer dropped before it leaves no end record, so every
//! reader rejects the file.

use std::collections::HashSet;
use std::io::{Read, Write};

use ed25519_dalek::{Signer, SigningKey};
use ruzstd::encoding::{compress_to_vec, CompressionLevel};
use sha2::{Digest, Sha256};

use super::crypto::{derive, random, ArchiveKey, FrameCipher, UnitPosition, KEY_CHECK_POSITION};
use super::format::{
    encode_directory, encode_seek_table, is_valid_name_v2, DirEntry, EndRecord, Header, KeyBlock,
    FLAG_ENCRYPTED, FLAG_SIGNED, MAX_SPLIT_THRESHOLD, VERSION,
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
    /// A name that breaks the naming rules (see `docs/archive-format.md`) or equals another ignoring
    /// ASCII case, `data` yields fewer than `len` bytes, or the sink fails.
    pub fn add_entry(
        &mut self,
        name: &str,
        len: u64,
        mut data: impl Read,
    ) -> Result<(), ArchiveError> {
        if !is_valid_name_v2(name) {
            return Err(ArchiveError::InvalidArgument(format!(
                "entry name {name:?}: 1 to 255 bytes of [A-Za-z0-9._-] components joined by '/'"
            )));
        }
        if !self.names.insert(name.to_ascii_lowercase()) {
            return Err(ArchiveError::InvalidArgument(format!(
                "duplicate entry {name:?}"
            )));
        }
        let entry_index = self.entries.len() as u32;
        let split = len >= self.split_threshold;
        let frame_len = if split { FRAME_SIZE as u64 } else { len.max(1) };
        let frame_count = if split {
            len.div_ceil(FRAME_SIZE as u64)
        } else {
            1
        };
        let frame_count = u32::try_from(frame_count)
            .map_err(|_| ArchiveError::InvalidArgument("entry too large".into()))?;
        let data_offset = self.position;
        let mut crc = crc32fast::Hasher::new();
        let mut stored_crc = crc32fast::Hasher::new();
        let mut stored_sha256 = Sha256::new();
        let mut frames = Vec::with_capacity(if split { frame_count as usize } else { 0 });
        let mut remaining = len;
        for frame_index in 0..frame_count {
            let this_len = remaining.min(frame_len) as usize;
            let mut chunk = vec![0u8; this_len];
            data.read_exact(&mut chunk)?;
            remaining -= this_len as u64;
            crc.update(&chunk);
            let compressed = compress_to_vec(chunk.as_slice(), CompressionLevel::Fastest);
            let stored = match &self.cipher {
                Some(cipher) => {
                    let at = UnitPosition {
                        counter: self.frame_counter,
                        entry: entry_index,
                        frame: frame_index,
                        last: frame_index + 1 == frame_count,
                        plain_len: this_len as u32,
                    };
                    cipher.seal(at, &compressed)?
                }
                None => compressed,
            };
            self.frame_counter += 1;
            let stored_len = u32::try_from(stored.len())
                .map_err(|_| ArchiveError::InvalidArgument("frame too large".into()))?;
            stored_crc.update(&stored);
            stored_sha256.update(&stored);
            self.write(&stored)?;
            if split {
                frames.push((stored_len, this_len as u32));
            }
        }
        if split {
            let table = encode_seek_table(&frames);
            stored_crc.update(&table);
            stored_sha256.update(&table);
            self.write(&table)?;
        }
        self.entries.push(DirEntry {
            name: name.to_owned(),
            data_offset,
            data_len: self.position - data_offset,
            uncompressed_len: len,
            crc32: crc.finalize(),
            stored_crc32: stored_crc.finalize(),
            frame_count,
            split,
            stored_sha256: Some(stored_sha256.finalize().into()),
        });
        Ok(())
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
