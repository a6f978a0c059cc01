//! Per-file packaging state for HLS/DASH: the sample index (built once, kept on disk in the data
//! folder by file fingerprint), the segment plan and the manifests, cached for recent files.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use marquee_media::{dash_mpd, hls_master, plan_segments, SampleIndex, SegmentPlan, UrlOptions};

/// What playback of one file needs, computed once.
pub struct Packaged {
    pub source: PathBuf,
    pub fingerprint: String,
    pub index: SampleIndex,
    pub plan: SegmentPlan,
    pub master: String,
    pub mpd: String,
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
            let urls = UrlOptions::default();
            let master = hls_master(&index, &plan, &urls);
            let mpd = dash_mpd(&index, &plan, &urls);
            Ok(Packaged {
                source: source_owned,
                fingerprint: fp,
                index,
                plan,
                master,
                mpd,
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
