// Launches Debian's Chromium (/usr/bin/chromium) through playwright-core. Playwright never
// downloads a browser here, and none of its own default switches are used: the browser gets
// exactly the flags below, plus the two Playwright needs to drive it (--remote-debugging-pipe and
// a fresh temporary --user-data-dir, removed on close).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup, killProcessesMentioning } from './cleanup.mjs';

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/** The flags the tests run Chromium with (without the profile and pipe that Playwright needs). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Let <video> start without a click; the harness pages also keep the element muted.
  '--autoplay-policy=no-user-gesture-required',
];

export const VIEWPORT = { width: 1920, height: 1080 };

/**
 * Starts Chromium with a fresh profile. Returns { context, page, close, userDataDir }; close() is
 * idempotent and never throws, so it can run in `finally` and in test.after().
 */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/e2e-setup.sh (installs the Debian chromium package)`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marquee-e2e-chromium-'));
  const forget = () => {
    killProcessesMentioning(`--user-data-dir=${userDataDir}`);
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  };
  const unregister = onCleanup(forget);
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      // Only our flags: Playwright's defaults (--mute-audio, --disable-features=…, …) would make
      // this a different browser from the one users run.
      ignoreDefaultArgs: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-pipe', 'about:blank'],
      viewport: VIEWPORT,
      timeout: 30_000,
    });
  } catch (err) {
    forget();
    unregister();
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.race([
      context.close().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
    // A persistent context does not expose its process: find whatever is left by the profile path.
    forget();
    unregister();
  };
  return { context, page, close, userDataDir };
}
