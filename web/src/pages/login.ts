import { api, ApiError, session } from "../api";
import { h } from "../dom";
import { navigate, type PageContext } from "../router";

export function loginPage(main: HTMLElement, ctx: PageContext) {
  document.title = "Sign in · Marquee";
  main.className = "login-bg";
  const next = ctx.query.get("next");
  const safeNext = next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
  if (session.signedIn) { navigate(safeNext, { replace: true }); return; }
  // Who is watching on this device: the picker passes straight through without profiles.
  const carryOn = () => navigate(`/profiles${safeNext !== "/" ? `?next=${encodeURIComponent(safeNext)}` : ""}`, { replace: true });

  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const user = h("input", { id: "login-user", name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const pass = h("input", { id: "login-pass", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Sign in");
  const form = h("form", { class: "login-card", "aria-labelledby": "login-title", novalidate: true },
    h("div", { class: "brand brand-large", "aria-hidden": "true" }, h("span", { class: "brand-mark" }, "M"), h("span", { class: "brand-word" }, "Marquee")),
    h("h1", { id: "login-title" }, "Sign in"),
    h("div", { class: "field" }, h("label", { for: "login-user" }, "User name"), user),
    h("div", { class: "field" }, h("label", { for: "login-pass" }, "Password"), pass),
    error,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!user.value.trim() || !pass.value) {
      error.textContent = "Enter your user name and password.";
      error.hidden = false;
      (user.value.trim() ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const res = await api.login(user.value.trim(), pass.value);
      session.setUser(res.user);
      carryOn();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? "That user name and password do not match." : err instanceof Error ? err.message : String(err);
      error.hidden = false;
      pass.select();
      pass.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  // An identity provider, when the server has one: a plain link, the server redirects onwards.
  const sso = h("div", { class: "login-sso", hidden: true });
  form.append(sso);
  api.oidc(ctx.signal).then((o) => {
    if (!o.enabled || !o.start_url) return;
    const href = `${o.start_url}${safeNext !== "/" ? `?next=${encodeURIComponent(safeNext)}` : ""}`;
    sso.append(h("p", { class: "login-or" }, "or"), h("a", { id: "login-oidc", class: "btn btn-block", href }, `Sign in with ${o.name ?? "single sign-on"}`));
    sso.hidden = false;
  }).catch(() => { /* no provider: password only */ });
  // Back from the identity provider, the session cookie is already set: carry on.
  api.me(ctx.signal).then((u) => { session.setUser(u); carryOn(); }).catch(() => { /* not signed in */ });
  main.append(h("div", { class: "login-wrap" }, form));
  user.focus();
}
