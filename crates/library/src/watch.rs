//! Watching media roots: file-system events, debounced, become rescans of just the folders that
//! changed.

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::Scanner;

/// How long the folders must be quiet before a rescan: copying a large file fires many events.
pub const QUIET: Duration = Duration::from_secs(2);
/// A rescan happens at least this often while events keep coming.
pub const MAX_DELAY: Duration = Duration::from_secs(20);

/// Keeps the watcher alive; dropping it stops watching.
pub struct WatchHandle {
    _watcher: RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching every root of `scanner`. Roots that cannot be watched are logged and skipped.
pub fn watch(scanner: Scanner) -> notify::Result<WatchHandle> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            if event.kind.is_access() {
                return;
            }
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    })?;
    for root in scanner.roots() {
        if let Err(e) = watcher.watch(root, RecursiveMode::Recursive) {
            tracing::warn!(root = %root.display(), error = %e, "cannot watch media folder; changes will be found by the next full scan");
        }
    }
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut paths = vec![first];
            let started = tokio::time::Instant::now();
            loop {
                let wait = QUIET.min(MAX_DELAY.saturating_sub(started.elapsed()));
                match tokio::time::timeout(wait, rx.recv()).await {
                    Ok(Some(p)) => paths.push(p),
                    Ok(None) => return,
                    Err(_) => break,
                }
                if started.elapsed() >= MAX_DELAY {
                    break;
                }
            }
            paths.sort();
            paths.dedup();
            tracing::info!(
                changes = paths.len(),
                "media folders changed; rescanning them"
            );
            match scanner.scan_paths(&paths).await {
                Ok(s) => tracing::info!(
                    added = s.added,
                    updated = s.updated,
                    moved = s.moved,
                    removed = s.removed,
                    failed = s.failed.len(),
                    "rescan done"
                ),
                Err(e) => tracing::error!(error = %e, "rescan failed"),
            }
        }
    });
    Ok(WatchHandle {
        _watcher: watcher,
        task,
    })
}
