//! Walking media roots: every file with its `stat`, and every folder's listing (for sidecars).
//!
//! Symbolic links are followed only when they resolve inside a media root, so nothing outside the
//! roots can enter the catalog; loops are cut by remembering each folder's device and inode.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use marquee_store::FileStat;

/// One folder's contents: file names and their stats.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<(OsString, FileStat)>,
}

impl Listing {
    pub fn names(&self) -> Vec<&str> {
        self.files.iter().filter_map(|(n, _)| n.to_str()).collect()
    }
    pub fn stat(&self, name: &str) -> Option<FileStat> {
        self.files
            .iter()
            .find(|(n, _)| n.to_str() == Some(name))
            .map(|(_, s)| *s)
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Folder → its listing. Every folder reached is here, empty ones included.
    pub folders: HashMap<PathBuf, Listing>,
    /// Folders that could not be read, with the reason. Files known under them are not
    /// declared missing: an unreadable folder is not an empty one.
    pub errors: Vec<(PathBuf, String)>,
}

pub fn stat_of(md: &fs::Metadata) -> FileStat {
    FileStat {
        size: md.len(),
        mtime_ns: md.mtime() * 1_000_000_000 + md.mtime_nsec(),
        inode: md.ino(),
    }
}

/// Walks `start` (a folder inside `roots`), following links that stay inside `roots`.
pub fn walk(start: &Path, roots: &[PathBuf]) -> Walk {
    let canonical_roots: Vec<PathBuf> =
        roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
    let mut out = Walk::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut stack = vec![start.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let md = match fs::metadata(&dir) {
            Ok(md) => md,
            Err(e) => {
                out.errors.push((dir, e.to_string()));
                continue;
            }
        };
        if !seen.insert((md.dev(), md.ino())) {
            continue; // a symlink loop, or two links to one folder
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.errors.push((dir, e.to_string()));
                continue;
            }
        };
        let mut listing = Listing::default();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.errors.push((dir.clone(), e.to_string()));
                    continue;
                }
            };
            let name = entry.file_name();
            if name.as_encoded_bytes().first() == Some(&b'.') {
                continue; // hidden files, `.DS_Store`, `.@__thumb` and friends
            }
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let md = if file_type.is_symlink() {
                let inside = path
                    .canonicalize()
                    .map(|target| canonical_roots.iter().any(|r| target.starts_with(r)))
                    .unwrap_or(false);
                if !inside {
                    tracing::debug!(path = %path.display(), "skipping a link that leaves the media roots or is broken");
                    continue;
                }
                match fs::metadata(&path) {
                    Ok(md) => md,
                    Err(_) => continue,
                }
            } else {
                match entry.metadata() {
                    Ok(md) => md,
                    Err(e) => {
                        out.errors.push((path, e.to_string()));
                        continue;
                    }
                }
            };
            if md.is_dir() {
                stack.push(path);
            } else if md.is_file() {
                listing.files.push((name, stat_of(&md)));
            }
        }
        listing.files.sort_by(|a, b| a.0.cmp(&b.0));
        out.folders.insert(dir, listing);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn follows_links_inside_roots_and_cuts_loops() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("a/b")).unwrap();
        fs::write(r.join("a/b/x.mkv"), b"x").unwrap();
        fs::write(outside.path().join("secret.mkv"), b"s").unwrap();
        symlink(r.join("a"), r.join("a/b/loop")).unwrap();
        symlink(outside.path(), r.join("escape")).unwrap();
        symlink(outside.path().join("secret.mkv"), r.join("a/secret.mkv")).unwrap();
        let w = walk(r, &[r.to_path_buf()]);
        let all: Vec<String> = w
            .folders
            .iter()
            .flat_map(|(d, l)| {
                l.files
                    .iter()
                    .map(move |(n, _)| d.join(n).display().to_string())
            })
            .collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(all[0].ends_with("a/b/x.mkv"));
    }

    #[test]
    fn unreadable_start_is_an_error_not_an_empty_library() {
        let w = walk(Path::new("/nonexistent/marquee/root"), &[]);
        assert!(w.folders.is_empty());
        assert_eq!(w.errors.len(), 1);
    }
}
