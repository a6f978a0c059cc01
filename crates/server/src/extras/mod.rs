//! The extras worker: what is derived from media files in the background, one file at a time.
//!
//! For each present file without extras for its current content it stores
//! * chapters (from the container, read natively; else from the video's NFO/JSON sidecar) and the
//!   skip markers that chapters or sidecars name;
//! * with ffmpeg: audio fingerprints of the opening and the ending, a still (a representative,
//!   non-blank frame, in a few sizes, with a blurhash) when no sidecar image stands in for it,
//!   and scrub thumbnails (sprite sheets and a WebVTT track) while under the disk cap.
//!
//! When a season's files are all done, its intros and end credits are found by matching the
//! episodes' fingerprints ([`markers::match_season`]). Images live in `DATA/extras/<file id>/` and
//! are removed when the file goes away or changes. Without ffmpeg only chapters, sidecar
//! markers and sidecar-art placeholders are made; that is said once at start.
//!
//! The worker wakes when the catalog changes (the store's generation) and never blocks scans:
//! it reads through the reader pool and writes one small row per file.

pub mod ffmpeg;
pub mod images;
pub mod markers;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use marquee_catalog::sidecar::{self, Metadata};
use marquee_media::audio_match;
use marquee_store::extras::{ExtrasJob, FileExtras, Span, StillInfo};
use marquee_store::Store;
use tokio::sync::Notify;

use ffmpeg::Ffmpeg;

/// Default cap on the disk used by scrub thumbnails: 2 GiB (`MARQUEE_THUMBNAILS_MAX_MB`).
const DEFAULT_THUMBNAILS_CAP: u64 = 2 << 30;

/// Shared between the worker and the handlers that serve its results.
pub struct Extras {
    /// `DATA/extras`.
    pub dir: PathBuf,
    thumbnails_cap: u64,
    wake: Notify,
}

impl Extras {
    pub fn new(data: &Path) -> Extras {
        let thumbnails_cap = std::env::var("MARQUEE_THUMBNAILS_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_THUMBNAILS_CAP, |mb| mb << 20);
        Extras {
            dir: data.join("extras"),
            thumbnails_cap,
            wake: Notify::new(),
        }
    }

    /// The folder of a file's images.
    pub fn file_dir(&self, file_id: i64) -> PathBuf {
        self.dir.join(file_id.to_string())
    }

    /// Asks the worker to look for work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Starts the worker on the current runtime.
pub fn spawn(store: Store, extras: Arc<Extras>) {
    tokio::spawn(async move {
        let ffmpeg = Ffmpeg::detect().await;
        match &ffmpeg {
            Some(_) => {
                tracing::info!("ffmpeg found: stills, scrub thumbnails and intro detection are on")
            }
            None => tracing::warn!(
                "ffmpeg not found (set MARQUEE_FFMPEG or install it): no stills, scrub thumbnails \
                 or intro detection; sidecar artwork, chapters and sidecar markers still work"
            ),
        }
        let worker = Worker {
            store,
            extras,
            ffmpeg,
        };
        worker.run().await;
    });
}

struct Worker {
    store: Store,
    extras: Arc<Extras>,
    ffmpeg: Option<Ffmpeg>,
}

impl Worker {
    async fn run(&self) {
        let mut seen_generation = None;
        loop {
            let generation = self.store.generation();
            if seen_generation != Some(generation) {
                seen_generation = Some(generation);
                if let Err(e) = self.pass().await {
                    tracing::warn!(error = %e, "extras: a pass failed; retrying on the next change");
                }
                // What this pass wrote bumped the generation: look again at once.
                if self.store.generation() != generation {
                    seen_generation = None;
                }
            }
            tokio::select! {
                _ = self.extras.wake.notified() => seen_generation = None,
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }

    /// Cleans up, does pending files (a batch), matches seasons that are complete.
    async fn pass(&self) -> Result<(), String> {
        self.clean_up().await?;
        let jobs = self
            .store
            .pending_extras(16)
            .await
            .map_err(|e| e.to_string())?;
        for job in &jobs {
            let extras = self.process(job).await;
            if let Some(e) = &extras.error {
                tracing::info!(file = %job.path.display(), reason = %e, "extras: partly done");
            }
            self.store
                .save_file_extras(&extras)
                .await
                .map_err(|e| e.to_string())?;
        }
        if jobs.is_empty() {
            self.match_seasons().await?;
            self.placeholders().await?;
        }
        Ok(())
    }

    /// Removes the images of files that are gone or changed.
    async fn clean_up(&self) -> Result<(), String> {
        let done = self
            .store
            .extras_on_disk()
            .await
            .map_err(|e| e.to_string())?;
        let current: std::collections::HashSet<i64> = done
            .iter()
            .filter(|d| d.current)
            .map(|d| d.file_id)
            .collect();
        let Ok(entries) = std::fs::read_dir(&self.extras.dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i64>().ok())
            else {
                continue;
            };
            if current.contains(&id) {
                continue;
            }
            // A folder of a file being processed right now has no current row yet: it is
            // written before its row, and only this worker writes either.
            if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!(dir = %entry.path().display(), error = %e, "extras: cannot remove");
                continue;
            }
            tracing::info!(
                file_id = id,
                "extras: removed the images of a file that is gone or changed"
            );
            self.store
                .drop_file_images(id)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn process(&self, job: &ExtrasJob) -> FileExtras {
        let mut x = FileExtras {
            file_id: job.file_id,
            fingerprint: job.fingerprint.clone(),
            ..FileExtras::default()
        };
        let mut problems = Vec::new();
        let path = job.path.clone();
        let probe = crate::background::low_priority(move || {
            marquee_media::probe_path(&path, marquee_media::ProbeOptions::default())
        })
        .await;
        let probe = match probe {
            Ok(Ok(p)) => Some(p),
            Ok(Err(e)) => {
                problems.push(format!("cannot read the file: {e}"));
                None
            }
            Err(e) => {
                problems.push(format!("cannot read the file: {e}"));
                None
            }
        };
        let duration_ms = probe
            .as_ref()
            .map_or(job.duration_ms, |p| p.duration_ms.max(job.duration_ms));
        let sidecar = video_sidecar(&job.path).await;

        // Chapters: the container's, else the sidecar's.
        if let Some(p) = probe.as_ref().filter(|p| !p.chapters.is_empty()) {
            x.chapters = p.chapters.clone();
            x.chapters_source = Some("container".into());
        } else if !sidecar.chapters.is_empty() {
            let chapters = sidecar
                .chapters
                .iter()
                .map(|c| marquee_media::Chapter {
                    start_ms: c.start_ms,
                    end_ms: None,
                    title: c.title.clone(),
                })
                .collect();
            x.chapters = marquee_media::chapters::finish(chapters, duration_ms);
            x.chapters_source = Some("sidecar".into());
        }
        // Markers a person wrote win over chapter names, which win over audio matching.
        let (chapter_intro, chapter_credits) = markers::from_chapters(&x.chapters, duration_ms);
        x.intro = match (sidecar.intro, chapter_intro) {
            (Some(i), _) => Some((
                Span {
                    start_ms: i.start_ms,
                    end_ms: Some(i.end_ms),
                },
                "sidecar".into(),
            )),
            (None, Some(s)) => Some((s, "chapter".into())),
            _ => None,
        };
        x.credits = match (sidecar.credits_start_ms, chapter_credits) {
            (Some(s), _) => Some((s, "sidecar".into())),
            (None, Some(s)) => Some((s, "chapter".into())),
            _ => None,
        };

        let Some(ff) = &self.ffmpeg else {
            x.error = (!problems.is_empty()).then(|| problems.join("; "));
            return x;
        };
        let has_audio = probe.as_ref().is_some_and(|p| {
            p.tracks
                .iter()
                .any(|t| t.kind == marquee_media::TrackKind::Audio)
        });
        let video = probe.as_ref().and_then(|p| {
            p.tracks
                .iter()
                .find(|t| t.kind == marquee_media::TrackKind::Video)
        });
        if has_audio && job.item_kind == "episode" && duration_ms > 0 {
            let head = markers::head_window_ms(duration_ms);
            match ff.audio(&job.path, 0, head).await {
                Ok(pcm) => x.head_codes = Some(audio_match::fingerprint(&pcm)),
                Err(e) => problems.push(format!("opening audio: {e}")),
            }
            let (offset, len) = markers::tail_window_ms(duration_ms);
            match ff.audio(&job.path, offset, len).await {
                Ok(pcm) => {
                    x.tail_codes = Some(audio_match::fingerprint(&pcm));
                    x.tail_offset_ms = Some(offset);
                }
                Err(e) => problems.push(format!("ending audio: {e}")),
            }
        }
        if let Some(v) = video {
            let dir = self.extras.file_dir(job.file_id);
            if let Err(e) = std::fs::create_dir_all(&dir) {
                problems.push(format!("cannot create {}: {e}", dir.display()));
            } else {
                if !job.has_sidecar_still && duration_ms > 0 {
                    match self.still(ff, &job.path, duration_ms, &dir).await {
                        Ok(still) => x.still = Some(still),
                        Err(e) => problems.push(format!("still: {e}")),
                    }
                }
                if duration_ms > 0 {
                    match self.thumbnails(ff, &job.path, duration_ms, v, &dir).await {
                        Ok(Some((layout, bytes))) => {
                            x.thumbnails = Some(layout);
                            x.thumbnails_bytes = bytes;
                        }
                        Ok(None) => {}
                        Err(e) => problems.push(format!("scrub thumbnails: {e}")),
                    }
                }
            }
        }
        x.error = (!problems.is_empty()).then(|| problems.join("; "));
        x
    }

    /// A representative, non-blank frame: the `thumbnail` filter's pick of two seconds at a
    /// third of the way in, else further along; written at full size and in [`images::SIZES`].
    async fn still(
        &self,
        ff: &Ffmpeg,
        file: &Path,
        duration_ms: u64,
        dir: &Path,
    ) -> Result<StillInfo, String> {
        let mut last = None;
        for share in [33u64, 50, 66, 15, 80] {
            let at = duration_ms * share / 100;
            let png = ff.frame(file, at, images::FULL_WIDTH).await?;
            let dir = dir.to_path_buf();
            let made =
                crate::background::low_priority(move || -> Result<Option<StillInfo>, String> {
                    let img = image::load_from_memory(&png)
                        .map_err(|e| format!("ffmpeg's frame is unreadable: {e}"))?;
                    if images::looks_blank(&img) {
                        return Ok(None);
                    }
                    images::write_jpeg(&img, &dir.join("still.jpg"))?;
                    for w in images::SIZES.into_iter().filter(|&w| w < img.width()) {
                        images::write_jpeg(
                            &images::resized(&img, w),
                            &dir.join(format!("still-{w}.jpg")),
                        )?;
                    }
                    Ok(Some(StillInfo {
                        blurhash: images::blurhash_of(&img)?,
                        width: img.width(),
                        height: img.height(),
                    }))
                })
                .await
                .map_err(|e| e.to_string())??;
            if let Some(still) = made {
                return Ok(still);
            }
            last = Some(at);
        }
        Err(format!(
            "every frame tried was blank (the last at {} s)",
            last.unwrap_or(0) / 1000
        ))
    }

    /// Sprite sheets and their layout, unless the disk cap is reached.
    async fn thumbnails(
        &self,
        ff: &Ffmpeg,
        file: &Path,
        duration_ms: u64,
        video: &marquee_media::TrackInfo,
        dir: &Path,
    ) -> Result<Option<(marquee_store::extras::ThumbnailLayout, u64)>, String> {
        let used = self
            .store
            .thumbnails_bytes()
            .await
            .map_err(|e| e.to_string())?;
        if used >= self.extras.thumbnails_cap {
            return Err(format!(
                "the cap of {} MB for scrub thumbnails is reached (MARQUEE_THUMBNAILS_MAX_MB)",
                self.extras.thumbnails_cap >> 20
            ));
        }
        let layout = markers::thumbnail_layout(
            duration_ms,
            video.width.unwrap_or(0),
            video.height.unwrap_or(0),
        );
        let sheets = dir.join("thumbnails");
        let _ = std::fs::remove_dir_all(&sheets);
        std::fs::create_dir_all(&sheets)
            .map_err(|e| format!("cannot create {}: {e}", sheets.display()))?;
        ff.sprites(file, &layout, &sheets).await?;
        let bytes: u64 = std::fs::read_dir(&sheets)
            .map_err(|e| e.to_string())?
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        if bytes == 0 {
            return Err("ffmpeg wrote no sprite sheet".into());
        }
        std::fs::write(
            dir.join("thumbnails.vtt"),
            markers::thumbnails_vtt(&layout, duration_ms),
        )
        .map_err(|e| format!("cannot write the thumbnail track: {e}"))?;
        Ok(Some((layout, bytes)))
    }

    /// Matches the seasons whose episodes changed since they were last matched.
    async fn match_seasons(&self) -> Result<(), String> {
        let err = |e: marquee_store::StoreError| e.to_string();
        for season in self.store.seasons_with_extras().await.map_err(err)? {
            let eps = self.store.season_episodes(season).await.map_err(err)?;
            let stamp = eps
                .iter()
                .map(|e| format!("{}:{}", e.file_id, e.fingerprint))
                .collect::<Vec<_>>()
                .join(",");
            if self
                .store
                .season_stamp(season)
                .await
                .map_err(err)?
                .as_deref()
                == Some(&stamp)
            {
                continue;
            }
            let found = crate::background::low_priority(move || {
                let prints: Vec<markers::EpisodePrints<'_>> = eps
                    .iter()
                    .map(|e| markers::EpisodePrints {
                        head: &e.head_codes,
                        tail: &e.tail_codes,
                        tail_offset_ms: e.tail_offset_ms,
                        duration_ms: e.duration_ms,
                    })
                    .collect();
                let found = markers::match_season(&prints);
                eps.iter()
                    .zip(found)
                    .map(|(e, (intro, credits))| (e.file_id, intro, credits))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| e.to_string())?;
            tracing::info!(
                season,
                episodes = found.len(),
                intros = found.iter().filter(|f| f.1.is_some()).count(),
                credits = found.iter().filter(|f| f.2.is_some()).count(),
                "extras: matched a season's intros and credits"
            );
            self.store
                .save_season_markers(season, &stamp, &found)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    /// Blurhash placeholders for sidecar artwork (no ffmpeg needed).
    async fn placeholders(&self) -> Result<(), String> {
        let todo = self
            .store
            .artwork_without_placeholder(64)
            .await
            .map_err(|e| e.to_string())?;
        for (item_id, kind, path) in todo {
            let p = path.clone();
            let made =
                crate::background::low_priority(move || -> Result<(String, StillInfo), String> {
                    let md = std::fs::metadata(&p).map_err(|e| e.to_string())?;
                    let stamp = images::stamp(&md);
                    let img = image::ImageReader::open(&p)
                        .and_then(|r| r.with_guessed_format())
                        .map_err(|e| e.to_string())?
                        .decode()
                        .map_err(|e| e.to_string())?;
                    Ok((
                        stamp,
                        StillInfo {
                            blurhash: images::blurhash_of(&img)?,
                            width: img.width(),
                            height: img.height(),
                        },
                    ))
                })
                .await
                .map_err(|e| e.to_string())?;
            match made {
                Ok((stamp, still)) => self
                    .store
                    .save_placeholder(item_id, &kind, &stamp, &still)
                    .await
                    .map_err(|e| e.to_string())?,
                Err(e) => {
                    tracing::info!(path = %path.display(), error = %e, "extras: no placeholder for an image");
                    // Remember the failure so the image is not decoded again every pass.
                    let none = StillInfo {
                        blurhash: String::new(),
                        width: 0,
                        height: 0,
                    };
                    self.store
                        .save_placeholder(item_id, &kind, "unreadable", &none)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }
}

/// What the video's own NFO and JSON sidecars say (JSON over NFO); empty when there are none
/// or they cannot be read (the scan reports unreadable sidecars).
async fn video_sidecar(video: &Path) -> Metadata {
    let video = video.to_path_buf();
    crate::background::low_priority(move || {
        let (Some(dir), Some(name)) = (video.parent(), video.file_name().and_then(|n| n.to_str()))
        else {
            return Metadata::default();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Metadata::default();
        };
        let names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let set = sidecar::sidecars_for_video(name, &refs);
        let mut m = Metadata::default();
        for file in [set.nfo, set.json].into_iter().flatten() {
            if let Ok(read) = sidecar::read_sidecar_file(&dir.join(file)) {
                m.merge_from(read);
            }
        }
        m
    })
    .await
    .unwrap_or_default()
}
