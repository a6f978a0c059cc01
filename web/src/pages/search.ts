import { api, type SearchHit, type SearchResults, type TitleSummary } from "../api";
import { debounce, h } from "../dom";
import { art, hrefFor, icons, notice, posterCard } from "../components";
import { setQuery, type PageContext } from "../router";

export function searchPage(main: HTMLElement, ctx: PageContext) {
  document.title = "Search · Marquee";
  const input = h("input", {
    id: "search-q", type: "search", name: "q", placeholder: "Titles, people…", autocomplete: "off", spellcheck: "false",
    "aria-describedby": "search-status", value: ctx.query.get("q") ?? "", enterkeyhint: "search",
  });
  const status = h("p", { id: "search-status", class: "count", "aria-live": "polite" });
  const results = h("div", { class: "search-results" });
  main.append(h("div", { class: "page" },
    h("h1", { class: "sr-only" }, "Search"),
    h("form", { class: "search-box", role: "search", onsubmit: (e: Event) => { e.preventDefault(); run(input.value); } },
      h("label", { for: "search-q", class: "sr-only" }, "Search the catalog"),
      icons.search(), input),
    status, results,
  ));

  let current: AbortController | null = null;
  ctx.onLeave(() => current?.abort());

  async function run(raw: string) {
    const q = raw.trim();
    const p = new URLSearchParams();
    if (q) p.set("q", q);
    setQuery(p);
    current?.abort();
    if (!q) { results.replaceChildren(); status.textContent = ""; return; }
    const ac = new AbortController();
    current = ac;
    const signal = typeof AbortSignal.any === "function" ? AbortSignal.any([ac.signal, ctx.signal]) : ac.signal;
    status.textContent = "Searching…";
    try {
      // A trailing space tells the server the last word is finished (no longer a prefix).
      const found = await api.search(raw.trimStart(), 24, signal);
      if (ac.signal.aborted) return;
      render(q, found);
    } catch (e) {
      if (ac.signal.aborted || ctx.signal.aborted) return;
      status.textContent = "";
      results.replaceChildren(notice(e instanceof Error ? e.message : String(e), "error"));
    }
  }

  /** Series and movies as poster cards (the listing's shape, from what a hit carries). */
  const card = (hit: SearchHit) => posterCard({
    id: hit.id, kind: hit.kind, title: hit.title, year: hit.year, poster: hit.image, genres: [], added_at: 0,
  } as TitleSummary);

  const hitRow = (href: string, hit: SearchHit, imageClass: string | null, extra?: string | null) =>
    h("li", null, h("a", { class: "search-hit", href },
      imageClass ? art(hit.image, hit.title, imageClass) : "",
      h("span", { class: "search-hit-text" },
        h("span", { class: "search-hit-title" }, hit.title),
        hit.subtitle ? h("span", { class: "search-hit-sub" }, hit.subtitle) : "",
        extra ? h("span", { class: "search-hit-excerpt" }, extra) : "")));

  const reviewHref = (hit: SearchHit) =>
    hit.item_kind === "series" || hit.item_kind === "movie" ? hrefFor(hit.item_kind, hit.item_id ?? 0)
      : hit.series_id ? `/series/${hit.series_id}` : hrefFor(hit.item_kind ?? "", hit.item_id ?? 0);

  function render(q: string, r: SearchResults) {
    const n = r.series.length + r.movies.length + r.episodes.length + r.people.length + r.reviews.length;
    status.textContent = n ? `${n.toLocaleString()} result${n === 1 ? "" : "s"} for “${q}”` : `Nothing found for “${q}”`;
    const section = (title: string, hits: SearchHit[], body: HTMLElement) => hits.length
      ? h("section", { class: "block", "aria-label": title }, h("h2", null, title, h("span", { class: "tab-count" }, hits.length.toLocaleString())), body)
      : "";
    results.replaceChildren(
      section("Series", r.series, h("div", { class: "grid", role: "list" }, r.series.map((t) => h("div", { role: "listitem" }, card(t))))),
      section("Movies", r.movies, h("div", { class: "grid", role: "list" }, r.movies.map((t) => h("div", { role: "listitem" }, card(t))))),
      section("Episodes", r.episodes, h("ul", { class: "search-hits" }, r.episodes.map((e) => hitRow(hrefFor("episode", e.id), e, "still")))),
      section("People", r.people, h("ul", { class: "people-results" }, r.people.map((p) => h("li", null,
        h("a", { class: "person-chip", href: `/people/${p.id}` }, h("span", { class: "person-initials", "aria-hidden": "true" }, p.title.split(/\s+/).map((w) => w[0]).slice(0, 2).join("")),
          h("span", null, h("span", { class: "person-name" }, p.title), p.subtitle ? h("span", { class: "person-char" }, p.subtitle) : "")))))),
      section("Reviews", r.reviews, h("ul", { class: "search-hits" }, r.reviews.map((v) => hitRow(reviewHref(v), v, null, v.excerpt)))),
    );
  }

  const debounced = debounce(run, 150);
  input.addEventListener("input", () => debounced(input.value));
  input.focus();
  if (input.value) void run(input.value);
}
