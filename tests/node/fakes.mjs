// Fakes of what a browser gives the ownership state machine: Web Locks (exclusive, with `signal`, `steal`
// and `ifAvailable` as the spec defines them), BroadcastChannel (asynchronous, never to the sender), a
// manual clock, and a store database shared by every Worker that opens it. Each fake Worker runs the real
// StoreOwnership (compiled from pkg-templates/src/ownership.ts) and records what it answers its client.
import { StoreOwnership } from '../../target/node-build/ownership.js';
import { METHODS } from '../../target/node-build/manifest.js';

/** How many event-loop turns a test waits for an answer before calling it unanswered. */
const PATIENCE = 5000;

/** Lets every queued message, lock grant and promise run. No wall-clock time passes. */
export async function settle(rounds = 30) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

const abortError = (message) => Object.assign(new Error(message), { name: 'AbortError' });

/** Exclusive Web Locks of one origin. `forWorker(id)` is that Worker's `navigator.locks`. */
export class FakeLocks {
  constructor() {
    this.locks = new Map(); // name -> { holder, queue }
    this.dead = new Set();
    this.log = [];
  }

  state(name) {
    if (!this.locks.has(name)) this.locks.set(name, { holder: null, queue: [] });
    return this.locks.get(name);
  }

  holderOf(name) {
    return this.locks.get(name)?.holder?.worker ?? null;
  }

  forWorker(worker) {
    return { request: (name, options, callback) => this.request(worker, name, options, callback) };
  }

  request(worker, name, options, callback) {
    // A dead Worker asks nothing; its request would never be answered.
    if (this.dead.has(worker)) return new Promise(() => {});
    return new Promise((resolve, reject) => {
      const entry = { worker, name, callback, resolve, reject, settled: false };
      const lock = this.state(name);
      if (options.steal) {
        const stolen = lock.holder;
        if (stolen) this.finish(stolen, () => stolen.reject(abortError('the lock was stolen')));
        lock.holder = null;
        this.grant(entry);
      } else if (options.ifAvailable && lock.holder) {
        Promise.resolve().then(() => callback(null)).then(resolve, reject);
      } else if (options.signal?.aborted) {
        reject(abortError('aborted before it was queued'));
      } else {
        options.signal?.addEventListener('abort', () => {
          const at = lock.queue.indexOf(entry);
          if (at < 0) return;
          lock.queue.splice(at, 1);
          this.finish(entry, () => reject(abortError('the request was aborted')));
        }, { once: true });
        lock.queue.push(entry);
        this.pump(name);
      }
    });
  }

  finish(entry, settle) {
    if (entry.settled) return;
    entry.settled = true;
    settle();
  }

  pump(name) {
    const lock = this.state(name);
    if (lock.holder || lock.queue.length === 0) return;
    this.grant(lock.queue.shift());
  }

  grant(entry) {
    const lock = this.state(entry.name);
    lock.holder = entry;
    this.log.push(`granted ${entry.name} to ${entry.worker}`);
    Promise.resolve()
      .then(() => entry.callback({ name: entry.name, mode: 'exclusive' }))
      .then(
        (value) => this.finish(entry, () => entry.resolve(value)),
        (error) => this.finish(entry, () => entry.reject(error)),
      )
      .finally(() => this.release(entry));
  }

  release(entry) {
    const lock = this.state(entry.name);
    if (lock.holder !== entry) return;
    lock.holder = null;
    this.log.push(`released ${entry.name} by ${entry.worker}`);
    this.pump(entry.name);
  }

  /** The Worker died: the browser lets go of its locks and forgets its queued requests. */
  crash(worker) {
    this.dead.add(worker);
    for (const [name, lock] of this.locks) {
      lock.queue = lock.queue.filter((entry) => entry.worker !== worker);
      if (lock.holder?.worker === worker) {
        lock.holder.settled = true;
        lock.holder = null;
        this.log.push(`released ${name} by ${worker} (crashed)`);
        this.pump(name);
      }
    }
  }
}

/** BroadcastChannels of one origin. A frozen Worker's tab runs nothing: what it sends and what is sent to
 * it wait until it thaws (as a frozen background tab's event loop does). A dead Worker is gone. */
export class FakeHub {
  constructor() {
    this.channels = new Set();
    this.frozen = new Set();
    this.held = []; // deliveries waiting for a Worker to thaw
  }

  open(worker, name, onMessage) {
    const channel = { worker, name, onMessage, closed: false };
    this.channels.add(channel);
    return {
      post: (message) => this.send(channel, message),
      close: () => {
        channel.closed = true;
        this.channels.delete(channel);
      },
    };
  }

  send(from, message) {
    if (from.closed) return;
    const data = structuredClone(message);
    for (const to of [...this.channels]) {
      if (to !== from && to.name === from.name) this.deliver(from, to, data);
    }
  }

  deliver(from, to, data) {
    if (this.frozen.has(from.worker) || this.frozen.has(to.worker)) {
      this.held.push({ from, to, data });
      return;
    }
    setImmediate(() => {
      if (!to.closed) to.onMessage(structuredClone(data));
    });
  }

  thaw(worker) {
    this.frozen.delete(worker);
    const held = this.held.splice(0);
    for (const { from, to, data } of held) {
      if (!to.closed) this.deliver(from, to, data);
    }
  }

  kill(worker) {
    for (const channel of [...this.channels]) {
      if (channel.worker === worker) {
        channel.closed = true;
        this.channels.delete(channel);
      }
    }
  }
}

/** Time that moves only when a test says so; liveness timers fire as it passes. */
export class ManualClock {
  constructor() {
    this.time = 0;
    this.timers = new Set();
  }

  now() {
    return this.time;
  }

  every(ms, tick) {
    const timer = { ms, next: this.time + ms, tick };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  async advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.time = due.next;
      due.next += due.ms;
      due.tick();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** A store's data, shared by every Worker that opens it (as one OPFS file or IndexedDB database is). */
export class FakeDatabase {
  constructor(name, key = null) {
    this.name = name;
    this.key = key;
    this.entries = new Map();
    this.gate = null; // a Promise every call waits for while set (a slow or stuck call)
    this.stores = [];
    this.log = [];
  }

  open(worker, key) {
    const same = (this.key === null && key === null)
      || (this.key !== null && key !== null && Buffer.compare(Buffer.from(this.key), Buffer.from(key)) === 0);
    if (!same) return Promise.reject({ code: 'WRONG_KEY', message: 'the key does not open this store' });
    const store = { database: this, worker, closed: false, listener: null };
    this.stores.push(store);
    this.log.push(`opened by ${worker}`);
    return Promise.resolve(store);
  }

  /** Holds every call until the returned function is called. */
  hold() {
    let release;
    this.gate = new Promise((resolve) => { release = resolve; });
    return () => {
      this.gate = null;
      release();
    };
  }
}

/** Runs the manifest's kv methods on the fake database; rekey changes its key. */
async function invoke(store, method, args, emit, signal) {
  const database = store.database;
  if (database.gate) {
    const aborted = new Promise((_, reject) => signal.addEventListener('abort', () => reject({ code: 'ABORTED', message: 'aborted' }), { once: true }));
    await Promise.race([database.gate, aborted]);
  }
  if (store.closed) throw { code: 'STORE_CLOSED', message: 'the store was closed' };
  database.log.push(`${method} by ${store.worker}`);
  switch (method) {
    case 'kv.get':
      return database.entries.get(`${args[0]}/${args[1]}`);
    case 'kv.put':
      database.entries.set(`${args[0]}/${args[1]}`, args[2]);
      store.listener?.([{ type: 'keyValue', namespace: args[0], key: args[1] }]);
      return undefined;
    case 'rekey':
      database.key = args[0] ?? null;
      return undefined;
    case 'backup.exportInPieces':
      for (let piece = 0; piece < 3; piece += 1) emit(0, [new Uint8Array([piece])]);
      return undefined;
    default:
      throw { code: 'INVALID_ARGUMENT', message: `the fake has no ${method}` };
  }
}

/** One origin: its locks, channels, clock and databases. */
export class FakeOrigin {
  constructor() {
    this.locks = new FakeLocks();
    this.hub = new FakeHub();
    this.clock = new ManualClock();
    this.databases = new Map();
  }

  database(name, key = null) {
    if (!this.databases.has(name)) this.databases.set(name, new FakeDatabase(name, key));
    return this.databases.get(name);
  }

  /** A new Worker (a tab's), not yet open. */
  worker(id) {
    return new FakeWorker(this, id);
  }
}

/** A tab's Worker running the real state machine; `replies` is what it posted to its client. */
export class FakeWorker {
  constructor(origin, id) {
    this.origin = origin;
    this.id = id;
    this.replies = [];
    this.nextCall = 1;
    this.closedStores = 0;
    /** The limits each open of the database was given. */
    this.openedWith = [];
    const host = {
      workerId: id,
      locks: origin.locks.forWorker(id),
      clock: origin.clock,
      openChannel: (name, onMessage) => origin.hub.open(id, name, onMessage),
      openStore: (name, _backend, key, limits) => {
        this.openedWith.push(limits);
        return origin.database(name).open(id, key);
      },
      closeStore: async (store) => {
        store.closed = true;
        this.closedStores += 1;
        store.database.log.push(`closed by ${id}`);
      },
      storeInfo: (store) => ({
        name: store.database.name, backend: 'opfs', backendReason: 'requested', persistent: true,
        encrypted: store.database.key !== null, schemaVersion: 4, methods: Object.keys(METHODS),
      }),
      invoke,
      onChanges: (store, tell) => { store.listener = tell; },
      keyCheck: (name, key) => {
        if (key !== null && key.length !== 32) throw { code: 'INVALID_KEY', message: 'a key is 32 bytes' };
        return `${name}:${key ? Buffer.from(key).toString('hex') : 'none'}`;
      },
      checkNotLost: async () => {},
      register: async () => {},
      reply: (message) => this.replies.push(message),
    };
    this.ownership = new StoreOwnership(host);
  }

  get role() {
    return this.ownership.role;
  }

  /** Opens `name` and resolves to the `opened` or `open-failed` answer. */
  async open(name, { key = null, backend = 'opfs', livenessMs, memoryLimitBytes, pageCacheBytes } = {}) {
    this.ownership.open({ name, backend, key, livenessMs, memoryLimitBytes, pageCacheBytes });
    for (let turn = 0; turn < PATIENCE; turn += 1) {
      const answer = this.replies.find((reply) => reply.op === 'opened' || reply.op === 'open-failed');
      if (answer) return answer;
      await settle(1);
    }
    return { op: 'unanswered' };
  }

  /** Sends a call; the returned object's `answer` resolves to its `done`/`failed` reply. */
  call(method, args = []) {
    const id = this.nextCall++;
    this.ownership.call({ id, method, args });
    const answer = (async () => {
      for (let turn = 0; turn < PATIENCE; turn += 1) {
        const reply = this.replies.find((r) => r.id === id && (r.op === 'done' || r.op === 'failed'));
        if (reply) return reply;
        await settle(1);
      }
      return { op: 'unanswered', id };
    })();
    return { id, answer };
  }

  /** Every change the client was told, flattened. */
  changes() {
    return this.replies.filter((reply) => reply.op === 'change').flatMap((reply) => reply.changes);
  }

  roles() {
    return this.replies.filter((reply) => reply.op === 'role').map((reply) => reply.role);
  }

  /** The tab crashed: no more messages, its locks let go. */
  crash() {
    this.origin.hub.kill(this.id);
    this.origin.locks.crash(this.id);
    // A dead Worker runs nothing more: its calls in flight never reach the database.
    for (const database of this.origin.databases.values()) {
      for (const store of database.stores) if (store.worker === this.id) store.closed = true;
    }
  }

  freeze() {
    this.origin.hub.frozen.add(this.id);
  }

  thaw() {
    this.origin.hub.thaw(this.id);
  }
}
