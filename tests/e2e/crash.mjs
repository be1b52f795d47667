// Crash safety, reloads and several tabs, in one engine (Chromium, Firefox or WebKitGTK, over classic
// WebDriver: tests/e2e/webdriver.mjs) through the npm package's client (tests/e2e/harness). For each backend:
//   kill      terminate the store's Worker in the middle of chat batch writes and MLS commits, N times;
//   reload    reload the page mid-write, M times;
//   browser-kill  SIGKILL the whole browser mid-write and start it again on the same profile, B times
//             (not on WebKit: its automation session is ephemeral, a restarted browser starts empty);
//   tabs      two tabs append 1,000 messages each to one channel at the same time;
//   takeover  close the owner tab while the other tab writes: it takes over and finishes;
//   quota     a small quota: writes fail with QUOTA_EXCEEDED, earlier data stays, writes work once freed
//             (OPFS: a real quota, through the DevTools protocol in Chromium, a profile-wide limit in Firefox;
//             IndexedDB: the browser's refusal simulated at the commit);
//   discard   (IndexedDB) the browser discards the database: opening says STORE_LOST, not empty.
// After every kill or reload: every acknowledged batch is there, every other batch is all-or-nothing,
// sequences are unique and contiguous, PRAGMA integrity_check is ok, the MLS group is at the acknowledged
// epoch (or one past it), its membership matches the epoch, and it still encrypts.
// Backend `indexeddb-paged` is IndexedDB with a 16 KiB page cache: the store is paged on demand, and nearly
// every operation misses pages, is undone and runs again (kill and reload only).
// Usage: node tests/e2e/crash.mjs SITE_DIR [--engine chromium|firefox|webkit] [--backends opfs,indexeddb]
//        [--kills 100] [--reloads 20] [--browser-kills 10]
//        [--sections kill,reload,browser-kill,tabs,takeover,quota,discard]
import { rmSync } from 'node:fs';
import { engineTraits, launch, newProfile } from './webdriver.mjs';
import { serve } from './server.mjs';

const option = (flag, fallback) => {
  const at = process.argv.indexOf(flag);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const engine = option('--engine', 'chromium');
const traits = engineTraits[engine];
// WebKitGTK here has no OPFS sync access handles: its stores live on IndexedDB.
const backends = option('--backends', traits.opfs ? 'opfs,indexeddb,indexeddb-paged' : 'indexeddb,indexeddb-paged').split(',');
const PAGED = 'indexeddb-paged';
const PAGED_SECTIONS = ['kill', 'reload'];
// The backend a store opens on, and the options it opens with.
const storeBackend = (backend) => (backend === PAGED ? 'indexeddb' : backend);
const openOptions = (backend) => (backend === PAGED ? { pageCacheBytes: 16 << 10 } : {});
const kills = Number(option('--kills', '100'));
const reloads = Number(option('--reloads', '20'));
const browserKills = Number(option('--browser-kills', '10'));
const sections = option('--sections', 'kill,reload,browser-kill,tabs,takeover,quota,discard').split(',')
  .filter((section) => section !== 'browser-kill' || traits.persistentProfile);
const BATCH_SIZE = 20;
// Every other kill iteration writes large batches: a transaction then runs long enough (milliseconds of
// synchronous wasm) for the kill to land inside it rather than between two.
const LARGE_BATCH_SIZE = 500;

// Everything the pages report as acknowledged, in order.
const acks = [];
const waiters = [];
function onAck(kind, tag, value) {
  acks.push({ kind, tag, value, at: performance.now() });
  for (const waiter of [...waiters]) {
    if (waiter.test()) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
const site = await serve(process.argv[2], { onReport: onAck });
const url = site.url;
const startContext = (profile) => launch(engine, { profile });
let context = await startContext();
const until = (test) => (test() ? Promise.resolve() : new Promise((resolve) => waiters.push({ test, resolve })));
const acked = (kind, tag) => acks.filter((a) => a.kind === kind && a.tag === tag).map((a) => a.value);

let passed = 0;
let failed = 0;
const failures = [];
function check(name, ok, detail) {
  if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(`${name}: ${detail}`);
    console.log(`FAIL ${name}: ${detail}`);
  }
}
const summary = {};
const random = (n) => Math.floor(Math.random() * n);

const ready = (page) => page.waitFor(() => document.body?.dataset.state === 'ready');
async function newPage() {
  const page = await context.newTab();
  await page.goto(url);
  await ready(page);
  return page;
}
const call = (page, fn, ...args) => page.call(fn, ...args);

// Checks the writes of iteration `tag` (everything after `afterSeq`) against what was acknowledged.
function verify(label, snapshot, { tag, afterSeq, ackedEpoch, batchSize = BATCH_SIZE }) {
  check(`${label}: integrity_check ok`, snapshot.integrity.length === 0, snapshot.integrity.join('; '));
  const batches = new Map();
  let expectedSeq = afterSeq;
  let contiguous = true;
  for (const [messageId, seq] of snapshot.messages) {
    expectedSeq += 1;
    if (seq !== expectedSeq) contiguous = false;
    if (!messageId.startsWith(`${tag}-b`)) contiguous = false;
    const batch = Number(messageId.slice(tag.length + 2).split('-m')[0]);
    batches.set(batch, (batches.get(batch) ?? 0) + 1);
  }
  check(`${label}: sequences unique and contiguous`, contiguous, JSON.stringify(snapshot.messages.slice(0, 3)));
  const torn = [...batches].filter(([, n]) => n !== batchSize);
  check(`${label}: every batch all-or-nothing`, torn.length === 0, JSON.stringify(torn));
  const lost = acked('batch', tag).filter((b) => batches.get(b) !== batchSize);
  check(`${label}: every acknowledged batch present`, lost.length === 0,
    `lost ${JSON.stringify(lost)}; the channel holds ${snapshot.count} messages, ${snapshot.messages.length} after seq ${afterSeq}, MLS epoch ${snapshot.epoch}`);
  if (snapshot.epoch !== undefined) {
    const epochs = acked('epoch', tag);
    const floor = epochs.length ? Math.max(...epochs) : ackedEpoch;
    check(`${label}: MLS epoch is the acknowledged one or one past it`, snapshot.epoch === floor || snapshot.epoch === floor + 1,
      `epoch ${snapshot.epoch}, acknowledged ${floor}`);
    check(`${label}: MLS membership matches the epoch`, snapshot.members === (snapshot.epoch % 2 === 1 ? 2 : 1),
      `epoch ${snapshot.epoch}, ${snapshot.members} members`);
    check(`${label}: MLS group still encrypts`, snapshot.encrypts === true, String(snapshot.encrypts));
  }
  return {
    lastSeq: snapshot.messages.length ? snapshot.messages[snapshot.messages.length - 1][1] : afterSeq,
    epoch: snapshot.epoch,
    ackedBatches: acked('batch', tag).length,
    presentBatches: batches.size,
    ackedCommits: acked('epoch', tag).length,
  };
}

async function killSection(backend) {
  const page = await newPage();
  const name = `crash-kill-${backend}`;
  await call(page, 'remove', name, storeBackend(backend)).catch(() => {});
  let state = { lastSeq: 0, epoch: 0 };
  let previousTag = null;
  let batchSize = BATCH_SIZE;
  const stats = { kills: 0, ackedBatches: 0, unackedBatchesPresent: 0, ackedCommits: 0, maxReopenMs: 0 };
  for (let i = 0; i <= kills; i += 1) {
    const opened = await call(page, 'open', name, storeBackend(backend), openOptions(backend));
    stats.maxReopenMs = Math.max(stats.maxReopenMs, Math.round(opened.openMs));
    if (previousTag) {
      const snapshot = await call(page, 'snapshot', { name, channelId: 'c', afterSeq: state.lastSeq });
      const result = verify(`${backend} kill ${i}`, snapshot, { tag: previousTag, afterSeq: state.lastSeq, ackedEpoch: state.epoch, batchSize });
      stats.ackedBatches += result.ackedBatches;
      stats.unackedBatchesPresent += result.presentBatches - result.ackedBatches;
      stats.ackedCommits += result.ackedCommits;
      state = result;
    }
    if (i === kills) {
      await call(page, 'close', name);
      break;
    }
    previousTag = `${backend}-k${i}`;
    batchSize = i % 2 === 1 ? LARGE_BATCH_SIZE : BATCH_SIZE;
    const outcome = await call(page, 'work', { name, channelId: 'c', tag: previousTag, batchSize, killAfterAcks: 1 + random(6), killDelayMs: random(20) });
    check(`${backend} kill ${i}: the writers stopped because the worker was killed`, outcome.every((o) => o === 'WORKER_TERMINATED'), JSON.stringify(outcome));
    stats.kills += 1;
  }
  await page.close();
  summary[`${backend}_kill`] = stats;
}

async function reloadSection(backend) {
  const page = await newPage();
  const name = `crash-reload-${backend}`;
  await call(page, 'remove', name, storeBackend(backend)).catch(() => {});
  let state = { lastSeq: 0, epoch: 0 };
  let previousTag = null;
  const stats = { reloads: 0, ackedBatches: 0, ackedCommits: 0, maxReopenMs: 0 };
  for (let i = 0; i <= reloads; i += 1) {
    const opened = await call(page, 'open', name, storeBackend(backend), openOptions(backend));
    stats.maxReopenMs = Math.max(stats.maxReopenMs, Math.round(opened.openMs));
    if (previousTag) {
      const snapshot = await call(page, 'snapshot', { name, channelId: 'c', afterSeq: state.lastSeq });
      state = verify(`${backend} reload ${i}`, snapshot, { tag: previousTag, afterSeq: state.lastSeq, ackedEpoch: state.epoch });
      stats.ackedBatches += state.ackedBatches;
      stats.ackedCommits += state.ackedCommits;
    }
    if (i === reloads) break;
    previousTag = `${backend}-r${i}`;
    const target = 1 + random(4);
    call(page, 'work', { name, channelId: 'c', tag: previousTag, batchSize: BATCH_SIZE }).catch(() => {});
    await until(() => acked('batch', previousTag).length >= target);
    await page.reload();
    await ready(page);
    stats.reloads += 1;
  }
  await page.close();
  summary[`${backend}_reload`] = stats;
}

// Kills the whole browser (SIGKILL to Chromium's process group) while the page writes, then starts it again
// on the same profile. Unlike worker.terminate() and reload, which let a running task finish, this stops
// every process wherever it is, a transaction included.
async function browserKillSection(backend) {
  const name = `crash-browser-${backend}`;
  const profile = newProfile();
  const outer = context;
  context = await startContext(profile);
  let state = { lastSeq: 0, epoch: 0 };
  let previousTag = null;
  let batchSize = BATCH_SIZE;
  const stats = { browserKills: 0, ackedBatches: 0, unackedBatchesPresent: 0, ackedCommits: 0, maxReopenMs: 0, discardedByBrowser: 0 };
  try {
    for (let i = 0; i <= browserKills; i += 1) {
      const page = await newPage();
      let opened = await call(page, 'tryOpen', name, backend);
      if (opened.error === 'STORE_LOST') {
        // Chromium discarded the IndexedDB database after the crash: the store must say so, not open empty.
        check(`${backend} browser kill ${i}: only IndexedDB is ever discarded`, backend === 'indexeddb', 'an OPFS store was lost');
        stats.discardedByBrowser += 1;
        await call(page, 'remove', name, backend);
        opened = await call(page, 'open', name, backend);
        state = { lastSeq: 0, epoch: 0 };
        previousTag = null;
      }
      check(`${backend} browser kill ${i}: the store opens`, !opened.error, opened.error);
      stats.maxReopenMs = Math.max(stats.maxReopenMs, Math.round(opened.openMs));
      if (previousTag) {
        const snapshot = await call(page, 'snapshot', { name, channelId: 'c', afterSeq: state.lastSeq });
        const result = verify(`${backend} browser kill ${i}`, snapshot, { tag: previousTag, afterSeq: state.lastSeq, ackedEpoch: state.epoch, batchSize });
        stats.ackedBatches += result.ackedBatches;
        stats.unackedBatchesPresent += result.presentBatches - result.ackedBatches;
        stats.ackedCommits += result.ackedCommits;
        state = result;
      }
      if (i === browserKills) break;
      const tag = `${backend}-crash${i}`;
      previousTag = tag;
      batchSize = i % 2 === 1 ? LARGE_BATCH_SIZE : BATCH_SIZE;
      const target = 1 + random(4);
      call(page, 'work', { name, channelId: 'c', tag, batchSize }).catch(() => {});
      await until(() => acked('batch', tag).length + acked('epoch', tag).length >= target);
      check(`${backend} browser kill ${i}: ${engine} killed`, context.kill() >= 1, `no ${engine} running on the profile`);
      await context.close().catch(() => {});
      context = await startContext(profile);
      stats.browserKills += 1;
    }
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    context = outer;
  }
  summary[`${backend}_browser_kill`] = stats;
}

function checkAppends(label, snapshot, expected) {
  check(`${label}: integrity_check ok`, snapshot.integrity.length === 0, snapshot.integrity.join('; '));
  const ids = new Set(snapshot.messages.map(([id]) => id));
  const seqs = snapshot.messages.map(([, seq]) => seq);
  check(`${label}: ${expected.length} rows`, snapshot.count === expected.length && ids.size === expected.length, `${snapshot.count} rows, ${ids.size} distinct ids`);
  check(`${label}: sequences unique, 1..${expected.length}`, seqs.every((s, i) => s === i + 1), `first gap near ${seqs.findIndex((s, i) => s !== i + 1)}`);
  const missing = expected.filter((id) => !ids.has(id));
  check(`${label}: every acknowledged message present`, missing.length === 0, `missing ${missing.slice(0, 5).join(',')}`);
}

async function tabsSection(backend) {
  const name = `tabs-${backend}`;
  const [a, b] = [await newPage(), await newPage()];
  await call(a, 'remove', name, backend).catch(() => {});
  const roles = [(await call(a, 'open', name, backend)).role, (await call(b, 'open', name, backend)).role];
  check(`${backend} tabs: one owner, one relay`, roles.join() === 'owner,relay', roles.join());
  const started = performance.now();
  const [ra, rb] = await Promise.all([
    call(a, 'appendMany', { name, channelId: 'c', tag: `${backend}-tab-a`, count: 1000 }),
    call(b, 'appendMany', { name, channelId: 'c', tag: `${backend}-tab-b`, count: 1000 }),
  ]);
  const elapsed = performance.now() - started;
  check(`${backend} tabs: no errors`, ra.errors.length + rb.errors.length === 0, JSON.stringify([ra.errors.slice(0, 2), rb.errors.slice(0, 2)]));
  const expected = [...Array(1000).keys()].flatMap((i) => [`${backend}-tab-a-${i}`, `${backend}-tab-b-${i}`]);
  checkAppends(`${backend} tabs`, await call(b, 'snapshot', { name, channelId: 'c', mls: false }), expected);
  await call(a, 'close', name);
  await call(b, 'close', name);
  await a.close();
  await b.close();
  summary[`${backend}_tabs`] = { messages: 2000, ms: Math.round(elapsed) };
}

// The owner goes away while the other tab writes through it: its tab is closed, or (`kill`) only its Worker
// dies, as in a crash of the store's thread. Either way the survivor takes over and finishes.
async function takeoverSection(backend) {
  const stats = {};
  for (const how of ['close-tab', 'kill-worker']) {
    const name = `takeover-${how}-${backend}`;
    const label = `${backend} takeover (${how})`;
    const [a, b] = [await newPage(), await newPage()];
    await call(a, 'remove', name, backend).catch(() => {});
    await call(a, 'open', name, backend);
    check(`${label}: the second tab relays`, (await call(b, 'open', name, backend)).role === 'relay', 'not relay');
    const tagA = `${backend}-${how}-owner`;
    const tagB = `${backend}-${how}-survivor`;
    await call(a, 'appendMany', { name, channelId: 'c', tag: tagA, count: 100 });
    const writing = call(b, 'appendMany', { name, channelId: 'c', tag: tagB, count: 1000 });
    await until(() => acked('message', tagB).length >= 200);
    const goneAt = performance.now();
    if (how === 'close-tab') await a.close();
    else await call(a, 'kill', name);
    const result = await writing;
    const owner = acks.find((x) => x.kind === 'role' && x.tag === name && x.value === 'owner' && x.at >= goneAt);
    check(`${label}: the survivor finished without errors`, result.errors.length === 0, result.errors.slice(0, 3).join('; '));
    check(`${label}: the survivor owns the store`, result.role === 'owner', result.role);
    const expected = [...[...Array(100).keys()].map((i) => `${tagA}-${i}`), ...[...Array(1000).keys()].map((i) => `${tagB}-${i}`)];
    checkAppends(label, await call(b, 'snapshot', { name, channelId: 'c', mls: false }), expected);
    await call(b, 'close', name);
    await b.close();
    if (how === 'kill-worker') await a.close();
    stats[how] = { takeoverMs: owner ? Math.round(owner.at - goneAt) : null, retriedCalls: result.retries };
  }
  summary[`${backend}_takeover`] = stats;
}

// The browser discarding a store's IndexedDB database (Chromium does so with databases it finds damaged
// after a crash) must surface as STORE_LOST, never as an empty store; deleteStore() then starts over.
async function discardSection(backend) {
  if (backend !== 'indexeddb') return;
  const page = await newPage();
  const name = 'discarded';
  await call(page, 'remove', name, backend).catch(() => {});
  await call(page, 'open', name, backend);
  await call(page, 'appendMany', { name, channelId: 'c', tag: 'before-discard', count: 10 });
  await call(page, 'close', name);
  await call(page, 'discardIndexedDb', name);
  const reopened = await call(page, 'tryOpen', name, backend);
  check(`${backend} discard: the store refuses to open with STORE_LOST`, reopened.error === 'STORE_LOST', JSON.stringify(reopened));
  await call(page, 'remove', name, backend);
  const fresh = await call(page, 'tryOpen', name, backend);
  check(`${backend} discard: after deleteStore() it opens, empty`, !fresh.error, JSON.stringify(fresh));
  if (!fresh.error) {
    const snapshot = await call(page, 'snapshot', { name, channelId: 'c', mls: false });
    check(`${backend} discard: the new store is empty`, snapshot.count === 0, `${snapshot.count} messages`);
    await call(page, 'close', name);
  }
  await page.close();
  summary[`${backend}_discard`] = { detected: reopened.error === 'STORE_LOST' };
}

// How each engine is made to run out of space. Chromium's OPFS: a real quota, 3 MB above what the origin uses,
// set through the DevTools protocol. Firefox's OPFS: no per-origin override, but a profile-wide limit (a
// pref, in KiB) gives an origin 10 MB, its floor; a ballast store takes 2 MB of it and deleting the ballast
// frees space. IndexedDB (Chromium does not apply an overridden quota to IndexedDB writes: 128 MB went
// through a 3 MB one here) and the rest: the browser's QuotaExceededError is simulated at the commit, from
// the 20th large write on.
function quotaStrategy(backend) {
  if (backend !== 'opfs') return 'simulated';
  if (traits.cdp) return 'devtools';
  return engine === 'firefox' ? 'profile-limit' : null;
}

async function quotaSection(backend) {
  const strategy = quotaStrategy(backend);
  if (!strategy) {
    summary[`${backend}_quota`] = { skipped: `no way to limit OPFS in ${engine}` };
    return;
  }
  const outer = context;
  if (strategy === 'profile-limit') context = await launch(engine, { prefs: { 'dom.quotaManager.temporaryStorage.fixedLimit': 50 * 1024 } });
  try {
    await quotaChecks(backend, strategy);
  } finally {
    if (context !== outer) {
      await context.close();
      context = outer;
    }
  }
}

async function quotaChecks(backend, strategy) {
  const page = await newPage();
  const name = `quota-${backend}`;
  const ballast = `quota-ballast-${backend}`;
  await call(page, 'remove', name, backend).catch(() => {});
  if (strategy === 'profile-limit') {
    await call(page, 'open', ballast, backend);
    await call(page, 'fill', { name: ballast, channelId: 'c', tag: 'ballast', bodyBytes: 64 * 1024, max: 30 });
    await call(page, 'close', ballast);
  }
  await call(page, 'open', name, backend);
  const before = await call(page, 'fill', { name, channelId: 'c', tag: 'before', bodyBytes: 100, max: 50 });
  check(`${backend} quota: writes work before`, before.written === 50 && !before.error, JSON.stringify(before.error));
  const origin = new URL(url).origin;
  const { usage } = await call(page, 'estimate');
  let full;
  if (strategy === 'devtools') {
    await context.cdp(page, 'Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 3_000_000 });
    full = await call(page, 'fill', { name, channelId: 'c', tag: 'full', bodyBytes: 64 * 1024, max: 2000 });
  } else if (strategy === 'profile-limit') {
    full = await call(page, 'fill', { name, channelId: 'c', tag: 'full', bodyBytes: 64 * 1024, max: 2000 });
  } else {
    const first = await call(page, 'fill', { name, channelId: 'c', tag: 'full', bodyBytes: 64 * 1024, max: 20 });
    await call(page, 'simulateStorageFull', name, true);
    const rest = await call(page, 'fill', { name, channelId: 'c', tag: 'full-more', bodyBytes: 64 * 1024, max: 2000 });
    await call(page, 'simulateStorageFull', name, false);
    full = { written: first.written, error: rest.error, estimate: rest.estimate };
    check(`${backend} quota: nothing acknowledged while full`, rest.written === 0, `${rest.written} acknowledged`);
  }
  check(`${backend} quota: a write past the quota fails with QUOTA_EXCEEDED`, full.error?.code === 'QUOTA_EXCEEDED', `${JSON.stringify(full.error)} usage before ${usage}, estimate then ${JSON.stringify(full.estimate)}`);
  const snapshot = await call(page, 'snapshot', { name, channelId: 'c', mls: false });
  const ids = new Set(snapshot.messages.map(([id]) => id));
  const kept = [...Array(50).keys()].every((i) => ids.has(`before-${i}`)) && [...Array(full.written).keys()].every((i) => ids.has(`full-${i}`));
  check(`${backend} quota: everything acknowledged is still readable`, kept && snapshot.count === 50 + full.written, `${snapshot.count} rows, ${full.written} acknowledged while filling`);
  check(`${backend} quota: integrity_check ok`, snapshot.integrity.length === 0, snapshot.integrity.join('; '));
  if (strategy === 'devtools') await context.cdp(page, 'Storage.overrideQuotaForOrigin', { origin });
  if (strategy === 'profile-limit') await call(page, 'remove', ballast, backend);
  const after = await call(page, 'fill', { name, channelId: 'c', tag: 'after', bodyBytes: 100, max: 10 });
  check(`${backend} quota: writes work again once space is freed`, after.written === 10 && !after.error, JSON.stringify(after.error));
  await call(page, 'close', name);
  await call(page, 'remove', name, backend);
  await page.close();
  summary[`${backend}_quota`] = { acknowledgedWhileFilling: full.written, error: full.error?.code, strategy };
}

const run = { kill: killSection, reload: reloadSection, 'browser-kill': browserKillSection, discard: discardSection, tabs: tabsSection, takeover: takeoverSection, quota: quotaSection };
try {
  for (const backend of backends) {
    for (const section of sections) {
      if (backend === PAGED && !PAGED_SECTIONS.includes(section)) continue;
      const started = performance.now();
      try {
        await run[section](backend);
      } catch (error) {
        check(`${backend} ${section}`, false, error.stack ?? String(error));
      }
      console.log(`${backend} ${section}: done in ${((performance.now() - started) / 1000).toFixed(1)} s (${passed} checks passed, ${failed} failed so far)`);
    }
  }
} finally {
  await context.close();
  await site.close();
}
console.log(`CRASH_JSON ${JSON.stringify({ engine, ...summary })}`);
console.log(`crash suite (${engine}): ${passed} checks passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
