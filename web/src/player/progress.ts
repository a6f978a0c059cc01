// Tells the server where playback is: every 10 s while playing, on pause, after a seek, at the
// end, and when the page goes away (a keepalive request survives a reload or a closed tab).
import { ApiError, reportProgress } from "../api";

const EVERY_MS = 10_000;

export class ProgressReporter {
  private timer: number | undefined;
  private last = -1;
  private off = false;
  private readonly onPageHide = () => this.send(true);

  constructor(private readonly itemId: number, private readonly video: HTMLVideoElement) {
    const now = () => this.send();
    video.addEventListener("pause", now);
    video.addEventListener("seeked", now);
    video.addEventListener("ended", now);
    window.addEventListener("pagehide", this.onPageHide);
    this.timer = window.setInterval(() => { if (!video.paused) this.send(); }, EVERY_MS);
  }

  /** The final report (leaving the player) and no more after it. */
  stop() {
    this.send(true);
    this.off = true;
    clearInterval(this.timer);
    window.removeEventListener("pagehide", this.onPageHide);
  }

  private send(keepalive = false) {
    const v = this.video;
    if (this.off || !Number.isFinite(v.duration) || v.readyState === 0) return;
    const position = v.ended ? v.duration : v.currentTime;
    const ms = Math.round(position * 1000);
    if (Math.abs(ms - this.last) < 500) return; // nothing new to say
    this.last = ms;
    reportProgress(this.itemId, ms, Math.round(v.duration * 1000), keepalive).catch((e) => {
      // A server without viewing history: stop asking.
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) this.off = true;
    });
  }
}
