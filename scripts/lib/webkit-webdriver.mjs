#!/usr/bin/env node
// A stand-in for `safaridriver` that wasm-bindgen-test-runner can start (SAFARIDRIVER=this file): it starts
// WebKitGTK's WebKitWebDriver and relays WebDriver between the two, adding to the new-session request the
// capabilities the runner does not send for Safari: MiniBrowser as the browser, with the storage features on
// (without +StorageAPI there is no navigator.storage). Needs an X display (run under xvfb-run). The runner
// stops its driver with SIGKILL, which this process cannot catch: it watches for being orphaned instead and
// then stops WebKitWebDriver and the browsers it started.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';

const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const FEATURES = '+StorageAPI,+StorageAPIEstimate,+FileSystem,+AccessHandle';
const port = Number((process.argv.find((arg) => arg.startsWith('--port=')) ?? '--port=4444').slice(7));
const parent = process.ppid;

const innerPort = await new Promise((resolve) => {
  const probe = createNetServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const driver = spawn('WebKitWebDriver', [`--port=${innerPort}`], { stdio: 'inherit', detached: true });
const stop = () => {
  try {
    process.kill(-driver.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 500);
driver.on('exit', () => process.exit(1));

// Listen only once WebKitWebDriver answers: the runner starts talking as soon as this port is bound.
for (let tries = 0; ; tries += 1) {
  const up = await fetch(`http://127.0.0.1:${innerPort}/status`).then(() => true, () => false);
  if (up) break;
  if (tries > 200) stop();
  await new Promise((resolve) => { setTimeout(resolve, 50); });
}

function withBrowser(body) {
  const session = JSON.parse(body || '{}');
  session.capabilities ??= {};
  session.capabilities.alwaysMatch = {
    ...session.capabilities.alwaysMatch,
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', `--features=${FEATURES}`] },
  };
  delete session.desiredCapabilities;
  return JSON.stringify(session);
}

createServer(async (incoming, outgoing) => {
  let body = '';
  for await (const chunk of incoming) body += chunk;
  if (incoming.method === 'POST' && incoming.url === '/session') body = withBrowser(body);
  const headers = { ...incoming.headers, host: `127.0.0.1:${innerPort}`, 'content-length': Buffer.byteLength(body) };
  const forwarded = request({ host: '127.0.0.1', port: innerPort, method: incoming.method, path: incoming.url, headers }, (answer) => {
    outgoing.writeHead(answer.statusCode, answer.headers);
    answer.pipe(outgoing);
  });
  forwarded.on('error', (error) => outgoing.writeHead(502).end(String(error)));
  forwarded.end(body);
}).listen(port, '127.0.0.1');
