// The web app in a real browser: sign in with the form (a cookie session), see this device in
// the account page's list, and sign out everywhere — after which the API refuses the old cookie;
// and "who's watching?": a kids profile does not see the R-rated demo film, and leaving it needs
// its PIN. Screenshots at 1920×1080 and 390×844 go to the folder the run prints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { marqueeBinary, startMarquee } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { screenshotDir, watchPage } from '../lib/playback.mjs';

let bin;
const cleanups = new Set();
before(() => {
  bin = marqueeBinary();
  console.log(`screenshots: ${screenshotDir()}`);
}, { timeout: 30 * 60_000 });
after(async () => {
  for (const close of cleanups) await close();
});

async function shoot(page, name) {
  for (const [w, h] of [[1920, 1080], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(screenshotDir(), `webapp-${name}-${w}x${h}.png`) });
  }
  await page.setViewportSize({ width: 1920, height: 1080 });
}

test('web app: sign in with a cookie session, list devices, sign out everywhere', { timeout: 120_000 }, async () => {
  const server = await startMarquee(bin);
  cleanups.add(server.stop);
  const browser = await launchBrowser();
  cleanups.add(browser.close);
  const page = browser.page;
  const log = watchPage(page);
  try {
    await page.goto(`${server.url}/login`, { waitUntil: 'load' });
    await page.fill('#login-user', 'admin');
    await page.fill('#login-pass', server.password);
    await shoot(page, 'sign-in');
    await page.press('#login-pass', 'Enter');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 });

    // The session is an HttpOnly cookie: the page sees only the CSRF cookie, and no token is stored.
    const cookie = await page.evaluate(() => document.cookie);
    assert.match(cookie, /marquee_csrf=[0-9a-f]{32}/);
    assert.doesNotMatch(cookie, /marquee_session/);
    const stored = await page.evaluate(() => JSON.stringify(localStorage));
    assert.doesNotMatch(stored, /[0-9a-f]{64}/, `a token in localStorage: ${stored}`);

    await page.goto(`${server.url}/account`, { waitUntil: 'load' });
    await page.waitForSelector('#devices li', { timeout: 15_000 });
    const devices = await page.$$eval('#devices li', (l) => l.map((x) => x.textContent));
    assert.equal(devices.length, 1, JSON.stringify(devices));
    assert.match(devices[0], /Chrome on Linux/);
    assert.match(devices[0], /This device/);
    await shoot(page, 'account');

    await page.click('#sign-out-everywhere');
    await page.waitForURL((u) => u.pathname.startsWith('/login'), { timeout: 15_000 });
    const status = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.status));
    assert.equal(status, 401, 'the old cookie still works after signing out everywhere');
  } catch (err) {
    err.message += `\nbrowser log:\n  ${log.join('\n  ')}\n--- marquee output ---\n${server.output().slice(-2000)}`;
    throw err;
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('web app: who is watching — a kids profile hides the R-rated film; leaving it needs the PIN', { timeout: 120_000 }, async () => {
  const server = await startMarquee(bin);
  cleanups.add(server.stop);
  const browser = await launchBrowser();
  cleanups.add(browser.close);
  const page = browser.page;
  const log = watchPage(page);
  try {
    await page.goto(`${server.url}/login`, { waitUntil: 'load' });
    await page.fill('#login-user', 'admin');
    await page.fill('#login-pass', server.password);
    await page.press('#login-pass', 'Enter');
    await page.waitForURL((u) => !u.pathname.startsWith('/login') && !u.pathname.startsWith('/profiles'), { timeout: 15_000 });

    // Two profiles, made through the API from the page (cookie session + CSRF header).
    const made = await page.evaluate(async () => {
      const csrf = document.cookie.match(/marquee_csrf=([^;]*)/)[1];
      const post = (body) => fetch('/api/v1/me/profiles', {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body),
      }).then((r) => r.status);
      return [await post({ name: 'Kids', kids: true, pin: '2468' }), await post({ name: 'Grown-up' })];
    });
    assert.deepEqual(made, [201, 201]);
    const movieTitles = () => page.evaluate(() => fetch('/api/v1/movies').then((r) => r.json()).then((j) => j.items.map((m) => m.title)));

    await page.goto(`${server.url}/profiles`, { waitUntil: 'load' });
    await page.waitForSelector('#profile-grid button', { timeout: 15_000 });
    await shoot(page, 'profiles');
    await page.click('button:has-text("Kids")');
    await page.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
    assert.ok(!(await movieTitles()).includes('Harbor Lights'), 'the kids profile lists the R-rated film');
    await page.waitForTimeout(1000);
    assert.ok(!(await page.textContent('body')).includes('Harbor Lights'), 'the kids home page shows the R-rated film');
    await shoot(page, 'kids-home');

    // Leaving the kids profile asks for its PIN; a wrong one is refused.
    await page.goto(`${server.url}/profiles`, { waitUntil: 'load' });
    await page.waitForSelector('#profile-grid button', { timeout: 15_000 });
    await page.click('button:has-text("Grown-up")');
    await page.waitForSelector('#pin-form:not([hidden])', { timeout: 10_000 });
    await page.fill('#pin', '1111');
    await page.press('#pin', 'Enter');
    await page.waitForSelector('.form-msg.form-error', { timeout: 10_000 });
    await page.fill('#pin', '2468');
    await page.press('#pin', 'Enter');
    await page.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
    assert.ok((await movieTitles()).includes('Harbor Lights'));
  } catch (err) {
    err.message += `\nbrowser log:\n  ${log.join('\n  ')}\n--- marquee output ---\n${server.output().slice(-2000)}`;
    throw err;
  } finally {
    await browser.close();
    await server.stop();
  }
});
