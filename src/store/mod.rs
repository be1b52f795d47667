//! A store: one SQLite database on one backend, migrated to this build's schema when opened. The store is the
//! composition root: it owns the connection, the key and the MLS group cache, and hands the domains (chat,
//! MLS, key-value, backups; `domains.rs`) what they need. No domain depends on it.
//!
//! Opening never silently degrades: an unavailable backend, a corrupt file or a schema this build does not
//! understand is a typed [`StoreError`], and the file is left as it was.

mod config;
mod domains;
mod error;
mod key;
mod open;

use std::cell::RefCell;

pub use crate::kv::MAX_KV_VALUE_LEN;
pub use crate::vfs::open_store_names;
pub use config::{
    JournalMode, StoreConfig, Synchronous, DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_PAGE_CACHE_BYTES,
    NO_MEMORY_LIMIT,
};
pub use error::StoreError;
pub use key::{relay_key_check, InvalidKeyLength, StoreKey};
pub use open::delete_store;

use crate::backend::{Backend, BackendChoice, BackendReason};
use crate::platform::now_ms;
use crate::schema::MIGRATIONS;
use crate::sql::migrate::{self, AppliedMigration, MigrationReport};
use crate::sql::Connection;
use crate::vfs::{self, VfsError};

/// With a key given, "not a database" at the first read means the key does not open it.
fn wrong_key(error: crate::sql::SqlError, keyed: bool) -> StoreError {
    if keyed && error.sqlite_code() == Some(crate::sql::codes::NOTADB) {
        StoreError::WrongKey
    } else {
        StoreError::from(error)
    }
}

/// An open store.
pub struct Store {
    conn: Connection,
    name: String,
    backend: Backend,
    backend_reason: BackendReason,
    journal_mode: JournalMode,
    /// The memory limit of an IndexedDB store (see [`StoreConfig::memory_limit_bytes`]).
    memory_limit: Option<u64>,
    /// The IndexedDB link of an IndexedDB store.
    idb: Option<vfs::idb::IdbFile>,
    /// The database key, kept (zeroized on drop) to encrypt what an import brings in.
    key: RefCell<Option<StoreKey>>,
    mls_groups: crate::mls::GroupCache,
    _registration: vfs::OpenRegistration,
}

impl Store {
    /// Opens (creating if needed) store `name` on `choice` with the default configuration, and migrates it to
    /// this build's schema.
    ///
    /// # Errors
    /// See [`Store::open_with`].
    pub async fn open(name: &str, choice: BackendChoice) -> Result<Store, StoreError> {
        Self::open_with(name, choice, StoreConfig::default()).await
    }

    /// Opens store `name` with explicit connection settings, unencrypted.
    ///
    /// # Errors
    /// See [`Store::open_with_key`].
    pub async fn open_with(
        name: &str,
        choice: BackendChoice,
        config: StoreConfig,
    ) -> Result<Store, StoreError> {
        Self::open_with_key(name, choice, config, None).await
    }

    /// Encrypts the database with `key`, re-encrypts it with a new key, or (with `None`) decrypts it. The
    /// whole file is rewritten in one step; a crash during it leaves the old or the new state.
    ///
    /// # Errors
    /// A transaction is open, or storage fails (the database keeps its old key then).
    pub fn rekey(&self, key: Option<&StoreKey>) -> Result<(), StoreError> {
        // SQLite3 Multiple Ciphers cannot rekey a database in WAL mode: leave it for the rewrite.
        let wal = self.journal_mode == JournalMode::Wal;
        if wal {
            self.conn.execute_batch("PRAGMA journal_mode = TRUNCATE")?;
        }
        let result = self.conn.rekey(key.map(StoreKey::bytes));
        if wal {
            self.conn.execute_batch("PRAGMA journal_mode = WAL")?;
        }
        result?;
        *self.key.borrow_mut() = key.map(StoreKey::duplicate);
        Ok(())
    }

    /// Whether the database is encrypted (opened with a key, or rekeyed to one).
    pub fn is_encrypted(&self) -> bool {
        self.key.borrow().is_some()
    }

    /// A copy of the database key, if the store is encrypted.
    pub(crate) fn key_copy(&self) -> Option<StoreKey> {
        self.key.borrow().as_ref().map(StoreKey::duplicate)
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The backend the store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Why the store is on [`Store::backend`] (which `auto` chose, and why).
    pub fn backend_reason(&self) -> &BackendReason {
        &self.backend_reason
    }

    /// The underlying connection, for queries the domain APIs do not cover.
    ///
    /// Writes made here bypass the domain APIs' invariants; keep them to your own tables.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema version the database is at.
    ///
    /// # Errors
    /// The history cannot be read, or disagrees with this build.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(migrate::verify(&self.conn, MIGRATIONS)?)
    }

    /// The applied migrations, oldest first.
    ///
    /// # Errors
    /// The history cannot be read.
    pub fn schema_history(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        Ok(migrate::history(&self.conn)?)
    }

    /// Moves the schema to `version`, down or up. Rolling back drops the newer versions' tables and their data.
    ///
    /// # Errors
    /// `version` is unknown, or a step fails (that step is rolled back).
    pub fn migrate_to(&self, version: u32) -> Result<MigrationReport, StoreError> {
        self.mls_groups.clear();
        Ok(migrate::migrate_to(
            &self.conn,
            MIGRATIONS,
            version,
            now_ms(),
        )?)
    }

    /// Rewrites the database without its free pages (`VACUUM`), so that it takes no more room (on
    /// IndexedDB: memory) than its data: after pruning, to open again under a smaller memory limit.
    ///
    /// # Errors
    /// A transaction is open, or storage fails (the database is then unchanged).
    pub fn compact(&self) -> Result<(), StoreError> {
        self.mls_groups.clear();
        Ok(self.conn.execute_batch("VACUUM")?)
    }

    /// The size of the database file in bytes.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn database_bytes(&self) -> Result<u64, StoreError> {
        let bytes: i64 = self.conn.query_value(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            &[],
        )?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// `error` as the JS API reports it: on IndexedDB, "database full" is the memory limit
    /// (`STORE_TOO_LARGE`); on OPFS, a failed write with the origin's storage nearly full is the quota.
    pub async fn recognize_error(&self, error: StoreError) -> StoreError {
        if let Some(limit) = self.memory_limit {
            if error
                .sql_source()
                .is_some_and(crate::sql::SqlError::is_full)
            {
                return StoreError::MemoryLimitReached { limit };
            }
        }
        error.with_quota_recognized(self.backend).await
    }

    /// Runs `PRAGMA integrity_check`; an empty list means the database is sound.
    ///
    /// # Errors
    /// The check itself cannot run (the file is unreadable).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let problems: Vec<String> = self
            .conn
            .query_map("PRAGMA integrity_check", &[], |row| row.get(0))?;
        Ok(problems.into_iter().filter(|line| line != "ok").collect())
    }

    /// Closes the store; it can be opened again. On OPFS and memory every commit was durable already; on
    /// IndexedDB, changes not yet written by [`Store::sync`] are lost and reported as an error: prefer
    /// [`Store::close_durably`] (which the JS `close()` uses).
    ///
    /// # Errors
    /// SQLite refuses to close the connection, or IndexedDB changes were left unwritten.
    pub fn close(self) -> Result<(), StoreError> {
        let Store {
            conn,
            idb,
            _registration,
            name,
            backend,
            ..
        } = self;
        conn.close()?;
        vfs::release(backend, &name)?;
        drop(_registration);
        if let Some(idb) = idb {
            let unwritten = idb.has_unflushed_changes();
            idb.close();
            if unwritten {
                return Err(StoreError::Vfs(VfsError::NotDurable {
                    reason: "closed with changes never written to IndexedDB (call sync first)"
                        .to_owned(),
                }));
            }
        }
        Ok(())
    }

    /// Makes every change so far durable: on IndexedDB, writes the changed pages in one IndexedDB
    /// transaction and returns once it completed. On OPFS and memory each commit is already as durable as
    /// the backend gets, and this returns at once. The JS API calls it after every operation.
    ///
    /// # Errors
    /// IndexedDB failed (the DOMException's name and message are in the error); the store then refuses
    /// further work with `STORE_NOT_DURABLE` until it is reopened.
    pub async fn sync(&self) -> Result<(), StoreError> {
        Ok(self.flush().await?)
    }

    /// Runs `work` (synchronous calls on this store's domains) so that it sees every page it reads: on an
    /// IndexedDB store larger than its page cache ([`StoreConfig::page_cache_bytes`]), pages are loaded on
    /// demand, and an attempt that needed a page not in memory is undone and run again once it is loaded
    /// (so `work` may run more than once, and only the last run's result counts). Elsewhere `work` runs
    /// once. The JS API runs every method this way; Rust callers of a paged store must too (a domain call
    /// made directly fails with [`crate::sql::SqlError::PageNotLoaded`], `PAGE_NOT_LOADED`, at the first
    /// page not in memory).
    ///
    /// # Errors
    /// IndexedDB could not be read, or another tab took the store over (`work`'s own errors are in `T`).
    pub async fn run<T>(&self, mut work: impl FnMut(&Store) -> T) -> Result<T, StoreError> {
        match &self.idb {
            Some(idb) => Ok(idb.run(|| work(self), || self.mls_groups.clear()).await?),
            None => Ok(work(self)),
        }
    }

    /// Whether the database is paged on demand (IndexedDB, larger than its page cache).
    pub fn is_paged(&self) -> bool {
        self.idb.as_ref().is_some_and(vfs::idb::IdbFile::is_paged)
    }

    /// Bytes of database pages the IndexedDB backend holds in memory now (0 on other backends).
    pub fn held_page_bytes(&self) -> u64 {
        self.idb.as_ref().map_or(0, vfs::idb::IdbFile::held_bytes)
    }

    /// Loads every page of a paged store and keeps them until the hold is dropped: for work that reads the
    /// whole database (export, import, compact, rekey, the integrity check). Under the hold nothing can
    /// miss, so that work runs directly, without the undo log (which would copy every page it rewrites).
    pub(crate) async fn hold_whole_database(&self) -> Result<Option<vfs::idb::Hold>, VfsError> {
        match &self.idb {
            Some(idb) if idb.is_paged() => Ok(Some(idb.hold_whole_file().await?)),
            _ => Ok(None),
        }
    }

    /// [`Store::compact`] on a store whose pages may be loaded on demand: loads the whole database first.
    ///
    /// # Errors
    /// As [`Store::compact`], or IndexedDB could not be read.
    pub async fn compact_loaded(&self) -> Result<(), StoreError> {
        let _whole = self.hold_whole_database().await?;
        self.compact()
    }

    /// [`Store::rekey`] on a store whose pages may be loaded on demand: loads the whole database first.
    ///
    /// # Errors
    /// As [`Store::rekey`], or IndexedDB could not be read.
    pub async fn rekey_loaded(&self, key: Option<&StoreKey>) -> Result<(), StoreError> {
        let _whole = self.hold_whole_database().await?;
        self.rekey(key)
    }

    /// [`Store::integrity_check`] on a store whose pages may be loaded on demand: loads the whole database
    /// first.
    ///
    /// # Errors
    /// As [`Store::integrity_check`], or IndexedDB could not be read.
    pub async fn integrity_check_loaded(&self) -> Result<Vec<String>, StoreError> {
        let _whole = self.hold_whole_database().await?;
        self.integrity_check()
    }

    async fn flush(&self) -> Result<(), VfsError> {
        match &self.idb {
            Some(idb) => idb.flush().await,
            None => Ok(()),
        }
    }

    /// [`Store::sync`], then [`Store::close`].
    ///
    /// # Errors
    /// As either.
    pub async fn close_durably(self) -> Result<(), StoreError> {
        self.sync().await?;
        self.close()
    }

    /// Test hook for a paged IndexedDB store: drops every page in memory that is not being written, in
    /// SQLite's cache too, so the next reads miss.
    #[cfg(feature = "test-hooks")]
    pub fn drop_clean_pages_for_tests(&self) {
        // SQLite keeps pages it read across its own transactions: without this, reads hit its cache.
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
        if let Some(idb) = &self.idb {
            idb.drop_clean_pages_for_tests();
        }
    }

    /// Test hook for the IndexedDB backend: breaks the store's IndexedDB connection so the next
    /// [`Store::sync`] fails as it would if the browser closed it.
    #[cfg(feature = "test-hooks")]
    pub fn break_indexed_db_for_tests(&self) {
        if let Some(idb) = &self.idb {
            idb.break_connection_for_tests();
        }
    }
}
