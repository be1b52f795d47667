// The in-worker API for apps that already run in a worker (OPFS needs a dedicated Worker): the wasm's own
// exports, behind a guard so that a call made before `await init()` fails with a clear error
// (code NOT_INITIALIZED) instead of a TypeError from deep inside the generated glue.
import wasmInit, * as wasm from './mls_web_store.js';

let initialized = false;
let initializing = null;

/** Loads the wasm. Call (and await) once before anything else; later calls return the same Promise. */
export default function init(moduleOrPath) {
  initializing ??= wasmInit(moduleOrPath).then((exports) => {
    initialized = true;
    return exports;
  });
  return initializing;
}

function notInitialized(name) {
  const error = new Error(`${name}() was called before init(): await init() from 'mls-web-store/direct' first`);
  error.name = 'MlsWebStoreError';
  error.code = 'NOT_INITIALIZED';
  return error;
}

function guardAsync(name, fn) {
  return (...args) => (initialized ? fn(...args) : Promise.reject(notInitialized(name)));
}

function guardSync(name, fn) {
  return (...args) => {
    if (!initialized) throw notInitialized(name);
    return fn(...args);
  };
}

export const openStore = guardAsync('openStore', wasm.openStore);
export const deleteStore = guardAsync('deleteStore', wasm.deleteStore);
export const releaseOpfs = guardAsync('releaseOpfs', wasm.releaseOpfs);
export const openBackup = guardAsync('openBackup', wasm.openBackup);
export const latestSchemaVersion = guardSync('latestSchemaVersion', wasm.latestSchemaVersion);
export const { Store, Backup } = wasm;
