// The store object apps see, `store.chat.appendMessages(...)`, `store.kv.get(...)`, built from the manifest
// for both the client (each method a call to the Worker) and the in-worker loader (each method the wasm
// export). Its types are derived from the manifest and the wasm's own declarations, so a method's
// arguments and result are written once, in Rust.
import { METHODS, NAMESPACES, type MethodName, type NamespaceName } from './manifest.js';
import type { Store } from './mls_web_store.js';
import type { StoreInfo } from './protocol.js';

type Methods = typeof METHODS;
/** The wasm export behind method `Q`, with its generated signature. */
type WasmMethod<Q extends MethodName> = Methods[Q]['wasm'] extends keyof Store ? Store[Methods[Q]['wasm']] : never;
type Promised<T> = T extends Promise<unknown> ? T : Promise<T>;
/** The method as the client offers it: the same arguments, always a Promise. */
export type Remote<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promised<R> : never;

/** The namespaces apps use; `debug` holds test hooks only the end-to-end harness's build has. */
export type PublicNamespace = Exclude<NamespaceName, 'debug'>;

type NamespaceOf<N extends string, Remoted extends boolean> = {
  [Q in MethodName as Q extends `${N}.${infer M}` ? M : never]: Remoted extends true ? Remote<WasmMethod<Q>> : WasmMethod<Q>;
};
type TopLevel<Remoted extends boolean> = {
  [Q in MethodName as Q extends `${string}.${string}` ? never : Q]: Remoted extends true ? Remote<WasmMethod<Q>> : WasmMethod<Q>;
};

/** The store's methods, grouped: `{ chat: {...}, mls: {...}, kv: {...}, backup: {...} }` plus the store's own
 * (`schemaVersion`, `migrateTo`, `integrityCheck`, `rekey`). `Remoted`: every result a Promise. */
export type StoreMethods<Remoted extends boolean> = { readonly [N in PublicNamespace]: NamespaceOf<N, Remoted> } & TopLevel<Remoted>;

/** One object per namespace plus the store's own methods (those in `available`: this build's), each running
 * `call(name, args)`. The caller adds its own members, then freezes it (`freezeNamespaces`). */
export function namespaced(
  call: (method: MethodName, args: unknown[]) => unknown,
  available: ReadonlySet<string>,
): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const groups: Record<string, Record<string, unknown>> = {};
  for (const namespace of NAMESPACES) {
    groups[namespace] = {};
    root[namespace] = groups[namespace];
  }
  for (const method of Object.keys(METHODS) as MethodName[]) {
    if (!available.has(method)) continue;
    const run = (...args: unknown[]) => call(method, args);
    const dot = method.indexOf('.');
    if (dot < 0) root[method] = run;
    else groups[method.slice(0, dot)][method.slice(dot + 1)] = run;
  }
  return root;
}

/** What both store objects tell about the store, read live from `source` (the wasm store, or the info the
 * client got when it opened). */
export type StoreFacts = Pick<StoreInfo, 'name' | 'backend' | 'backendReason' | 'persistent' | 'encrypted'>;

/** Adds the store's facts to `root` as read-only properties read from `source()`, and `extra` getters. */
export function defineFacts(root: object, source: () => StoreFacts, extra: Record<string, () => unknown> = {}): void {
  const getters: Record<string, () => unknown> = {
    name: () => source().name,
    backend: () => source().backend,
    backendReason: () => source().backendReason,
    persistent: () => source().persistent,
    encrypted: () => source().encrypted,
    ...extra,
  };
  for (const [property, get] of Object.entries(getters)) Object.defineProperty(root, property, { get, enumerable: true });
}

/** Freezes the namespace objects and the store object: apps cannot replace a method by accident. */
export function freezeNamespaces<T extends Record<string, unknown>>(root: T): T {
  for (const namespace of NAMESPACES) Object.freeze(root[namespace]);
  return Object.freeze(root);
}

export type WasmExport = (...args: unknown[]) => unknown;

/** The wasm export that runs `method` on `store` (a wasm Store), to call with `store` as `this`; undefined
 * when this build lacks it (test hooks exist only in the harness's build). */
export function wasmExport(store: object, method: MethodName): WasmExport | undefined {
  const fn = (store as Record<string, unknown>)[METHODS[method].wasm];
  return typeof fn === 'function' ? fn as WasmExport : undefined;
}

/** The manifest's methods `store` (a wasm Store) has. */
export function methodsOf(store: object): MethodName[] {
  return (Object.keys(METHODS) as MethodName[]).filter((method) => wasmExport(store, method) !== undefined);
}
