// End-to-end check of the demo page in Debian's Chromium: the store opens in a Worker on OPFS, reports the
// schema version, and the visit count it keeps survives every reload.
// Usage: node tests/e2e/demo-reload.mjs http://127.0.0.1:PORT/
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const reloads = 3;
const profile = mkdtempSync(join(tmpdir(), 'mls-web-store-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${detail}`}`);
}

try {
  const page = await context.newPage();
  page.on('pageerror', (error) => check('no page error', false, error.message));
  for (let load = 1; load <= reloads; load += 1) {
    if (load === 1) await page.goto(url); else await page.reload();
    await page.waitForSelector('body[data-state]', { timeout: 60_000 });
    const read = (id) => page.textContent(`#${id}`);
    const state = await page.getAttribute('body', 'data-state');
    check(`load ${load}: store ready`, state === 'ready', await read('status'));
    check(`load ${load}: backend is opfs`, (await read('backend')) === 'opfs', await read('backend'));
    check(`load ${load}: schema at latest`, /^(\d+) \(latest \1\)$/.test(await read('schema')), await read('schema'));
    check(`load ${load}: visit count survived`, (await read('visits')) === String(load), await read('visits'));
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`demo e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
