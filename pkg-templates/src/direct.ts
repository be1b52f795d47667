// The in-worker API for apps that already run in a worker (OPFS needs a dedicated Worker): the same
// namespaced store as the client's (`store.chat.page(...)`), each method the wasm export itself, behind a
// guard so that a call made before `await init()` fails with a clear error (code NOT_INITIALIZED) instead of
// a TypeError from deep inside the generated glue.
import wasmInit, * as wasm from './mls_web_store.js';
import { Subscribers, type ChangeFilter, type ClientChange } from './changes.js';
import type { BackendChoice, ErrorCode } from './manifest.js';
import {
  defineFacts, freezeNamespaces, methodsOf, namespaced, wasmExport, type StoreFacts, type StoreMethods,
} from './namespaces.js';
import type { StoreInfo } from './protocol.js';

export type { ErrorCode } from './manifest.js';
export type { ChangeFilter, ClientChange } from './changes.js';
export type * from './mls_web_store.js';

let initialized = false;
let initializing: Promise<unknown> | null = null;

/** Loads the wasm. Call (and await) once before anything else; later calls return the same Promise. */
export default function init(moduleOrPath?: Parameters<typeof wasmInit>[0]): Promise<unknown> {
  initializing ??= wasmInit(moduleOrPath).then((exports) => {
    initialized = true;
    return exports;
  });
  return initializing;
}

function notInitialized(name: string): Error & { code: ErrorCode } {
  const error = new Error(`${name}() was called before init(): await init() from 'mls-web-store/direct' first`) as Error & { code: ErrorCode };
  error.name = 'MlsWebStoreError';
  error.code = 'NOT_INITIALIZED';
  return error;
}

/** A store opened in this worker: its methods grouped as on the client, each the wasm export. */
export type DirectStore = StoreMethods<false> & Readonly<Omit<StoreInfo, 'schemaVersion' | 'methods'>> & {
  /** Calls `callback` after each durable write through this store with what it changed (those changes that
   * pass `filter`). Returns the function that unsubscribes. */
  subscribe(filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void): () => void;
  /** Closes the store; calls made after it reject with STORE_CLOSED. */
  close(): Promise<void>;
};

export interface DirectOpenOptions {
  name: string;
  backend?: BackendChoice;
  /** 32 bytes: encrypts the database at rest (or opens an encrypted one). */
  key?: Uint8Array;
  /** IndexedDB: the largest the database may be (default: no limit); see the client's `openStore`. */
  memoryLimitBytes?: number;
  /** IndexedDB: the page cache (default 32 MiB); a larger database is paged on demand. */
  pageCacheBytes?: number;
}

/** Opens (creating if needed) store `name` in this worker. */
export async function openStore({ name, backend = 'auto', key, memoryLimitBytes, pageCacheBytes }: DirectOpenOptions): Promise<DirectStore> {
  if (!initialized) throw notInitialized('openStore');
  const store = await wasm.openStore(name, backend, { key, memoryLimitBytes, pageCacheBytes });
  const subscribers = new Subscribers();
  store.onChange((changes) => subscribers.deliver(changes));
  // Only the methods this build has get a property, so each call finds its export.
  const root = namespaced((method, args) => wasmExport(store, method)?.apply(store, args), new Set(methodsOf(store)));
  defineFacts(root, () => store as unknown as StoreFacts);
  root.subscribe = (filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void) => subscribers.add(filter, callback);
  root.close = () => store.close();
  return freezeNamespaces(root) as unknown as DirectStore;
}

/** Deletes store `name` on `backend` (it must not be open). Resolves to whether it existed. */
export async function deleteStore({ name, backend = 'auto' }: { name: string; backend?: BackendChoice }): Promise<boolean> {
  if (!initialized) throw notInitialized('deleteStore');
  return wasm.deleteStore(name, backend);
}

/** Lets go of the OPFS handles of stores no longer open in this worker. */
export async function releaseOpfs(): Promise<void> {
  if (!initialized) throw notInitialized('releaseOpfs');
  return wasm.releaseOpfs();
}

/** Opens a backup for browsing, without importing it. */
export async function openBackup(...args: Parameters<typeof wasm.openBackup>): Promise<wasm.Backup> {
  if (!initialized) throw notInitialized('openBackup');
  return wasm.openBackup(...args);
}

/** The schema version this build migrates stores to. */
export function latestSchemaVersion(): number {
  if (!initialized) throw notInitialized('latestSchemaVersion');
  return wasm.latestSchemaVersion();
}

export { Backup } from './mls_web_store.js';
