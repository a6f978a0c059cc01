import { api, type ListParams } from "../api";
import { h } from "../dom";
import { notice, posterCard, skeletonCards, spinner } from "../components";
import { setQuery, type PageContext } from "../router";

const PAGE = 60;
const SORTS: { value: string; label: string; sort: ListParams["sort"]; order: ListParams["order"] }[] = [
  { value: "title-asc", label: "Title A–Z", sort: "title", order: "asc" },
  { value: "title-desc", label: "Title Z–A", sort: "title", order: "desc" },
  { value: "added-desc", label: "Recently added", sort: "added", order: "desc" },
  { value: "year-desc", label: "Newest first", sort: "year", order: "desc" },
  { value: "year-asc", label: "Oldest first", sort: "year", order: "asc" },
];

export async function browsePage(main: HTMLElement, ctx: PageContext, kind: "series" | "movies") {
  const label = kind === "series" ? "Series" : "Movies";
  document.title = `${label} · Marquee`;
  const q = ctx.query;
  let genre = q.get("genre") ?? "";
  let sortKey = `${q.get("sort") ?? "title"}-${q.get("order") ?? (q.get("sort") === "added" ? "desc" : "asc")}`;
  if (!SORTS.some((s) => s.value === sortKey)) sortKey = "title-asc";

  const genreSel = h("select", { id: "f-genre", name: "genre" }, h("option", { value: "" }, "All genres"));
  const sortSel = h("select", { id: "f-sort", name: "sort" }, SORTS.map((s) => h("option", { value: s.value, selected: s.value === sortKey }, s.label)));
  const count = h("p", { class: "count", "aria-live": "polite" });
  const grid = h("div", { class: "grid", role: "list", "aria-label": label });
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });

  const kindLink = (k: "series" | "movies") => {
    const p = new URLSearchParams(location.search);
    const s = p.toString();
    return h("a", { class: "seg", href: `/${k}${s ? "?" + s : ""}`, "aria-current": k === kind ? "page" : false }, k === "series" ? "Series" : "Movies");
  };

  main.append(h("div", { class: "page" },
    h("div", { class: "page-head" },
      h("h1", null, label),
      h("nav", { class: "segmented", "aria-label": "Kind" }, kindLink("series"), kindLink("movies")),
    ),
    h("form", { class: "toolbar", role: "search", "aria-label": `Filter ${label.toLowerCase()}`, onsubmit: (e: Event) => e.preventDefault() },
      h("div", { class: "field inline" }, h("label", { for: "f-genre" }, "Genre"), genreSel),
      h("div", { class: "field inline" }, h("label", { for: "f-sort" }, "Sort"), sortSel),
      count,
    ),
    grid,
    sentinel,
  ));

  api.genres(ctx.signal).then((gs) => {
    for (const g of gs) genreSel.append(h("option", { value: g.name, selected: g.name === genre }, g.name));
    if (genre && !gs.some((g) => g.name === genre)) genreSel.append(h("option", { value: genre, selected: true }, genre));
  }).catch(() => {});

  let offset = 0;
  let total = Infinity;
  let loading = false;
  let epoch = 0;

  async function loadMore() {
    if (loading || offset >= total) return;
    loading = true;
    const mine = epoch;
    const s = SORTS.find((x) => x.value === sortKey)!;
    const first = offset === 0;
    if (first) grid.replaceChildren(...skeletonCards(12));
    else sentinel.replaceChildren(spinner("Loading more"));
    try {
      const page = await api.list(kind, { genre: genre || undefined, sort: s.sort, order: s.order, offset, limit: PAGE }, ctx.signal);
      if (mine !== epoch) return;
      if (first) grid.replaceChildren();
      total = page.total;
      offset += page.items.length;
      if (page.items.length === 0) total = offset;
      grid.append(...page.items.map((t) => h("div", { role: "listitem" }, posterCard(t))));
      count.textContent = `${total.toLocaleString()} ${kind === "series" ? (total === 1 ? "series" : "series") : total === 1 ? "film" : "films"}${genre ? ` in ${genre}` : ""}`;
      if (total === 0) grid.replaceChildren(notice(genre ? `No ${label.toLowerCase()} in ${genre}.` : `No ${label.toLowerCase()} yet.`));
    } catch (e) {
      if (ctx.signal.aborted || mine !== epoch) return;
      grid.append(notice(e instanceof Error ? e.message : String(e), "error"));
      total = offset;
    } finally {
      if (mine === epoch) { loading = false; sentinel.replaceChildren(); }
    }
    // Keep filling while the sentinel is still on screen (tall screens).
    if (mine === epoch && offset < total && sentinel.getBoundingClientRect().top < innerHeight + 800) void loadMore();
  }

  function reset() {
    epoch++;
    loading = false;
    offset = 0;
    total = Infinity;
    const p = new URLSearchParams();
    if (genre) p.set("genre", genre);
    const [sort, order] = sortKey.split("-");
    if (sortKey !== "title-asc") { p.set("sort", sort); p.set("order", order); }
    setQuery(p);
    for (const a of main.querySelectorAll<HTMLAnchorElement>(".segmented a")) {
      const k = a.getAttribute("href")!.split("?")[0];
      const s = p.toString();
      a.setAttribute("href", `${k}${s ? "?" + s : ""}`);
    }
    void loadMore();
  }

  genreSel.addEventListener("change", () => { genre = genreSel.value; reset(); });
  sortSel.addEventListener("change", () => { sortKey = sortSel.value; reset(); });

  const io = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) void loadMore(); }, { rootMargin: "800px 0px" });
  io.observe(sentinel);
  ctx.onLeave(() => io.disconnect());
  await loadMore();
}
