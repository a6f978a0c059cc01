// A big generated catalog and the home page's timing on it, shared by the 10,000-video browser
// test (e2e/tests/catalog.test.mjs) and the benchmark (scripts/bench-home).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './cleanup.mjs';
import { observeLayoutShifts } from './webapp.mjs';

export const SERIES = 360;
export const EPISODES = 25;
export const FILMS = 1000;
export const TOTAL = SERIES * EPISODES + FILMS;

/**
 * Makes TOTAL videos in a temporary folder: 9,000 episodes of 360 series and 1,000 films, all
 * hard links (copies when links fail) to one tiny clip (1 s, 64×36, H.264 + AAC) made by ffmpeg.
 * Returns { root, shows, movies, remove() }; the folder also goes on exit.
 */
export function makeLibrary() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-e2e-10k-'));
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  onCleanup(remove);
  const clip = path.join(root, '.clip.mp4');
  const ff = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc=size=64x36:rate=10:duration=1', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k', '-shortest', clip], { encoding: 'utf8' });
  if (ff.status !== 0) throw new Error(`ffmpeg could not make the clip (is it installed?): ${ff.stderr || ff.error}`);
  const place = (file) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try { fs.linkSync(clip, file); } catch { fs.copyFileSync(clip, file); }
  };
  for (let s = 1; s <= SERIES; s++) {
    const show = path.join(root, 'Shows', `Show ${s} (${1990 + (s % 35)})`, 'Season 01');
    for (let e = 1; e <= EPISODES; e++) place(path.join(show, `Show ${s} - S01E${String(e).padStart(2, '0')} - Episode ${e}.mp4`));
  }
  for (let f = 1; f <= FILMS; f++) {
    const name = `Film ${f} (${1950 + (f % 75)})`;
    place(path.join(root, 'Movies', name, `${name}.mp4`));
  }
  fs.rmSync(clip);
  return { root, shows: path.join(root, 'Shows'), movies: path.join(root, 'Movies'), remove };
}

/**
 * Loads the home page once (signed in already) and measures it: `ready` is the app's
 * `marquee:home-ready` mark (rows filled), `cls` the layout shift summed over the load and 1.5 s
 * after (rows below the fold, images), and whether the arrow keys focus something right away.
 */
export async function measureHome(page, url) {
  await page.goto(`${url}/`, { waitUntil: 'commit' });
  await observeLayoutShifts(page);
  await page.waitForFunction(() => performance.getEntriesByName('marquee:home-ready').length > 0, null, { timeout: 15_000 });
  // Interactive: a poster card takes focus from the keyboard right away.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(1500);
  return page.evaluate(() => ({
    ready: Math.round(performance.getEntriesByName('marquee:home-ready')[0].startTime),
    cls: window.__cls.value,
    shifts: window.__cls.shifts,
    cards: document.querySelectorAll('.rail .card:not(.skeleton)').length,
    focused: document.activeElement && document.activeElement !== document.body ? document.activeElement.tagName : null,
    // The slowest API answers before the page was ready, to see where the time goes.
    slowest: performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/') && e.startTime < performance.getEntriesByName('marquee:home-ready')[0].startTime)
      .sort((a, b) => b.duration - a.duration).slice(0, 3)
      .map((e) => `${new URL(e.name).pathname}${new URL(e.name).search} ${Math.round(e.startTime)}+${Math.round(e.duration)} ms`),
    js: Math.round(performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? 0),
  }));
}

/** The value below which `p` (0–1) of the sorted numbers lie (nearest rank). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
