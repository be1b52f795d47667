// Which IndexedDB stores exist, kept in Cache Storage (a separate part of the browser's storage). Chromium
// can discard an origin's IndexedDB databases when it finds them damaged after a browser crash (seen in our
// browser-kill tests); without this record such a store would silently reopen empty. With it, opening fails
// with STORE_LOST and the app can restore a backup or start over with deleteStore().
import { INDEXED_DB_DATABASE_PREFIX } from './manifest.js';
import { errorOf } from './values.js';

const REGISTRY = 'mls-web-store';
const entry = (name: string): string => `/mls-web-store/indexeddb/${encodeURIComponent(name)}`;
const available = (): boolean => typeof caches !== 'undefined' && typeof indexedDB !== 'undefined';

/** Fails with STORE_LOST when the store existed (it is registered) but its IndexedDB database is gone or
 * empty. */
export async function checkNotLost(name: string): Promise<void> {
  if (!available()) return;
  const registry = await caches.open(REGISTRY);
  if (!(await registry.match(entry(name)))) return;
  if (await hasPages(`${INDEXED_DB_DATABASE_PREFIX}${name}`)) return;
  throw errorOf('STORE_LOST', `the browser discarded the IndexedDB database of store ${name} (Chromium can, after a crash): restore a backup, or deleteStore() to start over`);
}

// Whether the database exists with a stored file size (the `meta` record every flush writes; see
// src/vfs/idb/pages.rs). Opening it must not create it: an upgrade means it did not exist.
function hasPages(databaseName: string): Promise<boolean> {
  return new Promise((resolve) => {
    let missing = false;
    const request = indexedDB.open(databaseName);
    request.onupgradeneeded = () => {
      missing = true;
      request.transaction?.abort();
    };
    // Any other failure to look is not evidence of a loss: the real open reports it.
    request.onerror = () => resolve(!missing);
    request.onsuccess = () => {
      const database = request.result;
      try {
        const size = database.transaction('meta').objectStore('meta').get('size');
        size.onsuccess = () => {
          database.close();
          resolve(typeof size.result === 'number' && size.result > 0);
        };
        size.onerror = () => {
          database.close();
          resolve(false);
        };
      } catch {
        database.close();
        resolve(false);
      }
    };
  });
}

/** Records that the store exists (after it opened). */
export async function register(name: string): Promise<void> {
  if (!available()) return;
  const registry = await caches.open(REGISTRY);
  await registry.put(entry(name), new Response(JSON.stringify({ registeredAtMs: Date.now() })));
}

/** Forgets the store (it was deleted on purpose). */
export async function unregister(name: string): Promise<void> {
  if (!available()) return;
  const registry = await caches.open(REGISTRY);
  await registry.delete(entry(name));
}
