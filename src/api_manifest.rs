//! The JavaScript API's shape as data, the one place the package's TypeScript learns it from: each `Store`
//! method's namespace and name as apps call it (`store.chat.appendMessages`), the wasm export that runs it,
//! and whether it only reads; the names a store's Web Lock and BroadcastChannel take; the backends a
//! requested one can resolve to.
//!
//! `tests/native_checks.rs` generates `pkg-templates/src/manifest.ts` from this module (and the error codes),
//! so the client, the Worker and the in-worker loader restate none of it; a browser test checks that the wasm
//! `Store` has exactly these exports, so the table cannot drift from the bindings. Platform-independent: it
//! is only data.

/// Where a method sits on the JS store object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Namespace {
    /// On the store itself (`store.schemaVersion()`).
    Store,
    /// `store.chat`: channels, messages, members.
    Chat,
    /// `store.mls`: the MLS client.
    Mls,
    /// `store.kv`: the app's key-value entries.
    Kv,
    /// `store.backup`: export and import.
    Backup,
    /// `store.debug`: test hooks, present only in the end-to-end harness's build (feature `test-hooks`).
    Debug,
}

impl Namespace {
    /// Every namespace but `Store`, as the JS object's property names.
    pub const NESTED: [Namespace; 5] = [
        Namespace::Chat,
        Namespace::Mls,
        Namespace::Kv,
        Namespace::Backup,
        Namespace::Debug,
    ];

    /// The property name on the store (`""` for the store itself).
    pub const fn as_str(self) -> &'static str {
        match self {
            Namespace::Store => "",
            Namespace::Chat => "chat",
            Namespace::Mls => "mls",
            Namespace::Kv => "kv",
            Namespace::Backup => "backup",
            Namespace::Debug => "debug",
        }
    }
}

/// What a call does to the store, which decides what happens to it when the tab that owns the store goes
/// away before answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: asked again of the next owner.
    Read,
    /// Changes the store: answered `OWNER_CHANGED` (it may or may not have been applied).
    Write,
    /// Reads, but hands pieces to the caller as it goes: answered `OWNER_CHANGED` (the caller already has
    /// some pieces; asking again would repeat them).
    Stream,
}

impl Access {
    /// The name the generated TypeScript uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Stream => "stream",
        }
    }
}

/// One method of the JS store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreMethod {
    pub namespace: Namespace,
    /// The name within its namespace.
    pub name: &'static str,
    /// The wasm `Store` export that runs it.
    pub wasm_name: &'static str,
    pub access: Access,
}

impl StoreMethod {
    /// `"chat.appendMessages"`, or `"schemaVersion"` on the store itself: the name calls carry across the
    /// Worker protocol.
    pub fn qualified_name(&self) -> String {
        match self.namespace {
            Namespace::Store => self.name.to_owned(),
            namespace => format!("{}.{}", namespace.as_str(), self.name),
        }
    }
}

const fn method(
    namespace: Namespace,
    name: &'static str,
    wasm_name: &'static str,
    access: Access,
) -> StoreMethod {
    StoreMethod {
        namespace,
        name,
        wasm_name,
        access,
    }
}

/// Every method an app calls on a store, in the order the README documents them. Getters (`name`,
/// `backend`, ...), `close()` and the Worker's own `onChange` are not calls and are not listed.
pub const STORE_METHODS: &[StoreMethod] = {
    use Access::{Read, Stream, Write};
    use Namespace::{Backup, Chat, Debug, Kv, Mls, Store};
    &[
        method(Store, "schemaVersion", "schemaVersion", Read),
        method(Store, "migrateTo", "migrateTo", Write),
        method(Store, "integrityCheck", "integrityCheck", Read),
        method(Store, "compact", "compact", Write),
        method(Store, "rekey", "rekey", Write),
        method(Kv, "get", "kvGet", Read),
        method(Kv, "put", "kvPut", Write),
        method(Kv, "delete", "kvDelete", Write),
        method(Chat, "createChannel", "chatCreateChannel", Write),
        method(Chat, "channel", "chatChannel", Read),
        method(Chat, "listChannels", "chatListChannels", Read),
        method(Chat, "archiveChannel", "chatArchiveChannel", Write),
        method(Chat, "unarchiveChannel", "chatUnarchiveChannel", Write),
        method(Chat, "deleteChannel", "chatDeleteChannel", Write),
        method(Chat, "appendMessage", "chatAppendMessage", Write),
        method(Chat, "appendMessages", "chatAppendMessages", Write),
        method(Chat, "page", "chatPage", Read),
        method(Chat, "messageById", "chatMessageById", Read),
        method(Chat, "messageCount", "chatMessageCount", Read),
        method(Chat, "unprocessedCount", "chatUnprocessedCount", Read),
        method(Chat, "unprocessed", "chatUnprocessed", Read),
        method(Chat, "markProcessed", "chatMarkProcessed", Write),
        method(Chat, "prune", "chatPrune", Write),
        method(Chat, "addMembers", "chatAddMembers", Write),
        method(Chat, "leave", "chatLeave", Write),
        method(Chat, "members", "chatMembers", Read),
        method(Chat, "isMember", "chatIsMember", Read),
        method(Chat, "cleanupIdempotency", "chatCleanupIdempotency", Write),
        method(Mls, "createIdentity", "mlsCreateIdentity", Write),
        method(Mls, "identity", "mlsIdentity", Read),
        method(Mls, "generateKeyPackages", "mlsGenerateKeyPackages", Write),
        method(Mls, "keyPackageCounts", "mlsKeyPackageCounts", Read),
        method(Mls, "keyPackageState", "mlsKeyPackageState", Read),
        method(Mls, "createGroup", "mlsCreateGroup", Write),
        method(Mls, "addMembers", "mlsAddMembers", Write),
        method(Mls, "removeMembers", "mlsRemoveMembers", Write),
        method(Mls, "mergePendingCommit", "mlsMergePendingCommit", Write),
        method(Mls, "clearPendingCommit", "mlsClearPendingCommit", Write),
        method(Mls, "encrypt", "mlsEncrypt", Write),
        method(Mls, "processMessage", "mlsProcessMessage", Write),
        method(Mls, "processMessages", "mlsProcessMessages", Write),
        method(Mls, "processInboxes", "mlsProcessInboxes", Write),
        method(Mls, "listGroups", "mlsListGroups", Read),
        method(Mls, "groupEpoch", "mlsGroupEpoch", Read),
        method(Mls, "members", "mlsMembers", Read),
        method(Mls, "deleteGroup", "mlsDeleteGroup", Write),
        method(Mls, "receiveWelcome", "mlsReceiveWelcome", Write),
        method(Mls, "processWelcome", "mlsProcessWelcome", Write),
        method(Mls, "confirmWelcome", "mlsConfirmWelcome", Write),
        method(Mls, "expireWelcomes", "mlsExpireWelcomes", Write),
        method(Mls, "welcomeState", "mlsWelcomeState", Read),
        method(Backup, "export", "exportBackup", Stream),
        method(Backup, "exportInPieces", "exportBackupInPieces", Stream),
        method(Backup, "import", "importBackup", Write),
        method(
            Debug,
            "simulateStorageFull",
            "debugSimulateStorageFull",
            Write,
        ),
    ]
};

/// Wasm `Store` exports that are not calls an app makes (getters, closing, the Worker's change listener).
pub const STORE_NON_CALLS: &[&str] = &[
    "name",
    "backend",
    "backendReason",
    "persistent",
    "encrypted",
    "close",
    "onChange",
];

/// A store's Web Lock (held by the tab that owns it) and BroadcastChannel (its tabs talk over it) are
/// named this prefix + the store's name.
pub const LOCK_PREFIX: &str = "mls-web-store:";

/// The name of store `name`'s Web Lock and BroadcastChannel.
pub fn lock_name(store: &str) -> String {
    format!("{LOCK_PREFIX}{store}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_wasm_exports_distinct() {
        let qualified: BTreeSet<String> = STORE_METHODS
            .iter()
            .map(StoreMethod::qualified_name)
            .collect();
        assert_eq!(qualified.len(), STORE_METHODS.len());
        let wasm: BTreeSet<&str> = STORE_METHODS.iter().map(|m| m.wasm_name).collect();
        assert_eq!(wasm.len(), STORE_METHODS.len());
        assert!(STORE_NON_CALLS.iter().all(|name| !wasm.contains(name)));
    }

    #[test]
    fn nested_names_are_not_store_properties() {
        // `store.chat` must not shadow a method on the store itself.
        for namespace in Namespace::NESTED {
            assert!(!STORE_METHODS
                .iter()
                .any(|m| m.namespace == Namespace::Store && m.name == namespace.as_str()));
        }
    }
}
