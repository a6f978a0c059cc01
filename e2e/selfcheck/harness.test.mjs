// Self-check of the harness alone, without Marquee: ffmpeg makes a 30 s H.264/AAC 640x360 clip
// as fMP4 HLS and as DASH, the static server serves it (cross-origin, with CORS) and both players
// must play it through the same scenario as tests/playback.test.mjs. When this passes and the
// real test fails, the problem is in the server, not in the harness.
//   npm run selfcheck      (needs ffmpeg)
import { test, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../lib/browser.mjs';
import { startStaticServer } from '../lib/static-server.mjs';
import { playThrough } from '../lib/playback.mjs';

const media = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-e2e-media-'));
let server;
const cleanups = new Set();

function ffmpeg(args) {
  const res = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=d=30:s=640x360:r=25', '-f', 'lavfi', '-i', 'sine=d=30',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-c:a', 'aac', ...args], { cwd: media, encoding: 'utf8' });
  if (res.error) throw new Error(`could not run ffmpeg: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed:\n${res.stderr}`);
}

before(async () => {
  fs.mkdirSync(path.join(media, 'hls'));
  fs.mkdirSync(path.join(media, 'dash'));
  ffmpeg(['-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_playlist_type', 'vod', '-hls_time', '4',
    '-master_pl_name', 'master.m3u8', 'hls/media.m3u8']);
  ffmpeg(['-f', 'dash', '-seg_duration', '4', 'dash/manifest.mpd']);
  server = await startStaticServer({ mediaDir: media });
}, { timeout: 120_000 });

after(async () => {
  for (const close of cleanups) await close();
  await server?.close();
  fs.rmSync(media, { recursive: true, force: true });
});

for (const [player, file] of [['hls', 'hls/master.m3u8'], ['dash', 'dash/manifest.mpd']]) {
  test(`${player}: the harness plays ffmpeg's ${file}, seeks to 60 % and reaches the end`, { timeout: 180_000 }, async () => {
    const browser = await launchBrowser();
    cleanups.add(browser.close);
    try {
      await playThrough({
        page: browser.page,
        harnessOrigin: server.origin,
        player,
        src: `${server.origin.replace('127.0.0.1', 'localhost')}/media/${file}`,
        label: `selfcheck-${player}`,
        expectDurationSec: 30,
      });
    } finally {
      await browser.close();
    }
  });
}
