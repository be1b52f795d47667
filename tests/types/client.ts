// Type-checks the main-thread client's declarations (index.d.ts) and the in-worker loader's (direct.d.ts)
// the way an app uses them. Never executed.
import {
  openStore,
  deleteStore,
  openBackup,
  storageEstimate,
  requestPersistence,
  transfer,
  StoreError,
  type RemoteStore,
  type StoreRole,
  type Channel,
  type MessagePage,
  type BackupPhase,
  type ClientChange,
} from "../../www/pkg/index.js";
import init, { openStore as openInWorker } from "../../www/pkg/direct.js";

export async function clientUse(): Promise<void> {
  const store: RemoteStore = await openStore({ name: "alice", backend: "auto", persist: true, livenessMs: 5000, memoryLimitBytes: 64 << 20, onRoleChange: (role: StoreRole) => void role });
  await store.compact();
  // @ts-expect-error the limit is a number of bytes
  await openStore({ name: "alice", memoryLimitBytes: "64 MiB" });
  const reason: string = store.backendReason;
  const answer: boolean = await store.persistence;
  const backend: "opfs" | "indexeddb" | "memory" = store.backend;
  const role: StoreRole = store.role;
  const persisted: boolean = store.persisted;
  const version: number = await store.schemaVersion();
  const channel: Channel = await store.chat.createChannel({ channelId: "c", creator: new Uint8Array([1]) });
  const page: MessagePage = await store.chat.page(channel.channelId, { limit: 10 });
  await store.chat.appendMessage("c", { sender: new Uint8Array([1]), body: transfer(new Uint8Array(16)) });
  // @ts-expect-error a message needs a body
  await store.chat.appendMessage("c", { sender: new Uint8Array([1]) });
  const backup: Blob = await store.backup.export({ passphrase: "p", onProgress: (done: number, total: number) => void [done, total] });
  await store.backup.import(backup, { passphrase: "p", onProgress: (done: number, total: number, phase: BackupPhase) => void [done, total, phase] });
  const unsubscribe: () => void = store.subscribe({ channelId: "c", types: ["messagesAppended", "ownerChanged"] }, (changes: ClientChange[]) => {
    for (const change of changes) {
      if (change.type === "messagesAppended") void (change.toSeq - change.fromSeq);
      else if (change.type === "ownerChanged") void change;
    }
  });
  unsubscribe();
  // @ts-expect-error: not a change type.
  store.subscribe({ types: ["messageAppended"] }, () => {});
  // The wasm's onChange is the Worker's own: apps subscribe.
  // @ts-expect-error: no onChange on the client.
  store.onChange(null);
  // @ts-expect-error: the flat names are gone; methods live in their namespace.
  await store.chatPage("c", { limit: 1 });
  // @ts-expect-error: test hooks are not part of the typed API.
  await store.debug.simulateStorageFull(true);
  // @ts-expect-error: arguments are typed from the Rust exports (a channel id is a string).
  await store.chat.page(7, { limit: 1 });
  const epoch: number = await store.mls.groupEpoch(new Uint8Array(16));
  const entry: Uint8Array | undefined = await store.kv.get("n", "k");
  void [epoch, entry];
  const pieces: ReadableStream<Uint8Array> = store.backup.exportStream({ passphrase: "p" });
  void pieces;
  const browsed = await openBackup(backup, { passphrase: "p" });
  const channels: Channel[] = await browsed.listChannels();
  await browsed.close();
  const estimate = await storageEstimate();
  const granted: boolean = await requestPersistence();
  await store.close();
  const existed: boolean = await deleteStore({ name: "alice" });
  try {
    await store.kv.get("a", "b");
  } catch (error) {
    if (error instanceof StoreError && error.code === "STORE_CLOSED") return;
    // @ts-expect-error: the codes are a closed union, so a misspelled one does not compile.
    if (error instanceof StoreError && error.code === "STORE_CLOSD") return;
  }
  void [backend, reason, answer, role, persisted, version, page, channels, estimate, granted, existed];
}

export async function directUse(): Promise<void> {
  await init();
  const store = await openInWorker({ name: "bob", backend: "indexeddb", memoryLimitBytes: 256 << 20 });
  await store.compact();
  const stop: () => void = store.subscribe(null, (changes) => {
    for (const change of changes) if (change.type === "groupEpoch") void change.epoch;
  });
  stop();
  // In the worker the wasm answers directly: synchronous methods stay synchronous.
  const version: number = store.schemaVersion();
  const page: MessagePage = await store.chat.page("c", { limit: 10 });
  // @ts-expect-error: the flat names are gone here too.
  await store.chatPage("c", { limit: 10 });
  void [version, page];
  await store.close();
}
