// A tiny DOM builder: h("a", { href: "/x", class: "card" }, "text", child).
// Children are text (always set as text, never parsed as HTML) or nodes.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown> & { class?: string; style?: string };

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === "style") {
        // Through the CSSOM: the page's CSP (style-src 'self') refuses style="" attributes.
        el.style.cssText = String(v);
      } else if (k === "dataset") {
        Object.assign(el.dataset, v);
      } else if (v === true) {
        el.setAttribute(k, "");
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Format milliseconds as "1 h 23 min" / "42 min" / "0:42". */
export function formatDuration(ms?: number | null): string {
  if (!ms || ms <= 0) return "";
  const min = Math.round(ms / 60000);
  if (min < 1) return `${Math.round(ms / 1000)} s`;
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

export function formatMinutes(m?: number | null): string {
  return m ? formatDuration(m * 60000) : "";
}

/** Clock format for the player: 1:02:03 or 2:03. */
export function clock(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) sec = 0;
  const s = Math.floor(sec % 60);
  const m = Math.floor(sec / 60) % 60;
  const hh = Math.floor(sec / 3600);
  const mm = hh ? String(m).padStart(2, "0") : String(m);
  return `${hh ? hh + ":" : ""}${mm}:${String(s).padStart(2, "0")}`;
}

export function formatDate(iso?: string | null): string {
  if (!iso) return "";
  const d = new Date(iso.length === 10 ? iso + "T12:00:00" : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" });
}

export function formatUnix(sec?: number | null): string {
  if (!sec) return "";
  const d = new Date(sec > 1e12 ? sec : sec * 1000);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "actor" → "Cast", "director" → "Directed by", other roles title-cased. */
export function roleLabel(role: string, plural = true): string {
  const r = role.toLowerCase();
  const known: Record<string, [string, string]> = {
    actor: ["Cast", "Actor"],
    cast: ["Cast", "Cast"],
    guest: ["Guest stars", "Guest star"],
    guest_star: ["Guest stars", "Guest star"],
    self: ["Featuring", "Self"],
    director: ["Directed by", "Director"],
    writer: ["Written by", "Writer"],
    producer: ["Produced by", "Producer"],
    executive_producer: ["Executive producers", "Executive producer"],
    creator: ["Created by", "Creator"],
    composer: ["Music by", "Composer"],
    cinematographer: ["Cinematography", "Cinematographer"],
    editor: ["Edited by", "Editor"],
  };
  const k = known[r];
  if (k) return plural ? k[0] : k[1];
  const t = role.replace(/[_-]+/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** The order credit groups are shown in on an item page. */
export function roleRank(role: string): number {
  const order = ["creator", "director", "writer", "actor", "cast", "self", "guest", "guest_star", "producer", "executive_producer", "composer", "cinematographer", "editor"];
  const i = order.indexOf(role.toLowerCase());
  return i < 0 ? order.length : i;
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: number | undefined;
  return (...a: A) => {
    clearTimeout(t);
    t = window.setTimeout(() => fn(...a), ms);
  };
}
