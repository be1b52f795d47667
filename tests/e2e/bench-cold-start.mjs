// Drives bench/cold-start in one engine: a load that fills the store, then a fresh load (the wasm in the
// HTTP cache) that measures. Prints the measuring load's JSON.
// Usage: node tests/e2e/bench-cold-start.mjs SITE_DIR [--engines chromium|firefox]
import { enginesFromArgs, launch } from './webdriver.mjs';
import { serve } from './server.mjs';

const [engine] = enginesFromArgs(process.argv.includes('--engines') ? process.argv : [...process.argv, '--engines', 'chromium']);
const site = await serve(process.argv[2], { cache: true });
const browser = await launch(engine);
try {
  const page = browser.firstTab();
  const run = async (phase) => {
    await page.goto(`${site.url}?phase=${phase}`);
    await page.waitFor(() => document.body.dataset.state === 'done', { timeoutMs: 600_000 });
    return JSON.parse(await page.run(() => document.querySelector('#result').textContent));
  };
  const filled = await run('fill');
  if (filled.error) throw new Error(filled.error);
  const measured = await run('measure');
  if (measured.error) throw new Error(measured.error);
  console.log(JSON.stringify({ engine, ...measured }));
} finally {
  await browser.close();
  await site.close();
}
