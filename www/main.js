// The demo chat: two local members, alice and bob, each with their own store (opened through the package's
// main-thread client, so each lives in the package's Worker on OPFS where available). A channel is an MLS
// group of both; sending encrypts in the sender's store and processes the ciphertext in the other's, and both
// keep the message in their chat history; other tabs' writes arrive as change events and update the view. Backups export the selected member's store to a downloaded file and
// restore it after a wipe.
import { openStore, deleteStore, storageEstimate } from './pkg/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const members = ['alice', 'bob'];
const stores = {};
let me = 'alice';
let currentChannel = null;

const $ = (id) => document.getElementById(id);
const show = (id, value) => { $(id).textContent = String(value); };
const other = () => (me === 'alice' ? 'bob' : 'alice');
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function openMember(member) {
  const store = await openStore({
    name: `demo-${member}`,
    backend: 'auto',
    persist: true,
    onRoleChange: () => showStatus(),
  });
  if (!(await store.mls.identity())) await store.mls.createIdentity(encoder.encode(member));
  // Writes made in another tab (or by this one) arrive as change events: the view follows without a reload.
  store.subscribe(null, () => { if (member === me) renderSoon(); });
  return store;
}

let renderQueued = false;
function renderSoon() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    // A UI action in progress renders when it is done.
    if (!document.body.dataset.busy && document.body.dataset.state === 'ready') run(render);
  }, 0);
}

async function showStatus() {
  const store = stores[me];
  show('backend', store.backend);
  $('backend').title = store.backendReason;
  show('role', store.role);
  show('persisted', store.persisted);
  // Firefox asks the user; the page works meanwhile and shows the answer when it comes.
  store.persistence.then((answer) => { if (stores[me] === store) show('persisted', answer); });
  const estimate = await storageEstimate();
  show('estimate', estimate ? `${(estimate.usage / 1e6).toFixed(2)} MB used of ${(estimate.quota / 1e9).toFixed(1)} GB` : 'unknown');
}

async function createChannel(name) {
  const creator = stores[me];
  const joiner = stores[other()];
  const groupId = await creator.mls.createGroup();
  const [{ keyPackage }] = await joiner.mls.generateKeyPackages(1);
  const { welcome } = await creator.mls.addMembers(groupId, [keyPackage]);
  await creator.mls.mergePendingCommit(groupId);
  const welcomeId = await joiner.mls.receiveWelcome(welcome);
  await joiner.mls.processWelcome(welcomeId);
  await joiner.mls.confirmWelcome(welcomeId);
  const channelId = `ch-${hex(groupId)}`;
  for (const store of [creator, joiner]) {
    await store.chat.createChannel({ channelId, name: encoder.encode(name), groupId, creator: encoder.encode(me) });
  }
  return channelId;
}

async function send(text) {
  const { channelId, groupId } = currentChannel;
  const ciphertext = await stores[me].mls.encrypt(groupId, encoder.encode(text));
  const messageId = crypto.randomUUID();
  await stores[me].chat.appendMessage(channelId, { messageId, sender: encoder.encode(me), body: encoder.encode(text) });
  // The receiver decrypts and stores in one durable transaction (a batch of one here; an app catching up
  // after a day offline passes everything queued at once).
  const [incoming] = await stores[other()].mls.processMessages(groupId, channelId, [{ message: ciphertext, messageId }]);
  if (incoming.kind !== 'application') throw new Error(`expected an application message, got ${incoming.kind}`);
}

async function render() {
  document.querySelectorAll('.me').forEach((node) => { node.textContent = me; });
  const channels = await stores[me].chat.listChannels();
  if (currentChannel && !channels.some((c) => c.channelId === currentChannel.channelId)) currentChannel = null;
  if (!currentChannel && channels.length > 0) currentChannel = channels[0];
  const list = $('channels');
  list.replaceChildren(...channels.map((channel) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.textContent = `# ${decoder.decode(channel.name)}`;
    button.dataset.channel = channel.channelId;
    if (channel.channelId === currentChannel?.channelId) button.className = 'current';
    button.onclick = () => { currentChannel = channel; run(render); };
    item.append(button);
    return item;
  }));
  const messages = $('messages');
  $('message-text').disabled = !currentChannel;
  $('send-button').disabled = !currentChannel;
  if (!currentChannel) {
    show('channel-title', 'No channel selected');
    messages.replaceChildren();
  } else {
    show('channel-title', `# ${decoder.decode(currentChannel.name)} as ${me}`);
    const page = await stores[me].chat.page(currentChannel.channelId, { limit: 100 });
    messages.replaceChildren(...page.messages.reverse().map((message) => {
      const item = document.createElement('li');
      const sender = decoder.decode(message.sender);
      if (sender === me) item.className = 'mine';
      const who = document.createElement('b');
      who.textContent = sender;
      item.append(who, decoder.decode(message.body));
      return item;
    }));
    messages.scrollTop = messages.scrollHeight;
  }
  await showStatus();
}

// Runs one UI action; errors are shown, never swallowed.
async function run(action) {
  document.body.dataset.busy = 'true';
  try {
    await action();
    show('status', 'ready');
    $('status').className = '';
  } catch (error) {
    show('status', `${error.code ?? 'ERROR'}: ${error.message}`);
    $('status').className = 'error';
  } finally {
    delete document.body.dataset.busy;
  }
}

function progress(label) {
  return (done, total, phase) => {
    $('progress').max = total || 1;
    $('progress').value = done;
    show('backup-status', `${label} (${phase}): ${total ? Math.round((100 * done) / total) : 100}%`);
  };
}

$('identity-form').onchange = (event) => { me = event.target.value; currentChannel = null; run(render); };
$('new-channel').onsubmit = (event) => {
  event.preventDefault();
  const name = $('channel-name').value.trim();
  run(async () => {
    const channelId = await createChannel(name);
    $('channel-name').value = '';
    currentChannel = await stores[me].chat.channel(channelId);
    await render();
  });
};
$('send').onsubmit = (event) => {
  event.preventDefault();
  const text = $('message-text').value;
  run(async () => {
    await send(text);
    $('message-text').value = '';
    await render();
  });
};
$('export').onclick = () => run(async () => {
  // The archive comes as a stream of pieces, each leaving the worker as it is made. An app can pipe it
  // straight to a file (`(await showSaveFilePicker()).createWritable()` where the browser has it); the demo
  // collects it into a Blob and offers it as a download, which works in every browser. (Read with a reader:
  // `new Response(stream).blob()` would turn a failure's StoreError into a TypeError without its code.)
  const reader = stores[me].backup.exportStream({ passphrase: $('passphrase').value, onProgress: progress('export') }).getReader();
  const pieces = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) pieces.push(next.value);
  const blob = new Blob(pieces);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `mls-web-store-${me}.backup`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  show('backup-status', `exported ${(blob.size / 1e3).toFixed(1)} kB`);
});
$('wipe').onclick = () => run(async () => {
  await stores[me].close();
  await deleteStore({ name: `demo-${me}` });
  stores[me] = await openMember(me);
  currentChannel = null;
  show('backup-status', `wiped ${me}'s store`);
  await render();
});
$('import-file').onchange = (event) => run(async () => {
  const [file] = event.target.files;
  if (!file) return;
  const manifest = await stores[me].backup.import(file, { passphrase: $('passphrase').value, onProgress: progress('import') });
  event.target.value = '';
  currentChannel = null;
  show('backup-status', `restored ${manifest.messages} messages in ${manifest.channels} channels`);
  await render();
});

run(async () => {
  for (const member of members) stores[member] = await openMember(member);
  await render();
  document.body.dataset.state = 'ready';
}).then(() => {
  if (!document.body.dataset.state) document.body.dataset.state = 'error';
});
