// The package's own dedicated Worker: it loads the wasm and gives the ownership state machine
// (ownership.ts) what the browser provides: Web Locks, the store's BroadcastChannel, the wasm store, time.
// It also answers the calls that need no store: deleting one, opening a backup for browsing.
//
// Protocol with the client (index.ts): `ClientMessage` in, `WorkerMessage` out (protocol.ts).
import init, * as wasm from './mls_web_store.js';
import { callHandle, callModule } from './backups.js';
import { systemClock } from './liveness.js';
import { BACKEND_CANDIDATES, lockName, type BackendChoice } from './manifest.js';
import { methodsOf, wasmExport } from './namespaces.js';
import { StoreOwnership, type OwnershipHost, type StoreLimits } from './ownership.js';
import type { CallId, ChannelMessage, ClientMessage, StoreInfo, WorkerMessage } from './protocol.js';
import { checkNotLost, register, unregister } from './registry.js';
import { codeOf, errorOf, reviveCallbacks, serializeError, transferables } from './values.js';

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => scope.postMessage(message, transfer);

const wasmReady = init();
// How long a reopening owner keeps retrying while the previous owner's OPFS handles are still being let go
// (Chrome releases them a moment after a Worker dies or a tab reloads).
const OPFS_RETRY_MS = 20_000;

async function openWithRetry(name: string, backend: BackendChoice, key: Uint8Array | null, limits: StoreLimits): Promise<wasm.Store> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await wasm.openStore(name, backend, key ? { ...limits, key } : limits);
    } catch (error) {
      if (codeOf(error) !== 'OPFS_IN_USE' || Date.now() - started > OPFS_RETRY_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

const host: OwnershipHost<wasm.Store> = {
  workerId: crypto.randomUUID(),
  locks: globalThis.navigator?.locks,
  clock: systemClock,
  openChannel(name, onMessage) {
    if (typeof BroadcastChannel !== 'function') return undefined;
    const channel = new BroadcastChannel(name);
    channel.onmessage = ({ data }) => onMessage(data);
    return { post: (message: ChannelMessage) => channel.postMessage(message), close: () => channel.close() };
  },
  openStore: openWithRetry,
  closeStore: (store) => store.close(),
  storeInfo: (store): StoreInfo => ({
    name: store.name,
    backend: store.backend as StoreInfo['backend'],
    backendReason: store.backendReason,
    persistent: store.persistent,
    encrypted: store.encrypted,
    schemaVersion: store.schemaVersion(),
    methods: methodsOf(store),
  }),
  async invoke(store, method, args, emit, signal) {
    const fn = wasmExport(store, method);
    // A test hook asked of the shipped build, which has none.
    if (!fn) throw errorOf('INVALID_ARGUMENT', `this build of the store has no ${method}`);
    return fn.apply(store, reviveCallbacks(args, emit, signal));
  },
  onChanges: (store, tell) => store.onChange(tell),
  keyCheck: (name, key) => wasm.relayKeyCheck(name, key ?? undefined),
  checkNotLost,
  register,
  reply: post,
};

const ownership = new StoreOwnership(host);

async function deleteStore(name: string, backend: BackendChoice): Promise<boolean> {
  await wasmReady;
  const candidates = BACKEND_CANDIDATES[backend];
  if (!candidates) throw errorOf('UNKNOWN_BACKEND', `unknown backend ${String(backend)}`);
  if (candidates.every((candidate) => candidate === 'memory')) return wasm.deleteStore(name, backend);
  const locks = globalThis.navigator?.locks;
  if (!locks) throw errorOf('LOCKS_UNAVAILABLE', 'this browser has no Web Locks: a store in use cannot be told apart');
  return locks.request(lockName(name), { ifAvailable: true }, async (lock) => {
    if (!lock) throw errorOf('STORE_IN_USE', `store ${name} is open in this or another tab: close it first`);
    try {
      const existed = await wasm.deleteStore(name, backend);
      if (candidates.includes('indexeddb')) await unregister(name);
      return existed;
    } finally {
      if (candidates.includes('opfs')) await wasm.releaseOpfs().catch(() => {});
    }
  });
}

function answer(id: CallId, work: Promise<unknown>): void {
  work.then(
    (value) => post({ op: 'done', id, value }, transferables(value)),
    (error) => post({ op: 'failed', id, error: serializeError(error) }),
  );
}

// AbortControllers of module calls (opening a backup) running here, by call id.
const moduleAborts = new Map<CallId, AbortController>();

scope.onmessage = ({ data }) => {
  const message = data as ClientMessage;
  switch (message?.op) {
    case 'open':
      wasmReady.then(
        () => ownership.open(message),
        (error) => post({ op: 'open-failed', error: serializeError(error) }),
      );
      break;
    case 'call':
      ownership.call(message);
      break;
    case 'module': {
      const controller = new AbortController();
      moduleAborts.set(message.id, controller);
      const args = reviveCallbacks(message.args ?? [], () => {}, controller.signal);
      const work = wasmReady.then(() => callModule(message.fn, args));
      work.finally(() => moduleAborts.delete(message.id)).catch(() => {});
      answer(message.id, work);
      break;
    }
    case 'handle':
      answer(message.id, callHandle(message.handle, message.method, message.args));
      break;
    case 'delete':
      answer(message.id, deleteStore(message.name, message.backend ?? 'auto'));
      break;
    case 'abort':
      moduleAborts.get(message.id)?.abort();
      ownership.abort(message.id);
      break;
    case 'close':
      ownership.close().then(
        () => post({ op: 'closed' }),
        (error) => post({ op: 'closed', error: serializeError(error) }),
      );
      break;
    default:
      break;
  }
};
