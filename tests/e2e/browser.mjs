// Debian's Chromium for the e2e drivers, started the way this machine needs (root: no sandbox; a closed
// network: no background connections), with a fresh on-disk profile that `close()` removes. An incognito
// context would keep IndexedDB (and OPFS) in memory, which is not what users get.
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** A new profile directory; `launchChromium(options, profile)` starts Chromium on it and leaves it be. */
export const newProfile = () => mkdtempSync(join(tmpdir(), 'mls-web-store-e2e-'));

/** A browser context on `profile` (by default a new directory, deleted again by the context's `close()`). */
export async function launchChromium(options = {}, profile = undefined) {
  const owned = profile === undefined;
  profile ??= newProfile();
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
      if (owned) rmSync(profile, { recursive: true, force: true });
    }
  };
  return context;
}

/** Kills the Chromium started on `profile` and everything it started (one process group) at once, as a crash
 * would; other browsers of this process live on. Returns how many browsers it killed. */
export function killChromium(profile) {
  // pgrep -f sees only the start of Chromium's long command line: read each child's whole one instead.
  const pids = execSync(`pgrep -P ${process.pid} || true`).toString().split(/\s+/).filter(Boolean)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--user-data-dir=${profile}`);
      } catch {
        return false;
      }
    });
  for (const pid of pids) {
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}
