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
  const store: RemoteStore = await openStore({ name: "alice", backend: "auto", persist: true, livenessMs: 5000, onRoleChange: (role: StoreRole) => void role });
  const reason: string = store.backendReason;
  const answer: boolean = await store.persistence;
  const backend: "opfs" | "indexeddb" | "memory" = store.backend;
  const role: StoreRole = store.role;
  const persisted: boolean = store.persisted;
  const version: number = await store.schemaVersion();
  const channel: Channel = await store.chatCreateChannel({ channelId: "c", creator: new Uint8Array([1]) });
  const page: MessagePage = await store.chatPage(channel.channelId, { limit: 10 });
  await store.chatAppendMessage("c", { sender: new Uint8Array([1]), body: transfer(new Uint8Array(16)) });
  // @ts-expect-error a message needs a body
  await store.chatAppendMessage("c", { sender: new Uint8Array([1]) });
  const backup: Blob = await store.exportBackup({ passphrase: "p", onProgress: (done: number, total: number) => void [done, total] });
  await store.importBackup(backup, { passphrase: "p", onProgress: (done: number, total: number, phase: BackupPhase) => void [done, total, phase] });
  const unsubscribe: () => void = store.subscribe({ channelId: "c", types: ["messagesAppended", "ownerChanged"] }, (changes: ClientChange[]) => {
    for (const change of changes) {
      if (change.type === "messagesAppended") void (change.toSeq - change.fromSeq);
      else if (change.type === "ownerChanged") void change;
    }
  });
  unsubscribe();
  // @ts-expect-error: not a change type.
  store.subscribe({ types: ["messageAppended"] }, () => {});
  // The client's subscribe replaces the wasm's onChange.
  // @ts-expect-error: onChange is the in-worker API's.
  store.onChange(null);
  const pieces: ReadableStream<Uint8Array> = store.exportBackupStream({ passphrase: "p" });
  void pieces;
  const browsed = await openBackup(backup, { passphrase: "p" });
  const channels: Channel[] = await browsed.listChannels();
  await browsed.close();
  const estimate = await storageEstimate();
  const granted: boolean = await requestPersistence();
  await store.close();
  const existed: boolean = await deleteStore({ name: "alice" });
  try {
    await store.kvGet("a", "b");
  } catch (error) {
    if (error instanceof StoreError && error.code === "STORE_CLOSED") return;
    // @ts-expect-error: the codes are a closed union, so a misspelled one does not compile.
    if (error instanceof StoreError && error.code === "STORE_CLOSD") return;
  }
  void [backend, reason, answer, role, persisted, version, page, channels, estimate, granted, existed];
}

export async function directUse(): Promise<void> {
  await init();
  const store = await openInWorker("bob", "opfs");
  store.onChange((changes) => {
    for (const change of changes) if (change.type === "groupEpoch") void change.epoch;
  });
  await store.close();
}
