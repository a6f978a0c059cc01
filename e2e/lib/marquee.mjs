// Starts a real Marquee server on the demo library and talks to its JSON API.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.mjs';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A library of movies made from the generated test media (`scripts/gen-test-media.sh`, which
 * makes what is missing into $CARGO_TARGET_DIR/test-media): `movies` maps a folder name such as
 * "Lambda (2013)" to a fixture file; each is copied to Movies/<folder>/<folder>.<ext> in a fresh
 * temporary folder, whose path is returned (the caller removes it).
 */
export function movieLibrary(movies) {
  const fixtures = path.resolve(REPO_DIR, process.env.CARGO_TARGET_DIR || 'target', 'test-media');
  const gen = spawnSync('bash', [path.join(REPO_DIR, 'scripts/gen-test-media.sh'), fixtures], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (gen.status !== 0) throw new Error(`scripts/gen-test-media.sh failed (exit ${gen.status}): is ffmpeg installed?`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-e2e-media-'));
  for (const [folder, fixture] of Object.entries(movies)) {
    const dest = path.join(root, 'Movies', folder, `${folder}${path.extname(fixture)}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(fixtures, fixture), dest);
  }
  return root;
}

/**
 * The marquee binary: $MARQUEE_BIN when set, else `cargo build --release --locked` in the
 * repository (a no-op when up to date) and $CARGO_TARGET_DIR/release/marquee (default target/).
 */
export function marqueeBinary() {
  if (process.env.MARQUEE_BIN) {
    const bin = path.resolve(process.env.MARQUEE_BIN);
    if (!fs.existsSync(bin)) throw new Error(`MARQUEE_BIN=${bin} does not exist`);
    return bin;
  }
  const targetDir = path.resolve(REPO_DIR, process.env.CARGO_TARGET_DIR || 'target');
  process.stderr.write(`==> cargo build --release --locked (in ${REPO_DIR}; set MARQUEE_BIN to skip)\n`);
  const build = spawnSync('cargo', ['build', '--release', '--locked', '--bin', 'marquee'], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.error) throw new Error(`could not run cargo: ${build.error.message}`);
  if (build.status !== 0) throw new Error(`cargo build --release failed (exit ${build.status})`);
  const bin = path.join(targetDir, 'release', 'marquee');
  if (!fs.existsSync(bin)) throw new Error(`cargo build succeeded but ${bin} is missing`);
  return bin;
}

/**
 * `marquee serve --demo --no-watch --listen 127.0.0.1:0 --data <fresh temp dir>`; resolves when
 * it has printed the administrator's one-time password and its URL. `media` adds `--media`
 * folders, `demo: false` leaves the demo library out, `env` adds environment variables.
 * Returns { url, password, dataDir, output(), stop() }; stop() is idempotent and never throws.
 */
export async function startMarquee(bin, { startTimeoutMs = 60_000, demo = true, media = [], env = {} } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-e2e-data-'));
  const args = ['serve', ...(demo ? ['--demo'] : []), '--no-watch', '--listen', '127.0.0.1:0', '--data', dataDir];
  for (const m of media) args.push('--media', m);
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MARQUEE_LOG: process.env.MARQUEE_LOG || 'info', ...env },
  });
  const unregister = onCleanup(() => {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  let out = '';
  const append = (chunk) => {
    out += chunk;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    unregister();
  };
  const describe = () => `marquee ${args.join(' ')}\n--- its output ---\n${out.slice(-4000)}`;

  try {
    const ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`marquee did not print its password and URL within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      const check = () => {
        const password = out.match(/one-time password:\s*"?([^\s"]+)"?/);
        const url = out.match(/listening on (https?:\/\/[^\s]+)/i);
        if (password && url) {
          clearTimeout(timer);
          resolve({ password: password[1], url: url[1].replace(/\/+$/, '') });
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start ${bin}: ${err.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`marquee exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
    return { ...ready, dataDir, output: () => out, describe, stop };
  } catch (err) {
    await stop();
    err.message += `\n${describe()}`;
    throw err;
  }
}

/** A small JSON client for the API: throws with the method, path, status and body on failure. */
export class Api {
  constructor(baseUrl, token = null) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  async request(method, p, body) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(p, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) {
      const err = new Error(`${method} ${p} answered ${res.status}: ${text.slice(0, 500)}`);
      err.status = res.status;
      throw err;
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${method} ${p} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  get(p) {
    return this.request('GET', p);
  }

  /** Logs in and keeps the bearer token for the next requests. */
  async login(username, password) {
    const res = await this.request('POST', '/api/v1/auth/login', { username, password });
    if (typeof res.token !== 'string' || !res.token) throw new Error(`login answered no token: ${JSON.stringify(res)}`);
    this.token = res.token;
    return res;
  }

  /** The first episode of the first season of the first series (the demo has exactly one series). */
  async firstEpisode() {
    const list = await this.get('/api/v1/series');
    if (!Array.isArray(list.items) || list.items.length === 0) {
      throw new Error(`GET /api/v1/series lists no series: ${JSON.stringify(list).slice(0, 300)}`);
    }
    const series = await this.get(`/api/v1/series/${list.items[0].id}`);
    const season = (series.seasons || []).find((s) => (s.episodes || []).length > 0);
    if (!season) throw new Error(`series ${list.items[0].id} has no episode: ${JSON.stringify(series).slice(0, 300)}`);
    return season.episodes[0];
  }

  /** The movie with this title, once the scan has listed it (polled for up to `timeoutMs`). */
  async waitForMovie(title, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.get('/api/v1/movies?limit=100');
      const movie = (list.items || []).find((m) => m.title === title);
      if (movie) return movie;
      if (Date.now() > deadline) throw new Error(`the scan did not list "${title}" within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The demo movie with this title. */
  async movie(title) {
    const list = await this.get('/api/v1/movies?limit=100');
    const movie = (list.items || []).find((m) => m.title === title);
    if (!movie) throw new Error(`GET /api/v1/movies has no "${title}": ${JSON.stringify(list).slice(0, 300)}`);
    return movie;
  }

  /**
   * GET /api/v1/items/{id}/playback. A 404 means the endpoint (or the item) is not there: say so
   * plainly, the tests must fail on it rather than skip.
   */
  async playback(id) {
    const p = `/api/v1/items/${id}/playback`;
    try {
      return await this.get(p);
    } catch (err) {
      if (err.status === 404) {
        throw new Error(
          `GET ${p} answered 404: the playback endpoint is not implemented in this marquee build ` +
            `(or does not know item ${id}). These tests need it; they do not skip.\n${err.message}`,
        );
      }
      throw err;
    }
  }
}
