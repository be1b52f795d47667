// A misbehaving owner for the stuck-holder tests: it takes a store's Web Lock and opens the store through the
// in-worker API, but never speaks the package's tab protocol (no pongs), like a frozen tab, or a worker whose
// lock a browser kept after a reload. The page tells it what to do: { op: 'open', name, backend } (take the
// lock, open), { op: 'append', messageId } (write one message), { op: 'close' }. It answers
// { ok, value } or { ok: false, code }.
import init, { openStore } from './pkg/direct.js';
import { lockName } from './pkg/manifest.js';

let store = null;
const ready = init();
const encoder = new TextEncoder();

async function handle({ op, name, backend, messageId }) {
  await ready;
  if (op === 'open') {
    await new Promise((granted) => {
      navigator.locks.request(lockName(name), () => {
        granted();
        return new Promise(() => {}); // held until this worker is terminated
      });
    });
    store = await openStore({ name, backend });
    try {
      await store.chat.createChannel({ channelId: 'c', creator: encoder.encode('stale') });
    } catch (error) {
      if (error.code !== 'CHANNEL_EXISTS') throw error;
    }
    return store.backend;
  }
  if (op === 'append') {
    await store.chat.appendMessage('c', { messageId, sender: encoder.encode('stale'), body: encoder.encode(messageId) });
    return true;
  }
  if (op === 'close') {
    await store?.close().catch(() => {});
    store = null;
    return true;
  }
  throw new Error(`unknown op ${op}`);
}

self.onmessage = ({ data }) => {
  handle(data).then(
    (value) => postMessage({ ok: true, value }),
    (error) => postMessage({ ok: false, code: error?.code ?? 'UNEXPECTED', message: String(error?.message ?? error) }),
  );
};
