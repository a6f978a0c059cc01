import { api, ApiError, type ItemDetail, type Playback } from "../api";
import { clock, h } from "../dom";
import { icons } from "../components";
import { navigate, type PageContext } from "../router";
import { SettingsMenu } from "../player/menu";
import { Captions } from "../player/captions";
import { ProgressReporter } from "../player/progress";
import { parseThumbnailVtt, ScrubPreview } from "../player/scrub";
import type HlsType from "hls.js";

/** Seconds the "next episode" countdown runs before the next episode starts by itself. */
const COUNTDOWN_S = 8;
/** A saved position is offered ("Resume from …") when it is at least this far in. */
const RESUME_MIN_S = 5;

interface Next { id: number; title: string; season: number; number: number }
const PREFS_KEY = "marquee.player";

interface Prefs { audio?: string | null; subtitles?: string | null; volume?: number; muted?: boolean }
function loadPrefs(): Prefs {
  try { return JSON.parse(localStorage.getItem(PREFS_KEY) ?? "{}") as Prefs; } catch { return {}; }
}
function savePrefs(p: Partial<Prefs>) {
  localStorage.setItem(PREFS_KEY, JSON.stringify({ ...loadPrefs(), ...p }));
}

/** The episode after `id` in the series, across seasons (specials last), skipping unavailable ones. */
export function nextEpisode(series: ItemDetail, id: number): Next | null {
  const order = [...series.seasons].sort((a, b) => (a.number || 999) - (b.number || 999));
  const all = order.flatMap((s) => [...s.episodes].sort((a, b) => a.number - b.number).map((ep) => ({ ep, season: s.number })));
  const i = all.findIndex((x) => x.ep.id === id);
  if (i < 0) return null;
  const n = all.slice(i + 1).find((x) => x.ep.available);
  return n ? { id: n.ep.id, title: n.ep.title, season: n.season, number: n.ep.number } : null;
}

export async function watchPage(main: HTMLElement, ctx: PageContext) {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id)) throw new Error("That is not a valid address.");
  main.className = "watch";
  document.body.setAttribute("data-no-spatial", "");
  const prefs = loadPrefs();

  const video = h("video", { class: "video", playsinline: true, preload: "auto", crossorigin: "anonymous", "aria-label": "Video" });
  const titleEl = h("div", { class: "watch-title" });
  const back = h("button", { class: "icon-btn", type: "button", "aria-label": "Back", onclick: () => goBack() }, icons.back());
  const playBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Play", id: "play" }, icons.play());
  const rewBtn = h("button", { class: "icon-btn skip-btn", type: "button", "aria-label": "Back 10 seconds" }, icons.replay10());
  const fwdBtn = h("button", { class: "icon-btn skip-btn", type: "button", "aria-label": "Forward 10 seconds" }, icons.forward10());
  const seek = h("input", { class: "seek", id: "seek", type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "Position", "aria-valuetext": "0:00" });
  const time = h("span", { class: "time", "aria-hidden": "true" }, "0:00 / 0:00");
  const muteBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Mute" }, icons.volume());
  const nextBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Next episode", hidden: true }, icons.skipNext());
  const menuBtn = h("button", { class: "icon-btn", type: "button", id: "menu-btn", "aria-label": "Audio, subtitles and quality" }, icons.subtitles());
  const fsBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Full screen" }, icons.fullscreen());
  const bigPlay = h("button", { class: "big-play", type: "button", "aria-label": "Play", hidden: true }, icons.play());
  const message = h("div", { class: "watch-message", role: "alert", hidden: true });
  const buffering = h("div", { class: "buffering", "aria-hidden": "true", hidden: true }, h("span", { class: "spin" }));
  const announcer = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });
  const upNext = h("div", { class: "up-next overlay", id: "up-next", role: "region", "aria-label": "Next episode", hidden: true });
  const resumeBox = h("div", { class: "resume overlay", id: "resume", role: "dialog", "aria-label": "Resume", hidden: true });
  const topBar = h("div", { class: "watch-top" }, back, titleEl);
  const row = h("div", { class: "controls-row" }, playBtn, rewBtn, fwdBtn, time, h("span", { class: "spacer" }), nextBtn, muteBtn, menuBtn, fsBtn);
  const controls = h("div", { class: "watch-controls", role: "group", "aria-label": "Player controls" }, seek, row);
  const captions = new Captions(video);
  const scrub = new ScrubPreview(seek, () => (Number.isFinite(video.duration) ? video.duration : 0));
  const menu = new SettingsMenu(menuBtn, (open) => { stage.classList.toggle("menu-open", open); wake(); });
  const stage = h("div", { class: "stage" }, video, captions.layer, buffering, bigPlay, message, upNext, resumeBox, topBar, controls, scrub.el, menu.panel, announcer);
  main.append(stage);
  playBtn.focus(); // Enter pauses and plays; Back is one ↑ away

  video.volume = typeof prefs.volume === "number" ? Math.max(0, Math.min(1, prefs.volume)) : 1;
  video.muted = prefs.muted === true;

  let hls: HlsType | null = null;
  let hlsClass: typeof HlsType | null = null;
  let item: ItemDetail | null = null;
  let next: Next | null = null;
  let reporter: ProgressReporter | null = null;
  ctx.onLeave(() => {
    reporter?.stop(); // before the video is emptied below
    hls?.destroy();
    video.pause();
    video.removeAttribute("src");
    video.load();
    // Going on to the next episode keeps full screen; leaving the player ends it.
    if (document.fullscreenElement && !location.pathname.startsWith("/watch/")) void document.exitFullscreen().catch(() => {});
  });

  function goBack() {
    if (history.state?.app && history.length > 1) history.back();
    else if (item?.kind === "episode" && item.series_id) navigate(`/series/${item.series_id}`, { replace: true });
    else if (item?.kind === "movie") navigate(`/movies/${item.id}`, { replace: true });
    else navigate("/", { replace: true });
  }

  function fail(text: string) {
    message.replaceChildren(h("p", null, text), h("button", { class: "btn", type: "button", onclick: () => goBack() }, "Go back"));
    message.hidden = false;
    buffering.hidden = true;
    bigPlay.hidden = true;
    (message.querySelector("button") as HTMLButtonElement).focus();
  }

  // Controls: shown on activity, hidden after 3 s of playback without any (never while a menu
  // or the up-next card is open).
  let hideTimer: number | undefined;
  function wake() {
    stage.classList.remove("idle");
    clearTimeout(hideTimer);
    hideTimer = window.setTimeout(() => {
      if (!video.paused && !menu.isOpen && upNext.hidden) stage.classList.add("idle");
    }, 3000);
  }
  stage.addEventListener("pointermove", wake);
  stage.addEventListener("focusin", wake);
  ctx.onLeave(() => clearTimeout(hideTimer));

  const toggle = () => { if (video.paused) void video.play().catch(() => (bigPlay.hidden = false)); else video.pause(); wake(); };
  const seekTo = (t: number) => {
    if (!Number.isFinite(video.duration)) return;
    video.currentTime = Math.max(0, Math.min(video.duration - 0.25, t));
    wake();
  };
  const seekBy = (s: number) => { seekTo(video.currentTime + s); announcer.textContent = `${clock(video.currentTime)}`; };
  const toggleMute = () => { video.muted = !video.muted; wake(); };
  const toggleFs = () => {
    // The whole document goes full screen, so moving on to the next episode keeps it.
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
    else void document.documentElement.requestFullscreen?.().catch(() => {});
    wake();
  };
  playBtn.addEventListener("click", toggle);
  bigPlay.addEventListener("click", toggle);
  rewBtn.addEventListener("click", () => seekBy(-10));
  fwdBtn.addEventListener("click", () => seekBy(10));
  video.addEventListener("click", () => { if (menu.isOpen) menu.close(false); else toggle(); });
  video.addEventListener("dblclick", toggleFs);
  muteBtn.addEventListener("click", toggleMute);
  fsBtn.addEventListener("click", toggleFs);
  nextBtn.addEventListener("click", () => playNext());
  seek.addEventListener("input", () => seekTo(Number(seek.value)));
  const syncFs = () => {
    const on = !!document.fullscreenElement;
    fsBtn.replaceChildren(on ? icons.exitFullscreen() : icons.fullscreen());
    fsBtn.setAttribute("aria-label", on ? "Exit full screen" : "Full screen");
  };
  document.addEventListener("fullscreenchange", syncFs);
  ctx.onLeave(() => document.removeEventListener("fullscreenchange", syncFs));
  syncFs();

  // Keys. Focus on a control: Left/Right move between controls (TV remotes), Up/Down between
  // the rows. Otherwise Left/Right seek. Space, k, f, m, c and the media keys work everywhere.
  const focusables = () => [...row.querySelectorAll<HTMLButtonElement>("button")].filter((b) => b.getClientRects().length > 0);
  const onKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target as HTMLElement;
    if (menu.isOpen && menu.panel.contains(t)) return; // the menu handles its own keys
    const overlay = t.closest<HTMLElement>(".overlay");
    if (overlay && (e.key === "Enter" || e.key === " ")) return; // its buttons click themselves
    const inRow = row.contains(t) && t.tagName === "BUTTON";
    const inTop = topBar.contains(t);
    wake();
    switch (e.key) {
      case " ": case "k": case "MediaPlayPause": toggle(); break; // Space never clicks a control here
      case "MediaPlay": void video.play(); break;
      case "MediaPause": video.pause(); break;
      case "ArrowLeft": case "ArrowRight": {
        const dir = e.key === "ArrowRight" ? 1 : -1;
        if (inRow) {
          const list = focusables();
          list[Math.max(0, Math.min(list.length - 1, list.indexOf(t as HTMLButtonElement) + dir))]?.focus();
        } else if (overlay) {
          const list = [...overlay.querySelectorAll<HTMLButtonElement>("button")];
          list[Math.max(0, Math.min(list.length - 1, list.indexOf(t as HTMLButtonElement) + dir))]?.focus();
        } else if (inTop) {
          return;
        } else {
          seekBy(10 * dir);
        }
        break;
      }
      case "j": case "MediaRewind": seekBy(-10); break;
      case "l": case "MediaFastForward": seekBy(10); break;
      case "ArrowUp":
        if (overlay) break;
        if (inRow) seek.focus();
        else if (t === seek) (upNext.hidden ? back : upNext.querySelector<HTMLButtonElement>("button") ?? back).focus();
        else if (!inTop) seek.focus();
        break;
      case "ArrowDown":
        if (overlay) break;
        if (inTop) seek.focus();
        else if (t === seek || !inRow) playBtn.focus();
        break;
      case "f": toggleFs(); break;
      case "m": toggleMute(); break;
      case "c": cycleSubtitles(); break;
      case "Escape": case "Backspace": case "BrowserBack":
        if (document.fullscreenElement && e.key === "Escape") return; // the browser leaves full screen
        if (!upNext.hidden) { cancelUpNext(); break; }
        goBack(); break;
      default:
        if (/^[0-9]$/.test(e.key) && t.tagName !== "INPUT") { seekTo((Number(e.key) / 10) * video.duration); break; }
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };
  document.addEventListener("keydown", onKey, true);
  ctx.onLeave(() => document.removeEventListener("keydown", onKey, true));

  const syncPlay = () => {
    const paused = video.paused;
    playBtn.replaceChildren(paused ? icons.play() : icons.pause());
    playBtn.setAttribute("aria-label", paused ? "Play" : "Pause");
    stage.classList.toggle("paused", paused);
    if (!paused) bigPlay.hidden = true;
    wake();
  };
  video.addEventListener("play", syncPlay);
  video.addEventListener("pause", syncPlay);
  video.addEventListener("volumechange", () => {
    muteBtn.replaceChildren(video.muted ? icons.muted() : icons.volume());
    muteBtn.setAttribute("aria-label", video.muted ? "Unmute" : "Mute");
    savePrefs({ muted: video.muted, volume: video.volume });
  });
  const syncTime = () => {
    const d = Number.isFinite(video.duration) ? video.duration : 0;
    seek.max = String(Math.floor(d));
    seek.value = String(Math.floor(video.currentTime));
    seek.setAttribute("aria-valuetext", `${clock(video.currentTime)} of ${clock(d)}`);
    time.textContent = `${clock(video.currentTime)} / ${clock(d)}`;
    seek.style.setProperty("--pct", d ? `${(video.currentTime / d) * 100}%` : "0%");
  };
  video.addEventListener("timeupdate", syncTime);
  video.addEventListener("durationchange", syncTime);
  video.addEventListener("waiting", () => (buffering.hidden = false));
  video.addEventListener("playing", () => (buffering.hidden = true));
  video.addEventListener("canplay", () => (buffering.hidden = true));

  buffering.hidden = false;
  let playback: Playback;
  try {
    const [it, pb] = await Promise.all([api.item(id, ctx.signal), api.playback(id, ctx.signal)]);
    item = it;
    playback = pb;
  } catch (e) {
    if (ctx.signal.aborted) return;
    if (!item) item = await api.item(id, ctx.signal).catch(() => null);
    if (item) setTitle(item);
    if (e instanceof ApiError && e.status === 409) { await tooManyStreams(e.message); return; }
    fail(e instanceof Error ? e.message : String(e));
    return;
  }
  if (ctx.signal.aborted) return;
  setTitle(item);

  // This player's playback session counts against the plan's screens while heartbeats arrive
  // (also when paused); leaving the page frees the screen at once.
  if (playback.stream_id) {
    const streamId = playback.stream_id;
    const beat = window.setInterval(() => void api.streamHeartbeat(streamId).catch(() => {}), Math.max(5, playback.heartbeat_secs ?? 30) * 1000);
    ctx.onLeave(() => { clearInterval(beat); void api.stopStream(streamId).catch(() => {}); });
  }

  /** Every screen of the plan is taken: say what plays where, and offer to stop one. */
  async function tooManyStreams(text: string) {
    const streams = await api.streams(ctx.signal).catch(() => []);
    fail(text);
    const list = h("ul", { class: "stream-list" }, ...streams.map((s) => {
      const stop = h("button", { class: "btn", type: "button" }, "Stop");
      stop.addEventListener("click", async () => {
        stop.disabled = true;
        await api.stopStream(s.id).catch(() => {});
        navigate(location.pathname + location.search, { replace: true });
      });
      return h("li", null, h("span", null, `${s.title} — ${s.device ?? "another device"}`), stop);
    }));
    message.insertBefore(list, message.querySelector("button"));
  }

  function setTitle(it: ItemDetail) {
    document.title = `${it.title} · Marquee`;
    const sub = it.kind === "episode" && it.episode_number != null ? `S${it.season_number ?? "?"} · E${it.episode_number}` : null;
    titleEl.replaceChildren(sub ? h("span", { class: "watch-sub" }, sub) : "", h("span", null, it.title));
  }

  // The next episode, for the button and the countdown at the end: from the playback info when
  // the server says (it knows the watch order, specials included), else from the series' seasons.
  const setNext = (n: Next | null) => {
    next = n;
    nextBtn.hidden = !n;
    if (n) nextBtn.setAttribute("aria-label", `Next episode: ${n.title}`);
  };
  if (playback.next !== undefined) {
    const n = playback.next;
    setNext(n ? { id: n.id, title: n.title, season: n.season_number, number: n.episode_number } : null);
  } else if (item.kind === "episode" && item.series_id) {
    api.series(item.series_id, ctx.signal).then((series) => setNext(nextEpisode(series, id))).catch(() => {});
  }

  // Scrub thumbnails, when the server has made them.
  if (playback.thumbnails) {
    const track = playback.thumbnails;
    fetch(track, { signal: ctx.signal }).then((r) => (r.ok ? r.text() : "")).then((text) => {
      if (text) scrub.setThumbs(parseThumbnailVtt(text, track));
    }).catch(() => {});
  }

  // Subtitles: the playback info's WebVTT files; the language picked last time comes back on.
  // Picture subtitles (PGS, VobSub) cannot be drawn by us: picking one switches the video to a
  // rendition with them burnt in (`b<k>`), at the same position; picking anything else switches
  // back. A burnt choice is not remembered, as it costs the server a transcode.
  const subs = captions.load(playback.subtitles ?? []);
  const burnable = (playback.subtitles ?? []).filter((s) => !s.url && s.burn_in?.hls).map((s, k) => ({
    value: `b${k}`, label: s.label || s.language || `Subtitles ${subs.length + k + 1}`, src: s.burn_in?.hls ?? "",
  }));
  const subChoices = [
    { value: "off", label: "Off" },
    ...subs.map((s) => ({ value: String(s.index), label: s.label })),
    ...burnable.map((b) => ({ value: b.value, label: b.label, detail: "burnt in" })),
  ];
  let burntIn: string | null = null;
  const pickSubtitles = (value: string, remember = true) => {
    const burn = burnable.find((b) => b.value === value);
    const i = value === "off" || burn ? -1 : Number(value);
    captions.show(i);
    menu.select("subtitles", value);
    const wanted = burn?.src ?? null;
    if (wanted !== burntIn && playback.hls && switchSource(wanted ?? playback.hls)) burntIn = wanted;
    announcer.textContent = burn ? `Subtitles: ${burn.label}, burnt in` : i < 0 ? "Subtitles off" : `Subtitles: ${subs[i]?.label ?? ""}`;
    if (remember && !burn) savePrefs({ subtitles: i < 0 ? null : captions.language });
  };
  menu.set({ id: "subtitles", title: "Subtitles", choices: subChoices, selected: "off", onPick: (v) => pickSubtitles(v) });
  const wantedSub = prefs.subtitles ? subs.find((s) => s.language === prefs.subtitles) : undefined;
  if (wantedSub) pickSubtitles(String(wantedSub.index), false);
  function cycleSubtitles() {
    if (!subs.length) return;
    const nextIndex = captions.current + 1 >= subs.length ? -1 : captions.current + 1;
    pickSubtitles(nextIndex < 0 ? "off" : String(nextIndex));
  }

  // The end: count down to the next episode, or go back when there is none.
  let countdown: number | undefined;
  ctx.onLeave(() => clearInterval(countdown));
  function playNext() {
    if (next) navigate(`/watch/${next.id}`, { replace: true });
  }
  let upNextDismissed = false; // cancelled during the credits: not offered again until the end
  function cancelUpNext() {
    clearInterval(countdown);
    upNext.hidden = true;
    upNextDismissed = !video.ended;
    playBtn.focus();
  }
  function showUpNext() {
    if (!next || !upNext.hidden) return;
    let left = COUNTDOWN_S;
    const counter = h("span", { class: "up-next-count", id: "up-next-count" }, String(left));
    const playNow = h("button", { class: "btn btn-primary", type: "button", id: "up-next-play" }, icons.play(), "Play now");
    const cancel = h("button", { class: "btn", type: "button", id: "up-next-cancel" }, "Cancel");
    playNow.addEventListener("click", playNext);
    cancel.addEventListener("click", cancelUpNext);
    upNext.replaceChildren(
      h("p", { class: "eyebrow" }, "Up next"),
      h("p", { class: "up-next-title" }, `S${next.season} · E${next.number}  ${next.title}`),
      h("p", { class: "up-next-in", "aria-live": "polite" }, "Starts in ", counter, " s"),
      h("div", { class: "actions" }, playNow, cancel),
    );
    upNext.hidden = false;
    stage.classList.remove("idle");
    playNow.focus();
    countdown = window.setInterval(() => {
      left -= 1;
      counter.textContent = String(Math.max(left, 0));
      if (left <= 0) { clearInterval(countdown); playNext(); }
    }, 1000);
  }
  video.addEventListener("ended", () => {
    upNextDismissed = false;
    if (next) showUpNext();
    else { stage.classList.remove("idle"); back.focus(); }
  });

  // Markers from the server: "Skip intro" while the intro runs; the countdown from the end
  // credits on (else from the end of the video).
  const intro = playback.intro && playback.intro.end_ms > playback.intro.start_ms ? playback.intro : null;
  const creditsAt = playback.credits ? playback.credits.start_ms / 1000 : null;
  const skipIntro = h("button", { class: "btn skip-intro", type: "button", id: "skip-intro", hidden: true }, "Skip intro");
  skipIntro.addEventListener("click", () => {
    if (intro) seekTo(intro.end_ms / 1000);
    skipIntro.hidden = true;
    playBtn.focus();
  });
  stage.append(skipIntro);
  video.addEventListener("timeupdate", () => {
    const t = video.currentTime;
    if (intro) {
      const inIntro = t >= intro.start_ms / 1000 && t < intro.end_ms / 1000 - 0.5;
      if (inIntro && skipIntro.hidden) {
        skipIntro.hidden = false;
        // A remote's Enter skips at once; a keyboard user's focus is left where it is.
        if (document.activeElement === playBtn || document.activeElement === document.body) skipIntro.focus();
      } else if (!inIntro && !skipIntro.hidden) {
        if (document.activeElement === skipIntro) playBtn.focus();
        skipIntro.hidden = true;
      }
    }
    if (creditsAt !== null && next && t >= creditsAt && t < video.duration - 0.5 && upNext.hidden && !upNextDismissed) showUpNext();
  });
  video.addEventListener("seeking", () => { if (!upNext.hidden && video.currentTime < video.duration - 1) cancelUpNext(); });

  // Only a refused autoplay asks for a click; a play() cut short by a new source (a switch of
  // rendition) is not a reason to take the focus away from where the viewer is.
  const start = () => video.play().then(() => (bigPlay.hidden = true)).catch((e: unknown) => {
    if (e instanceof DOMException && e.name === "AbortError") return;
    bigPlay.hidden = false; buffering.hidden = true; bigPlay.focus();
  });

  // Where to start: a saved position is offered first ("Resume from 4:12" or from the beginning).
  const resumeAt = (playback.resume_ms ?? 0) / 1000;
  let startAt = 0;
  if (resumeAt >= RESUME_MIN_S) {
    buffering.hidden = true;
    startAt = await askResume(resumeAt);
    if (ctx.signal.aborted) return;
    buffering.hidden = false;
  }
  reporter = new ProgressReporter(id, video);

  function askResume(at: number): Promise<number> {
    return new Promise((resolve) => {
      const resume = h("button", { class: "btn btn-primary", type: "button", id: "resume-play" }, icons.play(), `Resume from ${clock(at)}`);
      const over = h("button", { class: "btn", type: "button", id: "resume-restart" }, "Start from the beginning");
      const done = (t: number) => { resumeBox.hidden = true; resolve(t); };
      resume.addEventListener("click", () => done(at));
      over.addEventListener("click", () => done(0));
      resumeBox.replaceChildren(h("p", { class: "resume-title" }, item?.title ?? ""), h("div", { class: "actions" }, resume, over));
      resumeBox.hidden = false;
      resume.focus();
    });
  }
  const seekToStart = () => { if (startAt > 0) video.currentTime = startAt; };

  // hls.js first (audio, subtitle and quality menus everywhere MSE exists); the browser's own
  // HLS where there is no MSE (older iPhones); the original file last.
  if (playback.hls) {
    const { default: Hls } = await import("hls.js");
    if (ctx.signal.aborted) return;
    if (Hls.isSupported()) {
      hlsClass = Hls;
      attachHls(Hls, playback.hls);
      return;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playback.hls;
      video.addEventListener("loadedmetadata", seekToStart, { once: true });
      void start();
      return;
    }
  }
  if (playback.direct) {
    video.src = playback.direct;
    video.addEventListener("loadedmetadata", seekToStart, { once: true });
    void start();
    return;
  }
  fail("This browser cannot play this video.");

  /** Plays `src` instead, from where the video is now and paused if it was (hls.js only); false
   * when it cannot. */
  function switchSource(src: string): boolean {
    if (!hlsClass || !hls) return false;
    startAt = video.currentTime;
    const playing = !video.paused;
    hls.destroy();
    attachHls(hlsClass, src, playing);
    return true;
  }

  function attachHls(Hls: typeof HlsType, src: string, autoplay = true) {
    // Subtitles come from the playback info's WebVTT (see Captions), not from the manifest.
    const player = new Hls({
      enableWorker: true, lowLatencyMode: false, backBufferLength: 60, startPosition: startAt > 0 ? startAt : -1,
      enableWebVTT: false, enableCEA708Captions: false,
    });
    hls = player;
    let recovered = false;
    player.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) { recovered = true; player.recoverMediaError(); return; }
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && !recovered) { recovered = true; player.startLoad(); return; }
      fail(`Playback stopped: ${data.details}`);
    });

    const syncAudio = () => {
      const tracks = player.audioTracks;
      menu.set({
        id: "audio", title: "Audio",
        choices: tracks.map((t, i) => ({ value: String(i), label: t.name || t.lang || `Track ${i + 1}`, detail: t.audioCodec?.startsWith("mp4a") ? undefined : t.audioCodec })),
        selected: String(player.audioTrack),
        onPick: (v) => {
          player.audioTrack = Number(v);
          const t = player.audioTracks[Number(v)];
          savePrefs({ audio: t?.lang ?? null });
          announcer.textContent = `Audio: ${t?.name ?? ""}`;
        },
      });
    };
    player.on(Hls.Events.AUDIO_TRACKS_UPDATED, () => {
      syncAudio();
      // The language picked last time, when this video has it.
      const want = prefs.audio ? player.audioTracks.findIndex((t) => t.lang === prefs.audio) : -1;
      if (want >= 0 && want !== player.audioTrack) player.audioTrack = want;
    });
    player.on(Hls.Events.AUDIO_TRACK_SWITCHED, () => menu.select("audio", String(player.audioTrack)));

    const qualityLabel = (i: number) => {
      const l = player.levels[i];
      if (!l) return "";
      const kbps = Math.round(l.bitrate / 1000);
      return l.height ? `${l.height}p` : `${kbps} kbit/s`;
    };
    const syncLevels = () => {
      const levels = player.levels.map((l, i) => ({ l, i })).sort((a, b) => (b.l.height - a.l.height) || (b.l.bitrate - a.l.bitrate));
      const auto = player.autoLevelEnabled;
      const current = player.currentLevel;
      menu.set({
        id: "quality", title: "Quality",
        choices: [
          ...(levels.length > 1 ? [{ value: "auto", label: "Auto", detail: current >= 0 && auto ? qualityLabel(current) : undefined }] : []),
          ...levels.map(({ l, i }) => ({ value: String(i), label: qualityLabel(i), detail: `${(l.bitrate / 1e6).toFixed(l.bitrate < 1e6 ? 2 : 1)} Mbit/s` })),
        ],
        selected: levels.length > 1 && auto ? "auto" : String(current < 0 ? 0 : current),
        onPick: (v) => {
          player.currentLevel = v === "auto" ? -1 : Number(v);
          announcer.textContent = v === "auto" ? "Quality: automatic" : `Quality: ${qualityLabel(Number(v))}`;
        },
      }, true);
    };
    player.on(Hls.Events.LEVEL_SWITCHED, () => syncLevels());
    player.on(Hls.Events.MANIFEST_PARSED, () => {
      syncLevels();
      if (autoplay) void start();
    });
    player.loadSource(src);
    player.attachMedia(video);
  }
}
