import { api, ApiError, type ItemDetail, type Playback } from "../api";
import { clock, h } from "../dom";
import { icons } from "../components";
import { navigate, type PageContext } from "../router";
import type HlsType from "hls.js";

export async function watchPage(main: HTMLElement, ctx: PageContext) {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id)) throw new Error("That is not a valid address.");
  main.className = "watch";
  document.body.setAttribute("data-no-spatial", "");

  const video = h("video", { class: "video", playsinline: true, preload: "auto", crossorigin: "anonymous", "aria-label": "Video" });
  const titleEl = h("div", { class: "watch-title" });
  const back = h("button", { class: "icon-btn", type: "button", "aria-label": "Back", onclick: () => goBack() }, icons.back());
  const playBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Play" }, icons.play());
  const seek = h("input", { class: "seek", type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "Position", "aria-valuetext": "0:00" });
  const time = h("span", { class: "time", "aria-hidden": "true" }, "0:00 / 0:00");
  const muteBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Mute" }, icons.volume());
  const audioSel = h("select", { class: "track-sel", "aria-label": "Audio track", hidden: true });
  const subSel = h("select", { class: "track-sel", "aria-label": "Subtitles", hidden: true });
  const fsBtn = h("button", { class: "icon-btn", type: "button", "aria-label": "Full screen" }, icons.fullscreen());
  const bigPlay = h("button", { class: "big-play", type: "button", "aria-label": "Play", hidden: true }, icons.play());
  const message = h("div", { class: "watch-message", role: "alert", hidden: true });
  const buffering = h("div", { class: "buffering", "aria-hidden": "true", hidden: true }, h("span", { class: "spin" }));
  const topBar = h("div", { class: "watch-top" }, back, titleEl);
  const controls = h("div", { class: "watch-controls", role: "group", "aria-label": "Player controls" },
    seek,
    h("div", { class: "controls-row" }, playBtn, time, h("span", { class: "spacer" }), audioSel, subSel, muteBtn, fsBtn),
  );
  const stage = h("div", { class: "stage" }, video, buffering, bigPlay, message, topBar, controls);
  main.append(stage);
  back.focus();

  let hls: HlsType | null = null;
  let item: ItemDetail | null = null;
  ctx.onLeave(() => {
    hls?.destroy();
    video.pause();
    video.removeAttribute("src");
    video.load();
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
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

  // Controls: shown on activity, hidden after 3 s of playback without any.
  let hideTimer: number | undefined;
  const wake = () => {
    stage.classList.remove("idle");
    clearTimeout(hideTimer);
    hideTimer = window.setTimeout(() => { if (!video.paused) stage.classList.add("idle"); }, 3000);
  };
  stage.addEventListener("pointermove", wake);
  stage.addEventListener("focusin", wake);
  ctx.onLeave(() => clearTimeout(hideTimer));

  const toggle = () => { if (video.paused) void video.play().catch(() => (bigPlay.hidden = false)); else video.pause(); wake(); };
  const seekBy = (s: number) => { if (Number.isFinite(video.duration)) video.currentTime = Math.max(0, Math.min(video.duration - 0.5, video.currentTime + s)); wake(); };
  const toggleMute = () => { video.muted = !video.muted; wake(); };
  const toggleFs = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void stage.requestFullscreen?.().catch(() => {});
    wake();
  };
  playBtn.addEventListener("click", toggle);
  bigPlay.addEventListener("click", toggle);
  video.addEventListener("click", toggle);
  video.addEventListener("dblclick", toggleFs);
  muteBtn.addEventListener("click", toggleMute);
  fsBtn.addEventListener("click", toggleFs);
  seek.addEventListener("input", () => { video.currentTime = Number(seek.value); });

  const onKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target as HTMLElement;
    if (t.tagName === "SELECT" && e.key !== " ") return;
    switch (e.key) {
      case " ": case "k": case "MediaPlayPause": toggle(); break;
      case "ArrowLeft": case "j": case "MediaRewind": seekBy(-10); break;
      case "ArrowRight": case "l": case "MediaFastForward": seekBy(10); break;
      case "f": toggleFs(); break;
      case "m": toggleMute(); break;
      case "ArrowUp": back.focus(); wake(); break;
      case "ArrowDown": playBtn.focus(); wake(); break;
      case "Escape": case "Backspace": case "BrowserBack":
        if (document.fullscreenElement) return; // the browser leaves full screen
        goBack(); break;
      default: wake(); return;
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
    fail(e instanceof ApiError && (e.status === 404 || e.status === 405) && item
      ? "This server cannot play videos yet (no playback endpoint)."
      : e instanceof Error ? e.message : String(e));
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

  for (const [i, s] of (playback.subtitles ?? []).entries()) {
    video.append(h("track", { kind: "subtitles", src: s.url, srclang: s.language ?? "und", label: s.label ?? s.language ?? `Subtitles ${i + 1}` }));
  }
  if (playback.subtitles?.length) {
    subSel.append(h("option", { value: "-1" }, "Subtitles off"), ...playback.subtitles.map((s, i) => h("option", { value: String(i) }, s.label ?? s.language ?? `Subtitles ${i + 1}`)));
    subSel.hidden = false;
    subSel.addEventListener("change", () => {
      const pick = Number(subSel.value);
      Array.from(video.textTracks).forEach((t, i) => (t.mode = i === pick ? "showing" : "disabled"));
    });
  }

  const start = () => video.play().then(() => (bigPlay.hidden = true)).catch(() => { bigPlay.hidden = false; buffering.hidden = true; bigPlay.focus(); });

  if (playback.hls && video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = playback.hls;
    void start();
    return;
  }
  if (playback.hls) {
    const { default: Hls } = await import("hls.js");
    if (ctx.signal.aborted) return;
    if (Hls.isSupported()) {
      const player = new Hls({ enableWorker: true, lowLatencyMode: false, backBufferLength: 60 });
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
        audioSel.replaceChildren(...tracks.map((t, i) => h("option", { value: String(i), selected: i === player.audioTrack }, t.name || t.lang || `Track ${i + 1}`)));
        audioSel.hidden = tracks.length < 2;
      };
      player.on(Hls.Events.AUDIO_TRACKS_UPDATED, syncAudio);
      player.on(Hls.Events.AUDIO_TRACK_SWITCHED, () => { audioSel.value = String(player.audioTrack); });
      audioSel.addEventListener("change", () => { player.audioTrack = Number(audioSel.value); });
      player.on(Hls.Events.MANIFEST_PARSED, () => void start());
      player.loadSource(playback.hls);
      player.attachMedia(video);
      return;
    }
  }
  if (playback.direct) {
    video.src = playback.direct;
    void start();
    return;
  }
  fail("This browser cannot play this video.");
}
