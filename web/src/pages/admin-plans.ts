// The admin page's plans panel: list, create, edit and delete plans (what they unlock, quality,
// streams, downloads), and give a user a plan with an optional end date or take it away.
import { api, type AdminPlan, type Entitlement, type Library, type PlanFields, type SearchHit, type User } from "../api";
import { debounce, formatUnix, h } from "../dom";
import { errorText, notice, setMsg, twoStepButton } from "../components";

const HEIGHTS = [480, 720, 1080, 2160];

/** "Every title" or "1 library · HBO · 2 titles". */
function unlocks(p: AdminPlan, libraries: Library[]): string {
  if (p.all_titles) return "Every title";
  const parts = [
    ...p.libraries.map((id) => libraries.find((l) => l.id === id)?.name ?? `library ${id}`),
    ...p.collections,
    p.items.length ? `${p.items.length} title${p.items.length === 1 ? "" : "s"}` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : "Free titles only";
}

/** Unix seconds at the end of a `YYYY-MM-DD` day, local time; undefined for an empty field. */
function endOfDay(date: string): number | undefined {
  if (!date) return undefined;
  const t = new Date(`${date}T23:59:59`).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

/** The plans panel; `ready` resolves once its lists are drawn; `reload` redraws them (new users). */
export function plansPanel(signal: AbortSignal): { el: HTMLElement; ready: Promise<void>; reload: () => Promise<void> } {
  const el = h("section", { class: "card-panel", "aria-labelledby": "plans-h" }, h("h2", { id: "plans-h" }, "Plans"));
  let plans: AdminPlan[] = [];
  let libraries: Library[] = [];
  let users: User[] = [];

  // The list
  const list = h("div", { class: "table-wrap", id: "plan-list" });
  const listMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  function renderList() {
    list.replaceChildren(plans.length ? h("table", { "aria-label": "Plans" },
      h("thead", null, h("tr", null, ...["Plan", "Unlocks", "Quality", "Streams", "Downloads", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, plans.map((p) => h("tr", { "data-plan": p.name },
        h("th", { scope: "row" }, p.name, p.description ? h("span", { class: "plan-desc" }, p.description) : null),
        h("td", null, unlocks(p, libraries)),
        h("td", null, p.max_height ? `up to ${p.max_height}p` : "any"),
        h("td", null, p.max_streams ? String(p.max_streams) : "no limit"),
        h("td", null, p.downloads ? "yes" : "no"),
        h("td", null, h("div", { class: "row-actions" },
          h("button", { class: "btn btn-small", type: "button", "aria-label": `Edit plan ${p.name}`, onclick: () => void edit(p) }, "Edit"),
          deleteButton(p))),
      ))),
    ) : h("p", { class: "muted" }, "No plans: every signed-in user may watch everything."));
  }

  /** Deleting takes a second click within five seconds. */
  function deleteButton(p: AdminPlan) {
    return twoStepButton({
      text: "Delete", label: `Delete plan ${p.name}`,
      confirmText: "Confirm delete", confirmLabel: `Confirm deleting plan ${p.name}`,
      run: async () => {
        try {
          await api.admin.deletePlan(p.id);
          setMsg(listMsg, `Deleted ${p.name}.`, true);
          await reload();
        } catch (e) {
          setMsg(listMsg, errorText(e), false);
        }
      },
    });
  }

  // The form: a new plan, or the one being edited.
  let editing: AdminPlan | null = null;
  let titles: { id: number; label: string }[] = [];
  const name = h("input", { id: "plan-name", required: true, maxlength: "64", autocomplete: "off" });
  const desc = h("input", { id: "plan-desc", autocomplete: "off" });
  const all = h("input", { id: "plan-all", type: "checkbox" });
  const libBox = h("fieldset", { class: "plan-libs" }, h("legend", null, "Libraries"));
  const collections = h("input", { id: "plan-collections", autocomplete: "off", placeholder: "HBO, Documentary" });
  const height = h("select", { id: "plan-height" }, h("option", { value: "" }, "Any"), HEIGHTS.map((x) => h("option", { value: String(x) }, `${x}p`)));
  const streams = h("input", { id: "plan-streams", type: "number", min: "1", max: "1000", inputmode: "numeric" });
  const downloads = h("input", { id: "plan-downloads", type: "checkbox" });
  const titleQ = h("input", { id: "plan-title-q", type: "search", autocomplete: "off", placeholder: "Search series and films" });
  const found = h("ul", { class: "plan-found", "aria-label": "Titles found" });
  const chosen = h("ul", { class: "chips", id: "plan-titles", "aria-label": "Titles in this plan" });
  const heading = h("h3", { id: "plan-form-h" }, "Create a plan");
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, "Create plan");
  const cancel = h("button", { class: "btn", type: "button", hidden: true, onclick: () => resetForm() }, "Cancel");
  const formMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const field = (id: string, label: string, input: HTMLElement) => h("div", { class: "field" }, h("label", { for: id }, label), input);
  const form = h("form", { class: "plan-form", "aria-labelledby": "plan-form-h" },
    h("div", { class: "inline-form" },
      field("plan-name", "Name", name),
      field("plan-desc", "Description (optional)", desc),
      h("div", { class: "field check" }, all, h("label", { for: "plan-all" }, "Every title")),
    ),
    libBox,
    h("div", { class: "inline-form" },
      field("plan-collections", "Collections: tags or studios, comma-separated", collections),
      field("plan-height", "Highest quality", height),
      field("plan-streams", "Streams at once (empty: no limit)", streams),
      h("div", { class: "field check" }, downloads, h("label", { for: "plan-downloads" }, "Downloads")),
    ),
    h("div", { class: "field" }, h("label", { for: "plan-title-q" }, "Add single titles"), titleQ),
    found, chosen,
    h("div", { class: "inline-form" }, submit, cancel),
  );

  function renderChosen() {
    chosen.replaceChildren(...titles.map((t) => h("li", { class: "chip" }, t.label, " ",
      h("button", { class: "chip-x", type: "button", "aria-label": `Remove ${t.label}`, onclick: () => { titles = titles.filter((x) => x.id !== t.id); renderChosen(); } }, "×"))));
  }

  const searchTitles = debounce(async (q: string) => {
    if (!q.trim()) { found.replaceChildren(); return; }
    try {
      const r = await api.search(q, 6, signal);
      const hits: SearchHit[] = [...r.series, ...r.movies];
      found.replaceChildren(...(hits.length ? hits.map((hit) => {
        const label = `${hit.title}${hit.year ? ` (${hit.year})` : ""}`;
        return h("li", null, h("button", {
          class: "btn btn-small", type: "button", "aria-label": `Add ${label} to the plan`,
          onclick: () => {
            if (!titles.some((t) => t.id === hit.id)) titles.push({ id: hit.id, label });
            renderChosen();
            found.replaceChildren();
            titleQ.value = "";
            titleQ.focus();
          },
        }, `+ ${label}`, h("span", { class: "muted" }, hit.kind === "series" ? " · series" : " · film")));
      }) : [h("li", { class: "muted" }, "No series or film found.")]));
    } catch (e) {
      if (!signal.aborted) found.replaceChildren(h("li", { class: "form-error" }, errorText(e)));
    }
  }, 200);
  titleQ.addEventListener("input", () => searchTitles(titleQ.value));
  // Enter in the search field must not submit the plan.
  titleQ.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  all.addEventListener("change", () => { for (const c of form.querySelectorAll<HTMLInputElement>(".plan-libs input, #plan-collections, #plan-title-q")) c.disabled = all.checked; });

  function renderLibraries(selected: number[]) {
    libBox.replaceChildren(h("legend", null, "Libraries"), ...(libraries.length ? libraries.map((l) => h("span", { class: "field check" },
      h("input", { id: `plan-lib-${l.id}`, type: "checkbox", value: String(l.id), checked: selected.includes(l.id), disabled: all.checked }),
      h("label", { for: `plan-lib-${l.id}` }, l.name))) : [h("span", { class: "muted" }, "No libraries.")]));
  }

  function resetForm() {
    editing = null;
    form.reset();
    titles = [];
    renderChosen();
    found.replaceChildren();
    renderLibraries([]);
    all.dispatchEvent(new Event("change"));
    heading.textContent = "Create a plan";
    submit.textContent = "Create plan";
    cancel.hidden = true;
  }

  async function edit(p: AdminPlan) {
    editing = p;
    name.value = p.name;
    desc.value = p.description ?? "";
    all.checked = p.all_titles;
    renderLibraries(p.libraries);
    collections.value = p.collections.join(", ");
    height.value = p.max_height ? String(p.max_height) : "";
    streams.value = p.max_streams ? String(p.max_streams) : "";
    downloads.checked = p.downloads;
    all.dispatchEvent(new Event("change"));
    heading.textContent = `Edit ${p.name}`;
    submit.textContent = "Save plan";
    cancel.hidden = false;
    formMsg.textContent = "";
    // The titles by name (a title that went away keeps its id).
    titles = await Promise.all(p.items.map((id) => api.item(id, signal)
      .then((it) => ({ id, label: `${it.title}${it.year ? ` (${it.year})` : ""}` }))
      .catch(() => ({ id, label: `title ${id}` }))));
    renderChosen();
    name.focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fields: PlanFields = {
      name: name.value.trim(),
      description: desc.value.trim() || null,
      all_titles: all.checked,
      libraries: [...libBox.querySelectorAll<HTMLInputElement>("input:checked")].map((c) => Number(c.value)),
      collections: collections.value.split(",").map((c) => c.trim()).filter(Boolean),
      items: titles.map((t) => t.id),
      max_height: height.value ? Number(height.value) : null,
      max_streams: streams.value ? Number(streams.value) : null,
      downloads: downloads.checked,
    };
    try {
      const saved = editing ? await api.admin.updatePlan(editing.id, fields) : await api.admin.createPlan(fields);
      setMsg(formMsg, `${editing ? "Saved" : "Created"} ${saved.name}.`, true);
      resetForm();
      await reload();
    } catch (err) {
      setMsg(formMsg, errorText(err), false);
    }
  });

  // Who has which plan; giving one (with an optional end date) or taking it away.
  const subs = h("div", { class: "table-wrap", id: "subscriptions" });
  const grantUser = h("select", { id: "grant-user", required: true });
  const grantPlan = h("select", { id: "grant-plan", required: true });
  const grantUntil = h("input", { id: "grant-until", type: "date" });
  const grantMsg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const grantForm = h("form", { class: "inline-form", "aria-label": "Give a user a plan" },
    field("grant-user", "User", grantUser),
    field("grant-plan", "Plan", grantPlan),
    field("grant-until", "Until (optional)", grantUntil),
    h("button", { class: "btn btn-primary", type: "submit" }, "Give plan"),
  );
  grantForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const user = users.find((u) => u.id === Number(grantUser.value));
    const plan = plans.find((p) => p.id === Number(grantPlan.value));
    if (!user) return;
    try {
      if (plan) {
        await api.admin.grant(user.id, plan.id, endOfDay(grantUntil.value));
        setMsg(grantMsg, `${user.username} has ${plan.name}${grantUntil.value ? ` until ${grantUntil.value}` : ""}.`, true);
      } else {
        await api.admin.revoke(user.id);
        setMsg(grantMsg, `${user.username} has no plan now.`, true);
      }
      await renderSubscriptions();
    } catch (err) {
      setMsg(grantMsg, errorText(err), false);
    }
  });

  async function renderSubscriptions() {
    const viewers = users.filter((u) => !u.is_admin).slice(0, 100);
    const rows = await Promise.all(viewers.map((u) => api.admin.subscription(u.id, signal).then((s) => [u, s] as [User, Entitlement]).catch(() => [u, null] as [User, null])));
    subs.replaceChildren(rows.length ? h("table", { "aria-label": "Users' plans" },
      h("thead", null, h("tr", null, ...["User", "Plan", "Standing", "Until"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, rows.map(([u, s]) => h("tr", { "data-user": u.username },
        h("th", { scope: "row" }, u.username),
        h("td", null, s?.subscription?.plan.name ?? "—"),
        h("td", null, s ? s.standing.replace(/_/g, " ") : "unknown"),
        h("td", null, s?.subscription?.expires_at ? formatUnix(s.subscription.expires_at) : s?.subscription ? "no end" : "—"))))) : h("p", { class: "muted" }, "No viewers yet (administrators see everything)."));
    grantUser.replaceChildren(...viewers.map((u) => h("option", { value: String(u.id) }, u.username)));
  }

  async function reload() {
    [plans, libraries, users] = await Promise.all([api.admin.plans(signal), api.admin.libraries(signal), api.admin.users(signal)]);
    renderList();
    const picked = grantPlan.value;
    grantPlan.replaceChildren(...plans.map((p) => h("option", { value: String(p.id) }, p.name)), h("option", { value: "none" }, "No plan (take it away)"));
    if (picked && [...grantPlan.options].some((o) => o.value === picked)) grantPlan.value = picked;
    if (!editing) renderLibraries([]);
    await renderSubscriptions();
  }

  el.append(list, listMsg, heading, form, formMsg, h("h3", null, "Users' plans"), subs, grantForm, grantMsg);
  renderLibraries([]);
  const ready = reload().catch((e) => { if (!signal.aborted) el.append(notice(errorText(e), "error")); });
  return { el, ready, reload };
}
