// One benchmark subject per dedicated Worker (OPFS sync access handles exist only there): the same 10,000-row
// batch in one transaction, then 1,000 single durable inserts, through
//   ours / ours-encrypted  mls-web-store (`mls-web-store/direct`, the in-worker API) chat.appendMessages /
//                          chat.appendMessage, OPFS, our defaults (WAL, exclusive locking, synchronous FULL);
//   peer-default / peer-wal the official @sqlite.org/sqlite-wasm on its opfs-sahpool VFS with the same schema
//                          (our schema snapshot) and the same statements our append runs, with SQLite's
//                          defaults and then with our pragmas;
//   indexeddb              raw IndexedDB puts of the same rows (strict durability, one transaction per write).
import sqlite3InitModule from './sqlite-wasm/index.mjs';
import init, { openStore, deleteStore } from './pkg/direct.js';

const BATCH = 10_000;
const SINGLES = 1_000;
const CHANNEL = 'bench';
const encoder = new TextEncoder();

function rows(start, count) {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    return {
      messageId: `m-${i}`,
      sender: encoder.encode(`sender-${i % 7}`),
      body: Uint8Array.from({ length: 160 }, (_, j) => (i * 31) ^ j),
      sentAtMs: 1_700_000_000_000 + i,
    };
  });
}

function summary(batchMs, singles, rowCount) {
  const sorted = [...singles].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    batch_10k_ms: round(batchMs),
    singles_1k_total_ms: round(singles.reduce((a, b) => a + b, 0)),
    single_p50_ms: round(at(0.5)),
    single_p95_ms: round(at(0.95)),
    rows: rowCount,
  };
}

async function ours(encrypted) {
  await init();
  const name = encrypted ? 'bench-peer-ours-enc' : 'bench-peer-ours';
  await deleteStore({ name, backend: 'opfs' }).catch(() => {});
  const store = await openStore({ name, backend: 'opfs', key: encrypted ? new Uint8Array(32).fill(7) : undefined });
  await store.chat.createChannel({ channelId: CHANNEL, creator: encoder.encode('bench') });
  const batch = rows(0, BATCH);
  let started = performance.now();
  await store.chat.appendMessages(CHANNEL, batch);
  const batchMs = performance.now() - started;
  const singles = [];
  for (const row of rows(BATCH, SINGLES)) {
    started = performance.now();
    await store.chat.appendMessage(CHANNEL, row);
    singles.push(performance.now() - started);
  }
  const count = await store.chat.messageCount(CHANNEL);
  await store.close();
  await deleteStore({ name, backend: 'opfs' });
  return summary(batchMs, singles, count);
}

async function peer(pragmas) {
  const sqlite3 = await sqlite3InitModule();
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: 'bench-peer-sahpool', directory: '.bench-peer-sahpool', clearOnInit: true });
  const db = new pool.OpfsSAHPoolDb('/bench.sqlite3');
  if (pragmas) db.exec(pragmas);
  const journalMode = db.selectValue('PRAGMA journal_mode');
  // Our schema snapshot lists objects by name; tables go first.
  const blocks = (await (await fetch('./schema.sql')).text()).split(/\n(?=-- )/);
  db.exec(blocks.filter((b) => b.startsWith('-- table')).join('\n'));
  db.exec(blocks.filter((b) => b.startsWith('-- index')).join('\n'));
  db.exec({ sql: 'INSERT INTO chat_channels (channel_id, created_at_ms) VALUES (?, ?)', bind: [CHANNEL, Date.now()] });
  const select = db.prepare('SELECT last_seq FROM chat_channels WHERE channel_id = ?');
  const insert = db.prepare(`INSERT INTO chat_messages (channel_id, seq, message_id, sender, body, sent_at_ms, stored_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`);
  const update = db.prepare('UPDATE chat_channels SET last_seq = ?, unprocessed = unprocessed + ? WHERE channel_id = ?');
  // The statements our append runs: read the channel, insert each row, move the channel's counters.
  const append = (batch) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      select.bind([CHANNEL]).step();
      let seq = select.get(0);
      select.reset();
      const now = Date.now();
      for (const row of batch) {
        seq += 1;
        insert.bind([CHANNEL, seq, row.messageId, row.sender, row.body, row.sentAtMs, now]).stepReset();
      }
      update.bind([seq, batch.length, CHANNEL]).stepReset();
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  const batch = rows(0, BATCH);
  let started = performance.now();
  append(batch);
  const batchMs = performance.now() - started;
  const singles = [];
  for (const row of rows(BATCH, SINGLES)) {
    started = performance.now();
    append([row]);
    singles.push(performance.now() - started);
  }
  const count = db.selectValue('SELECT count(*) FROM chat_messages');
  for (const statement of [select, insert, update]) statement.finalize();
  db.close();
  await pool.wipeFiles();
  return { ...summary(batchMs, singles, count), journal_mode: journalMode, sqlite_version: sqlite3.version.libVersion };
}

const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const done = (tx) => new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });

async function indexedDb() {
  await request(indexedDB.deleteDatabase('bench-peer-idb'));
  const open = indexedDB.open('bench-peer-idb', 1);
  open.onupgradeneeded = () => {
    const messages = open.result.createObjectStore('messages', { keyPath: ['channelId', 'seq'] });
    messages.createIndex('byMessageId', 'messageId', { unique: true });
  };
  const db = await request(open);
  let seq = 0;
  const put = (batch) => {
    const tx = db.transaction('messages', 'readwrite', { durability: 'strict' });
    const store = tx.objectStore('messages');
    const now = Date.now();
    for (const row of batch) store.put({ channelId: CHANNEL, seq: ++seq, ...row, storedAtMs: now, processed: 0 });
    return done(tx);
  };
  const batch = rows(0, BATCH);
  let started = performance.now();
  await put(batch);
  const batchMs = performance.now() - started;
  const singles = [];
  for (const row of rows(BATCH, SINGLES)) {
    started = performance.now();
    await put([row]);
    singles.push(performance.now() - started);
  }
  const count = await request(db.transaction('messages').objectStore('messages').count());
  db.close();
  await request(indexedDB.deleteDatabase('bench-peer-idb'));
  return summary(batchMs, singles, count);
}

const OUR_PRAGMAS = 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;';
const subjects = {
  ours: () => ours(false),
  'ours-encrypted': () => ours(true),
  'peer-default': () => peer(null),
  'peer-wal': () => peer(OUR_PRAGMAS),
  indexeddb: indexedDb,
};

self.onmessage = async ({ data }) => {
  try {
    postMessage({ ok: true, result: await subjects[data.subject]() });
  } catch (error) {
    postMessage({ ok: false, error: `${error?.code ?? error?.name ?? 'Error'}: ${error?.message ?? error}` });
  }
};
