// Every engine, every mode, through the npm package's client (tests/e2e/harness):
//   private   in the engine's private mode (Chromium incognito, Firefox private browsing, WebKit's ephemeral
//             automation session): `auto` opens a store, says which backend and why, writes, and reads back
//             after a reload;
//   persist   `openStore({ persist: true })` resolves at once, whether or not the browser ever answers;
//   backup    an export stream arrives whole; AbortSignals stop an export and an import with ABORTED, the
//             store unchanged; progress comes by phase;
//   zombie    a Web Lock held by someone who never answers (WebKit keeps a worker's lock across a reload; a
//             frozen tab keeps its own): a waiting tab takes the store over within a bounded time;
//   relay key a relay (another worker of the store) proves the owner's key: a wrong or missing key is refused
//             with WRONG_KEY, the right one reads; after a rekey only the new key does;
//   changes   a tab subscribed to a store hears, in order, what another tab's writes changed (appends, MLS
//             messages processed into a channel), never a rolled-back write, and pages exactly the new messages;
//   fence     a stale owner that runs again after the takeover cannot write: on IndexedDB its write fails
//             with OWNER_CHANGED and writes nothing, the new owner goes on; on OPFS its sync access handles
//             keep the new owner out (OPFS_IN_USE) instead, so there is never a second writer.
// Usage: node tests/e2e/modes.mjs SITE_DIR [--engines chromium,firefox,webkit]
import { enginesFromArgs, engineTraits, launch } from './webdriver.mjs';
import { serve } from './server.mjs';

const site = await serve(process.argv[2]);
const LIVENESS_MS = 1500;
let passed = 0;
let failed = 0;
const summary = {};
const check = (engine, name, ok, detail) => {
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} [${engine}] ${name}${ok ? '' : `: ${detail}`}`);
};

async function newPage(browser, tab) {
  const page = tab ?? await browser.newTab();
  await page.goto(site.url);
  await page.waitFor(() => document.body?.dataset.state === 'ready');
  return page;
}

async function privateMode(engine) {
  const browser = await launch(engine, { privateMode: true });
  try {
    const page = await newPage(browser, browser.firstTab());
    const opened = await page.call('open', 'private', 'auto');
    const expected = engine === 'chromium' ? 'opfs' : 'indexeddb';
    check(engine, `private mode: auto opens the store on ${expected}`, opened.backend === expected, JSON.stringify(opened));
    check(engine, 'private mode: the store says why', /^auto: /.test(opened.backendReason), opened.backendReason);
    check(engine, 'private mode: a write is acknowledged', (await page.call('append', 'private', 'p1')).ok, 'refused');
    await page.reload();
    await page.waitFor(() => document.body?.dataset.state === 'ready');
    const reopened = await page.call('open', 'private', 'auto');
    check(engine, 'private mode: after a reload the same backend', reopened.backend === opened.backend, JSON.stringify(reopened));
    const ids = await page.call('messageIds', 'private');
    check(engine, 'private mode: after a reload the write is there', ids.join() === 'p1', ids.join());
    summary[engine].private = { backend: opened.backend, reason: opened.backendReason };
  } finally {
    await browser.close();
  }
}

async function persist(engine, browser) {
  const page = await newPage(browser);
  const result = await page.call('openPersist', 'persisted', 'auto');
  check(engine, 'persist: openStore resolves without waiting for an answer', result.openMs < 5000, `${Math.round(result.openMs)} ms`);
  summary[engine].persist = { openMs: Math.round(result.openMs), answeredWithin2s: result.answered, persisted: result.persisted };
  await page.call('close', 'persisted');
  await page.close();
}

async function backups(engine, browser) {
  const page = await newPage(browser);
  const name = 'backup-stream';
  await page.call('open', name, 'auto');
  await page.call('append', name, 'b1');
  const result = await page.call('backupStreamAndAbort', name);
  check(engine, 'backup: an aborted export stream fails with ABORTED', result.exportAborted === 'ABORTED', JSON.stringify(result));
  check(engine, 'backup: the export stream arrives whole (format 2)', result.bytes > 1000 && result.formatVersion === 2, JSON.stringify(result));
  check(engine, 'backup: an aborted import fails with ABORTED and changes nothing', result.importAborted === 'ABORTED' && result.markKept === 'after the backup', JSON.stringify(result));
  check(engine, 'backup: the import then replaces the store', result.markAfterImport, JSON.stringify(result));
  check(engine, 'backup: progress by phase', ['export', 'verify', 'migrate', 'replace', 'merge'].every((phase) => result.phases.includes(phase)), JSON.stringify(result.phases));
  check(engine, 'backup: a history backup merges, adding nothing present and keeping the store\'s own',
    result.historyScope === 'history' && result.merged?.messagesPresent >= 1 && result.merged?.messagesAdded === 0 &&
      result.markAfterMerge === 'after the history', JSON.stringify(result));
  summary[engine].backup = { bytes: result.bytes, phases: result.phases };
  await page.call('close', name);
  await page.call('remove', name, 'auto');
  await page.close();
}

async function relayKey(engine, browser) {
  const page = await newPage(browser);
  const results = Object.fromEntries((await page.call('relayKeys', `relay-key-${Date.now()}`)).map((r) => [r.label, r]));
  const refused = (label) => results[label]?.error === 'WRONG_KEY';
  const reads = (label) => results[label]?.role === 'relay' && results[label]?.channels === 1;
  const detail = JSON.stringify(results);
  check(engine, 'relay key: a relay with a wrong key is refused with WRONG_KEY', refused('wrong'), detail);
  check(engine, 'relay key: a relay without the key is refused with WRONG_KEY', refused('none'), detail);
  check(engine, 'relay key: a relay with the key reads through the owner', reads('right'), detail);
  check(engine, 'relay key: after a rekey the old key is refused and the new one reads',
    refused('old key after rekey') && reads('new key after rekey'), detail);
  check(engine, 'relay key: an unencrypted store refuses a relay with a key, serves one without',
    refused('key for an unencrypted store') && reads('no key for an unencrypted store'), detail);
  await page.close();
}

async function changeEvents(engine, browser) {
  const name = `changes-${Date.now()}`;
  const watcher = await newPage(browser);
  const writer = await newPage(browser);
  await watcher.call('open', name, 'auto');
  await watcher.call('watch', name, 'news');
  await writer.call('open', name, 'auto');
  await writer.call('watch', name, 'news');
  const wrote = await writer.call('writeForWatchers', name, 'news');
  check(engine, 'changes: the rolled-back batch was refused', wrote.rolledBack === 'MESSAGE_ID_IN_OTHER_CHANNEL', JSON.stringify(wrote));
  const appended = (seen) => seen.channel.filter((c) => c.type === 'messagesAppended');
  // Key order does not survive WebDriver: compare the fields.
  const describe = (c) => `${c.type} ${c.channelId} ${c.fromSeq ?? ''}-${c.toSeq ?? ''}`;
  const expected = [
    { type: 'channelCreated', channelId: 'news' },
    { type: 'messagesAppended', channelId: 'news', fromSeq: 1, toSeq: 3 },
    { type: 'messagesAppended', channelId: 'news', fromSeq: 4, toSeq: 5 },
    { type: 'messagesAppended', channelId: 'news', fromSeq: 6, toSeq: 7 },
  ];
  for (const [label, page] of [['another tab', watcher], ['the writing tab', writer]]) {
    const seen = await page.waitFor((n) => {
      const s = window.changesSeen?.[n];
      return s && s.channel.filter((c) => c.type === 'messagesAppended').length >= 3 ? s : null;
    }, { args: [name], timeoutMs: 30_000 });
    check(engine, `changes: ${label} hears the channel's changes in order, none for the rolled-back write`,
      seen.channel.map(describe).join() === expected.map(describe).join(), JSON.stringify(seen.channel));
    const group = seen.all.filter((c) => c.type === 'groupEpoch' && c.groupId === wrote.groupId);
    check(engine, `changes: ${label} hears the joined group's epoch`, group.length === 1 && group[0].epoch === 1, JSON.stringify(seen.all));
    if (page === watcher) {
      const ids = [];
      for (const change of appended(seen)) ids.push(await page.call('pageRange', name, 'news', change.fromSeq, change.toSeq));
      check(engine, 'changes: paging each change gives exactly the new messages',
        JSON.stringify(ids.slice(0, 2)) === JSON.stringify([['n1', 'n2', 'n3'], ['n4', 'n5']])
          && ids[2].length === 2 && ids[2].every((id) => id.startsWith('mls-')), JSON.stringify(ids));
    }
  }
  await writer.call('close', name);
  await watcher.call('close', name);
  await watcher.call('remove', name, 'auto');
  await writer.close();
  await watcher.close();
}

async function zombieLock(engine, browser) {
  const name = 'zombie';
  const holder = await newPage(browser);
  await holder.call('holdLock', name);
  const page = await newPage(browser);
  const opened = await page.call('open', name, 'auto', { livenessMs: LIVENESS_MS });
  check(engine, 'zombie lock: the waiting tab takes the store over', opened.role === 'owner', JSON.stringify(opened));
  check(engine, `zombie lock: within a bounded time (liveness ${LIVENESS_MS} ms)`, opened.openMs < LIVENESS_MS + 8000, `${Math.round(opened.openMs)} ms`);
  check(engine, 'zombie lock: the new owner writes', (await page.call('append', name, 'z1')).ok, 'refused');
  summary[engine].zombieTakeoverMs = Math.round(opened.openMs);
  await page.call('close', name);
  await page.close();
  await holder.close();
}

async function fenceIndexedDb(engine, browser) {
  const name = 'fenced-idb';
  const page = await newPage(browser);
  await page.call('remove', name, 'indexeddb').catch(() => {});
  const stale = await page.call('stale', 'open', { name, backend: 'indexeddb' });
  check(engine, 'fence (IndexedDB): the stale owner opened', stale.ok, JSON.stringify(stale));
  check(engine, 'fence (IndexedDB): the stale owner writes while it owns', (await page.call('stale', 'append', { messageId: 'before' })).ok, 'refused');
  const opened = await page.call('open', name, 'indexeddb', { livenessMs: LIVENESS_MS });
  check(engine, 'fence (IndexedDB): the waiting client took over', opened.role === 'owner', JSON.stringify(opened));
  check(engine, 'fence (IndexedDB): the new owner writes', (await page.call('append', name, 'new-1')).ok, 'refused');
  const late = await page.call('stale', 'append', { messageId: 'stale-1' });
  check(engine, 'fence (IndexedDB): the stale owner\'s write is refused with OWNER_CHANGED', !late.ok && late.code === 'OWNER_CHANGED', JSON.stringify(late));
  check(engine, 'fence (IndexedDB): the new owner goes on', (await page.call('append', name, 'new-2')).ok, 'refused');
  const ids = await page.call('messageIds', name);
  check(engine, 'fence (IndexedDB): nothing of the stale write was written', ids.join() === 'before,new-1,new-2', ids.join());
  summary[engine].fenceIndexedDb = { takeoverMs: Math.round(opened.openMs), staleWrite: late.code };
  await page.call('close', name);
  await page.close();
}

async function fenceOpfs(engine, browser) {
  const name = 'fenced-opfs';
  const page = await newPage(browser);
  await page.call('remove', name, 'opfs').catch(() => {});
  const stale = await page.call('stale', 'open', { name, backend: 'opfs' });
  check(engine, 'fence (OPFS): the stale owner opened', stale.ok, JSON.stringify(stale));
  const opened = await page.call('tryOpen', name, 'opfs', { livenessMs: LIVENESS_MS });
  check(engine, 'fence (OPFS): the thief cannot open while the stale owner holds the handles', opened.error === 'OPFS_IN_USE', JSON.stringify(opened));
  const still = await page.call('stale', 'append', { messageId: 'still-the-only-writer' });
  check(engine, 'fence (OPFS): the stale owner is still the only writer', still.ok, JSON.stringify(still));
  await page.call('stale', 'close');
  const after = await page.call('tryOpen', name, 'opfs', { livenessMs: LIVENESS_MS });
  check(engine, 'fence (OPFS): once it let go, the store opens', !after.error, JSON.stringify(after));
  if (!after.error) await page.call('close', name);
  summary[engine].fenceOpfs = { thief: opened.error, afterRelease: after.error ?? after.role };
  await page.close();
}

try {
  for (const engine of enginesFromArgs(process.argv)) {
    summary[engine] = {};
    const sections = [['private', () => privateMode(engine)]];
    const browser = await launch(engine);
    try {
      sections.push(['persist', () => persist(engine, browser)], ['backup', () => backups(engine, browser)],
        ['relay-key', () => relayKey(engine, browser)], ['changes', () => changeEvents(engine, browser)], ['zombie', () => zombieLock(engine, browser)],
        ['fence-indexeddb', () => fenceIndexedDb(engine, browser)]);
      if (engineTraits[engine].opfs) sections.push(['fence-opfs', () => fenceOpfs(engine, browser)]);
      for (const [section, run] of sections) {
        const started = Date.now();
        try {
          await run();
        } catch (error) {
          check(engine, section, false, error.stack ?? String(error));
        }
        console.log(`[${engine}] ${section}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
console.log(`MODES_JSON ${JSON.stringify(summary)}`);
console.log(`modes: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
