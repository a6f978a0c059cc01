// The playback scenario both players go through, and the diagnostics a failure reports.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from './marquee.mjs';

/** Where screenshots go: $E2E_SCREENSHOTS, else <target dir>/e2e-screenshots. */
export function screenshotDir() {
  const dir = process.env.E2E_SCREENSHOTS
    ? path.resolve(process.env.E2E_SCREENSHOTS)
    : path.join(path.resolve(REPO_DIR, process.env.CARGO_TARGET_DIR || 'target'), 'e2e-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The two screens every test is seen on: a 1080p TV or laptop and a phone. */
export const SCREEN_SIZES = [[1920, 1080], [390, 844]];

/**
 * Saves `<base>-1920x1080.png` and `<base>-390x844.png` into screenshotDir() (the viewport is
 * resized for each, then set back to 1920×1080); returns the files.
 */
export async function screenshotSizes(page, base) {
  const files = [];
  for (const [width, height] of SCREEN_SIZES) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(150); // let layout and transitions settle
    const file = path.join(screenshotDir(), `${base}-${width}x${height}.png`);
    await page.screenshot({ path: file, timeout: 15_000 });
    files.push(file);
  }
  await page.setViewportSize({ width: 1920, height: 1080 });
  return files;
}

/** Records what the page logs and which requests fail, for the failure message. */
export function watchPage(page) {
  const log = [];
  const push = (line) => {
    if (log.length < 200) log.push(line);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`));
  page.on('response', (res) => {
    if (res.status() >= 400) push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return log;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens harness/<player>.html?src=<src> and checks, with deadlines well inside the test's own
 * timeout: no fatal error; currentTime passes `playPastSec`; a seek to `seekFraction` (60 %) of the duration lands
 * within 1 s of its target and playback goes on from there; `ended` fires.
 * `expectDurationSec`, when given, must match the element's duration within 1.5 s.
 */
export async function playThrough({ page, harnessOrigin, player, src, label, expectDurationSec = null, playPastSec = 10, seekFraction = 0.6 }) {
  const shots = screenshotDir();
  const log = watchPage(page);
  const snapshot = () => page.evaluate(() => window.e2e && window.e2e.snapshot()).catch((e) => ({ evaluateFailed: String(e) }));
  const shoot = async (name) => {
    const files = await screenshotSizes(page, `${label}-${name}`).catch(() => []);
    return files.join(', ');
  };
  const fail = async (what, snap) => {
    const file = await shoot('failure');
    assert.fail(
      `${label}: ${what}\n` +
        `source: ${src}\n` +
        `player state: ${JSON.stringify(snap ?? (await snapshot()), null, 2)}\n` +
        `browser log:\n  ${log.join('\n  ') || '(nothing)'}\n` +
        `screenshot: ${file}`,
    );
  };
  // Polls `check(snapshot)` every 250 ms until it returns true; fails on a fatal error or timeout.
  const waitFor = async (what, timeoutMs, check) => {
    const deadline = Date.now() + timeoutMs;
    let snap;
    for (;;) {
      snap = await snapshot();
      if (snap && snap.fatalErrors && snap.fatalErrors.length > 0) {
        await fail(`fatal player error while waiting until ${what}`, snap);
      }
      if (snap && !snap.evaluateFailed && check(snap)) return snap;
      if (Date.now() > deadline) {
        let hint = '';
        if (snap && !snap.ended && snap.paused && snap.currentTime >= snap.duration - 0.5) {
          hint = ' (the player paused at the end without `ended`: the MediaSource was not ended — see ' +
            'endOfStream (calls of MediaSource.endOfStream()) and pauseCalls below)';
        }
        await fail(`timed out after ${timeoutMs / 1000} s waiting until ${what}${hint}`, snap);
      }
      await sleep(250);
    }
  };

  const url = `${harnessOrigin}/harness/${player}.html?src=${encodeURIComponent(src)}`;
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  const ready = await waitFor('the page has set up its player', 10_000, (s) => s.player !== null);
  console.log(`${label}: ${ready.player} playing ${src}`);

  // 1. Plays: currentTime passes `playPastSec` (realtime playback, so allow a generous margin).
  const playing = await waitFor(`currentTime passes ${playPastSec} s`, 60_000, (s) => s.currentTime > playPastSec);
  await shoot('playing');
  const duration = playing.duration;
  if (!(Number.isFinite(duration) && duration > playPastSec)) {
    await fail(`the element's duration is ${duration}; expected a finite duration above ${playPastSec} s`, playing);
  }
  if (expectDurationSec !== null && Math.abs(duration - expectDurationSec) > 1.5) {
    await fail(`the element's duration ${duration} s differs from duration_ms (${expectDurationSec} s) by more than 1.5 s`, playing);
  }
  if (!(playing.videoWidth > 0 && playing.videoHeight > 0)) {
    await fail(`no decoded video (videoWidth x videoHeight = ${playing.videoWidth} x ${playing.videoHeight})`, playing);
  }

  // 2. Seeks to `seekFraction` of the duration: lands within 1 s of the target, then keeps playing from there.
  const target = Math.round(duration * seekFraction * 1000) / 1000;
  await page.evaluate((t) => window.e2e.seek(t), target);
  const landed = await waitFor(`the seek to ${target} s lands (|currentTime - target| < 1 s, seeked fired)`, 10_000, (s) => {
    const seek = s.seeks[s.seeks.length - 1];
    return !s.seeking && seek && seek.landedAt !== null && Math.abs(s.currentTime - target) < 1;
  });
  const seekedAt = landed.seeks[landed.seeks.length - 1].landedAt;
  if (Math.abs(seekedAt - target) >= 1) await fail(`the seek to ${target} s landed at ${seekedAt} s`, landed);
  await waitFor(`playback continues after the seek (currentTime > ${(landed.currentTime + 1).toFixed(2)} s)`, 15_000,
    (s) => s.ended || (!s.paused && s.currentTime > landed.currentTime + 1));
  await shoot('after-seek');

  // 3. Plays to the end: `ended` fires.
  const remaining = Math.max(0, duration - landed.currentTime);
  const end = await waitFor('the ended event fires', remaining * 1000 + 30_000, (s) => s.ended);
  await shoot('ended');
  console.log(
    `${label}: passed ${playPastSec} s, seek to ${target} s landed at ${seekedAt} s, ended at ${end.currentTime} s ` +
      `(duration ${duration} s); screenshots: ${shots}/${label}-*.png`,
  );
  if (end.otherErrors.length > 0 || log.length > 0) {
    console.log(`${label}: passed with warnings: non-fatal player errors ${JSON.stringify(end.otherErrors)}; ` +
      `browser log: ${JSON.stringify(log)}`);
  }
  return { duration, target, seekedAt, end };
}
