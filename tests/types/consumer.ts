// Type-checks the in-worker loader's generated declarations (direct.d.ts, over the wasm's own) the way an app
// uses them (`tsc --noEmit --strict`, run by scripts/e2e-demo.sh after the package is built into www/pkg).
// Never executed.
import init, {
  openStore,
  openBackup,
  type Channel,
  type Message,
  type MessagePage,
  type MlsIncoming,
  type ProcessedMessage,
  type BackupManifest,
  type ImportedBackup,
  type MlsWebStoreError,
} from "../../www/pkg/direct.js";

export async function typedUse(): Promise<void> {
  await init();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const store = await openStore({ name: "alice", backend: "auto", key });
  const backend: string = store.backend;

  const channel: Channel = await store.chat.createChannel({ channelId: "c", creator: new Uint8Array([1]) });
  const lastSeq: number = channel.lastSeq;
  const page: MessagePage = await store.chat.page("c", { limit: 10 });
  const first: Message | undefined = page.messages[0];
  const body: Uint8Array | undefined = first?.body;
  const appended = await store.chat.appendMessage("c", { sender: new Uint8Array([1]), body: new Uint8Array([2]) }, { idempotencyKey: "k" });
  const seq: number = appended.seq;

  const group: Uint8Array = await store.mls.createGroup(undefined);
  const incoming: MlsIncoming = await store.mls.processMessage(group, new Uint8Array());
  if (incoming.kind === "application") {
    const sender: Uint8Array = incoming.sender;
    void sender;
  } else if (incoming.kind === "commit") {
    const epoch: number = incoming.epoch;
    void epoch;
  }

  const caughtUp: ProcessedMessage[] = await store.mls.processMessages(group, "c", [
    new Uint8Array(),
    { message: new Uint8Array(), messageId: "ds-1", sentAtMs: 1 },
  ]);
  for (const result of caughtUp) {
    if (result.kind === "application") {
      const stored: number = result.seq;
      void stored;
    } else if (result.kind === "rejected") {
      const code: "MLS_PROTOCOL_ERROR" | string = result.code;
      void code;
    }
  }
  const perGroup: ProcessedMessage[][] = await store.mls.processInboxes([{ groupId: group, channelId: "c", messages: [] }]);
  void perGroup;
  // @ts-expect-error: an inbox names its channel.
  await store.mls.processInboxes([{ groupId: group, messages: [] }]);

  const blob: Blob = await store.backup.export({ passphrase: "pw", onProgress: (done, total) => void (done / total) });
  // @ts-expect-error: a message needs a body.
  await store.chat.appendMessage("c", { sender: new Uint8Array([1]) });
  const manifest: BackupManifest = await store.backup.import(blob, { passphrase: "pw" });
  const history = await store.backup.export({ scope: "history", channels: ["c"], sinceMs: 0, untilMs: Date.now() });
  const imported: ImportedBackup = await store.backup.import(history);
  const added: number | undefined = imported.merged?.messagesAdded;
  const scope: "full" | "history" = imported.scope;
  // @ts-expect-error: the scope is 'full' or 'history'.
  await store.backup.export({ scope: "everything" });
  const browsed = await openBackup(blob, { passphrase: "pw" });
  const channels: Channel[] = browsed.listChannels();
  const messages: number = browsed.manifest.messages;

  try {
    await store.close();
  } catch (error) {
    const code = (error as MlsWebStoreError).code;
    if (code === "WRONG_KEY") return;
    // @ts-expect-error: a code this package never raises is not an ErrorCode.
    if (code === "WRONG_KEYS") return;
    const asText: string = code;
    void asText;
  }
  void [backend, lastSeq, body, seq, manifest, channels, messages];
}
