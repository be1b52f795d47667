// The loopback web server of the e2e suites: serves a directory (symbolic links followed) with the content
// types browsers insist on (modules, wasm), and takes the pages' reports: POST /report with a JSON array
// [kind, tag, value] goes to `onReport`. Reports travel over HTTP so that every engine's page can make them
// and a test knows what was acknowledged even when the page, its worker or the whole browser dies a moment
// later.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain',
};

/** Serves `root` on a free loopback port; resolves to `{ url, close() }`. `cache: true` lets the browser
 * keep what it fetched (benchmarks of a start with the wasm in the HTTP cache); otherwise nothing is cached. */
export function serve(root, { onReport = () => {}, cache = false } = {}) {
  const server = createServer(async (request, response) => {
    try {
      const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
      if (request.method === 'POST' && path === '/report') {
        let body = '';
        for await (const chunk of request) body += chunk;
        onReport(...JSON.parse(body));
        response.writeHead(204).end();
        return;
      }
      let file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ''));
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const bytes = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache ? 'max-age=3600' : 'no-store' });
      response.end(bytes);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }) });
    });
  });
}
