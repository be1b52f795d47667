//! Where a store opens and how: the placement decision (the record, the context, `auto`'s fallback from an
//! unavailable OPFS to IndexedDB), the refusal to open a lost or unreachable store empty, and the steps of
//! opening one database (VFS, cipher, pragmas, migrations). Deleting a store follows the same record.

use super::{wrong_key, Store, StoreConfig, StoreError, StoreKey, NO_MEMORY_LIMIT};
use crate::backend::{
    place, validate_store_name, Backend, BackendChoice, BackendReason, BackendUnavailable,
    Placement, Recorded,
};
use crate::platform::{capabilities, now_ms};
use crate::schema::MIGRATIONS;
use crate::sql::migrate;
use crate::sql::Connection;
use crate::vfs::{self, VfsError};
use std::cell::RefCell;

/// Deletes store `name`'s database. With `auto`: on the backend the placement record names; without a
/// record, on every persistent backend this context has (an unavailable OPFS holds nothing to delete).
/// Returns whether a database existed.
///
/// # Errors
/// The store is open here, or a backend fails.
pub async fn delete_store(name: &str, choice: BackendChoice) -> Result<bool, StoreError> {
    let caps = capabilities();
    let backends = match choice {
        BackendChoice::Opfs => vec![Backend::Opfs],
        BackendChoice::IndexedDb => vec![Backend::IndexedDb],
        BackendChoice::Memory => vec![Backend::Memory],
        BackendChoice::Auto => match vfs::placement::recorded(name).await {
            Recorded::On(backend) => vec![backend],
            Recorded::Nothing | Recorded::Unknown => [
                (caps.opfs_sync_access, Backend::Opfs),
                (caps.indexed_db, Backend::IndexedDb),
            ]
            .into_iter()
            .filter_map(|(present, backend)| present.then_some(backend))
            .collect(),
        },
    };
    let mut existed = false;
    for backend in backends {
        match vfs::delete_database(backend, name).await {
            Ok(found) => existed |= found,
            Err(error) if choice == BackendChoice::Auto && error.is_opfs_unavailable() => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(existed)
}

impl Store {
    /// Opens store `name`; with a key, the database is encrypted with it (a new database) or must have been
    /// (an existing one). Pages are encrypted with ChaCha20-Poly1305 (SQLite3 Multiple Ciphers), so neither
    /// the database file nor its journal holds plaintext.
    ///
    /// # Errors
    /// - [`StoreError::InvalidName`], `STORE_ALREADY_OPEN`;
    /// - [`StoreError::BackendUnavailable`] when no persistent backend works here (with every reason), or
    ///   when `auto` finds the store recorded on a backend this context cannot reach (never opened empty
    ///   elsewhere);
    /// - [`StoreError::Vfs`] when OPFS cannot be used (in use by another tab, or unavailable when asked for
    ///   by name);
    /// - [`StoreError::WrongKey`] when a key was given and it does not open the database;
    /// - [`StoreError::Corrupt`] when the file is not a healthy SQLite database (or is encrypted and no key
    ///   was given);
    /// - [`StoreError::Migration`] when the schema is newer than this build or its history was tampered with.
    pub async fn open_with_key(
        name: &str,
        choice: BackendChoice,
        config: StoreConfig,
        key: Option<&StoreKey>,
    ) -> Result<Store, StoreError> {
        validate_store_name(name)?;
        let caps = capabilities();
        let recorded = if choice != BackendChoice::Memory && caps.indexed_db {
            vfs::placement::recorded(name).await
        } else {
            Recorded::Unknown
        };
        let store = match place(name, choice, caps, recorded)? {
            Placement::On(backend, reason) => {
                let existing = recorded == Recorded::On(backend);
                Self::open_on(name, backend, reason, config, key, existing).await?
            }
            Placement::OpfsElseIndexedDb => {
                match Self::open_on(
                    name,
                    Backend::Opfs,
                    BackendReason::OpfsWorks,
                    config,
                    key,
                    false,
                )
                .await
                {
                    Err(StoreError::Vfs(opfs)) if opfs.is_opfs_unavailable() => {
                        if !Placement::may_fall_back(recorded) {
                            return Err(BackendUnavailable::StoreUnreachable {
                                name: name.to_owned(),
                                backend: Backend::Opfs,
                                reason: format!(
                                    "{opfs}; the placement record could not be read, so the store may live there"
                                ),
                            }
                            .into());
                        }
                        let reason = BackendReason::OpfsUnavailable(opfs.to_string());
                        match Self::open_on(name, Backend::IndexedDb, reason, config, key, false)
                            .await
                        {
                            Err(StoreError::Vfs(idb @ VfsError::IndexedDb { .. })) => {
                                return Err(BackendUnavailable::NotHere {
                                    requested: "persistent",
                                    reason: format!("OPFS: {opfs}; IndexedDB: {idb}"),
                                }
                                .into())
                            }
                            other => other?,
                        }
                    }
                    other => other?,
                }
            }
        };
        // Recorded once a new store opened, so that `auto` finds it on this backend from now on, in any
        // context; an existing record is never moved (an explicit backend may open a namesake elsewhere).
        // A record that cannot be written leaves the store usable; `auto` then refuses to fall back for
        // it rather than guess.
        if recorded == Recorded::Nothing && store.backend.is_persistent() {
            let _ = vfs::placement::record(name, store.backend).await;
        }
        Ok(store)
    }

    /// Opens store `name` on `backend` (no choosing left to do). `existing`: the placement record says the
    /// store was created there, so an IndexedDB database without a file means the browser discarded it.
    async fn open_on(
        name: &str,
        backend: Backend,
        reason: BackendReason,
        config: StoreConfig,
        key: Option<&StoreKey>,
        existing: bool,
    ) -> Result<Store, StoreError> {
        let registration = crate::vfs::OpenRegistration::acquire(backend, name)?;
        let config = config.for_backend(backend);
        let vfs_name = vfs::store_vfs(
            backend,
            vfs::prepare(backend, name).await?,
            config.synchronous == super::Synchronous::Full,
        )?;
        let file_name = vfs::file_name(name);
        let idb = match backend {
            Backend::IndexedDb => Some(
                vfs::idb::open_file(
                    name,
                    &file_name,
                    config.memory_limit_bytes,
                    config.page_cache_bytes,
                )
                .await?,
            ),
            _ => None,
        };
        if existing && idb.as_ref().is_some_and(vfs::idb::IdbFile::was_empty) {
            // Opening it would create an empty store where the user's data was.
            return Err(StoreError::Lost {
                name: name.to_owned(),
                backend,
            });
        }
        // Every store goes through the cipher shim, keyed or not, so a store can be encrypted later (rekey).
        let conn = Connection::open(&file_name, &crate::vfs::cipher_vfs(&vfs_name))?;
        if let Some(key) = key {
            conn.key(key.bytes())?;
        }
        // A paged IndexedDB file may miss pages on the way: the settings and the migrations run again
        // until they ran on every page they read (each is idempotent or one transaction).
        let prepare = || Self::prepare_connection(&conn, backend, &config, key.is_some());
        match &idb {
            Some(idb) => idb.run(prepare, || {}).await??,
            None => prepare()?,
        }
        // Scratch files a crash left beside the store (an export's snapshot, an import being verified): this
        // worker now owns the store, so none of them is in use. Failing to sweep them must not stop the open.
        let _ = vfs::remove_stale_scratch(backend, name).await;
        let store = Store {
            conn,
            name: name.to_owned(),
            backend,
            backend_reason: reason,
            journal_mode: config.journal_mode,
            memory_limit: (backend == Backend::IndexedDb
                && config.memory_limit_bytes != NO_MEMORY_LIMIT)
                .then_some(config.memory_limit_bytes),
            idb,
            key: RefCell::new(key.map(StoreKey::duplicate)),
            mls_groups: crate::mls::GroupCache::default(),
            _registration: registration,
        };
        // The migrations of a new or older database are part of opening it.
        store.sync().await?;
        Ok(store)
    }

    /// The connection's settings, checked, and the schema migrated to this build's: the SQL part of
    /// opening, after the key.
    fn prepare_connection(
        conn: &Connection,
        backend: Backend,
        config: &StoreConfig,
        keyed: bool,
    ) -> Result<(), StoreError> {
        match conn.execute_batch(&config.pragmas()) {
            // A database whose header says WAL opens only in exclusive locking mode on these VFSs (no shared
            // memory): one last written in WAL (on OPFS, in memory) and opened in another mode (on IndexedDB,
            // or with another journal mode configured) leaves WAL that way, then gives the lock back.
            Err(error) if error.sqlite_code() == Some(crate::sql::codes::CANTOPEN) => conn
                .execute_batch(&config.pragmas_leaving_wal())
                .map_err(|e| wrong_key(e, keyed))?,
            other => other.map_err(|e| wrong_key(e, keyed))?,
        }
        // SQLite keeps the old mode, silently, when a VFS cannot run the one asked for.
        let journal_mode: String = conn.query_value("PRAGMA journal_mode", &[])?;
        if !journal_mode.eq_ignore_ascii_case(config.journal_mode.as_sql()) {
            return Err(StoreError::JournalModeRefused {
                wanted: config.journal_mode.as_sql(),
                got: journal_mode,
            });
        }
        if backend == Backend::IndexedDb && config.memory_limit_bytes != NO_MEMORY_LIMIT {
            // SQLite refuses to grow the file past this many pages with SQLITE_FULL, rolling the write
            // back cleanly (a VFS error in the middle of a commit could not be rolled back in memory).
            let page_size: i64 = conn.query_value("PRAGMA page_size", &[])?;
            let max_pages =
                config.memory_limit_bytes / u64::try_from(page_size.max(512)).unwrap_or(512);
            conn.execute_batch(&format!("PRAGMA max_page_count = {max_pages}"))?;
        }
        migrate::migrate_to_latest(conn, MIGRATIONS, now_ms()).map_err(|e| match e {
            migrate::MigrationError::History(source) => wrong_key(source, keyed),
            other => StoreError::from(other),
        })?;
        Ok(())
    }
}
