// Cold start of a chat app: from `openStore()` in a page to the first page of the newest channel of a
// 100k-message store, through the package's client (its Worker, the wasm, OPFS, the store), side by side with
// a bare Worker that only instantiates the same wasm, in one page load, with the wasm in the HTTP cache.
// `?phase=fill` writes the store first (a load of its own, so the measured load starts cold).
import { openStore, deleteStore } from './pkg/index.js';

const NAME = 'bench-cold-start';
const MESSAGES = 100_000;
const BATCH = 10_000;
const REPEATS = 5;
const phase = new URLSearchParams(location.search).get('phase');
const encoder = new TextEncoder();
const finish = (result) => {
  document.querySelector('#result').textContent = JSON.stringify(result);
  document.body.dataset.state = 'done';
};

async function fill() {
  await deleteStore({ name: NAME }).catch(() => {});
  const store = await openStore({ name: NAME });
  for (const channelId of ['older', 'general']) {
    await store.chat.createChannel({ channelId, creator: encoder.encode('bench') });
  }
  for (let start = 0; start < MESSAGES; start += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, i) => ({
      messageId: `m${start + i}`,
      sender: encoder.encode(`sender-${(start + i) % 7}`),
      body: new Uint8Array(160).fill((start + i) % 251),
      sentAtMs: 1_800_000_000_000 + start + i,
    }));
    await store.chat.appendMessages('general', batch);
  }
  const count = await store.chat.messageCount('general');
  await store.close();
  return { filled: count };
}

function bareStart() {
  const started = performance.now();
  const worker = new Worker(new URL('./bare-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = () => {
      const ms = performance.now() - started;
      worker.terminate();
      resolve(ms);
    };
    worker.onerror = (event) => reject(new Error(event.message));
  });
}

async function clientStart() {
  const started = performance.now();
  const store = await openStore({ name: NAME });
  const opened = performance.now() - started;
  const channels = await store.chat.listChannels();
  const newest = channels.reduce((a, b) => (b.lastSeq > a.lastSeq ? b : a));
  const page = await store.chat.page(newest.channelId, { limit: 50 });
  const ms = performance.now() - started;
  if (page.messages.length !== 50) throw new Error(`the first page has ${page.messages.length} messages`);
  await store.close();
  return { ms, opened };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value) => Math.round(value * 10) / 10;

async function measure() {
  const bare = [];
  const client = [];
  const opened = [];
  // Alternating, so that neither side gets a warmer browser than the other.
  for (let i = 0; i < REPEATS; i += 1) {
    bare.push(await bareStart());
    const run = await clientStart();
    client.push(run.ms);
    opened.push(run.opened);
  }
  return {
    messages: MESSAGES,
    repeats: REPEATS,
    bare_worker_wasm_ms: round(median(bare)),
    client_open_ms: round(median(opened)),
    client_first_page_ms: round(median(client)),
    cold_start_vs_bare_worker: Math.round((median(client) / median(bare)) * 100) / 100,
    runs_bare_ms: bare.map(round),
    runs_client_ms: client.map(round),
  };
}

(phase === 'fill' ? fill() : measure()).then(finish, (error) => finish({ error: String(error?.message ?? error) }));
