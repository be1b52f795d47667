//! Raw pages through the pager (SQLite's `sqlite_dbpage`): a backup reads a snapshot page by page, so that
//! it never holds a whole database image in memory. Pages pass through the pager, so an encrypted database
//! yields plaintext pages. (An import writes its image below the pager instead: `raw_file`.)

use super::connection::Connection;
use super::error::SqlResult;

/// Offset of the file format bytes in page 1 (write and read version: 1 rollback journal, 2 WAL).
const FORMAT_BYTES: std::ops::Range<usize> = 18..20;

/// Makes a database's first page (or image) say "rollback journal" where it says WAL: without its WAL the
/// database is a rollback-journal one, which its pages already are.
pub fn without_wal_header(first_page: &mut [u8]) {
    if first_page.get(FORMAT_BYTES) == Some(&[2, 2]) {
        first_page[FORMAT_BYTES].copy_from_slice(&[1, 1]);
    }
}

impl Connection {
    /// The `main` database's page size in bytes.
    ///
    /// # Errors
    /// SQLite cannot read the database.
    pub fn page_size(&self) -> SqlResult<u32> {
        self.query_value("PRAGMA page_size", &[])
    }

    /// The `main` database's page count.
    ///
    /// # Errors
    /// SQLite cannot read the database.
    pub fn page_count(&self) -> SqlResult<u32> {
        self.query_value("PRAGMA page_count", &[])
    }

    /// Page `pgno` (from 1) of `main`. Page 1 says "rollback journal" in its format bytes even when the
    /// database runs in WAL mode: the page stands alone, without its WAL.
    ///
    /// # Errors
    /// No such page, or SQLite cannot read it.
    pub fn read_page(&self, pgno: u32) -> SqlResult<Vec<u8>> {
        let mut statement =
            self.prepare_cached("SELECT data FROM sqlite_dbpage WHERE pgno = ?1")?;
        let mut page: Vec<u8> = statement.query_row(&[&i64::from(pgno)], |row| row.get(0))?;
        if pgno == 1 {
            without_wal_header(&mut page);
        }
        Ok(page)
    }
}
