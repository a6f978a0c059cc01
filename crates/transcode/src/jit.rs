//! Just-in-time renditions: ffmpeg runs started at the segment a player asks for, a window
//! ahead of it, paused when far enough ahead and stopped when nobody has asked for a while.
//!
//! One *job* per (file, track, rendition) holds at most one ffmpeg *run*. A request for a
//! segment that is cached is answered from the cache. Otherwise, when the current run will reach
//! it soon (it started at or before it and has no more than the window left to go) the request
//! waits for it; else the run is replaced by one that starts at the requested segment — a seek
//! never encodes from the beginning. Each file the run finishes is repackaged onto the source's
//! plan ([`crate::repackage`]) and stored in the [`SegmentCache`]. A run that dies (a crash, a
//! SIGKILL) is retried from the segment that is wanted, twice, before the request fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marquee_media::{SampleIndex, SegmentPlan, TrackKind};
use tokio::sync::Notify;

use crate::burn::{rendition_name, BurnIn};
use crate::cache::SegmentCache;
use crate::command::{parse_segment_list, segment_args, SegmentRun, VideoEncoder, SEGMENT_LIST};
use crate::decide::Rendition;
use crate::ffmpeg::{Ffmpeg, Process};
use crate::repackage::{repackage, Base, Placement};

/// Settings of the transcoder.
#[derive(Debug, Clone)]
pub struct TranscodeConfig {
    /// Where finished segments are kept.
    pub cache_dir: PathBuf,
    /// Most bytes the cache holds.
    pub cache_cap: u64,
    /// Where runs write ffmpeg's files before they are repackaged (emptied at start).
    pub work_dir: PathBuf,
    /// x264 preset.
    pub preset: String,
    /// Segments a run may be ahead of the last one asked for before it is paused.
    pub window: usize,
    /// A run nobody has asked anything of for this long is stopped.
    pub idle: Duration,
    /// Longest a request waits for its segment.
    pub wait: Duration,
    /// Highest video a just-in-time transcode makes.
    pub max_height: u32,
    /// The H.264 encoder asked for (`MARQUEE_TRANSCODE_HWACCEL`); the transcoder uses it only
    /// when a test encode works.
    pub encoder: VideoEncoder,
}

impl TranscodeConfig {
    /// Defaults under `dir` (the server's data folder), overridden by `MARQUEE_TRANSCODE_*`.
    pub fn from_env(dir: &Path) -> TranscodeConfig {
        let num = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(default)
        };
        TranscodeConfig {
            cache_dir: std::env::var_os("MARQUEE_TRANSCODE_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join("transcode").join("cache")),
            // Fractions allowed (tests use a few KB).
            cache_cap: std::env::var("MARQUEE_TRANSCODE_CACHE_MB")
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|mb| mb.is_finite() && *mb >= 0.0)
                .map_or(10_240 << 20, |mb| (mb * 1_048_576.0) as u64),
            work_dir: dir.join("transcode").join("work"),
            preset: std::env::var("MARQUEE_TRANSCODE_PRESET")
                .ok()
                .filter(|p| PRESETS.contains(&p.as_str()))
                .unwrap_or_else(|| "veryfast".into()),
            window: num("MARQUEE_TRANSCODE_WINDOW", 4) as usize,
            idle: Duration::from_secs(num("MARQUEE_TRANSCODE_IDLE_SECS", 30)),
            wait: Duration::from_secs(60),
            max_height: num("MARQUEE_TRANSCODE_MAX_HEIGHT", 720) as u32,
            encoder: std::env::var("MARQUEE_TRANSCODE_HWACCEL")
                .ok()
                .and_then(|v| {
                    let e = VideoEncoder::parse(&v);
                    if e.is_none() {
                        tracing::warn!("MARQUEE_TRANSCODE_HWACCEL={v:?} is not vaapi, nvenc, qsv or software: using software");
                    }
                    e
                })
                .unwrap_or_default(),
        }
    }
}

const PRESETS: &[&str] = &[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
];

/// Why a transcoded segment could not be served.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TranscodeError {
    #[error("this server has no ffmpeg: {0}")]
    NoFfmpeg(String),
    #[error("segment {0} does not exist")]
    NoSuchSegment(usize),
    #[error("transcoding failed: {0}")]
    Failed(String),
    #[error("{0}")]
    CacheFull(String),
    #[error("segment {0} was not ready within {1} s")]
    Timeout(usize, u64),
}

/// What a job needs to know about its title (owned: runs outlive requests).
#[derive(Debug, Clone)]
pub struct Title {
    pub source: PathBuf,
    pub fingerprint: String,
    /// Plan ticks per second.
    pub timescale: u32,
    /// Each segment's start, in plan ticks.
    pub starts: Vec<i64>,
    /// Each segment's duration, in plan ticks.
    pub durations: Vec<u64>,
    /// When each picture of the subtitle track burnt in begins, in seconds, ascending (empty
    /// when nothing is burnt in, or the index has no times for it).
    pub pictures: Vec<f64>,
}

impl Title {
    pub fn new(source: &Path, fingerprint: &str, plan: &SegmentPlan) -> Title {
        Title {
            source: source.to_path_buf(),
            fingerprint: fingerprint.to_string(),
            timescale: plan.timescale.max(1),
            starts: plan.segments.iter().map(|s| s.start).collect(),
            durations: plan.segments.iter().map(|s| s.duration).collect(),
            pictures: Vec::new(),
        }
    }

    /// The same title with the start times of `burn`'s pictures, from `index`.
    pub fn with_pictures(mut self, index: &SampleIndex, burn: Option<BurnIn>) -> Title {
        let track = burn.and_then(|b| index.track(b.track_id));
        if let Some(t) = track.filter(|t| t.timescale > 0) {
            let scale = f64::from(t.timescale);
            self.pictures = t.samples.iter().map(|s| s.pts() as f64 / scale).collect();
            self.pictures.sort_by(f64::total_cmp);
        }
        self
    }

    /// When the last burnt picture at or before `t` (seconds) began.
    pub(crate) fn picture_since(&self, t: f64) -> Option<f64> {
        let n = self.pictures.partition_point(|p| *p <= t);
        n.checked_sub(1).map(|i| self.pictures[i])
    }

    pub(crate) fn secs(&self, ticks: i64) -> f64 {
        ticks as f64 / f64::from(self.timescale)
    }

    pub(crate) fn cut_secs(&self) -> Vec<f64> {
        self.starts.iter().map(|s| self.secs(*s)).collect()
    }
}

/// The track a job transcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrackSpec {
    pub track_id: u32,
    /// Position among the source's tracks of its kind (ffmpeg's `0:v:N` / `0:a:N`).
    pub position: usize,
    pub rendition: Rendition,
    pub source_height: u32,
    pub sample_rate: u32,
    /// An image subtitle track drawn into the video (a job, and cache entries, of its own).
    pub burn: Option<BurnIn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct JobKey {
    fingerprint: String,
    track_id: u32,
    rendition: Rendition,
    burn: Option<u32>,
}

impl JobKey {
    fn dir(&self) -> PathBuf {
        let fp: String = self
            .fingerprint
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        PathBuf::from(fp).join(format!(
            "{}-{}",
            self.track_id,
            rendition_name(self.rendition, self.burn)
        ))
    }
}

#[derive(Debug)]
struct RunState {
    id: u64,
    /// The next segment it will finish.
    next: usize,
    paused: bool,
    done: bool,
}

#[derive(Debug, Default)]
struct JobState {
    run: Option<RunState>,
    /// The segment asked for last: the window follows it, backwards too.
    wanted: usize,
    last_request: Option<Instant>,
    /// Runs that died while this segment was next, per segment.
    failures: HashMap<usize, u32>,
    /// Errors that retrying would not fix (verification, a full cache), per segment.
    errors: HashMap<usize, TranscodeError>,
    last_error: Option<String>,
}

struct Job {
    key: JobKey,
    title: Arc<Title>,
    spec: TrackSpec,
    state: Mutex<JobState>,
    changed: Notify,
}

/// How the C library (ffmpeg's messages) and Rust's `io::Error` describe ENOSPC.
const NO_SPACE: &str = "No space left on device";

/// Free bytes below which a failed run is put down to a full disk.
const LOW_SPACE: u64 = 1 << 20;

/// How many times a run may die at the same segment before requests for it fail.
const RETRIES: u32 = 2;

/// The just-in-time transcoder.
pub struct Transcoder {
    ffmpeg: Result<Ffmpeg, String>,
    /// The encoder in use: the configured one if it works, else software.
    encoder: VideoEncoder,
    /// Why the configured hardware encoder is not used.
    pub encoder_fallback: Option<String>,
    pub config: TranscodeConfig,
    cache: SegmentCache,
    jobs: Mutex<HashMap<JobKey, Arc<Job>>>,
    runs: AtomicU64,
}

impl Transcoder {
    /// A transcoder using `ffmpeg` (or saying why there is none).
    pub fn new(
        ffmpeg: Result<Ffmpeg, String>,
        config: TranscodeConfig,
    ) -> std::io::Result<Transcoder> {
        let _ = std::fs::remove_dir_all(&config.work_dir);
        let cache = SegmentCache::open(&config.cache_dir, config.cache_cap)?;
        let (encoder, encoder_fallback) = match &ffmpeg {
            Ok(f) => crate::ffmpeg::choose_encoder(f, &config.encoder),
            Err(_) => (VideoEncoder::Software, None),
        };
        Ok(Transcoder {
            ffmpeg,
            encoder,
            encoder_fallback,
            config,
            cache,
            jobs: Mutex::new(HashMap::new()),
            runs: AtomicU64::new(0),
        })
    }

    /// The ffmpeg in use, or why there is none.
    pub fn ffmpeg(&self) -> Result<&Ffmpeg, &str> {
        self.ffmpeg.as_ref().map_err(String::as_str)
    }

    /// The H.264 encoder in use.
    pub fn encoder(&self) -> &VideoEncoder {
        &self.encoder
    }

    pub fn cache(&self) -> &SegmentCache {
        &self.cache
    }

    fn job(&self, title: &Arc<Title>, spec: TrackSpec) -> Arc<Job> {
        let key = JobKey {
            fingerprint: title.fingerprint.clone(),
            track_id: spec.track_id,
            rendition: spec.rendition,
            burn: spec.burn.map(|b| b.track_id),
        };
        let Ok(mut jobs) = self.jobs.lock() else {
            return Arc::new(Job::new(key, title.clone(), spec));
        };
        jobs.entry(key.clone())
            .or_insert_with(|| Arc::new(Job::new(key, title.clone(), spec)))
            .clone()
    }

    /// The init segment of the rendition (made with its first segment).
    pub async fn init(
        self: &Arc<Self>,
        title: &Arc<Title>,
        spec: TrackSpec,
    ) -> Result<PathBuf, TranscodeError> {
        let job = self.job(title, spec);
        let rel = job.key.dir().join("init.mp4");
        let start = job.state.lock().map(|s| s.wanted).unwrap_or(0);
        self.wait_for(&job, &rel, start).await
    }

    /// Media segment `n` of the rendition: from the cache, or made now.
    pub async fn segment(
        self: &Arc<Self>,
        title: &Arc<Title>,
        spec: TrackSpec,
        n: usize,
    ) -> Result<PathBuf, TranscodeError> {
        if n >= title.starts.len() {
            return Err(TranscodeError::NoSuchSegment(n));
        }
        let job = self.job(title, spec);
        let rel = job.key.dir().join(format!("{n}.m4s"));
        self.wait_for(&job, &rel, n).await
    }

    /// Waits until `rel` is cached, starting or steering runs so that segment `n` gets made.
    async fn wait_for(
        self: &Arc<Self>,
        job: &Arc<Job>,
        rel: &Path,
        n: usize,
    ) -> Result<PathBuf, TranscodeError> {
        let deadline = Instant::now() + self.config.wait;
        loop {
            let notified = job.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(p) = self.cache.get(rel) {
                job.asked(n);
                return Ok(p);
            }
            let ffmpeg = self
                .ffmpeg
                .as_ref()
                .map_err(|e| TranscodeError::NoFfmpeg(e.clone()))?
                .clone();
            let start = {
                let Ok(mut s) = job.state.lock() else {
                    return Err(TranscodeError::Failed("the job's state is poisoned".into()));
                };
                s.wanted = n;
                s.last_request = Some(Instant::now());
                if let Some(e) = s.errors.remove(&n) {
                    return Err(e);
                }
                let window = self.config.window.max(1);
                let covered = s
                    .run
                    .as_ref()
                    .is_some_and(|r| !r.done && r.next <= n && n < r.next + window);
                // Made already (stores update `next` under this lock after writing): look again.
                if let Some(p) = self.cache.get(rel) {
                    drop(s);
                    job.changed.notify_waiters();
                    return Ok(p);
                }
                if covered {
                    None
                } else if s.failures.get(&n).copied().unwrap_or(0) > RETRIES {
                    let e = s
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "ffmpeg failed".into());
                    s.failures.remove(&n);
                    return Err(TranscodeError::Failed(e));
                } else {
                    let id = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
                    s.run = Some(RunState {
                        id,
                        next: n,
                        paused: false,
                        done: false,
                    });
                    Some(id)
                }
            };
            if let Some(id) = start {
                let me = self.clone();
                let job2 = job.clone();
                tokio::spawn(async move { me.run(job2, ffmpeg, id, n).await });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TranscodeError::Timeout(n, self.config.wait.as_secs()));
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(500)), notified).await;
        }
    }

    /// One ffmpeg run of `job` from segment `first`, supervised until it ends, is replaced, or
    /// nobody wants it any more.
    async fn run(self: Arc<Self>, job: Arc<Job>, ffmpeg: Ffmpeg, id: u64, first: usize) {
        let outcome = self.supervise(&job, &ffmpeg, id, first).await;
        if let Ok(mut s) = job.state.lock() {
            let current = s.run.as_ref().is_some_and(|r| r.id == id);
            if let Err(e) = &outcome {
                tracing::warn!(
                    "transcoding {} track {} ({}) from segment {first}: {e}",
                    job.title.source.display(),
                    job.spec.track_id,
                    job.spec.rendition
                );
                if current {
                    let at = s.run.as_ref().map_or(first, |r| r.next);
                    if e.contains(NO_SPACE) {
                        // Retrying cannot help: the segment's request fails at once.
                        let full = format!(
                            "the disk holding the transcoding folder {} is full (no space left on device): free some space or lower MARQUEE_TRANSCODE_CACHE_MB",
                            self.config.work_dir.display()
                        );
                        s.errors.insert(at, TranscodeError::CacheFull(full));
                    } else {
                        *s.failures.entry(at).or_insert(0) += 1;
                    }
                    s.last_error = Some(e.clone());
                }
            }
            if current {
                if let Some(r) = s.run.as_mut() {
                    r.done = true;
                }
            }
        }
        job.changed.notify_waiters();
    }

    async fn supervise(
        &self,
        job: &Arc<Job>,
        ffmpeg: &Ffmpeg,
        id: u64,
        first: usize,
    ) -> Result<(), String> {
        let title = &job.title;
        let dir = self.config.work_dir.join(format!("run-{id}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let _cleanup = RemoveDir(dir.clone());
        let cuts = title.cut_secs();
        let start = cuts.get(first).copied().unwrap_or(0.0);
        let args = segment_args(&SegmentRun {
            source: &title.source,
            position: job.spec.position,
            rendition: job.spec.rendition,
            start,
            cuts: &cuts,
            first_segment: first,
            source_height: job.spec.source_height,
            sample_rate: job.spec.sample_rate,
            preset: &self.config.preset,
            encoder: &self.encoder,
            out_dir: &dir,
            picture_since: title.picture_since(start),
            burn: job.spec.burn,
        });
        let mut command = Command::new(&ffmpeg.path);
        command.args(&args);
        let log = dir.join("stderr.log");
        let process = Process::spawn(command, &log)
            .map_err(|e| format!("cannot start {}: {e}", ffmpeg.path.display()))?;
        tracing::debug!(
            "ffmpeg {} for {} track {} from segment {first}",
            process.pid(),
            title.source.display(),
            job.spec.track_id
        );
        let list = dir.join(SEGMENT_LIST);
        let mut handled = 0usize;
        loop {
            let exited = process.exited();
            let listed = std::fs::read_to_string(&list).unwrap_or_default();
            let entries = parse_segment_list(&listed);
            for e in entries.iter().skip(handled) {
                self.store(job, id, &dir, start, e.number, e.start).await;
                handled += 1;
            }
            if let Some(status) = exited {
                // The list is complete once ffmpeg has exited.
                let listed = std::fs::read_to_string(&list).unwrap_or_default();
                for e in parse_segment_list(&listed).iter().skip(handled) {
                    self.store(job, id, &dir, start, e.number, e.start).await;
                }
                if status.success() {
                    return Ok(());
                }
                let stderr = std::fs::read_to_string(&log).unwrap_or_default();
                let mut tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
                // On a full disk the log itself may be empty: the disk says so then.
                let full = stderr.contains(NO_SPACE)
                    || crate::cache::free_bytes(&dir).is_some_and(|b| b < LOW_SPACE);
                if full && !tail.contains(NO_SPACE) {
                    tail = format!("{NO_SPACE} / {tail}");
                }
                return Err(format!(
                    "ffmpeg {} ended with {status}{}",
                    process.pid(),
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(": {tail}")
                    }
                ));
            }
            // Steer: replaced, idle, or far enough ahead.
            let (replaced, idle, set_pause) = {
                let Ok(mut s) = job.state.lock() else {
                    return Err("the job's state is poisoned".into());
                };
                let wanted = s.wanted;
                let idle = s
                    .last_request
                    .is_some_and(|t| t.elapsed() > self.config.idle);
                match s.run.as_mut().filter(|r| r.id == id) {
                    None => (true, idle, None),
                    Some(r) => {
                        let pause = r.next > wanted + self.config.window;
                        let changed = pause != r.paused;
                        r.paused = pause;
                        (false, idle, changed.then_some(pause))
                    }
                }
            };
            if replaced || idle {
                tracing::debug!(
                    "stopping ffmpeg {} ({})",
                    process.pid(),
                    if replaced { "replaced" } else { "idle" }
                );
                return Ok(());
            }
            if let Some(pause) = set_pause {
                process.pause(pause);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Repackages ffmpeg's file for segment `n` and stores it (and the init segment).
    async fn store(
        &self,
        job: &Arc<Job>,
        run: u64,
        dir: &Path,
        run_start: f64,
        n: usize,
        offset: f64,
    ) {
        let file = dir.join(format!("{n}.mp4"));
        let title = job.title.clone();
        let spec = job.spec;
        let video = spec.rendition.is_video();
        let placement = Placement {
            track_id: spec.track_id,
            kind: if video {
                TrackKind::Video
            } else {
                TrackKind::Audio
            },
            // Video keeps the plan's timescale so that its cuts are exact; audio its own.
            timescale: video.then_some(title.timescale),
            base: if video {
                Base::Ticks(title.starts.get(n).copied().unwrap_or(0))
            } else {
                Base::Seconds(run_start + offset)
            },
            n,
            planned_duration: if video {
                title.durations.get(n).copied()
            } else {
                None
            },
        };
        let produced =
            tokio::task::spawn_blocking(move || repackage(&file, placement).map(|r| (r, file)))
                .await;
        let dir_rel = job.key.dir();
        let result: Result<(), TranscodeError> = match produced {
            Err(e) => Err(TranscodeError::Failed(format!("repackaging panicked: {e}"))),
            Ok(Err(e)) => Err(TranscodeError::Failed(e.to_string())),
            Ok(Ok((r, file))) => {
                let _ = std::fs::remove_file(file);
                let init_rel = dir_rel.join("init.mp4");
                let init_ok = if self.cache.get(&init_rel).is_none() {
                    self.cache.put(&init_rel, &r.init).map(|_| ())
                } else {
                    Ok(())
                };
                init_ok
                    .and_then(|_| {
                        self.cache
                            .put(&dir_rel.join(format!("{n}.m4s")), &r.segment)
                            .map(|_| ())
                    })
                    .map_err(|e| {
                        if e.is_full() {
                            TranscodeError::CacheFull(e.to_string())
                        } else {
                            TranscodeError::Failed(e.to_string())
                        }
                    })
            }
        };
        if let Ok(mut s) = job.state.lock() {
            if let Some(r) = s.run.as_mut().filter(|r| r.id == run) {
                if r.next <= n {
                    r.next = n + 1;
                }
            }
            s.failures.remove(&n);
            if let Err(e) = result {
                tracing::warn!("segment {n} of {}: {e}", job.title.source.display());
                s.errors.insert(n, e);
            }
        }
        job.changed.notify_waiters();
    }
}

impl Job {
    fn new(key: JobKey, title: Arc<Title>, spec: TrackSpec) -> Job {
        Job {
            key,
            title,
            spec,
            state: Mutex::new(JobState::default()),
            changed: Notify::new(),
        }
    }

    /// Records that segment `n` was asked for (served from the cache).
    fn asked(&self, n: usize) {
        if let Ok(mut s) = self.state.lock() {
            s.wanted = n;
            s.last_request = Some(Instant::now());
        }
    }
}

struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_on_screen_is_the_last_that_began() {
        let title = Title {
            source: PathBuf::new(),
            fingerprint: String::new(),
            timescale: 1,
            starts: Vec::new(),
            durations: Vec::new(),
            pictures: vec![0.0, 1.0, 42.0],
        };
        assert_eq!(title.picture_since(38.0), Some(1.0));
        assert_eq!(title.picture_since(42.0), Some(42.0));
        assert_eq!(title.picture_since(0.5), Some(0.0));
        let plain = Title {
            pictures: Vec::new(),
            ..title
        };
        assert_eq!(plain.picture_since(10.0), None);
    }
}
