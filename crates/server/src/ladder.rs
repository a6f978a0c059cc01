//! The ladder worker: runs queued ahead-of-time transcoding jobs ([`marquee_store::TranscodeJob`]),
//! a bounded number at a time, one rung after another ([`marquee_transcode::ladder`]).
//!
//! Jobs left running by a server that stopped are queued again at start-up; each resumes where
//! its files stop (published rungs are skipped, a rung restarts at its first missing segment).
//! Live progress (rung, segments, ffmpeg's fps and speed) is kept in memory for the admin API,
//! and written to the job's row every second.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marquee_media::TrackKind;
use marquee_store::TranscodeJob;
use marquee_transcode::decide::Rendition;
use marquee_transcode::ladder::{ladder_rungs, LadderError, LadderStore, Rung, RungStatus};
use marquee_transcode::{Title, TrackSpec};
use serde::Serialize;
use tokio::sync::{Notify, Semaphore};
use utoipa::ToSchema;

use crate::AppState;

/// Ladders on disk and the jobs running now.
pub struct Ladders {
    pub store: LadderStore,
    work: PathBuf,
    /// Jobs run at once.
    pub concurrency: usize,
    wake: Notify,
    live: Mutex<HashMap<i64, Arc<LiveJob>>>,
}

/// A running job, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveProgress {
    /// The rendition being made (`h264-720`, `aac`).
    pub rung: Option<String>,
    /// Its position (from 1) among `rungs`.
    pub rung_number: usize,
    pub rungs: usize,
    pub segments_done: usize,
    pub segments: usize,
    /// 0–100 over every rung.
    pub percent: f64,
    /// Frames per second ffmpeg reports (0 for audio).
    pub fps: f64,
    /// Media seconds made per second.
    pub speed: f64,
    /// The ffmpeg process making the rung.
    pub ffmpeg_pid: Option<i32>,
    /// ffmpeg runs that died and were started again.
    pub retries: u32,
}

struct LiveJob {
    cancel: AtomicBool,
    rung: Mutex<(Option<String>, usize)>,
    rungs: Mutex<usize>,
    /// Segments of the rungs finished before the current one.
    done_before: Mutex<usize>,
    status: Mutex<RungStatus>,
    retries_before: Mutex<u32>,
}

impl LiveJob {
    fn progress(&self) -> LiveProgress {
        let (rung, rung_number) = self.rung.lock().map(|r| r.clone()).unwrap_or((None, 0));
        let rungs = self.rungs.lock().map(|r| *r).unwrap_or(0);
        let before = self.done_before.lock().map(|d| *d).unwrap_or(0);
        let retries_before = self.retries_before.lock().map(|d| *d).unwrap_or(0);
        let s = self.status.lock().map(|s| s.clone()).unwrap_or_default();
        let total = rungs * s.segments;
        LiveProgress {
            rung,
            rung_number,
            rungs,
            segments_done: s.segments_done,
            segments: s.segments,
            percent: if total == 0 {
                0.0
            } else {
                ((before + s.segments_done) as f64 * 100.0 / total as f64).min(100.0)
            },
            fps: s.fps,
            speed: s.speed,
            ffmpeg_pid: s.pid,
            retries: retries_before + s.retries,
        }
    }
}

impl Ladders {
    /// Ladders under `DATA/transcode/ladder`, `concurrency` jobs at a time (at least one).
    pub fn new(data: &Path, concurrency: usize) -> Ladders {
        Ladders {
            store: LadderStore::new(data.join("transcode").join("ladder")),
            work: data.join("transcode").join("ladder-work"),
            concurrency: concurrency.max(1),
            wake: Notify::new(),
            live: Mutex::default(),
        }
    }

    /// Asks the worker to look for queued jobs now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Live progress of a running job.
    pub fn progress(&self, job_id: i64) -> Option<LiveProgress> {
        let live = self.live.lock().ok()?.get(&job_id).cloned()?;
        Some(live.progress())
    }

    /// Stops a running job (its ffmpeg is killed, its unfinished rungs removed).
    pub fn cancel(&self, job_id: i64) {
        if let Some(live) = self.live.lock().ok().and_then(|l| l.get(&job_id).cloned()) {
            live.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts the worker: re-queues jobs a stopped server left running, then runs queued jobs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let _ = std::fs::remove_dir_all(&state.ladders.work);
        match state.store.requeue_running_transcode_jobs().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!("{n} transcoding job(s) interrupted by a restart are queued again")
            }
            Err(e) => tracing::error!("cannot re-queue interrupted transcoding jobs: {e}"),
        }
        let slots = Arc::new(Semaphore::new(state.ladders.concurrency));
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let job = match state.store.claim_transcode_job().await {
                Ok(Some(job)) => job,
                Ok(None) => {
                    drop(permit);
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), state.ladders.wake.notified())
                            .await;
                    continue;
                }
                Err(e) => {
                    drop(permit);
                    tracing::error!("cannot take a transcoding job: {e}");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            let state = state.clone();
            tokio::spawn(async move {
                run(&state, &job).await;
                drop(permit);
                state.ladders.wake();
            });
        }
    });
}

/// Runs one claimed job to its end and records how it ended.
async fn run(state: &AppState, job: &TranscodeJob) {
    let live = Arc::new(LiveJob {
        cancel: AtomicBool::new(false),
        rung: Mutex::new((None, 0)),
        rungs: Mutex::new(0),
        done_before: Mutex::new(0),
        status: Mutex::default(),
        retries_before: Mutex::new(0),
    });
    if let Ok(mut l) = state.ladders.live.lock() {
        l.insert(job.id, live.clone());
    }
    // Progress to the job's row and, every few seconds, to the log.
    let reporter = {
        let state = state.clone();
        let live = live.clone();
        let (id, item) = (job.id, job.item_id);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut logged = Instant::now();
            loop {
                tick.tick().await;
                // A cancel the API recorded before this job's flag existed, or from elsewhere.
                if let Ok(j) = state.store.transcode_job(id).await {
                    if j.status == "cancelled" {
                        live.cancel.store(true, Ordering::Relaxed);
                    }
                }
                let p = live.progress();
                let _ = state
                    .store
                    .transcode_progress(id, p.percent, p.rung.as_deref(), i64::from(p.retries))
                    .await;
                if logged.elapsed() >= Duration::from_secs(5) {
                    logged = Instant::now();
                    tracing::info!(
                        job = id,
                        item,
                        rung = p.rung.as_deref().unwrap_or("-"),
                        percent = format!("{:.1}", p.percent),
                        fps = p.fps,
                        speed = p.speed,
                        "transcoding ladder"
                    );
                }
            }
        })
    };
    let outcome = make_ladder(state, job, &live).await;
    reporter.abort();
    let retries = i64::from(live.progress().retries);
    if let Ok(mut l) = state.ladders.live.lock() {
        l.remove(&job.id);
    }
    let recorded = match &outcome {
        Ok(()) => {
            let _ = state
                .store
                .transcode_progress(job.id, 100.0, None, retries)
                .await;
            tracing::info!(job = job.id, item = job.item_id, "ladder finished");
            state.store.finish_transcode_job(job.id, None).await
        }
        Err(LadderError::Cancelled) => {
            tracing::info!(job = job.id, item = job.item_id, "ladder cancelled");
            Ok(())
        }
        Err(LadderError::Failed(e)) => {
            tracing::warn!(job = job.id, item = job.item_id, "ladder failed: {e}");
            let _ = state
                .store
                .transcode_progress(job.id, live.progress().percent, None, retries)
                .await;
            state.store.finish_transcode_job(job.id, Some(e)).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(
            job = job.id,
            "cannot record the end of a transcoding job: {e}"
        );
    }
}

async fn make_ladder(
    state: &AppState,
    job: &TranscodeJob,
    live: &Arc<LiveJob>,
) -> Result<(), LadderError> {
    let failed = |e: String| LadderError::Failed(e);
    let ffmpeg = state
        .transcoder
        .ffmpeg()
        .map_err(|e| failed(format!("this server cannot transcode: {e}")))?
        .clone();
    let file = state
        .store
        .playable_file(job.item_id)
        .await
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| failed(format!("item {} has no file", job.item_id)))?;
    if file.status != "ok" {
        return Err(failed(format!(
            "the file of item {} is {}",
            job.item_id, file.status
        )));
    }
    let real = state.inside_media_roots(&file.path).ok_or_else(|| {
        failed(format!(
            "{} is not inside a media folder",
            file.path.display()
        ))
    })?;
    let packaged = state
        .packaging
        .get(&real, &file.fingerprint)
        .await
        .map_err(|e| failed(format!("{} cannot be read: {e}", real.display())))?;
    let index = &packaged.index;
    let video = index
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Video && !t.samples.is_empty());
    let audio = main_audio(index);
    let position = |id: u32, kind: TrackKind| {
        index
            .tracks
            .iter()
            .filter(|t| t.kind == kind)
            .position(|t| t.track_id == id)
            .unwrap_or(0)
    };
    let mut specs: Vec<TrackSpec> = Vec::new();
    if let Some(v) = video {
        for rendition in ladder_rungs(v.codec_config.height, &job.heights) {
            specs.push(TrackSpec {
                track_id: v.track_id,
                position: position(v.track_id, TrackKind::Video),
                rendition,
                source_height: v.codec_config.height,
                sample_rate: 0,
                burn: None,
            });
        }
    }
    if let Some(a) = audio {
        specs.push(TrackSpec {
            track_id: a.track_id,
            position: position(a.track_id, TrackKind::Audio),
            rendition: Rendition::AacStereo,
            source_height: 0,
            sample_rate: a.codec_config.sample_rate,
            burn: None,
        });
    }
    if specs.iter().all(|s| !s.rendition.is_video()) {
        return Err(failed(format!(
            "{} has no video to make a ladder of",
            real.display()
        )));
    }
    if let Ok(mut r) = live.rungs.lock() {
        *r = specs.len();
    }
    let title = Arc::new(Title::new(
        &packaged.source,
        &packaged.fingerprint,
        &packaged.plan,
    ));
    let ladders = &state.ladders;
    for (i, spec) in specs.iter().enumerate() {
        if let Ok(mut r) = live.rung.lock() {
            *r = (Some(spec.rendition.to_string()), i + 1);
        }
        let dir = ladders
            .store
            .rung_dir(&title.fingerprint, spec.track_id, spec.rendition);
        let already = ladders
            .store
            .published(&title.fingerprint, spec.track_id, spec.rendition)
            .is_some();
        if !already {
            let work = ladders.work.join(format!(
                "job-{}-{}-{}",
                job.id, spec.track_id, spec.rendition
            ));
            let rung_live = live.clone();
            let (ffmpeg, encoder, preset, rung_title, spec) = (
                ffmpeg.clone(),
                state.transcoder.encoder().clone(),
                state.transcoder.config.preset.clone(),
                title.clone(),
                *spec,
            );
            let dir2 = dir.clone();
            let made = tokio::task::spawn_blocking(move || {
                Rung {
                    ffmpeg: &ffmpeg,
                    encoder: &encoder,
                    preset: &preset,
                    title: &rung_title,
                    spec,
                    dir: &dir2,
                    work: &work,
                }
                .make(&rung_live.status, &rung_live.cancel)
            })
            .await
            .map_err(|e| failed(format!("the transcoding thread ended: {e}")))
            .and_then(|r| r);
            if let Err(e) = made {
                if e == LadderError::Cancelled {
                    remove_unpublished(ladders, &title.fingerprint);
                }
                return Err(e);
            }
        }
        let segments = title.starts.len();
        if let (Ok(mut before), Ok(mut s), Ok(mut retries)) = (
            live.done_before.lock(),
            live.status.lock(),
            live.retries_before.lock(),
        ) {
            *before += segments;
            *retries += s.retries;
            *s = RungStatus {
                segments,
                ..RungStatus::default()
            };
        }
    }
    Ok(())
}

/// The audio track a ladder carries: the default one, else the first with samples.
pub fn main_audio(index: &marquee_media::SampleIndex) -> Option<&marquee_media::TrackIndex> {
    let audio = || {
        index
            .tracks
            .iter()
            .filter(|t| t.kind == TrackKind::Audio && !t.samples.is_empty())
    };
    audio().find(|t| t.default).or_else(|| audio().next())
}

/// Removes a title's rungs that were not finished (what a cancelled job leaves).
fn remove_unpublished(ladders: &Ladders, fingerprint: &str) {
    let Ok(dir) = std::fs::read_dir(ladders.store.title_dir(fingerprint)) else {
        return;
    };
    for e in dir.flatten() {
        let p = e.path();
        if p.is_dir() && !p.join(marquee_transcode::ladder::PUBLISHED).is_file() {
            if let Err(err) = std::fs::remove_dir_all(&p) {
                tracing::warn!("cannot remove the unfinished rung {}: {err}", p.display());
            }
        }
    }
}
