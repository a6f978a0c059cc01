// WCAG AA for the palette itself: the colour variables of web/src/styles.css, read from the file,
// in every pairing the stylesheet uses for text (4.5:1) and for focus rings and control borders
// (3:1, WCAG 1.4.11). The browser tests check rendered pages too; this one names the variable
// that needs fixing. Needs no server and no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from '../lib/marquee.mjs';

const css = fs.readFileSync(path.join(REPO_DIR, 'web', 'src', 'styles.css'), 'utf8');

/** The custom properties of the first :root block that are plain #rrggbb colours. */
function palette() {
  const root = /:root\s*{([^}]*)}/.exec(css);
  assert.ok(root, 'no :root block in styles.css');
  const vars = {};
  for (const m of root[1].matchAll(/--([\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;/g)) vars[m[1]] = m[2];
  return vars;
}

function luminance(hex) {
  const ch = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
}

export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// [foreground, background, minimum]: text is 4.5:1; focus rings and field borders are 3:1.
const PAIRS = [
  ...['bg', 'bg-2', 'surface', 'surface-2'].flatMap((bg) => [
    ['text', bg, 4.5], ['muted', bg, 4.5], ['accent-2', bg, 4.5], ['danger', bg, 4.5], ['ok', bg, 4.5], ['focus', bg, 3],
  ]),
  ['accent', 'bg', 4.5], ['accent', 'surface', 4.5],
  ['on-accent', 'accent', 4.5], ['on-accent', 'accent-2', 4.5],
  ['field-line', 'bg', 3], ['field-line', 'bg-2', 3], ['field-line', 'surface', 3],
];

test('the palette in styles.css meets WCAG AA contrast', () => {
  const vars = palette();
  const failures = [];
  for (const [fg, bg, min] of PAIRS) {
    assert.ok(vars[fg], `--${fg} is not a #rrggbb colour in :root`);
    assert.ok(vars[bg], `--${bg} is not a #rrggbb colour in :root`);
    const r = contrast(vars[fg], vars[bg]);
    if (r < min) failures.push(`--${fg} ${vars[fg]} on --${bg} ${vars[bg]}: ${r.toFixed(2)}:1, needs ${min}:1`);
  }
  assert.deepEqual(failures, []);
});

test('the contrast formula matches WCAG reference values', () => {
  assert.equal(contrast('#000000', '#ffffff').toFixed(1), '21.0');
  assert.equal(contrast('#777777', '#ffffff').toFixed(2), '4.48');
  assert.equal(contrast('#ffffff', '#ffffff'), 1);
});
