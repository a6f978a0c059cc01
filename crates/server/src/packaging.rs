//! Per-file packaging state for HLS/DASH and the progressive MP4: the sample index (built once,
//! kept on disk in the data folder by file fingerprint), the segment plan and the manifests, cached
//! for recent files, and the progressive MP4's header once it has been asked for. Manifests list
//! the sidecar subtitle files too, which can come and go without the video changing: they are
//! rebuilt when the subtitles a video has differ from the cached ones.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use marquee_catalog::subtitles::SubtitleSource;
use marquee_media::{
    dash_mpd, hls_master, plan_segments_quick_start, progressive_mp4, progressive_tracks,
    ProgressiveMp4, SampleIndex, SegmentPlan, SubtitleRendition, UrlOptions,
};
use tokio::sync::OnceCell;

/// What playback of one file needs, computed once.
pub struct Packaged {
    pub source: PathBuf,
    pub fingerprint: String,
    pub index: SampleIndex,
    pub plan: SegmentPlan,
    manifests: Mutex<Option<Arc<Manifests>>>,
    /// Why there is no progressive MP4 of the file, if there is none (cheap to know).
    pub no_progressive: Option<String>,
    /// The progressive MP4, built on first request: its `moov` is a few MB and ~100 ms of work
    /// for a 2-hour film, too much to repeat for every range request, and not worth holding for
    /// files that are only streamed.
    progressive: OnceCell<Arc<ProgressiveMp4>>,
}

/// The HLS master playlist and DASH MPD for one set of subtitles, each made when first asked
/// for (a player wants one or the other; the MPD of a 2-hour film is the larger job).
pub struct Manifests {
    pub subtitles: Vec<SubtitleSource>,
    master: OnceLock<String>,
    mpd: OnceLock<String>,
}

impl Packaged {
    /// The progressive MP4 of the file (built off the async threads, once).
    pub async fn progressive(self: &Arc<Self>) -> Result<Arc<ProgressiveMp4>, String> {
        if let Some(why) = &self.no_progressive {
            return Err(why.clone());
        }
        let me = self.clone();
        self.progressive
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || progressive_mp4(&me.index))
                    .await
                    .map_err(|e| format!("building the MP4 failed: {e}"))?
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await
            .cloned()
    }

    /// The manifests offering `subtitles` (the video's subtitles as they are now), reused while
    /// those stay the same.
    pub fn manifests(&self, subtitles: Vec<SubtitleSource>) -> Arc<Manifests> {
        if let Ok(cached) = self.manifests.lock() {
            if let Some(m) = cached.as_ref().filter(|m| m.subtitles == subtitles) {
                return m.clone();
            }
        }
        let built = Arc::new(Manifests {
            subtitles,
            master: OnceLock::new(),
            mpd: OnceLock::new(),
        });
        if let Ok(mut cached) = self.manifests.lock() {
            *cached = Some(built.clone());
        }
        built
    }

    /// The HLS master playlist of `m`.
    pub fn master(&self, m: &Manifests) -> String {
        m.master
            .get_or_init(|| {
                hls_master(
                    &self.index,
                    &self.plan,
                    &UrlOptions::default(),
                    &renditions(m),
                )
            })
            .clone()
    }

    /// The DASH MPD of `m`.
    pub fn mpd(&self, m: &Manifests) -> String {
        m.mpd
            .get_or_init(|| {
                dash_mpd(
                    &self.index,
                    &self.plan,
                    &UrlOptions::default(),
                    &renditions(m),
                )
            })
            .clone()
    }
}

/// The subtitle renditions `m` offers.
pub fn renditions(m: &Manifests) -> Vec<SubtitleRendition> {
    m.subtitles.iter().map(|s| s.rendition.clone()).collect()
}

/// Files packaged recently, so that segment requests do not rebuild the plan.
pub struct PackagingCache {
    dir: PathBuf,
    target: Duration,
    first_target: Duration,
    recent: Mutex<VecDeque<Arc<Packaged>>>,
}

/// How many files keep their index in memory (a 2-hour film's index is ~25 MB, plus up to ~7 MB
/// for its progressive MP4 header once that has been asked for).
const RECENT: usize = 8;

impl PackagingCache {
    pub fn new(dir: PathBuf, target: Duration, first_target: Duration) -> PackagingCache {
        PackagingCache {
            dir,
            target,
            first_target,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// The packaging of `source`, from memory, the disk cache, or built now (off the async threads).
    pub async fn get(&self, source: &Path, fingerprint: &str) -> Result<Arc<Packaged>, String> {
        if let Some(hit) = self.lookup(fingerprint) {
            return Ok(hit);
        }
        let cache_file = self.dir.join(format!("{}.mqix", sanitise(fingerprint)));
        let source_owned = source.to_path_buf();
        let (target, first_target) = (self.target, self.first_target);
        let fp = fingerprint.to_string();
        let cache = cache_file.clone();
        let (packaged, fresh) =
            tokio::task::spawn_blocking(move || -> Result<(Packaged, bool), String> {
                let (index, fresh) = match std::fs::read(&cache)
                    .ok()
                    .and_then(|b| SampleIndex::deserialize(&b).ok())
                {
                    Some(index) => (index, false),
                    None => (
                        marquee_media::build_index_path(&source_owned)
                            .map_err(|e| e.to_string())?,
                        true,
                    ),
                };
                let reference = index
                    .reference_track()
                    .ok_or_else(|| "no video or audio track that can be streamed".to_string())?;
                let plan = plan_segments_quick_start(reference, target, first_target);
                let no_progressive = progressive_tracks(&index).err().map(|e| e.to_string());
                Ok((
                    Packaged {
                        source: source_owned,
                        fingerprint: fp,
                        index,
                        plan,
                        manifests: Mutex::new(None),
                        no_progressive,
                        progressive: OnceCell::new(),
                    },
                    fresh,
                ))
            })
            .await
            .map_err(|e| format!("packaging failed: {e}"))??;
        let packaged = Arc::new(packaged);
        if fresh {
            // The player is waiting for its playlist and first segments: the index goes to disk
            // after, at the lowest priority, not before or beside them.
            let p = packaged.clone();
            tokio::spawn(crate::background::low_priority(move || {
                persist(&cache_file, &p.index.serialize())
            }));
        }
        if let Ok(mut recent) = self.recent.lock() {
            recent.retain(|p| p.fingerprint != packaged.fingerprint);
            recent.push_front(packaged.clone());
            recent.truncate(RECENT);
        }
        Ok(packaged)
    }

    fn lookup(&self, fingerprint: &str) -> Option<Arc<Packaged>> {
        let recent = self.recent.lock().ok()?;
        recent
            .iter()
            .find(|p| p.fingerprint == fingerprint)
            .cloned()
    }
}

/// Writes the index cache atomically; a failure only costs a rebuild next time.
fn persist(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
