//! Whole-database operations on a connection: encryption keys (SQLite3 Multiple Ciphers), images
//! (serialize / deserialize) and page-by-page replacement (SQLite's online backup). Backups and imports are
//! built on these.

use std::ptr;

use sqlite_wasm_rs as ffi;

use super::connection::Connection;
use super::error::{SqlError, SqlResult};

impl Connection {
    /// Sets the key of an encrypted database (SQLite3 Multiple Ciphers, ChaCha20-Poly1305) before its first
    /// read. The key is used as is, without a key-derivation step: it must be 32 random bytes. A wrong key
    /// shows at the first read, as `SQLITE_NOTADB`.
    ///
    /// # Errors
    /// SQLite refuses the key (the connection was opened without the encryption VFS shim).
    pub fn key(&self, key: &[u8; 32]) -> SqlResult<()> {
        let raw = raw_key(key);
        // SAFETY: the handle is open; "main" is NUL-terminated; `raw` is valid for its length during the call.
        let rc = unsafe {
            ffi::sqlite3_key_v2(
                self.db.as_ptr(),
                c"main".as_ptr(),
                raw.as_ptr().cast(),
                raw.len() as i32,
            )
        };
        self.check(rc, "PRAGMA key")
    }

    /// Re-encrypts the database with `key`, or decrypts it when `None`. Must run outside a transaction and,
    /// for SQLite3 Multiple Ciphers, outside WAL mode.
    ///
    /// # Errors
    /// SQLite refuses (a transaction is open, the journal mode is WAL, or storage fails).
    pub fn rekey(&self, key: Option<&[u8; 32]>) -> SqlResult<()> {
        let raw = key.map(raw_key).unwrap_or_default();
        // SAFETY: as in `key`; an empty key (null pointer, length 0) removes the encryption.
        let rc = unsafe {
            ffi::sqlite3_rekey_v2(
                self.db.as_ptr(),
                c"main".as_ptr(),
                if raw.is_empty() {
                    ptr::null()
                } else {
                    raw.as_ptr().cast()
                },
                raw.len() as i32,
            )
        };
        self.check(rc, "PRAGMA rekey")
    }

    /// A copy of the whole `main` database as it is now (a consistent snapshot: this connection is the only
    /// writer, and the copy is taken in one call). Pages come through the pager, so an encrypted database
    /// yields its plaintext.
    ///
    /// # Errors
    /// SQLite cannot read the database or allocate the copy.
    pub fn serialize(&self) -> SqlResult<Vec<u8>> {
        let mut size: i64 = 0;
        // SAFETY: the handle is open, "main" is NUL-terminated, `size` is a valid out-pointer; flags 0 ask
        // for a fresh sqlite3_malloc'ed copy, which is freed below after it was copied.
        let raw =
            unsafe { ffi::sqlite3_serialize(self.db.as_ptr(), c"main".as_ptr(), &mut size, 0) };
        if raw.is_null() {
            return Err(self.error_for(ffi::SQLITE_NOMEM, Some("serialize")));
        }
        let len = usize::try_from(size).unwrap_or(0);
        // SAFETY: SQLite returned a buffer of `size` bytes that stays valid until freed.
        let mut copy = unsafe { std::slice::from_raw_parts(raw, len) }.to_vec();
        // The image stands alone: without its WAL it is a rollback-journal database (header bytes 18-19).
        if copy.len() >= 20 && copy[18] == 2 && copy[19] == 2 {
            copy[18] = 1;
            copy[19] = 1;
        }
        // SAFETY: `raw` came from sqlite3_serialize without SQLITE_SERIALIZE_NOCOPY, so the caller frees it.
        unsafe { ffi::sqlite3_free(raw.cast()) };
        Ok(copy)
    }

    /// An in-memory database holding `bytes` (a database image), independent of every VFS and file.
    ///
    /// # Errors
    /// The bytes are not a database SQLite accepts, or memory runs out.
    pub fn open_image(bytes: &[u8]) -> SqlResult<Connection> {
        let conn = Self::open(":memory:", "memvfs")?;
        let len =
            i64::try_from(bytes.len()).map_err(|_| SqlError::InvalidArgument("image too large"))?;
        // SAFETY: allocating with SQLite's allocator, as sqlite3_deserialize with FREEONCLOSE requires.
        let buffer = unsafe { ffi::sqlite3_malloc64(bytes.len().max(1) as u64) }.cast::<u8>();
        if buffer.is_null() {
            return Err(conn.error_for(ffi::SQLITE_NOMEM, Some("deserialize")));
        }
        // SAFETY: `buffer` has room for `bytes.len()` bytes and does not overlap `bytes`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), buffer, bytes.len()) };
        if bytes.len() >= 20 {
            // An image of a WAL database says so in its header (bytes 18-19 = 2); an in-memory database
            // cannot have a WAL, so mark it as a rollback-journal database, which its pages already are.
            // SAFETY: offsets 18 and 19 are within the `bytes.len()` bytes just written.
            unsafe {
                if *buffer.add(18) == 2 && *buffer.add(19) == 2 {
                    *buffer.add(18) = 1;
                    *buffer.add(19) = 1;
                }
            }
        }
        // SAFETY: the handle is open; SQLite takes ownership of `buffer` (FREEONCLOSE), also on failure.
        let rc = unsafe {
            ffi::sqlite3_deserialize(
                conn.db.as_ptr(),
                c"main".as_ptr(),
                buffer,
                len,
                len,
                ffi::SQLITE_DESERIALIZE_FREEONCLOSE | ffi::SQLITE_DESERIALIZE_RESIZEABLE,
            )
        };
        conn.check(rc, "deserialize")?;
        Ok(conn)
    }

    /// Replaces this connection's `main` database with `source`'s, page by page, in one write transaction
    /// (SQLite's online backup): on failure nothing of `main` changed.
    ///
    /// # Errors
    /// A transaction is open here, or the copy fails.
    pub fn replace_with(&self, source: &Connection) -> SqlResult<()> {
        // SAFETY: both handles are open and distinct; the names are NUL-terminated.
        let backup = unsafe {
            ffi::sqlite3_backup_init(
                self.db.as_ptr(),
                c"main".as_ptr(),
                source.db.as_ptr(),
                c"main".as_ptr(),
            )
        };
        if backup.is_null() {
            return Err(self.error_for(ffi::SQLITE_ERROR, Some("backup")));
        }
        // SAFETY: `backup` is live until finished below; -1 copies every page in one step.
        let step = unsafe { ffi::sqlite3_backup_step(backup, -1) };
        // SAFETY: finishing releases `backup`, which is not used afterwards.
        let finish = unsafe { ffi::sqlite3_backup_finish(backup) };
        self.cache.borrow_mut().clear();
        if step != ffi::SQLITE_DONE {
            return Err(self.error_for(step, Some("backup")));
        }
        self.check(finish, "backup")
    }
}

/// `x'<64 hex digits>'`: SQLite3 Multiple Ciphers' form for a raw key (no key derivation). Wiped on drop.
fn raw_key(key: &[u8; 32]) -> zeroize::Zeroizing<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(67));
    raw.extend_from_slice(b"x'");
    for byte in key {
        raw.push(HEX[usize::from(byte >> 4)]);
        raw.push(HEX[usize::from(byte & 0x0f)]);
    }
    raw.push(b'\'');
    raw
}
