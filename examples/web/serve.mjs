#!/usr/bin/env node
// A tiny static server for the built demo (dist/) with the cross-origin
// isolation headers threaded WASM needs. Used by the browser tests and
// `pnpm bench:web`; `node serve.mjs [dir] [port]` serves on 127.0.0.1.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/**
 * Serves `root` on 127.0.0.1 (port 0 = any free port); resolves to { url, close }.
 * `options.gzip`: gzip every response for a client that accepts it (as a CDN
 * would), so transfer sizes are the gzip sizes. `options.refuse(path)`: answer
 * 503 instead (tests: "the network has no model or runtime bytes").
 * `options.onResponse({ path, status, bytes })`: each response, with the body
 * bytes sent.
 */
export function serveStatic(root, port = 0, options = {}) {
  const base = resolve(root);
  const gzipped = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const done = (status, bytes) => options.onResponse?.({ path, status, bytes });
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      done(403, 0);
      return;
    }
    if (options.refuse?.(path)) {
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('refused');
      done(503, 0);
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      const headers = {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      };
      const gzip = options.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      if (gzip) {
        // Compressed once per file version: level 9 on a 25 MB wasm takes seconds, which would count as network time.
        const key = `${file}:${statSync(file).mtimeMs}`;
        let body = gzipped.get(key);
        if (!body) gzipped.set(key, (body = gzipSync(readFileSync(file), { level: 9 })));
        res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': body.length, Vary: 'Accept-Encoding' });
        res.end(req.method === 'HEAD' ? undefined : body);
        done(200, req.method === 'HEAD' ? 0 : body.length);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Length': size });
      if (req.method === 'HEAD') {
        res.end();
        done(200, 0);
      } else {
        createReadStream(file).pipe(res);
        done(200, size);
      }
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      done(404, 0);
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      ok({
        url: `http://127.0.0.1:${p}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'dist');
  const { url } = await serveStatic(dir, Number(process.argv[3] ?? 4173));
  console.log(`serving ${dir} at ${url}`);
}
