// The main-thread client. `openStore({ name, backend, key })` starts the package's own dedicated Worker
// (store-worker.ts, where OPFS works), opens the store there and returns the store object: its methods grouped
// as `store.chat`, `store.mls`, `store.kv`, `store.backup` (from the manifest), each returning a Promise.
// Results' ArrayBuffers are transferred, not copied; arguments are copied unless wrapped in `transfer()`.
// Errors are `StoreError`s (name "MlsWebStoreError") with the stable `code` the wasm gives. Apps already
// running in a worker can skip all this and use `mls-web-store/direct`.
import { Subscribers, type ChangeFilter, type ClientChange } from './changes.js';
import type { BackendChoice, ErrorCode, MethodName } from './manifest.js';
import type { BackupManifest, ExportBackupOptions, OpenBackupOptions, Backup } from './mls_web_store.js';
import { defineFacts, freezeNamespaces, namespaced, type StoreMethods } from './namespaces.js';
import type { ClientMessage, SerializedError, StoreInfo, StoreRole, WorkerMessage } from './protocol.js';
import type { CallbackMarker, SignalMarker } from './values.js';

export type * from './mls_web_store.js';
export type { ErrorCode, BackendChoice } from './manifest.js';
export type { ChangeFilter, ClientChange } from './changes.js';
export type { StoreRole } from './protocol.js';

/** The error every call rejects with; branch on `code` (see the README's table). */
export class StoreError extends Error {
  override readonly name = 'MlsWebStoreError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const toError = (error: Partial<SerializedError> | undefined): StoreError =>
  new StoreError(error?.code ?? 'UNEXPECTED', error?.message ?? String(error));
const transferMarked = new WeakSet<Uint8Array>();

/** Marks a Uint8Array's buffer to be moved (not copied) into the worker; the caller's view is emptied. */
export function transfer<T extends Uint8Array>(bytes: T): T {
  transferMarked.add(bytes);
  return bytes;
}

type Callback = (...args: unknown[]) => void;

function prepareArgs(args: unknown[], callbacks: Callback[], signals: AbortSignal[]): { prepared: unknown[]; moved: Transferable[] } {
  const moved: Transferable[] = [];
  const prepared = args.map((arg) => {
    if (arg instanceof Uint8Array) {
      if (transferMarked.has(arg)) moved.push(arg.buffer);
      return arg;
    }
    if (!arg || typeof arg !== 'object' || arg instanceof Blob || Array.isArray(arg)) return arg;
    const copy: Record<string, unknown> = { ...arg };
    for (const [field, value] of Object.entries(copy)) {
      if (typeof value === 'function') {
        callbacks.push(value as Callback);
        const marker: CallbackMarker = { __mlsWebStoreCallback: callbacks.length - 1 };
        copy[field] = marker;
      } else if (typeof AbortSignal === 'function' && value instanceof AbortSignal) {
        // A signal cannot cross to the worker: it gets a marker, and an 'abort' message when this fires.
        signals.push(value);
        const marker: SignalMarker = { __mlsWebStoreSignal: true };
        copy[field] = marker;
      } else if (value instanceof Uint8Array && transferMarked.has(value)) {
        moved.push(value.buffer);
      }
    }
    return copy;
  });
  return { prepared, moved };
}

// Written as `new Worker(new URL(..., import.meta.url))` so that bundlers (Vite, webpack) see the worker and
// bundle it with the wasm it loads.
function startWorker(workerUrl?: string | URL): Worker {
  if (workerUrl) return new Worker(workerUrl, { type: 'module', name: 'mls-web-store' });
  return new Worker(new URL('./store-worker.js', import.meta.url), { type: 'module', name: 'mls-web-store' });
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  callbacks: Callback[];
  settled: () => void;
}
type Listener<Op extends WorkerMessage['op'] | 'dead'> = Op extends 'dead'
  ? (error: StoreError) => void
  : (message: Extract<WorkerMessage, { op: Op }>) => void;
type RequestMessage = Extract<ClientMessage, { op: 'call' | 'module' | 'handle' | 'delete' }>;
type Unnumbered<M> = M extends unknown ? Omit<M, 'id' | 'args'> : never;

// One Worker and its pending calls.
class WorkerConnection {
  readonly worker: Worker;
  dead: StoreError | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly listeners = new Map<string, (value: never) => void>();

  constructor(workerUrl?: string | URL) {
    this.worker = startWorker(workerUrl);
    this.worker.onmessage = ({ data }) => this.onMessage(data as WorkerMessage);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.fail(new StoreError('WORKER_CRASHED', `the store's worker failed: ${event.message ?? 'unknown error'}`));
    };
  }

  on<Op extends WorkerMessage['op'] | 'dead'>(op: Op, listener: Listener<Op>): void {
    this.listeners.set(op, listener as (value: never) => void);
  }

  private emit(op: string, value: unknown): void {
    (this.listeners.get(op) as ((value: unknown) => void) | undefined)?.(value);
  }

  post(message: ClientMessage): void {
    this.worker.postMessage(message);
  }

  private onMessage(data: WorkerMessage): void {
    this.emit(data?.op, data);
    const pending = data && 'id' in data && typeof data.id === 'number' ? this.pending.get(data.id) : undefined;
    if (!pending) return;
    if (data.op === 'progress') {
      pending.callbacks[data.index]?.(...data.args);
      return;
    }
    this.pending.delete((data as { id: number }).id);
    pending.settled();
    if (data.op === 'done') pending.resolve(data.value);
    else if (data.op === 'failed') pending.reject(toError(data.error));
  }

  request(message: Unnumbered<RequestMessage>, args: unknown[] = [], callbacks: Callback[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const signals: AbortSignal[] = [];
    const { prepared, moved } = prepareArgs(args, callbacks, signals);
    return new Promise((resolve, reject) => {
      const abort = () => this.post({ op: 'abort', id });
      const settled = () => signals.forEach((signal) => signal.removeEventListener('abort', abort));
      this.pending.set(id, { resolve, reject, callbacks, settled });
      this.worker.postMessage({ ...message, id, args: prepared } as ClientMessage, moved);
      for (const signal of signals) {
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  fail(error: StoreError): void {
    this.dead = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    this.emit('dead', error);
  }

  terminate(error: StoreError): void {
    this.worker.terminate();
    this.fail(error);
  }
}

/** A store opened by `openStore`: its methods grouped by namespace, each returning a Promise. */
export type RemoteStore = Omit<StoreMethods<true>, 'rekey' | 'backup'> & Readonly<Omit<StoreInfo, 'schemaVersion' | 'methods'>> & {
  readonly backup: StoreMethods<true>['backup'] & {
    /** The backup as a stream of pieces, each handed over as the worker makes it (pipe it to a file from
     * `showSaveFilePicker()`, or `new Response(stream).blob()`). Options as `export`'s. */
    exportStream(options?: ExportBackupOptions): ReadableStream<Uint8Array>;
  };
  /** "owner" while this tab holds the database, "relay" while another tab does. */
  readonly role: StoreRole;
  /** The browser's answer to `navigator.storage.persist()` / `persisted()`; false until it answered. */
  readonly persisted: boolean;
  /** Resolves to that answer whenever it comes (Firefox waits for the user; opening does not). */
  readonly persistence: Promise<boolean>;
  /** Encrypts the database with `key` (32 bytes), re-encrypts it, or decrypts it (`null`). */
  rekey(key: Uint8Array | null): Promise<void>;
  /** Calls `callback` after each durable write, made in this tab or any other, with what it changed (those
   * changes that pass `filter`: one channel's, and the store-wide ones; some types). Returns the function
   * that unsubscribes. `ownerChanged` means changes may have been missed: re-read what is shown. */
  subscribe(filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void): () => void;
  /** Waits for calls in flight, closes the database, lets another tab take over, stops the worker. */
  close(): Promise<void>;
  /** Kills the worker at once, as a crash would; unanswered calls reject with WORKER_TERMINATED. */
  terminate(): void;
};

export interface OpenOptions {
  name: string;
  backend?: BackendChoice;
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
  /** IndexedDB: the largest the database may be; a larger one is refused with STORE_TOO_LARGE, and a write
   * that would grow it larger fails with it (default: no limit). */
  memoryLimitBytes?: number;
  /** IndexedDB: a database up to this size is held whole in memory; a larger one is paged on demand,
   * holding about this much (default 32 MiB). */
  pageCacheBytes?: number;
}

/**
 * Opens (creating if needed) store `name` in the package's Worker. `backend`: "auto" (default), "opfs",
 * "indexeddb" or "memory". `key`: 32 bytes to encrypt the database. `persist: true` asks the browser to keep
 * the origin's storage (`navigator.storage.persist()`) without waiting for the answer (Firefox asks the
 * user, who may never answer); `store.persistence` resolves to it and `store.persisted` shows it once known.
 */
export async function openStore({ name, backend = 'auto', key, persist = false, onRoleChange, workerUrl, livenessMs, memoryLimitBytes, pageCacheBytes }: OpenOptions): Promise<RemoteStore> {
  if (typeof name !== 'string') throw new StoreError('INVALID_ARGUMENT', 'openStore({ name }) needs a store name');
  const connection = new WorkerConnection(workerUrl);
  let persisted = false;
  const persistence = (persist ? requestPersistence() : isPersisted()).then((answer) => {
    persisted = answer;
    return answer;
  });
  const info = await new Promise<StoreInfo & { role: StoreRole }>((resolve, reject) => {
    connection.on('opened', (data) => resolve(data.info));
    connection.on('open-failed', (data) => reject(toError(data.error)));
    connection.on('dead', reject);
    connection.post({ op: 'open', name, backend, key, livenessMs, memoryLimitBytes, pageCacheBytes });
  }).catch((error: unknown) => {
    connection.worker.terminate();
    throw error;
  });
  const subscribers = new Subscribers();
  connection.on('change', ({ changes }) => subscribers.deliver(changes as ClientChange[]));
  let role: StoreRole = info.role;
  connection.on('role', (data) => {
    if (data.role === 'owner' || data.role === 'relay') {
      role = data.role;
      onRoleChange?.(data.role);
    }
  });
  let closing: Promise<void> | null = null;
  const call = (method: MethodName, args: unknown[]) => connection.request({ op: 'call', method }, args);
  const store = namespaced(call, new Set(info.methods));
  (store.backup as Record<string, unknown>).exportStream = (options: ExportBackupOptions = {}) => exportStream(connection, options);
  defineFacts(store, () => info, { role: () => role, persisted: () => persisted, persistence: () => persistence });
  Object.assign(store, {
    async rekey(newKey: Uint8Array | null) {
      await call('rekey', [newKey]);
      info.encrypted = newKey != null;
    },
    subscribe: (filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void) => subscribers.add(filter, callback),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        if (connection.dead) { resolve(); return; }
        connection.on('closed', (data) => {
          connection.terminate(new StoreError('STORE_CLOSED', 'the store was closed'));
          if (data.error) reject(toError(data.error)); else resolve();
        });
        connection.on('dead', () => resolve());
        connection.post({ op: 'close' });
      });
      return closing;
    },
    terminate() {
      connection.terminate(new StoreError('WORKER_TERMINATED', 'the store\'s worker was terminated'));
    },
  });
  return freezeNamespaces(store) as unknown as RemoteStore;
}

function exportStream(connection: WorkerConnection, options: ExportBackupOptions): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const onChunk = (bytes: Uint8Array) => controller.enqueue(bytes);
      connection.request({ op: 'call', method: 'backup.exportInPieces' }, [{ ...options, onChunk }])
        .then(() => controller.close(), (error: unknown) => controller.error(error));
    },
  });
}

/** Deletes store `name` on `backend`; rejects with STORE_IN_USE while any tab has it open. */
export async function deleteStore({ name, backend = 'auto', workerUrl }: { name: string; backend?: BackendChoice; workerUrl?: string | URL }): Promise<boolean> {
  const connection = new WorkerConnection(workerUrl);
  try {
    return await connection.request({ op: 'delete', name, backend }) as boolean;
  } finally {
    connection.worker.terminate();
  }
}

/** A backup opened for browsing in its own worker. */
export interface RemoteBackup {
  readonly manifest: BackupManifest;
  listChannels(...args: Parameters<Backup['listChannels']>): Promise<ReturnType<Backup['listChannels']>>;
  page(...args: Parameters<Backup['page']>): Promise<ReturnType<Backup['page']>>;
  close(): Promise<void>;
}

/** Opens a backup (Blob or bytes) for browsing in its own worker, without importing it. */
export async function openBackup(data: Blob | ArrayBuffer | Uint8Array, options?: OpenBackupOptions, { workerUrl }: { workerUrl?: string | URL } = {}): Promise<RemoteBackup> {
  const connection = new WorkerConnection(workerUrl);
  const opened = await connection.request({ op: 'module', fn: 'openBackup' }, [data, options])
    .catch((error: unknown) => { connection.worker.terminate(); throw error; }) as { __mlsWebStoreHandle: number; manifest: BackupManifest };
  const handle = opened.__mlsWebStoreHandle;
  const call = (method: string, args: unknown[]) => connection.request({ op: 'handle', handle, method }, args);
  return {
    manifest: opened.manifest,
    listChannels: (...args) => call('listChannels', args) as Promise<ReturnType<Backup['listChannels']>>,
    page: (...args) => call('page', args) as Promise<ReturnType<Backup['page']>>,
    async close() {
      await call('close', []);
      connection.worker.terminate();
    },
  };
}

/** `navigator.storage.estimate()`: `{ usage, quota }` in bytes, or undefined where the browser has none. */
export async function storageEstimate(): Promise<{ usage?: number; quota?: number } | undefined> {
  if (!globalThis.navigator?.storage?.estimate) return undefined;
  const { usage, quota } = await navigator.storage.estimate();
  return { usage, quota };
}

/** Asks the browser not to evict this origin's storage; resolves to its answer (false where unsupported). */
export async function requestPersistence(): Promise<boolean> {
  if (!globalThis.navigator?.storage?.persist) return false;
  try {
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}

async function isPersisted(): Promise<boolean> {
  try {
    return (await globalThis.navigator?.storage?.persisted?.()) ?? false;
  } catch {
    return false;
  }
}
