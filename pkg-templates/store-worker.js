// The package's own dedicated Worker: it loads the wasm, and either OWNS a store (holds its Web Lock and its
// database) or RELAYS calls to the tab that owns it. Exactly one worker per origin owns a store at a time
// (the lock `mls-web-store:<name>`); the others forward their calls over a BroadcastChannel of the same name
// and queue for the lock, so when the owner's tab closes, crashes or reloads, the next in line opens the
// database and announces itself. A read whose owner vanished before answering is asked again of the next
// owner; a write fails with OWNER_CHANGED (it may or may not have been applied: retry idempotent writes with
// the same ids).
//
// Locks can misbehave (WebKit keeps a Worker's lock across a reload; a frozen tab keeps its lock): a waiting
// worker pings the holder over the channel, and when nothing has answered for `livenessMs` it steals the
// lock. The stale holder, if it ever runs again, cannot write: on OPFS its exclusive sync access handles
// keep the new owner out until it lets go, and on IndexedDB every write checks the owner epoch that each open
// raises, so its writes fail with OWNER_CHANGED and write nothing; it then closes and relays.
//
// A relay proves it opened the store with the owner's key without sending it: every request carries a key
// check value (wasm `relayKeyCheck`: an HMAC under the key of the store's name) that the owner compares with
// its own, and answers a mismatch with WRONG_KEY, as opening the database with that key alone would be. The
// BroadcastChannel is the origin's, so it is no boundary against scripts of the same origin (they can read
// the page anyway); the check keeps a tab with a wrong or missing key from reading or writing the store.
// After a rekey the owner and the relay that asked for it adopt the new key; the other relays then fail with
// WRONG_KEY until reopened with it.
//
// Change events: the owner's store tells what each durable write changed (wasm `onChange`); the owner passes
// them to its own client and over the channel to every relay, which passes them to its client, so every tab
// hears every change in the order the owner made them. When the owner changes, tabs hear `ownerChanged`
// (a write of the previous owner may not have been told): re-read what is on screen.
//
// Protocol with the client (index.js), all `postMessage`:
//   in:  { op: 'open', name, backend, key, livenessMs } | { op: 'call', id, method, args } | { op: 'module', id, fn, args }
//        { op: 'handle', id, handle, method, args } | { op: 'close' } | { op: 'delete', id, name, backend }
//   out: { op: 'opened', info } | { op: 'open-failed', error } | { op: 'done', id, value } |
//        { op: 'failed', id, error } | { op: 'progress', id, index, args } | { op: 'role', role } | { op: 'closed' } |
//        { op: 'change', changes }
import init, * as wasm from './mls_web_store.js';
import { callHandle, callModule } from './worker-backups.js';
import { checkNotLost, register, unregister } from './worker-registry.js';
import { errorOf, reviveCallbacks, serializeError, transferables } from './worker-values.js';
import { LivenessWatch } from './worker-liveness.js';

const wasmReady = init();
const workerId = crypto.randomUUID();
// How long a reopening owner keeps retrying while the previous owner's OPFS handles are still being let go
// (Chrome releases them a moment after a worker dies or a tab reloads).
const OPFS_RETRY_MS = 20_000;

const state = {
  name: null,
  backend: null,
  key: null,
  keyCheck: null, // relayKeyCheck(name, key): what relays must show
  channel: null,
  role: 'starting', // 'owner' | 'relay' | 'closing' | 'closed'
  store: null,
  ownerId: null,
  releaseLock: null,
  abortLockWait: null,
  openAnswered: false,
  relayed: new Map(), // request id -> { ownerId, request }: calls sent to the owner, not yet answered
  queued: [], // relay requests waiting for an owner
  inFlight: new Set(),
  holdsLock: false,
  aborts: new Map(), // "<caller>:<id>" -> AbortController of a call running here
  abortedQueued: new Set(), // ids of queued relay requests the client aborted before they were sent
};
const lockName = () => `mls-web-store:${state.name}`;

// The relay's own info request (made while opening) is answered to itself, not to the client.
const pendingInfo = new Map();
function reply(message, transfer = []) {
  const pending = message.id === undefined ? undefined : pendingInfo.get(message.id);
  if (!pending) {
    postMessage(message, transfer);
    return;
  }
  if (message.op === 'progress') return;
  pendingInfo.delete(message.id);
  // `__info` is a read, so an owner that went away meanwhile is asked again, never answered OWNER_CHANGED.
  if (message.op === 'done') pending.resolve(message.value);
  else pending.reject(message.error);
}

let roleKnown;
const roleKnownPromise = new Promise((resolve) => { roleKnown = resolve; });

async function openWithRetry() {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await wasm.openStore(state.name, state.backend, state.key ? { key: state.key } : undefined);
    } catch (error) {
      if (error?.code !== 'OPFS_IN_USE' || Date.now() - started > OPFS_RETRY_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

function storeInfo() {
  const store = state.store;
  return {
    name: store.name,
    backend: store.backend,
    backendReason: store.backendReason,
    persistent: store.persistent,
    encrypted: store.encrypted,
    schemaVersion: store.schemaVersion(),
  };
}

// Runs a Store method on the owned database.
async function execute(method, args, emit, signal) {
  // Ownership went away between the call's arrival and now (the lock was stolen, a write was fenced): the
  // store was closed here; the caller retries reads with the next owner and learns a write was not applied.
  if (!state.store) throw errorOf('OWNER_CHANGED', 'this tab gave up the store before the call ran; it was not applied');
  if (method === '__info') return storeInfo();
  const fn = typeof method === 'string' && !method.startsWith('_') && method !== 'close' && method !== 'free'
    && method !== 'constructor' ? wasm.Store.prototype[method] : undefined;
  if (typeof fn !== 'function') throw errorOf('INVALID_ARGUMENT', `the store has no method ${String(method)}`);
  return fn.apply(state.store, reviveCallbacks(args, emit, signal));
}

// An IndexedDB store whose write failed (quota, a browser error) holds changes in memory that IndexedDB
// never got, and refuses further calls (STORE_NOT_DURABLE). The failed call reports its error; then the owner
// reopens the store from IndexedDB, i.e. from the last acknowledged state, and carries on.
const REOPEN_AFTER = new Set(['QUOTA_EXCEEDED', 'INDEXEDDB_ERROR', 'STORE_NOT_DURABLE']);
let needsReopen = false;
let reopening = null;

async function reopen() {
  await Promise.allSettled([...state.inFlight]);
  try {
    await state.store.close();
  } catch {
    // Closing reports the unwritten changes again; they are the ones being dropped.
  }
  state.store = listen(await openWithRetry());
  needsReopen = false;
}

function startReopen() {
  reopening ??= reopen().catch(() => {}).finally(() => { reopening = null; });
  return reopening;
}

async function runOwned(method, args, emit, abortKey) {
  if (needsReopen) await startReopen();
  if (needsReopen) {
    throw errorOf('STORE_NOT_DURABLE', 'the store could not be reopened after a failed IndexedDB write; the next call tries again');
  }
  const controller = new AbortController();
  state.aborts.set(abortKey, controller);
  const task = execute(method, args, emit, controller.signal);
  task.finally(() => state.aborts.delete(abortKey)).catch(() => {});
  state.inFlight.add(task);
  try {
    const value = await task;
    if (method === 'rekey') adoptKey(args[0]);
    return value;
  } catch (error) {
    if (error?.code === 'OWNER_CHANGED' && state.role === 'owner') {
      // Fenced: another worker took the store over (it stole the lock from this one while it was silent).
      state.inFlight.delete(task);
      loseOwnership();
    } else if (state.backend === 'indexeddb' && REOPEN_AFTER.has(error?.code)) {
      needsReopen = true;
      state.inFlight.delete(task);
      await startReopen();
    }
    throw error;
  } finally {
    state.inFlight.delete(task);
  }
}

// The store now opens with `key` (a rekey succeeded): keep it for reopening, and prove it from now on.
function adoptKey(key) {
  state.key?.fill(0);
  state.key = key ? new Uint8Array(key) : null;
  state.keyCheck = wasm.relayKeyCheck(state.name, state.key ?? undefined);
}

function tellChanges(changes) {
  reply({ op: 'change', changes });
  state.channel?.postMessage({ kind: 'change', changes });
}

// The owned store tells its changes to every tab.
function listen(store) {
  store.onChange(tellChanges);
  return store;
}

function setRole(role) {
  state.role = role;
  if (role === 'owner' || role === 'relay') roleKnown();
  reply({ op: 'role', role });
}

// --- ownership ---------------------------------------------------------------------------------------------

function announceOwner() {
  state.channel.postMessage({ kind: 'owner', ownerId: workerId });
}

function becomeOwner(store) {
  const previousOwner = state.ownerId;
  state.store = listen(store);
  state.ownerId = workerId;
  if (previousOwner && previousOwner !== workerId) reply({ op: 'change', changes: [{ type: 'ownerChanged' }] });
  // Calls relayed to the previous owner got no answer and never will.
  const orphans = [...state.relayed.values()].map((pending) => pending.request);
  state.relayed.clear();
  setRole('owner');
  announceOwner();
  for (const request of orphans) retryOrFail(request, runLocal);
  for (const request of state.queued.splice(0)) runLocal(request);
}

// Queues for the store's lock (or, with `steal`, takes it from a holder that stopped answering) and opens
// the store once it is granted.
function requestOwnership({ steal = false } = {}) {
  const abort = steal ? null : new AbortController();
  state.abortLockWait = abort;
  const options = steal ? { steal: true } : { signal: abort.signal };
  navigator.locks.request(lockName(), options, async () => {
    if (state.role === 'closing' || state.role === 'closed') return;
    state.holdsLock = true;
    stopLivenessWatch();
    let store;
    try {
      if (state.requested !== 'opfs' && state.requested !== 'memory') await checkNotLost(state.name);
      store = await openWithRetry();
      state.backend = store.backend;
      if (state.backend === 'indexeddb') await register(state.name);
    } catch (error) {
      state.holdsLock = false;
      if (!state.openAnswered) {
        state.openAnswered = true;
        reply({ op: 'open-failed', error: serializeError(error) });
      }
      roleKnown();
      return; // lets the lock go: another tab may be able to open it
    }
    becomeOwner(store);
    if (!state.openAnswered) {
      state.openAnswered = true;
      reply({ op: 'opened', info: { ...storeInfo(), role: 'owner' } });
    }
    await new Promise((resolve) => { state.releaseLock = resolve; });
    state.holdsLock = false;
  }).catch((error) => {
    if (error?.name === 'AbortError') {
      // Our own abort of a queued request, or the lock was stolen from this owner.
      if (state.role === 'owner') loseOwnership();
      return;
    }
    if (!state.openAnswered) {
      state.openAnswered = true;
      reply({ op: 'open-failed', error: serializeError(error) });
    }
  });
}

// This worker's store was taken over (its lock stolen, or a write fenced): it closes its copy (letting go of
// OPFS handles), answers its calls in flight with OWNER_CHANGED, and queues for the lock again as a relay.
let losing = null;
function loseOwnership() {
  if (state.role !== 'owner' || losing) return;
  losing = (async () => {
    const store = state.store;
    state.store = null;
    state.ownerId = null;
    state.holdsLock = false;
    setRole('relay');
    await Promise.allSettled([...state.inFlight]);
    // A fenced store cannot write what it holds; closing drops it all the same and lets go of its handles.
    await store?.close().catch(() => {});
    state.releaseLock?.();
    state.releaseLock = null;
    if (state.role === 'relay') {
      requestOwnership();
      startLivenessWatch();
      state.channel.postMessage({ kind: 'hello', from: workerId });
    }
  })().finally(() => { losing = null; });
}

// While this worker waits for the lock, it pings the holder; a holder silent for `livenessMs` loses the lock.
const liveness = new LivenessWatch({
  ping: () => state.channel.postMessage({ kind: 'ping', from: workerId }),
  onSilent: () => {
    state.abortLockWait?.abort();
    requestOwnership({ steal: true });
  },
});
const startLivenessWatch = () => liveness.start(() => state.holdsLock || state.role === 'closing' || state.role === 'closed');
const stopLivenessWatch = () => liveness.stop();

function onChannelMessage({ data }) {
  if (!data || typeof data !== 'object') return;
  // Anything the holder says shows it is alive.
  if (['owner', 'pong', 'response', 'progress', 'change'].includes(data.kind)) liveness.heard();
  if (data.kind === 'hello' && state.role === 'owner') {
    announceOwner();
  } else if (data.kind === 'ping' && state.holdsLock) {
    state.channel.postMessage({ kind: 'pong', from: workerId });
  } else if (data.kind === 'owner' && data.ownerId !== workerId) {
    const previous = state.ownerId;
    state.ownerId = data.ownerId;
    if (previous && previous !== data.ownerId) {
      reply({ op: 'change', changes: [{ type: 'ownerChanged' }] });
      for (const [id, pending] of state.relayed) {
        if (pending.ownerId === previous) {
          state.relayed.delete(id);
          retryOrFail(pending.request, relay);
        }
      }
    }
    if (state.role === 'starting') setRole('relay');
    for (const request of state.queued.splice(0)) relay(request);
  } else if (data.kind === 'request' && data.ownerId === workerId && state.role === 'owner') {
    if (data.keyCheck !== state.keyCheck) {
      const error = errorOf('WRONG_KEY', 'the key does not open this store (checked by the tab that owns it)');
      state.channel.postMessage({ kind: 'response', to: data.from, id: data.id, ok: false, error: serializeError(error) });
      return;
    }
    const emit = (index, args) => state.channel.postMessage({ kind: 'progress', to: data.from, id: data.id, index, args });
    runOwned(data.method, data.args, emit, `${data.from}:${data.id}`).then(
      (value) => state.channel.postMessage({ kind: 'response', to: data.from, id: data.id, ok: true, value }),
      (error) => state.channel.postMessage({ kind: 'response', to: data.from, id: data.id, ok: false, error: serializeError(error) }),
    );
  } else if (data.kind === 'response' && data.to === workerId) {
    const pending = state.relayed.get(data.id);
    if (!pending) return;
    state.relayed.delete(data.id);
    if (data.ok && pending.request.method === 'rekey') adoptKey(pending.request.args[0]);
    if (data.ok) reply({ op: 'done', id: data.id, value: data.value }, transferables(data.value));
    else reply({ op: 'failed', id: data.id, error: data.error });
  } else if (data.kind === 'change' && state.role !== 'owner') {
    reply({ op: 'change', changes: data.changes });
  } else if (data.kind === 'progress' && data.to === workerId) {
    reply({ op: 'progress', id: data.id, index: data.index, args: data.args });
  } else if (data.kind === 'abort' && data.to === workerId) {
    state.aborts.get(`${data.from}:${data.id}`)?.abort();
  }
}

// Methods that only read: a read whose owner went away is asked again of the next owner.
const READS = new Set(['__info', 'kvGet', 'schemaVersion', 'integrityCheck', 'chatChannel', 'chatListChannels',
  'chatPage', 'chatMessageById', 'chatMessageCount', 'chatUnprocessedCount', 'chatUnprocessed', 'chatMembers',
  'chatIsMember', 'mlsIdentity', 'mlsKeyPackageCounts', 'mlsKeyPackageState', 'mlsListGroups', 'mlsGroupEpoch',
  'mlsMembers', 'mlsWelcomeState']);

function retryOrFail(request, run) {
  if (READS.has(request.method)) {
    run(request);
  } else {
    reply({ op: 'failed', id: request.id, error: errorOf('OWNER_CHANGED', 'the tab that owned the store went away before answering; the call may or may not have been applied') });
  }
}

function relay(request) {
  if (!state.ownerId || state.ownerId === workerId) {
    state.queued.push(request);
    return;
  }
  state.relayed.set(request.id, { ownerId: state.ownerId, request });
  state.channel.postMessage({ kind: 'request', from: workerId, ownerId: state.ownerId, id: request.id, method: request.method, args: request.args, keyCheck: state.keyCheck });
  if (state.abortedQueued.delete(request.id)) abortCall(request.id);
}

function runLocal({ id, method, args }) {
  const emit = (index, values) => reply({ op: 'progress', id, index, args: values });
  runOwned(method, args, emit, `local:${id}`).then(
    (value) => reply({ op: 'done', id, value }, transferables(value)),
    (error) => reply({ op: 'failed', id, error: serializeError(error) }),
  );
}

// --- messages from the client ------------------------------------------------------------------------------

async function open({ name, backend, key, livenessMs }) {
  await wasmReady;
  state.name = name;
  state.key = key ?? null;
  // Throws INVALID_KEY for a key of the wrong length, as opening would.
  state.keyCheck = wasm.relayKeyCheck(name, state.key ?? undefined);
  state.requested = backend ?? 'auto';
  state.backend = state.requested;
  if (Number.isFinite(livenessMs) && livenessMs > 0) liveness.timeoutMs = livenessMs;
  if (state.backend === 'memory') {
    // Ephemeral and private to this worker: nothing to share, nothing to lock.
    becomeOwnerAlone(await openWithRetry());
    return;
  }
  if (!navigator.locks || typeof BroadcastChannel !== 'function') {
    throw errorOf('LOCKS_UNAVAILABLE', 'this browser has no Web Locks or BroadcastChannel: the store cannot be shared safely between tabs');
  }
  state.channel = new BroadcastChannel(lockName());
  state.channel.onmessage = onChannelMessage;
  requestOwnership();
  startLivenessWatch();
  state.channel.postMessage({ kind: 'hello', from: workerId });
  // A relay's open completes once the owner answered who it is and what it has open.
  await roleKnownPromise;
  if (state.role === 'relay' && !state.openAnswered) {
    const info = await new Promise((resolve, reject) => {
      const id = `open-${workerId}`;
      pendingInfo.set(id, { resolve, reject });
      relay({ id, method: '__info', args: [] });
    });
    if (!state.openAnswered) {
      state.openAnswered = true;
      reply({ op: 'opened', info: { ...info, role: state.role } });
    }
  }
}

function becomeOwnerAlone(store) {
  state.store = listen(store);
  state.ownerId = workerId;
  setRole('owner');
  state.openAnswered = true;
  reply({ op: 'opened', info: { ...storeInfo(), role: 'owner' } });
}

async function close() {
  const wasOwner = state.role === 'owner';
  setRole('closing');
  stopLivenessWatch();
  state.abortLockWait?.abort();
  if (wasOwner && state.store) {
    await Promise.allSettled([...state.inFlight]);
    try {
      // Closing the store also lets go of its OPFS handles.
      await state.store.close();
    } finally {
      state.releaseLock?.();
    }
  }
  state.channel?.close();
  // The key was kept to reopen the store (takeover, recovery); nothing needs it any more.
  state.key?.fill(0);
  state.key = null;
  setRole('closed');
}

async function deleteStore({ name, backend }) {
  await wasmReady;
  const resolved = backend ?? 'auto';
  if (resolved === 'memory') return wasm.deleteStore(name, resolved);
  return navigator.locks.request(`mls-web-store:${name}`, { ifAvailable: true }, async (lock) => {
    if (!lock) throw errorOf('STORE_IN_USE', `store ${name} is open in this or another tab: close it first`);
    try {
      const existed = await wasm.deleteStore(name, resolved);
      if (resolved !== 'opfs') await unregister(name);
      return existed;
    } finally {
      if (resolved !== 'indexeddb') await wasm.releaseOpfs().catch(() => {});
    }
  });
}

// The client's AbortSignal fired for call `id`: abort it where it runs (here, or in the owner's worker).
function abortCall(id) {
  state.aborts.get(`local:${id}`)?.abort();
  const relayed = state.relayed.get(id);
  if (relayed) state.channel?.postMessage({ kind: 'abort', to: relayed.ownerId, from: workerId, id });
  else if (state.queued.some((request) => request.id === id)) state.abortedQueued.add(id);
}

function answer(id, work) {
  work.then(
    (value) => reply({ op: 'done', id, value }, transferables(value)),
    (error) => reply({ op: 'failed', id, error: serializeError(error) }),
  );
}

self.onmessage = ({ data }) => {
  switch (data?.op) {
    case 'open':
      open(data).catch((error) => {
        if (!state.openAnswered) {
          state.openAnswered = true;
          reply({ op: 'open-failed', error: serializeError(error) });
        }
      });
      break;
    case 'call':
      if (state.role === 'owner') runLocal(data);
      else if (state.role === 'closing' || state.role === 'closed') reply({ op: 'failed', id: data.id, error: errorOf('STORE_CLOSED', 'the store was closed') });
      else relay(data);
      break;
    case 'module': {
      const controller = new AbortController();
      state.aborts.set(`local:${data.id}`, controller);
      const args = reviveCallbacks(data.args ?? [], () => {}, controller.signal);
      const work = wasmReady.then(() => callModule(data.fn, args));
      work.finally(() => state.aborts.delete(`local:${data.id}`)).catch(() => {});
      answer(data.id, work);
      break;
    }
    case 'handle':
      answer(data.id, callHandle(data.handle, data.method, data.args));
      break;
    case 'delete':
      answer(data.id, deleteStore(data));
      break;
    case 'abort':
      abortCall(data.id);
      break;
    case 'close':
      close().then(() => reply({ op: 'closed' }), (error) => reply({ op: 'closed', error: serializeError(error) }));
      break;
    default:
      break;
  }
};
