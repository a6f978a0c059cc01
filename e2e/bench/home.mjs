// The home page on a 10,000-video catalog, measured many times (scripts/bench-home drives this):
// the library and the measurement are the browser test's own (lib/catalog.mjs). Prints each load
// and a Markdown table of the median and 95th percentile of the time until the page is
// interactive (rows filled, the `marquee:home-ready` mark) and of the layout shift (CLS).
//
//   node e2e/bench/home.mjs --bin target/release/marquee [--runs 20] [--warmup 3] [--out FILE]
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Api, startMarquee } from '../lib/marquee.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { TOTAL, makeLibrary, measureHome, percentile } from '../lib/catalog.mjs';
import { signIn } from '../lib/webapp.mjs';

const { values: args } = parseArgs({
  options: {
    bin: { type: 'string' },
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
if (!args.bin || !fs.existsSync(args.bin)) throw new Error(`--bin must name the marquee binary (got ${args.bin})`);
const runs = Number(args.runs);
const warmup = Number(args.warmup);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new Error('--runs and --warmup are whole numbers');

const t0 = Date.now();
const library = makeLibrary();
console.error(`catalog: ${TOTAL} files in ${Date.now() - t0} ms`);
const server = await startMarquee(args.bin, { demo: false, media: [library.shows, library.movies] });
let browser;
try {
  const api = new Api(server.url);
  await api.login('admin', server.password);
  const scanStart = Date.now();
  for (;;) {
    const s = await api.get('/api/v1/admin/scan');
    if (!s.progress.running && s.recent.length > 0) break;
    if (Date.now() - scanStart > 600_000) throw new Error('the start-up scan did not finish in 10 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  const catalog = await api.get('/api/v1/series?limit=1');
  console.error(`scan: ${Date.now() - scanStart} ms; ${catalog.total} series`);

  browser = await launchBrowser();
  const page = browser.page;
  await signIn(page, server);
  for (let i = 0; i < warmup; i++) await measureHome(page, server.url);
  const loads = [];
  for (let i = 0; i < runs; i++) {
    const r = await measureHome(page, server.url);
    if (r.cards < 24 || !r.focused) throw new Error(`load ${i + 1}: rows not filled or nothing focusable: ${JSON.stringify(r)}`);
    loads.push(r);
    console.error(`load ${i + 1}: ready ${r.ready} ms, CLS ${r.cls.toFixed(4)}; slowest API answers: ${r.slowest.join('; ')}`);
  }
  const ready = loads.map((r) => r.ready);
  const cls = loads.map((r) => r.cls);
  const load = os.loadavg().map((x) => x.toFixed(1)).join(', ');
  const table = [
    `| measure (${TOTAL.toLocaleString('en')} videos, ${runs} loads after ${warmup} warm-up) | median | p95 | max | target |`,
    '| --- | --- | --- | --- | --- |',
    `| home interactive (rows filled) | ${percentile(ready, 0.5)} ms | ${percentile(ready, 0.95)} ms | ${Math.max(...ready)} ms | < 1000 ms |`,
    `| layout shift (CLS) | ${percentile(cls, 0.5).toFixed(4)} | ${percentile(cls, 0.95).toFixed(4)} | ${Math.max(...cls).toFixed(4)} | < 0.1 (test: < 0.02) |`,
    '',
    `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average at the end ${load}, \`${args.bin}\`.`,
  ].join('\n');
  console.log(table);
  if (args.out) fs.writeFileSync(args.out, `${table}\n`);
} finally {
  await browser?.close();
  await server.stop();
  library.remove();
}
