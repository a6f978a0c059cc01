import { api, type TitleSummary } from "../api";
import { h } from "../dom";
import { art, fillRail, hrefFor, icons, metaLine, notice, rail, skeletonCards } from "../components";
import type { PageContext } from "../router";

const ROW = 24;

export async function homePage(main: HTMLElement, ctx: PageContext) {
  document.title = "Marquee";
  const hero = h("div", { class: "hero hero-empty" });
  const rows = h("div", { class: "rows" });
  main.append(hero, rows);

  const { signal } = ctx;
  const fixed: { title: string; href: string; load: () => Promise<{ items: TitleSummary[]; total: number }> }[] = [
    { title: "New", href: "/series?sort=added&order=desc", load: () => newest(signal) },
    { title: "Series", href: "/series", load: () => api.list("series", { sort: "title", order: "asc", limit: ROW }, signal) },
    { title: "Movies", href: "/movies", load: () => api.list("movies", { sort: "title", order: "asc", limit: ROW }, signal) },
  ];

  const loads = fixed.map((r) => {
    const { section, track } = rail(r.title, { href: r.href });
    track.append(...skeletonCards(8));
    rows.append(section);
    return r.load().then((page) => {
      if (!page.items.length) section.remove();
      else fillRail(track, page.items);
      return page;
    });
  });

  // The hero: the newest title that has a backdrop.
  loads[0].then((page) => {
    const pick = page.items.find((t) => t.backdrop) ?? page.items[0];
    if (pick) renderHero(hero, pick);
    else hero.remove();
  }).catch(() => hero.remove());

  // One row per genre, each loaded only when it scrolls near the viewport.
  api.genres(signal).then((genres) => {
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        io.unobserve(e.target);
        const el = e.target as HTMLElement;
        const genre = el.dataset.genre!;
        const track = el.querySelector<HTMLElement>(".rail-track")!;
        byGenre(genre, signal).then((items) => {
          if (!items.length) el.remove();
          else fillRail(track, items);
        }).catch(() => { if (!signal.aborted) el.remove(); });
      }
    }, { rootMargin: "600px 0px" });
    ctx.onLeave(() => io.disconnect());
    for (const g of genres.filter((g) => g.count > 0)) {
      const { section, track } = rail(g.name, { href: `/series?genre=${encodeURIComponent(g.name)}` });
      section.dataset.genre = g.name;
      track.append(...skeletonCards(Math.min(8, g.count)));
      rows.append(section);
      io.observe(section);
    }
  }).catch(() => {});

  const results = await Promise.allSettled(loads);
  if (signal.aborted) return;
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) rows.prepend(notice(failed.reason instanceof Error ? failed.reason.message : "Could not load the catalog.", "error"));
  else if (results.every((r) => r.status === "fulfilled" && r.value.total === 0)) {
    hero.remove();
    rows.prepend(notice("The catalog is empty. An administrator can add media folders and start a scan from the Admin page."));
  }
}

/** Newest series and movies together, newest first. */
async function newest(signal: AbortSignal) {
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
  hero.classList.remove("hero-empty");
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
