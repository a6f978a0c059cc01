import { api, type PersonSummary, type TitleSummary } from "../api";
import { debounce, h } from "../dom";
import { icons, notice, posterCard } from "../components";
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
      const [s, m, p] = await Promise.all([
        api.list("series", { q, limit: 24 }, signal),
        api.list("movies", { q, limit: 24 }, signal),
        api.people(q, 24, signal),
      ]);
      if (ac.signal.aborted) return;
      render(q, s.items, s.total, m.items, m.total, p.items, p.total);
    } catch (e) {
      if (ac.signal.aborted || ctx.signal.aborted) return;
      status.textContent = "";
      results.replaceChildren(notice(e instanceof Error ? e.message : String(e), "error"));
    }
  }

  function render(q: string, series: TitleSummary[], st: number, movies: TitleSummary[], mt: number, people: PersonSummary[], pt: number) {
    const n = st + mt + pt;
    status.textContent = n ? `${n.toLocaleString()} result${n === 1 ? "" : "s"} for “${q}”` : `Nothing found for “${q}”`;
    const section = (title: string, total: number, body: HTMLElement) =>
      h("section", { class: "block", "aria-label": title }, h("h2", null, title, h("span", { class: "tab-count" }, total.toLocaleString())), body);
    results.replaceChildren(
      series.length ? section("Series", st, h("div", { class: "grid", role: "list" }, series.map((t) => h("div", { role: "listitem" }, posterCard(t))))) : "",
      movies.length ? section("Movies", mt, h("div", { class: "grid", role: "list" }, movies.map((t) => h("div", { role: "listitem" }, posterCard(t))))) : "",
      people.length ? section("People", pt, h("ul", { class: "people-results" }, people.map((p) => h("li", null,
        h("a", { class: "person-chip", href: `/people/${p.id}` }, h("span", { class: "person-initials", "aria-hidden": "true" }, p.name.split(/\s+/).map((w) => w[0]).slice(0, 2).join("")),
          h("span", null, h("span", { class: "person-name" }, p.name), h("span", { class: "person-char" }, `${p.credit_count} credit${p.credit_count === 1 ? "" : "s"}`))))))) : "",
    );
  }

  const debounced = debounce(run, 150);
  input.addEventListener("input", () => debounced(input.value));
  input.focus();
  if (input.value) void run(input.value);
}
