// Backups opened for browsing live in the worker that opened them; the client holds a handle number.
import * as wasm from './mls_web_store.js';
import { errorOf } from './worker-values.js';

const handles = new Map();
let nextHandle = 1;

/** Runs a module-level function the client may call without a store (once the wasm is initialized). */
export async function callModule(fn, args) {
  if (fn === 'openBackup' || fn === 'latestSchemaVersion') {
    const value = await wasm[fn](...args);
    if (value instanceof wasm.Backup) {
      const handle = nextHandle++;
      handles.set(handle, value);
      return { __mlsWebStoreHandle: handle, manifest: value.manifest };
    }
    return value;
  }
  throw errorOf('INVALID_ARGUMENT', `unknown function ${String(fn)}`);
}

export async function callHandle(handle, method, args) {
  const object = handles.get(handle);
  if (!object) throw errorOf('STORE_CLOSED', 'this backup was closed');
  if (method === 'close') {
    handles.delete(handle);
    object.free();
    return undefined;
  }
  const fn = typeof method === 'string' && !method.startsWith('_') && method !== 'free' ? Object.getPrototypeOf(object)[method] : undefined;
  if (typeof fn !== 'function') throw errorOf('INVALID_ARGUMENT', `a backup has no method ${String(method)}`);
  return fn.apply(object, args);
}
