// End-to-end check of the demo chat in Debian's Chromium, through the npm package's main-thread client:
// create a channel (an MLS group of alice and bob), talk both ways, reload and see the history, export
// alice's store to a downloaded backup, wipe it, restore it, and keep talking over the restored MLS state.
// Screenshots of every step go to target/e2e-artifacts/.
// Usage: node tests/e2e/demo-chat.mjs http://127.0.0.1:PORT/
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './browser.mjs';

const url = process.argv[2];
const artifacts = process.env.E2E_ARTIFACTS ?? 'target/e2e-artifacts';
mkdirSync(artifacts, { recursive: true });
const context = await launchChromium({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${detail}`}`);
}

const page = context.pages()[0] ?? await context.newPage();
page.on('pageerror', (error) => check('no page error', false, error.message));
let shot = 0;
const screenshot = (name) => page.screenshot({ path: join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`) });
const settle = async () => {
  await page.waitForFunction(() => !document.body.dataset.busy, null, { timeout: 120_000 });
  const status = await page.textContent('#status');
  if (status !== 'ready') throw new Error(`the page reports: ${status}`);
};
const loaded = async () => {
  await page.waitForSelector('body[data-state]', { timeout: 120_000 });
  check('page ready', (await page.getAttribute('body', 'data-state')) === 'ready', await page.textContent('#status'));
  await settle();
};
const as = async (member) => {
  await page.check(`input[name=me][value=${member}]`);
  await settle();
};
const send = async (text) => {
  await page.fill('#message-text', text);
  await page.click('#send-button');
  await settle();
};
const messages = () => page.$$eval('#messages li', (items) => items.map((item) => item.textContent));

try {
  await page.goto(url);
  await loaded();
  const beforeInit = await page.evaluate(async () => {
    const direct = await import('./pkg/direct.js');
    const asyncCode = await direct.openStore('x', 'memory').then(() => 'opened', (error) => error.code);
    let syncCode = 'no error';
    try { direct.latestSchemaVersion(); } catch (error) { syncCode = error.code; }
    return `${asyncCode} ${syncCode}`;
  });
  check('the in-worker loader refuses calls before init()', beforeInit === 'NOT_INITIALIZED NOT_INITIALIZED', beforeInit);
  const client = await page.evaluate(async () => {
    const { openStore, transfer, StoreError } = await import('./pkg/index.js');
    const store = await openStore({ name: 'client-check', backend: 'memory' });
    const value = Uint8Array.from([1, 2, 3]);
    await store.kvPut('a', 'b', transfer(value));
    const back = await store.kvGet('a', 'b');
    let code = 'none';
    try { await store.chatChannel('missing'); } catch (error) { code = `${error instanceof StoreError} ${error.code}`; }
    await store.close();
    const closed = await store.kvGet('a', 'b').then(() => 'resolved', (error) => error.code);
    return `${value.byteLength} ${Array.from(back).join(',')} ${code} ${closed}`;
  });
  check('client: transferred argument moved, result back, typed error, calls after close rejected', client === '0 1,2,3 true CHANNEL_NOT_FOUND STORE_CLOSED', client);
  check('backend shown', ['opfs', 'indexeddb'].includes(await page.textContent('#backend')), await page.textContent('#backend'));
  check('storage estimate shown', /MB used of/.test(await page.textContent('#estimate')), await page.textContent('#estimate'));
  check('this tab owns the stores', (await page.textContent('#role')) === 'owner', await page.textContent('#role'));

  await page.fill('#channel-name', 'general');
  await page.click('#new-channel button');
  await settle();
  check('channel created', (await page.textContent('#channels')).includes('# general'), await page.textContent('#channels'));
  await send('hello bob');
  await as('bob');
  check('bob sees alice\'s message (processed from MLS ciphertext)', (await messages()).join('|') === 'alicehello bob', (await messages()).join('|'));
  await send('hi alice');
  await as('alice');
  const before = (await messages()).join('|');
  check('alice sees both messages', before === 'alicehello bob|bobhi alice', before);
  await screenshot('conversation');

  await page.reload();
  await loaded();
  check('history survives a reload', (await messages()).join('|') === before, (await messages()).join('|'));
  await screenshot('after-reload');

  const downloading = page.waitForEvent('download');
  await page.click('#export');
  const download = await downloading;
  await settle();
  const backupPath = join(artifacts, download.suggestedFilename());
  await download.saveAs(backupPath);
  check('backup downloaded', statSync(backupPath).size > 1000, `${statSync(backupPath).size} bytes`);
  check('export progress reached 100%', (await page.getAttribute('#progress', 'value')) === (await page.getAttribute('#progress', 'max')), await page.textContent('#backup-status'));
  await screenshot('exported');

  await page.click('#wipe');
  await settle();
  check('wiped store has no channels', (await page.$$('#channels li')).length === 0, await page.textContent('#channels'));
  check('wiped store shows no messages', (await messages()).length === 0, (await messages()).join('|'));
  await screenshot('wiped');

  await page.setInputFiles('#import-file', backupPath);
  await settle();
  check('import reports what it restored', /restored 2 messages in 1 channels/.test(await page.textContent('#backup-status')), await page.textContent('#backup-status'));
  check('import progress reached the last step', (await page.getAttribute('#progress', 'value')) === (await page.getAttribute('#progress', 'max')), await page.getAttribute('#progress', 'value'));
  check('restored history', (await messages()).join('|') === before, (await messages()).join('|'));
  await send('back from the backup');
  await as('bob');
  const bobView = (await messages()).join('|');
  check('restored MLS state still talks to bob', bobView.endsWith('aliceback from the backup'), bobView);
  await screenshot('restored');

  await page.reload();
  await loaded();
  await as('bob');
  check('after another reload bob has all three', (await messages()).length === 3, (await messages()).join('|'));

  // A second tab on the same stores relays to this one and shows the same history.
  const second = await context.newPage();
  second.on('pageerror', (error) => check('no page error in the second tab', false, error.message));
  await second.goto(url);
  await second.waitForSelector('body[data-state]', { timeout: 120_000 });
  await second.waitForFunction(() => !document.body.dataset.busy, null, { timeout: 120_000 });
  check('second tab relays to the owner', (await second.textContent('#role')) === 'relay', await second.textContent('#role'));
  const secondView = await second.$$eval('#messages li', (items) => items.map((item) => item.textContent));
  check('second tab shows the same history', secondView.length === 3, secondView.join('|'));
  await second.screenshot({ path: join(artifacts, `${String(++shot).padStart(2, '0')}-second-tab.png`) });
  await second.close();
} catch (error) {
  check('demo flow', false, error.stack ?? String(error));
  await screenshot('failure').catch(() => {});
} finally {
  await context.close();
}
console.log(`demo e2e: ${passed} passed, ${failed} failed (screenshots in ${artifacts})`);
process.exit(failed === 0 ? 0 : 1);
