// Who holds a store among the tabs of an origin, as one state machine per Worker. A Worker either OWNS the
// store (holds its Web Lock and its database) or RELAYS calls to the Worker that owns it. Exactly one Worker
// owns a store at a time (the lock named by `lockName`); the others forward their calls over a
// BroadcastChannel of the same name and queue for the lock, so when the owner's tab closes, crashes or
// reloads, the next in line opens the database and announces itself. A read whose owner vanished before
// answering is asked again of the next owner; a write fails with OWNER_CHANGED (it may or may not have been
// applied: retry idempotent writes with the same ids). Which calls are reads comes from the manifest.
//
// Locks can misbehave (WebKit keeps a Worker's lock across a reload; a frozen tab keeps its lock): a waiting
// Worker pings the holder over the channel, and when nothing has answered for `livenessMs` it steals the
// lock. The stale holder, if it ever runs again, cannot write: on OPFS its exclusive sync access handles
// keep the new owner out until it lets go, and on IndexedDB every write checks the owner epoch that each open
// raises, so its writes fail with OWNER_CHANGED and write nothing; it then closes and relays.
//
// A relay proves it opened the store with the owner's key without sending it: every request carries a key
// check value (an HMAC under the key of the store's name, `host.keyCheck`) that the owner compares with its
// own, and answers a mismatch with WRONG_KEY, as opening the database with that key alone would. The
// BroadcastChannel is the origin's, so it is no boundary against scripts of the same origin (they can read
// the page anyway); the check keeps a tab with a wrong or missing key from reading or writing the store.
// After a rekey the owner and the relay that asked for it adopt the new key; other relays then fail with
// WRONG_KEY until reopened with it.
//
// Change events: the owner's store tells what each durable write changed; the owner passes them to its own
// client and over the channel to every relay, which passes them to its client, so every tab hears every
// change in the order the owner made them. When the owner changes, tabs hear `ownerChanged` (a write of the
// previous owner may not have been told): re-read what is on screen.
//
// Everything the browser provides (locks, the channel, the wasm store, time) comes through `OwnershipHost`,
// so this file runs unchanged in Node's unit tests (tests/node) with fakes.
import { BACKEND_CANDIDATES, METHODS, lockName, type BackendChoice, type MethodName } from './manifest.js';
import { LivenessWatch, type Clock } from './liveness.js';
import {
  INFO_METHOD, type CallId, type CallMethod, type CallRequest, type ChannelMessage, type StoreInfo,
  type WorkerMessage, type WorkerRole,
} from './protocol.js';
import { codeOf, errorOf, serializeError, transferables, type Emit } from './values.js';

/** The part of `navigator.locks` used here. */
export interface Locks {
  request(name: string, options: LockOptions, callback: (lock: Lock | null) => Promise<void>): Promise<void>;
}

/** One Worker's end of a store's BroadcastChannel. */
export interface Channel {
  post(message: ChannelMessage): void;
  close(): void;
}

/** What the Worker around the state machine provides. */
export interface OwnershipHost<S> {
  /** This Worker's id, unique among the origin's Workers. */
  readonly workerId: string;
  readonly locks: Locks | undefined;
  readonly clock: Clock;
  /** Opens the store's channel, delivering what other Workers post to `onMessage`; undefined where the
   * browser has no BroadcastChannel. */
  openChannel(name: string, onMessage: (data: unknown) => void): Channel | undefined;
  /** Opens the database (retrying while a previous owner's OPFS handles are let go). */
  openStore(name: string, backend: BackendChoice, key: Uint8Array | null, limits: StoreLimits): Promise<S>;
  closeStore(store: S): Promise<void>;
  storeInfo(store: S): StoreInfo;
  /** Runs one of the manifest's methods on the store. */
  invoke(store: S, method: MethodName, args: unknown[], emit: Emit, signal: AbortSignal): Promise<unknown>;
  /** Has the store report each durable write's changes to `tell`. */
  onChanges(store: S, tell: (changes: unknown[]) => void): void;
  /** The value a relay shows to prove it holds `key` (the wasm's `relayKeyCheck`). */
  keyCheck(name: string, key: Uint8Array | null): string;
  /** Fails with STORE_LOST when the browser discarded an IndexedDB store that existed. */
  checkNotLost(name: string): Promise<void>;
  /** Records that an IndexedDB store exists. */
  register(name: string): Promise<void>;
  /** Posts to this Worker's client. */
  reply(message: WorkerMessage, transfer?: ArrayBuffer[]): void;
}

/** What bounds a store's use of the device, passed to the wasm's `openStore` options as they are. */
export interface StoreLimits {
  /** IndexedDB: the largest the database may be (the wasm's default, none, when absent). */
  memoryLimitBytes?: number;
  /** IndexedDB: the page cache; a larger database is paged on demand (the wasm's default when absent). */
  pageCacheBytes?: number;
}

export interface OpenRequest extends StoreLimits {
  name: string;
  backend?: BackendChoice;
  key?: Uint8Array | null;
  livenessMs?: number;
}

// An IndexedDB store whose write failed (quota, a browser error) holds changes in memory that IndexedDB
// never got, and refuses further calls (STORE_NOT_DURABLE). The failed call reports its error; then the owner
// reopens the store from IndexedDB, i.e. from the last acknowledged state, and carries on.
const REOPEN_AFTER = new Set(['QUOTA_EXCEEDED', 'INDEXEDDB_ERROR', 'STORE_NOT_DURABLE']);

const isRead = (method: CallMethod): boolean =>
  method === INFO_METHOD || METHODS[method]?.access === 'read';

interface Relayed { ownerId: string; request: CallRequest }

export class StoreOwnership<S> {
  role: WorkerRole = 'starting';
  /** The Worker that owns the store, as far as this one knows. */
  ownerId: string | null = null;
  private name = '';
  private requested: BackendChoice = 'auto';
  private backend = '';
  private key: Uint8Array | null = null;
  private limits: StoreLimits = {};
  private keyCheck: string | null = null;
  private channel: Channel | undefined;
  private store: S | null = null;
  private holdsLock = false;
  private releaseLock: (() => void) | null = null;
  private abortLockWait: AbortController | null = null;
  private openAnswered = false;
  /** Calls sent to the owner and not answered yet. */
  private readonly relayed = new Map<CallId, Relayed>();
  /** Calls waiting for an owner. */
  private queued: CallRequest[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  /** "<caller>:<id>" -> the AbortController of a call running here. */
  private readonly aborts = new Map<string, AbortController>();
  /** Ids of queued calls the client aborted before they were sent. */
  private readonly abortedQueued = new Set<CallId>();
  private needsReopen = false;
  private reopening: Promise<void> | null = null;
  private losing: Promise<void> | null = null;
  /** The relay's own info request (made while opening) is answered to itself, not to the client. */
  private readonly pendingInfo = new Map<CallId, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  private roleKnown: () => void = () => {};
  private readonly roleKnownPromise = new Promise<void>((resolve) => { this.roleKnown = resolve; });
  private readonly liveness: LivenessWatch;

  constructor(private readonly host: OwnershipHost<S>) {
    this.liveness = new LivenessWatch(
      host.clock,
      () => this.post({ kind: 'ping', from: host.workerId }),
      () => {
        this.abortLockWait?.abort();
        this.requestOwnership({ steal: true });
      },
    );
  }

  /** Whether this Worker holds the store's lock right now. */
  get holdsStoreLock(): boolean {
    return this.holdsLock;
  }

  // --- requests from the client --------------------------------------------------------------------------

  /** Opens the store: as its owner, or as a relay to the tab that owns it. Answers `opened` or
   * `open-failed` to the client exactly once. */
  async open({ name, backend = 'auto', key = null, livenessMs, memoryLimitBytes, pageCacheBytes }: OpenRequest): Promise<void> {
    try {
      this.name = name;
      this.limits = {
        ...(memoryLimitBytes === undefined ? {} : { memoryLimitBytes }),
        ...(pageCacheBytes === undefined ? {} : { pageCacheBytes }),
      };
      this.key = key;
      // Throws INVALID_KEY for a key of the wrong length, as opening would.
      this.keyCheck = this.host.keyCheck(name, key);
      this.requested = backend;
      this.backend = backend;
      if (Number.isFinite(livenessMs) && (livenessMs ?? 0) > 0) this.liveness.timeoutMs = livenessMs as number;
      if (!BACKEND_CANDIDATES[backend]) throw errorOf('UNKNOWN_BACKEND', `unknown backend ${String(backend)}`);
      if (BACKEND_CANDIDATES[backend].every((candidate) => candidate === 'memory')) {
        // Ephemeral and private to this Worker: nothing to share, nothing to lock.
        this.becomeOwnerAlone(await this.host.openStore(name, backend, key, this.limits));
        return;
      }
      const channel = this.host.locks ? this.host.openChannel(lockName(name), (data) => this.onChannelMessage(data)) : undefined;
      if (!this.host.locks || !channel) {
        throw errorOf('LOCKS_UNAVAILABLE', 'this browser has no Web Locks or BroadcastChannel: the store cannot be shared safely between tabs');
      }
      this.channel = channel;
      this.requestOwnership();
      this.startLivenessWatch();
      this.post({ kind: 'hello', from: this.host.workerId });
      // A relay's open completes once the owner answered who it is and what it has open.
      await this.roleKnownPromise;
      if (this.role === 'relay' && !this.openAnswered) {
        const info = await new Promise<unknown>((resolve, reject) => {
          const id = `open-${this.host.workerId}`;
          this.pendingInfo.set(id, { resolve, reject });
          this.relay({ id, method: INFO_METHOD, args: [] });
        });
        // It may have become the owner meanwhile (and answered as such already).
        this.answerOpen({ op: 'opened', info: { ...(info as StoreInfo), role: (this.role as WorkerRole) === 'owner' ? 'owner' : 'relay' } });
      }
    } catch (error) {
      this.answerOpen({ op: 'open-failed', error: serializeError(error) });
    }
  }

  /** A call from the client: run here when this Worker owns the store, else relayed to the owner. */
  call(request: CallRequest): void {
    if (this.role === 'owner') this.runLocal(request);
    else if (this.role === 'closing' || this.role === 'closed') this.reply({ op: 'failed', id: request.id, error: errorOf('STORE_CLOSED', 'the store was closed') });
    else this.relay(request);
  }

  /** The client's AbortSignal fired for call `id`: abort it where it runs (here, or in the owner). */
  abort(id: CallId): void {
    this.aborts.get(`local:${id}`)?.abort();
    const relayed = this.relayed.get(id);
    if (relayed) this.post({ kind: 'abort', to: relayed.ownerId, from: this.host.workerId, id });
    else if (this.queued.some((request) => request.id === id)) this.abortedQueued.add(id);
  }

  /** Waits for calls in flight, closes the database, lets the lock go (another tab may take the store
   * over), closes the channel and forgets the key. */
  async close(): Promise<void> {
    const wasOwner = this.role === 'owner';
    this.setRole('closing');
    this.liveness.stop();
    this.abortLockWait?.abort();
    try {
      if (wasOwner && this.store) {
        await Promise.allSettled([...this.inFlight]);
        const store = this.store;
        this.store = null;
        try {
          // Closing the store also lets go of its OPFS handles.
          await this.host.closeStore(store);
        } finally {
          this.releaseLock?.();
          this.releaseLock = null;
        }
      }
    } finally {
      this.channel?.close();
      this.channel = undefined;
      // The key was kept to reopen the store (takeover, recovery); nothing needs it any more.
      this.key?.fill(0);
      this.key = null;
      this.setRole('closed');
    }
  }

  // --- the owner's side ----------------------------------------------------------------------------------

  private reply(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
    const pending = 'id' in message ? this.pendingInfo.get(message.id) : undefined;
    if (!pending) {
      this.host.reply(message, transfer);
      return;
    }
    if (message.op === 'progress') return;
    this.pendingInfo.delete((message as { id: CallId }).id);
    // The info request is a read, so an owner that went away meanwhile is asked again, never answered
    // OWNER_CHANGED.
    if (message.op === 'done') pending.resolve(message.value);
    else if (message.op === 'failed') pending.reject(message.error);
  }

  private answerOpen(message: Extract<WorkerMessage, { op: 'opened' | 'open-failed' }>): void {
    if (this.openAnswered) return;
    this.openAnswered = true;
    this.reply(message);
  }

  private post(message: ChannelMessage): void {
    this.channel?.post(message);
  }

  private async execute(method: CallMethod, args: unknown[], emit: Emit, signal: AbortSignal): Promise<unknown> {
    // Ownership went away between the call's arrival and now (the lock was stolen, a write was fenced): the
    // store was closed here; the caller retries reads with the next owner and learns a write was not applied.
    const store = this.store;
    if (!store) throw errorOf('OWNER_CHANGED', 'this tab gave up the store before the call ran; it was not applied');
    if (method === INFO_METHOD) return this.host.storeInfo(store);
    if (!Object.hasOwn(METHODS, method)) throw errorOf('INVALID_ARGUMENT', `the store has no method ${String(method)}`);
    return this.host.invoke(store, method, args, emit, signal);
  }

  private async reopen(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const store = this.store;
    try {
      if (store) await this.host.closeStore(store);
    } catch {
      // Closing reports the unwritten changes again; they are the ones being dropped.
    }
    this.store = this.listen(await this.host.openStore(this.name, this.requested, this.key, this.limits));
    this.needsReopen = false;
  }

  private startReopen(): Promise<void> {
    this.reopening ??= this.reopen().catch(() => {}).finally(() => { this.reopening = null; });
    return this.reopening;
  }

  private async runOwned(request: CallRequest, emit: Emit, abortKey: string): Promise<unknown> {
    if (this.needsReopen) await this.startReopen();
    if (this.needsReopen) {
      throw errorOf('STORE_NOT_DURABLE', 'the store could not be reopened after a failed IndexedDB write; the next call tries again');
    }
    const controller = new AbortController();
    this.aborts.set(abortKey, controller);
    const task = this.execute(request.method, request.args, emit, controller.signal);
    task.finally(() => this.aborts.delete(abortKey)).catch(() => {});
    this.inFlight.add(task);
    try {
      const value = await task;
      if (request.method === 'rekey') this.adoptKey(request.args[0]);
      return value;
    } catch (error) {
      const code = codeOf(error);
      if (code === 'OWNER_CHANGED' && this.role === 'owner') {
        // Fenced: another Worker took the store over (it stole the lock from this one while it was silent).
        this.inFlight.delete(task);
        this.loseOwnership();
      } else if (this.backend === 'indexeddb' && code !== undefined && REOPEN_AFTER.has(code)) {
        this.needsReopen = true;
        this.inFlight.delete(task);
        await this.startReopen();
      }
      throw error;
    } finally {
      this.inFlight.delete(task);
    }
  }

  /** The store now opens with `key` (a rekey succeeded): keep it for reopening, and prove it from now on. */
  private adoptKey(key: unknown): void {
    this.key?.fill(0);
    this.key = key instanceof Uint8Array ? new Uint8Array(key) : null;
    this.keyCheck = this.host.keyCheck(this.name, this.key);
  }

  private tellChanges(changes: unknown[]): void {
    this.reply({ op: 'change', changes });
    this.post({ kind: 'change', changes });
  }

  /** The owned store tells its changes to every tab. */
  private listen(store: S): S {
    this.host.onChanges(store, (changes) => this.tellChanges(changes));
    return store;
  }

  private setRole(role: WorkerRole): void {
    this.role = role;
    if (role === 'owner' || role === 'relay') this.roleKnown();
    this.reply({ op: 'role', role });
  }

  private runLocal(request: CallRequest): void {
    const { id } = request;
    const emit: Emit = (index, values) => this.reply({ op: 'progress', id, index, args: values });
    this.runOwned(request, emit, `local:${id}`).then(
      (value) => this.reply({ op: 'done', id, value }, transferables(value)),
      (error) => this.reply({ op: 'failed', id, error: serializeError(error) }),
    );
  }

  // --- ownership -----------------------------------------------------------------------------------------

  private announceOwner(): void {
    this.post({ kind: 'owner', ownerId: this.host.workerId });
  }

  private becomeOwner(store: S): void {
    const previousOwner = this.ownerId;
    this.store = this.listen(store);
    this.ownerId = this.host.workerId;
    if (previousOwner && previousOwner !== this.host.workerId) this.reply({ op: 'change', changes: [{ type: 'ownerChanged' }] });
    // Calls relayed to the previous owner got no answer and never will.
    const orphans = [...this.relayed.values()].map((pending) => pending.request);
    this.relayed.clear();
    this.setRole('owner');
    this.announceOwner();
    for (const request of orphans) this.retryOrFail(request, (r) => this.runLocal(r));
    for (const request of this.queued.splice(0)) this.runLocal(request);
  }

  private becomeOwnerAlone(store: S): void {
    this.store = this.listen(store);
    this.ownerId = this.host.workerId;
    this.setRole('owner');
    this.answerOpen({ op: 'opened', info: { ...this.host.storeInfo(store), role: 'owner' } });
  }

  /** Queues for the store's lock (or, with `steal`, takes it from a holder that stopped answering) and opens
   * the store once it is granted. */
  private requestOwnership({ steal = false } = {}): void {
    const locks = this.host.locks;
    if (!locks) return;
    const abort = steal ? null : new AbortController();
    this.abortLockWait = abort;
    const options: LockOptions = abort ? { signal: abort.signal } : { steal: true };
    locks.request(lockName(this.name), options, async () => {
      if (this.role === 'closing' || this.role === 'closed') return;
      this.holdsLock = true;
      this.liveness.stop();
      let store: S;
      let info: StoreInfo;
      try {
        if (BACKEND_CANDIDATES[this.requested].includes('indexeddb')) await this.host.checkNotLost(this.name);
        store = await this.host.openStore(this.name, this.requested, this.key, this.limits);
        info = this.host.storeInfo(store);
        this.backend = info.backend;
        if (this.backend === 'indexeddb') await this.host.register(this.name);
      } catch (error) {
        this.holdsLock = false;
        this.answerOpen({ op: 'open-failed', error: serializeError(error) });
        this.roleKnown();
        return; // lets the lock go: another tab may be able to open it
      }
      this.becomeOwner(store);
      this.answerOpen({ op: 'opened', info: { ...info, role: 'owner' } });
      await new Promise<void>((resolve) => { this.releaseLock = resolve; });
      this.holdsLock = false;
    }).catch((error: unknown) => {
      if ((error as { name?: unknown } | null)?.name === 'AbortError') {
        // Our own abort of a queued request, or the lock was stolen from this owner.
        if (this.role === 'owner') this.loseOwnership();
        return;
      }
      this.answerOpen({ op: 'open-failed', error: serializeError(error) });
    });
  }

  /** This Worker's store was taken over (its lock stolen, or a write fenced): it closes its copy (letting go
   * of OPFS handles), answers its calls in flight with OWNER_CHANGED, and queues for the lock again as a
   * relay. */
  private loseOwnership(): void {
    if (this.role !== 'owner' || this.losing) return;
    this.losing = (async () => {
      const store = this.store;
      this.store = null;
      this.ownerId = null;
      this.holdsLock = false;
      this.setRole('relay');
      await Promise.allSettled([...this.inFlight]);
      // A fenced store cannot write what it holds; closing drops it all the same and lets go of its handles.
      if (store) await this.host.closeStore(store).catch(() => {});
      this.releaseLock?.();
      this.releaseLock = null;
      if (this.role === 'relay') {
        this.requestOwnership();
        this.startLivenessWatch();
        this.post({ kind: 'hello', from: this.host.workerId });
      }
    })().finally(() => { this.losing = null; });
  }

  private startLivenessWatch(): void {
    this.liveness.start(() => this.holdsLock || this.role === 'closing' || this.role === 'closed');
  }

  // --- the channel ---------------------------------------------------------------------------------------

  private onChannelMessage(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || typeof (raw as { kind?: unknown }).kind !== 'string') return;
    const data = raw as ChannelMessage;
    const self = this.host.workerId;
    switch (data.kind) {
      case 'hello':
        if (this.role === 'owner') this.announceOwner();
        return;
      case 'ping':
        if (this.holdsLock) this.post({ kind: 'pong', from: self });
        return;
      case 'pong':
        this.liveness.heard();
        return;
      case 'owner':
        this.liveness.heard();
        if (data.ownerId !== self) this.followOwner(data.ownerId);
        return;
      case 'request':
        if (data.ownerId === self && this.role === 'owner') this.serveRelay(data);
        return;
      case 'response': {
        this.liveness.heard();
        if (data.to !== self) return;
        const pending = this.relayed.get(data.id);
        if (!pending) return;
        this.relayed.delete(data.id);
        if (data.ok) {
          if (pending.request.method === 'rekey') this.adoptKey(pending.request.args[0]);
          this.reply({ op: 'done', id: data.id, value: data.value }, transferables(data.value));
        } else {
          this.reply({ op: 'failed', id: data.id, error: data.error });
        }
        return;
      }
      case 'progress':
        this.liveness.heard();
        if (data.to === self) this.reply({ op: 'progress', id: data.id, index: data.index, args: data.args });
        return;
      case 'change':
        this.liveness.heard();
        if (this.role !== 'owner') this.reply({ op: 'change', changes: data.changes });
        return;
      case 'abort':
        if (data.to === self) this.aborts.get(`${data.from}:${data.id}`)?.abort();
        return;
      default:
        return;
    }
  }

  /** Another Worker announced it owns the store. */
  private followOwner(ownerId: string): void {
    const previous = this.ownerId;
    this.ownerId = ownerId;
    if (previous && previous !== ownerId) {
      this.reply({ op: 'change', changes: [{ type: 'ownerChanged' }] });
      for (const [id, pending] of this.relayed) {
        if (pending.ownerId === previous) {
          this.relayed.delete(id);
          this.retryOrFail(pending.request, (request) => this.relay(request));
        }
      }
    }
    if (this.role === 'starting') this.setRole('relay');
    for (const request of this.queued.splice(0)) this.relay(request);
  }

  /** A relay's call: run it if the relay proved the key. */
  private serveRelay(data: ChannelMessage & { kind: 'request' }): void {
    const respond = (message: { ok: true; value: unknown } | { ok: false; error: ReturnType<typeof serializeError> }) =>
      this.post({ kind: 'response', to: data.from, id: data.id, ...message });
    if (data.keyCheck !== this.keyCheck) {
      respond({ ok: false, error: errorOf('WRONG_KEY', 'the key does not open this store (checked by the tab that owns it)') });
      return;
    }
    const emit: Emit = (index, args) => this.post({ kind: 'progress', to: data.from, id: data.id, index, args });
    this.runOwned({ id: data.id, method: data.method, args: data.args }, emit, `${data.from}:${data.id}`).then(
      (value) => respond({ ok: true, value }),
      (error) => respond({ ok: false, error: serializeError(error) }),
    );
  }

  private retryOrFail(request: CallRequest, run: (request: CallRequest) => void): void {
    if (isRead(request.method)) {
      run(request);
    } else {
      this.reply({ op: 'failed', id: request.id, error: errorOf('OWNER_CHANGED', 'the tab that owned the store went away before answering; the call may or may not have been applied') });
    }
  }

  private relay(request: CallRequest): void {
    if (!this.ownerId || this.ownerId === this.host.workerId) {
      this.queued.push(request);
      return;
    }
    this.relayed.set(request.id, { ownerId: this.ownerId, request });
    this.post({
      kind: 'request', from: this.host.workerId, ownerId: this.ownerId, id: request.id, method: request.method,
      args: request.args, keyCheck: this.keyCheck ?? '',
    });
    if (this.abortedQueued.delete(request.id)) this.abort(request.id);
  }
}

