import { api, type ContinueItem, type SavedTitle, type TitleSummary } from "../api";
import { h } from "../dom";
import { art, continueCard, fillRail, hrefFor, icons, metaLine, notice, rail, skeletonCards } from "../components";
import type { PageContext } from "../router";

const ROW = 24;

type Row = { items: TitleSummary[]; total: number };

/** A request for a viewer row that an older server does not have (404) counts as empty. */
function optional<T>(p: Promise<T[]>): Promise<T[]> {
  return p.catch(() => []);
}

export async function homePage(main: HTMLElement, ctx: PageContext) {
  document.title = "Marquee";
  // The hero keeps its height while it loads, so the rows below never move.
  const hero = h("div", { class: "hero hero-loading", "aria-hidden": "true" });
  const rows = h("div", { class: "rows" });
  main.append(hero, rows);
  const { signal } = ctx;

  // Everything starts at once; the rows are laid out only when it is known which personal rows
  // exist (they come first), so no row is inserted above another one later (no layout shift).
  const watching = optional(api.viewer.continueWatching(ROW, signal));
  const saved = optional(api.viewer.list(signal));
  const fixed: { title: string; href: string; load: Promise<Row> }[] = [
    { title: "New", href: "/series?sort=added&order=desc", load: newest(signal) },
    { title: "Series", href: "/series", load: api.list("series", { sort: "title", order: "asc", limit: ROW }, signal) },
    { title: "Movies", href: "/movies", load: api.list("movies", { sort: "title", order: "asc", limit: ROW }, signal) },
  ];
  for (const r of fixed) r.load.catch(() => {}); // handled below, once the rows exist
  const genres = api.genres(signal).catch(() => []);
  const [cw, list] = await Promise.all([watching, saved]);
  if (signal.aborted) return;

  if (cw.length) {
    const { section, track } = rail("Continue watching", { id: "rail-continue", wide: true });
    track.replaceChildren(...cw.map((c) => h("div", { role: "listitem" }, continueCard(c))));
    rows.append(section);
  }
  if (list.length) {
    const { section, track } = rail("My List", { id: "rail-my-list" });
    fillRail(track, list.map(savedToSummary));
    rows.append(section);
  }
  const loads = fixed.map((r, i) => {
    const { section, track } = rail(r.title, { href: r.href });
    track.append(...skeletonCards(8));
    rows.append(section);
    if (i === 0) becauseYouWatched(rows, cw[0], signal);
    return r.load.then((page) => {
      if (!page.items.length) track.replaceChildren(h("p", { class: "muted rail-empty" }, "Nothing here yet."));
      else fillRail(track, page.items);
      return page;
    });
  });

  // The hero: what to continue, else the newest title with a backdrop.
  if (cw[0]) renderContinueHero(hero, cw[0]);
  else {
    loads[0].then((page) => {
      const pick = page.items.find((t) => t.backdrop) ?? page.items[0];
      if (pick) renderHero(hero, pick);
      else hero.remove();
    }).catch(() => hero.remove());
  }

  // One row per genre, each loaded only when it scrolls near the viewport.
  genres.then((gs) => {
    if (signal.aborted) return;
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        io.unobserve(e.target);
        const el = e.target as HTMLElement;
        const genre = el.dataset.genre!;
        const track = el.querySelector<HTMLElement>(".rail-track")!;
        byGenre(genre, signal).then((items) => {
          if (!items.length) track.replaceChildren(h("p", { class: "muted rail-empty" }, "Nothing here yet."));
          else fillRail(track, items);
        }).catch(() => { if (!signal.aborted) el.remove(); });
      }
    }, { rootMargin: "600px 0px" });
    ctx.onLeave(() => io.disconnect());
    for (const g of gs.filter((g) => g.count > 0)) {
      const { section, track } = rail(g.name, { href: `/series?genre=${encodeURIComponent(g.name)}` });
      section.dataset.genre = g.name;
      track.append(...skeletonCards(Math.min(8, g.count)));
      rows.append(section);
      io.observe(section);
    }
  });

  const results = await Promise.allSettled(loads);
  if (signal.aborted) return;
  performance.mark("marquee:home-ready");
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) rows.prepend(notice(failed.reason instanceof Error ? failed.reason.message : "Could not load the catalog.", "error"));
  else if (results.every((r) => r.status === "fulfilled" && r.value.total === 0)) {
    hero.remove();
    rows.replaceChildren(notice("The catalog is empty. An administrator can add media folders and start a scan from the Admin page."));
  }
}

/** "Because you watched …": titles like the one played last (after the New row). */
function becauseYouWatched(rows: HTMLElement, last: ContinueItem | undefined, signal: AbortSignal) {
  if (!last) return;
  const { section, track } = rail(`Because you watched ${last.series_title ?? last.title}`, { id: "rail-because" });
  track.append(...skeletonCards(8));
  rows.append(section);
  const empty = () => track.replaceChildren(h("p", { class: "muted rail-empty" }, "Nothing similar yet."));
  api.viewer.similar(last.series_id ?? last.item_id, ROW, signal)
    .then((items) => (items.length ? fillRail(track, items.map(savedToSummary)) : empty()))
    .catch(() => { if (!signal.aborted) empty(); });
}

function savedToSummary(t: SavedTitle): TitleSummary {
  return { id: t.id, kind: t.kind, title: t.title, year: t.year ?? null, poster: t.poster ?? null, genres: [], added_at: t.at };
}

/** Newest series and movies together, newest first. */
async function newest(signal: AbortSignal): Promise<Row> {
  const [s, m] = await Promise.all([
    api.list("series", { sort: "added", order: "desc", limit: ROW }, signal),
    api.list("movies", { sort: "added", order: "desc", limit: ROW }, signal),
  ]);
  const items = [...s.items, ...m.items].sort((a, b) => b.added_at - a.added_at || a.title.localeCompare(b.title)).slice(0, ROW);
  return { items, total: s.total + m.total };
}

/** Series and movies in a genre, alphabetically mixed. */
async function byGenre(genre: string, signal: AbortSignal) {
  const [s, m] = await Promise.all([
    api.list("series", { genre, sort: "title", order: "asc", limit: ROW }, signal),
    api.list("movies", { genre, sort: "title", order: "asc", limit: ROW }, signal),
  ]);
  return [...s.items, ...m.items].sort((a, b) => a.title.localeCompare(b.title)).slice(0, ROW);
}

function renderHero(hero: HTMLElement, t: TitleSummary) {
  hero.classList.remove("hero-loading");
  hero.removeAttribute("aria-hidden");
  const href = hrefFor(t.kind, t.id);
  hero.replaceChildren(
    art(t.backdrop, "", "backdrop", true),
    h("div", { class: "hero-shade" }),
    h("div", { class: "hero-body" },
      h("p", { class: "eyebrow" }, t.kind === "series" ? "New series" : "New film"),
      h("h1", { class: "hero-title" }, t.title),
      h("p", { class: "hero-meta" }, metaLine([t.year, t.content_rating, t.genres.slice(0, 3).join(", "), t.kind === "series" && t.episode_count ? `${t.episode_count} episodes` : null, t.kind === "movie" && t.runtime_minutes ? `${t.runtime_minutes} min` : null])),
      t.synopsis ? h("p", { class: "hero-synopsis" }, t.synopsis) : null,
      h("div", { class: "actions" },
        t.kind === "movie" ? h("a", { class: "btn btn-primary", href: `/watch/${t.id}` }, icons.play(), "Play") : null,
        h("a", { class: t.kind === "movie" ? "btn" : "btn btn-primary", href }, t.kind === "movie" ? "Details" : "View series"),
      ),
    ),
  );
}

/** The hero when there is something to continue: its backdrop, and Resume as the first action. */
function renderContinueHero(hero: HTMLElement, c: ContinueItem) {
  hero.classList.remove("hero-loading");
  hero.removeAttribute("aria-hidden");
  const titleId = c.series_id ?? c.item_id;
  const detail = c.series_id ? `/series/${c.series_id}` : `/movies/${c.item_id}`;
  const ep = c.kind === "episode" ? `S${c.season_number ?? "?"} · E${c.episode_number ?? "?"}  ${c.title}` : null;
  hero.replaceChildren(
    art(`/api/v1/items/${titleId}/artwork/backdrop`, "", "backdrop", true),
    h("div", { class: "hero-shade" }),
    h("div", { class: "hero-body" },
      h("p", { class: "eyebrow" }, c.reason === "next" ? "Up next" : "Continue watching"),
      h("h1", { class: "hero-title" }, c.series_title ?? c.title),
      ep ? h("p", { class: "hero-meta" }, ep) : null,
      h("div", { class: "actions" },
        h("a", { class: "btn btn-primary", href: `/watch/${c.item_id}`, id: "hero-resume" }, icons.play(), c.resume_ms > 0 ? "Resume" : "Play"),
        h("a", { class: "btn", href: detail }, "Details"),
      ),
    ),
  );
}
