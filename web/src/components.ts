import { h, type Child } from "./dom";
import { blurhashUrl, lazyImage } from "./images";
import type { ContinueItem, Locked, TitleSummary } from "./api";
import { clock } from "./dom";

/** What an error says, for a status line. */
export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Puts `text` in a form's status line, as good news or bad. */
export function setMsg(el: HTMLElement, text: string, ok: boolean) {
  el.textContent = text;
  el.className = `form-msg ${ok ? "form-ok" : "form-error"}`;
}

/**
 * A button for what cannot be undone: the first click only asks ("Confirm …" for five seconds),
 * the second runs it. `run` reports its own errors.
 */
export function twoStepButton(o: {
  text: string; label: string; confirmText: string; confirmLabel: string; run: () => Promise<void>;
}): HTMLButtonElement {
  const b = h("button", { class: "btn btn-small", type: "button", "aria-label": o.label }, o.text);
  let armed: number | undefined;
  const disarm = () => {
    armed = undefined;
    b.textContent = o.text;
    b.setAttribute("aria-label", o.label);
    b.classList.remove("btn-danger");
  };
  b.addEventListener("click", async () => {
    if (armed === undefined) {
      b.textContent = o.confirmText;
      b.setAttribute("aria-label", o.confirmLabel);
      b.classList.add("btn-danger");
      armed = window.setTimeout(disarm, 5000);
      return;
    }
    window.clearTimeout(armed);
    b.disabled = true;
    try {
      await o.run();
    } finally {
      b.disabled = false;
      disarm();
    }
  });
  return b;
}

export function hrefFor(kind: string, id: number): string {
  if (kind === "series") return `/series/${id}`;
  if (kind === "movie") return `/movies/${id}`;
  return `/watch/${id}`;
}

/**
 * A fixed-ratio artwork box: placeholder colour + initials — or the image's blurhash, when the
 * server has one — until the image arrives.
 */
export function art(url: string | null | undefined, label: string, cls: string, eager = false, blurhash?: string | null): HTMLElement {
  const hashUrl = url && blurhash ? blurhashUrl(blurhash) : null;
  const box = h("div", { class: `art ${cls}` + (url ? "" : " art-missing") + (hashUrl ? " art-hashed" : ""), "aria-hidden": "true" },
    hashUrl ? null : h("span", { class: "art-fallback" }, label),
  );
  if (hashUrl) box.style.backgroundImage = `url("${hashUrl}")`;
  if (url) box.appendChild(lazyImage(url, "", eager));
  return box;
}

export function metaLine(parts: (string | number | null | undefined | false)[]): string {
  return parts.filter((p) => p !== null && p !== undefined && p !== false && p !== "").join(" · ");
}

/** A 2:3 poster card linking to the title. */
export function posterCard(t: TitleSummary): HTMLElement {
  const sub = metaLine([
    t.year,
    t.kind === "series" && t.episode_count ? `${t.episode_count} episode${t.episode_count === 1 ? "" : "s"}` : null,
    t.kind === "movie" && t.runtime_minutes ? `${t.runtime_minutes} min` : null,
  ]);
  return h("a", { class: "card", href: hrefFor(t.kind, t.id), "aria-label": `${t.title}${t.year ? ` (${t.year})` : ""}${t.kind === "series" ? ", series" : ", film"}${t.locked ? `, ${lockedText(t.locked)}` : ""}` },
    h("div", { class: "card-art" }, art(t.poster, t.title, "poster"), t.locked ? h("span", { class: "lock-badge", "aria-hidden": "true" }, icons.lock()) : null),
    h("span", { class: "card-title", title: t.title }, t.title),
    h("span", { class: "card-sub" }, sub),
  );
}

/** "locked: in Premium or Family" — for labels and notices. */
export function lockedText(l: Locked): string {
  const plans = l.plans.map((p) => p.name);
  return plans.length ? `locked: in ${plans.length === 1 ? plans[0] : `${plans.slice(0, -1).join(", ")} or ${plans[plans.length - 1]}`}` : "locked";
}

/** A 16:9 card to resume an episode or a film, with how far it got. */
export function continueCard(c: ContinueItem): HTMLElement {
  const label = c.kind === "episode" ? `S${c.season_number ?? "?"} · E${c.episode_number ?? "?"}  ${c.title}` : c.title;
  const pct = c.duration_ms && c.resume_ms > 0 ? Math.min(100, (c.resume_ms / c.duration_ms) * 100) : 0;
  const left = c.duration_ms && c.resume_ms > 0 ? `${clock((c.duration_ms - c.resume_ms) / 1000)} left` : c.reason === "next" ? "Next episode" : "";
  return h("a", { class: "card card-wide", href: `/watch/${c.item_id}`, "aria-label": `${c.reason === "next" ? "Play" : "Resume"} ${c.series_title ? `${c.series_title}, ` : ""}${label}${left ? `, ${left}` : ""}` },
    h("div", { class: "card-art" },
      art(c.image ?? c.poster, c.series_title ?? c.title, "still"),
      pct > 0 ? h("span", { class: "progress", "aria-hidden": "true" }, h("span", { style: `width: ${pct.toFixed(1)}%` })) : null),
    h("span", { class: "card-title" }, c.series_title ?? c.title),
    h("span", { class: "card-sub" }, metaLine([c.series_title ? label : null, left])),
  );
}

/** A horizontal rail of cards with a heading (and an optional "see all" link); `wide` for 16:9 cards. */
export function rail(title: string, opts: { href?: string; id?: string; wide?: boolean } = {}): { section: HTMLElement; track: HTMLElement } {
  const headingId = opts.id ? `${opts.id}-h` : `rail-${Math.random().toString(36).slice(2, 8)}`;
  const track = h("div", { class: "rail-track", role: "list" });
  const scrollBy = (dir: number) => track.scrollBy({ left: dir * track.clientWidth * 0.85, behavior: "smooth" });
  const section = h("section", { class: opts.wide ? "rail rail-wide" : "rail", id: opts.id, "aria-labelledby": headingId },
    h("div", { class: "rail-head" },
      h("h2", { id: headingId }, title),
      opts.href ? h("a", { class: "rail-more", href: opts.href, "aria-label": `See all: ${title}` }, "See all") : null,
    ),
    h("div", { class: "rail-body" },
      h("button", { class: "rail-arrow prev", tabindex: "-1", "aria-hidden": "true", onclick: () => scrollBy(-1) }, "‹"),
      track,
      h("button", { class: "rail-arrow next", tabindex: "-1", "aria-hidden": "true", onclick: () => scrollBy(1) }, "›"),
    ),
  );
  return { section, track };
}

export function fillRail(track: HTMLElement, items: TitleSummary[]) {
  track.replaceChildren(...items.map((t) => h("div", { role: "listitem" }, posterCard(t))));
}

export function skeletonCards(n: number): HTMLElement[] {
  return Array.from({ length: n }, () =>
    h("div", { role: "listitem", "aria-hidden": "true" }, h("div", { class: "card skeleton" }, h("div", { class: "art poster" }), h("span", { class: "card-title" }, "\u00a0"), h("span", { class: "card-sub" }, "\u00a0"))),
  );
}

export function notice(text: string, kind: "info" | "error" = "info", ...extra: Child[]): HTMLElement {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, h("p", null, text), ...extra);
}

export function spinner(label = "Loading"): HTMLElement {
  return h("div", { class: "loading", role: "status", "aria-live": "polite" }, h("span", { class: "spin", "aria-hidden": "true" }), h("span", { class: "sr-only" }, label));
}

export function chips(items: string[], hrefOf?: (s: string) => string): HTMLElement | null {
  if (!items.length) return null;
  return h("ul", { class: "chips" }, items.map((g) => h("li", null, hrefOf ? h("a", { class: "chip", href: hrefOf(g) }, g) : h("span", { class: "chip" }, g))));
}

export const icons = {
  play: () => svg("M8 5v14l11-7z"),
  back: () => svg("M20 11H7.83l5.59-5.59L12 4l-8 8 8 8 1.41-1.41L7.83 13H20z"),
  search: () => svg("M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14"),
  pause: () => svg("M6 19h4V5H6zm8-14v14h4V5z"),
  volume: () => svg("M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05c1.48-.73 2.5-2.25 2.5-4.02"),
  muted: () => svg("M16.5 12A4.5 4.5 0 0 0 14 7.97v2.21l2.45 2.45c.03-.2.05-.41.05-.63m2.5 0c0 .94-.2 1.82-.54 2.64l1.51 1.51A8.8 8.8 0 0 0 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71M4.27 3 3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06a9 9 0 0 0 3.69-1.81L19.73 21 21 19.73l-9-9zM12 4 9.91 6.09 12 8.18z"),
  fullscreen: () => svg("M7 14H5v5h5v-2H7zm-2-4h2V7h3V5H5zm12 7h-3v2h5v-5h-2zM14 5v2h3v3h2V5z"),
  lock: () => strokeIcon(["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 7 0v3"]),
  plus: () => strokeIcon(["M12 5v14M5 12h14"]),
  check: () => strokeIcon(["M5 12.5l4.5 4.5L19 7.5"]),
  thumbUp: () => strokeIcon(["M7 10v10H4V10z", "M7 10l4-7c1.5 0 2.5 1 2.2 2.6L12.6 9H19a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.8 20H7"]),
  thumbDown: () => strokeIcon(["M7 14V4H4v10z", "M7 14l4 7c1.5 0 2.5-1 2.2-2.6l-.6-3.4H19a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.8 4H7"]),
  exitFullscreen: () => strokeIcon(["M9 4v5H4", "M15 4v5h5", "M9 20v-5H4", "M15 20v-5h5"]),
  skipNext: () => svg("M5 6v12l9-6zM16 6h3v12h-3z"),
  subtitles: () => strokeIcon(["M5 5h14a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z", "M7 12h3M12 12h5M7 15.5h7M16 15.5h1"]),
  replay10: () => strokeIcon(["M6.2 8.5A8 8 0 1 1 4 13", "M6.5 3.5v5h5"], "10"),
  forward10: () => strokeIcon(["M17.8 8.5A8 8 0 1 0 20 13", "M17.5 3.5v5h-5"], "10"),
};

/** A line-drawn icon (round caps), with optional small centred text such as "10". */
function strokeIcon(paths: string[], text?: string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  s.setAttribute("class", "icon icon-line");
  for (const d of paths) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    s.appendChild(p);
  }
  if (text) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", "12");
    t.setAttribute("y", "16.2");
    t.setAttribute("text-anchor", "middle");
    t.textContent = text;
    s.appendChild(t);
  }
  return s;
}

function svg(d: string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("viewBox", "0 0 24 24");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  s.setAttribute("class", "icon");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", d);
  s.appendChild(p);
  return s;
}
