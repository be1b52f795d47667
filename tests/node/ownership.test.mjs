// Unit tests of the ownership state machine (pkg-templates/src/ownership.ts) in Node, on fake Web Locks,
// BroadcastChannel, clock and database (fakes.mjs): election, relaying, an owner vanishing mid-call, the
// bounded takeover of a stuck holder, close ordering, the relay's key proof, change events. The browsers'
// end-to-end suites (tests/e2e) cover what only a browser can show. Run: bash scripts/test-node.sh
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lockName } from '../../target/node-build/manifest.js';
import { FakeOrigin, settle } from './fakes.mjs';

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(9);
const bytes = (text) => new TextEncoder().encode(text);

test('the first tab to open owns the store; the next relays to it', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  assert.equal((await a.open('s')).info.role, 'owner');
  assert.equal((await b.open('s')).info.role, 'relay');
  assert.equal(a.role, 'owner');
  assert.equal(b.role, 'relay');
  assert.equal(b.ownership.ownerId, 'a');
  assert.equal(origin.locks.holderOf(lockName('s')), 'a');

  assert.equal((await b.call('kv.put', ['n', 'k', bytes('v')]).answer).op, 'done');
  const read = await b.call('kv.get', ['n', 'k']).answer;
  assert.deepEqual(read, { op: 'done', id: read.id, value: bytes('v') });
  // Only the owner touched the database.
  assert.deepEqual(origin.database('s').log, ['opened by a', 'kv.put by a', 'kv.get by a']);
});

test('a relay does not open the database, and a call to an unknown method is refused', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s');
  const answer = await b.call('dropEverything', []).answer;
  assert.equal(answer.op, 'failed');
  assert.equal(answer.error.code, 'INVALID_ARGUMENT');
  assert.equal(origin.database('s').log.filter((line) => line.startsWith('opened')).length, 1);
});

test('the owner vanishing mid-call: the next owner answers reads again, writes fail with OWNER_CHANGED', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s');
  await b.call('kv.put', ['n', 'k', bytes('before')]).answer;

  const release = origin.database('s').hold();
  const read = b.call('kv.get', ['n', 'k']);
  const write = b.call('kv.put', ['n', 'k', bytes('maybe')]);
  await settle();
  a.crash();
  release();
  await settle();

  assert.equal(b.role, 'owner');
  const readAnswer = await read.answer;
  assert.equal(readAnswer.op, 'done');
  assert.deepEqual(readAnswer.value, bytes('before'));
  const writeAnswer = await write.answer;
  assert.equal(writeAnswer.op, 'failed');
  assert.equal(writeAnswer.error.code, 'OWNER_CHANGED');
  assert.ok(b.changes().some((change) => change.type === 'ownerChanged'), 'the tab hears that the owner changed');
});

test('when another relay becomes the owner, a relay asks it its reads again and fails its writes', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const c = origin.worker('c');
  const b = origin.worker('b');
  await a.open('s');
  await c.open('s'); // first in line for the lock
  await b.open('s');
  await b.call('kv.put', ['n', 'k', bytes('kept')]).answer;

  const release = origin.database('s').hold();
  const read = b.call('kv.get', ['n', 'k']);
  const write = b.call('kv.put', ['n', 'k', bytes('lost?')]);
  await settle();
  a.crash();
  release();
  await settle();

  assert.equal(c.role, 'owner');
  assert.equal(b.role, 'relay');
  assert.equal(b.ownership.ownerId, 'c');
  assert.deepEqual((await read.answer).value, bytes('kept'));
  assert.equal((await write.answer).error.code, 'OWNER_CHANGED');
  assert.ok(origin.database('s').log.includes('kv.get by c'), 'the read was asked again of the new owner');
});

test('calls made while no owner is known wait for one', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s');
  a.crash();
  // b has not noticed yet: its call goes to the vanished owner, then to b itself once it holds the lock.
  const answer = await b.call('kv.get', ['n', 'missing']).answer;
  assert.equal(answer.op, 'done');
  assert.equal(b.role, 'owner');
});

test('a holder that stops answering loses the lock after livenessMs, not before; it then relays', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s', { livenessMs: 2000 });
  a.freeze(); // a frozen tab: keeps its lock, answers nothing

  await origin.clock.advance(1500);
  assert.equal(b.role, 'relay', 'a silent holder keeps the lock within livenessMs');
  assert.equal(origin.locks.holderOf(lockName('s')), 'a');

  await origin.clock.advance(1500);
  assert.equal(b.role, 'owner', 'past livenessMs the waiting tab takes the store');
  assert.equal(origin.locks.holderOf(lockName('s')), 'b');
  // The stale holder learned its lock was stolen: it closed its copy of the store and relays.
  assert.equal(a.role, 'relay');
  assert.equal(a.closedStores, 1);

  a.thaw();
  await origin.clock.advance(1000); // a's hello / b's announcement
  assert.equal(a.ownership.ownerId, 'b');
  const answer = await a.call('kv.put', ['n', 'k', bytes('via b')]).answer;
  assert.equal(answer.op, 'done');
  assert.ok(origin.database('s').log.includes('kv.put by b'));
});

test('a holder that answers pings keeps the lock however long it holds it', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s', { livenessMs: 2000 });
  await origin.clock.advance(20_000);
  assert.equal(a.role, 'owner');
  assert.equal(b.role, 'relay');
});

test('close waits for calls in flight, then closes the store, then lets the lock go to the next tab', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s');
  const database = origin.database('s');

  const release = database.hold();
  const inFlight = a.call('kv.put', ['n', 'k', bytes('last')]);
  await settle();
  const closed = a.ownership.close();
  await settle();
  assert.equal(a.closedStores, 0, 'the store stays open while a call is in flight');
  assert.equal(origin.locks.holderOf(lockName('s')), 'a');

  release();
  await closed;
  await settle();
  assert.equal((await inFlight.answer).op, 'done');
  assert.deepEqual(database.log.slice(-3), ['kv.put by a', 'closed by a', 'opened by b']);
  assert.equal(b.role, 'owner');
  assert.deepEqual(a.roles(), ['owner', 'closing', 'closed']);

  const late = await a.call('kv.get', ['n', 'k']).answer;
  assert.equal(late.error.code, 'STORE_CLOSED');
});

test('a relay must prove the key: a wrong or missing key is refused with WRONG_KEY, the right one works', async () => {
  const origin = new FakeOrigin();
  origin.database('s', KEY);
  const a = origin.worker('a');
  assert.equal((await a.open('s', { key: KEY })).op, 'opened');

  const wrong = await origin.worker('b').open('s', { key: OTHER_KEY });
  assert.equal(wrong.op, 'open-failed');
  assert.equal(wrong.error.code, 'WRONG_KEY');
  const none = await origin.worker('c').open('s');
  assert.equal(none.error.code, 'WRONG_KEY');

  const right = origin.worker('d');
  assert.equal((await right.open('s', { key: KEY })).info.role, 'relay');
  assert.equal((await right.call('kv.put', ['n', 'k', bytes('ok')]).answer).op, 'done');
  assert.deepEqual(origin.database('s').log, ['opened by a', 'kv.put by a']);
});

test('after a relay rekeys, it and the owner prove the new key; other relays fail until reopened with it', async () => {
  const origin = new FakeOrigin();
  origin.database('s', KEY);
  const a = origin.worker('a');
  const b = origin.worker('b');
  const c = origin.worker('c');
  await a.open('s', { key: KEY });
  await b.open('s', { key: KEY });
  await c.open('s', { key: KEY });

  assert.equal((await b.call('rekey', [OTHER_KEY]).answer).op, 'done');
  assert.equal((await b.call('kv.get', ['n', 'k']).answer).op, 'done');
  assert.equal((await c.call('kv.get', ['n', 'k']).answer).error.code, 'WRONG_KEY');
  const reopened = origin.worker('c2');
  assert.equal((await reopened.open('s', { key: OTHER_KEY })).op, 'opened');
});

test('a key of the wrong length fails the open before anything is shared', async () => {
  const origin = new FakeOrigin();
  const answer = await origin.worker('a').open('s', { key: new Uint8Array(5) });
  assert.equal(answer.error.code, 'INVALID_KEY');
  assert.equal(origin.locks.holderOf(lockName('s')), null);
});

test('every tab hears every change in order, the writer included', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  const c = origin.worker('c');
  await a.open('s');
  await b.open('s');
  await c.open('s');
  for (const key of ['1', '2', '3']) await b.call('kv.put', ['n', key, bytes(key)]).answer;
  await settle();
  const keys = (worker) => worker.changes().filter((change) => change.type === 'keyValue').map((change) => change.key);
  assert.deepEqual(keys(a), ['1', '2', '3']);
  assert.deepEqual(keys(b), ['1', '2', '3']);
  assert.deepEqual(keys(c), ['1', '2', '3']);
});

test('progress callbacks reach the relay that asked, and an abort reaches the owner', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s');
  await b.open('s');
  const exported = b.call('backup.exportInPieces', [{ onChunk: { __mlsWebStoreCallback: 0 } }]);
  assert.equal((await exported.answer).op, 'done');
  const pieces = b.replies.filter((reply) => reply.op === 'progress' && reply.id === exported.id);
  assert.deepEqual(pieces.map((piece) => [...piece.args[0]]), [[0], [1], [2]]);
  assert.equal(a.replies.filter((reply) => reply.op === 'progress').length, 0);

  const release = origin.database('s').hold();
  const slow = b.call('kv.get', ['n', 'k']);
  await settle();
  b.ownership.abort(slow.id);
  const answer = await slow.answer;
  release();
  assert.equal(answer.error.code, 'ABORTED');
});

test('a memory store is owned alone: no lock, no channel', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  assert.equal((await a.open('m', { backend: 'memory' })).info.role, 'owner');
  assert.equal(origin.locks.holderOf(lockName('m')), null);
  assert.equal(origin.hub.channels.size, 0);
  assert.equal((await a.call('kv.get', ['n', 'k']).answer).op, 'done');
});

test('each open of the database gets the limits its own tab asked for, a takeover\'s reopen included', async () => {
  const origin = new FakeOrigin();
  const a = origin.worker('a');
  const b = origin.worker('b');
  await a.open('s', { memoryLimitBytes: 1000, pageCacheBytes: 500 });
  await b.open('s', { memoryLimitBytes: 2000 });
  assert.deepEqual(a.openedWith, [{ memoryLimitBytes: 1000, pageCacheBytes: 500 }]);
  assert.deepEqual(b.openedWith, [], 'a relay opens nothing');
  a.crash();
  await settle();
  assert.equal(b.role, 'owner');
  assert.deepEqual(b.openedWith, [{ memoryLimitBytes: 2000 }]);
  const c = origin.worker('c');
  await c.open('t');
  assert.deepEqual(c.openedWith, [{}], 'no limit given: the wasm\'s default');
});
