// The page the crash, reload and multi-tab tests (tests/e2e/crash.mjs) drive. It opens stores through the
// npm package's main-thread client and runs writers; every acknowledged write is reported to the test
// (Node) at once over HTTP (POST /report to the server that serves this page), so the test knows what was
// acknowledged even when the page, the worker or the browser dies a moment later.
import { openStore, deleteStore, storageEstimate } from './pkg/index.js';
import { INDEXED_DB_DATABASE_PREFIX, lockName } from './pkg/manifest.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const stores = {};
let helper = null;
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
// Synchronous on purpose: the writer goes on only once the test has the report, so a browser killed a moment
// later cannot have acknowledged more than the test knows (fetch() queues reports, and a kill drops them).
const report = (...args) => {
  const request = new XMLHttpRequest();
  request.open('POST', '/report', false);
  try {
    request.send(JSON.stringify(args));
  } catch {
    // The test's server is gone: nothing left to tell.
  }
};

async function ensureChannel(store, channelId) {
  try {
    await store.chat.createChannel({ channelId, creator: encoder.encode('harness') });
  } catch (error) {
    if (error.code !== 'CHANNEL_EXISTS') throw error;
  }
}

async function ensureHelper() {
  if (!helper) {
    helper = await openStore({ name: `helper-${crypto.randomUUID()}`, backend: 'memory' });
    await helper.mls.createIdentity(encoder.encode('helper'));
  }
  return helper;
}

// The store's MLS group (created on first use) and a memory-backed helper whose key packages get added.
async function ensureGroup(store) {
  await ensureHelper();
  if (!(await store.mls.identity())) await store.mls.createIdentity(encoder.encode('owner'));
  const saved = await store.kv.get('harness', 'group');
  if (saved) return saved;
  const groupId = await store.mls.createGroup();
  await store.kv.put('harness', 'group', groupId);
  return groupId;
}

window.h = {
  async open(name, backend, options = {}) {
    const started = performance.now();
    stores[name] = await openStore({ name, backend, ...options, onRoleChange: (role) => report('role', name, role) });
    const store = stores[name];
    return { role: store.role, backend: store.backend, backendReason: store.backendReason, openMs: performance.now() - started };
  },

  // As open(), but a refusal comes back as { error: code } (the crash test expects STORE_LOST at times).
  async tryOpen(name, backend, options) {
    try {
      return await window.h.open(name, backend, options);
    } catch (error) {
      return { error: error.code ?? String(error) };
    }
  },

  role: (name) => stores[name]?.role,

  // Records the changes this tab is told of: all of them, and those of one channel (with the store-wide ones).
  watch(name, channelId) {
    const plain = (change) => ({ ...change, ...(change.groupId ? { groupId: hex(change.groupId) } : {}) });
    window.changesSeen ??= {};
    const seen = { all: [], channel: [] };
    window.changesSeen[name] = seen;
    stores[name].subscribe(null, (changes) => seen.all.push(...changes.map(plain)));
    stores[name].subscribe({ channelId }, (changes) => seen.channel.push(...changes.map(plain)));
    return true;
  },

  // The ids of messages fromSeq..=toSeq of the channel, paged as an app would after hearing of them.
  async pageRange(name, channelId, fromSeq, toSeq) {
    const page = await stores[name].chat.page(channelId, { after: fromSeq - 1, limit: toSeq - fromSeq + 1 });
    return page.messages.map((m) => m.messageId);
  },

  // Writes for the tabs that watch: appends, a batch rolled back (its second message's id is stored in another
  // channel), more appends, then two MLS messages from the helper processed into the channel at once.
  async writeForWatchers(name, channelId) {
    const store = stores[name];
    const message = (id) => ({ messageId: id, sender: encoder.encode('writer'), body: encoder.encode(id) });
    await ensureChannel(store, channelId);
    await ensureChannel(store, `${channelId}-other`);
    await store.chat.appendMessage(`${channelId}-other`, message('taken'));
    await store.chat.appendMessages(channelId, [message('n1'), message('n2'), message('n3')]);
    let rolledBack = null;
    try {
      await store.chat.appendMessages(channelId, [message('n4'), message('taken')]);
    } catch (error) {
      rolledBack = error.code;
    }
    await store.chat.appendMessages(channelId, [message('n4'), message('n5')]);
    const sender = await ensureHelper();
    if (!(await store.mls.identity())) await store.mls.createIdentity(encoder.encode('writer'));
    const [{ keyPackage }] = await store.mls.generateKeyPackages(1);
    const groupId = await sender.mls.createGroup();
    const { welcome } = await sender.mls.addMembers(groupId, [keyPackage]);
    await sender.mls.mergePendingCommit(groupId);
    const welcomeId = await store.mls.receiveWelcome(welcome);
    await store.mls.processWelcome(welcomeId);
    await store.mls.confirmWelcome(welcomeId);
    const incoming = [await sender.mls.encrypt(groupId, encoder.encode('m1')), await sender.mls.encrypt(groupId, encoder.encode('m2'))];
    const results = await store.mls.processMessages(groupId, channelId, incoming);
    return { rolledBack, kinds: results.map((r) => r.kind), groupId: hex(groupId) };
  },

  // Opens `name` as its owner with a key, then as relays (other workers of this page) with other keys, and
  // reports what each relay got: its role and the channels it read, or the error code. Then the owner rekeys,
  // and an unencrypted store is tried with a key.
  async relayKeys(name) {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const owner = await openStore({ name, key });
    await ensureChannel(owner, 'c');
    const attempt = async (label, store, relayKey) => {
      try {
        const relay = await openStore({ name: store, key: relayKey });
        const role = relay.role;
        const channels = (await relay.chat.listChannels()).length;
        await relay.close();
        return { label, role, channels };
      } catch (error) {
        return { label, error: error.code ?? String(error) };
      }
    };
    const results = [
      await attempt('wrong', name, crypto.getRandomValues(new Uint8Array(32))),
      await attempt('none', name, undefined),
      await attempt('right', name, key),
    ];
    const newKey = crypto.getRandomValues(new Uint8Array(32));
    await owner.rekey(newKey);
    results.push(await attempt('old key after rekey', name, key), await attempt('new key after rekey', name, newKey));
    await owner.close();
    await deleteStore({ name });
    const plain = await openStore({ name: `${name}-plain` });
    await ensureChannel(plain, 'c');
    results.push(await attempt('key for an unencrypted store', `${name}-plain`, key),
      await attempt('no key for an unencrypted store', `${name}-plain`, undefined));
    await plain.close();
    await deleteStore({ name: `${name}-plain` });
    return results;
  },

  kill(name) {
    stores[name].terminate();
    delete stores[name];
  },

  async close(name) {
    await stores[name].close();
    delete stores[name];
  },

  async remove(name, backend) {
    return deleteStore({ name, backend });
  },

  // Chat batches (all-or-nothing each) and MLS add/remove commits, side by side, until the worker dies or
  // `batches` are written. With `killAfterAcks`, the worker is terminated `killDelayMs` after that many
  // acknowledged batches: somewhere in the middle of the next batch or commit.
  async work({ name, channelId, tag, batches = 1000, batchSize = 20, mls = true, killAfterAcks = Infinity, killDelayMs = 0 }) {
    const store = stores[name];
    await ensureChannel(store, channelId);
    const groupId = mls ? await ensureGroup(store) : null;
    let acks = 0;
    let stop = false;
    // Batches and commits both count, so kills land in the middle of either.
    const acknowledged = () => {
      acks += 1;
      if (acks === killAfterAcks) setTimeout(() => store.terminate(), killDelayMs);
    };
    const chat = (async () => {
      for (let batch = 0; batch < batches && !stop; batch += 1) {
        const messages = Array.from({ length: batchSize }, (_, i) => ({
          messageId: `${tag}-b${batch}-m${i}`,
          sender: encoder.encode(tag),
          body: encoder.encode(`batch ${batch} message ${i} `.repeat(4)),
        }));
        await store.chat.appendMessages(channelId, messages);
        report('batch', tag, batch);
        acknowledged();
      }
    })();
    const commits = (async () => {
      // Alternately add the helper and remove it again: odd epochs have two members, even epochs one.
      while (mls && !stop) {
        if ((await store.mls.members(groupId)).length > 1) {
          await store.mls.removeMembers(groupId, [encoder.encode('helper')]);
        } else {
          const [{ keyPackage }] = await helper.mls.generateKeyPackages(1);
          await store.mls.addMembers(groupId, [keyPackage]);
        }
        report('epoch', tag, await store.mls.mergePendingCommit(groupId));
        acknowledged();
      }
    })();
    const outcome = await Promise.allSettled([chat.finally(() => { stop = true; }), commits]);
    return outcome.map((o) => (o.status === 'fulfilled' ? 'done' : o.reason?.code ?? String(o.reason)));
  },

  // Appends `count` single messages; a call that fails because the owning tab went away (OWNER_CHANGED) is
  // retried with the same message id, which the store deduplicates.
  async appendMany({ name, channelId, tag, count, onlyAfterRelay = false }) {
    const store = stores[name];
    await ensureChannel(store, channelId);
    const errors = [];
    let retries = 0;
    for (let i = 0; i < count; i += 1) {
      const message = { messageId: `${tag}-${i}`, sender: encoder.encode(tag), body: encoder.encode(`${tag} ${i}`) };
      for (;;) {
        try {
          await store.chat.appendMessage(channelId, message);
          report('message', tag, i);
          break;
        } catch (error) {
          if (error.code !== 'OWNER_CHANGED' || retries > 100) {
            errors.push(`${error.code}: ${error.message}`);
            break;
          }
          retries += 1;
        }
      }
    }
    return { errors, retries, role: store.role };
  },

  // What the store holds after `afterSeq`: message ids and seqs, integrity, and the MLS group's state.
  async snapshot({ name, channelId, afterSeq = 0, mls = true }) {
    const store = stores[name];
    await ensureChannel(store, channelId);
    const messages = [];
    for (let after = afterSeq; ;) {
      const page = await store.chat.page(channelId, { after, limit: 1000 });
      for (const m of page.messages) messages.push([m.messageId, m.seq]);
      if (!page.hasMore || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1].seq;
    }
    const integrity = await store.integrityCheck();
    const result = { messages, integrity, count: await store.chat.messageCount(channelId) };
    if (mls) {
      const groupId = await store.kv.get('harness', 'group');
      if (groupId) {
        result.epoch = await store.mls.groupEpoch(groupId);
        // A commit made but not merged before the kill is still pending: drop it, as an app would.
        await store.mls.clearPendingCommit(groupId);
        result.members = (await store.mls.members(groupId)).length;
        const ciphertext = await store.mls.encrypt(groupId, encoder.encode('still works'));
        result.encrypts = ciphertext.length > 0;
      }
    }
    return result;
  },

  // Writes `bodyBytes`-sized messages until the store refuses; returns what was acknowledged and the error.
  async fill({ name, channelId, tag, bodyBytes, max }) {
    const store = stores[name];
    await ensureChannel(store, channelId);
    const body = new Uint8Array(bodyBytes).map((_, i) => (i * 7) & 255);
    let written = 0;
    for (; written < max; written += 1) {
      try {
        await store.chat.appendMessage(channelId, { messageId: `${tag}-${written}`, sender: encoder.encode(tag), body });
      } catch (error) {
        return { written, error: { code: error.code, message: error.message, name: error.name }, estimate: await storageEstimate() };
      }
    }
    return { written, error: null };
  },

  async kv(name, op, key, value) {
    const store = stores[name];
    if (op === 'put') return store.kv.put('harness', key, encoder.encode(value));
    const bytes = await store.kv.get('harness', key);
    return bytes ? decoder.decode(bytes) : null;
  },

  // What Chromium does to a damaged IndexedDB after a crash: the database is gone.
  discardIndexedDb: (name) => new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(`${INDEXED_DB_DATABASE_PREFIX}${name}`);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  }),

  // --- every engine, every mode (tests/e2e/modes.mjs) ---

  // Opens with `persist: true`: resolves at once, whatever the browser does with the request (Firefox asks
  // the user and leaves the promise pending); says whether the answer came within `waitMs`.
  async openPersist(name, backend, waitMs = 2000) {
    const started = performance.now();
    const store = await openStore({ name, backend, persist: true });
    const openMs = performance.now() - started;
    stores[name] = store;
    const answer = await Promise.race([store.persistence.then((value) => ({ value })), new Promise((resolve) => { setTimeout(() => resolve(null), waitMs); })]);
    return { openMs, answered: answer !== null, persisted: answer?.value ?? null, backend: store.backend };
  },

  // A Web Lock on the store taken by this page and never let go, with nobody answering pings: a stuck holder.
  holdLock: (name) => new Promise((held) => {
    navigator.locks.request(lockName(name), () => {
      held(true);
      return new Promise(() => {});
    }).catch(() => {});
  }),

  // The stale owner (harness/stale-owner.js) in a worker of this page.
  async stale(op, args = {}) {
    window.staleWorker ??= new Worker('./stale-owner.js', { type: 'module' });
    return new Promise((resolve) => {
      window.staleWorker.onmessage = ({ data }) => resolve(data);
      window.staleWorker.postMessage({ op, ...args });
    });
  },

  async append(name, messageId) {
    await ensureChannel(stores[name], 'c');
    try {
      await stores[name].chat.appendMessage('c', { messageId, sender: encoder.encode('page'), body: encoder.encode(messageId) });
      return { ok: true };
    } catch (error) {
      return { ok: false, code: error.code };
    }
  },

  async messageIds(name) {
    const page = await stores[name].chat.page('c', { after: 0, limit: 1000 });
    return page.messages.map((m) => m.messageId);
  },

  // Backups through the client: a stream that arrives whole, AbortSignals that stop an export and an import
  // (ABORTED, nothing applied), and an import that then succeeds.
  async backupStreamAndAbort(name) {
    const store = stores[name];
    const code = (promise) => promise.then(() => 'resolved', (error) => error.code ?? String(error));
    const aborted = () => {
      const controller = new AbortController();
      controller.abort();
      return controller.signal;
    };
    // Read with a reader, not `new Response(stream)`: a Response turns the stream's error into a TypeError.
    const collect = async (stream) => {
      const reader = stream.getReader();
      const pieces = [];
      for (let next = await reader.read(); !next.done; next = await reader.read()) pieces.push(next.value);
      return new Blob(pieces);
    };
    const exportAborted = await code(collect(store.backup.exportStream({ signal: aborted() })));
    const phases = new Set();
    const blob = await collect(store.backup.exportStream({ onProgress: (done, total, phase) => phases.add(phase) }));
    await store.kv.put('harness', 'mark', encoder.encode('after the backup'));
    const importAborted = await code(store.backup.import(blob, { signal: aborted() }));
    const markKept = decoder.decode((await store.kv.get('harness', 'mark')) ?? new Uint8Array());
    const manifest = await store.backup.import(blob, { onProgress: (done, total, phase) => phases.add(phase) });
    const markAfterImport = (await store.kv.get('harness', 'mark')) === undefined;
    // A history backup merges: what the store has stays, nothing is added twice.
    const history = await collect(store.backup.exportStream({ scope: 'history' }));
    await store.kv.put('harness', 'mark', encoder.encode('after the history'));
    const imported = await store.backup.import(history, { onProgress: (done, total, phase) => phases.add(phase) });
    const markAfterMerge = decoder.decode((await store.kv.get('harness', 'mark')) ?? new Uint8Array());
    return {
      exportAborted, bytes: blob.size, importAborted, markKept, formatVersion: manifest.formatVersion, markAfterImport,
      phases: [...phases], historyScope: imported.scope, merged: imported.merged, markAfterMerge,
    };
  },

  simulateStorageFull: (name, on) => stores[name].debug.simulateStorageFull(on),
  estimate: storageEstimate,
  hex,
  unhex,
};
document.getElementById('state').textContent = 'ready';
document.body.dataset.state = 'ready';
