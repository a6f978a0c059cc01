// "Who's watching?": the account's profiles as large tiles (reachable by arrow keys and Enter),
// a PIN prompt when the server asks for one, and a way on to the catalogue without a profile.
import { api, ApiError, type Profile } from "../api";
import { h } from "../dom";
import { navigate, type PageContext } from "../router";

export function profilesPage(main: HTMLElement, ctx: PageContext) {
  document.title = "Who's watching? · Marquee";
  const next = new URLSearchParams(location.search).get("next");
  const safeNext = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  const grid = h("ul", { class: "profile-grid", id: "profile-grid", "aria-label": "Profiles" });
  const msg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const pinForm = h("form", { class: "card-panel form pin-form", hidden: true, id: "pin-form" });
  const pin = h("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off", pattern: "[0-9]*", minlength: "4", maxlength: "8", "aria-label": "PIN" });
  let pending: Profile | null = null;

  const choose = async (p: Profile, code?: string) => {
    msg.className = "form-msg";
    msg.textContent = "";
    try {
      await api.chooseProfile(p.id, code);
      navigate(safeNext, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 403 && /PIN/.test(err.message)) {
        pending = p;
        pinForm.hidden = false;
        pinForm.querySelector("h2")!.textContent = `Enter the PIN to watch as ${p.name}`;
        if (code !== undefined) { msg.textContent = err.message; msg.classList.add("form-error"); }
        pin.value = "";
        pin.focus();
        return;
      }
      msg.textContent = err instanceof Error ? err.message : String(err);
      msg.classList.add("form-error");
    }
  };

  pinForm.append(
    h("h2", null, "Enter the PIN"),
    h("div", { class: "field" }, h("label", { for: "pin" }, "PIN"), pin),
    h("div", { class: "actions" }, h("button", { class: "btn btn-primary", type: "submit" }, "Continue")),
  );
  pinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (pending) void choose(pending, pin.value);
  });

  api.profiles(ctx.signal).then(({ profiles, current }) => {
    if (profiles.length === 0) { navigate(safeNext, { replace: true }); return; }
    grid.replaceChildren(...profiles.map((p) => {
      const tile = h("button", { class: "profile-tile", type: "button", "data-profile": String(p.id), "aria-current": p.id === current ? "true" : null },
        h("span", { class: "profile-avatar", "aria-hidden": "true" }, p.name.slice(0, 1).toUpperCase()),
        h("span", { class: "profile-name" }, p.name),
        h("span", { class: "hint" }, [p.kids ? `Kids · up to ${p.max_rating ?? "any rating"}` : "", p.has_pin ? "PIN" : ""].filter(Boolean).join(" · ")),
      );
      tile.addEventListener("click", () => void choose(p));
      return h("li", null, tile);
    }));
    (grid.querySelector("button") as HTMLButtonElement | null)?.focus();
  }).catch((err) => { msg.textContent = err instanceof Error ? err.message : String(err); msg.classList.add("form-error"); });

  main.append(h("div", { class: "page narrow profiles-page" },
    h("h1", null, "Who's watching?"), grid, msg, pinForm));
}
