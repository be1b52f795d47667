//! TypeScript shapes of the plain objects the JS API returns, emitted into the generated `.d.ts`; methods
//! name them through `unchecked_return_type`. `tests/types/consumer.ts` checks them with `tsc --noEmit`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
export interface MlsIdentity { identity: Uint8Array; signaturePublicKey: Uint8Array; }
export interface MlsKeyPackage { keyPackage: Uint8Array; hashRef: Uint8Array; }
export interface MlsKeyPackageCounts { available: number; used: number; }
export interface MlsKeyPackageState { used: boolean; lastResort: boolean; }
export interface MlsAddMembersResult { commit: Uint8Array; welcome: Uint8Array; }
export type MlsIncoming =
  | { kind: "application"; plaintext: Uint8Array; sender: Uint8Array }
  | { kind: "commit"; epoch: number; stillMember: boolean }
  | { kind: "proposal" }
  | { kind: "own" };
/** An incoming MLS message: its bytes, or with the delivery service's id (else one is derived from the bytes,
 * so a redelivered message is recognised) and its send time (else the time of processing). */
export type IncomingMessage = Uint8Array | { message: Uint8Array; messageId?: string; sentAtMs?: number };
export interface MlsInbox { groupId: Uint8Array; channelId: string; messages: IncomingMessage[]; }
/** What became of one message of a catch-up call. "application": decrypted and stored in the channel at seq;
 * "duplicate": a message with this id is stored there already, so it was not processed again; "rejected": the
 * protocol (or a chat limit) refused it, nothing of it was stored, and the other messages still applied. */
export type ProcessedMessage =
  | { kind: "application"; seq: number; messageId: string; sender: Uint8Array; plaintext: Uint8Array }
  | { kind: "duplicate"; seq: number; messageId: string }
  | { kind: "commit"; epoch: number; stillMember: boolean }
  | { kind: "proposal" }
  | { kind: "own" }
  | { kind: "rejected"; code: ErrorCode; reason: string };
/** What a durable write changed (see `Store.onChange`; the client's `subscribe`). */
export type StoreChange =
  | { type: "messagesAppended"; channelId: string; fromSeq: number; toSeq: number }
  | { type: "messagesProcessed"; channelId: string; seqs: number[] }
  | { type: "messagesPruned"; channelId: string; count: number }
  | { type: "channelCreated"; channelId: string }
  | { type: "channelArchived"; channelId: string; archived: boolean }
  | { type: "channelDeleted"; channelId: string }
  | { type: "membersChanged"; channelId: string }
  | { type: "groupEpoch"; groupId: Uint8Array; epoch: number }
  | { type: "groupDeleted"; groupId: Uint8Array }
  | { type: "keyValue"; namespace: string; key: string }
  | { type: "storeReplaced" }
  | { type: "historyMerged" };
export type WelcomeState = "received" | "in_flight" | "confirmed" | "expired";
export interface Channel {
  channelId: string; name: Uint8Array; groupId: Uint8Array | null; createdAtMs: number;
  archivedAtMs: number | null; lastSeq: number; unprocessed: number;
}
export interface Message {
  channelId: string; seq: number; messageId: string; sender: Uint8Array; body: Uint8Array;
  sentAtMs: number; storedAtMs: number; processed: boolean;
}
export interface Appended { seq: number; messageId: string; duplicate: boolean; }
export interface MessagePage { messages: Message[]; hasMore: boolean; }
export interface Member { identity: Uint8Array; role: "creator" | "admin" | "member"; joinedAtMs: number; leftAtMs: number | null; }
export interface MigrationReport { fromVersion: number; toVersion: number; applied: number[]; reverted: number[]; }
export interface BackupManifest {
  schemaVersion: number; fromSchemaVersion: number; createdAtMs: number; storeName: string; databaseBytes: number;
  channels: number; messages: number; mlsGroups: number; signer: Uint8Array | null;
  /** 1: the signature covers only the directory; 2: every byte (see docs/archive-format.md). */
  formatVersion: 1 | 2;
  /** 'full': everything, MLS state included (importing replaces the store); 'history': chat and key-value
   * only (importing merges). Backups from before scopes existed are 'full'. */
  scope: BackupScope;
  /** The filter a history backup was made with; null for a full backup. */
  filter: HistoryFilter | null;
}
export type BackupScope = 'full' | 'history';
export interface HistoryFilter { channels: string[] | null; sinceMs: number | null; untilMs: number | null; }
/** What importing a history backup added; the store's own rows are never changed. */
export interface MergedHistory {
  channelsAdded: number; messagesAdded: number;
  /** Messages whose id the store had already: left as they were. */
  messagesPresent: number;
  /** Added messages appended after their channel's newest because the store's channel had reached their seq. */
  messagesRenumbered: number;
  membersAdded: number; membersSkipped: number; kvEntriesAdded: number;
}
export interface ImportedBackup extends BackupManifest {
  /** What a history backup's merge added; null for a full backup (which replaced the store). */
  merged: MergedHistory | null;
}
export interface OpenStoreOptions { key?: Uint8Array; }
export interface WriteOptions { idempotencyKey?: string; idempotencyTtlMs?: number; }
export interface NewChannel { channelId: string; name?: Uint8Array; groupId?: Uint8Array; creator: Uint8Array; }
export interface NewMessage { messageId?: string; sender: Uint8Array; body: Uint8Array; sentAtMs?: number; }
export interface PageOptions { limit?: number; before?: number; after?: number; }
export interface ListChannelsOptions { archived?: boolean; }
export interface MembersOptions { includeLeft?: boolean; }
export interface WelcomeOptions { gracePeriodMs?: number; }
export interface BackupKeyOptions { passphrase?: string; key?: Uint8Array; }
export interface OpenBackupOptions extends BackupKeyOptions {
  /** Accept only a backup signed (format version 2) by this 32-byte Ed25519 public key. */
  signer?: Uint8Array;
  /** Cancels while the archive is read and checked (rejects with ABORTED; nothing is applied). */
  signal?: AbortSignal;
}
/** What a backup operation's progress is about: database bytes exported, archive bytes verified, the schema
 * migrated (0 then 1 of 1), the store replaced (0 then 1 of 1, once durable), a history backup's messages
 * merged. */
export type BackupPhase = 'export' | 'verify' | 'migrate' | 'replace' | 'merge';
export interface ExportBackupOptions extends BackupKeyOptions {
  signingKey?: Uint8Array; splitThreshold?: number;
  /** 'full' (the default) or 'history'; the filters below apply to history backups only. */
  scope?: BackupScope;
  /** Only these channels (each must exist: CHANNEL_NOT_FOUND otherwise). */
  channels?: string[];
  /** Only messages sent at or after sinceMs and before untilMs. */
  sinceMs?: number; untilMs?: number;
  /** Cancels between pieces (rejects with ABORTED; the snapshot is deleted). */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, phase: BackupPhase) => void;
}
export interface ExportBackupInPiecesOptions extends ExportBackupOptions {
  /** Each piece of the archive, in order, as it is made. */
  onChunk: (bytes: Uint8Array) => void;
}
export interface ImportBackupOptions extends OpenBackupOptions {
  onProgress?: (done: number, total: number, phase: BackupPhase) => void;
}
import type { ErrorCode } from "./manifest.js";
export type { ErrorCode } from "./manifest.js";
export interface MlsWebStoreError extends Error { name: "MlsWebStoreError"; code: ErrorCode; }
"#;
