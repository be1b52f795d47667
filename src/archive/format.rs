//! Byte layouts of `docs/archive-format.md`: header, key block, directory records, end record, seek table.
//! Encoding cannot fail; decoding checks every field it reads.

use super::ArchiveError;

pub(super) const MAGIC: &[u8; 8] = b"MWSARCH1";
pub(super) const END_MAGIC: &[u8; 8] = b"MWSAEND1";
/// The version this build writes. It reads [`VERSION_1`] too.
pub(super) const VERSION: u16 = 2;
pub(super) const VERSION_1: u16 = 1;
pub(super) const HEADER_LEN: usize = 64;
pub(super) const KEY_BLOCK_LEN: usize = 96;
pub(super) const END_LEN: usize = 64;
pub(super) const SIGNATURE_LEN: usize = 96;
pub(super) const FLAG_ENCRYPTED: u16 = 1;
pub(super) const FLAG_SIGNED: u16 = 2;
pub(super) const MAX_NAME_LEN: usize = 1024;
/// Version 2 names: at most this many bytes of `[A-Za-z0-9._-]` components joined by `/`.
pub(super) const MAX_NAME_LEN_V2: usize = 255;
/// Version 2 bounds the split threshold so that a single-frame entry's zstd window stays within what
/// standard decoders accept by default (128 MiB).
pub(super) const MAX_SPLIT_THRESHOLD: u64 = 128 << 20;
/// Prefix of the message a version 2 signature signs, so that it means nothing in another protocol.
pub(super) const SIGNATURE_CONTEXT_V2: &[u8] = b"mls-web-store archive v2 signature\0";
const SKIPPABLE_MAGIC: u32 = 0x184D_2A5E;
const SEEKABLE_MAGIC: u32 = 0x8F92_EAB1;

fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

fn corrupt(what: impl Into<String>) -> ArchiveError {
    ArchiveError::Corrupt(what.into())
}

/// Little-endian field reader over a checked slice.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, at: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ArchiveError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| corrupt("a record runs past its structure"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ArchiveError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, ArchiveError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, ArchiveError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, ArchiveError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ArchiveError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    pub version: u16,
    pub flags: u16,
    pub split_threshold: u64,
    pub archive_id: [u8; 16],
}

impl Header {
    pub fn encrypted(&self) -> bool {
        self.flags & FLAG_ENCRYPTED != 0
    }
    pub fn signed(&self) -> bool {
        self.flags & FLAG_SIGNED != 0
    }
    pub fn total_len(&self) -> usize {
        HEADER_LEN + if self.encrypted() { KEY_BLOCK_LEN } else { 0 }
    }

    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(MAGIC);
        out[8..10].copy_from_slice(&self.version.to_le_bytes());
        out[10..12].copy_from_slice(&self.flags.to_le_bytes());
        out[12..16].copy_from_slice(&(self.total_len() as u32).to_le_bytes());
        out[16..20].copy_from_slice(&(super::FRAME_SIZE as u32).to_le_bytes());
        out[20..28].copy_from_slice(&self.split_threshold.to_le_bytes());
        out[28..44].copy_from_slice(&self.archive_id);
        let checksum = crc(&out[..60]);
        out[60..64].copy_from_slice(&checksum.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Header, ArchiveError> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(if bytes.len() < 8 {
                ArchiveError::Truncated("header")
            } else {
                ArchiveError::BadMagic
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(ArchiveError::Truncated("header"));
        }
        let mut f = Fields::new(&bytes[..HEADER_LEN]);
        f.take(8)?;
        let version = f.u16()?;
        if version != VERSION && version != VERSION_1 {
            return Err(ArchiveError::UnsupportedVersion(version));
        }
        let flags = f.u16()?;
        let header_len = f.u32()?;
        let frame_size = f.u32()?;
        let split_threshold = f.u64()?;
        let archive_id = f.array::<16>()?;
        let reserved = f.take(16)?;
        let stored_crc = f.u32()?;
        if stored_crc != crc(&bytes[..60]) {
            return Err(corrupt("header checksum mismatch"));
        }
        if flags & !(FLAG_ENCRYPTED | FLAG_SIGNED) != 0 || reserved.iter().any(|b| *b != 0) {
            return Err(corrupt("unknown header flags or reserved bytes set"));
        }
        let header = Header {
            version,
            flags,
            split_threshold,
            archive_id,
        };
        if header_len as usize != header.total_len() || frame_size as usize != super::FRAME_SIZE {
            return Err(corrupt("header length or frame size is not the format's"));
        }
        if split_threshold == 0 || (version == VERSION && split_threshold > MAX_SPLIT_THRESHOLD) {
            return Err(corrupt("split threshold out of range"));
        }
        Ok(header)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct KeyBlock {
    pub kdf: u8,
    pub params: super::Argon2Params,
    pub salt: [u8; 16],
    pub nonce_base: [u8; 12],
    pub key_check: [u8; 48],
}

impl KeyBlock {
    pub fn encode(&self) -> [u8; KEY_BLOCK_LEN] {
        let mut out = [0u8; KEY_BLOCK_LEN];
        out[0] = self.kdf;
        out[4..8].copy_from_slice(&self.params.m_cost.to_le_bytes());
        out[8..12].copy_from_slice(&self.params.t_cost.to_le_bytes());
        out[12..16].copy_from_slice(&self.params.p_cost.to_le_bytes());
        out[16..32].copy_from_slice(&self.salt);
        out[32..44].copy_from_slice(&self.nonce_base);
        out[44..92].copy_from_slice(&self.key_check);
        let checksum = crc(&out[..92]);
        out[92..96].copy_from_slice(&checksum.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<KeyBlock, ArchiveError> {
        if bytes.len() < KEY_BLOCK_LEN {
            return Err(ArchiveError::Truncated("key block"));
        }
        let mut f = Fields::new(&bytes[..KEY_BLOCK_LEN]);
        let kdf = f.u8()?;
        let reserved = f.take(3)?;
        let params = super::Argon2Params {
            m_cost: f.u32()?,
            t_cost: f.u32()?,
            p_cost: f.u32()?,
        };
        let salt = f.array()?;
        let nonce_base = f.array()?;
        let key_check = f.array()?;
        if f.u32()? != crc(&bytes[..92]) {
            return Err(corrupt("key block checksum mismatch"));
        }
        if kdf > 1 || reserved.iter().any(|b| *b != 0) {
            return Err(corrupt("unknown key derivation"));
        }
        Ok(KeyBlock {
            kdf,
            params,
            salt,
            nonce_base,
            key_check,
        })
    }
}

/// How an entry's stored data is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EntryCheck {
    /// Version 1: CRC-32 of the uncompressed bytes and of the stored data (frames and seek table).
    Crc32 { content: u32, stored: u32 },
    /// Version 2: BLAKE3 of the stored data, which the signature covers through the directory.
    Blake3([u8; 32]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirEntry {
    pub name: String,
    pub data_offset: u64,
    pub data_len: u64,
    pub uncompressed_len: u64,
    pub frame_count: u32,
    pub split: bool,
    pub check: EntryCheck,
}

/// Whether `name` follows version 2's rules: 1 to 255 bytes, components of `[A-Za-z0-9._-]` joined by
/// `/`, none empty, `.` or `..`. Safe as a path on every system and unambiguous to compare.
pub(super) fn is_valid_name_v2(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN_V2
        && name.split('/').all(|component| {
            !component.is_empty()
                && component != "."
                && component != ".."
                && component
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

pub(super) fn encode_directory(entries: &[DirEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&entry.data_offset.to_le_bytes());
        out.extend_from_slice(&entry.data_len.to_le_bytes());
        out.extend_from_slice(&entry.uncompressed_len.to_le_bytes());
        match entry.check {
            EntryCheck::Crc32 { content, stored } => {
                out.extend_from_slice(&content.to_le_bytes());
                out.extend_from_slice(&stored.to_le_bytes());
                out.extend_from_slice(&entry.frame_count.to_le_bytes());
                out.push(u8::from(entry.split));
            }
            EntryCheck::Blake3(digest) => {
                out.extend_from_slice(&entry.frame_count.to_le_bytes());
                out.push(u8::from(entry.split));
                out.extend_from_slice(&digest);
            }
        }
    }
    out
}

pub(super) fn decode_directory(
    bytes: &[u8],
    count: u32,
    version: u16,
) -> Result<Vec<DirEntry>, ArchiveError> {
    let mut f = Fields::new(bytes);
    // Each record is at least 40 bytes: `count` cannot make this allocation exceed the directory's size.
    let mut entries = Vec::with_capacity((count as usize).min(bytes.len() / 40));
    for _ in 0..count {
        let name_len = f.u16()? as usize;
        if name_len == 0 || name_len > MAX_NAME_LEN {
            return Err(corrupt("entry name length out of range"));
        }
        let name = std::str::from_utf8(f.take(name_len)?)
            .map_err(|_| corrupt("entry name is not UTF-8"))?
            .to_owned();
        if version == VERSION && !is_valid_name_v2(&name) {
            return Err(corrupt(format!(
                "entry name {name:?} breaks the naming rules"
            )));
        }
        let data_offset = f.u64()?;
        let data_len = f.u64()?;
        let uncompressed_len = f.u64()?;
        let crcs = if version == VERSION_1 {
            Some((f.u32()?, f.u32()?))
        } else {
            None
        };
        let frame_count = f.u32()?;
        let split = match f.u8()? {
            0 => false,
            1 => true,
            _ => return Err(corrupt("unknown entry flags")),
        };
        let check = match crcs {
            Some((content, stored)) => EntryCheck::Crc32 { content, stored },
            None => EntryCheck::Blake3(f.array()?),
        };
        let entry = DirEntry {
            name,
            data_offset,
            data_len,
            uncompressed_len,
            frame_count,
            split,
            check,
        };
        entries.push(entry);
    }
    if f.at != bytes.len() {
        return Err(corrupt("bytes after the last directory record"));
    }
    Ok(entries)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EndRecord {
    pub directory_offset: u64,
    pub directory_len: u64,
    pub entry_count: u32,
    pub directory_crc: u32,
    pub total_uncompressed: u64,
}

impl EndRecord {
    pub fn encode(&self) -> [u8; END_LEN] {
        let mut out = [0u8; END_LEN];
        out[..8].copy_from_slice(END_MAGIC);
        out[8..16].copy_from_slice(&self.directory_offset.to_le_bytes());
        out[16..24].copy_from_slice(&self.directory_len.to_le_bytes());
        out[24..28].copy_from_slice(&self.entry_count.to_le_bytes());
        out[28..32].copy_from_slice(&self.directory_crc.to_le_bytes());
        out[32..40].copy_from_slice(&self.total_uncompressed.to_le_bytes());
        let checksum = crc(&out[..60]);
        out[60..64].copy_from_slice(&checksum.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<EndRecord, ArchiveError> {
        if bytes.len() < END_LEN {
            return Err(ArchiveError::Truncated("end record"));
        }
        let mut f = Fields::new(&bytes[..END_LEN]);
        if f.take(8)? != END_MAGIC {
            return Err(ArchiveError::Truncated(
                "end record (missing: the writer never finished)",
            ));
        }
        let record = EndRecord {
            directory_offset: f.u64()?,
            directory_len: f.u64()?,
            entry_count: f.u32()?,
            directory_crc: f.u32()?,
            total_uncompressed: f.u64()?,
        };
        let reserved = f.take(20)?;
        if f.u32()? != crc(&bytes[..60]) || reserved.iter().any(|b| *b != 0) {
            return Err(corrupt("end record checksum mismatch"));
        }
        Ok(record)
    }
}

/// The zstd seekable-format seek table of a split entry: (stored size, decompressed size) per frame.
pub(super) fn encode_seek_table(frames: &[(u32, u32)]) -> Vec<u8> {
    let content_len = frames.len() * 8 + 9;
    let mut out = Vec::with_capacity(content_len + 8);
    out.extend_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
    out.extend_from_slice(&(content_len as u32).to_le_bytes());
    for (stored, plain) in frames {
        out.extend_from_slice(&stored.to_le_bytes());
        out.extend_from_slice(&plain.to_le_bytes());
    }
    out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    out.push(0);
    out.extend_from_slice(&SEEKABLE_MAGIC.to_le_bytes());
    out
}

/// Length of the seek table of `frame_count` frames.
pub(super) fn seek_table_len(frame_count: u32) -> u64 {
    8 + u64::from(frame_count) * 8 + 9
}

pub(super) fn decode_seek_table(
    bytes: &[u8],
    frame_count: u32,
) -> Result<Vec<(u32, u32)>, ArchiveError> {
    if bytes.len() as u64 != seek_table_len(frame_count) {
        return Err(corrupt("seek table length"));
    }
    let mut f = Fields::new(bytes);
    if f.u32()? != SKIPPABLE_MAGIC || f.u32()? as usize != bytes.len() - 8 {
        return Err(corrupt("seek table header"));
    }
    let mut frames = Vec::with_capacity(frame_count as usize);
    for _ in 0..frame_count {
        frames.push((f.u32()?, f.u32()?));
    }
    if f.u32()? != frame_count || f.u8()? != 0 || f.u32()? != SEEKABLE_MAGIC {
        return Err(corrupt("seek table footer"));
    }
    Ok(frames)
}
