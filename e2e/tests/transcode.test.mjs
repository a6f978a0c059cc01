// Transcoding in a real browser: Debian's Chromium decodes neither HEVC nor AC-3. The page
// reports what it can decode (MediaSource.isTypeSupported, as the web app does), the playback
// info sends those codecs back as `?caps=`, and the server answers with a master playlist whose
// video and audio are transcoded just in time by ffmpeg (H.264 and AAC, cut on the original's
// segment plan). hls.js must play past 10 s, seek to 70 % (landing within 1 s) and reach the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { marqueeBinary, movieLibrary, startMarquee, Api } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { startStaticServer } from '../lib/static-server.mjs';
import { playThrough, screenshotDir, watchPage } from '../lib/playback.mjs';
import { shoot, signIn, waitForPlayer } from '../lib/webapp.mjs';

const FIXTURE = 'hevc_ac3_20s.mkv';

/** Codec strings a client might report; the web app tries the same list. */
const CANDIDATES = [
  ['video/mp4', 'avc1.640028'],
  ['video/mp4', 'hvc1.1.6.L93.B0'],
  ['video/mp4', 'vp09.00.10.08'],
  ['video/mp4', 'av01.0.04M.08'],
  ['audio/mp4', 'mp4a.40.2'],
  ['audio/mp4', 'ac-3'],
  ['audio/mp4', 'ec-3'],
  ['audio/mp4', 'opus'],
  ['audio/mp4', 'flac'],
];

let bin;
let pages;
let mediaDir;
const cleanups = new Set();

before(async () => {
  bin = marqueeBinary();
  console.log(`screenshots: ${screenshotDir()}`);
  pages = await startStaticServer();
  mediaDir = movieLibrary({ 'Upsilon (2011)': FIXTURE, 'Pictures (2012)': 'image_subs.mkv' });
}, { timeout: 30 * 60_000 });

after(async () => {
  for (const close of cleanups) await close();
  await pages?.close();
  if (mediaDir) fs.rmSync(mediaDir, { recursive: true, force: true });
});

test('hls.js in Chromium plays an HEVC + AC-3 title transcoded just in time, seeks to 70 % and reaches the end',
  { timeout: 300_000 },
  async () => {
    let server;
    let browser;
    try {
      server = await startMarquee(bin, {
        demo: false,
        media: [mediaDir],
        env: { MARQUEE_TRANSCODE_PRESET: 'ultrafast' },
      });
      cleanups.add(server.stop);
      const api = new Api(server.url);
      await api.login('admin', server.password);
      const movie = await api.waitForMovie('Upsilon');

      browser = await launchBrowser();
      cleanups.add(browser.close);
      await browser.page.goto(`${pages.origin}/harness/hls.html`, { waitUntil: 'load' });
      const caps = await browser.page.evaluate((candidates) => candidates
        .filter(([mime, codec]) => MediaSource.isTypeSupported(`${mime}; codecs="${codec}"`))
        .map(([, codec]) => codec), CANDIDATES);
      console.log(`transcode: Chromium decodes ${caps.join(', ')}`);
      assert.ok(caps.includes('avc1.640028') && caps.includes('mp4a.40.2'), `Chromium reports ${caps}`);

      const info = await api.get(`/api/v1/items/${movie.id}/playback?caps=${encodeURIComponent(caps.join(','))}`);
      const video = info.tracks.find((t) => t.kind === 'video');
      const audio = info.tracks.find((t) => t.kind === 'audio');
      for (const [t, codec] of [[video, 'hevc'], [audio, 'ac3']]) {
        if (caps.some((c) => c.startsWith(codec === 'hevc' ? 'hvc1' : 'ac-3'))) continue;
        assert.equal(t.delivery, 'transcode', `${codec} should be transcoded for this Chromium: ${JSON.stringify(t)}`);
      }
      console.log(`transcode: ${video.codec} → ${video.delivery} (${video.reason}); ${audio.codec} → ${audio.delivery} (${audio.reason})`);
      const src = new URL(info.hls, server.url).href;
      await playThrough({
        page: browser.page,
        harnessOrigin: pages.origin,
        player: 'hls',
        src,
        label: 'marquee-transcode-hls',
        expectDurationSec: info.duration_ms / 1000,
        seekFraction: 0.7,
      });
    } catch (err) {
      if (server) err.message += `\n--- marquee output (last lines) ---\n${server.output().slice(-3000)}`;
      throw err;
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });

/** Mean luma (0–255) of a box of the frame the <video> shows, drawn onto a canvas. */
function boxLuma(page, [x, y, w, h]) {
  return page.evaluate(({ x, y, w, h }) => {
    const v = document.querySelector('video');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0);
    const d = g.getImageData(x, y, w, h).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    return sum / (d.length / 4);
  }, { x, y, w, h });
}

/** Pauses the player and shows the frame at `t` seconds. */
function showFrameAt(page, t) {
  return page.evaluate((t) => new Promise((resolve, reject) => {
    const v = document.querySelector('video');
    v.pause();
    const timer = setTimeout(() => reject(new Error(`no frame at ${t} s after 20 s (at ${v.currentTime}, readyState ${v.readyState})`)), 20_000);
    const ready = () => {
      if (v.readyState >= 2 && !v.seeking) { clearTimeout(timer); resolve(v.currentTime); } else setTimeout(ready, 100);
    };
    v.addEventListener('seeked', ready, { once: true });
    v.currentTime = t;
  }), t);
}

test('the web app: picking a picture subtitle plays the video with it drawn in, from the same moment; Off switches back',
  { timeout: 300_000 },
  async () => {
    let server;
    let browser;
    let log = [];
    let page;
    try {
      server = await startMarquee(bin, { demo: false, media: [mediaDir], env: { MARQUEE_TRANSCODE_PRESET: 'ultrafast' } });
      cleanups.add(server.stop);
      const api = new Api(server.url);
      await api.login('admin', server.password);
      const movie = await api.waitForMovie('Pictures');
      browser = await launchBrowser();
      cleanups.add(browser.close);
      page = browser.page;
      log = watchPage(page);
      const segments = [];
      page.on('request', (r) => { if (/\.m4s$/.test(new URL(r.url()).pathname)) segments.push(r.url()); });
      await signIn(page, server);
      await page.goto(`${server.url}/watch/${movie.id}`, { waitUntil: 'load' });
      await waitForPlayer(page, 'the film plays', 60_000, (s) => s.currentTime > 0.3 && s.videoWidth > 0);
      // The cue at the top (4–7.5 s) is not in the plain video: the test pattern shows there.
      const TOP = [120, 40, 400, 80];
      await showFrameAt(page, 5);
      const plain = await boxLuma(page, TOP);
      assert.ok(plain < 200, `the plain video's top box at 5 s is ${plain.toFixed(0)}`);

      // The menu offers the picture subtitles "burnt in"; picking one switches the video.
      await page.click('#menu-btn');
      await page.waitForSelector('#player-menu:not([hidden])');
      const offered = await page.$$eval('.menu-col[data-group=subtitles] [role=radio]', (l) => l.map((b) => b.textContent));
      assert.deepEqual(offered.filter((t) => /burnt in/.test(t)), ['Englishburnt in', 'Frenchburnt in'], `subtitle choices: ${offered}`);
      await shoot(page, 'player-burn-in-menu');
      segments.length = 0;
      await page.click('.menu-col[data-group=subtitles] [role=radio]:has-text("burnt in") >> nth=0');
      await page.keyboard.press('Escape');
      await waitForPlayer(page, 'the burnt-in rendition starts where the plain one was', 90_000,
        (s) => s.videoWidth > 0 && s.readyState >= 2 && s.currentTime >= 4);
      assert.ok(segments.some((u) => /\+s\d+\//.test(u)), `no burnt-in segment was asked for: ${segments.join(' ')}`);
      await showFrameAt(page, 5);
      const burnt = await boxLuma(page, TOP);
      assert.ok(burnt > 225, `the burnt-in top box at 5 s is ${burnt.toFixed(0)} (plain ${plain.toFixed(0)})`);
      await shoot(page, 'player-burn-in');

      // Off: back to the plain video, and the box shows the pattern again.
      segments.length = 0;
      await page.click('#menu-btn');
      await page.waitForSelector('#player-menu:not([hidden])');
      await page.click('.menu-col[data-group=subtitles] [role=radio]:has-text("Off")');
      await page.keyboard.press('Escape');
      await waitForPlayer(page, 'the plain rendition is back', 60_000, (s) => s.videoWidth > 0 && s.readyState >= 2);
      await showFrameAt(page, 5);
      const again = await boxLuma(page, TOP);
      assert.ok(again < 200, `after Off the top box at 5 s is ${again.toFixed(0)}`);
      assert.ok(segments.every((u) => !/\+s\d+\//.test(u)), `burnt-in segments after Off: ${segments.join(' ')}`);
    } catch (err) {
      if (page) err.message += `\npage: ${page.url()}`;
      if (server) err.message += `\nbrowser log:\n  ${log.join('\n  ')}\n--- marquee output (last lines) ---\n${server.output().slice(-3000)}`;
      throw err;
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });
