//! Finished segments on disk, under a size cap, least recently used first out.
//!
//! A segment is written to a temporary name and renamed into place when complete, so a reader
//! never sees a partial file, whatever happens to the writer. Leftover temporary files (a crash
//! mid-write) are removed when the cache opens.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a segment could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the transcoding cache at {dir} is full: a {need} byte segment does not fit under its cap of {cap} bytes")]
    OverCap { dir: String, need: u64, cap: u64 },
    #[error("the disk holding the transcoding cache at {dir} is full (no space left on device): free some space or lower MARQUEE_TRANSCODE_CACHE_MB")]
    DiskFull { dir: String },
    #[error("the transcoding cache at {dir} could not store a segment: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Bytes free for an unprivileged writer on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` is written by the call before it is read.
    let ok = unsafe { libc::statvfs(path.as_ptr(), st.as_mut_ptr()) } == 0;
    ok.then(|| {
        // SAFETY: statvfs returned 0, so it filled `st`.
        let st = unsafe { st.assume_init() };
        // The fields are narrower than u64 on 32-bit targets.
        #[allow(clippy::useless_conversion)]
        u64::from(st.f_bavail).saturating_mul(u64::from(st.f_frsize))
    })
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    size: u64,
    used: u64,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<PathBuf, Entry>,
    total: u64,
    clock: u64,
}

/// The segment cache: files under `root`, keyed by relative path.
#[derive(Debug)]
pub struct SegmentCache {
    root: PathBuf,
    cap: u64,
    state: Mutex<State>,
}

pub const TMP_SUFFIX: &str = ".partial";

/// Writes `bytes` to `path` under a temporary name (`.partial`) and renames it into place: a
/// reader sees the whole file or none. The temporary file is removed on failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(TMP_SUFFIX);
    let tmp = PathBuf::from(tmp_name);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_data()
    });
    let result = written.and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl CacheError {
    /// Whether storing more (not trying again) is what cannot work: the cap or the disk.
    pub fn is_full(&self) -> bool {
        matches!(
            self,
            CacheError::OverCap { .. } | CacheError::DiskFull { .. }
        )
    }
}

impl SegmentCache {
    /// Opens (creating) the cache at `root`, counting what is there and removing partial files.
    pub fn open(root: &Path, cap: u64) -> std::io::Result<SegmentCache> {
        std::fs::create_dir_all(root)?;
        let mut state = State::default();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let path = e.path();
                let Ok(md) = e.metadata() else { continue };
                if md.is_dir() {
                    stack.push(path);
                } else if path.to_string_lossy().ends_with(TMP_SUFFIX) {
                    let _ = std::fs::remove_file(&path);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    state.clock += 1;
                    state.total += md.len();
                    state.entries.insert(
                        rel.to_path_buf(),
                        Entry {
                            size: md.len(),
                            used: state.clock,
                        },
                    );
                }
            }
        }
        Ok(SegmentCache {
            root: root.to_path_buf(),
            cap,
            state: Mutex::new(state),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Bytes held.
    pub fn size(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.total)
    }

    /// The file for `rel` if it is cached (and marks it used).
    pub fn get(&self, rel: &Path) -> Option<PathBuf> {
        let mut s = self.state.lock().ok()?;
        s.clock += 1;
        let clock = s.clock;
        let e = s.entries.get_mut(rel)?;
        e.used = clock;
        Some(self.root.join(rel))
    }

    /// Stores `bytes` as `rel`, evicting the least recently used files to stay under the cap.
    pub fn put(&self, rel: &Path, bytes: &[u8]) -> Result<PathBuf, CacheError> {
        let need = bytes.len() as u64;
        let dir = self.root.display().to_string();
        if need > self.cap {
            return Err(CacheError::OverCap {
                dir,
                need,
                cap: self.cap,
            });
        }
        let evicted = self.make_room(rel, need);
        for path in evicted {
            let _ = std::fs::remove_file(self.root.join(path));
        }
        let path = self.root.join(rel);
        let io = |source: std::io::Error| {
            if source.kind() == std::io::ErrorKind::StorageFull {
                CacheError::DiskFull { dir: dir.clone() }
            } else {
                CacheError::Io {
                    dir: dir.clone(),
                    source,
                }
            }
        };
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                self.release(need);
                return Err(io(e));
            }
        }
        if let Err(e) = write_atomically(&path, bytes) {
            self.release(need);
            return Err(io(e));
        }
        // Only now is it there to be found.
        if let Ok(mut s) = self.state.lock() {
            s.clock += 1;
            let used = s.clock;
            s.entries
                .insert(rel.to_path_buf(), Entry { size: need, used });
        }
        Ok(path)
    }

    /// Reserves `need` bytes for `rel` (found once it is written); returns the paths to delete.
    fn make_room(&self, rel: &Path, need: u64) -> Vec<PathBuf> {
        let Ok(mut s) = self.state.lock() else {
            return Vec::new();
        };
        if let Some(old) = s.entries.remove(rel) {
            s.total -= old.size;
        }
        let mut evicted = Vec::new();
        while s.total + need > self.cap {
            let Some(oldest) = s
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(p, _)| p.clone())
            else {
                break;
            };
            if let Some(e) = s.entries.remove(&oldest) {
                s.total -= e.size;
            }
            evicted.push(oldest);
        }
        s.total += need;
        evicted
    }

    fn release(&self, size: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.total = s.total.saturating_sub(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_and_never_leaves_partials() {
        let dir = tempfile::tempdir().unwrap();
        let c = SegmentCache::open(dir.path(), 250).unwrap();
        c.put(Path::new("a/0.m4s"), &[0; 100]).unwrap();
        c.put(Path::new("a/1.m4s"), &[1; 100]).unwrap();
        assert!(c.get(Path::new("a/0.m4s")).is_some()); // 0 is now newer than 1
        c.put(Path::new("a/2.m4s"), &[2; 100]).unwrap();
        assert!(c.get(Path::new("a/1.m4s")).is_none());
        assert!(!dir.path().join("a/1.m4s").exists());
        assert!(c.get(Path::new("a/0.m4s")).is_some());
        assert_eq!(c.size(), 200);
        let e = c.put(Path::new("a/3.m4s"), &[3; 300]).unwrap_err();
        assert!(e.to_string().contains("is full"), "{e}");
        // Reopening counts what is there and drops partial files.
        std::fs::write(dir.path().join("a/9.m4s.partial"), b"half").unwrap();
        let c = SegmentCache::open(dir.path(), 250).unwrap();
        assert_eq!(c.size(), 200);
        assert!(!dir.path().join("a/9.m4s.partial").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(TMP_SUFFIX)), "{names:?}");
    }
}
