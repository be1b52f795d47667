// The main-thread client. `openStore({ name, backend, key })` starts the package's own dedicated Worker
// (store-worker.js, where OPFS works), opens the store there and returns a proxy whose every Store method
// returns a Promise. Results' ArrayBuffers are transferred, not copied; arguments are copied unless wrapped
// in `transfer()`. Errors are `StoreError`s (name "MlsWebStoreError") with the stable `code` the wasm gives.
// Apps already running in a worker can skip all this and use `mls-web-store/direct`.

/** The error every call rejects with; branch on `code`. */
export class StoreError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'MlsWebStoreError';
    this.code = code;
  }
}

const toError = (error) => new StoreError(error?.code ?? 'UNEXPECTED', error?.message ?? String(error));
const transferMarked = new WeakSet();

/** Marks a Uint8Array's buffer to be moved (not copied) into the worker; the caller's view is emptied. */
export function transfer(bytes) {
  transferMarked.add(bytes);
  return bytes;
}

function prepareArgs(args, callbacks, signals) {
  const moved = [];
  const prepared = args.map((arg) => {
    if (arg instanceof Uint8Array) {
      if (transferMarked.has(arg)) moved.push(arg.buffer);
      return arg;
    }
    if (!arg || typeof arg !== 'object' || arg instanceof Blob || Array.isArray(arg)) return arg;
    const copy = { ...arg };
    for (const [field, value] of Object.entries(copy)) {
      if (typeof value === 'function') {
        callbacks.push(value);
        copy[field] = { __mlsWebStoreCallback: callbacks.length - 1 };
      } else if (typeof AbortSignal === 'function' && value instanceof AbortSignal) {
        // A signal cannot cross to the worker: it gets a marker, and an 'abort' message when this fires.
        signals.push(value);
        copy[field] = { __mlsWebStoreSignal: true };
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
function startWorker(workerUrl) {
  if (workerUrl) return new Worker(workerUrl, { type: 'module', name: 'mls-web-store' });
  return new Worker(new URL('./store-worker.js', import.meta.url), { type: 'module', name: 'mls-web-store' });
}

// One Worker and its pending calls.
class WorkerConnection {
  constructor(workerUrl) {
    this.worker = startWorker(workerUrl);
    this.pending = new Map();
    this.nextId = 1;
    this.listeners = new Map();
    this.dead = null;
    this.worker.onmessage = ({ data }) => this.onMessage(data);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.fail(new StoreError('WORKER_CRASHED', `the store's worker failed: ${event.message ?? 'unknown error'}`));
    };
  }

  on(op, listener) { this.listeners.set(op, listener); }

  onMessage(data) {
    const listener = this.listeners.get(data?.op);
    if (listener) listener(data);
    const pending = data?.id === undefined ? undefined : this.pending.get(data.id);
    if (!pending) return;
    if (data.op === 'progress') {
      pending.callbacks[data.index]?.(...data.args);
      return;
    }
    this.pending.delete(data.id);
    pending.settled?.();
    if (data.op === 'done') pending.resolve(data.value);
    else pending.reject(toError(data.error));
  }

  request(message, args = [], callbacks = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const signals = [];
    const { prepared, moved } = prepareArgs(args, callbacks, signals);
    return new Promise((resolve, reject) => {
      const abort = () => this.worker.postMessage({ op: 'abort', id });
      const settled = () => signals.forEach((signal) => signal.removeEventListener('abort', abort));
      this.pending.set(id, { resolve, reject, callbacks, settled });
      this.worker.postMessage({ ...message, id, args: prepared }, moved);
      for (const signal of signals) {
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  fail(error) {
    this.dead = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    this.listeners.get('dead')?.(error);
  }

  terminate(error) {
    this.worker.terminate();
    this.fail(error);
  }
}

const LOCAL = new Set(['name', 'backend', 'backendReason', 'persistent', 'persistence', 'encrypted', 'role', 'persisted', 'rekey', 'exportBackupStream', 'subscribe', 'close', 'terminate', 'then']);

// Changes that concern every channel: a channel filter lets them through.
const STORE_WIDE = new Set(['storeReplaced', 'historyMerged', 'ownerChanged']);

function changeFilter(filter) {
  const channelId = filter?.channelId;
  const types = filter?.types ? new Set(filter.types) : null;
  return (change) => (!types || types.has(change.type))
    && (channelId === undefined || change.channelId === channelId || STORE_WIDE.has(change.type));
}

/**
 * Opens (creating if needed) store `name` in the package's Worker. `backend`: "auto" (default), "opfs",
 * "indexeddb" or "memory". `key`: 32 bytes to encrypt the database. `persist: true` asks the browser to keep
 * the origin's storage (`navigator.storage.persist()`) without waiting for the answer (Firefox asks the
 * user, who may never answer); `store.persistence` resolves to it and `store.persisted` shows it once known.
 * `onRoleChange(role)` tells when this tab starts owning the store ("owner") or relays to another tab ("relay").
 * `livenessMs` (default 10 000): how long the tab holding the store may leave pings unanswered before a
 * waiting tab takes the store over.
 */
export async function openStore({ name, backend = 'auto', key, persist = false, onRoleChange, workerUrl, livenessMs } = {}) {
  if (typeof name !== 'string') throw new StoreError('INVALID_ARGUMENT', 'openStore({ name }) needs a store name');
  const connection = new WorkerConnection(workerUrl);
  let persisted = false;
  const persistence = (persist ? requestPersistence() : isPersisted()).then((answer) => {
    persisted = answer;
    return answer;
  });
  const info = await new Promise((resolve, reject) => {
    connection.on('opened', (data) => resolve(data.info));
    connection.on('open-failed', (data) => reject(toError(data.error)));
    connection.on('dead', reject);
    connection.worker.postMessage({ op: 'open', name, backend, key, livenessMs });
  }).catch((error) => {
    connection.worker.terminate();
    throw error;
  });
  const subscribers = new Set();
  connection.on('change', ({ changes }) => {
    for (const subscriber of subscribers) subscriber(changes);
  });
  let role = info.role;
  connection.on('role', (data) => {
    role = data.role;
    if (data.role === 'owner' || data.role === 'relay') onRoleChange?.(data.role);
  });
  let closing = null;
  const target = {
    get name() { return info.name; },
    get backend() { return info.backend; },
    /** Why the store is on that backend (with "auto": what was tried, what failed). */
    get backendReason() { return info.backendReason; },
    get persistent() { return info.persistent; },
    get encrypted() { return info.encrypted; },
    /** "owner" while this tab holds the database, "relay" while another tab does. */
    get role() { return role; },
    /** Whether the browser promised to keep this origin's storage; false until it answered. */
    get persisted() { return persisted; },
    /** Resolves to the browser's answer to `persist()` (or `persisted()`), whenever it comes. */
    get persistence() { return persistence; },
    async rekey(newKey) {
      await connection.request({ op: 'call', method: 'rekey' }, [newKey]);
      info.encrypted = newKey != null;
    },
    /** The backup as a ReadableStream of Uint8Array pieces, each handed over as the worker makes it (pipe it
     * to a file from `showSaveFilePicker()`, or `new Response(stream).blob()`). Options as exportBackup's. */
    exportBackupStream(options = {}) {
      return exportStream(connection, options);
    },
    /** Calls `callback(changes)` after each durable write, in this tab or any other, with the changes that
     * pass `filter` (`{ channelId?, types? }`; null for all). Returns a function that unsubscribes. */
    subscribe(filter, callback) {
      const matches = changeFilter(filter);
      const subscriber = (changes) => {
        const picked = changes.filter(matches);
        if (picked.length === 0) return;
        try {
          callback(picked);
        } catch (error) {
          // The app's callback failed: report it without stopping the other subscribers.
          setTimeout(() => { throw error; });
        }
      };
      subscribers.add(subscriber);
      return () => { subscribers.delete(subscriber); };
    },
    /** Closes the store (waiting for calls in flight), lets another tab take it over, stops the worker. */
    close() {
      closing ??= new Promise((resolve, reject) => {
        if (connection.dead) { resolve(); return; }
        connection.on('closed', (data) => {
          connection.terminate(new StoreError('STORE_CLOSED', 'the store was closed'));
          if (data.error) reject(toError(data.error)); else resolve();
        });
        connection.on('dead', () => resolve());
        connection.worker.postMessage({ op: 'close' });
      });
      return closing;
    },
    /** Kills the worker at once, like a crashed tab would (tests use it). Unanswered calls reject. */
    terminate() {
      connection.terminate(new StoreError('WORKER_TERMINATED', 'the store\'s worker was terminated'));
    },
  };
  return new Proxy(target, {
    get(object, property) {
      if (typeof property !== 'string' || LOCAL.has(property)) return Reflect.get(object, property);
      return (...args) => connection.request({ op: 'call', method: property }, args);
    },
  });
}

function exportStream(connection, options) {
  return new ReadableStream({
    start(controller) {
      const onChunk = (bytes) => controller.enqueue(bytes);
      connection.request({ op: 'call', method: 'exportBackupInPieces' }, [{ ...options, onChunk }])
        .then(() => controller.close(), (error) => controller.error(error));
    },
  });
}

/** Deletes store `name` on `backend`; rejects with STORE_IN_USE while any tab has it open. */
export async function deleteStore({ name, backend = 'auto', workerUrl } = {}) {
  const connection = new WorkerConnection(workerUrl);
  try {
    return await connection.request({ op: 'delete', name, backend });
  } finally {
    connection.worker.terminate();
  }
}

/** Opens a backup (Blob or bytes) for browsing in its own worker, without importing it. */
export async function openBackup(data, options, { workerUrl } = {}) {
  const connection = new WorkerConnection(workerUrl);
  const opened = await connection.request({ op: 'module', fn: 'openBackup' }, [data, options])
    .catch((error) => { connection.worker.terminate(); throw error; });
  const handle = opened.__mlsWebStoreHandle;
  const call = (method, args) => connection.request({ op: 'handle', handle, method }, args);
  return {
    manifest: opened.manifest,
    listChannels: (...args) => call('listChannels', args),
    page: (...args) => call('page', args),
    async close() {
      await call('close', []);
      connection.worker.terminate();
    },
  };
}

/** `navigator.storage.estimate()`: `{ usage, quota }` in bytes, or undefined where the browser has none. */
export async function storageEstimate() {
  if (!globalThis.navigator?.storage?.estimate) return undefined;
  const { usage, quota } = await navigator.storage.estimate();
  return { usage, quota };
}

/** Asks the browser not to evict this origin's storage; resolves to its answer (false where unsupported). */
export async function requestPersistence() {
  if (!globalThis.navigator?.storage?.persist) return false;
  try {
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}

async function isPersisted() {
  try {
    return (await globalThis.navigator?.storage?.persisted?.()) ?? false;
  } catch {
    return false;
  }
}
