// The web app in a real browser against one real `marquee serve --demo` (shared by the tests of
// this file, which run in order): signing in with the form (a cookie session), devices and
// signing out everywhere; "who's watching?" with a kids profile that sees no mature title anywhere
// and needs its PIN to leave; the player — an episode plays, seeks, switches audio track and
// subtitles, and the next episode starts after the countdown; keyboard-only use; contrast.
// Screenshots at 1920×1080 and 390×844 go to the folder the run prints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Api, marqueeBinary, startMarquee } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { screenshotDir, watchPage } from '../lib/playback.mjs';
import { contrastFailures, focusVisible, pageFetch, shoot, signIn, unnamedControls, waitForPlayer } from '../lib/webapp.mjs';

let server;
let browser;
let page;
let log;
before(async () => {
  const bin = marqueeBinary();
  console.log(`screenshots: ${screenshotDir()}`);
  server = await startMarquee(bin);
  browser = await launchBrowser();
  page = browser.page;
  log = watchPage(page);
}, { timeout: 30 * 60_000 });
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs a test body; a failure carries the browser's log and the end of the server's output. */
async function withDiagnostics(fn) {
  log.length = 0;
  try {
    await fn();
  } catch (err) {
    err.message += `\nbrowser log:\n  ${log.join('\n  ')}\n--- marquee output ---\n${server.output().slice(-2000)}`;
    throw err;
  }
}

/** Picks a profile on "Who's watching?" (with its PIN when it has one). */
async function pickProfile(name, pin) {
  if (!page.url().includes('/profiles')) await page.goto(`${server.url}/profiles`, { waitUntil: 'load' });
  await page.waitForSelector('#profile-grid button', { timeout: 15_000 });
  await page.click(`#profile-grid button:has-text("${name}")`);
  if (pin) {
    await page.waitForSelector('#pin-form:not([hidden])', { timeout: 10_000 });
    await page.fill('#pin', pin);
    await page.press('#pin', 'Enter');
  }
  await page.waitForURL((u) => !u.pathname.startsWith('/profiles'), { timeout: 15_000 });
}

/** Signs in afresh; picks the grown-up profile when "Who's watching?" asks. */
async function freshSession() {
  await signIn(page, server);
  // The picker passes straight through when the account has no profiles.
  await page.waitForFunction(() => location.pathname !== '/profiles' || document.querySelector('#profile-grid button'), null, { timeout: 15_000 });
  if (new URL(page.url()).pathname === '/profiles') await pickProfile('Grown-up');
}

test('sign in with a cookie session, list devices, sign out everywhere', { timeout: 120_000 }, () => withDiagnostics(async () => {
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
}));

test('who is watching: a kids profile sees no mature title anywhere; leaving it needs the PIN', { timeout: 120_000 }, () => withDiagnostics(async () => {
  await signIn(page, server);
  const made = [
    await pageFetch(page, 'POST', '/api/v1/me/profiles', { name: 'Kids', kids: true, pin: '2468' }),
    await pageFetch(page, 'POST', '/api/v1/me/profiles', { name: 'Grown-up' }),
  ].map((r) => r.status);
  assert.deepEqual(made, [201, 201]);
  // What the account sees, to look for afterwards.
  const movies = (await pageFetch(page, 'GET', '/api/v1/movies')).json.items;
  const mature = movies.find((m) => m.title === 'Harbor Lights');
  const series = (await pageFetch(page, 'GET', '/api/v1/series')).json.items[0];
  const matureDetail = (await pageFetch(page, 'GET', `/api/v1/movies/${mature.id}`)).json;
  const director = matureDetail.credits.find((c) => c.role === 'director');
  assert.ok(mature && series && director);

  await page.goto(`${server.url}/profiles`, { waitUntil: 'load' });
  await page.waitForSelector('#profile-grid button', { timeout: 15_000 });
  await shoot(page, 'profiles');
  await pickProfile('Kids');
  assert.equal(new URL(page.url()).pathname, '/');

  // Nowhere: home, both browse pages, search, the person page, the title's own address, the player.
  const hidden = [mature.title, series.title];
  const bodyText = () => page.evaluate(() => document.body.innerText);
  const mustNotShow = async (where) => {
    const text = await bodyText();
    for (const t of hidden) assert.ok(!text.includes(t), `the kids profile sees "${t}" on ${where}`);
  };
  await page.waitForSelector('.rail .card', { timeout: 15_000 });
  await page.waitForTimeout(500);
  await mustNotShow('the home page');
  await shoot(page, 'kids-home');
  for (const p of ['/movies', '/series']) {
    await page.goto(`${server.url}${p}`, { waitUntil: 'load' });
    await page.waitForSelector('.grid .card, .grid .notice', { timeout: 15_000 });
    await mustNotShow(p);
  }
  for (const q of ['Harbor', 'Defiant', 'Brennan']) {
    await page.goto(`${server.url}/search?q=${q}`, { waitUntil: 'load' });
    await page.waitForFunction(() => /result|Nothing found/.test(document.querySelector('#search-status')?.textContent ?? ''), null, { timeout: 15_000 });
    await mustNotShow(`/search?q=${q}`);
  }
  await page.goto(`${server.url}/people/${director.person_id}`, { waitUntil: 'load' });
  await page.waitForSelector('.person-page, .notice', { timeout: 15_000 });
  await mustNotShow('the director\'s page');
  for (const p of [`/movies/${mature.id}`, `/series/${series.id}`, `/watch/${mature.id}`]) {
    await page.goto(`${server.url}${p}`, { waitUntil: 'load' });
    await page.waitForSelector('.notice, .watch-message:not([hidden])', { timeout: 15_000 });
    await mustNotShow(p);
  }

  // Leaving the kids profile asks for its PIN; a wrong one is refused.
  await page.goto(`${server.url}/profiles`, { waitUntil: 'load' });
  await page.waitForSelector('#profile-grid button', { timeout: 15_000 });
  await page.click('#profile-grid button:has-text("Grown-up")');
  await page.waitForSelector('#pin-form:not([hidden])', { timeout: 10_000 });
  await page.fill('#pin', '1111');
  await page.press('#pin', 'Enter');
  await page.waitForSelector('.form-msg.form-error', { timeout: 10_000 });
  await shoot(page, 'pin');
  await page.fill('#pin', '2468');
  await page.press('#pin', 'Enter');
  await page.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
  const titles = (await pageFetch(page, 'GET', '/api/v1/movies')).json.items.map((m) => m.title);
  assert.ok(titles.includes('Harbor Lights'));
}));

test('search as you type: a name with a typo finds the person, whose page lists their titles', { timeout: 90_000 }, () => withDiagnostics(async () => {
  await freshSession();
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  await page.click('.top a[href="/search"]');
  await page.waitForSelector('#search-q', { timeout: 10_000 });
  // Typed key by key, as a person would; "Iovene" is one letter off "Iovine".
  await page.keyboard.type('jimmy iovene', { delay: 60 });
  await page.waitForFunction(() => /results? for “jimmy iovene”/.test(document.querySelector('#search-status')?.textContent ?? ''), null, { timeout: 15_000 });
  const chip = page.locator('.people-results .person-chip', { hasText: 'Jimmy Iovine' });
  assert.equal(await chip.count(), 1, `people found: ${await page.textContent('.search-results')}`);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'jimmy iovene', 'the address keeps the query');
  await shoot(page, 'search-typo');
  await chip.click();
  await page.waitForURL((u) => /^\/people\/\d+$/.test(u.pathname), { timeout: 10_000 });
  await page.waitForSelector('.person-page h1', { timeout: 15_000 });
  assert.equal(await page.textContent('.person-page h1'), 'Jimmy Iovine');
  assert.match(await page.textContent('.person-page .credit-list'), /The Defiant Ones/);
  await shoot(page, 'person');
}));

test('watch: play an episode, skip its intro, seek, switch audio and subtitles, and the next episode starts after the countdown', { timeout: 180_000 }, () => withDiagnostics(async () => {
  await signIn(page, server);
  await pickProfile('Grown-up');

  // The demo series from the home page, by its card.
  await page.waitForSelector('.rail .card[aria-label*="The Defiant Ones"]', { timeout: 15_000 });
  await shoot(page, 'home');
  await page.click('.rail .card[aria-label*="The Defiant Ones"]');
  await page.waitForSelector('.episode', { timeout: 15_000 });
  await shoot(page, 'series');
  const episodes = await page.$$eval('a.episode', (l) => l.map((a) => a.getAttribute('href')));
  assert.ok(episodes.length >= 2, `episodes: ${episodes}`);
  await page.click('a.episode >> nth=0');
  await page.waitForURL((u) => u.pathname === episodes[0], { timeout: 10_000 });

  // The sidecar marks an intro from 1 to 6 s: "Skip intro" shows while it runs and jumps past it.
  await page.waitForSelector('#skip-intro:not([hidden])', { timeout: 30_000 });
  await shoot(page, 'player-skip-intro');
  await page.click('#skip-intro');
  await waitForPlayer(page, '"Skip intro" jumps to 6 s', 10_000, (s) => s.currentTime >= 5.9);
  assert.equal(await page.isHidden('#skip-intro'), true, 'the button stays after the intro');

  // Plays past 5 s.
  const playing = await waitForPlayer(page, 'currentTime passes 5 s', 60_000, (s) => s.currentTime > 5 && s.videoWidth > 0);
  assert.ok(playing.duration > 20, `duration ${playing.duration}`);
  await page.mouse.move(900, 500);
  await shoot(page, 'player');

  // Seeks with the keyboard (→ is +10 s) and with the position slider.
  const before = playing.currentTime;
  await page.focus('#seek'); // on the control bar → moves between buttons; on the slider it seeks
  await page.keyboard.press('ArrowRight');
  await waitForPlayer(page, 'the → key seeks 10 s ahead', 10_000, (s) => s.currentTime >= before + 9);
  await page.$eval('#seek', (el) => { el.value = '8'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await waitForPlayer(page, 'the slider seeks back to 8 s', 10_000, (s) => s.currentTime >= 8 && s.currentTime < 11);

  // The audio menu lists both tracks; picking the Spanish one loads its playlist and playback goes on.
  const audioRequests = [];
  const onRequest = (r) => { if (/\/playlist\.m3u8|\.m4s|\.mp4/.test(r.url())) audioRequests.push(r.url()); };
  page.on('request', onRequest);
  await page.click('#menu-btn');
  await page.waitForSelector('#player-menu:not([hidden])');
  const audio = await page.$$eval('.menu-col[data-group=audio] [role=radio]', (l) => l.map((b) => b.textContent));
  assert.equal(audio.length, 2, `audio choices: ${audio}`);
  const subtitleChoices = await page.$$eval('.menu-col[data-group=subtitles] [role=radio]', (l) => l.map((b) => b.textContent));
  assert.ok(subtitleChoices.length >= 3, `subtitle choices: ${subtitleChoices}`);
  await shoot(page, 'player-menu');
  const beforeSwitch = audioRequests.length;
  await page.click('.menu-col[data-group=audio] [role=radio] >> nth=1');
  const afterAudio = await waitForPlayer(page, 'the second audio track is checked and plays', 20_000,
    (s) => s.checked.audio === audio[1] && !s.paused);
  const switched = audioRequests.slice(beforeSwitch);
  assert.ok(switched.some((u) => /playlist\.m3u8/.test(u)), `no audio playlist was requested after the switch: ${JSON.stringify(switched)}`);
  await waitForPlayer(page, 'playback goes on after the audio switch', 15_000, (s) => s.currentTime > afterAudio.currentTime + 1);
  page.off('request', onRequest);

  // English subtitles: the cue at 5–8.5 s is drawn over the video.
  await page.click('.menu-col[data-group=subtitles] [role=radio]:has-text("English")');
  await page.keyboard.press('Escape'); // closes the menu
  await page.waitForSelector('#player-menu', { state: 'hidden' });
  await page.$eval('#seek', (el) => { el.value = '5'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const cued = await waitForPlayer(page, 'an English cue is shown', 15_000, (s) => s.cues.some((c) => /Two kids/.test(c)));
  assert.equal(cued.textTracks.find((t) => t.language === 'en')?.mode, 'hidden');
  await shoot(page, 'player-subtitles');

  // Pause, reload: the player offers to resume where it stopped, and does.
  const progressSaved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me/progress') && r.status() === 200, { timeout: 10_000 });
  await page.$eval('#seek', (el) => { el.value = '12'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await waitForPlayer(page, 'the seek to 12 s lands', 10_000, (s) => s.currentTime >= 12 && s.currentTime < 14);
  await page.click('#play');
  const paused = await waitForPlayer(page, 'the Pause button pauses', 5_000, (s) => s.paused);
  await progressSaved;
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('#resume:not([hidden])', { timeout: 15_000 });
  const offer = await page.textContent('#resume-play');
  assert.match(offer, new RegExp(`Resume from 0:${String(Math.floor(paused.currentTime)).padStart(2, '0')}`), offer);
  await shoot(page, 'player-resume');
  await page.click('#resume-play');
  const resumed = await waitForPlayer(page, 'playback resumes where it stopped', 30_000, (s) => !s.paused && s.currentTime > paused.currentTime);
  assert.ok(resumed.currentTime < paused.currentTime + 5, `resumed at ${resumed.currentTime} s, stopped at ${paused.currentTime} s`);

  // To the end: the countdown card, then the next episode plays by itself.
  await page.evaluate(() => { const v = document.querySelector('video'); v.currentTime = v.duration - 1.5; });
  await page.waitForSelector('#up-next:not([hidden])', { timeout: 20_000 });
  const counting = await page.textContent('#up-next');
  assert.match(counting, /Part Two/);
  assert.match(counting, /Starts in \d+ s/);
  await shoot(page, 'up-next');
  await page.waitForURL((u) => u.pathname === episodes[1], { timeout: 20_000 });
  const nextPlaying = await waitForPlayer(page, 'the next episode plays', 30_000, (s) => s.currentTime > 1);
  assert.equal(nextPlaying.path, episodes[1]);
  assert.ok(log.every((l) => !/page error/.test(l)), log.join('\n'));

  // Home now starts with "Continue watching": Part Two, just started.
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  const cw = await page.waitForSelector('#rail-continue .card', { timeout: 15_000 });
  assert.match(await cw.getAttribute('aria-label'), /The Defiant Ones.*Part Two/);
  await shoot(page, 'home-continue');
}));

test('scrub thumbnails: hovering the progress bar shows that moment from the sprite sheet', { timeout: 150_000 }, () => withDiagnostics(async () => {
  await freshSession();
  const series = (await pageFetch(page, 'GET', '/api/v1/series')).json.items[0];
  const episode = (await pageFetch(page, 'GET', `/api/v1/series/${series.id}`)).json.seasons[0].episodes[2];
  // The sprites are made in the background after the scan: wait until the playback info has them.
  let track = null;
  for (const deadline = Date.now() + 90_000; !track; await page.waitForTimeout(1000)) {
    track = (await pageFetch(page, 'GET', `/api/v1/items/${episode.id}/playback`)).json?.thumbnails ?? null;
    if (!track && Date.now() > deadline) throw new Error('no scrub thumbnails in the playback info after 90 s');
  }
  const vtt = await page.evaluate((u) => fetch(u).then((r) => r.text()), track);
  const cues = vtt.split(/\n\n+/).map((block) => {
    const m = /(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)/.exec(block);
    if (!m) return null;
    const secs = (t) => t.split(':').reduce((a, x) => a * 60 + Number(x), 0);
    return { start: secs(m[1]), end: secs(m[2]), sheet: m[3], xywh: m.slice(4).map(Number) };
  }).filter(Boolean);
  assert.ok(cues.length >= 4, `thumbnail cues: ${vtt.slice(0, 300)}`);

  await page.goto(`${server.url}/watch/${episode.id}`, { waitUntil: 'load' });
  if (await page.isVisible('#resume-play')) await page.click('#resume-play');
  const playing = await waitForPlayer(page, 'the episode plays', 60_000, (s) => s.currentTime > 1 && s.duration > 0);
  // Aim at the middle of the cue that holds 60 % of the way, away from its edges.
  const cue = cues.find((c) => c.start <= playing.duration * 0.6 && playing.duration * 0.6 < c.end);
  const fraction = (cue.start + cue.end) / 2 / playing.duration;
  const box = await page.locator('#seek').boundingBox();
  const sheetLoaded = page.waitForResponse((r) => r.url().includes(`/${cue.sheet}`), { timeout: 15_000 });
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2, { steps: 5 });
  await page.waitForSelector('.scrub:not([hidden]) .scrub-img:not([hidden])', { timeout: 5_000 });
  const shown = await page.$eval('.scrub-img', (el) => {
    const s = getComputedStyle(el);
    return { image: s.backgroundImage, position: s.backgroundPosition, width: el.style.width, height: el.style.height, label: document.querySelector('.scrub-time').textContent };
  });
  const [x, y, w, hgt] = cue.xywh;
  assert.ok(shown.image.includes(`/${cue.sheet}`), `the preview shows ${shown.image}, the cue names ${cue.sheet}`);
  assert.equal(shown.position, `${-x}px ${-y}px`, `the tile at ${(fraction * playing.duration).toFixed(1)} s`);
  assert.deepEqual([shown.width, shown.height], [`${w}px`, `${hgt}px`]);
  const sheet = await sheetLoaded;
  assert.equal(sheet.status(), 200, `${sheet.url()} answered ${sheet.status()}`);
  assert.equal(sheet.headers()['content-type'], 'image/jpeg');
  const size = await page.evaluate(async (css) => {
    const img = new Image();
    img.src = /url\("?(.*?)"?\)/.exec(css)[1];
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }, shown.image);
  assert.ok(size[0] >= x + w && size[1] >= y + hgt, `the sheet is ${size}, the tile ends at ${x + w}×${y + hgt}`);
  await shoot(page, 'player-scrub');
}));

test('keyboard and remote: arrow keys and Enter reach a title and play it; focus is always visible', { timeout: 120_000 }, () => withDiagnostics(async () => {
  await freshSession();
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  await page.waitForSelector('.rail .card', { timeout: 15_000 });
  // From nothing focused, ↓ goes into the page; → moves along a row; every step shows focus.
  const path = [];
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowRight', 'ArrowLeft']) {
    await page.keyboard.press(key);
    await page.waitForTimeout(120);
    const f = await focusVisible(page);
    path.push(`${key}: ${f.what}`);
    assert.ok(f.ok, `after ${key}, focus is not visible: ${path.join(' | ')}`);
  }
  // Down until a poster card of a row has focus (past "Continue watching"), then Enter opens it.
  const onPoster = () => page.evaluate(() => !!document.activeElement?.matches('.card:not(.card-wide)'));
  for (let i = 0; i < 10; i++) {
    if (await onPoster()) break;
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(120);
  }
  assert.ok(await onPoster(), 'no poster card reached with the arrow keys');
  await shoot(page, 'keyboard-home');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => /^\/(series|movies)\/\d+$/.test(u.pathname), { timeout: 10_000 });
  await page.waitForSelector('.title-page', { timeout: 15_000 });
  // The Play button is reachable by arrows too.
  for (let i = 0; i < 6; i++) {
    if (await page.evaluate(() => document.activeElement?.matches('.btn-primary[href^="/watch/"]'))) break;
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(120);
  }
  assert.ok(await page.evaluate(() => document.activeElement?.matches('.btn-primary[href^="/watch/"]')), 'the Play button cannot be reached with the arrow keys');
  await page.keyboard.press('Enter');
  await waitForPlayer(page, 'the title plays after Enter', 60_000, (s) => s.currentTime > 1);
  // In the player: space pauses, m mutes, ↓ reaches the controls, ←/→ move between them.
  // (Filters first: a closed <select> does not trap the arrows — ↓ leaves it for the grid.)
  const watchUrl = page.url();
  await page.goto(`${server.url}/series`, { waitUntil: 'load' });
  await page.waitForSelector('.grid .card', { timeout: 15_000 });
  await page.focus('#f-genre');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('card')), true, '↓ from the genre filter did not reach the grid');
  assert.equal(await page.$eval('#f-genre', (s) => s.value), '', '↓ changed the genre filter');
  await page.goto(watchUrl, { waitUntil: 'load' });
  await waitForPlayer(page, 'the title plays again', 60_000, (s) => s.currentTime > 1);
  await page.keyboard.press(' ');
  await waitForPlayer(page, 'space pauses', 5_000, (s) => s.paused);
  await page.keyboard.press('m');
  assert.equal(await page.$eval('video', (v) => v.muted), true);
  await page.keyboard.press('m');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'play');
  await page.keyboard.press('ArrowRight');
  const moved = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
  assert.notEqual(moved, 'Play', '→ did not move along the controls');
  assert.ok((await focusVisible(page)).ok);
}));

test('accessibility: text on every main page meets WCAG AA contrast; every control has a name', { timeout: 120_000 }, () => withDiagnostics(async () => {
  await freshSession();
  const series = (await pageFetch(page, 'GET', '/api/v1/series')).json.items[0];
  const episode = (await pageFetch(page, 'GET', `/api/v1/series/${series.id}`)).json.seasons[0].episodes[0];
  const pages = ['/', '/series', `/series/${series.id}`, '/search?q=dre', '/account', '/admin', '/profiles', `/watch/${episode.id}`];
  const all = [];
  const unnamed = [];
  for (const p of pages) {
    for (const [width, height] of [[1920, 1080], [390, 844]]) {
      await page.setViewportSize({ width, height });
      await page.goto(`${server.url}${p}`, { waitUntil: 'load' });
      await page.waitForTimeout(800);
      if (p.startsWith('/watch/')) {
        await page.click('#menu-btn'); // the open panel is checked too
        await page.waitForTimeout(200);
      }
      for (const f of await contrastFailures(page)) all.push({ page: p, width, ...f });
      for (const u of await unnamedControls(page)) unnamed.push(`${p} at ${width} px: ${u}`);
    }
  }
  assert.deepEqual(unnamed, [], `controls without an accessible name:\n${unnamed.join('\n')}`);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.url}/admin`, { waitUntil: 'load' });
  await page.waitForSelector('#scan-h', { timeout: 15_000 });
  await shoot(page, 'admin');
  assert.deepEqual(all, [], `text below WCAG AA contrast:\n${all.map((f) => JSON.stringify(f)).join('\n')}`);
}));

test('the header fits a 360 px phone: every link is on screen', { timeout: 60_000 }, () => withDiagnostics(async () => {
  await freshSession();
  for (const width of [360, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${server.url}/`, { waitUntil: 'load' });
    await page.waitForSelector('.top .brand', { timeout: 15_000 });
    const out = await page.$$eval('.top a', (links) => links
      .filter((a) => a.getClientRects().length > 0)
      .map((a) => { const r = a.getBoundingClientRect(); return { text: a.textContent || a.getAttribute('aria-label'), left: r.left, right: r.right }; })
      .filter((r) => r.left < 0 || r.right > window.innerWidth));
    assert.deepEqual(out, [], `header links cut off at ${width} px`);
    const admin = await page.$eval('.top', (t) => t.innerText);
    assert.match(admin, /Admin/, `no Admin link at ${width} px`);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `the page scrolls sideways at ${width} px (${scrollWidth} px wide)`);
  }
  await shoot(page, 'header');
}));

test('admin users: disable, enable, promote and reset a password from the users panel', { timeout: 120_000 }, () => withDiagnostics(async () => {
  await freshSession();
  await page.goto(`${server.url}/admin`, { waitUntil: 'load' });
  await page.waitForSelector('#nu-name', { timeout: 15_000 });
  await page.fill('#nu-name', 'guest');
  await page.fill('#nu-pass', 'guest-pass-1');
  await page.click('form[aria-label="Create a user"] button[type=submit]');
  const panel = 'section[aria-labelledby="users-h"]';
  const rowText = (user) => page.textContent(`${panel} tr[data-user="${user}"]`);
  await page.waitForSelector(`${panel} tr[data-user="guest"]`, { timeout: 10_000 });
  // The administrator's own row offers no way to lock themselves out.
  assert.deepEqual(await page.$$eval(`${panel} tr[data-user="admin"] button`, (bs) => bs.map((b) => b.textContent)), ['Reset password']);
  const login = (password) => new Api(server.url).login('guest', password).then(() => 200, (e) => e.status);
  assert.equal(await login('guest-pass-1'), 200);

  // Disabled: the row says so and the password no longer signs in.
  await page.click('button[aria-label="Disable guest"]');
  await page.waitForFunction((sel) => /\(disabled\)/.test(document.querySelector(sel)?.textContent ?? ''), `${panel} tr[data-user="guest"]`, { timeout: 10_000 });
  assert.match(await page.textContent('#user-msg'), /guest is disabled/);
  assert.notEqual(await login('guest-pass-1'), 200, 'a disabled account signed in');
  await page.click('button[aria-label="Enable guest"]');
  await page.waitForFunction((sel) => !/\(disabled\)/.test(document.querySelector(sel)?.textContent ?? ''), `${panel} tr[data-user="guest"]`, { timeout: 10_000 });
  assert.equal(await login('guest-pass-1'), 200);

  // Promoted and demoted.
  await page.click('button[aria-label="Make administrator: guest"]');
  await page.waitForFunction((sel) => /Administrator/.test(document.querySelector(sel)?.textContent ?? ''), `${panel} tr[data-user="guest"]`, { timeout: 10_000 });
  await page.click('button[aria-label="Make viewer: guest"]');
  await page.waitForFunction((sel) => /Viewer/.test(document.querySelector(sel)?.textContent ?? ''), `${panel} tr[data-user="guest"]`, { timeout: 10_000 });

  // Reset takes a second click; the new password works and the old one does not.
  await page.click('button[aria-label="Reset the password of guest"]');
  assert.equal(await login('guest-pass-1'), 200, 'the first click alone reset the password');
  await page.click('button[aria-label="Confirm resetting the password of guest"]');
  await page.waitForFunction(() => /New password for guest: \S+/.test(document.querySelector('#user-msg')?.textContent ?? ''), null, { timeout: 10_000 });
  const fresh = (await page.textContent('#user-msg')).match(/New password for guest: (\S+)/)[1];
  assert.notEqual(await login('guest-pass-1'), 200, 'the old password still signs in');
  assert.equal(await login(fresh), 200);
  assert.match(await rowText('guest'), /Viewer/);
  await page.locator('#users-h').scrollIntoViewIfNeeded();
  await shoot(page, 'admin-users');

  // Signed in with the password the administrator gave: asked to choose one until they do.
  await signIn(page, server, { user: 'guest', password: fresh, next: '/account' });
  await page.waitForSelector('.avatar.attention[aria-label$="choose your own password"]', { timeout: 10_000 });
  await page.waitForSelector('#pw-choose:not([hidden])', { timeout: 10_000 });
  await page.fill('#pw-cur', fresh);
  await page.fill('#pw-new', 'guest-pass-2');
  await page.click('form[aria-labelledby="pw-h"] button[type=submit]');
  await page.waitForSelector('#pw-choose[hidden]', { state: 'attached', timeout: 10_000 });
  await page.waitForSelector('.avatar:not(.attention)', { timeout: 10_000 });
  assert.equal(await login('guest-pass-2'), 200);
}));

test('admin plans: a plan made, given and edited on the admin page decides what a viewer may watch', { timeout: 150_000 }, () => withDiagnostics(async () => {
  await freshSession();
  await page.goto(`${server.url}/admin`, { waitUntil: 'load' });
  await page.waitForSelector('#plan-list', { timeout: 15_000 });
  await page.waitForSelector('#plan-list .muted', { timeout: 15_000 }); // no plans yet: everything is open

  // A viewer account, from the users panel.
  await page.fill('#nu-name', 'viewer');
  await page.fill('#nu-pass', 'viewer-pass-1');
  await page.click('form[aria-label="Create a user"] button[type=submit]');
  await page.waitForSelector('#grant-user option:has-text("viewer")', { state: 'attached', timeout: 10_000 });

  // A plan with one series, picked by searching for it.
  await page.fill('#plan-name', 'Documentaries');
  await page.fill('#plan-desc', 'Music documentaries');
  await page.selectOption('#plan-height', '1080');
  await page.fill('#plan-streams', '2');
  await page.click('#plan-title-q');
  await page.keyboard.type('defiant', { delay: 40 });
  await page.click('button[aria-label^="Add The Defiant Ones"]', { timeout: 10_000 });
  assert.match(await page.textContent('#plan-titles'), /The Defiant Ones/);
  await page.click('.plan-form button[type=submit]');
  const row = page.locator('#plan-list tr[data-plan="Documentaries"]');
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.textContent(), /1 title.*up to 1080p.*2/);

  // Given to the viewer until a date a month away.
  const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await page.selectOption('#grant-user', { label: 'viewer' });
  await page.selectOption('#grant-plan', { label: 'Documentaries' });
  await page.fill('#grant-until', until);
  await page.click('form[aria-label="Give a user a plan"] button[type=submit]');
  const sub = page.locator('#subscriptions tr[data-user="viewer"]');
  await page.waitForFunction(() => /Documentaries/.test(document.querySelector('#subscriptions tr[data-user="viewer"]')?.textContent ?? ''), null, { timeout: 10_000 });
  assert.match(await sub.textContent(), /active/);
  const expires = (await pageFetch(page, 'GET', `/api/v1/admin/users/${(await pageFetch(page, 'GET', '/api/v1/admin/users')).json.find((u) => u.username === 'viewer').id}/subscription`)).json.subscription.expires_at;
  assert.equal(new Date(expires * 1000).toISOString().slice(0, 10) >= until, true, `expires ${expires}, picked ${until}`);
  await page.locator('#plans-h').scrollIntoViewIfNeeded();
  await shoot(page, 'admin-plans');

  // The viewer: the series plays, the films carry a lock.
  const locks = async () => {
    await page.goto(`${server.url}/movies`, { waitUntil: 'load' });
    await page.waitForSelector('.grid .card', { timeout: 15_000 });
    return page.$$eval('.grid .card', (cards) => Object.fromEntries(cards.map((c) => [c.getAttribute('aria-label').split(' (')[0], !!c.querySelector('.lock-badge')])));
  };
  await signIn(page, server, { user: 'viewer', password: 'viewer-pass-1' });
  assert.deepEqual(await locks(), { 'Harbor Lights': true, 'Paper Orbits': true, 'The Long Tide': true });
  await shoot(page, 'viewer-locked');
  await page.goto(`${server.url}/series`, { waitUntil: 'load' });
  const series = await page.waitForSelector('.grid .card[aria-label^="The Defiant Ones"]', { timeout: 15_000 });
  assert.equal(await series.$('.lock-badge'), null, 'the plan\'s series is locked');

  // The administrator adds a film to the plan; the viewer's lock on it goes.
  await freshSession();
  await page.goto(`${server.url}/admin`, { waitUntil: 'load' });
  await page.click('button[aria-label="Edit plan Documentaries"]', { timeout: 15_000 });
  await page.waitForFunction(() => /The Defiant Ones/.test(document.querySelector('#plan-titles')?.textContent ?? ''), null, { timeout: 10_000 });
  await page.click('#plan-title-q');
  await page.keyboard.type('harbor', { delay: 40 });
  await page.click('button[aria-label^="Add Harbor Lights"]', { timeout: 10_000 });
  await page.click('.plan-form button[type=submit]');
  await page.waitForFunction(() => /2 titles/.test(document.querySelector('#plan-list tr[data-plan="Documentaries"]')?.textContent ?? ''), null, { timeout: 10_000 });

  // A plan with a subscriber cannot be deleted; an unused one can.
  await page.click('button[aria-label="Delete plan Documentaries"]');
  await page.click('button[aria-label="Confirm deleting plan Documentaries"]');
  await page.waitForSelector('#plan-list + .form-msg.form-error', { timeout: 10_000 });
  await page.fill('#plan-name', 'Spare');
  await page.click('.plan-form button[type=submit]');
  await page.locator('#plan-list tr[data-plan="Spare"]').waitFor({ timeout: 10_000 });
  await page.click('button[aria-label="Delete plan Spare"]');
  await page.click('button[aria-label="Confirm deleting plan Spare"]');
  await page.locator('#plan-list tr[data-plan="Spare"]').waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await page.locator('#plan-list tr[data-plan="Documentaries"]').count(), 1);

  await signIn(page, server, { user: 'viewer', password: 'viewer-pass-1' });
  assert.deepEqual(await locks(), { 'Harbor Lights': false, 'Paper Orbits': true, 'The Long Tide': true });
}));
