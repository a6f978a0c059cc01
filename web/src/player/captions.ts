// Subtitles: the playback info's WebVTT files as <track> elements, kept in "hidden" mode and
// drawn by us, so they sit above the controls when those are shown and look the same in every
// browser. getCueAsHTML() builds DOM nodes (never parsed markup), so cue text cannot inject HTML.
import { h } from "../dom";
import type { Playback } from "../api";

export interface SubtitleChoice { index: number; label: string; language: string | null }

export class Captions {
  readonly layer: HTMLElement;
  private tracks: { el: HTMLTrackElement; choice: SubtitleChoice }[] = [];
  private active = -1;
  private listener: (() => void) | null = null;

  constructor(private readonly video: HTMLVideoElement) {
    this.layer = h("div", { class: "captions", "aria-live": "off" });
  }

  /** Adds a <track> per subtitle that has a WebVTT URL; returns what the menu offers. */
  load(subs: NonNullable<Playback["subtitles"]>): SubtitleChoice[] {
    const choices: SubtitleChoice[] = [];
    subs.forEach((s, i) => {
      if (!s.url) return;
      const label = s.label || s.language || `Subtitles ${i + 1}`;
      const el = h("track", { kind: "subtitles", src: s.url, srclang: s.language ?? "und", label });
      this.video.append(el);
      const choice = { index: choices.length, label, language: s.language ?? null };
      choices.push(choice);
      this.tracks.push({ el, choice });
    });
    // Nothing is shown until asked; the browser may have turned a default track on.
    for (const t of Array.from(this.video.textTracks)) t.mode = "disabled";
    return choices;
  }

  get current(): number { return this.active; }

  /** Shows subtitle `index` (from load()), or none with -1. */
  show(index: number) {
    const old = this.tracks[this.active]?.el.track;
    if (old && this.listener) old.removeEventListener("cuechange", this.listener);
    if (old) old.mode = "disabled";
    this.listener = null;
    this.active = index;
    this.layer.replaceChildren();
    const entry = this.tracks[index];
    if (!entry) return;
    const track = entry.el.track;
    track.mode = "hidden"; // loads the cues and fires cuechange, without the browser's rendering
    const draw = () => {
      const cues = track.activeCues ? Array.from(track.activeCues) : [];
      this.layer.replaceChildren(...cues.map((c) =>
        h("span", { class: "cue" }, c instanceof VTTCue ? c.getCueAsHTML() : (c as TextTrackCue & { text?: string }).text ?? "")));
    };
    this.listener = draw;
    track.addEventListener("cuechange", draw);
    draw();
  }

  /** The language of the track being shown, to remember it for the next video. */
  get language(): string | null { return this.tracks[this.active]?.choice.language ?? null; }
}
