// Loads the benchmark page in headless Chromium and prints its JSON.
// Usage: node tests/e2e/bench-peer.mjs http://127.0.0.1:PORT/  (scripts/bench-peer.sh serves the page)
import { launchChromium } from './browser.mjs';

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(process.argv[2]);
  await page.waitForSelector('body[data-state=done]', { timeout: 600_000 });
  console.log(await page.textContent('#result'));
} finally {
  await browser.close();
}
