import { api, type Credit, type Episode, type ItemDetail, type ProgressState, type Season, type ViewerItemState } from "../api";
import { clock, formatDate, formatDuration, formatMinutes, h, roleLabel, roleRank } from "../dom";
import { art, chips, fillRail, icons, lockedText, metaLine, rail, skeletonCards, spinner } from "../components";
import { renderMarkdown } from "../markdown";
import { navigate, setQuery, type PageContext } from "../router";

export async function titlePage(main: HTMLElement, ctx: PageContext, kind: "series" | "movies" | "items") {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id)) throw new Error("That is not a valid address.");
  main.append(spinner());
  // This profile's state (progress, My List, thumb) comes with the item; older servers have none.
  const viewer = api.viewer.item(id, ctx.signal).catch(() => null);
  const item = await (kind === "series" ? api.series(id, ctx.signal) : kind === "movies" ? api.movie(id, ctx.signal) : api.item(id, ctx.signal));
  const state = await viewer;
  if (ctx.signal.aborted) return;
  // /items/{id} of a series or a movie: use its canonical address.
  if (kind === "items" && (item.kind === "series" || item.kind === "movie")) {
    navigate(`/${item.kind === "series" ? "series" : "movies"}/${item.id}`, { replace: true });
    return;
  }
  document.title = `${item.title} · Marquee`;
  main.replaceChildren(renderTitle(item, ctx, state));
  if (item.kind === "series" || item.kind === "movie") moreLikeThis(main.querySelector(".title-body")!, item, ctx);
}

/** "More like this" under the title (from servers that suggest titles). */
function moreLikeThis(body: Element, item: ItemDetail, ctx: PageContext) {
  const { section, track } = rail("More like this", { id: "rail-similar" });
  section.classList.add("block", "similar");
  track.append(...skeletonCards(6));
  body.append(section);
  api.viewer.similar(item.id, 24, ctx.signal).then((items) => {
    if (!items.length) { section.remove(); return; }
    fillRail(track, items.map((t) => ({ id: t.id, kind: t.kind, title: t.title, year: t.year ?? null, poster: t.poster ?? null, genres: [], added_at: t.at ?? 0 })));
  }).catch(() => section.remove());
}

/** Progress of each episode (or of the item itself) by item id. */
function progressById(state: ViewerItemState | null): Map<number, ProgressState> {
  return new Map((state?.progress ?? []).map((p) => [p.item_id, p]));
}

/** The episode to offer: the one in progress most recently, else the first not watched, else the first. */
function episodeToPlay(item: ItemDetail, progress: Map<number, ProgressState>): { ep: Episode; season: Season; resume: number } | null {
  const all = [...item.seasons].sort((a, b) => (a.number || 999) - (b.number || 999))
    .flatMap((season) => season.episodes.filter((ep) => ep.available && !ep.locked).map((ep) => ({ ep, season, p: progress.get(ep.id) })));
  const started = all.filter((x) => x.p && x.p.resume_ms > 0 && !x.p.completed);
  if (started.length) {
    const x = started.reduce((a, b) => ((b.p?.played_at ?? 0) > (a.p?.played_at ?? 0) ? b : a));
    return { ep: x.ep, season: x.season, resume: x.p!.resume_ms };
  }
  const lastWatched = all.map((x, i) => (x.p?.watched ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  const x = all[lastWatched + 1] ?? all[0];
  return x ? { ep: x.ep, season: x.season, resume: 0 } : null;
}

/** "My List" toggle and thumbs, for a series or a movie. */
function viewerActions(item: ItemDetail, state: ViewerItemState): HTMLElement[] {
  let inList = state.in_my_list;
  let thumb = state.thumb ?? 0;
  const listBtn = h("button", { class: "btn", type: "button", id: "my-list-btn", "aria-pressed": String(inList) });
  const drawList = () => {
    listBtn.replaceChildren(inList ? icons.check() : icons.plus(), "My List");
    listBtn.setAttribute("aria-pressed", String(inList));
    listBtn.setAttribute("aria-label", inList ? `Remove ${item.title} from My List` : `Add ${item.title} to My List`);
  };
  listBtn.addEventListener("click", async () => {
    listBtn.disabled = true;
    try {
      if (inList) await api.viewer.removeFromList(item.id); else await api.viewer.addToList(item.id);
      inList = !inList;
      drawList();
    } catch { /* the button keeps its state */ } finally { listBtn.disabled = false; }
  });
  drawList();
  const up = h("button", { class: "btn btn-icon", type: "button", id: "thumb-up", "aria-label": "I like this" }, icons.thumbUp());
  const down = h("button", { class: "btn btn-icon", type: "button", id: "thumb-down", "aria-label": "Not for me" }, icons.thumbDown());
  const drawThumbs = () => { up.setAttribute("aria-pressed", String(thumb === 1)); down.setAttribute("aria-pressed", String(thumb === -1)); };
  const rate = async (value: 1 | -1) => {
    try {
      if (thumb === value) { await api.viewer.unrate(item.id); thumb = 0; }
      else { await api.viewer.rate(item.id, value === 1 ? "up" : "down"); thumb = value; }
      drawThumbs();
    } catch { /* unchanged */ }
  };
  up.addEventListener("click", () => void rate(1));
  down.addEventListener("click", () => void rate(-1));
  drawThumbs();
  return [listBtn, up, down];
}

function artUrl(item: ItemDetail, k: string): string | null {
  return item.artwork.find((a) => a.kind === k)?.url ?? null;
}

function artHash(item: ItemDetail, url: string | null): string | null {
  return url ? item.artwork.find((a) => a.url === url)?.blurhash ?? null : null;
}

function firstPlayable(item: ItemDetail): { ep: Episode; season: Season } | null {
  for (const s of [...item.seasons].sort((a, b) => (a.number || 999) - (b.number || 999))) {
    for (const ep of s.episodes) if (ep.available && !ep.locked) return { ep, season: s };
  }
  return null;
}

function renderTitle(item: ItemDetail, ctx: PageContext, state: ViewerItemState | null): HTMLElement {
  const progress = progressById(state);
  const isSeries = item.kind === "series";
  const backdrop = artUrl(item, "backdrop") ?? artUrl(item, "thumb");
  const poster = artUrl(item, "poster");
  const episodes = item.seasons.reduce((n, s) => n + s.episodes.length, 0);
  const duration = item.file?.duration_ms ? formatDuration(item.file.duration_ms) : formatMinutes(item.runtime_minutes);

  const actions = h("div", { class: "actions" });
  if (item.locked && !item.locked.free_preview) {
    actions.append(h("p", { class: "locked-note", id: "locked-note" }, icons.lock(), `${item.locked.reason}${item.locked.plans.length ? ` — ${lockedText(item.locked).replace(/^locked: in /, "included in ")}` : ""}.`));
  } else if (isSeries) {
    const pick = state ? episodeToPlay(item, progress) : firstPlayable(item) && { ...firstPlayable(item)!, resume: 0 };
    if (pick) {
      const where = pick.season.number ? `S${pick.season.number} E${pick.ep.number}` : `episode ${pick.ep.number}`;
      const label = `${pick.resume > 0 ? "Resume" : "Play"} ${where}`;
      actions.append(h("a", { class: "btn btn-primary", href: `/watch/${pick.ep.id}`, "aria-label": `${label}: ${pick.ep.title}` }, icons.play(), label));
    }
  } else if (item.file) {
    const resume = progress.get(item.id)?.resume_ms ?? 0;
    actions.append(h("a", { class: "btn btn-primary", href: `/watch/${item.id}`, "aria-label": `${resume > 0 ? `Resume ${item.title} from ${clock(resume / 1000)}` : `Play ${item.title}`}` }, icons.play(), resume > 0 ? `Resume from ${clock(resume / 1000)}` : "Play"));
  }
  if (state && (isSeries || item.kind === "movie")) actions.append(...viewerActions(item, state));
  if (item.kind === "episode" && item.series_id) {
    actions.append(h("a", { class: "btn", href: `/series/${item.series_id}` }, "Go to series"));
  }

  const meta = metaLine([
    item.year ?? (item.air_date ? item.air_date.slice(0, 4) : null),
    isSeries && item.seasons.length ? `${item.seasons.length} season${item.seasons.length === 1 ? "" : "s"}` : null,
    isSeries && episodes ? `${episodes} episode${episodes === 1 ? "" : "s"}` : null,
    !isSeries ? duration : null,
  ]);

  const sections: (HTMLElement | null)[] = [];
  if (isSeries && item.seasons.length) sections.push(seasonsSection(item, ctx, progress));
  if (item.extras.length) {
    sections.push(h("section", { class: "block", "aria-labelledby": "extras-h" },
      h("h2", { id: "extras-h" }, "Extras"),
      h("ul", { class: "extras" }, item.extras.map((x) => h("li", null,
        h("a", { class: "extra", href: `/watch/${x.id}`, "aria-label": `Play ${x.title}` }, icons.play(), h("span", null, x.title), h("span", { class: "muted" }, x.kind.replace(/_/g, " ")))))),
    ));
  }
  if (item.reviews.length) sections.push(reviewsSection(item));
  if (item.credits.length) sections.push(creditsSection(item.credits));
  const details = detailsSection(item);
  if (details) sections.push(details);

  return h("article", { class: "title-page" },
    h("div", { class: "backdrop-wrap" }, art(backdrop ?? poster, "", backdrop ? "backdrop" : "backdrop from-poster", true, backdrop ? artHash(item, backdrop) : null), h("div", { class: "backdrop-shade" })),
    h("div", { class: "title-head" },
      art(poster, item.title, "poster title-poster", true, artHash(item, poster)),
      h("div", { class: "title-info" },
        h("div", { class: "title-top" },
          item.kind === "episode" || item.kind === "extra" ? h("p", { class: "eyebrow" }, item.kind === "episode" ? `Season ${item.season_number ?? "?"} · Episode ${item.episode_number ?? "?"}` : "Extra") : null,
          h("h1", { class: "title-name" }, item.title),
          item.original_title && item.original_title !== item.title ? h("p", { class: "muted", lang: "" }, item.original_title) : null,
          h("p", { class: "title-meta" },
            item.content_rating ? h("span", { class: "rating", "aria-label": `Rated ${item.content_rating}` }, item.content_rating) : null,
            meta),
          chips(item.genres, (g) => `/${isSeries ? "series" : "movies"}?genre=${encodeURIComponent(g)}`),
        ),
        item.tagline ? h("p", { class: "tagline" }, item.tagline) : null,
        item.synopsis ? h("p", { class: "synopsis" }, item.synopsis) : null,
        actions,
      ),
    ),
    h("div", { class: "title-body" }, sections),
  );
}

function seasonsSection(item: ItemDetail, ctx: PageContext, progress: Map<number, ProgressState>): HTMLElement {
  const seasons = [...item.seasons].sort((a, b) => (a.number || 999) - (b.number || 999));
  const wanted = Number(ctx.query.get("season"));
  let current = seasons.find((s) => s.number === wanted) ?? seasons.find((s) => s.number > 0) ?? seasons[0];
  const list = h("ol", { class: "episodes", id: "episode-list", role: "tabpanel" });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Seasons" });
  const seasonName = (s: Season) => s.title || (s.number === 0 ? "Specials" : `Season ${s.number}`);

  const select = (s: Season, focus = false) => {
    current = s;
    for (const b of tabs.querySelectorAll<HTMLButtonElement>("[role=tab]")) {
      const on = b.dataset.season === String(s.number);
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    }
    list.setAttribute("aria-label", seasonName(s));
    list.replaceChildren(...s.episodes.map((ep) => episodeRow(ep, s, progress.get(ep.id))));
    const p = new URLSearchParams(location.search);
    if (seasons.length > 1) { p.set("season", String(s.number)); setQuery(p); }
  };

  for (const s of seasons) {
    tabs.append(h("button", { type: "button", role: "tab", class: "tab", "data-season": String(s.number), "aria-controls": "episode-list", onclick: () => select(s) },
      seasonName(s), h("span", { class: "tab-count" }, String(s.episodes.length))));
  }
  // Tab widgets: arrows within the tab list are handled here (spatial nav still moves Up/Down out).
  tabs.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    const i = seasons.indexOf(current);
    const next = e.key === "Home" ? 0 : e.key === "End" ? seasons.length - 1 : Math.min(seasons.length - 1, Math.max(0, i + (e.key === "ArrowRight" ? 1 : -1)));
    e.preventDefault();
    select(seasons[next], true);
  });
  select(current);
  return h("section", { class: "block", "aria-labelledby": "episodes-h" },
    h("h2", { id: "episodes-h", class: seasons.length > 1 ? "sr-only" : "" }, "Episodes"),
    seasons.length > 1 ? tabs : null,
    list,
  );
}

function episodeRow(ep: Episode, s: Season, p: ProgressState | undefined): HTMLElement {
  const num = ep.number_end && ep.number_end !== ep.number ? `${ep.number}–${ep.number_end}` : String(ep.number);
  const dur = ep.duration_ms ? formatDuration(ep.duration_ms) : formatMinutes(ep.runtime_minutes);
  const label = `${s.number ? `Season ${s.number}, ` : ""}episode ${num}: ${ep.title}`;
  const still = art(ep.still, "", "still");
  const dur_ms = p?.duration_ms ?? ep.duration_ms ?? null;
  const pct = p ? (p.watched && p.resume_ms === 0 ? 100 : dur_ms ? Math.min(100, (p.resume_ms / dur_ms) * 100) : 0) : 0;
  const state = p?.watched ? "Watched" : p && p.resume_ms > 0 ? `${clock(p.resume_ms / 1000)} watched` : null;
  const body = [
    h("div", { class: "ep-still" }, still, ep.available ? h("span", { class: "ep-play", "aria-hidden": "true" }, icons.play()) : null,
      pct > 0 ? h("span", { class: "progress", "aria-hidden": "true" }, h("span", { style: `width: ${pct.toFixed(1)}%` })) : null),
    h("div", { class: "ep-text" },
      h("h3", { class: "ep-title" }, h("span", { class: "ep-num" }, `${num}.`), " ", ep.title),
      h("p", { class: "ep-meta" }, metaLine([dur, ep.air_date ? formatDate(ep.air_date) : null, state, ep.available ? null : "Not available", ep.locked ? lockedText(ep.locked).replace(/^l/, "L") : null])),
      ep.synopsis ? h("p", { class: "ep-synopsis" }, ep.synopsis) : null,
    ),
  ];
  return h("li", null, ep.available && !ep.locked
    ? h("a", { class: "episode", href: `/watch/${ep.id}`, "aria-label": `Play ${label}${dur ? `, ${dur}` : ""}${state ? `, ${state}` : ""}` }, body)
    : h("div", { class: "episode unavailable", "aria-label": `${label}, ${ep.locked ? lockedText(ep.locked) : "not available"}` }, body));
}

function reviewsSection(item: ItemDetail): HTMLElement {
  return h("section", { class: "block", "aria-labelledby": "reviews-h" },
    h("h2", { id: "reviews-h" }, item.reviews.length === 1 ? "Review" : "Reviews"),
    item.reviews.map((r) => {
      const body = h("div", { class: "prose" });
      body.innerHTML = renderMarkdown(r.body_markdown ?? ""); // escaped first; see markdown.ts
      const score = r.score_text ?? (r.score != null ? String(r.score) : null);
      return h("article", { class: "review" },
        h("header", { class: "review-head" },
          score ? h("span", { class: "score", "aria-label": `Score: ${score}` }, score) : null,
          h("p", { class: "review-by" },
            h("strong", null, r.author),
            r.publication ? `, ${r.publication}` : null,
            r.date ? h("span", { class: "muted" }, ` · ${formatDate(r.date)}`) : null),
        ),
        body,
        r.url && /^https?:\/\//i.test(r.url) ? h("p", null, h("a", { href: r.url, target: "_blank", rel: "noopener noreferrer nofollow" }, "Read the full review")) : null,
      );
    }),
  );
}

function creditsSection(credits: Credit[]): HTMLElement {
  const groups = new Map<string, Credit[]>();
  for (const c of credits) {
    const list = groups.get(c.role) ?? [];
    if (!list.some((x) => x.person_id === c.person_id && x.character === c.character)) list.push(c);
    groups.set(c.role, list);
  }
  const ordered = [...groups.entries()].sort((a, b) => roleRank(a[0]) - roleRank(b[0]));
  return h("section", { class: "block", "aria-labelledby": "credits-h" },
    h("h2", { id: "credits-h" }, "Credits"),
    h("div", { class: "credit-groups" }, ordered.map(([role, cs]) => h("div", { class: cs.length > 6 ? "credit-group wide" : "credit-group" },
      h("h3", null, roleLabel(role)),
      h("ul", { class: "people" }, cs.map((c) => h("li", null,
        h("a", { href: `/people/${c.person_id}`, class: "person-link" },
          h("span", { class: "person-name" }, c.name),
          c.character ? h("span", { class: "person-char" }, c.character) : null))),
      ),
    ))),
  );
}

function detailsSection(item: ItemDetail): HTMLElement | null {
  const rows: [string, string][] = [];
  if (item.studios.length) rows.push([item.studios.length === 1 ? "Studio" : "Studios", item.studios.join(", ")]);
  if (item.air_date) rows.push([item.kind === "series" ? "First aired" : "Released", formatDate(item.air_date)]);
  if (item.tags.length) rows.push(["Tags", item.tags.join(", ")]);
  const tracks = item.file?.probe?.tracks;
  if (Array.isArray(tracks)) {
    const v = tracks.filter((t) => t.kind === "video").map((t) => [t.codec, t.width && t.height ? `${t.width}×${t.height}` : null].filter(Boolean).join(" "));
    const a = tracks.filter((t) => t.kind === "audio").map((t) => [t.language, t.codec, t.channels ? `${t.channels} ch` : null].filter(Boolean).join(" "));
    if (v.length) rows.push(["Video", v.join(", ")]);
    if (a.length) rows.push(["Audio", a.join(", ")]);
  }
  if (!rows.length) return null;
  return h("section", { class: "block", "aria-labelledby": "details-h" },
    h("h2", { id: "details-h" }, "Details"),
    h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
  );
}

