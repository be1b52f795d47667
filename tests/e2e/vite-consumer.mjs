// Loads the built Vite consumer app (tests/vite-consumer/dist) in Debian's Chromium and checks that the
// package worked inside it: the store opened on OPFS in the package's worker, a write read back, schema v3+.
// Usage: node tests/e2e/vite-consumer.mjs http://127.0.0.1:PORT/
import { launchChromium } from './browser.mjs';

const browser = await launchChromium();
let ok = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(process.argv[2]);
  await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 }).catch(() => {});
  const result = await page.textContent('#result');
  ok = /^opfs world v\d+$/.test(result) && errors.length === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} vite consumer app: "${result}"${errors.length ? ` errors: ${errors.join('; ')}` : ''}`);
} finally {
  await browser.close();
}
process.exit(ok ? 0 : 1);
