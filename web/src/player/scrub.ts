// The preview above the position slider: the time under the pointer (or the slider's value while
// it is dragged or moved with the keys), and a thumbnail of that moment when the server offers a
// thumbnails track (WebVTT whose cues name an image, usually a sprite: `sprite.jpg#xywh=x,y,w,h`).
import { clock, h } from "../dom";

export interface Thumb { start: number; end: number; url: string; xywh: [number, number, number, number] | null }

/** "00:01:02.500" or "01:02.500" → seconds; NaN when malformed. */
function vttTime(s: string): number {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/** The cues of a thumbnails WebVTT file; image URLs are resolved against `base` (the file's URL). */
export function parseThumbnailVtt(text: string, base: string): Thumb[] {
  const out: Thumb[] = [];
  const blocks = text.replace(/\r\n?/g, "\n").split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split("\n").filter((l) => l.trim() !== "");
    const at = lines.findIndex((l) => l.includes("-->"));
    if (at < 0 || !lines[at + 1]) continue;
    const [a, b] = lines[at].split("-->");
    const start = vttTime(a);
    const end = vttTime(b.trim().split(/\s+/)[0]);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) continue;
    let ref = lines[at + 1].trim();
    let xywh: Thumb["xywh"] = null;
    const frag = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(ref);
    if (frag) {
      xywh = [Number(frag[1]), Number(frag[2]), Number(frag[3]), Number(frag[4])];
      ref = ref.slice(0, frag.index);
    }
    let url: string;
    try { url = new URL(ref, new URL(base, location.href)).toString(); } catch { continue; }
    out.push({ start, end, url, xywh });
  }
  return out;
}

export class ScrubPreview {
  readonly el: HTMLElement;
  private readonly img: HTMLElement;
  private readonly label: HTMLElement;
  private thumbs: Thumb[] = [];

  constructor(private readonly seek: HTMLInputElement, private readonly duration: () => number) {
    this.img = h("div", { class: "scrub-img", hidden: true });
    this.label = h("span", { class: "scrub-time" });
    this.el = h("div", { class: "scrub", "aria-hidden": "true", hidden: true }, this.img, this.label);
    seek.addEventListener("pointermove", (e) => this.showAtPointer(e));
    seek.addEventListener("pointerleave", () => { if (document.activeElement !== seek) this.hide(); });
    seek.addEventListener("input", () => this.showAt(Number(seek.value)));
    seek.addEventListener("blur", () => this.hide());
  }

  setThumbs(thumbs: Thumb[]) { this.thumbs = thumbs; }

  hide() { this.el.hidden = true; }

  private showAtPointer(e: PointerEvent) {
    const r = this.seek.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (e.clientX - r.left) / r.width));
    this.showAt(f * this.duration(), f);
  }

  /** Shows the preview for second `t`, above the slider at the fraction `f` of its width. */
  showAt(t: number, f = this.duration() ? t / this.duration() : 0) {
    const d = this.duration();
    if (!d) return;
    this.label.textContent = clock(t);
    const thumb = this.thumbs.find((x) => t >= x.start && t < x.end) ?? null;
    this.img.hidden = !thumb;
    if (thumb) {
      this.img.style.backgroundImage = `url("${thumb.url.replace(/"/g, "%22")}")`;
      if (thumb.xywh) {
        const [x, y, w, hgt] = thumb.xywh;
        this.img.style.width = `${w}px`;
        this.img.style.height = `${hgt}px`;
        this.img.style.backgroundPosition = `${-x}px ${-y}px`;
        this.img.style.backgroundSize = "auto";
      } else {
        this.img.style.width = "";
        this.img.style.height = "";
        this.img.style.backgroundPosition = "center";
        this.img.style.backgroundSize = "cover";
      }
    }
    this.el.hidden = false; // before measuring: a hidden element has no offsetParent
    const r = this.seek.getBoundingClientRect();
    const parent = this.el.offsetParent?.getBoundingClientRect();
    const x = r.left - (parent?.left ?? 0) + f * r.width;
    const half = this.el.offsetWidth / 2;
    const max = (parent?.width ?? innerWidth) - half - 8;
    this.el.style.left = `${Math.max(half + 8, Math.min(max, x))}px`;
    this.el.style.bottom = `${(parent ? parent.bottom - r.top : 0) + 8}px`;
  }
}
