// Types of `mls-web-store/direct`: the wasm's own API, for code that already runs in a worker.
export type * from './mls_web_store.js';
export { Store, Backup, openStore, deleteStore, releaseOpfs, openBackup, latestSchemaVersion } from './mls_web_store.js';
export { default } from './mls_web_store.js';
