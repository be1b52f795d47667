// Loads the benchmark page in headless Chromium and prints its JSON.
// Usage: node tests/e2e/bench-peer.mjs http://127.0.0.1:PORT/  (scripts/bench-peer.sh serves the page)
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A real on-disk profile: an incognito context keeps IndexedDB (and OPFS) in memory, which is not what
// users get.
const profile = mkdtempSync(join(tmpdir(), 'mls-web-store-bench-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(process.argv[2]);
  await page.waitForSelector('body[data-state=done]', { timeout: 600_000 });
  console.log(await page.textContent('#result'));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
