// Subtitles in a real browser: the demo film "Harbor Lights" has a sidecar SRT next to it. The
// server converts it to WebVTT and offers it as an HLS subtitle rendition and a DASH text
// adaptation set; hls.js and dash.js must each load it when asked and show its first cue at the
// SRT's times, on the same clock as the video.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { marqueeBinary, startMarquee, Api, REPO_DIR } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { startStaticServer } from '../lib/static-server.mjs';
import { watchPage, screenshotDir, screenshotSizes } from '../lib/playback.mjs';

const SRT = path.join(REPO_DIR, 'demo/library/Movies/Harbor Lights (2023)/Harbor Lights (2023).en.srt');

let bin;
let pages;
const cleanups = new Set();

before(async () => {
  bin = marqueeBinary();
  console.log(`screenshots: ${screenshotDir()}`);
  pages = await startStaticServer();
}, { timeout: 30 * 60_000 });

after(async () => {
  for (const close of cleanups) await close();
  await pages?.close();
});

/** The first cue of the sidecar SRT: { start, end, text } in seconds. */
function firstSrtCue() {
  const block = fs.readFileSync(SRT, 'utf8').split(/\r?\n\r?\n/)[0].split(/\r?\n/);
  const secs = (t) => {
    const [h, m, rest] = t.trim().split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest.replace(',', '.'));
  };
  const [a, b] = block[1].split('-->');
  return { start: secs(a), end: secs(b), text: block.slice(2).join('\n') };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const player of ['hls', 'dash']) {
  test(`${player}: the sidecar SRT of a demo film shows as WebVTT cues on the video's clock`, { timeout: 180_000 }, async () => {
    let server;
    let browser;
    try {
      server = await startMarquee(bin);
      cleanups.add(server.stop);
      const api = new Api(server.url);
      await api.login('admin', server.password);
      const movie = await api.movie('Harbor Lights');
      const info = await api.playback(movie.id);
      const sub = (info.subtitles || []).find((s) => s.language === 'en' && s.url);
      assert.ok(sub, `playback info offers no English WebVTT subtitles: ${JSON.stringify(info.subtitles)}`);
      assert.equal(sub.source, 'sidecar');

      browser = await launchBrowser();
      cleanups.add(browser.close);
      const page = browser.page;
      const log = watchPage(page);
      const src = new URL(info[player], server.url).href;
      await page.goto(`${pages.origin}/harness/${player}.html?src=${encodeURIComponent(src)}`, { waitUntil: 'load', timeout: 30_000 });
      // Ask the player for the subtitle rendition once it knows the tracks, then wait for cues.
      const want = firstSrtCue();
      const deadline = Date.now() + 60_000;
      let tracks = [];
      for (;;) {
        tracks = await page.evaluate((kind) => {
          if (kind === 'hls' && window.hls && window.hls.subtitleTracks.length > 0 && window.hls.subtitleTrack < 0) {
            window.hls.subtitleDisplay = true;
            window.hls.subtitleTrack = window.hls.subtitleTracks.findIndex((t) => t.lang === 'en');
          }
          if (kind === 'dash' && window.dashPlayer && window.dashPlayer.isReady && window.dashPlayer.isReady()) {
            const list = window.dashPlayer.getTracksFor('text');
            const en = list.findIndex((t) => t.lang === 'en');
            if (en >= 0 && window.dashPlayer.getCurrentTextTrackIndex() !== en) {
              window.dashPlayer.enableText(true);
              window.dashPlayer.setTextTrack(en);
            }
          }
          return window.e2e.textTracks();
        }, player);
        const withCues = tracks.find((t) => t.cues && t.cues.length > 0);
        if (withCues) {
          const cue = withCues.cues[0];
          await screenshotSizes(page, `subtitles-${player}`);
          assert.ok(Math.abs(cue.start - want.start) < 0.1 && Math.abs(cue.end - want.end) < 0.1,
            `${player}: first cue at ${cue.start}–${cue.end} s, the SRT says ${want.start}–${want.end} s`);
          assert.equal(cue.text.replace(/<[^>]+>/g, ''), want.text);
          break;
        }
        if (Date.now() > deadline) {
          const state = await page.evaluate(() => window.e2e.snapshot()).catch((e) => String(e));
          assert.fail(`${player}: no subtitle cues after 60 s.\ntext tracks: ${JSON.stringify(tracks)}\n` +
            `player: ${JSON.stringify(state).slice(0, 2000)}\nbrowser log:\n  ${log.join('\n  ')}`);
        }
        await sleep(500);
      }
    } catch (err) {
      if (server) err.message += `\n--- marquee output (last lines) ---\n${server.output().slice(-2000)}`;
      throw err;
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });
}
