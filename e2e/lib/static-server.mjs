// A tiny static file server on 127.0.0.1 (node:http) for the harness pages and the player
// libraries, so the pages run on an origin of their own: every request they make to Marquee is
// cross-origin, as it is for a web client served from elsewhere.
//
//   /harness/<name>.html  e2e/harness/
//   /lib/hls.min.js       hls.js dist/hls.min.js
//   /lib/dash.all.min.js  dashjs dist/modern/umd/dash.all.min.js
//   /media/...            an optional extra folder (`mediaDir`), served with CORS
//                         (the self-check serves ffmpeg's HLS/DASH output from there)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Installed files of the player libraries, resolved from e2e/node_modules. */
const NODE_MODULES = path.join(E2E_DIR, 'node_modules');
export const PLAYER_LIBS = {
  'hls.min.js': path.join(NODE_MODULES, 'hls.js', 'dist', 'hls.min.js'),
  'dash.all.min.js': path.join(NODE_MODULES, 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.vtt': 'text/vtt',
};

/** Starts the server; resolves to { origin, close() }. */
export async function startStaticServer({ mediaDir } = {}) {
  for (const [name, file] of Object.entries(PLAYER_LIBS)) {
    if (!fs.existsSync(file)) throw new Error(`${name} not found at ${file}: run scripts/e2e-setup.sh`);
  }
  const harnessDir = path.join(E2E_DIR, 'harness');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    let file = null;
    let cors = false;
    if (pathname.startsWith('/harness/')) {
      file = inside(harnessDir, pathname.slice('/harness/'.length));
    } else if (pathname.startsWith('/lib/')) {
      file = PLAYER_LIBS[pathname.slice('/lib/'.length)] ?? null;
    } else if (mediaDir && pathname.startsWith('/media/')) {
      file = inside(mediaDir, pathname.slice('/media/'.length));
      cors = true;
    } else if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': fs.statSync(file).size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  let closed = false;
  return {
    origin,
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        closed = true;
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// The file `rel` under `root`, or null when it would escape it.
function inside(root, rel) {
  const file = path.resolve(root, rel);
  return file.startsWith(path.resolve(root) + path.sep) ? file : null;
}
