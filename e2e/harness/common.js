// Shared by hls.html and dash.html: watches the <video> element and exposes what the tests read
// on `window.e2e`. The page never throws at the test: everything goes into this state.
(function () {
  const video = document.getElementById('video');
  const params = new URLSearchParams(location.search);
  const state = {
    src: params.get('src'),
    player: null, // 'hls.js 1.x' / 'dash.js 5.x', set by the page
    fatalErrors: [], // player errors that stop playback, plus <video> MediaErrors
    otherErrors: [], // non-fatal player errors (kept for diagnostics, capped)
    events: [], // media events with the time they happened at (capped)
    ended: false,
    endedCount: 0,
    playRejected: null,
    seeks: [], // { target, from, landedAt, seekedCount }
  };
  const started = performance.now();
  // Who ends the stream and who pauses: MediaSource.endOfStream() calls and pause() callers
  // (a player that pauses at the end without ending the MediaSource leaves `ended` unfired).
  state.endOfStream = [];
  state.pauseCalls = [];
  const origEndOfStream = MediaSource.prototype.endOfStream;
  MediaSource.prototype.endOfStream = function (...args) {
    state.endOfStream.push({ t: round(video.currentTime), at: Math.round(performance.now() - started), readyState: this.readyState, args });
    return origEndOfStream.apply(this, args);
  };
  const origPause = HTMLMediaElement.prototype.pause;
  HTMLMediaElement.prototype.pause = function () {
    if (state.pauseCalls.length < 20) {
      const stack = (new Error().stack || '').split('\n').slice(2, 5).map((l) => l.trim().slice(0, 160));
      state.pauseCalls.push({ t: round(this.currentTime), at: Math.round(performance.now() - started), stack });
    }
    return origPause.apply(this, arguments);
  };
  const cap = (list, item, max) => {
    if (list.length < max) list.push(item);
  };

  for (const name of ['loadedmetadata', 'canplay', 'playing', 'waiting', 'stalled', 'seeking', 'seeked', 'pause', 'ended', 'error', 'durationchange']) {
    video.addEventListener(name, () => {
      cap(state.events, { event: name, t: round(video.currentTime), at: Math.round(performance.now() - started) }, 500);
    });
  }
  video.addEventListener('ended', () => {
    state.ended = true;
    state.endedCount += 1;
  });
  video.addEventListener('seeked', () => {
    const seek = state.seeks[state.seeks.length - 1];
    if (seek && seek.landedAt === null) seek.landedAt = round(video.currentTime);
  });
  video.addEventListener('error', () => {
    const e = video.error;
    state.fatalErrors.push({ source: 'video', code: e && e.code, message: e && e.message });
  });

  function round(x) {
    return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
  }
  function buffered() {
    const out = [];
    for (let i = 0; i < video.buffered.length; i++) out.push([round(video.buffered.start(i)), round(video.buffered.end(i))]);
    return out;
  }

  window.e2e = {
    state,
    video,
    recordFatal(err) {
      state.fatalErrors.push(err);
    },
    /** A player's own "playback ended" signal, for players that end playback themselves. */
    recordPlayerEnded(source) {
      state.ended = true;
      state.endedCount += 1;
      cap(state.events, { event: `ended (${source})`, t: round(video.currentTime), at: Math.round(performance.now() - started) }, 500);
    },
    recordOther(err) {
      cap(state.otherErrors, err, 100);
    },
    play() {
      const p = video.play();
      if (p && p.catch) p.catch((e) => (state.playRejected = String(e)));
    },
    seek(target) {
      state.seeks.push({ target, from: round(video.currentTime), landedAt: null });
      video.currentTime = target;
    },
    /** The element's text tracks with their loaded cues (first 20 of each). */
    textTracks() {
      return Array.from(video.textTracks).map((t) => ({
        kind: t.kind,
        label: t.label,
        language: t.language,
        mode: t.mode,
        cues: t.cues
          ? Array.from(t.cues).slice(0, 20).map((c) => ({ start: round(c.startTime), end: round(c.endTime), text: c.text }))
          : null,
      }));
    },
    snapshot() {
      return {
        player: state.player,
        src: state.src,
        currentTime: round(video.currentTime),
        duration: round(video.duration),
        paused: video.paused,
        ended: state.ended,
        endedCount: state.endedCount,
        seeking: video.seeking,
        readyState: video.readyState,
        networkState: video.networkState,
        videoWidth: video.videoWidth,
        videoHeight: video.videoHeight,
        buffered: buffered(),
        playRejected: state.playRejected,
        fatalErrors: state.fatalErrors,
        otherErrors: state.otherErrors.slice(-10),
        seeks: state.seeks,
        endOfStream: state.endOfStream,
        pauseCalls: state.pauseCalls,
        mediaSourceState: video.srcObject ? String(video.srcObject.readyState) : undefined,
        lastEvents: state.events.slice(-15),
      };
    },
  };
  document.getElementById('src').textContent = state.src || '(no ?src= given)';
  setInterval(() => {
    document.getElementById('status').textContent =
      `t=${video.currentTime.toFixed(2)} / ${video.duration.toFixed ? video.duration.toFixed(2) : video.duration}` +
      ` ended=${state.ended} fatal=${state.fatalErrors.length}`;
  }, 250);
})();
