import { api, type PersonCredit } from "../api";
import { h, roleLabel } from "../dom";
import { art, notice, spinner } from "../components";
import type { PageContext } from "../router";

export async function personPage(main: HTMLElement, ctx: PageContext) {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id)) throw new Error("That is not a valid address.");
  main.append(spinner());
  const p = await api.person(id, ctx.signal);
  if (ctx.signal.aborted) return;
  document.title = `${p.name} · Marquee`;
  const initials = p.name.split(/\s+/).map((w) => w[0]).slice(0, 2).join("");
  main.replaceChildren(h("article", { class: "page person-page" },
    h("div", { class: "person-head" },
      art(p.photo, initials, "portrait", true),
      h("div", null,
        h("p", { class: "eyebrow" }, p.roles.map((r) => roleLabel(r.role, false)).join(" · ") || "Person"),
        h("h1", null, p.name),
        p.biography ? h("p", { class: "synopsis" }, p.biography) : null,
      ),
    ),
    p.roles.length ? p.roles.map((g) => {
      const rows = groupBySeries(g.credits);
      return h("section", { class: "block", "aria-labelledby": `role-${g.role}` },
        h("h2", { id: `role-${g.role}` }, roleLabel(g.role), h("span", { class: "tab-count" }, String(rows.length))),
        h("ul", { class: "credit-list" }, rows.map(creditRow)));
    }) : notice("No credits in this catalog."),
  ));
}

interface Row { href: string; title: string; sub: string; year?: number | null; character?: string | null }

/** A series and its episodes collapse into one row ("Series · 4 episodes"). */
function groupBySeries(credits: PersonCredit[]): Row[] {
  const rows: Row[] = [];
  const bySeries = new Map<number, { row: Row; series: boolean; n: number; chars: Set<string> }>();
  for (const c of credits) {
    const seriesId = c.kind === "series" ? c.item_id : (c.kind === "episode" || c.kind === "season") ? c.series_id : null;
    if (seriesId) {
      let g = bySeries.get(seriesId);
      if (!g) {
        g = { row: { href: `/series/${seriesId}`, title: c.kind === "series" ? c.title : (c.series_title ?? c.title), sub: "", year: c.year }, series: false, n: 0, chars: new Set() };
        bySeries.set(seriesId, g);
        rows.push(g.row);
      }
      if (c.kind === "series") { g.series = true; g.row.title = c.title; if (c.year) g.row.year = c.year; }
      else { g.n++; if (!g.row.year && c.year) g.row.year = c.year; }
      if (c.character) g.chars.add(c.character);
      const lone = g.n === 1 && !g.series ? `Episode: ${c.title}` : null;
      g.row.sub = [g.series || g.n > 1 ? "Series" : null, lone ?? (g.n ? `${g.n} episode${g.n === 1 ? "" : "s"}` : null)].filter(Boolean).join(" · ");
      g.row.character = [...g.chars].join(", ") || null;
    } else {
      const href = c.kind === "movie" ? `/movies/${c.item_id}` : `/items/${c.item_id}`;
      rows.push({ href, title: c.title, sub: c.kind === "movie" ? "Film" : c.kind, year: c.year, character: c.character });
    }
  }
  return rows;
}

function creditRow(r: Row): HTMLElement {
  return h("li", null, h("a", { class: "credit-row", href: r.href },
    h("span", { class: "credit-year" }, r.year ? String(r.year) : "—"),
    h("span", { class: "credit-main" },
      h("span", { class: "credit-title" }, r.title),
      h("span", { class: "muted" }, [r.sub, r.character ? `as ${r.character}` : null].filter(Boolean).join(" · "))),
  ));
}
