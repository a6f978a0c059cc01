// An ahead-of-time ladder in a real browser: an administrator queues a ladder (480p, 360p,
// 240p H.264 and AAC audio) of an HEVC + AC-3 title that Debian's Chromium cannot decode, the
// job runs to its end, and hls.js plays the ladder's master playlist. The test switches hls.js
// to each level in turn (`hls.currentLevel = i`): LEVEL_SWITCHED must fire for each, and
// currentTime must keep advancing after every switch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { marqueeBinary, movieLibrary, startMarquee, Api } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { startStaticServer } from '../lib/static-server.mjs';
import { watchPage } from '../lib/playback.mjs';
import { signIn } from '../lib/webapp.mjs';

const FIXTURE = 'ladder_480p_24s.mkv';

let bin;
let pages;
let mediaDir;
const cleanups = new Set();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  bin = marqueeBinary();
  pages = await startStaticServer();
  mediaDir = movieLibrary({ 'Lambda (2013)': FIXTURE });
}, { timeout: 30 * 60_000 });

after(async () => {
  for (const close of cleanups) await close();
  await pages?.close();
  if (mediaDir) fs.rmSync(mediaDir, { recursive: true, force: true });
});

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting until ${what}`);
    await sleep(200);
  }
}

test('hls.js switches between every level of an ahead-of-time ladder and keeps playing',
  { timeout: 300_000 },
  async () => {
    let server;
    let browser;
    try {
      server = await startMarquee(bin, { demo: false, media: [mediaDir], env: { MARQUEE_TRANSCODE_PRESET: 'ultrafast' } });
      cleanups.add(server.stop);
      const api = new Api(server.url);
      await api.login('admin', server.password);
      const movie = await api.waitForMovie('Lambda');

      const [job] = await api.request('POST', '/api/v1/admin/transcode/jobs', { item_id: movie.id, heights: [480, 360, 240] });
      const done = await waitFor('the ladder job is done', 180_000, async () => {
        const j = await api.get(`/api/v1/admin/transcode/jobs/${job.id}`);
        if (j.status === 'failed' || j.status === 'cancelled') throw new Error(`the job ended ${j.status}: ${JSON.stringify(j)}`);
        return j.status === 'done' ? j : null;
      });
      console.log(`ladder: job ${done.id} done (${done.percent} %)`);

      const info = await api.get(`/api/v1/items/${movie.id}/playback`);
      assert.match(info.hls, /\/l\/x\/master\.m3u8$/, `playback info offers no ladder: ${info.hls}`);
      const src = new URL(info.hls, server.url).href;

      browser = await launchBrowser();
      cleanups.add(browser.close);
      const page = browser.page;
      const log = watchPage(page);
      await page.goto(`${pages.origin}/harness/hls.html?src=${encodeURIComponent(src)}`, { waitUntil: 'load', timeout: 30_000 });
      const snapshot = () => page.evaluate(() => ({
        levels: window.hls ? window.hls.levels.map((l) => l.height) : [],
        switched: window.switchedLevels || null,
        currentTime: document.getElementById('video').currentTime,
        fatal: window.e2e.snapshot().fatalErrors,
      }));
      const levels = await waitFor('hls.js has parsed the master playlist', 30_000, async () => {
        const s = await snapshot();
        if (s.fatal.length) throw new Error(`fatal player error: ${JSON.stringify(s.fatal)}\n${log.join('\n')}`);
        return s.levels.length > 0 ? s.levels : null;
      });
      assert.deepEqual([...levels].sort((a, b) => b - a), [480, 360, 240], `levels: ${levels}`);
      await page.evaluate(() => {
        window.switchedLevels = [];
        window.hls.on(window.Hls.Events.LEVEL_SWITCHED, (_e, data) => window.switchedLevels.push(data.level));
      });
      await waitFor('playback starts', 30_000, async () => (await snapshot()).currentTime > 0.3);

      // Every level once, the one playing now last, so that each switch is a change of level.
      const playing = await page.evaluate(() => window.hls.currentLevel);
      const order = levels.map((_, i) => i).filter((i) => i !== playing);
      if (playing >= 0) order.push(playing);
      assert.equal(order.length, levels.length);
      for (const i of order) {
        const before = await snapshot();
        await page.evaluate((level) => { window.switchedLevels = []; window.hls.currentLevel = level; }, i);
        await waitFor(`LEVEL_SWITCHED fires for level ${i} (${levels[i]}p)`, 20_000, async () => {
          const s = await snapshot();
          if (s.fatal.length) throw new Error(`fatal player error: ${JSON.stringify(s.fatal)}\n${log.join('\n')}`);
          return s.switched.includes(i);
        });
        const switchedAt = (await snapshot()).currentTime;
        await waitFor(`currentTime advances after the switch to level ${i}`, 20_000, async () => {
          const s = await snapshot();
          return s.currentTime > Math.max(switchedAt, before.currentTime) + 0.5;
        });
        // The pictures shown are the new level's.
        const height = await waitFor(`the video is ${levels[i]} lines high after the switch to level ${i}`, 20_000, async () => {
          const h = await page.evaluate(() => document.getElementById('video').videoHeight);
          return h === levels[i] ? h : null;
        });
        console.log(`ladder: level ${i} (${levels[i]}p) switched; playing at ${(await snapshot()).currentTime.toFixed(2)} s, video ${height} lines`);
      }
    } catch (err) {
      if (server) err.message += `\n--- marquee output (last lines) ---\n${server.output().slice(-3000)}`;
      throw err;
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });

test('the admin page queues a ladder, shows its progress and cancels a running job',
  { timeout: 300_000 },
  async () => {
    let server;
    let browser;
    try {
      server = await startMarquee(bin, { demo: false, media: [mediaDir], env: { MARQUEE_TRANSCODE_PRESET: 'ultrafast' } });
      cleanups.add(server.stop);
      const api = new Api(server.url);
      await api.login('admin', server.password);
      const movie = await api.waitForMovie('Lambda');
      browser = await launchBrowser();
      cleanups.add(browser.close);
      const page = browser.page;
      const log = watchPage(page);
      await signIn(page, server);
      // From the admin page's link, with the title filled in as a title's "Queue ladder" link does.
      await page.goto(`${server.url}/admin`, { waitUntil: 'load' });
      await page.click('a[href="/admin/transcode"]');
      await page.waitForSelector('#ladder-item', { timeout: 15_000 });
      await page.goto(`${server.url}/admin/transcode?item=${movie.id}`, { waitUntil: 'load' });
      await page.waitForSelector('#ladder-item', { timeout: 15_000 });
      assert.equal(await page.inputValue('#ladder-item'), String(movie.id));
      await page.fill('#ladder-heights', '240');
      await page.click('form button[type=submit]');
      // The row follows the job live until it is done.
      const row = page.locator('tr[data-job]');
      await row.filter({ hasText: 'done' }).waitFor({ timeout: 120_000 });
      assert.match(await row.first().innerText(), /Lambda[\s\S]*done[\s\S]*100 %/);

      // A second ladder, held still while running (SIGSTOP) so that the cancel finds it running.
      await page.fill('#ladder-heights', '480, 360');
      await page.click('form button[type=submit]');
      const running = await waitFor('the second job runs ffmpeg', 60_000, async () => {
        const jobs = await api.get('/api/v1/admin/transcode/jobs');
        return jobs.find((j) => j.status === 'running' && j.live && j.live.ffmpeg_pid);
      });
      process.kill(running.live.ffmpeg_pid, 'SIGSTOP');
      const runningRow = page.locator(`tr[data-job="${running.id}"]`);
      // The page may first show the job running before its live progress arrives (the next
      // poll brings it). 24 s of video: a 2 s first segment, then 6 s ones.
      await runningRow.filter({ hasText: 'running' }).filter({ hasText: /segment \d+\/5/ }).waitFor({ timeout: 15_000 });
      await runningRow.getByRole('button', { name: `Cancel job ${running.id}` }).click();
      await runningRow.filter({ hasText: 'cancelled' }).waitFor({ timeout: 15_000 });
      const job = await api.get(`/api/v1/admin/transcode/jobs/${running.id}`);
      assert.equal(job.status, 'cancelled');
      assert.deepEqual(log.filter((l) => l.startsWith('page error')), []);
    } catch (err) {
      if (server) err.message += `\n--- marquee output (last lines) ---\n${server.output().slice(-3000)}`;
      throw err;
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });
