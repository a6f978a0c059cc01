//! Per-file packaging state for HLS/DASH: the sample index (built once, kept on disk in the data
//! folder by file fingerprint), the segment plan and the manifests, cached for recent files.
//! Manifests list the sidecar subtitle files too, which can come and go without the video
//! changing: they are rebuilt when the subtitles a video has differ from the cached ones.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use marquee_catalog::subtitles::SubtitleSource;
use marquee_media::{dash_mpd, hls_master, plan_segments, SampleIndex, SegmentPlan, UrlOptions};

/// What playback of one file needs, computed once.
pub struct Packaged {
    pub source: PathBuf,
    pub fingerprint: String,
    pub index: SampleIndex,
    pub plan: SegmentPlan,
    manifests: Mutex<Option<Arc<Manifests>>>,
}

/// The HLS master playlist and DASH MPD for one set of subtitles.
pub struct Manifests {
    pub subtitles: Vec<SubtitleSource>,
    pub master: String,
    pub mpd: String,
}

impl Packaged {
    /// The manifests offering `subtitles` (the video's subtitles as they are now), reused while
    /// those stay the same.
    pub fn manifests(&self, subtitles: Vec<SubtitleSource>) -> Arc<Manifests> {
        if let Ok(cached) = self.manifests.lock() {
            if let Some(m) = cached.as_ref().filter(|m| m.subtitles == subtitles) {
                return m.clone();
            }
        }
        let urls = UrlOptions::default();
        let renditions: Vec<_> = subtitles.iter().map(|s| s.rendition.clone()).collect();
        let built = Arc::new(Manifests {
            master: hls_master(&self.index, &self.plan, &urls, &renditions),
            mpd: dash_mpd(&self.index, &self.plan, &urls, &renditions),
            subtitles,
        });
        if let Ok(mut cached) = self.manifests.lock() {
            *cached = Some(built.clone());
        }
        built
    }
}

/// Files packaged recently, so that segment requests do not rebuild the plan.
pub struct PackagingCache {
    dir: PathBuf,
    target: Duration,
    recent: Mutex<VecDeque<Arc<Packaged>>>,
}

/// How many files keep their index in memory (a 2-hour film's index is ~25 MB).
const RECENT: usize = 8;

impl PackagingCache {
    pub fn new(dir: PathBuf, target: Duration) -> PackagingCache {
        PackagingCache {
            dir,
            target,
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
        let target = self.target;
        let fp = fingerprint.to_string();
        let packaged = tokio::task::spawn_blocking(move || -> Result<Packaged, String> {
            let index = match std::fs::read(&cache_file)
                .ok()
                .and_then(|b| SampleIndex::deserialize(&b).ok())
            {
                Some(index) => index,
                None => {
                    let index = marquee_media::build_index_path(&source_owned)
                        .map_err(|e| e.to_string())?;
                    persist(&cache_file, &index.serialize());
                    index
                }
            };
            let reference = index
                .reference_track()
                .ok_or_else(|| "no video or audio track that can be streamed".to_string())?;
            let plan = plan_segments(reference, target);
            Ok(Packaged {
                source: source_owned,
                fingerprint: fp,
                index,
                plan,
                manifests: Mutex::new(None),
            })
        })
        .await
        .map_err(|e| format!("packaging failed: {e}"))??;
        let packaged = Arc::new(packaged);
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
