// End-to-end check of the demo chat in each engine (classic WebDriver: tests/e2e/webdriver.mjs), through the
// npm package's main-thread client: create a channel (an MLS group of alice and bob), talk both ways, reload
// and see the history, export alice's store to a backup file, wipe it, restore it, and keep talking over the
// restored MLS state; a second tab relays to the first. Screenshots of every step and the backup file go to
// target/e2e-artifacts/<engine>/.
// Usage: node tests/e2e/demo-chat.mjs WWW_DIR [--engines chromium,firefox,webkit]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enginesFromArgs, engineTraits, launch } from './webdriver.mjs';
import { serve } from './server.mjs';

const site = await serve(process.argv[2]);
let passed = 0;
let failed = 0;

async function runDemo(engine) {
  const artifacts = join(process.env.E2E_ARTIFACTS ?? 'target/e2e-artifacts', engine);
  mkdirSync(artifacts, { recursive: true });
  const check = (name, ok, detail) => {
    if (ok) passed += 1; else failed += 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} [${engine}] ${name}${ok ? '' : `: ${detail}`}`);
  };
  const browser = await launch(engine);
  const page = browser.firstTab();
  let shot = 0;
  const screenshot = (name, tab = page) => tab.screenshot(join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`));
  const text = (selector, tab = page) => tab.run((s) => document.querySelector(s)?.textContent ?? null, selector);
  const settle = async (tab = page) => {
    await tab.waitFor(() => document.body.dataset.state && !document.body.dataset.busy);
    const status = await text('#status', tab);
    if (status !== 'ready') throw new Error(`the page reports: ${status}`);
  };
  const loaded = async () => {
    await page.waitFor(() => document.body.dataset.state);
    check('page ready', (await page.run(() => document.body.dataset.state)) === 'ready', await text('#status'));
    await settle();
  };
  const as = async (member) => {
    await page.run((m) => document.querySelector(`input[name=me][value=${m}]`).click(), member);
    await settle();
  };
  const send = async (message) => {
    await page.run((m) => {
      document.querySelector('#message-text').value = m;
      document.querySelector('#send-button').click();
    }, message);
    await settle();
  };
  const messages = (tab = page) => tab.run(() => [...document.querySelectorAll('#messages li')].map((item) => item.textContent));

  try {
    await page.goto(site.url);
    await loaded();
    const beforeInit = await page.run(async () => {
      const direct = await import('./pkg/direct.js');
      const asyncCode = await direct.openStore({ name: 'x', backend: 'memory' }).then(() => 'opened', (error) => error.code);
      let syncCode = 'no error';
      try { direct.latestSchemaVersion(); } catch (error) { syncCode = error.code; }
      return `${asyncCode} ${syncCode}`;
    });
    check('the in-worker loader refuses calls before init()', beforeInit === 'NOT_INITIALIZED NOT_INITIALIZED', beforeInit);
    const client = await page.run(async () => {
      const { openStore, transfer, StoreError } = await import('./pkg/index.js');
      const store = await openStore({ name: 'client-check', backend: 'memory' });
      const value = Uint8Array.from([1, 2, 3]);
      await store.kv.put('a', 'b', transfer(value));
      const back = await store.kv.get('a', 'b');
      let code = 'none';
      try { await store.chat.channel('missing'); } catch (error) { code = `${error instanceof StoreError} ${error.code}`; }
      await store.close();
      const closed = await store.kv.get('a', 'b').then(() => 'resolved', (error) => error.code);
      return `${value.byteLength} ${Array.from(back).join(',')} ${code} ${closed}`;
    });
    check('client: transferred argument moved, result back, typed error, calls after close rejected', client === '0 1,2,3 true CHANNEL_NOT_FOUND STORE_CLOSED', client);
    const backend = await text('#backend');
    const expected = engineTraits[engine].opfs ? 'opfs' : 'indexeddb';
    check(`auto chose ${expected}`, backend === expected, `${backend} (${await page.run(() => document.querySelector('#backend').title)})`);
    check('storage estimate shown', /MB used of/.test(await text('#estimate')), await text('#estimate'));
    check('this tab owns the stores', (await text('#role')) === 'owner', await text('#role'));

    await page.run(() => {
      document.querySelector('#channel-name').value = 'general';
      document.querySelector('#new-channel button').click();
    });
    await settle();
    check('channel created', (await text('#channels')).includes('# general'), await text('#channels'));
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

    // The download: the page hands the user a blob: link with a file name; the test takes the same blob.
    await page.run(() => {
      window.__downloads = [];
      HTMLAnchorElement.prototype.click = function click() {
        window.__downloads.push({ href: this.href, download: this.download });
      };
      document.querySelector('#export').click();
    });
    await settle();
    const download = await page.run(async () => {
      const [{ href, download }] = window.__downloads;
      const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return { name: download, base64: btoa(binary) };
    });
    const backupPath = join(artifacts, download.name);
    const backup = Buffer.from(download.base64, 'base64');
    writeFileSync(backupPath, backup);
    check('backup offered as a download', backup.length > 1000 && download.name.endsWith('.backup'), `${download.name}, ${backup.length} bytes`);
    check('export progress reached 100%', await page.run(() => document.querySelector('#progress').value === document.querySelector('#progress').max), await text('#backup-status'));
    await screenshot('exported');

    await page.run(() => document.querySelector('#wipe').click());
    await settle();
    check('wiped store has no channels', (await page.run(() => document.querySelectorAll('#channels li').length)) === 0, await text('#channels'));
    check('wiped store shows no messages', (await messages()).length === 0, (await messages()).join('|'));
    await screenshot('wiped');

    // The file the user picks: the downloaded bytes, given to the file input as a browser would.
    await page.run((base64, name) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name));
      const input = document.querySelector('#import-file');
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, download.base64, download.name);
    await settle();
    check('import reports what it restored', /restored 2 messages in 1 channels/.test(await text('#backup-status')), await text('#backup-status'));
    check('import progress reached the last step', await page.run(() => document.querySelector('#progress').value === document.querySelector('#progress').max), await page.run(() => document.querySelector('#progress').value));
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
    const second = await browser.newTab();
    await second.goto(site.url);
    await settle(second);
    check('second tab relays to the owner', (await text('#role', second)) === 'relay', await text('#role', second));
    const secondView = await messages(second);
    check('second tab shows the same history', secondView.length === 3, secondView.join('|'));
    // A message sent from the second tab reaches the first tab's view through change events, no reload.
    await second.run(() => {
      document.querySelector('#message-text').value = 'from the second tab';
      document.querySelector('#send-button').click();
    });
    await settle(second);
    const updated = await page.waitFor(() => {
      const items = [...document.querySelectorAll('#messages li')].map((item) => item.textContent);
      return items.length === 4 ? items : null;
    }, { timeoutMs: 15_000 }).catch(() => null);
    check('the first tab shows the second tab\'s message without reloading', updated?.[3]?.endsWith('from the second tab'), JSON.stringify(updated ?? []));
    // WebKitGTK never renders a tab that is not in front: its screenshot would wait forever.
    if (engine !== 'webkit') await screenshot('second-tab', second);
    await second.close();
  } catch (error) {
    check('demo flow', false, error.stack ?? String(error));
    await screenshot('failure').catch(() => {});
  } finally {
    await browser.close();
  }
}

try {
  for (const engine of enginesFromArgs()) await runDemo(engine);
} finally {
  await site.close();
}
console.log(`demo e2e: ${passed} passed, ${failed} failed (screenshots in target/e2e-artifacts/<engine>)`);
process.exit(failed === 0 ? 0 : 1);
