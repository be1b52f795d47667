// Generated from src/api_manifest.rs, src/error_code.rs and src/backend/mod.rs by
// tests/native_checks.rs (UPDATE_GENERATED=1 cargo test --test native_checks). Do not edit.

/** Every `code` an error of this package can carry. */
export type ErrorCode =
  | 'INVALID_STORE_NAME'
  | 'UNKNOWN_BACKEND'
  | 'BACKEND_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'OPFS_UNAVAILABLE'
  | 'STORE_ALREADY_OPEN'
  | 'STORE_CLOSED'
  | 'STORE_LOST'
  | 'WRONG_KEY'
  | 'INVALID_KEY'
  | 'JOURNAL_MODE_REFUSED'
  | 'INVALID_ARGUMENT'
  | 'RANDOM_UNAVAILABLE'
  | 'OPFS_IN_USE'
  | 'OPFS_ERROR'
  | 'NOT_FOUND'
  | 'STORE_IN_USE'
  | 'QUOTA_EXCEEDED'
  | 'INDEXEDDB_ERROR'
  | 'STORE_NOT_DURABLE'
  | 'STORE_TOO_LARGE'
  | 'PAGE_NOT_LOADED'
  | 'OWNER_CHANGED'
  | 'BACKEND_ERROR'
  | 'DATABASE_CORRUPT'
  | 'SCHEMA_TOO_NEW'
  | 'SCHEMA_CHECKSUM_MISMATCH'
  | 'SCHEMA_HISTORY_INCONSISTENT'
  | 'UNKNOWN_SCHEMA_VERSION'
  | 'MIGRATION_FAILED'
  | 'CONSTRAINT_VIOLATION'
  | 'SQLITE_ERROR'
  | 'MLS_NO_IDENTITY'
  | 'MLS_IDENTITY_EXISTS'
  | 'MLS_GROUP_NOT_FOUND'
  | 'MLS_INVALID_MESSAGE'
  | 'MLS_PROTOCOL_ERROR'
  | 'MLS_MEMBER_NOT_FOUND'
  | 'WELCOME_NOT_FOUND'
  | 'WELCOME_EXPIRED'
  | 'WELCOME_ALREADY_CONFIRMED'
  | 'MLS_PROVIDER_VERSION'
  | 'MLS_STATE_CORRUPT'
  | 'CHANNEL_NOT_FOUND'
  | 'CHANNEL_EXISTS'
  | 'MESSAGE_ID_IN_OTHER_CHANNEL'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'ARCHIVE_TRUNCATED'
  | 'NOT_AN_ARCHIVE'
  | 'ARCHIVE_VERSION_UNSUPPORTED'
  | 'ARCHIVE_CORRUPT'
  | 'ARCHIVE_KEY_REQUIRED'
  | 'WRONG_PASSPHRASE'
  | 'ARCHIVE_SIGNATURE_INVALID'
  | 'SIGNATURE_REQUIRED'
  | 'SIGNER_MISMATCH'
  | 'ABORTED'
  | 'ARCHIVE_LIMIT_EXCEEDED'
  | 'ARCHIVE_ENTRY_NOT_FOUND'
  | 'IO_ERROR'
  | 'BACKUP_INVALID'
  | 'BACKUP_INTEGRITY_FAILED'
  | 'NOT_INITIALIZED'
  | 'WORKER_CRASHED'
  | 'WORKER_TERMINATED'
  | 'LOCKS_UNAVAILABLE'
  | 'UNEXPECTED';

export const ERROR_CODES: readonly ErrorCode[] = ['INVALID_STORE_NAME', 'UNKNOWN_BACKEND', 'BACKEND_UNAVAILABLE', 'STORE_UNAVAILABLE', 'OPFS_UNAVAILABLE', 'STORE_ALREADY_OPEN', 'STORE_CLOSED', 'STORE_LOST', 'WRONG_KEY', 'INVALID_KEY', 'JOURNAL_MODE_REFUSED', 'INVALID_ARGUMENT', 'RANDOM_UNAVAILABLE', 'OPFS_IN_USE', 'OPFS_ERROR', 'NOT_FOUND', 'STORE_IN_USE', 'QUOTA_EXCEEDED', 'INDEXEDDB_ERROR', 'STORE_NOT_DURABLE', 'STORE_TOO_LARGE', 'PAGE_NOT_LOADED', 'OWNER_CHANGED', 'BACKEND_ERROR', 'DATABASE_CORRUPT', 'SCHEMA_TOO_NEW', 'SCHEMA_CHECKSUM_MISMATCH', 'SCHEMA_HISTORY_INCONSISTENT', 'UNKNOWN_SCHEMA_VERSION', 'MIGRATION_FAILED', 'CONSTRAINT_VIOLATION', 'SQLITE_ERROR', 'MLS_NO_IDENTITY', 'MLS_IDENTITY_EXISTS', 'MLS_GROUP_NOT_FOUND', 'MLS_INVALID_MESSAGE', 'MLS_PROTOCOL_ERROR', 'MLS_MEMBER_NOT_FOUND', 'WELCOME_NOT_FOUND', 'WELCOME_EXPIRED', 'WELCOME_ALREADY_CONFIRMED', 'MLS_PROVIDER_VERSION', 'MLS_STATE_CORRUPT', 'CHANNEL_NOT_FOUND', 'CHANNEL_EXISTS', 'MESSAGE_ID_IN_OTHER_CHANNEL', 'IDEMPOTENCY_KEY_REUSED', 'ARCHIVE_TRUNCATED', 'NOT_AN_ARCHIVE', 'ARCHIVE_VERSION_UNSUPPORTED', 'ARCHIVE_CORRUPT', 'ARCHIVE_KEY_REQUIRED', 'WRONG_PASSPHRASE', 'ARCHIVE_SIGNATURE_INVALID', 'SIGNATURE_REQUIRED', 'SIGNER_MISMATCH', 'ABORTED', 'ARCHIVE_LIMIT_EXCEEDED', 'ARCHIVE_ENTRY_NOT_FOUND', 'IO_ERROR', 'BACKUP_INVALID', 'BACKUP_INTEGRITY_FAILED', 'NOT_INITIALIZED', 'WORKER_CRASHED', 'WORKER_TERMINATED', 'LOCKS_UNAVAILABLE', 'UNEXPECTED'];

/** read: asked again of the next owner when the owning tab goes away before answering; write and
 * stream: answered OWNER_CHANGED then (a write may or may not have been applied; a stream's caller
 * already has pieces). */
export type Access = 'read' | 'write' | 'stream';

/** Every call an app makes on a store, by the name it carries across the Worker protocol, with the
 * wasm `Store` export that runs it. */
export const METHODS = {
  'schemaVersion': { wasm: 'schemaVersion', access: 'read' },
  'migrateTo': { wasm: 'migrateTo', access: 'write' },
  'integrityCheck': { wasm: 'integrityCheck', access: 'read' },
  'compact': { wasm: 'compact', access: 'write' },
  'rekey': { wasm: 'rekey', access: 'write' },
  'kv.get': { wasm: 'kvGet', access: 'read' },
  'kv.put': { wasm: 'kvPut', access: 'write' },
  'kv.delete': { wasm: 'kvDelete', access: 'write' },
  'chat.createChannel': { wasm: 'chatCreateChannel', access: 'write' },
  'chat.channel': { wasm: 'chatChannel', access: 'read' },
  'chat.listChannels': { wasm: 'chatListChannels', access: 'read' },
  'chat.archiveChannel': { wasm: 'chatArchiveChannel', access: 'write' },
  'chat.unarchiveChannel': { wasm: 'chatUnarchiveChannel', access: 'write' },
  'chat.deleteChannel': { wasm: 'chatDeleteChannel', access: 'write' },
  'chat.appendMessage': { wasm: 'chatAppendMessage', access: 'write' },
  'chat.appendMessages': { wasm: 'chatAppendMessages', access: 'write' },
  'chat.page': { wasm: 'chatPage', access: 'read' },
  'chat.messageById': { wasm: 'chatMessageById', access: 'read' },
  'chat.messageCount': { wasm: 'chatMessageCount', access: 'read' },
  'chat.unprocessedCount': { wasm: 'chatUnprocessedCount', access: 'read' },
  'chat.unprocessed': { wasm: 'chatUnprocessed', access: 'read' },
  'chat.markProcessed': { wasm: 'chatMarkProcessed', access: 'write' },
  'chat.prune': { wasm: 'chatPrune', access: 'write' },
  'chat.addMembers': { wasm: 'chatAddMembers', access: 'write' },
  'chat.leave': { wasm: 'chatLeave', access: 'write' },
  'chat.members': { wasm: 'chatMembers', access: 'read' },
  'chat.isMember': { wasm: 'chatIsMember', access: 'read' },
  'chat.cleanupIdempotency': { wasm: 'chatCleanupIdempotency', access: 'write' },
  'mls.createIdentity': { wasm: 'mlsCreateIdentity', access: 'write' },
  'mls.identity': { wasm: 'mlsIdentity', access: 'read' },
  'mls.generateKeyPackages': { wasm: 'mlsGenerateKeyPackages', access: 'write' },
  'mls.keyPackageCounts': { wasm: 'mlsKeyPackageCounts', access: 'read' },
  'mls.keyPackageState': { wasm: 'mlsKeyPackageState', access: 'read' },
  'mls.createGroup': { wasm: 'mlsCreateGroup', access: 'write' },
  'mls.addMembers': { wasm: 'mlsAddMembers', access: 'write' },
  'mls.removeMembers': { wasm: 'mlsRemoveMembers', access: 'write' },
  'mls.mergePendingCommit': { wasm: 'mlsMergePendingCommit', access: 'write' },
  'mls.clearPendingCommit': { wasm: 'mlsClearPendingCommit', access: 'write' },
  'mls.encrypt': { wasm: 'mlsEncrypt', access: 'write' },
  'mls.processMessage': { wasm: 'mlsProcessMessage', access: 'write' },
  'mls.processMessages': { wasm: 'mlsProcessMessages', access: 'write' },
  'mls.processInboxes': { wasm: 'mlsProcessInboxes', access: 'write' },
  'mls.listGroups': { wasm: 'mlsListGroups', access: 'read' },
  'mls.groupEpoch': { wasm: 'mlsGroupEpoch', access: 'read' },
  'mls.members': { wasm: 'mlsMembers', access: 'read' },
  'mls.deleteGroup': { wasm: 'mlsDeleteGroup', access: 'write' },
  'mls.receiveWelcome': { wasm: 'mlsReceiveWelcome', access: 'write' },
  'mls.processWelcome': { wasm: 'mlsProcessWelcome', access: 'write' },
  'mls.confirmWelcome': { wasm: 'mlsConfirmWelcome', access: 'write' },
  'mls.expireWelcomes': { wasm: 'mlsExpireWelcomes', access: 'write' },
  'mls.welcomeState': { wasm: 'mlsWelcomeState', access: 'read' },
  'backup.export': { wasm: 'exportBackup', access: 'stream' },
  'backup.exportInPieces': { wasm: 'exportBackupInPieces', access: 'stream' },
  'backup.import': { wasm: 'importBackup', access: 'write' },
  'debug.simulateStorageFull': { wasm: 'debugSimulateStorageFull', access: 'write' },
} as const satisfies Record<string, { wasm: string; access: Access }>;

export type MethodName = keyof typeof METHODS;

/** The store's properties that group its methods (`store.chat.page(...)`). */
export const NAMESPACES = ['chat', 'mls', 'kv', 'backup', 'debug'] as const;
export type NamespaceName = (typeof NAMESPACES)[number];

export type BackendChoice = 'auto' | 'opfs' | 'indexeddb' | 'memory';
export type Backend = 'opfs' | 'indexeddb' | 'memory';

/** The backends a store opened with each choice can end up on. */
export const BACKEND_CANDIDATES: { readonly [C in BackendChoice]: readonly Backend[] } = {
  auto: ['opfs', 'indexeddb'],
  opfs: ['opfs'],
  indexeddb: ['indexeddb'],
  memory: ['memory'],
};

/** A store's Web Lock and BroadcastChannel are named this prefix + the store's name. */
export const LOCK_PREFIX = 'mls-web-store:';
export const lockName = (store: string): string => `${LOCK_PREFIX}${store}`;

/** The IndexedDB database holding store `name`'s pages is named this prefix + `name`. */
export const INDEXED_DB_DATABASE_PREFIX = 'mls-web-store/';
