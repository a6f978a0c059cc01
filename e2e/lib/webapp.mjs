// Helpers for the web-app tests: signing in through the form, screenshots at the two sizes people
// use (a 1080p screen and a phone), reading the player's state, and the checks that look at a
// rendered page as a whole (contrast, layout shift).
import { screenshotSizes } from './playback.mjs';

/** Screenshots of the page at 1920×1080 and 390×844 (`webapp-<name>-<w>x<h>.png`). */
export function shoot(page, name) {
  return screenshotSizes(page, `webapp-${name}`);
}

/**
 * Signs in with the form, as a new visitor (no cookie, nothing stored); resolves once the app
 * has left /login (for /profiles or the page asked for).
 */
export async function signIn(page, server, { user = 'admin', password = server.password, next = '' } = {}) {
  await page.context().clearCookies();
  await page.goto(`${server.url}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, { waitUntil: 'load' });
  if (await page.evaluate(() => localStorage.length > 0)) {
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${server.url}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, { waitUntil: 'load' });
  }
  await page.fill('#login-user', user);
  await page.fill('#login-pass', password);
  await page.press('#login-pass', 'Enter');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 });
}

/** A JSON request from the page itself (its cookie session and CSRF header). */
export function pageFetch(page, method, url, body) {
  return page.evaluate(async ({ method, url, body }) => {
    const csrf = (document.cookie.match(/marquee_csrf=([^;]*)/) || [])[1];
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (csrf && method !== 'GET') headers['x-csrf-token'] = decodeURIComponent(csrf);
    const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text: text.slice(0, 500) };
  }, { method, url, body });
}

/** The player's <video> and what the app shows about it. */
export function playerState(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    if (!v) return null;
    const tracks = Array.from(v.textTracks).map((t) => ({ label: t.label, language: t.language, mode: t.mode }));
    return {
      path: location.pathname,
      currentTime: v.currentTime,
      duration: v.duration,
      paused: v.paused,
      ended: v.ended,
      readyState: v.readyState,
      videoWidth: v.videoWidth,
      error: v.error ? `${v.error.code} ${v.error.message}` : null,
      textTracks: tracks,
      cues: Array.from(document.querySelectorAll('.captions .cue')).map((c) => c.textContent),
      checked: Object.fromEntries(Array.from(document.querySelectorAll('.menu-col')).map((col) => [
        col.dataset.group,
        col.querySelector('[role=radio][aria-checked=true]')?.textContent ?? null,
      ])),
    };
  });
}

/** Polls `check(state)` every 200 ms until it is true; throws with the last state after `ms`. */
export async function waitForPlayer(page, what, ms, check) {
  const deadline = Date.now() + ms;
  let s;
  for (;;) {
    s = await playerState(page).catch((e) => ({ evaluateFailed: String(e) }));
    if (s && !s.evaluateFailed && check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting until ${what}; player: ${JSON.stringify(s)}`);
    await page.waitForTimeout(200);
  }
}

/** Starts summing layout shifts (CLS without the shifts right after input) from now on. */
export async function observeLayoutShifts(page) {
  await page.evaluate(() => {
    window.__cls = { value: 0, shifts: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        window.__cls.value += e.value;
        window.__cls.shifts.push({
          value: e.value,
          at: Math.round(e.startTime),
          nodes: (e.sources || []).map((s) => s.node && s.node.nodeType === 1
            ? `${s.node.tagName.toLowerCase()}.${[...s.node.classList].join('.')}`
            : String(s.node && s.node.nodeName)),
        });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

/**
 * WCAG 2 contrast of every visible piece of text on the page against the background it is drawn
 * on (the nearest opaque ancestor background, blending translucent ones on the way). Text over
 * images or gradients is skipped (it has its own shade), and so are disabled controls, which WCAG
 * exempts. Returns the failures: { text, ratio, need, fg, bg }.
 */
export function contrastFailures(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const over = (top, under) => ({
      r: top.r * top.a + under.r * (1 - top.a),
      g: top.g * top.a + under.g * (1 - top.a),
      b: top.b * top.a + under.b * (1 - top.a),
      a: 1,
    });
    const lum = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const failures = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      const el = n.parentElement;
      if (!el || seen.has(el)) continue;
      seen.add(el);
      if (el.closest('[aria-hidden=true], .sr-only, [hidden], :disabled, svg, option')) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
      let fg = parse(cs.color);
      if (!fg) continue;
      // Walk up: translucent backgrounds are blended; an image or gradient means "skip".
      const layers = [];
      let skip = false;
      let opacity = 1;
      for (let a = el; a; a = a.parentElement) {
        const s = getComputedStyle(a);
        opacity *= Number(s.opacity);
        if (s.backgroundImage && s.backgroundImage !== 'none') { skip = true; break; }
        if (a.matches('.art, .hero, .backdrop-wrap, .title-head, video')) { skip = true; break; }
        const bg = parse(s.backgroundColor);
        if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
      }
      if (skip) continue;
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (const l of layers.reverse()) bg = over(l, bg);
      if (opacity < 1) fg = { ...fg, a: fg.a * opacity };
      if (fg.a < 1) fg = over(fg, bg);
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const need = large ? 3 : 4.5;
      const r = ratio(fg, bg);
      if (r < need) {
        failures.push({ text: n.textContent.trim().slice(0, 40), ratio: Math.round(r * 100) / 100, need, fg: cs.color, bg: `rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})`, el: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}` });
      }
    }
    return failures;
  });
}

/** Whether the focused element shows a visible focus indicator (outline or box-shadow). */
export function focusVisible(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { ok: false, what: 'nothing focused' };
    const probe = [el, el.querySelector('.art')].filter(Boolean);
    for (const p of probe) {
      const s = getComputedStyle(p);
      if ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== 'none')) {
        return { ok: true, what: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}` };
      }
    }
    return { ok: false, what: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} has no outline` };
  });
}

/** Links, buttons and form fields that a screen reader would announce without a name. */
export function unnamedControls(page) {
  return page.evaluate(() => {
    const nameOf = (el) => {
      const label = el.getAttribute('aria-label');
      if (label && label.trim()) return label;
      const by = el.getAttribute('aria-labelledby');
      if (by) {
        const text = by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
        if (text) return text;
      }
      if (el.id) {
        const l = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (l && l.textContent.trim()) return l.textContent;
      }
      if (el.closest('label') && el.closest('label').textContent.trim()) return el.closest('label').textContent;
      const text = (el.textContent ?? '').trim();
      if (text && !['INPUT', 'SELECT'].includes(el.tagName)) return text;
      return el.getAttribute('title') || '';
    };
    return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=radio], [role=tab]')]
      .filter((el) => el.getClientRects().length > 0 && !el.closest('[aria-hidden=true]'))
      .filter((el) => !nameOf(el).trim())
      .map((el) => el.outerHTML.slice(0, 120));
  });
}
