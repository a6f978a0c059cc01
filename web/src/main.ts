import "./styles.css";
import { api, session, setUnauthorizedHandler, USER_CHANGED } from "./api";
import { h, clear } from "./dom";
import { icons, notice } from "./components";
import { resetImageQueue } from "./images";
import { match, navigate, onNavigate, route, startRouter, type PageContext } from "./router";
import { installSpatialNavigation } from "./spatial";
import { loginPage } from "./pages/login";
import { homePage } from "./pages/home";
import { browsePage } from "./pages/browse";
import { titlePage } from "./pages/title";
import { personPage } from "./pages/person";
import { searchPage } from "./pages/search";
import { accountPage } from "./pages/account";
import { adminPage } from "./pages/admin";
import { transcodePage } from "./pages/transcode";
import { watchPage } from "./pages/watch";
import { profilesPage } from "./pages/profiles";

route("/", homePage);
route("/login", loginPage, { chrome: false });
route("/series", (m, c) => browsePage(m, c, "series"));
route("/movies", (m, c) => browsePage(m, c, "movies"));
route("/series/:id", (m, c) => titlePage(m, c, "series"));
route("/movies/:id", (m, c) => titlePage(m, c, "movies"));
route("/items/:id", (m, c) => titlePage(m, c, "items"));
route("/people/:id", personPage);
route("/search", searchPage);
route("/account", accountPage);
route("/profiles", profilesPage, { chrome: false });
route("/admin", adminPage);
route("/admin/transcode", transcodePage);
route("/watch/:id", watchPage, { chrome: false });

const app = document.getElementById("app")!;
const header = buildHeader();
const main = h("main", { id: "main", tabindex: "-1" });
let leave: (() => void)[] = [];
let controller: AbortController | null = null;

function buildHeader(): HTMLElement {
  const link = (href: string, label: string, extra: Record<string, string> = {}) =>
    h("a", { class: "nav-link", href, "data-nav": href, ...extra }, label);
  return h("header", { class: "top" },
    h("a", { class: "brand", href: "/", "aria-label": "Marquee, home" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "M"), h("span", { class: "brand-word" }, "Marquee")),
    h("nav", { "aria-label": "Main" },
      h("ul", null,
        h("li", null, link("/", "Home")),
        h("li", null, link("/series", "Series")),
        h("li", null, link("/movies", "Movies")),
        h("li", { class: "nav-admin", hidden: true }, link("/admin", "Admin")),
      ),
    ),
    h("div", { class: "top-right" },
      h("a", { class: "nav-icon", href: "/search", "data-nav": "/search", "aria-label": "Search" }, icons.search(), h("span", { class: "nav-icon-label" }, "Search")),
      h("a", { class: "avatar", href: "/account", "data-nav": "/account", "aria-label": "Account" }, ""),
    ),
  );
}

function updateHeader() {
  const user = session.user;
  const adminLi = header.querySelector<HTMLElement>(".nav-admin")!;
  adminLi.hidden = !user?.is_admin;
  const avatar = header.querySelector<HTMLElement>(".avatar")!;
  avatar.textContent = (user?.username ?? "?").slice(0, 1).toUpperCase();
  // A password someone else chose (first start, an administrator's reset): a dot asks for one.
  const choose = !!user?.must_change_password;
  avatar.classList.toggle("attention", choose);
  avatar.setAttribute("aria-label", user ? `Account: ${user.username}${choose ? ", choose your own password" : ""}` : "Account");
  const path = location.pathname;
  for (const a of header.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    const target = a.dataset.nav!;
    const current = target === "/" ? path === "/" : path === target || path.startsWith(target + "/");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function render() {
  for (const fn of leave) { try { fn(); } catch { /* ignore */ } }
  leave = [];
  controller?.abort();
  controller = new AbortController();
  resetImageQueue();

  const path = location.pathname;
  const m = match(path);
  if (!session.signedIn && path !== "/login") {
    const next = path + location.search;
    navigate(`/login${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`, { replace: true });
    return;
  }
  const chrome = m ? m.route.chrome : true;
  document.body.classList.toggle("no-chrome", !chrome);
  document.body.removeAttribute("data-no-spatial");
  if (chrome) { if (!header.isConnected) app.prepend(header); updateHeader(); }
  else header.remove();
  if (!main.isConnected) app.appendChild(main);
  clear(main);
  main.className = "";
  document.title = "Marquee";
  window.scrollTo(0, 0);

  const ctx: PageContext = {
    params: m?.params ?? {},
    query: new URLSearchParams(location.search),
    signal: controller.signal,
    onLeave: (fn) => leave.push(fn),
  };
  if (!m) {
    main.append(h("div", { class: "page narrow" }, h("h1", null, "Not found"), notice("There is nothing at this address."), h("p", null, h("a", { class: "btn", href: "/" }, "Go home"))));
    return;
  }
  try {
    await m.route.page(main, ctx);
  } catch (e) {
    if (ctx.signal.aborted) return;
    console.error(e);
    clear(main);
    main.append(h("div", { class: "page narrow" }, h("h1", null, "Something went wrong"), notice(e instanceof Error ? e.message : String(e), "error"), h("p", null, h("a", { class: "btn", href: "/" }, "Go home"))));
  }
  // Move focus to the new page for screen readers and remotes (pages may have focused something already).
  if (document.activeElement === document.body || !document.activeElement || header.contains(document.activeElement) && !chrome) {
    main.focus({ preventScroll: true });
  }
}

setUnauthorizedHandler(() => {
  if (location.pathname === "/login") return;
  const next = location.pathname + location.search;
  navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
});

onNavigate(() => void render());
window.addEventListener(USER_CHANGED, () => { if (header.isConnected) updateHeader(); });
startRouter();
installSpatialNavigation();
void render();

// Refresh who we are in the background (role changes, expired sessions).
if (session.signedIn) {
  api.me().then((u) => { session.setUser(u); updateHeader(); }).catch(() => {});
}
