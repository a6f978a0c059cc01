// History-API routing without hashes: /series/12, /movies/3, /people/5, /watch/7, …
// The server answers unknown non-API paths with index.html.

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  signal: AbortSignal;
  /** Run when the user leaves the page (timers, players, listeners). */
  onLeave(fn: () => void): void;
}
export type PageFn = (main: HTMLElement, ctx: PageContext) => void | Promise<void>;
export interface Route { pattern: RegExp; keys: string[]; page: PageFn; chrome: boolean; title?: string }

const routes: Route[] = [];

export function route(path: string, page: PageFn, opts: { chrome?: boolean } = {}) {
  const keys: string[] = [];
  const pattern = new RegExp(
    "^" + path.replace(/:(\w+)/g, (_, k: string) => { keys.push(k); return "([^/]+)"; }) + "/?$",
  );
  routes.push({ pattern, keys, page, chrome: opts.chrome ?? true });
}

export function match(pathname: string): { route: Route; params: Record<string, string> } | null {
  for (const r of routes) {
    const m = r.pattern.exec(pathname);
    if (m) {
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { route: r, params };
    }
  }
  return null;
}

let renderHook: () => void = () => {};
export function onNavigate(fn: () => void) { renderHook = fn; }

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const here = location.pathname + location.search;
  if (to === here && !opts.replace) return;
  if (opts.replace) history.replaceState({ app: true }, "", to);
  else history.pushState({ app: true }, "", to);
  renderHook();
}

/** Updates the query string without re-rendering the page (filters, search box). */
export function setQuery(q: URLSearchParams) {
  const s = q.toString();
  history.replaceState(history.state, "", location.pathname + (s ? "?" + s : ""));
}

export function startRouter() {
  window.addEventListener("popstate", () => renderHook());
  // Same-origin <a href="/…"> links are handled here, except API/stream links, new-tab clicks and downloads.
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const href = a.getAttribute("href");
    if (!href || !href.startsWith("/") || href.startsWith("//") || /^\/(api|stream)\//.test(href)) return;
    e.preventDefault();
    navigate(href);
  });
}
