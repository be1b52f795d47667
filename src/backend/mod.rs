//! Where a store's database file lives, chosen when it is opened. `Auto` picks OPFS where sync access handles
//! exist, else IndexedDB; a persistent backend that is unavailable is an error, never a quiet in-memory store.
//!
//! This file is the platform-independent part (names and choices); the VFS glue for each backend lives in
//! `vfs`, compiled only for the browser.

use std::fmt;
use std::str::FromStr;

/// The backend a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// OPFS where this context has sync access handles (a dedicated Worker), else IndexedDB; else an error
    /// naming why.
    #[default]
    Auto,
    /// SQLite on the Origin Private File System through the `sahpool` VFS. Dedicated Worker only.
    Opfs,
    /// SQLite pages in memory, written to IndexedDB after every operation; the operation resolves once
    /// IndexedDB committed. Main thread or any worker.
    IndexedDb,
    /// In memory, gone when the page or worker goes. For tests and ephemeral stores.
    Memory,
}

/// The backend a store actually uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Opfs,
    IndexedDb,
    Memory,
}

impl Backend {
    /// The stable name used in the JS API and in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Opfs => "opfs",
            Backend::IndexedDb => "indexeddb",
            Backend::Memory => "memory",
        }
    }

    /// True when data survives a reload.
    pub fn is_persistent(self) -> bool {
        matches!(self, Backend::Opfs | Backend::IndexedDb)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A backend name that is not one of `auto`, `opfs`, `indexeddb`, `memory`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {0:?}; expected \"auto\", \"opfs\", \"indexeddb\" or \"memory\"")]
pub struct UnknownBackend(pub String);

impl FromStr for BackendChoice {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "opfs" => Ok(BackendChoice::Opfs),
            "indexeddb" => Ok(BackendChoice::IndexedDb),
            "memory" => Ok(BackendChoice::Memory),
            other => Err(UnknownBackend(other.to_owned())),
        }
    }
}

/// What the running context offers, probed once per open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// OPFS sync access handles can be created here (dedicated Worker in a secure context).
    pub opfs_sync_access: bool,
    /// `indexedDB` exists in this global scope.
    pub indexed_db: bool,
}

/// Why a requested backend cannot be used here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no {requested} backend here: {reason}")]
pub struct BackendUnavailable {
    pub requested: &'static str,
    pub reason: &'static str,
}

const NO_OPFS: &str =
    "OPFS sync access handles exist only in a dedicated Worker of a secure context \
                       (open the store inside a Worker)";

const NO_INDEXED_DB: &str = "this context has no indexedDB (some private modes disable it)";
const NO_PERSISTENCE: &str =
    "neither OPFS sync access handles (dedicated Worker only) nor indexedDB exist in this context";

/// Resolves a choice against what the context offers.
///
/// # Errors
/// A persistent backend was asked for (explicitly or through `Auto`) and none is available.
pub fn resolve(choice: BackendChoice, caps: Capabilities) -> Result<Backend, BackendUnavailable> {
    match choice {
        BackendChoice::Memory => Ok(Backend::Memory),
        BackendChoice::Opfs if caps.opfs_sync_access => Ok(Backend::Opfs),
        BackendChoice::Opfs => Err(BackendUnavailable {
            requested: "opfs",
            reason: NO_OPFS,
        }),
        BackendChoice::IndexedDb if caps.indexed_db => Ok(Backend::IndexedDb),
        BackendChoice::IndexedDb => Err(BackendUnavailable {
            requested: "indexeddb",
            reason: NO_INDEXED_DB,
        }),
        BackendChoice::Auto if caps.opfs_sync_access => Ok(Backend::Opfs),
        BackendChoice::Auto if caps.indexed_db => Ok(Backend::IndexedDb),
        BackendChoice::Auto => Err(BackendUnavailable {
            requested: "persistent",
            reason: NO_PERSISTENCE,
        }),
    }
}

/// The longest store name accepted; well below the sahpool VFS's path limit.
pub const MAX_STORE_NAME_LEN: usize = 64;

/// A store name that cannot be used as a file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid store name {name:?}: use 1-64 characters from A-Z a-z 0-9 - _ .; not starting with '.'")]
pub struct InvalidStoreName {
    pub name: String,
}

/// Checks that `name` is a safe, portable file name.
///
/// # Errors
/// The name is empty, too long, starts with a dot or has a character outside `[A-Za-z0-9._-]`.
pub fn validate_store_name(name: &str) -> Result<(), InvalidStoreName> {
    let valid = !name.is_empty()
        && name.len() <= MAX_STORE_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(InvalidStoreName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKER: Capabilities = Capabilities {
        opfs_sync_access: true,
        indexed_db: true,
    };
    const MAIN_THREAD: Capabilities = Capabilities {
        opfs_sync_access: false,
        indexed_db: true,
    };
    const NOTHING: Capabilities = Capabilities {
        opfs_sync_access: false,
        indexed_db: false,
    };

    #[test]
    fn auto_picks_opfs_where_it_exists() {
        assert_eq!(resolve(BackendChoice::Auto, WORKER), Ok(Backend::Opfs));
    }

    #[test]
    fn auto_falls_back_to_indexed_db_never_to_memory() {
        assert_eq!(
            resolve(BackendChoice::Auto, MAIN_THREAD),
            Ok(Backend::IndexedDb)
        );
        assert!(resolve(BackendChoice::Opfs, MAIN_THREAD).is_err());
        let error = resolve(BackendChoice::Auto, NOTHING).unwrap_err();
        assert_eq!(error.requested, "persistent");
        assert!(resolve(BackendChoice::IndexedDb, NOTHING).is_err());
        assert!(Backend::IndexedDb.is_persistent());
    }

    #[test]
    fn memory_is_available_everywhere() {
        assert_eq!(
            resolve(BackendChoice::Memory, MAIN_THREAD),
            Ok(Backend::Memory)
        );
        assert!(!Backend::Memory.is_persistent());
    }

    #[test]
    fn backend_names_parse_and_print() {
        for (text, choice) in [
            ("auto", BackendChoice::Auto),
            ("opfs", BackendChoice::Opfs),
            ("indexeddb", BackendChoice::IndexedDb),
            ("memory", BackendChoice::Memory),
        ] {
            assert_eq!(text.parse::<BackendChoice>(), Ok(choice));
        }
        assert!("OPFS".parse::<BackendChoice>().is_err());
        assert_eq!(Backend::Opfs.to_string(), "opfs");
    }

    #[test]
    fn store_names_are_checked() {
        for good in ["chat", "user-1.alice_2", &"a".repeat(64)] {
            assert_eq!(validate_store_name(good), Ok(()), "{good}");
        }
        for bad in ["", ".hidden", "a/b", "a b", "é", &"a".repeat(65), "x\0y"] {
            assert!(validate_store_name(bad).is_err(), "{bad:?}");
        }
    }
}
