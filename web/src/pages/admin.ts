import { api, session, type ScanStatus, type User } from "../api";
import { formatUnix, h } from "../dom";
import { errorText, notice, setMsg, twoStepButton } from "../components";
import type { PageContext } from "../router";
import { plansPanel } from "./admin-plans";

export async function adminPage(main: HTMLElement, ctx: PageContext) {
  document.title = "Admin · Marquee";
  const page = h("div", { class: "page admin" }, h("h1", null, "Administration"), h("p", null, h("a", { href: "/admin/transcode" }, "Transcoding ladders →")));
  main.append(page);
  if (session.user && !session.user.is_admin) {
    page.append(notice("This page is for administrators."));
    return;
  }
  const { signal } = ctx;
  const libs = h("section", { class: "card-panel", "aria-labelledby": "libs-h" }, h("h2", { id: "libs-h" }, "Libraries"));
  const scan = h("section", { class: "card-panel", "aria-labelledby": "scan-h" });
  const fails = h("section", { class: "card-panel", "aria-labelledby": "fails-h" }, h("h2", { id: "fails-h" }, "Files that failed"));
  const users = h("section", { class: "card-panel", "aria-labelledby": "users-h" }, h("h2", { id: "users-h" }, "Users"));
  const health = h("section", { class: "card-panel", "aria-labelledby": "health-h" }, h("h2", { id: "health-h" }, "Server"));
  page.append(h("div", { class: "admin-grid" }, scan, libs), h("div", { class: "admin-grid" }, health, fails), users);
  const plans = plansPanel(signal);
  page.append(plans.el);

  // Server health: /healthz, and how long it takes to answer from here.
  const healthFacts = h("dl", { class: "facts", id: "health" });
  health.append(healthFacts);
  async function loadHealth() {
    const t0 = performance.now();
    try {
      const hz = await api.health(signal);
      const ms = Math.round(performance.now() - t0);
      healthFacts.replaceChildren(
        h("dt", null, "Status"), h("dd", null, h("span", { class: hz.status === "ok" ? "status-ok" : "status-bad" }, hz.status === "ok" ? "Healthy" : hz.status)),
        h("dt", null, "Version"), h("dd", null, hz.version),
        h("dt", null, "Answers in"), h("dd", null, `${ms} ms`),
      );
    } catch (e) {
      if (!signal.aborted) healthFacts.replaceChildren(h("dt", null, "Status"), h("dd", null, h("span", { class: "status-bad" }, e instanceof Error ? e.message : "unreachable")));
    }
  }
  void loadHealth();
  const healthTimer = window.setInterval(() => void loadHealth(), 30_000);
  ctx.onLeave(() => clearInterval(healthTimer));

  const err = (box: HTMLElement, e: unknown) => { if (!signal.aborted) box.append(notice(e instanceof Error ? e.message : String(e), "error")); };

  // Libraries
  async function loadLibraries() {
    const list = await api.admin.libraries(signal);
    libs.querySelector(".table-wrap")?.remove();
    libs.append(list.length ? h("div", { class: "table-wrap" }, h("table", null,
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Library"), h("th", { scope: "col", class: "num" }, "Files"), h("th", { scope: "col", class: "num" }, "Failed"), h("th", { scope: "col", class: "num" }, "Missing"))),
      h("tbody", null, list.map((l) => h("tr", null,
        h("th", { scope: "row" }, h("span", { class: "lib-name" }, l.name), h("span", { class: "lib-root" }, l.root)),
        h("td", { class: "num" }, l.files.toLocaleString()),
        h("td", { class: `num ${l.failed ? "warn" : ""}` }, l.failed.toLocaleString()),
        h("td", { class: "num" }, l.missing.toLocaleString())))),
    )) : h("div", { class: "table-wrap" }, notice("No libraries yet. Start the server with --media FOLDER.")));
  }

  // Scan progress
  const bar = h("progress", { max: "1", value: "0", "aria-labelledby": "scan-phase" });
  const phase = h("p", { id: "scan-phase", class: "scan-phase" });
  const counts = h("p", { class: "muted scan-counts" });
  const currentFile = h("p", { class: "scan-current", title: "" });
  const scanBtn = h("button", { class: "btn btn-primary", type: "button" }, "Scan now");
  const scanMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const recent = h("div", { class: "recent" });
  scan.append(
    h("div", { class: "panel-head" }, h("h2", { id: "scan-h" }, "Scan"), scanBtn),
    h("div", { class: "scan-live", "aria-live": "polite" }, phase, bar, counts, currentFile),
    scanMsg, recent,
  );

  let timer: number | undefined;
  let wasRunning = false;
  ctx.onLeave(() => clearTimeout(timer));

  function renderScan(s: ScanStatus) {
    const p = s.progress;
    scanBtn.disabled = p.running;
    scanBtn.textContent = p.running ? "Scanning…" : "Scan now";
    const total = Math.max(p.to_process, p.processed);
    if (p.running) {
      phase.textContent = `Scanning: ${p.phase}`;
      if (total > 0) { bar.max = total; bar.value = p.processed; } else bar.removeAttribute("value");
      bar.hidden = false;
      counts.textContent = `${p.found.toLocaleString()} found · ${p.processed.toLocaleString()} of ${total.toLocaleString()} processed · ${p.failed.toLocaleString()} failed`;
      currentFile.textContent = p.current;
      currentFile.title = p.current;
    } else {
      phase.textContent = "Idle";
      bar.hidden = true;
      counts.textContent = "";
      currentFile.textContent = "";
    }
    const last = s.recent.slice(0, 5);
    recent.replaceChildren(last.length ? h("div", { class: "table-wrap" }, h("table", { "aria-label": "Recent scans" },
      // Moved and Unchanged (columns 3 and 5) make way on phones.
      h("thead", null, h("tr", null, ...["Finished", "Added", "Updated", "Moved", "Removed", "Unchanged", "Failed"].map((t, i) => h("th", { scope: "col", class: `${i ? "num" : ""}${i === 3 || i === 5 ? " minor" : ""}` }, t)))),
      h("tbody", null, last.map((r) => {
        const sm = r.summary;
        return h("tr", null,
          h("td", null, r.finished_at ? formatUnix(r.finished_at) : "running"),
          ...[sm?.added, sm?.updated, sm?.moved, sm?.removed, sm?.unchanged, sm?.failed?.length].map((n, i) => h("td", { class: `num${i === 2 || i === 4 ? " minor" : ""}` }, n == null ? "—" : n.toLocaleString())),
        );
      })),
    )) : h("p", { class: "muted" }, "No scans yet."));
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const s = await api.admin.scan(signal);
      if (signal.aborted) return;
      renderScan(s);
      if (wasRunning && !s.progress.running) { void loadLibraries().catch(() => {}); void loadFailures().catch(() => {}); }
      wasRunning = s.progress.running;
      if (s.progress.running) timer = window.setTimeout(poll, 500);
      else timer = window.setTimeout(poll, 15000);
    } catch (e) {
      if (!signal.aborted) { scanMsg.textContent = e instanceof Error ? e.message : String(e); timer = window.setTimeout(poll, 5000); }
    }
  }

  scanBtn.addEventListener("click", async () => {
    scanBtn.disabled = true;
    scanMsg.textContent = "";
    try {
      await api.admin.startScan();
      scanMsg.textContent = "Scan started.";
    } catch (e) {
      scanMsg.textContent = e instanceof Error ? e.message : String(e);
    }
    wasRunning = true;
    void poll();
  });

  // Failures
  async function loadFailures() {
    const list = await api.admin.failures(signal);
    fails.querySelector(".table-wrap, .muted")?.remove();
    fails.append(list.length ? h("div", { class: "table-wrap" }, h("table", null,
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "File"), h("th", { scope: "col" }, "Reason"))),
      h("tbody", null, list.map((f) => h("tr", null, h("td", { class: "path" }, f.path), h("td", null, f.error)))),
    )) : h("p", { class: "muted" }, "No failed files."));
  }

  // Users
  const userList = h("div", { class: "table-wrap" });
  // What a row's action did, under the table.
  const rowMsg = h("p", { id: "user-msg", class: "form-msg", role: "status", "aria-live": "polite" });
  const me = session.user?.id;
  // One change to one account, then the list again (the server says what it became).
  const act = async (button: HTMLButtonElement, run: () => Promise<string>) => {
    button.disabled = true;
    try {
      setMsg(rowMsg, await run(), true);
      renderUsers(await api.admin.users(signal));
    } catch (e) {
      button.disabled = false;
      setMsg(rowMsg, errorText(e), false);
    }
  };
  const userActions = (u: User) => {
    const name = u.username;
    const toggle = h("button", { class: "btn btn-small", type: "button", "aria-label": `${u.disabled ? "Enable" : "Disable"} ${name}` },
      u.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", () => void act(toggle, async () => {
      await api.admin.changeUser(u.id, { disabled: !u.disabled });
      return u.disabled ? `${name} can sign in again.` : `${name} is disabled and signed out everywhere.`;
    }));
    const role = h("button", { class: "btn btn-small", type: "button", "aria-label": `${u.is_admin ? "Make viewer" : "Make administrator"}: ${name}` },
      u.is_admin ? "Make viewer" : "Make administrator");
    role.addEventListener("click", () => void act(role, async () => {
      await api.admin.changeUser(u.id, { is_admin: !u.is_admin });
      return u.is_admin ? `${name} is a viewer now.` : `${name} is an administrator now.`;
    }));
    // Resetting signs the user out everywhere: the first press only asks.
    const reset: HTMLButtonElement = twoStepButton({
      text: "Reset password", label: `Reset the password of ${name}`,
      confirmText: "Confirm reset", confirmLabel: `Confirm resetting the password of ${name}`,
      run: () => act(reset, async () => {
        const { password } = await api.admin.resetPassword(u.id);
        return `New password for ${name}: ${password} (signed out everywhere; they can change it under Account).`;
      }),
    });
    // Nobody disables or demotes themselves from here (the server also keeps one administrator).
    return u.id === me ? [reset] : [toggle, role, reset];
  };
  const renderUsers = (list: User[]) => userList.replaceChildren(h("table", null,
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, "Actions"))),
    h("tbody", null, list.map((u) => h("tr", { "data-user": u.username },
      h("td", null, u.username, u.disabled ? h("span", { class: "muted" }, " (disabled)") : null),
      h("td", null, u.is_admin ? "Administrator" : "Viewer"),
      h("td", null, formatUnix(u.created_at)),
      h("td", null, h("div", { class: "row-actions" }, ...userActions(u))),
    ))),
  ));
  const nu = h("input", { id: "nu-name", autocomplete: "off", required: true, autocapitalize: "none", spellcheck: "false" });
  const np = h("input", { id: "nu-pass", type: "password", autocomplete: "new-password", required: true, minlength: "8" });
  const na = h("input", { id: "nu-admin", type: "checkbox" });
  const umsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const uform = h("form", { class: "inline-form", "aria-label": "Create a user" },
    h("div", { class: "field" }, h("label", { for: "nu-name" }, "User name"), nu),
    h("div", { class: "field" }, h("label", { for: "nu-pass" }, "Password (8+ characters)"), np),
    h("div", { class: "field check" }, na, h("label", { for: "nu-admin" }, "Administrator")),
    h("button", { class: "btn btn-primary", type: "submit" }, "Create user"),
  );
  uform.addEventListener("submit", async (e) => {
    e.preventDefault();
    umsg.className = "form-msg";
    try {
      const u = await api.admin.createUser(nu.value.trim(), np.value, na.checked);
      umsg.textContent = `Created ${u.username}.`;
      umsg.classList.add("form-ok");
      uform.reset();
      renderUsers(await api.admin.users(signal));
      void plans.reload().catch(() => {});
    } catch (err) {
      umsg.textContent = err instanceof Error ? err.message : String(err);
      umsg.classList.add("form-error");
    }
  });
  users.append(userList, rowMsg, h("h3", null, "Create a user"), uform, umsg);

  await Promise.all([
    loadLibraries().catch((e) => err(libs, e)),
    poll(),
    loadFailures().catch((e) => err(fails, e)),
    api.admin.users(signal).then(renderUsers).catch((e) => err(users, e)),
    plans.ready,
  ]);
}
