//! The scan: walk → diff against the store → prepare changed files in a bounded pool (fingerprint,
//! probe, identify, sidecars) → write in batches → mark what vanished as missing.
//!
//! An unchanged file (same size, mtime and inode, same sidecars) is never opened. Each batch is
//! one transaction, so a scan killed at any moment resumes where it stopped.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marquee_catalog::naming::{self, Identity, Kind};
use marquee_catalog::sidecar::{self, FolderKind, Metadata, SidecarSet};
use marquee_media::ProbeOptions;
use marquee_store::{
    movie_key, series_key, FileStat, FileStatus, KnownFile, Placement, ScannedFile,
    SeriesPlacement, Store,
};
use serde::Serialize;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::progress::ScanProgress;
use crate::walk::{self, Listing, Walk};

/// How long one file may take to prepare before it is recorded as failed and the scan moves on.
const FILE_TIMEOUT: Duration = Duration::from_secs(60);
/// Files written per transaction.
const BATCH: usize = 256;
/// Bytes hashed at each end of a file to recognise it after a move.
const FINGERPRINT_EDGE: u64 = 64 * 1024;

/// A file or folder that could not be handled, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub path: String,
    pub reason: String,
}

/// What a scan did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    pub added: u64,
    pub updated: u64,
    pub moved: u64,
    pub removed: u64,
    pub unchanged: u64,
    /// Files that could not be read as media.
    pub failed: Vec<Problem>,
    /// Sidecars that could not be read; the file was still added from its name.
    pub warnings: Vec<Problem>,
    /// Folders that could not be read; files known under them were left as they were.
    pub folder_errors: Vec<Problem>,
    pub elapsed_ms: u64,
}

impl ScanSummary {
    fn absorb(&mut self, other: ScanSummary) {
        self.added += other.added;
        self.updated += other.updated;
        self.moved += other.moved;
        self.removed += other.removed;
        self.unchanged += other.unchanged;
        self.failed.extend(other.failed);
        self.warnings.extend(other.warnings);
        self.folder_errors.extend(other.folder_errors);
    }
}

/// Scans media roots into a store. One scan runs at a time.
#[derive(Clone)]
pub struct Scanner {
    store: Store,
    roots: Arc<Vec<PathBuf>>,
    progress: Arc<ScanProgress>,
    lock: Arc<tokio::sync::Mutex<()>>,
    workers: usize,
}

/// A video that needs work in this scan.
struct Job {
    path: PathBuf,
    rel: PathBuf,
    stat: FileStat,
    existing_id: Option<i64>,
    /// Probe again (new or changed bytes), or only re-read the metadata.
    reprobe: bool,
    sidecar_stamp: String,
    layout: Layout,
    /// Names in the video's folder, from the walk: sidecars are found without listing it again.
    siblings: Arc<Vec<String>>,
}

/// Where a video sits: the folders whose sidecars apply to it.
#[derive(Clone)]
struct Layout {
    video_dir: PathBuf,
    show_dir: Option<PathBuf>,
    season_dir: Option<PathBuf>,
    /// The folder of a movie that has one to itself.
    movie_dir: Option<PathBuf>,
}

/// Sidecar metadata read from folders, shared by the files of one scan.
type FolderCache = Arc<Mutex<HashMap<(PathBuf, String), (Metadata, Vec<(String, PathBuf)>)>>>;

struct Prepared {
    file: ScannedFile,
    warnings: Vec<Problem>,
    new: bool,
    /// The file was gone by the time it was opened (deleted, or its disk went away mid-scan):
    /// nothing is written for it, and the next scan sees it as it then is.
    vanished: bool,
}

impl Scanner {
    pub fn new(store: Store, roots: Vec<PathBuf>, progress: Arc<ScanProgress>) -> Scanner {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Scanner {
            store,
            roots: Arc::new(roots),
            progress,
            lock: Arc::new(tokio::sync::Mutex::new(())),
            // Probing waits on the disk more than the CPU: a few more workers than cores.
            workers: (cores * 2).clamp(2, 8),
        }
    }

    pub fn progress(&self) -> &Arc<ScanProgress> {
        &self.progress
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Scans every root.
    pub async fn scan_all(&self) -> anyhow::Result<ScanSummary> {
        self.scan(None).await
    }

    /// Scans only the folders that hold `paths` (from the watcher).
    pub async fn scan_paths(&self, paths: &[PathBuf]) -> anyhow::Result<ScanSummary> {
        self.scan(Some(paths)).await
    }

    async fn scan(&self, changed: Option<&[PathBuf]>) -> anyhow::Result<ScanSummary> {
        let _guard = self.lock.lock().await;
        let started = Instant::now();
        let started_at = unix_now();
        self.progress.start();
        let mut summary = ScanSummary::default();
        let result = async {
            for root in self.roots.iter() {
                let scope = match changed {
                    None => None,
                    Some(paths) => {
                        let dirs = scope_dirs(root, paths);
                        if dirs.is_empty() {
                            continue;
                        }
                        Some(dirs)
                    }
                };
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| root.display().to_string());
                let library_id = self.store.ensure_library(root, &name).await?;
                let span = tracing::info_span!("scan", root = %root.display());
                let s = self
                    .scan_library(library_id, root, scope)
                    .instrument(span)
                    .await?;
                summary.absorb(s);
            }
            anyhow::Ok(())
        }
        .await;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        self.progress.finish();
        release_freed_memory();
        result?;
        if let Ok(json) = serde_json::to_string(&summary) {
            self.store
                .record_scan(started_at, unix_now(), &json)
                .await?;
        }
        Ok(summary)
    }

    async fn scan_library(
        &self,
        library_id: i64,
        root: &Path,
        scope: Option<Vec<PathBuf>>,
    ) -> anyhow::Result<ScanSummary> {
        let mut summary = ScanSummary::default();
        self.progress.set_phase("walking");

        let roots = self.roots.as_ref().clone();
        let starts = scope.clone().unwrap_or_else(|| vec![root.to_path_buf()]);
        let walked: Walk = tokio::task::spawn_blocking(move || {
            let mut all = Walk::default();
            for start in starts {
                if !start.exists() {
                    continue; // a watched folder that was deleted: its files go missing below
                }
                let w = walk::walk(&start, &roots);
                all.folders.extend(w.folders);
                all.errors.extend(w.errors);
            }
            all
        })
        .await?;

        if scope.is_none() && !walked.folders.contains_key(root) {
            let reason = walked
                .errors
                .first()
                .map(|(_, e)| e.clone())
                .unwrap_or_else(|| "not readable".into());
            summary.folder_errors.push(Problem {
                path: root.display().to_string(),
                reason: format!(
                    "media folder is not accessible ({reason}); nothing was marked missing"
                ),
            });
            return Ok(summary);
        }
        for (path, reason) in &walked.errors {
            summary.folder_errors.push(Problem {
                path: path.display().to_string(),
                reason: reason.clone(),
            });
        }

        let known = self.store.known_files(library_id).await?;
        let in_scope = |p: &Path| match &scope {
            None => true,
            Some(dirs) => dirs.iter().any(|d| p.starts_with(d)),
        };
        let unreadable: Vec<&PathBuf> = walked.errors.iter().map(|(p, _)| p).collect();

        // Diff: what is unchanged, what needs work.
        let mut jobs = Vec::new();
        let mut seen: HashSet<&Path> = HashSet::new();
        for (dir, listing) in &walked.folders {
            let siblings = Arc::new(folder_names(&walked, dir));
            for (name, stat) in &listing.files {
                let path = dir.join(name);
                if !naming::is_video_path(&path) {
                    continue;
                }
                self.progress.found.fetch_add(1, Ordering::Relaxed);
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                let layout = layout_for(root, dir, &rel);
                let stamp = sidecar_stamp(&walked, &layout, name.to_str().unwrap_or(""));
                let known_file = known.get(&path);
                if let Some(k) = known_file {
                    seen.insert(k.path.as_path());
                }
                match known_file {
                    Some(k)
                        if k.status != FileStatus::Missing
                            && k.stat == *stat
                            && k.sidecar_stamp == stamp =>
                    {
                        summary.unchanged += 1;
                    }
                    Some(k) => jobs.push(Job {
                        reprobe: k.status == FileStatus::Missing || k.stat != *stat,
                        existing_id: Some(k.id),
                        path,
                        rel,
                        stat: *stat,
                        sidecar_stamp: stamp,
                        layout,
                        siblings: siblings.clone(),
                    }),
                    None => jobs.push(Job {
                        reprobe: true,
                        existing_id: None,
                        path,
                        rel,
                        stat: *stat,
                        sidecar_stamp: stamp,
                        layout,
                        siblings: siblings.clone(),
                    }),
                }
            }
        }

        // Files that were here and are gone (so far): candidates for a move, else missing.
        let vanished: Vec<&KnownFile> = known
            .values()
            .filter(|k| in_scope(&k.path) && !seen.contains(k.path.as_path()))
            .filter(|k| !unreadable.iter().any(|d| k.path.starts_with(d)))
            .collect();
        let mut move_sources: HashMap<&str, Vec<i64>> = HashMap::new();
        for k in &vanished {
            move_sources
                .entry(k.fingerprint.as_str())
                .or_default()
                .push(k.id);
        }
        // Missing files anywhere in the library can come back through a move, too.
        for k in known.values().filter(|k| k.status == FileStatus::Missing) {
            let ids = move_sources.entry(k.fingerprint.as_str()).or_default();
            if !ids.contains(&k.id) {
                ids.push(k.id);
            }
        }
        let mut moved_ids: HashSet<i64> = HashSet::new();

        self.progress
            .to_process
            .store(jobs.len() as u64, Ordering::Relaxed);
        self.progress.set_phase("processing");
        let cache: FolderCache = Arc::default();
        let semaphore = Arc::new(Semaphore::new(self.workers));
        let mut pending = jobs.into_iter().peekable();
        while pending.peek().is_some() {
            let chunk: Vec<Job> = pending.by_ref().take(BATCH).collect();
            let mut handles = Vec::with_capacity(chunk.len());
            for job in chunk {
                let permit = semaphore.clone().acquire_owned().await?;
                let cache = cache.clone();
                let root = root.to_path_buf();
                let shown = job.path.display().to_string();
                let fallback = (
                    job.path.clone(),
                    job.stat,
                    job.existing_id,
                    job.sidecar_stamp.clone(),
                );
                let task = tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    prepare(job, &root, library_id, &cache)
                });
                handles.push((shown, fallback, tokio::time::timeout(FILE_TIMEOUT, task)));
            }
            let mut batch = Vec::with_capacity(handles.len());
            for (shown, fallback, handle) in handles {
                self.progress.set_current(shown.clone());
                let prepared = match handle.await {
                    Ok(Ok(p)) => p,
                    Ok(Err(join)) => {
                        failed_prepared(fallback, format!("internal error while reading: {join}"))
                    }
                    Err(_) => failed_prepared(
                        fallback,
                        format!(
                            "reading took longer than {} s; skipped",
                            FILE_TIMEOUT.as_secs()
                        ),
                    ),
                };
                let mut p = prepared;
                self.progress.processed.fetch_add(1, Ordering::Relaxed);
                if p.vanished {
                    tracing::info!(path = %shown, "file disappeared during the scan; left for the next one");
                    continue;
                }
                if p.new {
                    let source =
                        move_sources
                            .get_mut(p.file.fingerprint.as_str())
                            .and_then(|ids| {
                                ids.iter()
                                    .position(|id| !moved_ids.contains(id))
                                    .map(|i| ids.remove(i))
                            });
                    if let Some(id) = source {
                        moved_ids.insert(id);
                        p.file.existing_id = Some(id);
                        p.new = false;
                        summary.moved += 1;
                    } else {
                        summary.added += 1;
                    }
                } else {
                    summary.updated += 1;
                }
                if let Some(Err(reason)) = &p.file.probe {
                    self.progress.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(path = %shown, %reason, "could not read media file");
                    summary.failed.push(Problem {
                        path: shown,
                        reason: reason.clone(),
                    });
                }
                summary.warnings.extend(p.warnings);
                batch.push(p.file);
            }
            self.store.apply_scanned(library_id, &batch).await?;
        }

        // A root that vanished mid-scan is not an empty library.
        self.progress.set_phase("finishing");
        let root_ok = tokio::fs::read_dir(root).await.is_ok();
        let gone: Vec<i64> = vanished
            .iter()
            .filter(|k| k.status != FileStatus::Missing && !moved_ids.contains(&k.id))
            .map(|k| k.id)
            .collect();
        if !root_ok {
            summary.folder_errors.push(Problem {
                path: root.display().to_string(),
                reason: "media folder disappeared during the scan; nothing was marked missing"
                    .into(),
            });
        } else if !gone.is_empty() {
            summary.removed += gone.len() as u64;
            self.store.mark_missing(&gone).await?;
        }
        Ok(summary)
    }
}

/// A scan allocates on many blocking threads, each with its own glibc arena; hand what was freed
/// back to the system so an idle server stays small.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The folders to rescan for a set of changed paths under `root`: each path's nearest existing
/// folder, deduplicated so that no folder is inside another.
fn scope_dirs(root: &Path, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.starts_with(root))
        .map(|p| {
            let mut d = if p.is_dir() {
                p.clone()
            } else {
                p.parent().unwrap_or(root).to_path_buf()
            };
            while !d.exists() && d != root {
                d = d.parent().unwrap_or(root).to_path_buf();
            }
            d
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        if !out.iter().any(|o| d.starts_with(o)) {
            out.push(d);
        }
    }
    out
}

fn layout_for(root: &Path, video_dir: &Path, rel: &Path) -> Layout {
    let identity = naming::identify(rel);
    let parent_name = video_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let below_root = video_dir != root;
    let mut layout = Layout {
        video_dir: video_dir.to_path_buf(),
        show_dir: None,
        season_dir: None,
        movie_dir: None,
    };
    match identity.kind {
        Kind::Episode => {
            if below_root && naming::season_folder(parent_name).is_some() {
                layout.season_dir = Some(video_dir.to_path_buf());
                layout.show_dir = video_dir
                    .parent()
                    .filter(|p| p.starts_with(root))
                    .map(Path::to_path_buf);
            } else if below_root {
                layout.show_dir = Some(video_dir.to_path_buf());
            }
        }
        Kind::Movie if below_root => layout.movie_dir = Some(video_dir.to_path_buf()),
        _ => {}
    }
    layout
}

fn folder_names(walked: &Walk, dir: &Path) -> Vec<String> {
    walked
        .folders
        .get(dir)
        .map(|l| l.names().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A digest of the sizes and mtimes of every sidecar that applies to a video: when it changes,
/// the metadata is read again even though the video itself did not change.
fn sidecar_stamp(walked: &Walk, layout: &Layout, video_name: &str) -> String {
    let mut parts: Vec<(PathBuf, FileStat)> = Vec::new();
    let mut add = |dir: &Path, set: SidecarSet| {
        let Some(listing): Option<&Listing> = walked.folders.get(dir) else {
            return;
        };
        let names = set
            .nfo
            .into_iter()
            .chain(set.json)
            .chain(set.artwork.into_iter().map(|a| a.path));
        for name in names {
            if let Some(stat) = listing.stat(&name) {
                parts.push((dir.join(name), stat));
            }
        }
    };
    let names = folder_names(walked, &layout.video_dir);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    add(
        &layout.video_dir,
        sidecar::sidecars_for_video(video_name, &refs),
    );
    for (dir, kind) in folder_kinds(layout) {
        let names = folder_names(walked, &dir);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        add(&dir, sidecar::sidecars_for_folder(kind, &refs));
    }
    // Season art kept in the show folder (`season01-poster.jpg`).
    if let (Some(show), Some(FolderKind::Season(n))) = (
        &layout.show_dir,
        folder_kinds(layout)
            .iter()
            .find_map(|(_, k)| matches!(k, FolderKind::Season(_)).then_some(*k)),
    ) {
        let names = folder_names(walked, show);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let artwork = sidecar::season_artwork_from_show_folder(n, &refs);
        add(
            show,
            SidecarSet {
                artwork,
                ..SidecarSet::default()
            },
        );
    }
    if parts.is_empty() {
        return String::new();
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (p, s) in parts {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(&s.size.to_le_bytes());
        h.update(&s.mtime_ns.to_le_bytes());
    }
    format!("{:016x}", h.digest())
}

/// The folders whose sidecars apply, with what they are.
fn folder_kinds(layout: &Layout) -> Vec<(PathBuf, FolderKind)> {
    let mut out = Vec::new();
    if let Some(show) = &layout.show_dir {
        out.push((show.clone(), FolderKind::Series));
    }
    if let Some(season) = &layout.season_dir {
        let n = season
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(naming::season_folder)
            .unwrap_or(1);
        out.push((season.clone(), FolderKind::Season(n)));
    }
    if let Some(movie) = &layout.movie_dir {
        out.push((movie.clone(), FolderKind::Movie));
    }
    out
}

/// Hash of the size and the first and last 64 KiB: the same bytes after a move or rename.
fn fingerprint(path: &Path, size: u64) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&size.to_le_bytes());
    let mut buf = vec![0u8; FINGERPRINT_EDGE as usize];
    let n = read_up_to(&mut f, &mut buf)?;
    h.update(&buf[..n]);
    if size > 2 * FINGERPRINT_EDGE {
        f.seek(SeekFrom::Start(size - FINGERPRINT_EDGE))?;
        let n = read_up_to(&mut f, &mut buf)?;
        h.update(&buf[..n]);
    } else if size > FINGERPRINT_EDGE {
        let n = read_up_to(&mut f, &mut buf)?;
        h.update(&buf[..n]);
    }
    Ok(format!("{size:x}-{:016x}", h.digest()))
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn failed_prepared(fallback: (PathBuf, FileStat, Option<i64>, String), reason: String) -> Prepared {
    let (path, stat, existing_id, sidecar_stamp) = fallback;
    Prepared {
        new: existing_id.is_none(),
        vanished: false,
        file: ScannedFile {
            existing_id,
            fingerprint: format!("unread-{}", path.display()),
            path,
            stat,
            sidecar_stamp,
            probe: Some(Err(reason)),
            identity_json: String::from("{}"),
            placement: None,
        },
        warnings: Vec::new(),
    }
}

/// Everything a file needs before it is written: runs on a blocking thread.
fn prepare(job: Job, root: &Path, library_id: i64, cache: &FolderCache) -> Prepared {
    let mut warnings = Vec::new();
    let fingerprint = match fingerprint(&job.path, job.stat.size) {
        Ok(f) => f,
        Err(e) => {
            let vanished = e.kind() == std::io::ErrorKind::NotFound;
            let reason = format!("cannot open: {e}");
            let mut failed = failed_prepared(
                (job.path, job.stat, job.existing_id, job.sidecar_stamp),
                reason,
            );
            failed.vanished = vanished;
            return failed;
        }
    };
    let probe = if job.reprobe {
        Some(
            marquee_media::probe_path(&job.path, ProbeOptions::default())
                .map_err(|e| e.to_string()),
        )
    } else {
        None
    };
    let identity = naming::identify(&job.rel);
    let identity_json = serde_json::to_string(&identity).unwrap_or_else(|_| "{}".into());
    let placement = placement_for(&job, &identity, root, library_id, cache, &mut warnings);
    Prepared {
        new: job.existing_id.is_none(),
        vanished: false,
        file: ScannedFile {
            existing_id: job.existing_id,
            path: job.path,
            stat: job.stat,
            fingerprint,
            sidecar_stamp: job.sidecar_stamp,
            probe,
            identity_json,
            placement,
        },
        warnings,
    }
}

fn list_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a sidecar set (NFO, then JSON over it) from `dir`. Unreadable sidecars become warnings.
fn read_set(
    dir: &Path,
    set: &SidecarSet,
    warnings: &mut Vec<Problem>,
) -> (Metadata, Vec<(String, PathBuf)>) {
    let mut meta = Metadata::default();
    let mut read = |name: &str,
                    parse: fn(&[u8]) -> Result<Metadata, sidecar::SidecarError>|
     -> Option<Metadata> {
        let path = dir.join(name);
        let result = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| parse(&bytes).map_err(|e| e.to_string()));
        match result {
            Ok(m) => Some(m),
            Err(reason) => {
                tracing::warn!(path = %path.display(), %reason, "sidecar ignored");
                warnings.push(Problem {
                    path: path.display().to_string(),
                    reason: format!("sidecar ignored: {reason}"),
                });
                None
            }
        }
    };
    if let Some(m) = set.nfo.as_deref().and_then(|n| read(n, sidecar::read_nfo)) {
        meta.merge_from(m);
    }
    if let Some(m) = set
        .json
        .as_deref()
        .and_then(|n| read(n, sidecar::read_json))
    {
        meta.merge_from(m);
    }
    resolve_person_photos(dir, &mut meta);
    let mut artwork: Vec<(String, PathBuf)> = Vec::new();
    for a in set.artwork.iter().chain(meta.artwork.iter()) {
        if a.path.contains("://") {
            continue;
        }
        let path = dir.join(&a.path);
        let kind = a.kind.as_str().to_string();
        if path.is_file() && !artwork.iter().any(|(k, _)| *k == kind) {
            artwork.push((kind, path));
        }
    }
    (meta, artwork)
}

/// People's photos as files: a relative path in a sidecar is taken from the sidecar's folder, and
/// a person without a photo gets Kodi's `.actors/First_Last.jpg` when there is one. Local photos
/// are stored as absolute paths (the API serves them after checking they lie in a media root);
/// web addresses stay as they are; anything else is dropped.
fn resolve_person_photos(dir: &Path, meta: &mut Metadata) {
    for p in &mut meta.people {
        let local = match p.photo.as_deref() {
            Some(url) if url.contains("://") => continue,
            Some(rel) => Some(dir.join(rel)),
            None => {
                let stem = p.name.trim().replace(' ', "_");
                ["jpg", "png", "jpeg", "webp"]
                    .iter()
                    .map(|ext| dir.join(".actors").join(format!("{stem}.{ext}")))
                    .find(|f| f.is_file())
            }
        };
        p.photo = local
            .filter(|f| f.is_file())
            .and_then(|f| f.to_str().map(str::to_string));
    }
}

fn folder_meta(
    dir: &Path,
    kind: FolderKind,
    cache: &FolderCache,
    warnings: &mut Vec<Problem>,
) -> (Metadata, Vec<(String, PathBuf)>) {
    cached(dir, format!("{kind:?}"), cache, warnings, |names| {
        sidecar::sidecars_for_folder(kind, names)
    })
}

/// Season art kept in the show folder (`season01-poster.jpg`).
fn show_folder_season_art(
    show: &Path,
    season: u32,
    cache: &FolderCache,
    warnings: &mut Vec<Problem>,
) -> Vec<(String, PathBuf)> {
    cached(
        show,
        format!("season-art-{season}"),
        cache,
        warnings,
        |names| SidecarSet {
            artwork: sidecar::season_artwork_from_show_folder(season, names),
            ..SidecarSet::default()
        },
    )
    .1
}

/// Reads a folder's sidecars once per scan: every episode of a season shares them.
fn cached(
    dir: &Path,
    what: String,
    cache: &FolderCache,
    warnings: &mut Vec<Problem>,
    find: impl FnOnce(&[&str]) -> SidecarSet,
) -> (Metadata, Vec<(String, PathBuf)>) {
    let key = (dir.to_path_buf(), what);
    if let Ok(c) = cache.lock() {
        if let Some(hit) = c.get(&key) {
            return hit.clone();
        }
    }
    let names = list_names(dir);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let value = read_set(dir, &find(&refs), warnings);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, value.clone());
    }
    value
}

fn placement_for(
    job: &Job,
    identity: &Identity,
    root: &Path,
    library_id: i64,
    cache: &FolderCache,
    warnings: &mut Vec<Problem>,
) -> Option<Placement> {
    let video_name = job.path.file_name()?.to_str().unwrap_or("");
    let refs: Vec<&str> = job.siblings.iter().map(String::as_str).collect();
    let own_set = sidecar::sidecars_for_video(video_name, &refs);
    match identity.kind {
        Kind::Episode => {
            let (mut own, artwork) = read_set(&job.layout.video_dir, &own_set, warnings);
            let mut meta = Metadata {
                title: identity.title.clone(),
                air_date: identity.air_date.clone(),
                ..Metadata::default()
            };
            own.artwork.clear();
            meta.merge_from(own);
            let (series_meta, series_art) = match &job.layout.show_dir {
                Some(d) => folder_meta(d, FolderKind::Series, cache, warnings),
                None => Default::default(),
            };
            // Date-based shows have no episode numbers: the year is the season and the
            // month and day the episode (2023-05-04 → season 2023, episode 504), which keeps
            // them in air order and gives each day a stable identity.
            let by_date = identity.episodes.is_empty() && meta.episode.is_none();
            let date_key = meta
                .air_date
                .as_deref()
                .filter(|_| by_date)
                .and_then(date_season_episode);
            let season = match date_key {
                Some((year, _)) => year,
                None => identity.season.or(meta.season).unwrap_or(1),
            };
            let (season_meta, mut season_art) = match &job.layout.season_dir {
                Some(d) => folder_meta(d, FolderKind::Season(season), cache, warnings),
                None => Default::default(),
            };
            if let Some(show) = &job.layout.show_dir {
                for (k, p) in show_folder_season_art(show, season, cache, warnings) {
                    if !season_art.iter().any(|(kk, _)| *kk == k) {
                        season_art.push((k, p));
                    }
                }
            }
            let title = identity
                .series
                .clone()
                .or_else(|| series_meta.title.clone())
                .unwrap_or_else(|| "Unknown series".into());
            let episodes = match (date_key, identity.episodes.is_empty()) {
                (Some((_, day)), _) => vec![day],
                (None, true) => meta.episode.into_iter().collect(),
                (None, false) => identity.episodes.clone(),
            };
            if date_key.is_some() && meta.title.is_none() {
                meta.title = meta.air_date.clone();
            }
            if episodes.is_empty() {
                return None;
            }
            Some(Placement::Episode {
                series: SeriesPlacement {
                    title,
                    year: identity.year.or(series_meta.year),
                    meta: series_meta,
                    artwork: series_art,
                },
                season,
                season_meta,
                season_artwork: season_art,
                episodes,
                meta,
                artwork,
            })
        }
        Kind::Movie => {
            let mut meta = Metadata {
                title: identity.title.clone(),
                year: identity.year,
                ..Metadata::default()
            };
            let (folder, mut artwork) = match &job.layout.movie_dir {
                Some(d) => folder_meta(d, FolderKind::Movie, cache, warnings),
                None => Default::default(),
            };
            meta.merge_from(folder);
            let (own, own_art) = read_set(&job.layout.video_dir, &own_set, warnings);
            meta.merge_from(own);
            for (k, p) in own_art {
                if let Some(slot) = artwork.iter_mut().find(|(kk, _)| *kk == k) {
                    slot.1 = p;
                } else {
                    artwork.push((k, p));
                }
            }
            meta.artwork.clear();
            let key_title = identity
                .title
                .clone()
                .or_else(|| {
                    job.path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "Untitled".into());
            Some(Placement::Movie {
                key_title,
                key_year: identity.year,
                meta,
                artwork,
            })
        }
        Kind::Extra => {
            let title = identity
                .title
                .clone()
                .or_else(|| {
                    job.path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "Extra".into());
            Some(Placement::Extra {
                kind: identity.extra.clone().unwrap_or_else(|| "other".into()),
                title,
                owner_key: owner_key(job, root, library_id),
            })
        }
        Kind::Unknown => None,
    }
}

/// `YYYY-MM-DD` → (year, month * 100 + day).
fn date_season_episode(date: &str) -> Option<(u32, u32)> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month * 100 + day))
}

/// The movie or series an extra belongs to: identify the folder above the extras folder (or the
/// extra's own folder, for `Movie-trailer.mkv` beside the movie) as if it held a video.
fn owner_key(job: &Job, root: &Path, library_id: i64) -> Option<String> {
    let dir = &job.layout.video_dir;
    let folder_name = dir.file_name()?.to_str()?;
    let owner_dir = if naming::extras_folder(folder_name).is_some() {
        dir.parent()?
    } else {
        dir.as_path()
    };
    if owner_dir == root || !owner_dir.starts_with(root) {
        return None;
    }
    let name = owner_dir.file_name()?.to_str()?;
    let probe = naming::identify(Path::new(&format!("{name}.mkv")));
    let title = probe.title.or(probe.series)?;
    let has_seasons = list_names(owner_dir)
        .iter()
        .any(|n| naming::season_folder(n).is_some());
    Some(if has_seasons {
        series_key(library_id, &title, probe.year)
    } else {
        movie_key(library_id, &title, probe.year)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn air_dates_become_season_and_day() {
        assert_eq!(date_season_episode("2023-05-04"), Some((2023, 504)));
        assert_eq!(date_season_episode("2023-12-31"), Some((2023, 1231)));
        assert_eq!(date_season_episode("2023-13-01"), None);
        assert_eq!(date_season_episode("yesterday"), None);
    }

    #[test]
    fn scope_dirs_are_nearest_existing_and_not_nested() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("A/Season 1")).unwrap();
        let dirs = scope_dirs(
            r,
            &[
                r.join("A/Season 1/x.mkv"),
                r.join("A/gone/deeper/y.mkv"),
                r.join("A"),
                PathBuf::from("/elsewhere/z.mkv"),
            ],
        );
        assert_eq!(dirs, vec![r.join("A")]);
    }
}
