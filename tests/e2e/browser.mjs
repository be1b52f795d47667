// Debian's Chromium for the e2e drivers, started the way this machine needs (root: no sandbox; a closed
// network: no background connections), with a fresh on-disk profile that `close()` removes. An incognito
// context would keep IndexedDB (and OPFS) in memory, which is not what users get.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** A browser context on a new profile directory; its `close()` also deletes the profile. */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'mls-web-store-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    try {
      await close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return context;
}
