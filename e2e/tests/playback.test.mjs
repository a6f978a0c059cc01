// Real-browser playback against a real Marquee server on the demo library: for the first
// episode of the demo series, hls.js plays master.m3u8 and dash.js plays manifest.mpd in Debian's
// Chromium. Each must play past 10 s without a fatal error, seek to 60 % of the duration (lands
// within 1 s, playback goes on) and fire `ended`.
//
// Each test starts its own server (fresh --data folder) and browser and stops both in `finally`,
// and again in after() should a timeout abandon the test body. A missing playback endpoint (404)
// fails the tests; they never skip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { marqueeBinary, startMarquee, Api } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { startStaticServer } from '../lib/static-server.mjs';
import { playThrough, screenshotDir } from '../lib/playback.mjs';

let bin;
let pages;
const cleanups = new Set();

before(async () => {
  bin = marqueeBinary(); // may run `cargo build --release`: a generous timeout
  pages = await startStaticServer();
  console.log(`marquee binary: ${bin}`);
  console.log(`harness pages: ${pages.origin}/harness/`);
  console.log(`screenshots: ${screenshotDir()}`);
}, { timeout: 30 * 60_000 });

after(async () => {
  for (const close of cleanups) await close();
  await pages?.close();
});

/** Starts marquee, logs in as admin and returns the playback info of the first demo episode. */
async function serverWithEpisode() {
  const server = await startMarquee(bin);
  cleanups.add(server.stop);
  const api = new Api(server.url);
  await api.login('admin', server.password);
  const episode = await api.firstEpisode();
  const info = await api.playback(episode.id);
  return { server, api, episode, info };
}

/** GET of a stream URL without any header but Origin: must answer 200 with Access-Control-Allow-Origin. */
async function assertFetchableCrossOrigin(url, origin) {
  const res = await fetch(url, { headers: { origin }, signal: AbortSignal.timeout(30_000) });
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${url} (no Authorization header) answered ${res.status}: ${body.slice(0, 300)}`);
  const acao = res.headers.get('access-control-allow-origin');
  assert.ok(acao === '*' || acao === origin,
    `GET ${url} has no usable Access-Control-Allow-Origin (got ${JSON.stringify(acao)}): ` +
      'a page on another origin cannot read it');
  return body;
}

for (const [player, field] of [['hls', 'hls'], ['dash', 'dash']]) {
  test(`${player}: ${player === 'hls' ? 'hls.js plays master.m3u8' : 'dash.js plays manifest.mpd'} of a demo episode, seeks to 60 % and reaches the end`,
    { timeout: 300_000 },
    async () => {
      let server;
      let browser;
      try {
        const ctx = await serverWithEpisode();
        server = ctx.server;
        const { info, episode } = ctx;
        assert.equal(typeof info[field], 'string',
          `GET /api/v1/items/${episode.id}/playback has no "${field}" path: ${JSON.stringify(info).slice(0, 500)}`);
        const src = new URL(info[field], server.url).href;
        const manifest = await assertFetchableCrossOrigin(src, pages.origin);
        console.log(`${player}: episode ${episode.id} "${episode.title}" (${episode.duration_ms} ms) → ${src}`);
        if (process.env.E2E_VERBOSE) console.log(manifest);

        browser = await launchBrowser();
        cleanups.add(browser.close);
        const durationMs = info.duration_ms ?? episode.duration_ms;
        await playThrough({
          page: browser.page,
          harnessOrigin: pages.origin,
          player,
          src,
          label: `marquee-${player}`,
          expectDurationSec: Number.isFinite(durationMs) ? durationMs / 1000 : null,
        });
      } catch (err) {
        if (server) err.message += `\n--- marquee output (last lines) ---\n${server.output().slice(-3000)}`;
        throw err;
      } finally {
        await browser?.close();
        await server?.stop();
      }
    });
}
