import { api, session } from "../api";
import { notice } from "../components";
import { h } from "../dom";
import { navigate, type PageContext } from "../router";

export function accountPage(main: HTMLElement, ctx: PageContext) {
  document.title = "Account · Marquee";
  const user = session.user;
  const who = h("dl", { class: "facts" },
    h("dt", null, "User name"), h("dd", { id: "acct-name" }, user?.username ?? "—"),
    h("dt", null, "Role"), h("dd", { id: "acct-role" }, user?.is_admin ? "Administrator" : "Viewer"),
  );
  // Shown while the password is one someone else chose (first start, an administrator's reset).
  const choose = notice("You signed in with a password you were given. Choose your own below.");
  choose.id = "pw-choose";
  choose.hidden = !user?.must_change_password;
  api.me(ctx.signal).then((u) => {
    session.setUser(u);
    who.querySelector("#acct-name")!.textContent = u.username;
    who.querySelector("#acct-role")!.textContent = u.is_admin ? "Administrator" : "Viewer";
    choose.hidden = !u.must_change_password;
  }).catch(() => {});

  const signOut = h("button", { class: "btn", type: "button" }, "Sign out");
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    try { await api.logout(); } catch { /* the session may already be gone */ }
    session.clear();
    navigate("/login", { replace: true });
  });

  const cur = h("input", { id: "pw-cur", type: "password", autocomplete: "current-password", required: true });
  const nw = h("input", { id: "pw-new", type: "password", autocomplete: "new-password", required: true, minlength: "8", "aria-describedby": "pw-hint" });
  const msg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "card-panel form", "aria-labelledby": "pw-h" },
    h("h2", { id: "pw-h" }, "Change password"),
    choose,
    h("div", { class: "field" }, h("label", { for: "pw-cur" }, "Current password"), cur),
    h("div", { class: "field" }, h("label", { for: "pw-new" }, "New password"), nw, h("p", { id: "pw-hint", class: "hint" }, "At least 8 characters.")),
    msg,
    h("button", { class: "btn btn-primary", type: "submit" }, "Change password"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    msg.className = "form-msg";
    if (nw.value.length < 8) { msg.textContent = "The new password needs at least 8 characters."; msg.classList.add("form-error"); nw.focus(); return; }
    try {
      await api.changePassword(cur.value, nw.value);
      choose.hidden = true;
      const u = session.user;
      if (u) session.setUser({ ...u, must_change_password: false });
      msg.textContent = "Your password was changed.";
      msg.classList.add("form-ok");
      form.reset();
    } catch (err) {
      msg.textContent = err instanceof Error ? err.message : String(err);
      msg.classList.add("form-error");
    }
  });

  // Devices: every session of this account, each can be signed out; or all at once.
  const devices = h("ul", { class: "device-list", id: "devices" });
  const devMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const when = (t: number) => new Date(t * 1000).toLocaleString();
  const loadDevices = () => api.sessions(ctx.signal).then((list) => {
    devices.replaceChildren(...list.map((s) => {
      const row = h("li", { class: "device" },
        h("span", { class: "device-name" }, s.device || (s.kind === "cookie" ? "Web browser" : "App or script")),
        h("span", { class: "hint" }, `${s.current ? "This device · " : ""}last used ${when(s.last_seen)}${s.address ? ` from ${s.address}` : ""}`),
      );
      if (!s.current) {
        const out = h("button", { class: "btn", type: "button", "aria-label": `Sign out ${s.device ?? "this device"}` }, "Sign out");
        out.addEventListener("click", async () => {
          out.disabled = true;
          try { await api.revokeSession(s.id); row.remove(); } catch (err) { devMsg.textContent = err instanceof Error ? err.message : String(err); out.disabled = false; }
        });
        row.append(out);
      }
      return row;
    }));
  }).catch((err) => { devMsg.textContent = err instanceof Error ? err.message : String(err); });
  void loadDevices();
  const everywhere = h("button", { class: "btn", type: "button", id: "sign-out-everywhere" }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    try { await api.signOutEverywhere(); } catch { /* this session ends too */ }
    session.clear();
    navigate("/login", { replace: true });
  });

  // The plan, on servers that have plans: what it is, where it stands and what it allows.
  const plan = h("section", { class: "card-panel", "aria-labelledby": "plan-h", id: "plan", hidden: true });
  api.subscription(ctx.signal).then((e) => {
    const standing: Record<string, string> = {
      admin: "Administrator: every title", open: "Every title (this server has no plans)", active: "Active",
      trialing: "Trial", grace: "Payment failed: access continues for now", free_only: "Free titles only",
    };
    const limits = [
      e.max_height ? `up to ${e.max_height}p` : null,
      e.max_streams ? `${e.max_streams} stream${e.max_streams === 1 ? "" : "s"} at a time` : null,
      e.downloads ? "downloads" : null,
    ].filter(Boolean).join(" · ");
    const sub = e.subscription;
    const until = sub?.grace_until ?? sub?.expires_at ?? null;
    plan.replaceChildren(
      h("h2", { id: "plan-h" }, "Plan"),
      h("dl", { class: "facts" },
        h("dt", null, "Plan"), h("dd", { id: "plan-name" }, e.plan?.name ?? sub?.plan.name ?? "None"),
        h("dt", null, "Status"), h("dd", { id: "plan-standing" }, standing[e.standing] ?? e.standing),
        e.lapse ? [h("dt", null, "Why"), h("dd", null, e.lapse.replace(/_/g, " "))] : null,
        limits ? [h("dt", null, "Includes"), h("dd", null, limits)] : null,
        until ? [h("dt", null, sub?.cancel_at_period_end ? "Ends" : sub?.grace_until ? "Grace until" : "Renews or ends"), h("dd", null, new Date(until * 1000).toLocaleDateString())] : null,
      ),
      e.plan?.description ? h("p", { class: "hint" }, e.plan.description) : "",
    );
    plan.hidden = false;
  }).catch(() => { /* a server without plans */ });

  main.append(h("div", { class: "page narrow" },
    h("h1", null, "Account"),
    h("section", { class: "card-panel", "aria-label": "Signed in as" }, who,
      h("div", { class: "actions" }, h("a", { class: "btn", href: "/profiles", id: "switch-profile" }, "Switch profile"), signOut)),
    plan,
    h("section", { class: "card-panel", "aria-labelledby": "dev-h" },
      h("h2", { id: "dev-h" }, "Your devices"), devices, devMsg, h("div", { class: "actions" }, everywhere)),
    form,
  ));
}
