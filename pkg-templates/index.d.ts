// Types of the main-thread client (`mls-web-store`): every Store method, answered by the package's Worker.
import type { Store, Backup, OpenBackupOptions, BackupManifest, ExportBackupOptions, StoreChange } from './mls_web_store.js';
import type { ErrorCode } from './error-codes.js';

export type * from './mls_web_store.js';
export type { ErrorCode } from './error-codes.js';

/** The error every call rejects with; branch on `code` (see the README's table). */
export declare class StoreError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: 'MlsWebStoreError';
  readonly code: ErrorCode;
}

type Promised<T> = T extends Promise<unknown> ? T : Promise<T>;
type RemoteMethods<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]:
    T[K] extends (...args: infer A) => infer R ? (...args: A) => Promised<R> : never;
};

/** "owner": this tab holds the database; "relay": another tab does and answers this tab's calls. */
export type StoreRole = 'owner' | 'relay';

/** A store opened by `openStore`: the wasm `Store`'s methods, each returning a Promise. */
export type RemoteStore = Omit<RemoteMethods<Store>, 'free' | 'close' | typeof Symbol.dispose | 'rekey' | 'onChange'> & {
  readonly name: string;
  readonly backend: 'opfs' | 'indexeddb' | 'memory';
  /** Why the store is on that backend (with "auto": what was tried, what failed), in words. */
  readonly backendReason: string;
  readonly persistent: boolean;
  readonly encrypted: boolean;
  readonly role: StoreRole;
  /** The browser's answer to `navigator.storage.persist()` / `persisted()`; false until it answered. */
  readonly persisted: boolean;
  /** Resolves to that answer whenever it comes (Firefox waits for the user; opening does not). */
  readonly persistence: Promise<boolean>;
  rekey(key: Uint8Array | null): Promise<void>;
  /** Calls `callback` after each durable write, made in this tab or any other, with what it changed (those
   * changes that pass `filter`: one channel's, and the store-wide ones; some types). Returns the function
   * that unsubscribes. `ownerChanged` means changes may have been missed: re-read what is shown. */
  subscribe(filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void): () => void;
  /** The backup as a stream of pieces, each handed over as it is made (pipe it to a file, or collect it). */
  exportBackupStream(options?: ExportBackupOptions): ReadableStream<Uint8Array>;
  /** Waits for calls in flight, closes the database, lets another tab take over, stops the worker. */
  close(): Promise<void>;
  /** Kills the worker at once, as a crash would; unanswered calls reject with WORKER_TERMINATED. */
  terminate(): void;
};

/** A change as the client delivers it: the store's, or `ownerChanged` when another tab took the store over. */
export type ClientChange = StoreChange | { type: 'ownerChanged' };
export interface ChangeFilter {
  /** Only this channel's changes (and the store-wide ones: storeReplaced, historyMerged, ownerChanged). */
  channelId?: string;
  types?: ClientChange['type'][];
}

export interface OpenOptions {
  name: string;
  backend?: 'auto' | 'opfs' | 'indexeddb' | 'memory';
  /** 32 bytes: encrypts the database at rest (or opens an encrypted one). */
  key?: Uint8Array;
  /** Ask the browser to keep this origin's storage (`navigator.storage.persist()`). */
  persist?: boolean;
  /** Called when this tab becomes the owner or starts relaying to another tab's owner. */
  onRoleChange?: (role: StoreRole) => void;
  /** How long the tab holding the store may leave pings unanswered before a waiting tab takes it over
   * (default 10 000 ms). A holder that runs again after that cannot write: its writes fail with OWNER_CHANGED. */
  livenessMs?: number;
  /** Where store-worker.js is served, if a bundler moved it. */
  workerUrl?: string | URL;
}

export declare function openStore(options: OpenOptions): Promise<RemoteStore>;
export declare function deleteStore(options: { name: string; backend?: 'auto' | 'opfs' | 'indexeddb' | 'memory'; workerUrl?: string | URL }): Promise<boolean>;

export interface RemoteBackup {
  readonly manifest: BackupManifest;
  listChannels(...args: Parameters<Backup['listChannels']>): Promise<ReturnType<Backup['listChannels']>>;
  page(...args: Parameters<Backup['page']>): Promise<ReturnType<Backup['page']>>;
  close(): Promise<void>;
}
export declare function openBackup(data: Blob | ArrayBuffer | Uint8Array, options?: OpenBackupOptions, worker?: { workerUrl?: string | URL }): Promise<RemoteBackup>;

/** Marks bytes to be moved into the worker instead of copied; the caller's array is emptied. */
export declare function transfer<T extends Uint8Array>(bytes: T): T;
/** `navigator.storage.estimate()`, or undefined where the browser has none. */
export declare function storageEstimate(): Promise<{ usage?: number; quota?: number } | undefined>;
/** Asks the browser not to evict this origin's storage; resolves to its answer. */
export declare function requestPersistence(): Promise<boolean>;
