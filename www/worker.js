// Opens the demo store with backend "auto" (OPFS in this worker), counts visits in the key-value table and
// reports to the page. The count is read back on every load, so it proves the data survived the reload.
import init, { openStore, latestSchemaVersion } from './pkg/mls_web_store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// After a reload the previous page's worker may still hold the OPFS handles for a moment.
async function openWithRetry(name) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await openStore(name, 'auto');
    } catch (error) {
      if (error.code !== 'OPFS_IN_USE' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }
}

async function main() {
  await init();
  const store = await openWithRetry('demo');
  const previous = await store.kvGet('demo', 'visits');
  const visits = (previous ? Number(decoder.decode(previous)) : 0) + 1;
  await store.kvPut('demo', 'visits', encoder.encode(String(visits)));
  postMessage({
    type: 'ready',
    backend: store.backend,
    persistent: store.persistent,
    schemaVersion: store.schemaVersion(),
    latestSchemaVersion: latestSchemaVersion(),
    visits,
  });
}

main().catch((error) => {
  postMessage({ type: 'error', code: error.code ?? 'UNEXPECTED', message: String(error.message ?? error) });
});
