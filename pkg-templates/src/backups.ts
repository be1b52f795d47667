// Module-level calls the client makes without a store (opening a backup for browsing, the schema version),
// and the backups opened that way: they live in the Worker that opened them; the client holds a handle.
import * as wasm from './mls_web_store.js';
import { errorOf } from './values.js';

const handles = new Map<number, wasm.Backup>();
let nextHandle = 1;

/** A backup opened in this Worker, as the client sees it. */
export interface BackupHandle {
  __mlsWebStoreHandle: number;
  manifest: unknown;
}

/** The module functions the client may call. */
export const MODULE_FUNCTIONS = ['openBackup', 'latestSchemaVersion'] as const;
export type ModuleFunction = (typeof MODULE_FUNCTIONS)[number];

/** The methods of an opened backup the client may call (besides `close`). */
export const BACKUP_METHODS = ['listChannels', 'page'] as const;

export async function callModule(fn: string, args: unknown[]): Promise<unknown> {
  if (fn === 'latestSchemaVersion') return wasm.latestSchemaVersion();
  if (fn === 'openBackup') {
    const backup = await (wasm.openBackup as (...a: unknown[]) => Promise<wasm.Backup>)(...args);
    const handle = nextHandle++;
    handles.set(handle, backup);
    const opened: BackupHandle = { __mlsWebStoreHandle: handle, manifest: backup.manifest };
    return opened;
  }
  throw errorOf('INVALID_ARGUMENT', `unknown function ${String(fn)}`);
}

export async function callHandle(handle: number, method: string, args: unknown[]): Promise<unknown> {
  const backup = handles.get(handle);
  if (!backup) throw errorOf('STORE_CLOSED', 'this backup was closed');
  if (method === 'close') {
    handles.delete(handle);
    backup.free();
    return undefined;
  }
  if (!(BACKUP_METHODS as readonly string[]).includes(method)) {
    throw errorOf('INVALID_ARGUMENT', `a backup has no method ${String(method)}`);
  }
  const fn = (backup as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  return fn.apply(backup, args);
}
