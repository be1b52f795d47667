// The messages the package's pieces exchange, as discriminated unions: the client (index.ts) and its Worker
// (store-worker.ts) over postMessage, and the Workers of one store's tabs over its BroadcastChannel
// (ownership.ts). Nothing here runs; it only names what may be sent.
import type { BackendChoice, ErrorCode, MethodName } from './manifest.js';

/** An error as it crosses a boundary: a plain object with the stable code. */
export interface SerializedError {
  name: 'MlsWebStoreError';
  code: ErrorCode;
  message: string;
}

/** "owner": this tab holds the database; "relay": another tab does and answers this tab's calls. */
export type StoreRole = 'owner' | 'relay';
/** The Worker's own lifecycle: before it knows its role, and while and after it closes. */
export type WorkerRole = 'starting' | StoreRole | 'closing' | 'closed';

/** A call id: the client numbers its calls; a Worker's own calls (its relay's info request) are strings. */
export type CallId = number | string;

/** What a store reports about itself when it opens. */
export interface StoreInfo {
  name: string;
  backend: 'opfs' | 'indexeddb' | 'memory';
  backendReason: string;
  persistent: boolean;
  encrypted: boolean;
  schemaVersion: number;
  /** The manifest's methods this build has (test hooks only in the end-to-end harness's). */
  methods: MethodName[];
}

/** The Worker's own read of the owner's store info (relays ask it while opening). */
export const INFO_METHOD = '__info';
export type CallMethod = MethodName | typeof INFO_METHOD;

/** Client to Worker. */
export type ClientMessage =
  | { op: 'open'; name: string; backend: BackendChoice; key?: Uint8Array | null; livenessMs?: number; memoryLimitBytes?: number; pageCacheBytes?: number }
  | { op: 'call'; id: number; method: CallMethod; args: unknown[] }
  | { op: 'module'; id: number; fn: string; args: unknown[] }
  | { op: 'handle'; id: number; handle: number; method: string; args: unknown[] }
  | { op: 'delete'; id: number; name: string; backend: BackendChoice }
  | { op: 'abort'; id: number }
  | { op: 'close' };

/** Worker to client. */
export type WorkerMessage =
  | { op: 'opened'; info: StoreInfo & { role: StoreRole } }
  | { op: 'open-failed'; error: SerializedError }
  | { op: 'done'; id: CallId; value: unknown }
  | { op: 'failed'; id: CallId; error: SerializedError }
  | { op: 'progress'; id: CallId; index: number; args: unknown[] }
  | { op: 'role'; role: WorkerRole }
  | { op: 'closed'; error?: SerializedError }
  | { op: 'change'; changes: unknown[] };

/** A call as the Worker runs or relays it. */
export interface CallRequest {
  id: CallId;
  method: CallMethod;
  args: unknown[];
}

/** Worker to Worker, over the store's BroadcastChannel. `from`/`to`/`ownerId` are Worker ids. */
export type ChannelMessage =
  | { kind: 'hello'; from: string }
  | { kind: 'owner'; ownerId: string }
  | { kind: 'ping'; from: string }
  | { kind: 'pong'; from: string }
  | {
    kind: 'request';
    from: string;
    ownerId: string;
    id: CallId;
    method: CallMethod;
    args: unknown[];
    /** Proves the relay opened the store with the owner's key (see ownership.ts). */
    keyCheck: string;
  }
  | { kind: 'response'; to: string; id: CallId; ok: true; value: unknown }
  | { kind: 'response'; to: string; id: CallId; ok: false; error: SerializedError }
  | { kind: 'progress'; to: string; id: CallId; index: number; args: unknown[] }
  | { kind: 'change'; changes: unknown[] }
  | { kind: 'abort'; to: string; from: string; id: CallId };
