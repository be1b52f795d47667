//! TypeScript shapes of the arguments the JS API takes (option objects, incoming messages) and the string
//! unions both sides use, emitted into the generated `.d.ts`. The objects it returns are declared by their
//! definitions in `results.rs`. `tests/types/*.ts` check both with `tsc --noEmit --strict`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** An incoming MLS message: its bytes, or with the delivery service's id (else one is derived from the bytes,
 * so a redelivered message is recognised) and its send time (else the time of processing). */
export type IncomingMessage = Uint8Array | { message: Uint8Array; messageId?: string; sentAtMs?: number };
export interface MlsInbox { groupId: Uint8Array; channelId: string; messages: IncomingMessage[]; }
export interface OpenStoreOptions { key?: Uint8Array; memoryLimitBytes?: number; pageCacheBytes?: number; }
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
