//! Connection settings applied at every open. The defaults were chosen from measurements on OPFS (sahpool) in
//! headless Chromium, release build; `scripts/bench.sh` reprints them and README.md records the table.

/// SQLite's journal. sahpool has no shared memory, so WAL runs in exclusive locking mode (SQLite then keeps
/// the WAL index in heap memory); one connection per database is all a store ever has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalMode {
    /// Delete the journal after each transaction (frees a pool slot's contents each commit).
    Delete,
    /// Truncate the journal to zero bytes after each transaction.
    Truncate,
    /// Keep the journal and zero its header after each transaction.
    Persist,
    /// Write-ahead log, in exclusive locking mode so that SQLite keeps the WAL index in heap memory.
    Wal,
    /// The rollback journal in memory: for the IndexedDB backend, whose durable copy is written whole per
    /// operation, so a crash leaves IndexedDB's previous committed state, never a half-written file.
    Memory,
}

impl JournalMode {
    /// The mode's name, as `PRAGMA journal_mode` reports it once set.
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            JournalMode::Delete => "DELETE",
            JournalMode::Truncate => "TRUNCATE",
            JournalMode::Persist => "PERSIST",
            JournalMode::Wal => "WAL",
            JournalMode::Memory => "MEMORY",
        }
    }
}

/// How often SQLite flushes to storage. Both settings keep the database consistent after a tab crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Flush the journal before and the database after every commit.
    Full,
    /// Flush at the critical moments only; a power loss may drop the last commits.
    Normal,
}

impl Synchronous {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Settings for opening a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    pub journal_mode: JournalMode,
    pub synchronous: Synchronous,
    /// Applies when the database is created; an existing database keeps its page size.
    pub page_size: u32,
    /// IndexedDB only: the largest the database may be. A larger database is refused at open and a write
    /// that would grow it larger fails, both with `STORE_TOO_LARGE`. No limit by default
    /// ([`NO_MEMORY_LIMIT`]): pages beyond the page cache are loaded on demand.
    pub memory_limit_bytes: u64,
    /// IndexedDB only: a database of at most this many bytes is held whole in memory; a larger one is paged
    /// on demand, holding at most this many bytes of pages it is not writing (see README "Pages on
    /// demand").
    pub page_cache_bytes: u64,
}

/// [`StoreConfig::memory_limit_bytes`] when the database's size is not limited (the default).
pub const NO_MEMORY_LIMIT: u64 = u64::MAX;

/// The default [`StoreConfig::memory_limit_bytes`].
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = NO_MEMORY_LIMIT;

/// The default [`StoreConfig::page_cache_bytes`]: 32 MiB, about 120,000 chat messages held whole; with
/// SQLite's own cache and the code, a paged store stays well under 64 MiB of wasm memory.
pub const DEFAULT_PAGE_CACHE_BYTES: u64 = 32 << 20;

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            journal_mode: JournalMode::Wal,
            synchronous: Synchronous::Full,
            page_size: 8192,
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            page_cache_bytes: DEFAULT_PAGE_CACHE_BYTES,
        }
    }
}

impl StoreConfig {
    /// The settings adjusted to what `backend` can do: IndexedDB persists only the main database file, so a
    /// WAL (whose commits live in another file) is replaced by an in-memory rollback journal there.
    pub(crate) fn for_backend(self, backend: crate::backend::Backend) -> Self {
        match backend {
            crate::backend::Backend::IndexedDb => StoreConfig {
                journal_mode: JournalMode::Memory,
                ..self
            },
            _ => self,
        }
    }

    /// [`StoreConfig::pragmas`] for a database in WAL mode opened in another journal mode.
    pub(crate) fn pragmas_leaving_wal(&self) -> String {
        format!(
            "PRAGMA locking_mode = EXCLUSIVE; {} PRAGMA locking_mode = NORMAL;",
            self.pragmas()
        )
    }

    /// The PRAGMA batch run at open. Foreign keys are always on: the schema's cascades depend on them.
    pub(crate) fn pragmas(&self) -> String {
        // Exclusive locking must come before the first read: a database whose header says WAL can only be
        // opened that way on a VFS without shared memory.
        let locking = match self.journal_mode {
            JournalMode::Wal => "PRAGMA locking_mode = EXCLUSIVE;",
            _ => "",
        };
        format!(
            "{locking} PRAGMA page_size = {}; PRAGMA foreign_keys = ON; PRAGMA journal_mode = {}; PRAGMA synchronous = {};",
            self.page_size,
            self.journal_mode.as_sql(),
            self.synchronous.as_sql()
        )
    }
}
