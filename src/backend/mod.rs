//! Where a store's database file lives, chosen when it is opened. `Auto` follows the placement record of a
//! store that exists; a new store goes to OPFS if OPFS really works here, else IndexedDB. A persistent
//! backend that is unavailable is an error, never a quiet in-memory store, and a store is never opened empty
//! on another backend than the one holding its data.
//!
//! This file is the platform-independent part (names and choices); the VFS glue for each backend lives in
//! `vfs`, compiled only for the browser.

use std::fmt;
use std::str::FromStr;

/// The backend a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The backend recorded for an existing store; for a new one OPFS where it really works (a dedicated
    /// Worker, not a private mode that refuses it), else IndexedDB; else an error naming both reasons.
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

    /// The backend named `name` (as [`Backend::as_str`] prints it).
    pub fn from_name(name: &str) -> Option<Backend> {
        [Backend::Opfs, Backend::IndexedDb, Backend::Memory]
            .into_iter()
            .find(|backend| backend.as_str() == name)
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

impl BackendChoice {
    /// Every choice, in the order the JS API documents them.
    pub const ALL: [BackendChoice; 4] = [
        BackendChoice::Auto,
        BackendChoice::Opfs,
        BackendChoice::IndexedDb,
        BackendChoice::Memory,
    ];

    /// The name the JS API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Opfs => "opfs",
            BackendChoice::IndexedDb => "indexeddb",
            BackendChoice::Memory => "memory",
        }
    }

    /// The backends a store opened with this choice can end up on (`Auto`: OPFS where it works, else
    /// IndexedDB; never memory).
    pub fn candidates(self) -> &'static [Backend] {
        match self {
            BackendChoice::Auto => &[Backend::Opfs, Backend::IndexedDb],
            BackendChoice::Opfs => &[Backend::Opfs],
            BackendChoice::IndexedDb => &[Backend::IndexedDb],
            BackendChoice::Memory => &[Backend::Memory],
        }
    }
}

/// The IndexedDB database of store `name` (the IndexedDB backend's pages) is named this prefix + `name`.
pub const INDEXED_DB_DATABASE_PREFIX: &str = "mls-web-store/";

/// A backend name that is not one of `auto`, `opfs`, `indexeddb`, `memory`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {0:?}; expected \"auto\", \"opfs\", \"indexeddb\" or \"memory\"")]
pub struct UnknownBackend(pub String);

impl FromStr for BackendChoice {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackendChoice::ALL
            .into_iter()
            .find(|choice| choice.as_str() == s)
            .ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

/// What the running context offers, probed once per open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// OPFS sync access handle interfaces exist here (a dedicated Worker in a secure context). They may
    /// still fail when used: private modes refuse the OPFS root, some ports refuse sync handles.
    pub opfs_sync_access: bool,
    /// `indexedDB` exists in this global scope.
    pub indexed_db: bool,
}

/// Why a requested backend cannot be used here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendUnavailable {
    /// No backend of the kind asked for works in this context.
    #[error("no {requested} backend here: {reason}")]
    NotHere {
        requested: &'static str,
        reason: String,
    },
    /// The store's data lives on `backend`, which cannot be reached now. Opening it elsewhere would show an
    /// empty store beside the real one, so it is refused.
    #[error(
        "store {name:?} lives on {backend}, which is unavailable here ({reason}); \
         it was not opened on another backend, so its data stays where it is"
    )]
    StoreUnreachable {
        name: String,
        backend: Backend,
        reason: String,
    },
}

const NO_OPFS: &str =
    "OPFS sync access handles exist only in a dedicated Worker of a secure context \
                       (open the store inside a Worker)";
const NO_INDEXED_DB: &str = "this context has no indexedDB (some private modes disable it)";
const NO_PERSISTENCE: &str =
    "neither OPFS sync access handles (dedicated Worker only) nor indexedDB exist in this context";

/// Why a store is on the backend it is on; `store.backendReason` in JavaScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendReason {
    /// The caller named the backend.
    Requested,
    /// `auto`, and the store was created on this backend earlier (the placement record says so).
    Recorded,
    /// `auto`, a new store, and OPFS really installed here (root directory and sync access handles).
    OpfsWorks,
    /// `auto`, a new store, in a context without OPFS sync access handles (the main thread, an old engine).
    NoOpfsHere,
    /// `auto`, a new store, and OPFS failed for an environmental reason (private mode, an unsupported port).
    OpfsUnavailable(String),
}

impl fmt::Display for BackendReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendReason::Requested => f.write_str("requested by the caller"),
            BackendReason::Recorded => {
                f.write_str("auto: the store was created on this backend (placement record)")
            }
            BackendReason::OpfsWorks => f.write_str("auto: OPFS sync access handles work here"),
            BackendReason::NoOpfsHere => f.write_str(
                "auto: no OPFS sync access handles in this context (not a dedicated Worker, or an engine without them)",
            ),
            BackendReason::OpfsUnavailable(why) => {
                write!(f, "auto: OPFS is unavailable here ({why})")
            }
        }
    }
}

/// Where to open a store, decided before storage is touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On this backend, and nowhere else.
    On(Backend, BackendReason),
    /// A new store under `auto` where both exist: OPFS if it really works, IndexedDB if OPFS is unavailable
    /// for an environmental reason (see [`Placement::may_fall_back`]).
    OpfsElseIndexedDb,
}

/// What the placement record says about a store, as far as it could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The store was created on this backend.
    On(Backend),
    /// The record was read: no such store was ever created (or it was deleted).
    Nothing,
    /// The record could not be read (no IndexedDB here, or it failed). Falling back is then unsafe: the
    /// store may exist on OPFS.
    Unknown,
}

/// Decides where store `name` opens, from the caller's choice, the context and the placement record.
///
/// # Errors
/// No persistent backend exists here, or the store lives on a backend this context cannot reach.
pub fn place(
    name: &str,
    choice: BackendChoice,
    caps: Capabilities,
    recorded: Recorded,
) -> Result<Placement, BackendUnavailable> {
    let not_here = |requested, reason: &str| BackendUnavailable::NotHere {
        requested,
        reason: reason.to_owned(),
    };
    match choice {
        BackendChoice::Memory => Ok(Placement::On(Backend::Memory, BackendReason::Requested)),
        BackendChoice::Opfs if caps.opfs_sync_access => {
            Ok(Placement::On(Backend::Opfs, BackendReason::Requested))
        }
        BackendChoice::Opfs => Err(not_here("opfs", NO_OPFS)),
        BackendChoice::IndexedDb if caps.indexed_db => {
            Ok(Placement::On(Backend::IndexedDb, BackendReason::Requested))
        }
        BackendChoice::IndexedDb => Err(not_here("indexeddb", NO_INDEXED_DB)),
        BackendChoice::Auto => match recorded {
            Recorded::On(Backend::Opfs) if !caps.opfs_sync_access => {
                Err(BackendUnavailable::StoreUnreachable {
                    name: name.to_owned(),
                    backend: Backend::Opfs,
                    reason: NO_OPFS.to_owned(),
                })
            }
            Recorded::On(Backend::IndexedDb) if !caps.indexed_db => {
                Err(BackendUnavailable::StoreUnreachable {
                    name: name.to_owned(),
                    backend: Backend::IndexedDb,
                    reason: NO_INDEXED_DB.to_owned(),
                })
            }
            Recorded::On(backend) => Ok(Placement::On(backend, BackendReason::Recorded)),
            Recorded::Nothing | Recorded::Unknown if caps.opfs_sync_access && caps.indexed_db => {
                Ok(Placement::OpfsElseIndexedDb)
            }
            Recorded::Nothing | Recorded::Unknown if caps.opfs_sync_access => {
                Ok(Placement::On(Backend::Opfs, BackendReason::OpfsWorks))
            }
            Recorded::Nothing | Recorded::Unknown if caps.indexed_db => {
                Ok(Placement::On(Backend::IndexedDb, BackendReason::NoOpfsHere))
            }
            Recorded::Nothing | Recorded::Unknown => Err(not_here("persistent", NO_PERSISTENCE)),
        },
    }
}

impl Placement {
    /// Whether an environmental OPFS failure may send a new store to IndexedDB: only when the placement
    /// record was read and names no store, so that no store on OPFS can be forked by a passing failure.
    pub fn may_fall_back(recorded: Recorded) -> bool {
        recorded == Recorded::Nothing
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

    fn placed(choice: BackendChoice, caps: Capabilities, recorded: Recorded) -> Placement {
        place("s", choice, caps, recorded).unwrap()
    }

    #[test]
    fn auto_tries_opfs_for_a_new_store_where_it_exists() {
        assert_eq!(
            placed(BackendChoice::Auto, WORKER, Recorded::Nothing),
            Placement::OpfsElseIndexedDb
        );
        assert!(Placement::may_fall_back(Recorded::Nothing));
        assert!(!Placement::may_fall_back(Recorded::Unknown));
    }

    #[test]
    fn auto_follows_the_placement_record() {
        assert_eq!(
            placed(
                BackendChoice::Auto,
                WORKER,
                Recorded::On(Backend::IndexedDb)
            ),
            Placement::On(Backend::IndexedDb, BackendReason::Recorded)
        );
        assert_eq!(
            placed(BackendChoice::Auto, WORKER, Recorded::On(Backend::Opfs)),
            Placement::On(Backend::Opfs, BackendReason::Recorded)
        );
    }

    #[test]
    fn a_store_on_opfs_is_refused_where_opfs_is_missing_never_opened_empty_elsewhere() {
        let error = place(
            "s",
            BackendChoice::Auto,
            MAIN_THREAD,
            Recorded::On(Backend::Opfs),
        )
        .unwrap_err();
        assert!(matches!(
            error,
            BackendUnavailable::StoreUnreachable {
                backend: Backend::Opfs,
                ..
            }
        ));
    }

    #[test]
    fn auto_falls_back_to_indexed_db_never_to_memory() {
        assert_eq!(
            placed(BackendChoice::Auto, MAIN_THREAD, Recorded::Nothing),
            Placement::On(Backend::IndexedDb, BackendReason::NoOpfsHere)
        );
        assert!(place("s", BackendChoice::Opfs, MAIN_THREAD, Recorded::Nothing).is_err());
        let error = place("s", BackendChoice::Auto, NOTHING, Recorded::Nothing).unwrap_err();
        assert!(matches!(
            error,
            BackendUnavailable::NotHere {
                requested: "persistent",
                ..
            }
        ));
        assert!(place("s", BackendChoice::IndexedDb, NOTHING, Recorded::Nothing).is_err());
        assert!(Backend::IndexedDb.is_persistent());
    }

    #[test]
    fn memory_is_available_everywhere() {
        assert_eq!(
            placed(BackendChoice::Memory, MAIN_THREAD, Recorded::Unknown),
            Placement::On(Backend::Memory, BackendReason::Requested)
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
