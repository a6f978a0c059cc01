// Admin: ahead-of-time transcoding ladders. Lists jobs with live progress (polled while any job
// is queued or running), cancels them, and queues a ladder for a title (`?item=ID` fills it in)
// or a whole library.
import { api, request, session, type Library } from "../api";
import { formatUnix, h } from "../dom";
import { notice } from "../components";
import type { PageContext } from "../router";

interface LiveProgress {
  rung?: string | null; rung_number: number; rungs: number; segments_done: number; segments: number;
  percent: number; fps: number; speed: number; ffmpeg_pid?: number | null; retries: number;
}
interface TranscodeJob {
  id: number; item_id: number; title: string; status: string; heights: number[]; percent: number;
  current_rung?: string | null; attempts: number; error?: string | null; created_at: number;
  started_at?: number | null; finished_at?: number | null; live?: LiveProgress | null;
}

const JOBS = "/api/v1/admin/transcode/jobs";

export async function transcodePage(main: HTMLElement, ctx: PageContext) {
  document.title = "Transcoding · Admin · Marquee";
  const page = h("div", { class: "page admin" }, h("h1", null, "Transcoding ladders"));
  main.append(page);
  if (session.user && !session.user.is_admin) {
    page.append(notice("This page is for administrators."));
    return;
  }
  const { signal } = ctx;

  // Queue a ladder.
  const item = h("input", { type: "number", min: "1", id: "ladder-item", value: ctx.query.get("item") ?? "" });
  const library = h("select", { id: "ladder-library" }, h("option", { value: "" }, "— or a whole library —"));
  const heights = h("input", { type: "text", id: "ladder-heights", value: "1080, 720, 480, 360" });
  const msg = h("p", { class: "form-msg", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "card-panel", "aria-labelledby": "queue-h" },
    h("h2", { id: "queue-h" }, "Queue ladder"),
    h("label", { for: "ladder-item" }, "Title (item id)"), item,
    h("label", { for: "ladder-library" }, "Library"), library,
    h("label", { for: "ladder-heights" }, "Heights (rungs above the source are skipped; AAC audio is always made)"), heights,
    h("button", { class: "btn btn-primary", type: "submit" }, "Queue ladder"), msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      heights: heights.value.split(/[ ,]+/).filter(Boolean).map(Number),
    };
    if (library.value) body.library_id = Number(library.value);
    else body.item_id = Number(item.value);
    msg.textContent = "";
    try {
      const jobs = await request<TranscodeJob[]>("POST", JOBS, body);
      msg.textContent = `Queued ${jobs.length} job${jobs.length === 1 ? "" : "s"}.`;
      void load();
    } catch (err) {
      msg.textContent = err instanceof Error ? err.message : String(err);
    }
  });

  const list = h("section", { class: "card-panel", "aria-labelledby": "jobs-h" }, h("h2", { id: "jobs-h" }, "Jobs"));
  const table = h("div", { class: "table-wrap", "aria-live": "polite" });
  list.append(table);
  page.append(form, list);

  try {
    const libs: Library[] = await api.admin.libraries(signal);
    library.append(...libs.map((l) => h("option", { value: String(l.id) }, l.name)));
  } catch { /* the item field still works */ }

  function progress(j: TranscodeJob): HTMLElement {
    const bar = h("progress", { max: "100", value: String(j.percent), "aria-label": `job ${j.id} progress` });
    const l = j.live;
    const detail = l
      ? `${l.rung ?? ""} (${l.rung_number}/${l.rungs}) · segment ${l.segments_done}/${l.segments}` +
        (l.fps > 0 ? ` · ${l.fps.toFixed(0)} fps` : "") + (l.speed > 0 ? ` · ${l.speed.toFixed(1)}×` : "") +
        (l.retries > 0 ? ` · ${l.retries} retr${l.retries === 1 ? "y" : "ies"}` : "")
      : j.error ?? "";
    return h("div", null, bar, ` ${j.percent.toFixed(0)} %`, h("div", { class: "muted" }, detail));
  }

  let timer: number | undefined;
  ctx.onLeave(() => clearTimeout(timer));
  async function load() {
    clearTimeout(timer);
    let jobs: TranscodeJob[];
    try {
      jobs = await request<TranscodeJob[]>("GET", JOBS, undefined, signal);
    } catch (err) {
      if (!signal.aborted) table.replaceChildren(notice(err instanceof Error ? err.message : String(err), "error"));
      return;
    }
    table.replaceChildren(jobs.length === 0 ? notice("No transcoding jobs yet.") : h("table", null,
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Progress"),
        h("th", { scope: "col" }, "Queued"), h("th", { scope: "col" }, ""))),
      h("tbody", null, jobs.map((j) => {
        const active = j.status === "queued" || j.status === "running";
        const cancel = h("button", { class: "btn", type: "button", hidden: !active, "aria-label": `Cancel job ${j.id}` }, "Cancel");
        cancel.addEventListener("click", async () => {
          cancel.disabled = true;
          try { await request("DELETE", `${JOBS}/${j.id}`); } catch (err) { msg.textContent = err instanceof Error ? err.message : String(err); }
          void load();
        });
        return h("tr", { "data-job": String(j.id) },
          h("th", { scope: "row" }, h("a", { href: `/items/${j.item_id}` }, j.title)),
          h("td", null, j.status), h("td", null, progress(j)),
          h("td", null, formatUnix(j.created_at)), h("td", null, cancel));
      })),
    ));
    if (jobs.some((j) => j.status === "queued" || j.status === "running")) timer = window.setTimeout(() => void load(), 1500);
  }
  await load();
}
