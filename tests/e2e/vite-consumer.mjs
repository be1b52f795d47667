// Loads the built Vite consumer app (tests/vite-consumer/dist) in each engine and checks that the package
// worked inside it: the store opened in the package's worker (OPFS where the engine has sync access handles,
// else IndexedDB), the write's change event heard before the write resolved, the write read back, schema v3+.
// Usage: node tests/e2e/vite-consumer.mjs DIST_DIR [--engines chromium,firefox,webkit]
import { enginesFromArgs, engineTraits, launch } from './webdriver.mjs';
import { serve } from './server.mjs';

const site = await serve(process.argv[2]);
let failed = 0;
try {
  for (const engine of enginesFromArgs()) {
    const browser = await launch(engine);
    try {
      const page = browser.firstTab();
      await page.goto(site.url);
      await page.waitFor(() => document.body.dataset.state, { timeoutMs: 60_000 }).catch(() => {});
      const result = await page.run(() => document.querySelector('#result')?.textContent);
      const backend = engineTraits[engine].opfs ? 'opfs' : 'indexeddb';
      const ok = new RegExp(`^${backend} world v\\d+ heard:hello$`).test(result);
      if (!ok) failed += 1;
      console.log(`${ok ? 'ok  ' : 'FAIL'} [${engine}] vite consumer app: "${result}"`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
process.exit(failed === 0 ? 0 : 1);
