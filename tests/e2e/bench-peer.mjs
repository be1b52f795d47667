// Loads the benchmark page in headless Chromium (or --engines ENGINE) and prints its JSON.
// Usage: node tests/e2e/bench-peer.mjs http://127.0.0.1:PORT/  (scripts/bench-peer.sh serves the page)
import { enginesFromArgs, launch } from './webdriver.mjs';

const [engine] = enginesFromArgs(process.argv.includes('--engines') ? process.argv : [...process.argv, '--engines', 'chromium']);
const browser = await launch(engine);
try {
  const page = browser.firstTab();
  await page.goto(process.argv[2]);
  await page.waitFor(() => document.body.dataset.state === 'done', { timeoutMs: 600_000 });
  console.log(await page.run(() => document.querySelector('#result').textContent));
} finally {
  await browser.close();
}
