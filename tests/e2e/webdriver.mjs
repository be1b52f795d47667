// One harness for every engine here: classic WebDriver (the W3C protocol chromedriver, geckodriver and
// WebKitWebDriver all speak) over HTTP, with each browser started the way this machine needs it.
//   chromium  Debian's Chromium through chromedriver; root: no sandbox; a closed network: no background
//             connections; an on-disk profile (or --incognito for the private-mode test).
//   firefox   Debian's firefox-esr through geckodriver, headless, on a profile directory of ours whose
//             user.js carries the prefs (private browsing for the private-mode test).
//   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver under Xvfb; its automation session is always
//             ephemeral (as Safari's private mode), and its storage features are switched on by capability.
// A WebDriver session runs one command at a time, so tabs are driven by switching between window handles
// (one queue per browser), and long page work is started in the page and polled for (see `Tab.call`).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--headless=new',
  '--window-size=1280,800'];
const FIREFOX_PREFS = {
  'browser.shell.checkDefaultBrowser': false,
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.disabledForTesting': true,
  'browser.sessionstore.resume_from_crash': false,
  'network.captive-portal-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
};
const WEBKIT_FEATURES = '+StorageAPI,+StorageAPIEstimate,+FileSystem,+AccessHandle';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** A new profile directory (removed by `Browser.close()` when the browser made it). */
export const newProfile = () => mkdtempSync(join(tmpdir(), 'mls-web-store-e2e-'));

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
  server.on('error', reject);
});
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function driverCommand(engine, port) {
  if (engine === 'chromium') return ['chromedriver', [`--port=${port}`]];
  if (engine === 'firefox') return [process.env.GECKODRIVER ?? 'geckodriver', ['--port', String(port), '--host', '127.0.0.1']];
  // MiniBrowser needs a display: Xvfb, through xvfb-run, for this driver and the browsers it starts.
  return ['xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', 'WebKitWebDriver', `--port=${port}`]];
}

function capabilities(engine, { profile, privateMode, prefs: extraPrefs = {} }) {
  if (engine === 'chromium') {
    const args = [...CHROMIUM_ARGS, privateMode ? '--incognito' : `--user-data-dir=${profile}`];
    return { browserName: 'chrome', 'goog:chromeOptions': { binary: process.env.CHROMIUM ?? '/usr/bin/chromium', args } };
  }
  if (engine === 'firefox') {
    const prefs = { ...FIREFOX_PREFS, ...(privateMode ? { 'browser.privatebrowsing.autostart': true } : {}), ...extraPrefs };
    writeFileSync(join(profile, 'user.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
    return { browserName: 'firefox', 'moz:firefoxOptions': { binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', args: ['-headless', '-profile', profile] } };
  }
  return {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: process.env.MINIBROWSER ?? MINIBROWSER, args: ['--automation', `--features=${WEBKIT_FEATURES}`] },
  };
}

/** What each engine can do here (see README "Browser support"). */
export const engineTraits = {
  chromium: { opfs: true, persistentProfile: true, privateMode: 'incognito', cdp: true },
  firefox: { opfs: true, persistentProfile: true, privateMode: 'private browsing', cdp: false },
  webkit: { opfs: false, persistentProfile: false, privateMode: 'ephemeral automation session', cdp: false },
};

/** Starts `engine` (on `profile`, a new one by default) and returns its WebDriver session. `prefs`: Firefox
 * preferences for this profile. */
export async function launch(engine, { profile, privateMode = false, prefs } = {}) {
  if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}`);
  const owned = profile === undefined;
  profile ??= newProfile();
  const port = await freePort();
  const [command, args] = driverCommand(engine, port);
  // Its own process group, so that closing it takes xvfb-run's Xvfb and every browser with it.
  const driver = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let driverLog = '';
  driver.stderr.on('data', (chunk) => { driverLog = (driverLog + chunk).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try {
      const status = await (await fetch(`${base}/status`)).json();
      if (status.value?.ready !== false) break;
    } catch {
      // Not listening yet.
    }
    if (i > 200) throw new Error(`${engine} driver did not start: ${driverLog}`);
    await sleep(100);
  }
  const browser = new Browser(engine, base, driver, profile, owned, privateMode);
  try {
    const created = await browser.send('POST', '/session', { capabilities: { alwaysMatch: capabilities(engine, { profile, privateMode, prefs }) } }, false);
    browser.sessionId = created.sessionId;
    browser.firstHandle = await browser.send('GET', '/window');
    await browser.send('POST', '/timeouts', { script: 600_000, pageLoad: 120_000 });
  } catch (error) {
    browser.stopDriver();
    throw new Error(`${engine}: no session (${error.message}) ${driverLog}`);
  }
  return browser;
}

class Browser {
  constructor(engine, base, driver, profile, ownsProfile, privateMode) {
    Object.assign(this, { engine, base, driver, profile, ownsProfile, privateMode });
    this.traits = engineTraits[engine];
    this.queue = Promise.resolve();
    this.current = null;
    this.closed = false;
  }

  async send(method, path, body, inSession = true) {
    const url = `${this.base}${inSession ? `/session/${this.sessionId}` : ''}${path}`;
    const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(`${method} ${path}: ${answer.value?.error ?? response.status}: ${answer.value?.message ?? ''}`.slice(0, 2000));
      error.webdriver = answer.value?.error;
      throw error;
    }
    return answer.value;
  }

  /** Runs `work` alone on this session with `handle` the current window. */
  inWindow(handle, work) {
    const run = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.send('POST', '/window', { handle });
        this.current = handle;
      }
      return work();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** The tab the session started with. */
  firstTab() {
    return new Tab(this, this.firstHandle);
  }

  async newTab() {
    const { handle } = await this.inWindow(this.current ?? this.firstHandle, () => this.send('POST', '/window/new', { type: 'tab' }));
    return new Tab(this, handle);
  }

  /** Chromium only: a DevTools protocol command through chromedriver. */
  cdp(tab, cmd, params = {}) {
    return this.inWindow(tab.handle, () => this.send('POST', '/goog/cdp/execute', { cmd, params }));
  }

  /** SIGKILLs the browser and everything it started, as a crash would; the session is gone after it. */
  kill() {
    const marker = this.engine === 'chromium' ? `--user-data-dir=${this.profile}` : this.profile;
    const roots = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg === marker);
      } catch {
        return false;
      }
    });
    const all = new Set(roots);
    for (const pid of roots) {
      try {
        for (const child of execFileSync('pgrep', ['-P', pid]).toString().split(/\s+/).filter(Boolean)) all.add(child);
      } catch {
        // No children.
      }
    }
    for (const pid of all) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.killed = true;
    return roots.length;
  }

  stopDriver() {
    try {
      process.kill(-this.driver.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    if (!this.killed) await Promise.race([this.send('DELETE', '').catch(() => {}), sleep(15_000)]);
    this.stopDriver();
    if (this.ownsProfile) rmSync(this.profile, { recursive: true, force: true });
  }
}

let nextCall = 1;

class Tab {
  constructor(browser, handle) {
    this.browser = browser;
    this.handle = handle;
  }

  command(method, path, body) {
    return this.browser.inWindow(this.handle, () => this.browser.send(method, path, body));
  }

  goto(url) { return this.command('POST', '/url', { url }); }

  reload() { return this.command('POST', '/refresh', {}); }

  /** Runs `fn` (a function, its source sent) in the page with JSON arguments; a returned Promise is awaited
   * in the page (WebDriver's async script). Keep it short: it holds the session. */
  run(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn})(...Array.prototype.slice.call(arguments, 0, -1)))
        .then((value) => done({ ok: true, value: value === undefined ? null : value }),
              (error) => done({ ok: false, error: String(error && (error.stack || error.message) || error), code: error && error.code }));`;
    return this.command('POST', '/execute/async', { script, args }).then((result) => {
      if (!result?.ok) {
        const error = new Error(result?.error ?? 'script failed');
        error.code = result?.code;
        throw error;
      }
      return result.value;
    });
  }

  /** Calls `window.h[name](...args)` in the page without holding the session: started, then polled, so that
   * several tabs work at the same time. Rejects with the page's error (its `code` kept). */
  async call(name, ...args) {
    const id = `c${nextCall++}`;
    await this.run((id, name, args) => {
      window.__calls ??= {};
      window.__calls[id] = { state: 'running' };
      Promise.resolve().then(() => window.h[name](...args)).then(
        (value) => { window.__calls[id] = { state: 'done', value: value === undefined ? null : value }; },
        (error) => { window.__calls[id] = { state: 'failed', error: String(error?.message ?? error), code: error?.code }; },
      );
    }, id, name, args);
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      const result = await this.run((id) => {
        const call = window.__calls?.[id];
        if (call && call.state !== 'running') delete window.__calls[id];
        return call ?? { state: 'lost' };
      }, id);
      if (result.state === 'done') return result.value;
      if (result.state === 'failed') {
        const error = new Error(`${name}: ${result.code ?? ''} ${result.error}`);
        error.code = result.code;
        throw error;
      }
      if (result.state === 'lost') throw new Error(`${name}: the page went away (reloaded or closed) before answering`);
      await sleep(wait);
    }
  }

  /** Waits until `fn()` in the page is truthy; returns its value. */
  async waitFor(fn, { timeoutMs = 120_000, args = [] } = {}) {
    const started = Date.now();
    for (;;) {
      const value = await this.run(fn, ...args).catch(() => null);
      if (value) return value;
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${String(fn).slice(0, 120)}`);
      await sleep(50);
    }
  }

  async screenshot(path) {
    const base64 = await this.command('GET', '/screenshot');
    writeFileSync(path, Buffer.from(base64, 'base64'));
  }

  async close() {
    await this.browser.inWindow(this.handle, () => this.browser.send('DELETE', '/window'));
    this.browser.current = null;
  }
}

/** The engines to run, from E2E_ENGINES (comma-separated) or the `--engines` flag; all three by default. */
export function enginesFromArgs(argv = process.argv) {
  const at = argv.indexOf('--engines');
  const list = (at > 0 ? argv[at + 1] : process.env.E2E_ENGINES) ?? ENGINES.join(',');
  return list.split(',').filter(Boolean);
}
